package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// returnToOf finds the return_to of the no-JS form posting to action on a page.
func returnToOf(t *testing.T, page, action string) string {
	t.Helper()
	re := regexp.MustCompile(`<form method="post" action="` + regexp.QuoteMeta(action) + `"[^>]*>(?:[^<]|<input[^>]*>)*?<input type="hidden" name="return_to" value="([^"]*)">`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no return_to in the form to %s", action)
	}
	return html.UnescapeString(m[1])
}

// TestNoJSPostFormsReturnToThePost: without JavaScript, Like, Unlike,
// Reshare, hide, delete… send the reader back to the post on the page they
// were on (anchor and page cursor kept), never to another site.
func TestNoJSPostFormsReturnToThePost(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, "like me", "public")
	other := post(t, w.alice, "another one", "public")
	page := "/public?before=9999999999999999_999999999"
	body := mustStatus(t, w.bob.Get(page), http.StatusOK).Body
	if !strings.Contains(body, `id="post-`+guid+`"`) {
		t.Fatalf("the post has no anchor on %s", page)
	}
	want := page + "#post-" + guid
	if got := returnToOf(t, body, "/posts/"+guid+"/likes"); got != want {
		t.Errorf("Like form returns to %q, want %q", got, want)
	}
	// The first Reshare form on the page is the newest post's.
	if got := returnToOf(t, body, "/reshares"); got != page+"#post-"+other {
		t.Errorf("Reshare form returns to %q", got)
	}

	posts := func(path string, form url.Values) string {
		r := w.bob.Post(path, form)
		if r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusFound {
			t.Fatalf("POST %s: %d %s", path, r.StatusCode, trim(r.Body))
		}
		return r.Header.Get("Location")
	}
	if got := posts("/posts/"+guid+"/likes", url.Values{"return_to": {want}}); got != want {
		t.Errorf("Like goes to %q, want %q", got, want)
	}
	body = w.bob.Get(page).Body
	if got := returnToOf(t, body, "/posts/"+guid+"/likes"); got != want {
		t.Errorf("Unlike form returns to %q", got)
	}
	if got := posts("/posts/"+guid+"/likes", url.Values{"_method": {"delete"}, "return_to": {want}}); got != want {
		t.Errorf("Unlike goes to %q, want %q", got, want)
	}
	wantOther := page + "#post-" + other
	if got := posts("/reshares", url.Values{"root_guid": {other}, "return_to": {wantOther}}); got != wantOther {
		t.Errorf("Reshare goes to %q, want %q", got, wantOther)
	}
	if got := posts("/posts/"+guid+"/participation", url.Values{"return_to": {want}}); got != want {
		t.Errorf("participation goes to %q, want %q", got, want)
	}
	if got := posts("/share_visibilities/0", url.Values{"_method": {"put"}, "post_id": {guid}, "return_to": {want}}); got != want {
		t.Errorf("hide goes to %q, want %q", got, want)
	}
	// Comment deletion on the post page returns to its comments.
	r := mustStatus(t, w.bob.Post("/posts/"+guid+"/comments", url.Values{"text": {"a comment"}}), http.StatusSeeOther)
	cid := strings.TrimPrefix(r.Header.Get("Location"), "/posts/"+guid+"#comment-")
	if got := returnToOf(t, w.bob.Get("/posts/"+guid).Body, "/posts/"+guid+"/comments/"+cid); got != "/posts/"+guid+"#comments" {
		t.Errorf("delete-comment form returns to %q", got)
	}
	if got := posts("/posts/"+guid+"/comments/"+cid, url.Values{"_method": {"delete"}, "return_to": {"/posts/" + guid + "#comments"}}); got != "/posts/"+guid+"#comments" {
		t.Errorf("delete comment goes to %q", got)
	}
	// Deleting a post returns to the stream page, not to the deleted post.
	own := post(t, w.bob, "mine", "public")
	if got := returnToOf(t, w.bob.Get(page).Body, "/posts/"+own); got != page {
		t.Errorf("delete form returns to %q, want %q", got, page)
	}
	if got := posts("/posts/"+own, url.Values{"_method": {"delete"}, "return_to": {page}}); got != page {
		t.Errorf("delete goes to %q, want %q", got, page)
	}
	own = post(t, w.bob, "mine too", "public")
	if got := posts("/posts/"+own, url.Values{"_method": {"delete"}, "return_to": {"/posts/" + own}}); got != "/stream" {
		t.Errorf("delete from the post's page goes to %q, want /stream", got)
	}

	// Only paths on this site are followed.
	for _, bad := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "http:/evil.example",
		"javascript:alert(1)", "evil.example", "/%0a/evil", " /stream"} {
		got := posts("/posts/"+guid+"/likes", url.Values{"return_to": {bad}})
		w.bob.Post("/posts/"+guid+"/likes", url.Values{"_method": {"delete"}})
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t ") {
			t.Errorf("return_to %q redirected to %q", bad, got)
		}
	}
}

// TestGetAfterFailedFormIsNotA404: reloading a page that a failed form
// re-rendered GETs the form's address; that answers with the form's page.
func TestGetAfterFailedFormIsNotA404(t *testing.T) {
	w := newWorld(t)
	for path, want := range map[string]string{"/status_messages": "/stream", "/profile": "/profile/edit", "/user": "/user/edit", "/users": "/users/sign_up"} {
		r := w.bob.Get(path)
		if r.StatusCode != http.StatusFound || r.Location() != want {
			t.Errorf("GET %s: %d to %q, want a redirect to %s", path, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
	// The failed post itself re-renders the stream (422) with the text kept.
	r := w.bob.Post("/status_messages", url.Values{"status_message[text]": {""}, "aspect_ids[]": {"public"}})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("empty post: %d", r.StatusCode)
	}
}
