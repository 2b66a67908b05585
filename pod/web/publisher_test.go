package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// getJSON fetches path as a script does and decodes a JSON array of people
// (or fails the test); it returns the status and the handles found.
func handles(t *testing.T, c *podtest.Client, path string) (int, []string) {
	t.Helper()
	r := c.Get(path)
	if r.StatusCode != http.StatusOK {
		return r.StatusCode, nil
	}
	var people []map[string]any
	if err := json.Unmarshal([]byte(r.Body), &people); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, trim(r.Body))
	}
	out := []string{}
	for _, p := range people {
		for _, k := range []string{"id", "guid", "name", "avatar", "handle", "url"} {
			if _, ok := p[k]; !ok {
				t.Errorf("GET %s: a person lacks %q (diaspora*'s shape): %v", path, k, p)
			}
		}
		out = append(out, p["handle"].(string))
	}
	return r.StatusCode, out
}

func sameList(got []string, want ...string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

// TestContactsJSONQuery: /contacts.json?q= lists the signed-in user's
// contacts matching q, never strangers or the user; with a limited
// audience (aspect_ids[]) only the people the post would reach; signed-out
// visitors get what /contacts.json gives them.
func TestContactsJSONQuery(t *testing.T) {
	w := newWorld(t)
	work := workAspect(t, w)
	cases := []struct {
		path string
		want []string
	}{
		{"/contacts.json?q=bo", []string{"bob@pod.test"}},
		{"/contacts.json?q=BOB", []string{"bob@pod.test"}},
		{"/contacts.json?q=%40bo", []string{"bob@pod.test"}},
		{"/contacts.json?q=pod.test", []string{"bob@pod.test", "dave@pod.test"}},
		{"/contacts.json?q=car", []string{}},   // carol is no contact of alice's
		{"/contacts.json?q=alice", []string{}}, // nor is alice herself
		{"/contacts.json?q=", []string{}},
		{"/contacts.json?q=bo&mutual=true", []string{}}, // bob does not share back
		{"/contacts.json?q=bo&aspect_ids[]=public", []string{"bob@pod.test"}},
		{"/contacts.json?q=bo&aspect_ids[]=all_aspects", []string{"bob@pod.test"}},
		{"/contacts.json?q=bo&aspect_ids[]=" + itoa(w.friends), []string{"bob@pod.test"}},
		{"/contacts.json?q=bo&aspect_ids[]=" + itoa(work), []string{}}, // bob is not in Work
	}
	for _, tc := range cases {
		code, got := handles(t, w.alice, tc.path)
		if code != http.StatusOK || !sameList(got, tc.want...) {
			t.Errorf("alice GET %s: %d %v, want %v", tc.path, code, got, tc.want)
		}
	}
	// bob shares back: mutual now.
	mustStatus(t, w.bob.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(aspectOf(t, w, "bob", "Friends"))}, "person_id": {itoa(w.aliceID)}}), http.StatusSeeOther)
	if _, got := handles(t, w.alice, "/contacts.json?q=bo&mutual=true"); !sameList(got, "bob@pod.test") {
		t.Errorf("mutual contacts after bob shared back: %v", got)
	}
	// An aspect that is not alice's is a 422, not someone else's members.
	if code, _ := handles(t, w.alice, "/contacts.json?q=al&aspect_ids[]="+itoa(aspectOf(t, w, "bob", "Friends"))); code != http.StatusUnprocessableEntity {
		t.Errorf("someone else's aspect: %d, want 422", code)
	}
	// Without q, /contacts.json is still the contact list.
	if r := mustStatus(t, w.alice.Get("/contacts.json"), http.StatusOK); !strings.Contains(r.Body, `"aspect_memberships"`) {
		t.Errorf("/contacts.json without q: %s", trim(r.Body))
	}
	// Signed out: the same answer as the other signed-in-only JSON.
	plain, query := w.anon.Get("/contacts.json"), w.anon.Get("/contacts.json?q=bo")
	if query.StatusCode != http.StatusUnauthorized || plain.StatusCode != query.StatusCode || strings.Contains(query.Body, "bob") {
		t.Errorf("signed out: /contacts.json %d, ?q=bo %d %s", plain.StatusCode, query.StatusCode, trim(query.Body))
	}
}

// TestMentionableInComment: /posts/:id/mentionable?q= offers, for a
// limited post, only people who can read it: its author sees its whole
// audience, another reader only the author and the people who commented or
// liked (never who else received it); an outsider gets a 404.
func TestMentionableInComment(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, "friends only", itoa(w.friends))
	path := func(q string) string { return "/posts/" + guid + "/mentionable?q=" + q }

	check := func(who string, c *podtest.Client, q string, want ...string) {
		t.Helper()
		code, got := handles(t, c, path(q))
		if code != http.StatusOK || !sameList(got, want...) {
			t.Errorf("%s: mentionable?q=%s: %d %v, want %v", who, q, code, got, want)
		}
	}
	check("alice", w.alice, "pod.test", "bob@pod.test", "dave@pod.test") // her audience
	check("alice", w.alice, "car")                                       // carol can't read it
	check("bob", w.bob, "pod.test", "alice@pod.test")                    // not dave: bob mustn't learn dave got it
	check("bob", w.bob, "da")
	mustStatus(t, w.dave.Post("/posts/"+guid+"/comments", url.Values{"text": {"hi"}}), http.StatusSeeOther)
	check("bob", w.bob, "da", "dave@pod.test") // dave showed himself by commenting
	check("bob", w.bob, "")

	for _, q := range []string{"al", "bo", ""} {
		if r := w.carol.Get(path(q)); r.StatusCode != http.StatusNotFound || strings.Contains(r.Body, "pod.test") {
			t.Errorf("outsider: mentionable?q=%s: %d %s", q, r.StatusCode, trim(r.Body))
		}
	}
	if r := w.carol.Get("/posts/nosuchpostguid0000000/mentionable?q=al"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown post: %d", r.StatusCode)
	}
	// Signed out: as every signed-in-only JSON endpoint, whatever the post.
	if r := w.anon.Get(path("al")); r.StatusCode != w.anon.Get("/notifications.json").StatusCode || strings.Contains(r.Body, "alice") {
		t.Errorf("signed out: %d %s", r.StatusCode, trim(r.Body))
	}

	// A public post: contacts and searchable people.
	pub := post(t, w.alice, "hello world", "public")
	if _, got := handles(t, w.bob, "/posts/"+pub+"/mentionable?q=car"); !sameList(got, "carol@pod.test") {
		t.Errorf("public post: bob finds %v for car", got)
	}
}

// workAspect is alice's Work aspect, where nobody is.
func workAspect(t *testing.T, w *world) int64 { return aspectOf(t, w, "alice", "Work") }

func aspectOf(t *testing.T, w *world, user, name string) int64 {
	t.Helper()
	ctx := context.Background()
	person, err := w.p.Store.PersonByDiasporaID(ctx, user+"@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	as, err := w.p.Store.AspectsOf(ctx, *person.OwnerID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Name == name {
			return a.ID
		}
	}
	t.Fatalf("%s has no aspect %s", user, name)
	return 0
}
