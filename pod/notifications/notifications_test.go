package notifications_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

func TestNotifications(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID)
	pub, _ := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "hey @{bob; bob@pod.test} and @{carol; carol@pod.test}", Audience: aspects.Selection{Public: true}})
	lim, _ := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "psst @{carol; carol@pod.test}", Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	types := func(a *podtest.User) map[string]int {
		list, err := p.App.Notifications.Notifications(ctx, a.Session, false, "", 1, 50)
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
	p.App.Posts.Comment(ctx, bob.Session, pub.GUID, "first")
	p.App.Posts.Comment(ctx, carol.Session, pub.GUID, "second")
	list, _ := p.App.Notifications.Notifications(ctx, alice.Session, true, "comment_on_post", 1, 10)
	if len(list.Items) != 1 || len(list.Items[0].Actors) != 2 {
		t.Errorf("grouped comment notification = %+v", list.Items)
	}
	if got := types(bob); got["also_commented:"+pub.GUID] != 1 {
		t.Errorf("bob's notifications = %v", got)
	}
	n, _ := p.App.Notifications.UnreadNotifications(ctx, alice.Session)
	if n == 0 {
		t.Fatal("no unread notifications for alice")
	}
	if err := p.App.Notifications.MarkNotification(ctx, bob.Session, list.Items[0].ID, false); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("marking someone else's notification: %v", err)
	}
	if err := p.App.Notifications.ReadAllNotifications(ctx, alice.Session, ""); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.App.Notifications.UnreadNotifications(ctx, alice.Session); n != 0 {
		t.Errorf("unread after read all: %d", n)
	}
	// Opening a post marks its notifications read.
	p.App.Posts.Like(ctx, bob.Session, pub.GUID, 0)
	if n, _ := p.App.Notifications.UnreadNotifications(ctx, alice.Session); n != 1 {
		t.Fatalf("unread after like: %d", n)
	}
	p.App.Posts.Post(ctx, alice.Session, pub.GUID)
	if n, _ := p.App.Notifications.UnreadNotifications(ctx, alice.Session); n != 0 {
		t.Errorf("unread after opening the post: %d", n)
	}
}
