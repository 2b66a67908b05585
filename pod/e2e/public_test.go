package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// TestPublicThreadsFederate follows a public post across three pods: a
// reshare makes a pod that never heard of the post fetch it from its
// author's pod; a comment and a like from there go to the author's pod,
// which relays them (with the commenter's signature) to the other pods;
// the comment's retraction travels the same way.
func TestPublicThreadsFederate(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "pub1", 11, fast)
	pod2 := podtest.NewFedPod(t, "pub2", 12, fast)
	pod3 := podtest.NewFedPod(t, "pub3", 13, fast)
	alice, bob, carol := newUser(t, pod1, "alice"), newUser(t, pod2, "bob"), newUser(t, pod3, "carol")
	early, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "before anyone followed me", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	bob.share(t, "Friends", alice) // bob follows alice
	carol.share(t, "Friends", bob) // carol follows bob, not alice
	settled(t, pod1, pod2, pod3)

	// Discovering alice fetched her earlier public posts, for her profile.
	if _, err := postOn(pod2, early.GUID); err != nil {
		t.Errorf("pod2 did not fetch alice's earlier public post when it discovered her: %v", err)
	}
	post, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "a public thought #federation", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	if !streamHas(t, pod2, bob, post.GUID) {
		t.Fatal("bob (follows alice) does not have her public post")
	}
	if _, err := postOn(pod3, post.GUID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("pod3 got a post none of its users follows: %v", err)
	}

	// bob reshares: pod3 (carol follows bob) gets the reshare and fetches
	// the original from pod1.
	reshare, err := pod2.App.Posts.Reshare(ctx, bob.s, post.GUID)
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		_, e1 := postOn(pod3, reshare.GUID)
		_, e2 := postOn(pod3, post.GUID)
		return e1 == nil && e2 == nil
	}, "pod3 to get the reshare and fetch its original")
	settled(t, pod1, pod2, pod3)
	t.Run("reshare fetches its root", func(t *testing.T) {
		fetched := false
		for _, r := range pod1.Requests() {
			if strings.HasPrefix(r.Path, "/fetch/post/"+post.GUID) {
				fetched = true
			}
		}
		if !fetched {
			t.Error("pod3 did not fetch the original from pod1")
		}
		if !streamHas(t, pod3, carol, reshare.GUID) {
			t.Error("carol does not see bob's reshare")
		}
		if n := count(t, pod1, "SELECT reshares_count FROM posts WHERE guid = ?", post.GUID); n != 1 {
			t.Errorf("pod1 counts %d reshares", n)
		}
		// pod3 follows nobody on pod1, so it subscribed to the thread.
		if n := count(t, pod1, `SELECT count(*) FROM participations pa JOIN people pe ON pe.id = pa.person_id
			JOIN posts p ON p.id = pa.post_id WHERE p.guid = ? AND pe.pod_host = ?`, post.GUID, pod3.Addr); n != 1 {
			t.Errorf("pod1 has %d participations from pod3 in the post, want 1", n)
		}
	})

	// carol comments and likes on pod3: pod1 (the author's pod) gets them
	// and relays them to pod2.
	comment, err := pod3.App.Posts.Comment(ctx, carol.s, post.GUID, "nice one")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pod3.App.Posts.Like(ctx, carol.s, post.GUID, 0); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		cs, err := pod2.App.Posts.Comments(ctx, bob.s, post.GUID)
		ls, err2 := pod2.App.Posts.Likes(ctx, bob.s, post.GUID)
		return err == nil && err2 == nil && len(cs) == 1 && len(ls) == 1
	}, "pod2 to get carol's comment and like relayed by pod1")
	settled(t, pod1, pod2, pod3)
	t.Run("comment and like are relayed", func(t *testing.T) {
		cs, _ := pod1.App.Posts.Comments(ctx, alice.s, post.GUID)
		if len(cs) != 1 || cs[0].GUID != comment.GUID {
			t.Errorf("pod1 comments: %+v", cs)
		}
		cs, _ = pod2.App.Posts.Comments(ctx, bob.s, post.GUID)
		if len(cs) != 1 || cs[0].Text != "nice one" || !strings.Contains(cs[0].Author.DiasporaID, pod3.Addr) {
			t.Errorf("pod2 comments: %+v", cs)
		}
		if n := count(t, pod1, "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'alice' AND n.type = ?", models.NotifyCommentOnPost); n != 1 {
			t.Errorf("alice has %d comment notifications", n)
		}
		// Relayed publicly once to pod2, not back to pod3.
		if n := count(t, pod1, "SELECT count(*) FROM deliveries d JOIN pods p ON p.id = d.pod_id WHERE d.entity_type = 'comment' AND p.host = ?", pod3.Addr); n != 0 {
			t.Errorf("pod1 relayed the comment back to its author's pod %d times", n)
		}
	})

	// carol deletes her comment: the retraction goes to pod1, which relays it.
	cid := commentID(t, pod3, comment.GUID)
	if err := pod3.App.Posts.DeleteComment(ctx, carol.s, cid); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		return count(t, pod2, "SELECT count(*) FROM comments") == 0 && count(t, pod1, "SELECT count(*) FROM comments") == 0
	}, "the comment's retraction to reach pod1 and be relayed to pod2")
	settled(t, pod1, pod2, pod3)
	if n := count(t, pod2, "SELECT comments_count FROM posts WHERE guid = ?", post.GUID); n != 0 {
		t.Errorf("pod2 still counts %d comments", n)
	}
}

func commentID(t *testing.T, p *podtest.FedPod, guid string) int64 {
	t.Helper()
	c, err := p.Store.CommentByGUID(context.Background(), guid)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestIgnoredCommenterIsRefused: the author's pod refuses a comment from
// someone the author ignores and asks the commenter's pod to take it down.
func TestIgnoredCommenterIsRefused(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "ign1", 11, fast)
	pod2 := podtest.NewFedPod(t, "ign2", 12, fast)
	alice, bob := newUser(t, pod1, "alice"), newUser(t, pod2, "bob")
	bob.share(t, "Friends", alice)
	settled(t, pod1, pod2)
	post, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "no trolls please", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if _, err := pod1.App.Contacts.Block(ctx, alice.s, mustPerson(t, pod1, bob.id())); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	c, err := pod2.App.Posts.Comment(ctx, bob.s, post.GUID, "troll")
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		_, err := pod2.Store.CommentByGUID(ctx, c.GUID)
		return errors.Is(err, models.ErrNotFound)
	}, "pod1 to refuse the comment and pod2 to take it down")
	settled(t, pod1, pod2)
	if n := count(t, pod1, "SELECT count(*) FROM comments"); n != 0 {
		t.Errorf("pod1 stored %d comments from someone alice ignores", n)
	}
	if !strings.Contains(pod1.Log.String(), "the post's author ignores them") {
		t.Error("the refusal was not logged with its reason")
	}
}
