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

// TestPostAuthorDeletesRemoteComment: alice (pod1) deletes the comment
// carol (pod2) wrote under her post. The retraction must reach carol's pod
// (it was left out as if pod1 were relaying carol's own retraction) and
// the pod of dave (pod3), who follows alice — for a public post and for a
// limited one (carol and dave in its audience).
func TestPostAuthorDeletesRemoteComment(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "rc1", 11, fast)
	pod2 := podtest.NewFedPod(t, "rc2", 12, fast)
	pod3 := podtest.NewFedPod(t, "rc3", 13, fast)
	alice, carol, dave := newUser(t, pod1, "alice"), newUser(t, pod2, "carol"), newUser(t, pod3, "dave")
	alice.share(t, "Friends", carol)
	alice.share(t, "Friends", dave)
	carol.share(t, "Friends", alice)
	dave.share(t, "Friends", alice)
	settled(t, pod1, pod2, pod3)

	for _, c := range []struct {
		name     string
		audience aspects.Selection
	}{
		{"public", aspects.Selection{Public: true}},
		{"limited", aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			post, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: c.name + " post", Audience: c.audience})
			if err != nil {
				t.Fatal(err)
			}
			podtest.Eventually(t, wait, func() bool {
				_, e2 := pod2.App.Posts.Post(ctx, carol.s, post.GUID)
				_, e3 := pod3.App.Posts.Post(ctx, dave.s, post.GUID)
				return e2 == nil && e3 == nil
			}, "carol and dave to have alice's post")
			comment, err := pod2.App.Posts.Comment(ctx, carol.s, post.GUID, "carol was here")
			if err != nil {
				t.Fatal(err)
			}
			podtest.Eventually(t, wait, func() bool {
				cs, err := pod3.App.Posts.Comments(ctx, dave.s, post.GUID)
				return err == nil && len(cs) == 1
			}, "carol's comment to be relayed to pod3")
			settled(t, pod1, pod2, pod3)

			on1, err := pod1.Store.CommentByGUID(ctx, comment.GUID)
			if err != nil {
				t.Fatal(err)
			}
			if err := pod1.App.Posts.DeleteComment(ctx, alice.s, on1.ID); err != nil {
				t.Fatal(err)
			}
			settled(t, pod1, pod2, pod3)
			for _, p := range []*podtest.FedPod{pod2, pod3} {
				if _, err := p.Store.CommentByGUID(ctx, comment.GUID); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("%s still has the comment alice deleted: %v", p.Name, err)
				}
				if n := count(t, p, "SELECT comments_count FROM posts WHERE guid = ?", post.GUID); n != 0 {
					t.Errorf("%s: comments_count %d after the retraction", p.Name, n)
				}
			}
			if cs, err := pod2.App.Posts.Comments(ctx, carol.s, post.GUID); err != nil || len(cs) != 0 {
				t.Errorf("carol still sees %d comments on pod2: %v", len(cs), err)
			}
			if l := logLines(pod2, 0, "delivery dropped"); len(l) > 0 {
				t.Errorf("pod2 dropped deliveries: %s", strings.Join(l, "\n"))
			}

			// carol likes and unlikes: pod1 relays her retraction to pod3,
			// and not back to pod2 (relaying is explicit now).
			if _, err := pod2.App.Posts.Like(ctx, carol.s, post.GUID, 0); err != nil {
				t.Fatal(err)
			}
			podtest.Eventually(t, wait, func() bool {
				return count(t, pod3, "SELECT likes_count FROM posts WHERE guid = ?", post.GUID) == 1
			}, "carol's like to be relayed to pod3")
			settled(t, pod1, pod2, pod3)
			before2 := len(pod2.Requests())
			if err := pod2.App.Posts.Unlike(ctx, carol.s, post.GUID, 0); err != nil {
				t.Fatal(err)
			}
			settled(t, pod1, pod2, pod3)
			if n := count(t, pod3, "SELECT count(*) FROM likes"); n != 0 {
				t.Errorf("pod3 kept %d likes after carol's retraction was relayed", n)
			}
			if n := count(t, pod3, "SELECT likes_count FROM posts WHERE guid = ?", post.GUID); n != 0 {
				t.Errorf("pod3: likes_count %d", n)
			}
			if got := receivePosts(pod2, before2); len(got) != 0 {
				t.Errorf("pod1 relayed carol's own retraction back to pod2: %d deliveries", len(got))
			}
		})
	}
}
