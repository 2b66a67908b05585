package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// world is a pod with alice (the author), bob (in alice's Friends), carol
// (a signed-in outsider), dave (ignored by alice) and a signed-out visitor.
type world struct {
	p                       *podtest.Pod
	alice, bob, carol, dave *podtest.Client
	anon                    *podtest.Client
	friends                 int64
	bobID, aliceID, daveID  int64
	aliceGUID               string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	p := podtest.New(t)
	w := &world{p: p, alice: p.Client(), bob: p.Client(), carol: p.Client(), dave: p.Client(), anon: p.Client()}
	w.alice.SignUp("alice")
	w.bob.SignUp("bob")
	w.carol.SignUp("carol")
	w.dave.SignUp("dave")
	ctx := context.Background()
	for name, dst := range map[string]*int64{"alice": &w.aliceID, "bob": &w.bobID, "dave": &w.daveID} {
		person, err := p.Store.PersonByDiasporaID(ctx, name+"@pod.test")
		if err != nil {
			t.Fatal(err)
		}
		*dst = person.ID
		if name == "alice" {
			w.aliceGUID = person.GUID
			as, _ := p.Store.AspectsOf(ctx, *person.OwnerID)
			w.friends = as[1].ID
		}
	}
	mustStatus(t, w.alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(w.friends)}, "person_id": {itoa(w.bobID)}}), http.StatusSeeOther)
	mustStatus(t, w.alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(w.friends)}, "person_id": {itoa(w.daveID)}}), http.StatusSeeOther)
	return w
}

// blockDave makes alice ignore dave.
func (w *world) blockDave(t *testing.T) {
	t.Helper()
	mustStatus(t, w.alice.Post("/blocks", url.Values{"block[person_id]": {itoa(w.daveID)}}), http.StatusSeeOther)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustStatus(t *testing.T, r *podtest.Response, want int) *podtest.Response {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, trim(r.Body))
	}
	return r
}

func trim(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// post publishes as c and returns the new post's GUID.
func post(t *testing.T, c *podtest.Client, text string, aspectIDs ...string) string {
	t.Helper()
	r := mustStatus(t, c.Post("/status_messages", url.Values{"status_message[text]": {text}, "aspect_ids[]": aspectIDs}), http.StatusSeeOther)
	return strings.TrimPrefix(r.Location(), "/posts/")
}

func TestStreamPagesRender(t *testing.T) {
	w := newWorld(t)
	w.blockDave(t)
	post(t, w.alice, "hello #world", "public")
	for _, path := range []string{"/stream", "/aspects", "/public", "/mentions", "/followed_tags", "/activity", "/liked", "/commented",
		"/tags/world", "/contacts", "/contacts?set=receiving", "/people?q=bob", "/privacy", "/notifications", "/tag_followings", "/bookmarklet",
		"/people/" + w.aliceGUID} {
		r := w.alice.Get(path)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", path, r.StatusCode, trim(r.Body))
		}
	}
	for _, path := range []string{"/stream.json", "/aspects.json", "/public.json", "/tags/world.json", "/people.json?q=bob", "/contacts.json", "/notifications.json"} {
		r := w.alice.Get(path)
		if r.StatusCode != http.StatusOK || !json.Valid([]byte(r.Body)) {
			t.Errorf("GET %s: %d %s", path, r.StatusCode, trim(r.Body))
		}
	}
}
