package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/streams"
)

// TestLimitedPostRoutesByPersona checks every route that touches a limited
// post for each kind of visitor: the author (alice), an audience member
// (bob), an audience member the author later ignored (dave), a signed-in
// outsider (carol) and a signed-out visitor.
func TestLimitedPostRoutesByPersona(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, "for friends only #secretplans @{Carol; carol@pod.test}", itoa(w.friends))
	w.blockDave(t)

	type persona struct {
		name   string
		c      *podtest.Client
		reader bool // may read the post
		canAct bool // may comment and like
	}
	personas := []persona{
		{"author", w.alice, true, true},
		{"audience member", w.bob, true, true},
		{"ignored audience member", w.dave, true, false},
		{"outsider", w.carol, false, false},
		{"signed out", w.anon, false, false},
	}
	for _, p := range personas {
		t.Run(p.name, func(t *testing.T) {
			c := p.c
			for _, path := range []string{"/posts/" + guid, "/posts/" + guid + ".json", "/posts/" + guid + "/comments.json", "/posts/" + guid + "/likes"} {
				r := c.Get(path)
				want := http.StatusNotFound
				if p.reader {
					want = http.StatusOK
				}
				if r.StatusCode != want {
					t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
				}
				if !p.reader && strings.Contains(r.Body, "secretplans") {
					t.Errorf("GET %s leaks the post", path)
				}
			}
			// No trace in streams, tag pages, search, profile pages or JSON.
			for _, path := range []string{"/stream.json", "/public.json", "/tags/secretplans.json", "/tags/secretplans", "/mentions.json",
				"/activity.json", "/people/" + w.aliceGUID, "/people/" + w.aliceGUID + "/stream.json", "/notifications.json"} {
				r := c.Get(path)
				if r.StatusCode >= 500 {
					t.Errorf("GET %s: %d", path, r.StatusCode)
				}
				if !p.reader && (strings.Contains(r.Body, guid) || strings.Contains(r.Body, "secretplans") && !strings.Contains(path, "secretplans")) {
					t.Errorf("GET %s shows the limited post to %s", path, p.name)
				}
				if !p.reader && strings.Contains(r.Body, "for friends only") {
					t.Errorf("GET %s shows the limited post's text to %s", path, p.name)
				}
			}

			jsonReq := func(method, path string, form url.Values) *podtest.Response {
				if form == nil {
					form = url.Values{}
				}
				form.Set("authenticity_token", c.CSRF())
				req, _ := http.NewRequest(method, w.p.Server.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Accept", "application/json")
				req.Header.Set("X-CSRF-Token", c.CSRF())
				return c.Do(req)
			}
			comment := jsonReq(http.MethodPost, "/posts/"+guid+"/comments", url.Values{"text": {"hi from " + p.name}})
			like := jsonReq(http.MethodPost, "/posts/"+guid+"/likes", nil)
			reshare := jsonReq(http.MethodPost, "/reshares", url.Values{"root_guid": {guid}})
			hide := jsonReq(http.MethodPut, "/share_visibilities/42", url.Values{"post_id": {guid}})
			switch {
			case p.name == "signed out":
				for _, r := range []*podtest.Response{comment, like, reshare, hide} {
					if r.StatusCode != http.StatusUnauthorized {
						t.Errorf("%s %s signed out: %d, want 401", r.Request.Method, r.Request.URL.Path, r.StatusCode)
					}
				}
			case !p.reader:
				for _, r := range []*podtest.Response{comment, like, reshare, hide} {
					if r.StatusCode != http.StatusNotFound {
						t.Errorf("%s %s by %s: %d, want 404", r.Request.Method, r.Request.URL.Path, p.name, r.StatusCode)
					}
				}
			case !p.canAct:
				if comment.StatusCode != http.StatusForbidden || like.StatusCode != http.StatusForbidden {
					t.Errorf("ignored person: comment %d, like %d, want 403", comment.StatusCode, like.StatusCode)
				}
			default:
				if comment.StatusCode != http.StatusCreated || like.StatusCode != http.StatusCreated {
					t.Errorf("comment %d, like %d, want 201\n%s", comment.StatusCode, like.StatusCode, comment.Body)
				}
			}
			if p.reader && reshare.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("reshare of a limited post by %s: %d, want 422", p.name, reshare.StatusCode)
			}
			if p.reader && p.name != "author" && hide.StatusCode != http.StatusOK {
				t.Errorf("hide by %s: %d", p.name, hide.StatusCode)
			}
			// Only the author may delete; outsiders learn nothing.
			if p.name != "author" {
				del := jsonReq(http.MethodDelete, "/posts/"+guid, nil)
				want := map[bool]int{true: http.StatusForbidden, false: http.StatusNotFound}[p.reader]
				if p.name == "signed out" {
					want = http.StatusUnauthorized
				}
				if del.StatusCode != want {
					t.Errorf("delete by %s: %d, want %d", p.name, del.StatusCode, want)
				}
			}
		})
	}

	// The counts the readers see include only the readers' interactions.
	r := w.alice.Get("/posts/" + guid + ".json")
	if !strings.Contains(r.Body, `"likes_count":2`) || !strings.Contains(r.Body, `"comments_count":2`) {
		t.Errorf("counts after author and member acted: %s", trim(r.Body))
	}
	// Finally the author deletes it: it is gone for everyone.
	mustStatus(t, w.alice.Post("/posts/"+guid, url.Values{"_method": {"delete"}}), http.StatusSeeOther)
	if r := w.bob.Get("/posts/" + guid); r.StatusCode != http.StatusNotFound {
		t.Errorf("deleted post still readable: %d", r.StatusCode)
	}
}

