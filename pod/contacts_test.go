package pod_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
)

func relationOf(t *testing.T, p *podtest.Pod, who *actor, other *actor) string {
	t.Helper()
	rel, err := p.App.Relationship(context.Background(), who.s, other.s.GUID)
	if err != nil {
		t.Fatal(err)
	}
	return rel.Relationship
}

func TestSharingReceivingAndMutual(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := newActor(t, p, "alice"), newActor(t, p, "bob")

	m, err := p.App.AddToAspect(ctx, alice.s, alice.aspects["Friends"], bob.s.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	if got := relationOf(t, p, alice, bob); got != "receiving" {
		t.Errorf("alice→bob = %s, want receiving (alice shares with bob)", got)
	}
	if got := relationOf(t, p, bob, alice); got != "sharing" {
		t.Errorf("bob→alice = %s, want sharing", got)
	}
	// bob is told alice started sharing.
	list, _ := p.App.Notifications(ctx, bob.s, true, "started_sharing", 1, 10)
	if len(list.Items) != 1 || list.Items[0].Actors[0].GUID != alice.s.GUID {
		t.Errorf("started sharing notification: %+v", list.Items)
	}
	// bob's contacts page lists alice as "only sharing with me".
	only, _ := p.App.Contacts(ctx, bob.s, pod.ContactFilter{Set: "only_sharing"})
	if len(only) != 1 || only[0].PersonID != alice.s.PersonID {
		t.Errorf("bob's only_sharing = %+v", only)
	}
	// Adding to a second aspect keeps a single contact.
	if _, err := p.App.AddToAspect(ctx, alice.s, alice.aspects["Work"], bob.s.PersonID); err != nil {
		t.Fatal(err)
	}
	mine, _ := p.App.Contacts(ctx, alice.s, pod.ContactFilter{Set: "receiving"})
	if len(mine) != 1 || len(mine[0].AspectMemberships) != 2 {
		t.Errorf("alice's contacts = %+v", mine)
	}
	// bob shares back: mutual.
	if _, err := p.App.AddToAspect(ctx, bob.s, bob.aspects["Family"], alice.s.PersonID); err != nil {
		t.Fatal(err)
	}
	if relationOf(t, p, alice, bob) != "mutual" || relationOf(t, p, bob, alice) != "mutual" {
		t.Error("not mutual after both share")
	}
	// Removing from one aspect keeps sharing; from the last stops it.
	if _, err := p.App.RemoveFromAspect(ctx, alice.s, m.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if relationOf(t, p, alice, bob) != "mutual" {
		t.Error("removing from one of two aspects stopped sharing")
	}
	if _, err := p.App.RemoveFromAspect(ctx, alice.s, 0, alice.aspects["Work"], bob.s.PersonID); err != nil {
		t.Fatal(err)
	}
	if got := relationOf(t, p, alice, bob); got != "sharing" {
		t.Errorf("after leaving the last aspect alice→bob = %s, want sharing (bob still shares)", got)
	}
	if got := relationOf(t, p, bob, alice); got != "receiving" {
		t.Errorf("bob→alice = %s, want receiving", got)
	}
	// Someone else's membership ID is not found.
	if _, err := p.App.RemoveFromAspect(ctx, bob.s, m.ID, 0, 0); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("removing another user's membership: %v", err)
	}
}

func TestAutoFollowBack(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := newActor(t, p, "alice"), newActor(t, p, "bob")
	if err := p.App.UpdateSettings(ctx, bob.s.UserID, pod.UpdateSettingsInput{Email: "bob@example.org", AutoFollowBack: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.AddToAspect(ctx, alice.s, alice.aspects["Friends"], bob.s.PersonID); err != nil {
		t.Fatal(err)
	}
	if relationOf(t, p, bob, alice) != "mutual" {
		t.Errorf("bob did not follow back: %s", relationOf(t, p, bob, alice))
	}
}

func TestAspectsManagement(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := newActor(t, p, "alice"), newActor(t, p, "bob")
	as, err := p.App.CreateAspect(ctx, alice.s, "Climbing", bob.s.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.CreateAspect(ctx, alice.s, "CLIMBING", 0); err == nil {
		t.Error("duplicate name (other case) accepted")
	}
	if _, err := p.App.CreateAspect(ctx, alice.s, "123456789012345678901", 0); err == nil {
		t.Error("21-character name accepted")
	}
	if err := p.App.RenameAspect(ctx, alice.s, as.ID, "Bouldering"); err != nil {
		t.Fatal(err)
	}
	if err := p.App.RenameAspect(ctx, bob.s, as.ID, "Mine now"); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("renaming someone else's aspect: %v", err)
	}
	list, _ := p.App.Aspects(ctx, alice.s)
	if len(list) != 5 || list[4].Name != "Bouldering" {
		t.Fatalf("aspects = %+v", list)
	}
	// Reorder: last first.
	ids := []int64{list[4].ID, list[0].ID, list[1].ID, list[2].ID, list[3].ID}
	if err := p.App.OrderAspects(ctx, alice.s, ids); err != nil {
		t.Fatal(err)
	}
	list, _ = p.App.Aspects(ctx, alice.s)
	if list[0].Name != "Bouldering" {
		t.Errorf("order = %+v", list)
	}
	// Deleting bob's only aspect stops sharing with bob.
	if err := p.App.DeleteAspect(ctx, alice.s, as.ID); err != nil {
		t.Fatal(err)
	}
	if got := relationOf(t, p, bob, alice); got != "not_sharing" {
		t.Errorf("after deleting the aspect bob→alice = %s", got)
	}
	// Aspects are private: bob cannot read alice's aspect stream.
	if _, err := p.App.Stream(ctx, bob.s, pod.StreamQuery{Kind: pod.StreamAspects, AspectIDs: []int64{alice.aspects["Family"]}}); err == nil {
		t.Error("bob read alice's aspect stream")
	}
}

func TestStreamsPaginateWithoutGapsOrRepeats(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := newActor(t, p, "alice"), newActor(t, p, "bob")
	p.App.AddToAspect(ctx, bob.s, bob.aspects["Friends"], alice.s.PersonID)
	want := map[string]bool{}
	for i := 0; i < 37; i++ {
		pv, err := p.App.CreatePost(ctx, alice.s, pod.PostInput{Text: fmt.Sprintf("post %d", i), Audience: aspects.Selection{Public: true}})
		if err != nil {
			t.Fatal(err)
		}
		want[pv.GUID] = true
	}
	for _, kind := range []string{pod.StreamMain, pod.StreamPublic, pod.StreamPerson} {
		seen := map[string]bool{}
		q := pod.StreamQuery{Kind: kind, PersonGUID: alice.s.GUID}
		pages := 0
		for {
			page, err := p.App.Stream(ctx, bob.s, q)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(page.Posts) > 15 {
				t.Fatalf("%s page has %d posts", kind, len(page.Posts))
			}
			for _, pv := range page.Posts {
				if seen[pv.GUID] {
					t.Fatalf("%s repeats %s", kind, pv.GUID)
				}
				seen[pv.GUID] = true
			}
			if page.Next == "" {
				break
			}
			q.Before = page.Next
		}
		if len(seen) != len(want) || pages != 3 {
			t.Errorf("%s: %d posts in %d pages, want %d in 3", kind, len(seen), pages, len(want))
		}
	}
	if _, err := p.App.Stream(ctx, bob.s, pod.StreamQuery{Kind: pod.StreamMain, Before: "garbage"}); err == nil {
		t.Error("a bad cursor was accepted")
	}
}

func TestHideBlockAndTagsShapeTheMainStream(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol := newActor(t, p, "alice"), newActor(t, p, "bob"), newActor(t, p, "carol")
	p.App.AddToAspect(ctx, bob.s, bob.aspects["Friends"], alice.s.PersonID)
	one, _ := p.App.CreatePost(ctx, alice.s, pod.PostInput{Text: "one", Audience: aspects.Selection{Public: true}})
	two, _ := p.App.CreatePost(ctx, alice.s, pod.PostInput{Text: "two", Audience: aspects.Selection{Public: true}})
	tagged, _ := p.App.CreatePost(ctx, carol.s, pod.PostInput{Text: "I love #cheese", Audience: aspects.Selection{Public: true}})
	main := func() []string { return streamGUIDs(t, p, bob.s, pod.StreamQuery{Kind: pod.StreamMain}) }
	if g := main(); !contains(g, one.GUID) || !contains(g, two.GUID) || contains(g, tagged.GUID) {
		t.Fatalf("bob's stream = %v", g)
	}
	// Following a tag brings carol's tagged post (written before) in.
	if _, _, err := p.App.FollowTag(ctx, bob.s, "#Cheese"); err != nil {
		t.Fatal(err)
	}
	if !contains(main(), tagged.GUID) || !contains(streamGUIDs(t, p, bob.s, pod.StreamQuery{Kind: pod.StreamFollowedTags}), tagged.GUID) {
		t.Error("followed tag's post missing")
	}
	if err := p.App.UnfollowTag(ctx, bob.s, "cheese"); err != nil {
		t.Fatal(err)
	}
	if contains(main(), tagged.GUID) {
		t.Error("unfollowed tag's post still in the stream")
	}
	// Hiding one post removes it from the stream only.
	if err := p.App.HidePost(ctx, bob.s, one.GUID, true); err != nil {
		t.Fatal(err)
	}
	if contains(main(), one.GUID) || !contains(main(), two.GUID) {
		t.Error("hide did not work")
	}
	if _, err := p.App.Post(ctx, bob.s, one.GUID); err != nil {
		t.Error("a hidden post cannot be opened")
	}
	// Blocking alice removes her posts from every stream of bob's.
	if _, err := p.App.Block(ctx, bob.s, alice.s.PersonID); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{pod.StreamMain, pod.StreamPublic, pod.StreamActivity} {
		if contains(streamGUIDs(t, p, bob.s, pod.StreamQuery{Kind: k}), two.GUID) {
			t.Errorf("blocked author's post in %s", k)
		}
	}
	if relationOf(t, p, alice, bob) != "not_sharing" {
		t.Error("block did not disconnect")
	}
	if _, err := p.App.AddToAspect(ctx, bob.s, bob.aspects["Friends"], alice.s.PersonID); err == nil {
		t.Error("could add an ignored person to an aspect")
	}
	blocks, _ := p.App.Blocks(ctx, bob.s)
	if len(blocks) != 1 || blocks[0].Person.GUID != alice.s.GUID {
		t.Errorf("privacy page list = %+v", blocks)
	}
	if err := p.App.Unblock(ctx, alice.s, blocks[0].ID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("unblocking someone else's block: %v", err)
	}
	if err := p.App.Unblock(ctx, bob.s, blocks[0].ID); err != nil {
		t.Fatal(err)
	}
}

func TestNotifications(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol := newActor(t, p, "alice"), newActor(t, p, "bob"), newActor(t, p, "carol")
	p.App.AddToAspect(ctx, alice.s, alice.aspects["Friends"], bob.s.PersonID)
	pub, _ := p.App.CreatePost(ctx, alice.s, pod.PostInput{Text: "hey @{bob; bob@pod.test} and @{carol; carol@pod.test}", Audience: aspects.Selection{Public: true}})
	lim, _ := p.App.CreatePost(ctx, alice.s, pod.PostInput{Text: "psst @{carol; carol@pod.test}", Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	types := func(a *actor) map[string]int {
		list, err := p.App.Notifications(ctx, a.s, false, "", 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, n := range list.Items {
			out[n.Type+":"+n.TargetGUID]++
		}
		return out
	}
	if got := types(carol); got["mentioned:"+pub.GUID] != 1 || got["mentioned:"+lim.GUID] != 0 {
		t.Errorf("carol's notifications = %v (must not hear of the limited post)", got)
	}
	// bob comments, carol comments: alice gets comment_on_post grouped, bob also_commented.
	p.App.Comment(ctx, bob.s, pub.GUID, "first")
	p.App.Comment(ctx, carol.s, pub.GUID, "second")
	list, _ := p.App.Notifications(ctx, alice.s, true, "comment_on_post", 1, 10)
	if len(list.Items) != 1 || len(list.Items[0].Actors) != 2 {
		t.Errorf("grouped comment notification = %+v", list.Items)
	}
	if got := types(bob); got["also_commented:"+pub.GUID] != 1 {
		t.Errorf("bob's notifications = %v", got)
	}
	n, _ := p.App.UnreadNotifications(ctx, alice.s)
	if n == 0 {
		t.Fatal("no unread notifications for alice")
	}
	if err := p.App.MarkNotification(ctx, bob.s, list.Items[0].ID, false); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("marking someone else's notification: %v", err)
	}
	if err := p.App.ReadAllNotifications(ctx, alice.s, ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.App.UnreadNotifications(ctx, alice.s); n != 0 {
		t.Errorf("unread after read all: %d", n)
	}
	// Opening a post marks its notifications read.
	p.App.Like(ctx, bob.s, pub.GUID, 0)
	if n, _ := p.App.UnreadNotifications(ctx, alice.s); n != 1 {
		t.Fatalf("unread after like: %d", n)
	}
	p.App.Post(ctx, alice.s, pub.GUID)
	if n, _ := p.App.UnreadNotifications(ctx, alice.s); n != 0 {
		t.Errorf("unread after opening the post: %d", n)
	}
}
