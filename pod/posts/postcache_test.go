package posts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
)

// postCacheFormat encodes a post page as JSON (the post view alone).
var postCacheFormat = posts.PostFormat{Name: "test", Encode: func(p *posts.PostPage) ([]byte, error) {
	return json.Marshal(struct {
		pod.PostView
		Comments []pod.CommentView `json:"all_comments"`
		Likes    []pod.LikeView    `json:"all_likes"`
	}{p.Post, p.Comments, p.Likes})
}}

// postCacheAgree checks that both processes answer the page of key for s
// exactly as it is built from the database now (the same error when it
// is not found), and that a second read comes from the cache. It returns
// the page's error.
func postCacheAgree(t *testing.T, what string, s *pod.Session, key string, ps ...*podtest.Pod) error {
	t.Helper()
	ctx := context.Background()
	var want []byte
	page, werr := ps[0].App.Posts.Post(ctx, s, key)
	if werr == nil {
		var err error
		if want, err = postCacheFormat.Encode(page); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range ps {
		for read := 1; read <= 2; read++ {
			got, err := p.App.Posts.PostAs(ctx, s, key, postCacheFormat)
			if !errors.Is(err, werr) && (err == nil || werr == nil || err.Error() != werr.Error()) {
				t.Fatalf("%s: process %d, read %d: error %v, want %v", what, i+1, read, err, werr)
			}
			if werr != nil {
				continue
			}
			if !bytes.Equal(got.Body, want) {
				t.Fatalf("%s: process %d, read %d serves a stale page:\n got %s\nwant %s", what, i+1, read, got.Body, want)
			}
			if read == 2 && !got.Cached {
				t.Fatalf("%s: process %d: the second read was built again", what, i+1)
			}
		}
	}
	return werr
}

// TestPostPageCache: a post's page comes from the page cache and follows
// every change to what it shows, in both processes: comments, likes, a
// commenter's and a liker's rename, a notification becoming unread
// (opening the page marks it read again), an ignore and the deletion.
// Nobody outside a limited post's audience, no PublicOnly session and
// nobody signed out ever gets it, whichever page was cached first; the
// author's own page (with its delivery report) is never cached.
func TestPostPageCache(t *testing.T) {
	p1 := podtest.New(t)
	p2 := p1.Twin(t)
	ctx := context.Background()
	alice, bob, carol, dave, eve := p1.NewUser(t, "alice"), p1.NewUser(t, "bob"), p1.NewUser(t, "carol"), p1.NewUser(t, "dave"), p1.NewUser(t, "eve")
	for _, u := range []*podtest.User{bob, carol} {
		if _, err := p1.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], u.Session.PersonID); err != nil {
			t.Fatal(err)
		}
	}
	limited, err := p1.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "for friends",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	public, err := p1.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "for all", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	bobOnly := *bob.Session
	bobOnly.PublicOnly = true
	notFound := func(what string, s *pod.Session, key string) {
		t.Helper()
		for _, p := range []*podtest.Pod{p1, p2} {
			for range 2 {
				if _, err := p.App.Posts.PostAs(ctx, s, key, postCacheFormat); !errors.Is(err, pod.ErrNotFound) {
					t.Fatalf("%s: %v, want ErrNotFound", what, err)
				}
			}
		}
	}
	// PublicOnly first, then the full session: neither leaks into the other.
	notFound("bob's PublicOnly session, before", &bobOnly, limited.GUID)
	if err := postCacheAgree(t, "bob", bob.Session, limited.GUID, p1, p2); err != nil {
		t.Fatal(err)
	}
	notFound("bob's PublicOnly session, after", &bobOnly, limited.GUID)
	notFound("eve, outside the audience", eve.Session, limited.GUID)
	notFound("signed out", nil, limited.GUID)
	if err := postCacheAgree(t, "signed out, public post", nil, public.GUID, p1, p2); err != nil {
		t.Fatal(err)
	}
	if err := postCacheAgree(t, "by id", bob.Session, strconv.FormatInt(limited.ID, 10), p1, p2); err != nil {
		t.Fatal(err)
	}

	c, err := p2.App.Posts.Comment(ctx, carol.Session, limited.GUID, "a comment")
	if err != nil {
		t.Fatal(err)
	}
	postCacheAgree(t, "comment", bob.Session, limited.GUID, p1, p2)
	if _, err := p1.App.Posts.Like(ctx, carol.Session, limited.GUID, c.ID); err != nil {
		t.Fatal(err)
	}
	postCacheAgree(t, "comment like", bob.Session, limited.GUID, p1, p2)
	if _, err := p2.App.Posts.Like(ctx, bob.Session, limited.GUID, 0); err != nil {
		t.Fatal(err)
	}
	postCacheAgree(t, "own like", bob.Session, limited.GUID, p1, p2)
	if err := p1.App.Profiles.UpdateProfile(ctx, carol.Session.UserID, profiles.ProfileInput{FirstName: "Caroline", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	postCacheAgree(t, "commenter renamed", bob.Session, limited.GUID, p1, p2)
	if _, err := p1.App.Posts.Like(ctx, dave.Session, public.GUID, 0); err != nil {
		t.Fatal(err)
	}
	postCacheAgree(t, "like of the public post", nil, public.GUID, p1, p2)
	if err := p2.App.Profiles.UpdateProfile(ctx, dave.Session.UserID, profiles.ProfileInput{FirstName: "David", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	postCacheAgree(t, "liker renamed", nil, public.GUID, p1, p2)

	// alice's comment notifies bob (he takes part); opening the page reads
	// it. Marked unread again, the next opening reads it again.
	if _, err := p1.App.Posts.Comment(ctx, alice.Session, limited.GUID, "thanks"); err != nil {
		t.Fatal(err)
	}
	unread := func() int {
		t.Helper()
		n, err := p1.App.Notifications.UnreadNotifications(ctx, bob.Session)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := p1.App.Notifications.ReadAllNotifications(ctx, bob.Session, models.NotifyStartedSharing); err != nil {
		t.Fatal(err)
	}
	if unread() == 0 {
		t.Fatal("bob has no unread notification about the post")
	}
	postCacheAgree(t, "author's comment", bob.Session, limited.GUID, p2, p1)
	if n := unread(); n != 0 {
		t.Fatalf("opening the post left %d notifications unread", n)
	}
	list, err := p1.App.Notifications.Notifications(ctx, bob.Session, false, "", 1, 10)
	if err != nil || len(list.Items) == 0 {
		t.Fatalf("bob's notifications: %v, %v", list, err)
	}
	if err := p2.App.Notifications.MarkNotification(ctx, bob.Session, list.Items[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if unread() != 1 {
		t.Fatal("the notification was not marked unread")
	}
	got, err := p1.App.Posts.PostAs(ctx, bob.Session, limited.GUID, postCacheFormat)
	if err != nil || got.Cached {
		t.Fatalf("with a notification unread, the page came from the cache (%v)", err)
	}
	if n := unread(); n != 0 {
		t.Fatalf("opening the post again left %d notifications unread", n)
	}

	// The author's page is built each time (delivery report).
	for range 2 {
		if got, err := p1.App.Posts.PostAs(ctx, alice.Session, limited.GUID, postCacheFormat); err != nil || got.Cached {
			t.Fatalf("alice's own page: cached=%v, %v", got != nil && got.Cached, err)
		}
	}

	if _, err := p2.App.Contacts.Block(ctx, bob.Session, alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	postCacheAgree(t, "ignore", bob.Session, limited.GUID, p1, p2)
	if err := p2.App.Posts.DeletePost(ctx, alice.Session, public.GUID); err != nil {
		t.Fatal(err)
	}
	notFound("deleted", nil, public.GUID)
	notFound("deleted, a reader", carol.Session, public.GUID)
}
