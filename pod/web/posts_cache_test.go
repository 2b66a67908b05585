package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPostJSONFromPageCache: /posts/:guid.json is served from the page
// cache (X-Cache: hit) until something it shows changes; then the reader
// sees the change at once. Someone outside a limited post's audience gets
// the same 404 before and after a reader's page was cached.
func TestPostJSONFromPageCache(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, "for friends only", itoa(w.friends))
	path := "/posts/" + guid + ".json"
	get := func(what string, want string) string {
		t.Helper()
		r := mustStatus(t, w.bob.Get(path), http.StatusOK)
		again := mustStatus(t, w.bob.Get(path), http.StatusOK)
		if again.Header.Get("X-Cache") != "hit" || again.Body != r.Body {
			t.Errorf("%s: second read X-Cache %q, same body %v", what, again.Header.Get("X-Cache"), again.Body == r.Body)
		}
		if !strings.Contains(r.Body, want) {
			t.Errorf("%s: %s lacks %q", what, r.Body, want)
		}
		return r.Body
	}
	get("first", "for friends only")
	for range 2 {
		mustStatus(t, w.carol.Get(path), http.StatusNotFound)
		mustStatus(t, w.anon.Get(path), http.StatusNotFound)
	}
	mustStatus(t, w.dave.Post("/posts/"+guid+"/comments", url.Values{"text": {"dave was here"}}), http.StatusSeeOther)
	get("after a comment", "dave was here")
	if r := mustStatus(t, w.alice.Get(path), http.StatusOK); r.Header.Get("X-Cache") != "miss" || !strings.Contains(r.Body, `"deliveries"`) {
		t.Errorf("the author's page: X-Cache %q, deliveries shown %v", r.Header.Get("X-Cache"), strings.Contains(r.Body, `"deliveries"`))
	}
}
