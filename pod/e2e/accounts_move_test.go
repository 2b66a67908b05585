package e2e

import (
	"context"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// Receiving account_migration (§4.19, §7.6): the vectors' alice@pod-a.org
// moves to alice@pod-c.org. Their pods are remotes the test cannot run, so
// a recording server that accepts everything stands in for them.

// aspectNames lists the names of the aspects userID put personID in.
func aspectNames(t *testing.T, p *podtest.FedPod, userID, personID int64) string {
	t.Helper()
	var names string
	if err := p.Store.Scalar(context.Background(), &names, `SELECT COALESCE(string_agg(a.name, ',' ORDER BY a.name), '')
		FROM contacts c JOIN aspect_memberships am ON am.contact_id = c.id JOIN aspects a ON a.id = am.aspect_id
		WHERE c.user_id = ? AND c.person_id = ?`, userID, personID); err != nil {
		t.Fatal(err)
	}
	return names
}

// migrationScene is a pod whose users know alice@pod-a.org: carol has her
// in Friends (mutual), dave in Work and alice@pod-c.org already in Family;
// alice's public post (vector 01) is here, carol mentions her in a post
// and has a notification by her.
type migrationScene struct {
	p              *podtest.FedPod
	stub           *stubPod
	aliceA, aliceC identity
	oldP, newP     *models.Person
	carol, dave    *user
	mentionGUID    string
}

const vectorPostGUID = "1f2e3d4c5b6a79880123456789abcdef"

func newMigrationScene(t *testing.T, newLocal bool) *migrationScene {
	t.Helper()
	ctx := context.Background()
	sc := &migrationScene{p: newLanePod(t), stub: newStubPod(t),
		aliceA: vectorIdentity(t, "alice@pod-a.org"), aliceC: vectorIdentity(t, "alice@pod-c.org")}
	p := sc.p
	sc.oldP = seedRemote(t, p, sc.aliceA, "http://"+sc.stub.host+"/")
	sc.carol, sc.dave = newUser(t, p, "carol"), newUser(t, p, "dave")
	if newLocal {
		localUserAs(t, p, "alicec", sc.aliceC)
		np, err := p.Store.PersonByDiasporaID(ctx, sc.aliceC.ID)
		if err != nil {
			t.Fatal(err)
		}
		sc.newP = np
	} else {
		sc.newP = seedRemote(t, p, sc.aliceC, "http://"+sc.stub.host+"/")
	}
	add := func(u *user, aspect string, personID int64) {
		if _, err := p.App.Contacts.AddToAspect(ctx, u.s, u.aspects[aspect], personID); err != nil {
			t.Fatalf("%s adds %d to %s: %v", u.name, personID, aspect, err)
		}
	}
	add(sc.carol, "Friends", sc.oldP.ID)
	if err := p.Store.Exec(ctx, `UPDATE contacts SET sharing = true WHERE user_id = ? AND person_id = ?`, sc.carol.s.UserID, sc.oldP.ID); err != nil {
		t.Fatal(err)
	}
	add(sc.dave, "Work", sc.oldP.ID)
	add(sc.dave, "Family", sc.newP.ID)
	deliver(t, p, publicPath, vectorFile(t, "generated/01_status_message_public.envelope.xml"))
	mention, err := p.App.Posts.CreatePost(ctx, sc.carol.s, posts.PostInput{Text: "welcome @{Alice; alice@pod-a.org}",
		Audience: aspects.Selection{Aspects: []int64{sc.carol.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	sc.mentionGUID = mention.GUID
	if err := p.Store.Notify(ctx, sc.carol.s.UserID, models.NotifyStartedSharing, nil, &sc.oldP.ID, sc.oldP.ID); err != nil {
		t.Fatal(err)
	}
	settled(t, p)
	if n := count(t, p, `SELECT count(*) FROM mentions m JOIN posts po ON po.id = m.post_id WHERE po.guid = ? AND m.person_id = ?`, sc.mentionGUID, sc.oldP.ID); n != 1 {
		t.Fatalf("carol's post does not mention alice@pod-a.org before the move (%d)", n)
	}
	return sc
}

func TestAccountMigrationByOldIdentityRepointsEverything(t *testing.T) {
	ctx := context.Background()
	sc := newMigrationScene(t, false)
	p := sc.p
	before := len(sc.stub.requests())
	// The vector as diaspora* sends it: authored and sent by the old
	// identity, signature by the new one.
	body := signed(t, vectorPayload(t, "13_account_migration_by_old"), sc.aliceA)
	deliver(t, p, publicPath, body)
	noPanic(t, p)

	old, _ := p.Store.PersonByID(ctx, sc.oldP.ID)
	if !old.ClosedAccount {
		t.Fatal("the old identity is not closed after its migration")
	}
	if m, err := p.Store.MigrationOf(ctx, sc.oldP.ID); err != nil || m.NewPersonID != sc.newP.ID {
		t.Fatalf("migration record: %+v %v", m, err)
	}
	if n := count(t, p, `SELECT count(*) FROM contacts WHERE person_id = ?`, sc.oldP.ID); n != 0 {
		t.Errorf("%d contacts still point to the old identity", n)
	}
	c, err := p.Store.ContactOf(ctx, sc.carol.s.UserID, sc.newP.ID)
	if err != nil || !c.Sharing || !c.Receiving {
		t.Errorf("carol's contact with the new identity: %+v %v (want mutual, as with the old one)", c, err)
	}
	if got := aspectNames(t, p, sc.carol.s.UserID, sc.newP.ID); got != "Friends" {
		t.Errorf("carol has the new identity in %q, want Friends", got)
	}
	if got := aspectNames(t, p, sc.dave.s.UserID, sc.newP.ID); got != "Family,Work" {
		t.Errorf("dave has the new identity in %q, want Family,Work (his two contacts merged)", got)
	}
	if post, err := p.Store.PostByGUID(ctx, vectorPostGUID); err != nil || post.AuthorID != sc.newP.ID {
		t.Errorf("alice's old post: %+v %v, want it authored by the new identity", post, err)
	}
	if n := count(t, p, `SELECT count(*) FROM mentions m JOIN posts po ON po.id = m.post_id WHERE po.guid = ? AND m.person_id = ?`, sc.mentionGUID, sc.newP.ID); n != 1 {
		t.Error("carol's mention of alice does not point to the new identity")
	}
	if n := count(t, p, `SELECT count(*) FROM notification_actors WHERE person_id = ?`, sc.newP.ID); n != 1 {
		t.Error("carol's notification does not name the new identity")
	}
	if n := count(t, p, `SELECT count(*) FROM post_audiences WHERE person_id = ?`, sc.oldP.ID); n != 0 {
		t.Error("the audience of carol's limited post still names the old identity")
	}
	// The new identity's pod hears from carol and dave, who share with it.
	podtest.Eventually(t, wait, func() bool {
		n := 0
		for _, r := range sc.stub.requests()[before:] {
			if r == "POST /receive/users/"+sc.aliceC.GUID {
				n++
			}
		}
		return n >= 2
	}, "carol's and dave's contact entities to reach alice@pod-c.org")
	// Her old page and her old address lead to the new identity.
	r := p.Client().Get("/people/" + sc.oldP.GUID)
	if r.StatusCode != http.StatusMovedPermanently || r.Location() != "/people/"+sc.newP.GUID {
		t.Errorf("old profile page: %d %s, want a permanent redirect to the new one", r.StatusCode, r.Location())
	}
	found, err := p.App.Contacts.SearchPeople(ctx, sc.carol.s, sc.aliceA.ID)
	if err != nil || len(found) != 1 || found[0].ID != sc.newP.ID {
		t.Errorf("searching the old address finds %+v %v, want the new identity", found, err)
	}

	// The same migration again changes nothing.
	counts := tableCounts(t, p)
	logAt := len(p.Log.String())
	deliver(t, p, publicPath, body)
	if d := countsDiff(counts, tableCounts(t, p)); d != "" {
		t.Errorf("receiving the migration twice changed: %s", d)
	}
	if len(logLines(p, logAt, "already applied")) == 0 {
		t.Errorf("the second copy was not recognised as applied; log:\n%s", p.Log.String()[logAt:])
	}
}

func TestAccountMigrationByNewIdentity(t *testing.T) {
	ctx := context.Background()
	sc := newMigrationScene(t, false)
	// Authored and sent by the new identity, old_identity named, signature
	// by the old one.
	deliver(t, sc.p, publicPath, signed(t, vectorPayload(t, "13_account_migration_by_new"), sc.aliceC))
	if got := aspectNames(t, sc.p, sc.carol.s.UserID, sc.newP.ID); got != "Friends" {
		t.Errorf("carol has the new identity in %q, want Friends", got)
	}
	if old, _ := sc.p.Store.PersonByID(ctx, sc.oldP.ID); !old.ClosedAccount {
		t.Error("the old identity is not closed")
	}
}

// migrationPayload builds an account_migration with the federation
// library: by the old identity, to newID, signed with key.
func migrationPayload(t *testing.T, oldID, newID string, key *rsa.PrivateKey) []byte {
	t.Helper()
	m := &entity.AccountMigration{Author: oldID, Profile: &entity.Profile{Author: newID, FirstName: "Alice", Searchable: true}}
	if err := entity.SignMigration(m, key); err != nil {
		t.Fatal(err)
	}
	b, err := entity.MarshalXML(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAccountMigrationForgedChangesNothing(t *testing.T) {
	sc := newMigrationScene(t, false)
	p := sc.p
	counts := tableCounts(t, p)
	logAt := len(p.Log.String())
	// Signed by the old identity itself instead of the new one: anyone
	// holding a key could otherwise claim someone else's identity.
	deliver(t, p, publicPath, signed(t, migrationPayload(t, sc.aliceA.ID, sc.aliceC.ID, sc.aliceA.Key), sc.aliceA))
	// And one whose envelope is signed by a stranger.
	bob := vectorIdentity(t, "bob@pod-b.org")
	seedRemote(t, p, bob, "http://"+sc.stub.host+"/")
	counts = tableCounts(t, p)
	deliver(t, p, publicPath, signed(t, migrationPayload(t, sc.aliceA.ID, sc.aliceC.ID, sc.aliceC.Key), bob))
	if d := countsDiff(counts, tableCounts(t, p)); d != "" {
		t.Errorf("forged migrations changed: %s", d)
	}
	drops := dropLines(p, logAt)
	if len(drops) != 2 || !strings.Contains(drops[0], "signature") || !strings.Contains(drops[1], "sender") {
		t.Errorf("want two drops saying why (signature, sender), got:\n%s", strings.Join(drops, "\n"))
	}
	if old, _ := p.Store.PersonByID(context.Background(), sc.oldP.ID); old.ClosedAccount {
		t.Error("a forged migration closed the old identity")
	}
}

// TestAccountMigrationOfLocalUserMovesAway: one of our users (alicea,
// alice@pod-a.org) moved to another pod, which tells us with a migration
// signed by her key (vector 13, as diaspora* sends it): her account here is
// locked and her sessions end, her person is closed, and carol's contact
// with her and her post move to the new identity, as diaspora* does.
func TestAccountMigrationOfLocalUserMovesAway(t *testing.T) {
	ctx := context.Background()
	p := newLanePod(t)
	aliceA, aliceC := vectorIdentity(t, "alice@pod-a.org"), vectorIdentity(t, "alice@pod-c.org")
	stub := newStubPod(t)
	alice := localUserAs(t, p, "alicea", aliceA)
	newP := seedRemote(t, p, aliceC, "http://"+stub.host+"/")
	carol := newUser(t, p, "carol")
	if _, err := p.App.Contacts.AddToAspect(ctx, carol.s, carol.aspects["Friends"], alice.s.PersonID); err != nil {
		t.Fatal(err)
	}
	post, err := p.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "before I move", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, p)
	deliver(t, p, publicPath, signed(t, vectorPayload(t, "13_account_migration_by_old"), aliceA))
	noPanic(t, p)

	old, _ := p.Store.PersonByID(ctx, alice.s.PersonID)
	if !old.ClosedAccount {
		t.Fatalf("alicea's person is not closed after she moved away; log:\n%s", p.Log.String())
	}
	if u, _ := p.Store.UserByID(ctx, alice.s.UserID); !u.Locked {
		t.Error("alicea's account is not locked after she moved away")
	}
	if _, _, err := p.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: "alicea", Password: "password1", ClientIP: "10.9.9.9"}); err == nil {
		t.Error("alicea can still sign in after she moved away")
	}
	if got := aspectNames(t, p, carol.s.UserID, newP.ID); got != "Friends" {
		t.Errorf("carol has alice@pod-c.org in %q, want Friends (her contact moved)", got)
	}
	if n := count(t, p, `SELECT count(*) FROM posts WHERE guid = ? AND author_id = ?`, post.GUID, newP.ID); n != 1 {
		t.Errorf("alicea's post did not move to the new identity (%d)", n)
	}
}

func TestAccountMigrationToLocalUserMovesContactsOnly(t *testing.T) {
	ctx := context.Background()
	sc := newMigrationScene(t, true)
	deliver(t, sc.p, publicPath, signed(t, vectorPayload(t, "13_account_migration_by_old"), sc.aliceA))
	if got := aspectNames(t, sc.p, sc.carol.s.UserID, sc.newP.ID); got != "Friends" {
		t.Errorf("carol has the imported user in %q, want Friends", got)
	}
	if c, err := sc.p.Store.ContactOf(ctx, sc.carol.s.UserID, sc.newP.ID); err != nil || !c.Sharing || !c.Receiving {
		t.Errorf("carol's contact with the imported user: %+v %v", c, err)
	}
	if post, _ := sc.p.Store.PostByGUID(ctx, vectorPostGUID); post.AuthorID != sc.oldP.ID {
		t.Error("the old identity's copy of a post was given to the local user (only contacts move to a local identity)")
	}
	if n := count(t, sc.p, `SELECT count(*) FROM contacts c JOIN people p ON p.owner_id = c.user_id WHERE p.id = ? AND c.person_id = ?`, sc.newP.ID, sc.newP.ID); n != 0 {
		t.Error("the imported user became their own contact")
	}
}
