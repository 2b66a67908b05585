package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
)

// TestArchiveRoundTrip: alice exports her data on pod1 (the worker makes
// the archive), imports it into a new account on pod2, which then has the
// same profile, aspects, contacts, posts, tags, blocks and settings; and
// the account_migration pod2 sends reaches carol's pod3, where it
// verifies (signed by the new identity, its signature by the old key) and
// moves carol's contact to the new identity.
func TestArchiveRoundTrip(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "arch1", 9, fast)
	pod2 := podtest.NewFedPod(t, "arch2", 10, fast)
	pod3 := podtest.NewFedPod(t, "arch3", 11, fast)
	alice, frank, mallory := newUser(t, pod1, "alice"), newUser(t, pod1, "frank"), newUser(t, pod1, "mallory")
	carol := newUser(t, pod3, "carol")

	// alice's account: a profile, an aspect of her own, carol (remote) in
	// Friends, frank in Garden, mallory ignored, a followed tag, auto
	// follow back, a public and a limited post.
	if err := pod1.App.Profiles.UpdateProfile(ctx, alice.s.UserID, profiles.ProfileInput{FirstName: "Alice", LastName: "Archer", Bio: "grows beans",
		Location: "Lyon", Searchable: true, BirthYear: "1990", BirthMonth: "4", BirthDay: "12"}); err != nil {
		t.Fatal(err)
	}
	garden, err := pod1.App.Contacts.CreateAspect(ctx, alice.s, "Garden", 0)
	if err != nil {
		t.Fatal(err)
	}
	alice.share(t, "Friends", carol)
	if _, err := pod1.App.Contacts.AddToAspect(ctx, alice.s, garden.ID, frank.s.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := pod1.App.Contacts.Block(ctx, alice.s, mallory.s.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pod1.App.Streams.FollowTag(ctx, alice.s, "gardening"); err != nil {
		t.Fatal(err)
	}
	if err := pod1.App.Accounts.UpdateSettings(ctx, alice.s.UserID, accounts.UpdateSettingsInput{Email: "alice@example.org", AutoFollowBack: true}); err != nil {
		t.Fatal(err)
	}
	public, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "beans are up #gardening", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	limited, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "for friends only",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pod1.App.Posts.Comment(ctx, frank.s, public.GUID, "nice beans"); err != nil {
		t.Fatal(err)
	}
	// frank's limited post to an aspect alice is not in: never in her archive.
	if _, err := pod1.App.Contacts.AddToAspect(ctx, frank.s, frank.aspects["Work"], mallory.s.PersonID); err != nil {
		t.Fatal(err)
	}
	secret, err := pod1.App.Posts.CreatePost(ctx, frank.s, posts.PostInput{Text: "frank's secret plan",
		Audience: aspects.Selection{Aspects: []int64{frank.aspects["Work"]}}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)

	// Export: the job on pod1's worker.
	if err := pod1.App.Archives.Request(ctx, alice.s); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		st, err := pod1.App.Archives.Status(ctx, alice.s)
		return err == nil && st.Ready()
	}, "alice's export to be ready")
	f, err := pod1.App.Archives.Download(ctx, alice.s, "archive")
	if err != nil {
		t.Fatal(err)
	}
	gz, err := io.ReadAll(f.Body)
	f.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("the archive is not gzipped: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), secret.GUID) || strings.Contains(string(plain), "secret plan") {
		t.Errorf("alice's archive holds frank's limited post she cannot see")
	}
	var doc map[string]any
	if err := json.Unmarshal(plain, &doc); err != nil {
		t.Fatalf("the archive is not JSON: %v", err)
	}
	others := doc["others_data"].(map[string]any)["relayables"].([]any)
	if len(others) != 1 || !strings.Contains(string(mustJSON(t, others[0])), "nice beans") {
		t.Errorf("others_data.relayables = %v, want frank's comment", others)
	}

	// Import into a new account on pod2.
	alicia := newUser(t, pod2, "alicia")
	before3 := len(pod3.Requests())
	// The upload is checked and queued; pod2's worker imports it.
	if err := pod2.App.Federate.QueueImport(ctx, alicia.s, bytes.NewReader(gz)); err != nil {
		t.Fatalf("import: %v", err)
	}
	var st *federate.ImportStatus
	podtest.Eventually(t, wait, func() bool {
		st, err = pod2.App.Federate.ImportStatus(ctx, alicia.s)
		return err == nil && !st.Working()
	}, "alicia's import to finish")
	if !st.Done() {
		t.Fatalf("import: %+v", st)
	}
	res := st.Result
	if !res.Migrated || res.OldID != alice.id() || res.Posts+res.Skipped != 2 || res.Contacts != 2 || res.Blocks != 1 || res.Tags != 1 {
		t.Errorf("import result %+v", res)
	}
	settled(t, pod1, pod2, pod3)

	t.Run("the same data on pod2", func(t *testing.T) {
		pv, _, err := pod2.App.Profiles.ProfileForm(ctx, alicia.s.UserID)
		if err != nil || pv.FirstName != "Alice" || pv.LastName != "Archer" || pv.Bio != "grows beans" || pv.Location != "Lyon" ||
			pv.BirthYear != "1990" {
			t.Errorf("profile on pod2: %+v %v", pv, err)
		}
		as, err := pod2.App.Contacts.Aspects(ctx, alicia.s)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range as {
			names = append(names, a.Name)
		}
		if !slices.Contains(names, "Garden") || !slices.Contains(names, "Friends") {
			t.Errorf("aspects on pod2: %v", names)
		}
		for who, aspect := range map[string]string{carol.id(): "Friends", frank.id(): "Garden"} {
			n := count(t, pod2, `SELECT count(*) FROM contacts c JOIN people pe ON pe.id = c.person_id
				JOIN aspect_memberships m ON m.contact_id = c.id JOIN aspects a ON a.id = m.aspect_id
				WHERE c.user_id = ? AND lower(pe.diaspora_id) = ? AND a.name = ? AND c.receiving`, alicia.s.UserID, who, aspect)
			if n != 1 {
				t.Errorf("pod2: alicia does not share with %s in %s", who, aspect)
			}
		}
		// The public post may be here already under alice's old identity
		// (discovering her fetched her recent public posts): the import
		// leaves it to the migration, which repoints it. The limited one
		// is new here, and alicia's.
		oldAlice, err := pod2.Store.PersonByDiasporaID(ctx, alice.id())
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []string{public.GUID, limited.GUID} {
			p, err := postOn(pod2, g)
			if err != nil || p.AuthorID != alicia.s.PersonID && (g == limited.GUID || p.AuthorID != oldAlice.ID) {
				t.Errorf("post %s on pod2: %+v %v (want alicia's)", g, p, err)
			}
		}
		if p, _ := postOn(pod2, public.GUID); p != nil && (!p.Public || p.Text != "beans are up #gardening") {
			t.Errorf("public post on pod2: %+v", p)
		}
		if p, _ := postOn(pod2, limited.GUID); p != nil && p.Public {
			t.Errorf("the limited post became public on pod2")
		}
		if n := count(t, pod2, `SELECT count(*) FROM tag_followings f JOIN tags g ON g.id = f.tag_id WHERE f.user_id = ? AND g.name = 'gardening'`,
			alicia.s.UserID); n != 1 {
			t.Errorf("alicia follows #gardening %d times", n)
		}
		if n := count(t, pod2, `SELECT count(*) FROM blocks b JOIN people pe ON pe.id = b.person_id WHERE b.user_id = ? AND pe.diaspora_id = ?`,
			alicia.s.UserID, mallory.id()); n != 1 {
			t.Errorf("alicia does not ignore mallory")
		}
		if n := count(t, pod2, `SELECT count(*) FROM users WHERE id = ? AND auto_follow_back`, alicia.s.UserID); n != 1 {
			t.Errorf("auto follow back not imported")
		}
		if _, err := pod2.App.Posts.Post(ctx, nil, limited.GUID); err == nil {
			t.Errorf("a visitor on pod2 reads the imported limited post")
		}
	})

	t.Run("account_migration reaches pod3 and verifies", func(t *testing.T) {
		podtest.Eventually(t, wait, func() bool {
			return strings.Contains(pod3.Log.String(), "account migration applied")
		}, "pod3 to receive and apply the account_migration")
		var found bool
		for _, r := range receivePosts(pod3, before3) {
			if r.Path != "/receive/public" {
				continue
			}
			env, err := envelope.Parse(r.Body)
			if err != nil {
				continue
			}
			e, err := entity.ParseXML(env.Payload)
			m, ok := e.(*entity.AccountMigration)
			if err != nil || !ok {
				continue
			}
			found = true
			if env.Sender != alicia.id() || m.Author != alicia.id() || m.OldIdentity != alice.id() || m.Profile.Author != alicia.id() {
				t.Errorf("migration: sender %s author %s old %s profile %s", env.Sender, m.Author, m.OldIdentity, m.Profile.Author)
			}
			newKey, err := pod2.App.Federate.PublicKey(ctx, alicia.id())
			if err != nil {
				t.Fatal(err)
			}
			if err := env.Verify(newKey); err != nil {
				t.Errorf("the envelope does not verify with the new identity's key: %v", err)
			}
			// alice's key as pod1 has it (pod3 closed the old identity
			// when it applied the migration, so it no longer serves it).
			oldKey := &privateKeyOf(t, pod1, "alice").PublicKey
			if err := entity.VerifyMigration(m, oldKey); err != nil {
				t.Errorf("the migration signature does not verify with the old identity's key: %v", err)
			}
		}
		if !found {
			t.Fatalf("pod3 received no account_migration")
		}
		// pod3 applied it: the old identity is closed, and carol's contact
		// with alice (who shared with her) is now with alicia.
		oldP, err := pod3.Store.PersonByDiasporaID(ctx, alice.id())
		if err != nil || !oldP.ClosedAccount {
			t.Errorf("pod3's alice after the migration: %+v, %v; want closed", oldP, err)
		}
		newP, err := pod3.Store.PersonByDiasporaID(ctx, alicia.id())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pod3.Store.ContactOf(ctx, carol.s.UserID, newP.ID); err != nil {
			t.Errorf("carol's contact did not move to alicia: %v", err)
		}
		if _, err := pod3.Store.ContactOf(ctx, carol.s.UserID, oldP.ID); err == nil {
			t.Error("carol still has a contact with the old identity")
		}
		// pod1, which alice left, locks her account there (her old
		// identity's contacts there, frank's, move to alicia).
		podtest.Eventually(t, wait, func() bool {
			return strings.Contains(pod1.Log.String(), "account migration applied")
		}, "pod1 to apply alice's move away")
		if u, err := pod1.Store.UserByUsername(ctx, "alice"); err != nil || !u.Locked {
			t.Errorf("alice's account on pod1 after she moved away: %+v, %v; want locked", u, err)
		}
	})

	t.Run("a second import of the same archive is refused", func(t *testing.T) {
		other := newUser(t, pod2, "alicia2")
		err := pod2.App.Federate.QueueImport(ctx, other.s, bytes.NewReader(gz))
		var inv *pod.InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("second import: %v, want an InvalidError", err)
		}
		if st, err := pod2.App.Federate.ImportStatus(ctx, other.s); err != nil || st.State != "" {
			t.Errorf("the refused import was queued: %+v %v", st, err)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