func TestPublicPostRoutes(t *testing.T) {
	w := newWorld(t)
	w.blockDave(t)
	guid := post(t, w.alice, "hello world #open", "public")
	if r := w.anon.Get("/posts/" + guid); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "hello world") {
		t.Fatalf("signed-out visitor cannot read a public post: %d", r.StatusCode)
	}
	if r := w.anon.Get("/public.json"); !strings.Contains(r.Body, guid) {
		t.Error("public stream lacks the post")
	}
	if r := w.anon.Get("/tags/open.json"); !strings.Contains(r.Body, guid) {
		t.Error("tag stream lacks the post")
	}
	// carol (a stranger) may comment and reshare; dave (ignored) may not comment.
	mustStatus(t, w.carol.Post("/posts/"+guid+"/comments", url.Values{"text": {"nice"}}), http.StatusSeeOther)
	if r := w.dave.Post("/posts/"+guid+"/comments", url.Values{"text": {"hey"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("ignored person comments: %d", r.StatusCode)
	}
	mustStatus(t, w.carol.Post("/reshares", url.Values{"root_guid": {guid}}), http.StatusSeeOther)
	if r := w.carol.Post("/reshares", url.Values{"root_guid": {guid}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("second reshare: %d, want 422", r.StatusCode)
	}
	if r := w.alice.Post("/reshares", url.Values{"root_guid": {guid}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("resharing own post: %d, want 422", r.StatusCode)
	}
	mustStatus(t, w.bob.Post("/posts/"+guid+"/likes", nil), http.StatusSeeOther)
	if r := w.bob.Post("/posts/"+guid+"/likes", nil); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already like") {
		t.Errorf("liking twice: %d", r.StatusCode)
	}
	// The author got notifications for comment, reshare and like.
	r := w.alice.Get("/notifications.json")
	for _, typ := range []string{"comment_on_post", "reshared", "liked"} {
		if !strings.Contains(r.Body, `"`+typ+`"`) {
			t.Errorf("no %s notification: %s", typ, trim(r.Body))
		}
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	countPosts := func() int {
		page, err := w.p.App.Streams.Stream(ctx, nil, streams.StreamQuery{Kind: streams.StreamPublic, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		own, _ := w.p.App.Streams.Stream(ctx, nil, streams.StreamQuery{Kind: streams.StreamPerson, PersonGUID: w.aliceGUID, Limit: 100})
		return len(page.Posts) + len(own.Posts)
	}
	before := countPosts()
	// An aspect that belongs to someone else.
	bobPerson, _ := w.p.Store.PersonByDiasporaID(ctx, "bob@pod.test")
	bobAspects, _ := w.p.Store.AspectsOf(ctx, *bobPerson.OwnerID)
	cases := []struct {
		name string
		form url.Values
		msg  string
	}{
		{"someone else's aspect", url.Values{"status_message[text]": {"x"}, "aspect_ids[]": {itoa(bobAspects[0].ID)}}, "not one of yours"},
		{"no audience", url.Values{"status_message[text]": {"x"}}, "choose who to share with"},
		{"bad audience", url.Values{"status_message[text]": {"x"}, "aspect_ids[]": {"everyone"}}, "must be"},
		{"empty text", url.Values{"status_message[text]": {"  "}, "aspect_ids[]": {"public"}}, "be blank"},
		{"oversized text", url.Values{"status_message[text]": {strings.Repeat("a", 65536)}, "aspect_ids[]": {"public"}}, "too long"},
	}
	for _, tc := range cases {
		r := w.alice.Post("/status_messages", tc.form)
		if r.StatusCode != http.StatusUnprocessableEntity && r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 422", tc.name, r.StatusCode)
		}
		if r.StatusCode == http.StatusUnprocessableEntity && !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%s: no message %q", tc.name, tc.msg)
		}
	}
	if after := countPosts(); after != before {
		t.Errorf("posts %d → %d: bad input stored something", before, after)
	}
	// Unknown tag characters.
	if r := w.alice.Get("/tags/bad!name"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad tag: %d", r.StatusCode)
	}
	if r := w.alice.Post("/tag_followings", url.Values{"name": {"no spaces allowed"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad tag follow: %d", r.StatusCode)
	}
	// Adding a person to someone else's aspect, or oneself.
	if r := w.alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(bobAspects[0].ID)}, "person_id": {itoa(w.daveID)}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("someone else's aspect membership: %d", r.StatusCode)
	}
	if r := w.alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(w.friends)}, "person_id": {itoa(w.aliceID)}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("adding oneself: %d", r.StatusCode)
	}
	// Aspect names: too long, duplicate regardless of case.
	if r := w.alice.Post("/aspects", url.Values{"aspect[name]": {strings.Repeat("x", 21)}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("long aspect name: %d", r.StatusCode)
	}
	if r := w.alice.Post("/aspects", url.Values{"aspect[name]": {"fRiEnDs"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already") {
		t.Errorf("duplicate aspect name: %d", r.StatusCode)
	}
}

var activeAttr = regexp.MustCompile(`<[a-z]+[^>]*\son[a-z]+\s*=`)

func TestPostTextIsInert(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, `<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> <b onclick="x()">raw</b>`, "public")
	for _, path := range []string{"/posts/" + guid, "/public", "/people/" + w.aliceGUID} {
		body := strings.ToLower(w.anon.Get(path).Body)
		for _, bad := range []string{"<script>alert", `href="javascript:`, "<img src=\"x\" onerror", "<b onclick"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
		if m := activeAttr.FindString(body); m != "" {
			t.Errorf("%s has an event attribute: %s", path, m)
		}
	}
}

// TestTagSearchHidesTagsOfLimitedPosts checks that tag autocompletion only
// names a tag that occurs on a post the viewer may read, or that the viewer
// follows: a tag used only in a limited post stays unknown to outsiders.
func TestTagSearchHidesTagsOfLimitedPosts(t *testing.T) {
	w := newWorld(t)
	search := func(c *podtest.Client, q string) string {
		t.Helper()
		r := c.Get("/tags?q=" + q)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET /tags?q=%s: %d\n%s", q, r.StatusCode, trim(r.Body))
		}
		return r.Body
	}
	if got := search(w.anon, "zqxsecret"); got != "[]" {
		t.Fatalf("before any post: %s", got)
	}
	post(t, w.alice, "limited #zqxsecretqvfthm", itoa(w.friends))
	for name, c := range map[string]*podtest.Client{"signed out": w.anon, "outsider": w.carol} {
		if got := search(c, "zqxsecret"); got != "[]" {
			t.Errorf("%s finds the tag of a limited post: %s", name, got)
		}
	}
	for name, c := range map[string]*podtest.Client{"author": w.alice, "audience member": w.bob} {
		if got := search(c, "zqxsecret"); got != `[{"name":"zqxsecretqvfthm"}]` {
			t.Errorf("%s cannot find the tag: %s", name, got)
		}
	}
	// Following a tag makes it the follower's to see, nobody else's.
	mustStatus(t, w.carol.Post("/tag_followings", url.Values{"name": {"zqxfollowedonly"}}), http.StatusSeeOther)
	if got := search(w.carol, "zqxfollowed"); got != `[{"name":"zqxfollowedonly"}]` {
		t.Errorf("follower cannot find a followed tag: %s", got)
	}
	if got := search(w.anon, "zqxfollowed"); got != "[]" {
		t.Errorf("signed out visitor finds a tag someone only follows: %s", got)
	}
	// Once the tag is on a public post, everyone finds it.
	post(t, w.bob, "now public #zqxsecretqvfthm", "public")
	if got := search(w.anon, "zqxsecret"); got != `[{"name":"zqxsecretqvfthm"}]` {
		t.Errorf("tag of a public post not found: %s", got)
	}
}

// TestIDsDoNotCountLimitedPosts checks that the numeric IDs an outsider sees
// do not reveal a limited post written between two public ones, and that
// posts are still found by those IDs.
func TestIDsDoNotCountLimitedPosts(t *testing.T) {
	w := newWorld(t)
	first := post(t, w.alice, "public one", "public")
	post(t, w.alice, "limited between", itoa(w.friends))
	second := post(t, w.alice, "public two", "public")
	var page []struct {
		ID       int64  `json:"id"`
		GUID     string `json:"guid"`
		Comments []struct {
			ID int64 `json:"id"`
		} `json:"comments"`
	}
	r := mustStatus(t, w.anon.Get("/people/"+w.aliceGUID+"/stream.json"), http.StatusOK)
	if err := json.Unmarshal([]byte(r.Body), &page); err != nil {
		t.Fatalf("%v\n%s", err, trim(r.Body))
	}
	ids := map[string]int64{}
	for _, p := range page {
		ids[p.GUID] = p.ID
	}
	a, b := ids[first], ids[second]
	if a == 0 || b == 0 || len(page) != 2 {
		t.Fatalf("public posts seen signed out: %s", trim(r.Body))
	}
	if d := b - a; d > -1000 && d < 1000 {
		t.Errorf("public posts %d and %d: the gap counts the posts between them", a, b)
	}
	for _, id := range []int64{a, b} {
		if id < 1 || id >= 1<<53 {
			t.Errorf("post ID %d is not exact in JavaScript", id)
		}
		if r := w.anon.Get("/posts/" + itoa(id) + ".json"); r.StatusCode != http.StatusOK {
			t.Errorf("GET /posts/%d.json: %d", id, r.StatusCode)
		}
	}
}
