package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCommentLikeButton: on the post page a reader likes and unlikes a
// comment with plain forms (no JavaScript) and sees the count; an outsider
// of the limited post gets a 404 and changes nothing; signed-out visitors
// see the count without a button.
func TestCommentLikeButton(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, "friends only", itoa(w.friends))
	r := mustStatus(t, w.bob.Post("/posts/"+guid+"/comments", url.Values{"text": {"nice"}}), http.StatusSeeOther)
	_, cid, ok := strings.Cut(r.Header.Get("Location"), "#comment-")
	if !ok {
		t.Fatalf("comment redirect: %s", r.Header.Get("Location"))
	}
	likes := "/posts/" + guid + "/comments/" + cid + "/likes"
	form := `<form method="post" action="` + likes + `"`
	back := "/posts/" + guid + "#comment-" + cid
	count0, count1 := commentCount+"0 likes<", commentCount+"1 like<"

	page := mustStatus(t, w.alice.Get("/posts/"+guid), http.StatusOK).Body
	if !strings.Contains(page, form) || !strings.Contains(page, count0) || !strings.Contains(page, ">Like</button>") {
		t.Fatalf("the comment has no Like button:\n%s", trim(page[strings.Index(page, `id="comments"`):]))
	}
	r = mustStatus(t, w.alice.Post(likes, url.Values{"return_to": {back}}), http.StatusSeeOther)
	if r.Header.Get("Location") != back {
		t.Errorf("after liking: to %s, want %s", r.Header.Get("Location"), back)
	}
	page = mustStatus(t, w.alice.Get("/posts/"+guid), http.StatusOK).Body
	if !strings.Contains(page, count1) || !strings.Contains(page, ">Unlike</button>") {
		t.Errorf("after liking the page shows no count or no Unlike")
	}
	// bob sees the count, and his own Like button.
	page = mustStatus(t, w.bob.Get("/posts/"+guid), http.StatusOK).Body
	if !strings.Contains(page, count1) || !strings.Contains(page, ">Like</button>") {
		t.Errorf("bob's view of the liked comment")
	}

	// carol can't see the post: 404 for liking and unliking its comment.
	for _, f := range []url.Values{{}, {"_method": {"delete"}}} {
		if r := w.carol.Post(likes, f); r.StatusCode != http.StatusNotFound || strings.Contains(r.Body, "friends only") {
			t.Errorf("outsider %v: %d", f, r.StatusCode)
		}
	}
	if page := w.alice.Get("/posts/" + guid).Body; !strings.Contains(page, count1) {
		t.Errorf("the outsider changed the count")
	}

	r = mustStatus(t, w.alice.Post(likes, url.Values{"_method": {"delete"}, "return_to": {back}}), http.StatusSeeOther)
	page = mustStatus(t, w.alice.Get("/posts/"+guid), http.StatusOK).Body
	if !strings.Contains(page, count0) || !strings.Contains(page, ">Like</button>") || strings.Contains(page, ">Unlike</button>") {
		t.Errorf("after unliking the page still shows the like")
	}

	// Signed out, on a public post: the count, no button.
	pub := post(t, w.alice, "public one", "public")
	mustStatus(t, w.bob.Post("/posts/"+pub+"/comments", url.Values{"text": {"hey"}}), http.StatusSeeOther)
	page = mustStatus(t, w.anon.Get("/posts/"+pub), http.StatusOK).Body
	if !strings.Contains(page, count0) || strings.Contains(page, "/likes\"") {
		t.Errorf("signed out: the comment shows a like form or no count")
	}
}

// commentCount starts a comment's like count on the post page.
const commentCount = `<div class="comment-likes"><span class="muted">`
