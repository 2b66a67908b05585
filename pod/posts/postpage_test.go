package posts_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// TestPostPageStatements holds the single post page to its statement
// budget (issue 17: at most 3; a reader's page of a post without photos,
// poll, location or event costs 2) and checks that the page built from
// those statements is complete: comments, likes, the viewer's like of the
// post and of a comment, the hidden flag, notifications marked read, and
// nothing at all for someone outside a limited post's audience.
func TestPostPageStatements(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol, eve := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol"), p.NewUser(t, "eve")
	for _, u := range []*podtest.User{bob, carol} {
		if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], u.Session.PersonID); err != nil {
			t.Fatal(err)
		}
		if _, err := p.App.Contacts.AddToAspect(ctx, u.Session, u.Aspects["Friends"], alice.Session.PersonID); err != nil {
			t.Fatal(err)
		}
	}
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "limited to friends, @{bob; bob@pod.test}",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	var commentIDs []int64
	for i, u := range []*podtest.User{carol, alice, carol, bob, alice} {
		c, err := p.App.Posts.Comment(ctx, u.Session, post.GUID, "comment "+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		commentIDs = append(commentIDs, c.ID)
	}
	like, err := p.App.Posts.Like(ctx, bob.Session, post.GUID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Like(ctx, carol.Session, post.GUID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Like(ctx, bob.Session, post.GUID, commentIDs[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Posts.HidePost(ctx, bob.Session, post.GUID, true); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Notifications.ReadAllNotifications(ctx, bob.Session, models.NotifyStartedSharing); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.App.Notifications.UnreadNotifications(ctx, bob.Session); n == 0 {
		t.Fatal("bob has no unread notification about the post (mentioned, also commented) to be read by opening it")
	}

	cctx, n := models.CountStatements(ctx)
	page, err := p.App.Posts.Post(cctx, bob.Session, post.GUID)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got > 3 {
		t.Errorf("bob's post page took %d statements, want at most 3", got)
	} else if got != 2 {
		t.Errorf("bob's post page took %d statements, want 2 (post, interactions)", got)
	}
	if len(page.Comments) != 5 || page.Comments[0].ID != commentIDs[0] || page.Comments[4].ID != commentIDs[4] {
		t.Errorf("comments = %+v, want the 5 oldest first", page.Comments)
	}
	if !page.Comments[0].Liked || page.Comments[1].Liked {
		t.Errorf("bob's comment likes: first %v, second %v; want true, false", page.Comments[0].Liked, page.Comments[1].Liked)
	}
	if len(page.Likes) != 2 {
		t.Errorf("likes = %d, want 2 (the comment's like is not the post's)", len(page.Likes))
	}
	if !page.Post.Liked || page.Post.MyLikeID != like.ID {
		t.Errorf("post liked = %v (like %d), want bob's like %d", page.Post.Liked, page.Post.MyLikeID, like.ID)
	}
	if got := len(page.Post.Interactions.Comments); got != 3 || page.Post.Interactions.Comments[2].ID != commentIDs[4] {
		t.Errorf("the post's view shows %d comments, want the last 3", got)
	}
	if !page.Hidden {
		t.Error("bob hid the post but the page says it is not hidden")
	}
	if page.ShowAudience || len(page.Deliveries) != 0 {
		t.Error("bob sees the audience or deliveries of alice's post")
	}
	if n, _ := p.App.Notifications.UnreadNotifications(ctx, bob.Session); n != 0 {
		t.Errorf("opening the post left %d notifications about it unread", n)
	}
	// carol's page shows her own state, not bob's.
	page, err = p.App.Posts.Post(ctx, carol.Session, strconv.FormatInt(post.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	if page.Hidden || !page.Post.Liked || page.Post.MyLikeID == like.ID || page.Comments[0].Liked {
		t.Errorf("carol's page: hidden %v, liked %v (like %d), first comment liked %v", page.Hidden, page.Post.Liked, page.Post.MyLikeID, page.Comments[0].Liked)
	}
	// eve and a signed-out reader are outside the audience: not found, as
	// for a post that does not exist.
	for who, s := range map[string]*pod.Session{"eve": eve.Session, "signed out": nil} {
		if _, err := p.App.Posts.Post(ctx, s, post.GUID); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("%s opening the limited post: %v, want ErrNotFound", who, err)
		}
	}
	// The author sees the audience; a signed-out reader of a public post
	// gets its page in 2 statements, which change nothing.
	page, err = p.App.Posts.Post(ctx, alice.Session, post.GUID)
	if err != nil {
		t.Fatal(err)
	}
	if !page.ShowAudience || len(page.Audience) != 2 {
		t.Errorf("alice's page: show audience %v, %d people, want 2 (bob, carol)", page.ShowAudience, len(page.Audience))
	}
	pub, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "public", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	cctx, n = models.CountStatements(ctx)
	if _, err := p.App.Posts.Post(cctx, nil, pub.GUID); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("a signed-out reader's post page took %d statements, want 2", got)
	}
}
