package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestSearchTags: #tag finds a tag on a visible post, for everyone, and
// never a tag that only a limited post the searcher can't read carries;
// plain words find people and tags.
func TestSearchTags(t *testing.T) {
	w := newWorld(t)
	post(t, w.alice, "Tomatoes! #gardening", "public")
	post(t, w.alice, "Surprise party #secretgarden", itoa(w.friends))
	search := func(q string) string { return "/search?q=" + url.QueryEscape(q) }

	for name, client := range map[string]*podtest.Client{"carol": w.carol, "signed out": w.anon} {
		body := mustStatus(t, client.Get(search("#gardening")), http.StatusOK).Body
		if !strings.Contains(body, `<a href="/tags/gardening">#gardening</a>`) {
			t.Errorf("%s: #gardening is not found:\n%s", name, trim(body))
		}
		if strings.Contains(body, "Nobody found") {
			t.Errorf("%s: a tag search answers with a people search", name)
		}
		for _, q := range []string{"#secret", "#secretgarden", "secret", "#s"} {
			if body := mustStatus(t, client.Get(search(q)), http.StatusOK).Body; strings.Contains(body, `href="/tags/secretgarden">#secretgarden`) {
				t.Errorf("%s: searching %q reveals the tag of a limited post", name, q)
			}
		}
	}
	// bob may read the limited post: he finds its tag.
	if body := mustStatus(t, w.bob.Get(search("#secret")), http.StatusOK).Body; !strings.Contains(body, `href="/tags/secretgarden">#secretgarden`) {
		t.Errorf("bob does not find the tag of a post he can read")
	}

	// Plain words: people, and tags.
	body := mustStatus(t, w.carol.Get(search("bob")), http.StatusOK).Body
	if !strings.Contains(body, "bob@pod.test") {
		t.Errorf("searching bob finds nobody:\n%s", trim(body))
	}
	body = mustStatus(t, w.anon.Get(search("garden")), http.StatusOK).Body
	if !strings.Contains(body, `href="/tags/gardening">#gardening`) || !strings.Contains(body, "Nobody found") {
		t.Errorf("searching garden should find the tag and no people:\n%s", trim(body))
	}
	// Not a tag name: a clear message, no 500.
	if r := w.anon.Get(search("#no way!")); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "A tag may contain only letters") {
		t.Errorf("#no way!: %d", r.StatusCode)
	}
	// The people page sends #tags to the search; its JSON is unchanged.
	if r := w.anon.Get("/people?q=" + url.QueryEscape("#gardening")); r.StatusCode != http.StatusFound || r.Location() != search("#gardening") {
		t.Errorf("/people?q=#gardening: %d %s", r.StatusCode, r.Location())
	}
	mustStatus(t, w.anon.Get("/people.json?q=bob"), http.StatusOK)

	// The search box is in every page's header, signed in or not.
	for _, path := range []string{"/public", "/users/sign_in", "/people"} {
		if body := w.anon.Get(path).Body; !strings.Contains(body, `<form class="site-search" method="get" action="/search">`) {
			t.Errorf("signed out: %s has no search box", path)
		}
	}
	for _, path := range []string{"/stream", "/contacts", "/notifications"} {
		if body := w.bob.Get(path).Body; !strings.Contains(body, `<form class="site-search" method="get" action="/search">`) {
			t.Errorf("signed in: %s has no search box", path)
		}
	}
}
