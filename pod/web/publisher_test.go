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

// handles fetches path as a script does and decodes a JSON array of people
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

// previewJSON asks for the publisher's live preview as its script does.
func previewJSON(t *testing.T, c *podtest.Client, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Pod.Server.URL+"/posts/preview", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.CSRF())
	r := c.Do(req)
	var out struct {
		HTML  string `json:"html"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("preview: %d %v\n%s", r.StatusCode, err, trim(r.Body))
	}
	if r.StatusCode != http.StatusOK {
		return r.StatusCode, out.Error
	}
	return r.StatusCode, out.HTML
}

// TestPreviewRendersLikeThePostPage: the preview is the post page's
// rendering of the same text (markdown, tags, mentions), sanitised; in a
// limited post a mention of someone outside its audience is plain text,
// as it will be when shared.
func TestPreviewRendersLikeThePostPage(t *testing.T) {
	w := newWorld(t)
	text := "**bold** and #gardening with @{Bob; bob@pod.test}\n\n<script>alert(1)</script> [x](javascript:alert(2))"
	code, html := previewJSON(t, w.alice, url.Values{"status_message[text]": {text}, "aspect_ids[]": {"public"}})
	if code != http.StatusOK {
		t.Fatalf("preview: %d %s", code, html)
	}
	for _, want := range []string{"<strong>bold</strong>", `href="/tags/gardening"`, `href="/people/`} {
		if !strings.Contains(html, want) {
			t.Errorf("preview lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "javascript:") {
		t.Errorf("preview is not sanitised:\n%s", html)
	}
	guid := post(t, w.alice, text, "public")
	if page := mustStatus(t, w.alice.Get("/posts/"+guid), http.StatusOK).Body; !strings.Contains(page, html) {
		t.Errorf("the post page renders the text otherwise than the preview %q", html)
	}

	// Limited to Friends: carol is not in it, so her mention is plain text.
	_, html = previewJSON(t, w.alice, url.Values{"status_message[text]": {"hi @{Carol; carol@pod.test} and @{Bob; bob@pod.test}"}, "aspect_ids[]": {itoa(w.friends)}})
	if strings.Count(html, `href="/people/`) != 1 || !strings.Contains(html, "Carol") {
		t.Errorf("limited preview should link bob only and name Carol as text:\n%s", html)
	}

	// Bad input: clear 4xx messages.
	if code, msg := previewJSON(t, w.alice, url.Values{"status_message[text]": {"  "}}); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "text can't be blank") {
		t.Errorf("blank: %d %q", code, msg)
	}
	long := strings.Repeat("é", 65536)
	if code, msg := previewJSON(t, w.alice, url.Values{"status_message[text]": {long}}); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "at most 65535 characters") {
		t.Errorf("too long: %d %q", code, msg)
	}
	// Signed out: sign in first.
	if r := w.anon.Post("/posts/preview", url.Values{"status_message[text]": {"x"}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out: %d", r.StatusCode)
	}
}

// TestPreviewWithoutJavaScript: the publisher's Preview button re-renders
// the stream with the text kept, its preview and who will see it, and
// shares nothing.
func TestPreviewWithoutJavaScript(t *testing.T) {
	w := newWorld(t)
	text := "Seeds for **everyone** <b>x</b>"
	r := mustStatus(t, w.alice.Post("/posts/preview", url.Values{"status_message[text]": {text}, "aspect_ids[]": {itoa(w.friends)}, "preview_text": {"1"}}), http.StatusOK)
	for _, want := range []string{
		`formaction="/posts/preview"`,                             // the button is there
		">Seeds for **everyone** &lt;b&gt;x&lt;/b&gt;</textarea>", // the text is kept
		"<strong>everyone</strong>",                               // its preview
		"bob@pod.test",                                            // who will see it
		`value="` + itoa(w.friends) + `" checked`,                 // and the audience kept
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the preview page lacks %s", want)
		}
	}
	if strings.Contains(r.Body, "<b>x</b>") {
		t.Errorf("raw HTML came through the preview")
	}
	if body := w.alice.Get("/activity.json").Body; strings.Contains(body, "Seeds") {
		t.Errorf("previewing shared the post")
	}
	// Bad input re-renders the form with the message and the text.
	r = mustStatus(t, w.alice.Post("/posts/preview", url.Values{"status_message[text]": {strings.Repeat("a", 65536)}, "aspect_ids[]": {"public"}, "preview_text": {"1"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, "is too long (at most 65535 characters)") || !strings.Contains(r.Body, strings.Repeat("a", 100)) {
		t.Errorf("too long: the page lacks the message or the text")
	}
}

// TestPostLengthLimit: the server refuses a post over 65,535 characters
// with a message saying so, and takes one of exactly that length.
func TestPostLengthLimit(t *testing.T) {
	w := newWorld(t)
	r := mustStatus(t, w.alice.Post("/status_messages", url.Values{"status_message[text]": {strings.Repeat("ü", 65536)}, "aspect_ids[]": {"public"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, "is too long (at most 65535 characters)") {
		t.Errorf("too long: no message")
	}
	post(t, w.alice, strings.Repeat("ü", 65535), "public")
}
