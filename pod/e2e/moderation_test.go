package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/moderation"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
)

// staff returns a copy of u's session with the admin role, as a session
// of an admin signed in after the role was granted carries it.
func staff(u *user) *pod.Session {
	s := *u.s
	s.Admin = true
	return &s
}

// TestBlockedPod blocks a remote pod's domain: nothing is delivered to it
// any more (its request log stays empty), what it delivers changes nothing
// here, its people leave search and streams, and contacts with them are
// kept; lifting the block brings them back and deliveries resume.
// The test pods all listen on 127.0.0.1, so the block names the pod's
// host with its port, which a domain rule may do.
func TestBlockedPod(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "blk1", 11, fast)
	pod2 := podtest.NewFedPod(t, "blk2", 12, fast)
	alice, bob := newUser(t, pod1, "alice"), newUser(t, pod2, "bob")
	alice.share(t, "Friends", bob)
	bob.share(t, "Friends", alice)
	settled(t, pod1, pod2)
	first, err := pod2.App.Posts.CreatePost(ctx, bob.s, posts.PostInput{Text: "before the block", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if !streamHas(t, pod1, alice, first.GUID) {
		t.Fatal("alice does not have bob's post before the block")
	}
	contactsBefore := count(t, pod1, `SELECT count(*) FROM contacts c JOIN people pe ON pe.id = c.person_id WHERE pe.diaspora_id = ?`, bob.id())

	admin := staff(alice)
	if err := pod1.App.Federate.BlockPod(ctx, admin, federate.BlockInput{Domain: pod2.Addr, Subdomains: true, Severity: models.SeverityBlock, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if err := pod1.App.Federate.BlockPod(ctx, &pod.Session{UserID: alice.s.UserID}, federate.BlockInput{Domain: "x.example"}); !pod.IsNotFound(err) {
		t.Errorf("a user who is not an admin blocks a pod: %v", err)
	}
	from := len(pod2.Requests())

	// The audience preview of alice's Friends no longer names bob: a
	// post to them would not reach him.
	if preview, err := pod1.App.Posts.AudiencePreview(ctx, alice.s, aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}); err != nil || len(preview) != 0 {
		t.Errorf("the audience preview of Friends while bob's pod is blocked: %+v, %v; want nobody", preview, err)
	}

	// Nothing goes out to it: a public post, a limited post to an aspect
	// with bob in it, a comment on bob's post.
	pub, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "public while blocked", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "for friends while blocked", Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}}); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if got := receivePosts(pod2, from); len(got) != 0 {
		t.Errorf("the blocked pod received %d deliveries, e.g. %s", len(got), got[0].Path)
	}
	if _, err := postOn(pod2, pub.GUID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the blocked pod has alice's post: %v", err)
	}

	// What it sends changes nothing (it got 202, the job dropped it).
	during, err := pod2.App.Posts.CreatePost(ctx, bob.s, posts.PostInput{Text: "from the blocked pod", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if _, err := postOn(pod1, during.GUID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a post from the blocked pod was stored: %v", err)
	}
	if !strings.Contains(pod1.Log.String(), "its pod is blocked") {
		t.Error("the drop is not logged")
	}
	// Its people leave search and streams; the contact stays.
	if res, err := pod1.App.Contacts.SearchPeople(ctx, alice.s, "bob"); err != nil || len(res) != 0 {
		t.Errorf("search finds people of the blocked pod: %v %+v", err, res)
	}
	if _, err := pod1.App.Contacts.SearchPeople(ctx, alice.s, bob.id()); err == nil {
		t.Error("searching a blocked pod's person by diaspora ID finds them")
	}
	if streamHas(t, pod1, alice, first.GUID) {
		t.Error("the blocked pod's post is still in alice's stream")
	}
	if n := count(t, pod1, `SELECT count(*) FROM contacts c JOIN people pe ON pe.id = c.person_id WHERE pe.diaspora_id = ?`, bob.id()); n != contactsBefore || n == 0 {
		t.Errorf("contacts with the blocked pod's people: %d, before the block %d", n, contactsBefore)
	}

	// Unblocking restores the stream and the contact, and delivery resumes.
	if err := pod1.App.Federate.UnblockPod(ctx, admin, pod2.Addr); err != nil {
		t.Fatal(err)
	}
	if !streamHas(t, pod1, alice, first.GUID) {
		t.Error("after the block is lifted bob's post is not back in alice's stream")
	}
	if res, err := pod1.App.Contacts.SearchPeople(ctx, alice.s, "bob"); err != nil || len(res) != 1 {
		t.Errorf("after the block is lifted search does not find bob: %v %+v", err, res)
	}
	after, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "after the block, friends only", Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if !streamHas(t, pod2, bob, after.GUID) {
		t.Error("bob does not get alice's limited post once the block is lifted")
	}
	if rel := relationshipOn(t, pod1, alice, bob); rel != "mutual" {
		t.Errorf("alice and bob after the block: %q", rel)
	}
}

func relationshipOn(t *testing.T, p *podtest.FedPod, u, other *user) string {
	t.Helper()
	person := mustPerson(t, p, other.id())
	c, err := p.Store.ContactOf(context.Background(), u.s.UserID, person)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.Sharing && c.Receiving:
		return "mutual"
	case c.Receiving:
		return "receiving"
	case c.Sharing:
		return "sharing"
	}
	return ""
}

