package pod_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
)

func TestLimitedPostReachesOnlyItsAudience(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")

	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	// carol is in alice's Work aspect, not Friends.
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Work"], carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	// bob and carol both share back, so alice's posts would show in their streams.
	p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID)
	p.App.Contacts.AddToAspect(ctx, carol.Session, carol.Aspects["Friends"], alice.Session.PersonID)

	preview, err := p.App.Posts.AudiencePreview(ctx, alice.Session, aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}})
	if err != nil || len(preview) != 1 || preview[0].ID != bob.Session.PersonID {
		t.Fatalf("audience preview = %+v, %v; want only bob", preview, err)
	}

	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{
		Text:     "secret plans #party @{Bob; bob@pod.test} @{Carol; carol@pod.test}",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(post.Text, "carol@pod.test") || !strings.Contains(post.Text, "bob@pod.test") {
		t.Errorf("mentions not limited to the audience: %q", post.Text)
	}

	for _, who := range []*podtest.User{alice, bob} {
		if !slices.Contains(p.StreamGUIDs(t, who.Session, streams.StreamQuery{Kind: streams.StreamMain}), post.GUID) {
			t.Errorf("%s does not see the post in the stream", who.Session.Username)
		}
		if _, err := p.App.Posts.Post(ctx, who.Session, post.GUID); err != nil {
			t.Errorf("%s cannot open the post: %v", who.Session.Username, err)
		}
	}
	for _, s := range []*pod.Session{carol.Session, nil} {
		name := "signed out"
		if s != nil {
			name = s.Username
		}
		if _, err := p.App.Posts.Post(ctx, s, post.GUID); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("%s opens the post: %v", name, err)
		}
		for _, q := range []streams.StreamQuery{{Kind: streams.StreamPublic}, {Kind: streams.StreamTag, Tag: "party"}, {Kind: streams.StreamPerson, PersonGUID: alice.Session.GUID}} {
			if slices.Contains(p.StreamGUIDs(t, s, q), post.GUID) {
				t.Errorf("%s sees the post in %s", name, q.Kind)
			}
		}
		if s != nil {
			for _, k := range []string{streams.StreamMain, streams.StreamMentions, streams.StreamActivity} {
				if slices.Contains(p.StreamGUIDs(t, s, streams.StreamQuery{Kind: k}), post.GUID) {
					t.Errorf("%s sees the post in %s", name, k)
				}
			}
			if _, err := p.App.Posts.Comment(ctx, s, post.GUID, "let me in"); !errors.Is(err, pod.ErrNotFound) {
				t.Errorf("%s comments: %v", name, err)
			}
			if _, err := p.App.Posts.Like(ctx, s, post.GUID, 0); !errors.Is(err, pod.ErrNotFound) {
				t.Errorf("%s likes: %v", name, err)
			}
			if _, err := p.App.Posts.Reshare(ctx, s, post.GUID); !errors.Is(err, pod.ErrNotFound) {
				t.Errorf("%s reshares: %v", name, err)
			}
			list, _ := p.App.Notifications.Notifications(ctx, s, false, "", 1, 50)
			for _, n := range list.Items {
				if n.TargetGUID == post.GUID {
					t.Errorf("%s has a notification about the post: %+v", name, n)
				}
			}
		}
	}

	// bob comments; alice is notified; a later aspect member does not get the post.
	if _, err := p.App.Posts.Comment(ctx, bob.Session, post.GUID, "count me in"); err != nil {
		t.Fatal(err)
	}
	list, _ := p.App.Notifications.Notifications(ctx, alice.Session, true, "", 1, 50)
	if len(list.Items) == 0 || list.Items[0].Type != "comment_on_post" {
		t.Errorf("alice's notifications: %+v", list.Items)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Post(ctx, carol.Session, post.GUID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("carol sees an old post after joining the aspect: %v", err)
	}
	// Reshare of a limited post is refused even for a reader.
	if _, err := p.App.Posts.Reshare(ctx, bob.Session, post.GUID); err == nil {
		t.Error("bob reshared a limited post")
	}
	// The author sees the audience.
	page, err := p.App.Posts.Post(ctx, alice.Session, post.GUID)
	if err != nil || !page.ShowAudience || len(page.Audience) != 1 || page.Audience[0].ID != bob.Session.PersonID {
		t.Errorf("audience shown to author: %+v %v", page, err)
	}
	page, _ = p.App.Posts.Post(ctx, bob.Session, post.GUID)
	if page.ShowAudience {
		t.Error("audience shown to a reader")
	}
}
