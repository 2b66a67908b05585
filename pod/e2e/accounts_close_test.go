package e2e

import (
	"context"
	"crypto/rsa"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
)

// privateKeyOf opens the private key of a local user of p.
func privateKeyOf(t *testing.T, p *podtest.FedPod, username string) *rsa.PrivateKey {
	t.Helper()
	u, err := p.Store.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := models.NewKeySealer(podtest.Secret)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sealer.Open(u.SerializedPrivateKey)
	if err != nil {
		t.Fatalf("key of %s: %v", username, err)
	}
	return key
}

// TestAccountMovesBetweenPods: bob moves from pod2 to pod3 (bobby there,
// as an import would make him); pod1, where alice shares with bob,
// receives the account_migration as diaspora* sends it (by the old
// identity, signed by the new one), discovers bobby on pod3 and shows him
// in alice's aspect with bob's old posts; pod3 hears that alice shares
// with bobby.
func TestAccountMovesBetweenPods(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "mv1", 11, fast)
	pod2 := podtest.NewFedPod(t, "mv2", 12, fast)
	pod3 := podtest.NewFedPod(t, "mv3", 13, fast)
	alice, bob, bobby := newUser(t, pod1, "alice"), newUser(t, pod2, "bob"), newUser(t, pod3, "bobby")
	alice.share(t, "Friends", bob)
	bob.share(t, "Family", alice)
	settled(t, pod1, pod2, pod3)
	old, err := pod2.App.Posts.CreatePost(ctx, bob.s, posts.PostInput{Text: "written before moving", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	mention, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "hello @{Bob; " + bob.id() + "}",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	if _, err := pod1.Store.PersonByDiasporaID(ctx, bobby.id()); err == nil {
		t.Fatal("pod1 knows bobby before the move: the test would not show discovery")
	}
	if _, err := postOn(pod1, old.GUID); err != nil {
		t.Fatalf("bob's post did not reach pod1: %v", err)
	}

	payload := migrationPayload(t, bob.id(), bobby.id(), privateKeyOf(t, pod3, "bobby"))
	deliver(t, pod1, publicPath, signed(t, payload, identity{ID: bob.id(), Key: privateKeyOf(t, pod2, "bob")}))
	settled(t, pod1, pod2, pod3)
	noPanic(t, pod1)

	bobbyOn1, err := pod1.Store.PersonByDiasporaID(ctx, bobby.id())
	if err != nil {
		t.Fatalf("pod1 did not discover the new identity: %v", err)
	}
	if got := aspectNames(t, pod1, alice.s.UserID, bobbyOn1.ID); got != "Friends" {
		t.Errorf("alice has bobby in %q, want Friends", got)
	}
	if c, err := pod1.Store.ContactOf(ctx, alice.s.UserID, bobbyOn1.ID); err != nil || !c.Sharing || !c.Receiving {
		t.Errorf("alice's contact with bobby: %+v %v, want mutual as with bob", c, err)
	}
	guids := pod1.StreamGUIDs(t, alice.s, streams.StreamQuery{Kind: streams.StreamPerson, PersonGUID: bobbyOn1.GUID})
	if !slices.Contains(guids, old.GUID) {
		t.Errorf("bobby's page on pod1 lacks bob's old post %s: %v", old.GUID, guids)
	}
	if n := count(t, pod1, `SELECT count(*) FROM mentions m JOIN posts p ON p.id = m.post_id WHERE p.guid = ? AND m.person_id = ?`, mention.GUID, bobbyOn1.ID); n != 1 {
		t.Error("alice's mention of bob does not point to bobby")
	}
	if r := pod1.Client().Get("/people/" + bob.s.GUID); r.StatusCode != http.StatusMovedPermanently || r.Location() != "/people/"+bobbyOn1.GUID {
		t.Errorf("bob's old page on pod1: %d %s, want a redirect to bobby's", r.StatusCode, r.Location())
	}
	// pod3 learns from pod1 that alice shares with bobby.
	podtest.Eventually(t, wait, func() bool {
		a, err := pod3.Store.PersonByDiasporaID(ctx, alice.id())
		if err != nil {
			return false
		}
		c, err := pod3.Store.ContactOf(ctx, bobby.s.UserID, a.ID)
		return err == nil && c.Sharing
	}, "pod3 to record that alice shares with bobby")
}

// TestAccountDeletionFederates: alice closes her account on pod1 with the
// settings form; pod2 closes her too, deleting her posts and bob's contact
// with her; nothing of her limited post stays readable on either pod; her
// name cannot be registered again; a late post signed with her old key
// changes nothing.
func TestAccountDeletionFederates(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "del1", 11, fast)
	pod2 := podtest.NewFedPod(t, "del2", 12, fast)
	alice, frank, bob := newUser(t, pod1, "alice"), newUser(t, pod1, "frank"), newUser(t, pod2, "bob")
	alice.share(t, "Friends", bob)
	bob.share(t, "Friends", alice)
	if _, err := pod1.App.Contacts.AddToAspect(ctx, alice.s, alice.aspects["Friends"], frank.s.PersonID); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	limited, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "for my friends only",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	public, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "hello world", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	bobPost, err := pod2.App.Posts.CreatePost(ctx, bob.s, posts.PostInput{Text: "bob's public post", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if _, err := pod1.App.Posts.Comment(ctx, alice.s, bobPost.GUID, "alice was here"); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	for _, g := range []string{limited.GUID, public.GUID} {
		if _, err := pod2.App.Posts.Post(ctx, bob.s, g); err != nil {
			t.Fatalf("bob cannot read alice's post %s before: %v", g, err)
		}
	}
	aliceKey := privateKeyOf(t, pod1, "alice")
	aliceOn2, err := pod2.Store.PersonByDiasporaID(ctx, alice.id())
	if err != nil {
		t.Fatal(err)
	}

	c := pod1.Client()
	if r := c.SignIn("alice", "password1", false); r.StatusCode != http.StatusFound {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	r := c.Post("/user", url.Values{"_method": {"delete"}, "user[current_password]": {"password1"}})
	if r.StatusCode != http.StatusFound {
		t.Fatalf("close account: %d %s", r.StatusCode, r.Body)
	}
	settled(t, pod1, pod2)
	podtest.Eventually(t, wait, func() bool {
		p, err := pod2.Store.PersonByID(ctx, aliceOn2.ID)
		return err == nil && p.ClosedAccount
	}, "pod2 to close alice")
	settled(t, pod1, pod2)

	t.Run("pod2 deleted her posts and contacts", func(t *testing.T) {
		for _, g := range []string{limited.GUID, public.GUID} {
			if _, err := postOn(pod2, g); err == nil {
				t.Errorf("alice's post %s is still on pod2", g)
			}
			if _, err := pod2.App.Posts.Post(ctx, bob.s, g); err == nil {
				t.Errorf("bob can still read alice's post %s", g)
			}
		}
		if n := count(t, pod2, `SELECT count(*) FROM contacts WHERE person_id = ?`, aliceOn2.ID); n != 0 {
			t.Errorf("%d contacts with alice left on pod2", n)
		}
		if n := count(t, pod2, `SELECT count(*) FROM posts WHERE author_id = ?`, aliceOn2.ID); n != 0 {
			t.Errorf("%d posts of alice left on pod2", n)
		}
		if n := count(t, pod2, `SELECT count(*) FROM comments WHERE author_id = ?`, aliceOn2.ID); n != 1 {
			t.Errorf("alice's comment on bob's post: %d rows, want 1 (kept, as on diaspora*)", n)
		}
		cs, err := pod2.App.Posts.Comments(ctx, bob.s, bobPost.GUID)
		if err != nil || len(cs) != 1 || cs[0].Author.Name != pod.DeletedAccountName {
			t.Errorf("bob's post shows alice's comment as %+v %v, want it from a %q", cs, err, pod.DeletedAccountName)
		}
	})
	t.Run("pod1 kept nothing of her but her name", func(t *testing.T) {
		me, err := pod1.Store.PersonByDiasporaID(ctx, alice.id())
		if err != nil || !me.ClosedAccount {
			t.Fatalf("alice on pod1: %+v %v", me, err)
		}
		for q, want := range map[string]int64{
			`SELECT count(*) FROM posts WHERE author_id = ?`:                                                                              0,
			`SELECT count(*) FROM aspects WHERE user_id = (SELECT owner_id FROM people WHERE id = ?)`:                                     0,
			`SELECT count(*) FROM contacts WHERE user_id = (SELECT owner_id FROM people WHERE id = ?)`:                                    0,
			`SELECT count(*) FROM contacts WHERE person_id = ?`:                                                                           0,
			`SELECT count(*) FROM share_visibilities WHERE user_id = (SELECT owner_id FROM people WHERE id = ?)`:                          0,
			`SELECT count(*) FROM users WHERE id = (SELECT owner_id FROM people WHERE id = ?) AND serialized_private_key = '' AND locked`: 1,
			`SELECT count(*) FROM account_deletions WHERE person_id = ? AND completed_at IS NOT NULL`:                                     1,
		} {
			if n := count(t, pod1, q, me.ID); n != want {
				t.Errorf("%s: %d, want %d", q, n, want)
			}
		}
		if _, err := pod1.App.Posts.Post(ctx, frank.s, limited.GUID); err == nil {
			t.Error("frank can still read alice's limited post")
		}
		if slices.Contains(pod1.StreamGUIDs(t, frank.s, streams.StreamQuery{Kind: streams.StreamMain}), limited.GUID) {
			t.Error("alice's limited post is still in frank's stream")
		}
		_, err = pod1.App.Accounts.SignUp(ctx, accounts.SignUpInput{Username: "alice", Email: "alice2@example.org", Password: "password1", PasswordConfirmation: "password1"})
		if err == nil || !strings.Contains(err.Error(), "taken") {
			t.Errorf("signing up as alice again: %v, want 'already taken'", err)
		}
	})
	t.Run("a late delivery changes nothing", func(t *testing.T) {
		late := &entity.StatusMessage{Author: alice.id(), GUID: pod.NewGUID(), CreatedAt: time.Now().UTC().Truncate(time.Second),
			Public: true, Text: "back from the dead"}
		payload, err := entity.MarshalXML(late)
		if err != nil {
			t.Fatal(err)
		}
		logAt := len(pod2.Log.String())
		deliver(t, pod2, publicPath, signed(t, payload, identity{ID: alice.id(), Key: aliceKey}))
		if _, err := postOn(pod2, late.GUID); err == nil {
			t.Error("a post signed with the closed account's key was stored")
		}
		if len(dropLines(pod2, logAt)) != 1 {
			t.Errorf("the late post was not dropped with a reason:\n%s", pod2.Log.String()[logAt:])
		}
	})
}