// TestSilencedPod: a silenced pod's public posts leave the public stream,
// while contacts with its people keep working.
func TestSilencedPod(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "sil1", 11, fast)
	pod2 := podtest.NewFedPod(t, "sil2", 12, fast)
	alice, bob := newUser(t, pod1, "alice"), newUser(t, pod2, "bob")
	alice.share(t, "Friends", bob)
	settled(t, pod1, pod2)
	before, err := pod2.App.Posts.CreatePost(ctx, bob.s, posts.PostInput{Text: "public before", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if !streamKindHas(t, pod1, alice, streams.StreamPublic, before.GUID) {
		t.Fatal("bob's public post is not in the public stream before the silence")
	}
	if err := pod1.App.Federate.BlockPod(ctx, staff(alice), federate.BlockInput{Domain: pod2.Addr, Severity: models.SeveritySilence}); err != nil {
		t.Fatal(err)
	}
	during, err := pod2.App.Posts.CreatePost(ctx, bob.s, posts.PostInput{Text: "public while silenced", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	for _, g := range []string{before.GUID, during.GUID} {
		if streamKindHas(t, pod1, alice, streams.StreamPublic, g) {
			t.Errorf("the silenced pod's public post %s is in the public stream", g)
		}
		if !streamHas(t, pod1, alice, g) {
			t.Errorf("alice (follows bob) does not get his post %s while his pod is silenced", g)
		}
	}
	if err := pod1.App.Federate.UnblockPod(ctx, staff(alice), pod2.Addr); err != nil {
		t.Fatal(err)
	}
	if !streamKindHas(t, pod1, alice, streams.StreamPublic, during.GUID) {
		t.Error("the post is not back in the public stream once the silence is lifted")
	}
}

// TestReportedPostDeletedEverywhere: dave reports alice's public post; a
// moderator of her pod deletes it, and it disappears on the two other pods
// that had it (the retraction goes out as alice's own would).
func TestReportedPostDeletedEverywhere(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "rep1", 11, fast)
	pod2 := podtest.NewFedPod(t, "rep2", 12, fast)
	pod3 := podtest.NewFedPod(t, "rep3", 13, fast)
	alice, dave, mod := newUser(t, pod1, "alice"), newUser(t, pod1, "dave"), newUser(t, pod1, "molly")
	bob, carol := newUser(t, pod2, "bob"), newUser(t, pod3, "carol")
	bob.share(t, "Friends", alice)
	carol.share(t, "Friends", alice)
	settled(t, pod1, pod2, pod3)
	post, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "something against the rules", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	for _, p := range []*podtest.FedPod{pod2, pod3} {
		if _, err := postOn(p, post.GUID); err != nil {
			t.Fatalf("%s did not get the post: %v", p.Name, err)
		}
	}
	if err := pod1.App.Moderation.Report(ctx, dave.s, moderation.ReportInput{ItemType: moderation.ItemPost, ItemID: post.GUID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	if err := pod1.App.Moderation.SetRoleByName(ctx, "molly", moderation.RoleModerator, true); err != nil {
		t.Fatal(err)
	}
	ms := *mod.s
	ms.Moderator = true
	page, err := pod1.App.Moderation.Reports(ctx, &ms, false, "")
	if err != nil || len(page.Reports) != 1 {
		t.Fatalf("the moderator's queue: %v %+v", err, page)
	}
	if err := pod1.App.Moderation.DeleteReported(ctx, &ms, page.Reports[0].ID); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	for _, p := range []*podtest.FedPod{pod1, pod2, pod3} {
		if _, err := postOn(p, post.GUID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s still has the deleted post: %v", p.Name, err)
		}
	}
}
