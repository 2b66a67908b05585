package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestSignInReturnToStaysOnSite signs in with return targets that leave the
// pod: every one lands on "/" instead. Same-site paths are kept.
func TestSignInReturnToStaysOnSite(t *testing.T) {
	p := podtest.New(t)
	p.Client().SignUp("bob")
	signIn := func(returnTo string) string {
		t.Helper()
		c := p.Client()
		r := c.Post("/users/sign_in?return_to="+url.QueryEscape(returnTo), url.Values{"user[username]": {"bob"}, "user[password]": {"password1"}})
		if r.StatusCode != http.StatusFound {
			t.Fatalf("sign in with return_to %q: %d", returnTo, r.StatusCode)
		}
		return r.Header.Get("Location")
	}
	// The case first, in its raw form.
	c := p.Client()
	r := c.Post("/users/sign_in?return_to=/%09/evil.example", url.Values{"user[username]": {"bob"}, "user[password]": {"password1"}})
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusFound || loc != "/" {
		t.Errorf("return_to=/%%09/evil.example: %d %q, want 302 to /", r.StatusCode, loc)
	}
	// At most 20 sign-ins per address in five minutes: test a selection here,
	// every case in TestSafeRedirectTargets.
	for _, bad := range []string{"/ /evil.example", "/\\evil.example", "https://evil.example/", "/\n/evil.example", "/%2F/evil.example"} {
		if loc := signIn(bad); loc != "/" {
			t.Errorf("return_to %q: Location %q, want /", bad, loc)
		}
	}
	for _, good := range []string{"/user/edit", "/tags/x?max_time=1#top"} {
		if loc := signIn(good); loc != good {
			t.Errorf("return_to %q: Location %q", good, loc)
		}
	}
}

// TestSignInFormKeepsReturnTo follows a signed-out visitor from a protected
// page through the sign-in form and back to that page.
func TestSignInFormKeepsReturnTo(t *testing.T) {
	p := podtest.New(t)
	p.Client().SignUp("bob")
	c := p.Client()
	r := c.Get("/profile/edit?x=1")
	if r.StatusCode != http.StatusFound {
		t.Fatalf("protected page signed out: %d", r.StatusCode)
	}
	form := c.Get(r.Location())
	m := regexp.MustCompile(`<input type="hidden" name="return_to" value="([^"]*)">`).FindStringSubmatch(form.Body)
	if m == nil {
		t.Fatalf("sign-in form has no return_to field:\n%s", trim(form.Body))
	}
	if m[1] != "/profile/edit?x=1" {
		t.Errorf("return_to field %q", m[1])
	}
	// A wrong password shows the form again, still carrying the target.
	r = c.Post("/users/sign_in", url.Values{"user[username]": {"bob"}, "user[password]": {"nope"}, "return_to": {"/profile/edit?x=1"}})
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.Body, `name="return_to" value="/profile/edit?x=1"`) {
		t.Errorf("failed sign-in lost return_to: %d", r.StatusCode)
	}
	r = c.Post("/users/sign_in", url.Values{"user[username]": {"bob"}, "user[password]": {"password1"}, "return_to": {"/profile/edit?x=1"}})
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/profile/edit?x=1" {
		t.Errorf("after sign-in: %d %q, want the page asked for", r.StatusCode, r.Header.Get("Location"))
	}
	// Already signed in, the form sends the visitor straight on, same-site only.
	if r := c.Get("/users/sign_in?return_to=%2Fuser%2Fedit"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/user/edit" {
		t.Errorf("sign-in form when signed in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := c.Get("/users/sign_in?return_to=%2F%09%2Fevil.example"); r.Header.Get("Location") != "/" {
		t.Errorf("sign-in form when signed in, off-site target: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// An off-site target in the form is refused too, and not echoed into it.
	form = p.Client().Get("/users/sign_in?return_to=" + url.QueryEscape("//evil.example"))
	if strings.Contains(form.Body, "evil.example") {
		t.Error("sign-in form carries an off-site return_to")
	}
	r = p.Client().Post("/users/sign_in", url.Values{"user[username]": {"bob"}, "user[password]": {"password1"}, "return_to": {"/\t/evil.example"}})
	if loc := r.Header.Get("Location"); loc != "/" {
		t.Errorf("form return_to off site: Location %q", loc)
	}
}

// TestBackRedirectStaysOnSite checks the Referer-based "back" redirect
// after a form: a Referer naming this pod but with a path a browser
// would read as another host sends the visitor to the fallback.
func TestBackRedirectStaysOnSite(t *testing.T) {
	w := newWorld(t)
	for _, ref := range []string{"http://" + hostOf(t, w) + "/\t/evil.example", "http://" + hostOf(t, w) + "/\\evil.example"} {
		form := url.Values{"name": {"kittens"}, "authenticity_token": {w.alice.CSRF()}}
		req, _ := http.NewRequest(http.MethodPost, w.p.Server.URL+"/tag_followings", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", ref)
		r := w.alice.Do(req)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/tags/kittens" {
			t.Errorf("Referer %q: %d %q, want 303 to /tags/kittens", ref, r.StatusCode, r.Header.Get("Location"))
		}
	}
	// A good Referer is still followed.
	form := url.Values{"name": {"kittens"}, "authenticity_token": {w.alice.CSRF()}}
	req, _ := http.NewRequest(http.MethodPost, w.p.Server.URL+"/tag_followings", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "http://"+hostOf(t, w)+"/public")
	if r := w.alice.Do(req); r.Header.Get("Location") != "/public" {
		t.Errorf("good Referer: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

func hostOf(t *testing.T, w *world) string {
	t.Helper()
	u, err := url.Parse(w.p.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
