package streams_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
)

func TestStreamsPaginateWithoutGapsOrRepeats(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID)
	want := map[string]bool{}
	for i := 0; i < 37; i++ {
		pv, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: fmt.Sprintf("post %d", i), Audience: aspects.Selection{Public: true}})
		if err != nil {
			t.Fatal(err)
		}
		want[pv.GUID] = true
	}
	for _, kind := range []string{streams.StreamMain, streams.StreamPublic, streams.StreamPerson} {
		seen := map[string]bool{}
		q := streams.StreamQuery{Kind: kind, PersonGUID: alice.Session.GUID}
		pages := 0
		for {
			page, err := p.App.Streams.Stream(ctx, bob.Session, q)
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
	if _, err := p.App.Streams.Stream(ctx, bob.Session, streams.StreamQuery{Kind: streams.StreamMain, Before: "garbage"}); err == nil {
		t.Error("a bad cursor was accepted")
	}
}

func TestHideBlockAndTagsShapeTheMainStream(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID)
	one, _ := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "one", Audience: aspects.Selection{Public: true}})
	two, _ := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "two", Audience: aspects.Selection{Public: true}})
	tagged, _ := p.App.Posts.CreatePost(ctx, carol.Session, posts.PostInput{Text: "I love #cheese", Audience: aspects.Selection{Public: true}})
	main := func() []string { return p.StreamGUIDs(t, bob.Session, streams.StreamQuery{Kind: streams.StreamMain}) }
	if g := main(); !slices.Contains(g, one.GUID) || !slices.Contains(g, two.GUID) || slices.Contains(g, tagged.GUID) {
		t.Fatalf("bob's stream = %v", g)
	}
	// Following a tag brings carol's tagged post (written before) in.
	if _, _, err := p.App.Streams.FollowTag(ctx, bob.Session, "#Cheese"); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(main(), tagged.GUID) || !slices.Contains(p.StreamGUIDs(t, bob.Session, streams.StreamQuery{Kind: streams.StreamFollowedTags}), tagged.GUID) {
		t.Error("followed tag's post missing")
	}
	if err := p.App.Streams.UnfollowTag(ctx, bob.Session, "cheese"); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(main(), tagged.GUID) {
		t.Error("unfollowed tag's post still in the stream")
	}
	// Hiding one post removes it from the stream only.
	if err := p.App.Posts.HidePost(ctx, bob.Session, one.GUID, true); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(main(), one.GUID) || !slices.Contains(main(), two.GUID) {
		t.Error("hide did not work")
	}
	if _, err := p.App.Posts.Post(ctx, bob.Session, one.GUID); err != nil {
		t.Error("a hidden post cannot be opened")
	}
	// Blocking alice removes her posts from every stream of bob's.
	if _, err := p.App.Contacts.Block(ctx, bob.Session, alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{streams.StreamMain, streams.StreamPublic, streams.StreamActivity} {
		if slices.Contains(p.StreamGUIDs(t, bob.Session, streams.StreamQuery{Kind: k}), two.GUID) {
			t.Errorf("blocked author's post in %s", k)
		}
	}
	if p.Relationship(t, alice, bob) != "not_sharing" {
		t.Error("block did not disconnect")
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err == nil {
		t.Error("could add an ignored person to an aspect")
	}
	blocks, _ := p.App.Contacts.Blocks(ctx, bob.Session)
	if len(blocks) != 1 || blocks[0].Person.GUID != alice.Session.GUID {
		t.Errorf("privacy page list = %+v", blocks)
	}
	if err := p.App.Contacts.Unblock(ctx, alice.Session, blocks[0].ID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("unblocking someone else's block: %v", err)
	}
	if err := p.App.Contacts.Unblock(ctx, bob.Session, blocks[0].ID); err != nil {
		t.Fatal(err)
	}
}
