package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestBrowserOIDCConsentPhone: on a phone, dora opens an app's
// authorization link: she signs in first, then the consent page names the
// app and the scopes in plain words, fits the screen, and Approve (a plain
// form) sends her back to the app with a code.
func TestBrowserOIDCConsentPhone(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	p := podtest.NewReachable(t)
	p.NewUser(t, "dora")
	codes := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case codes <- r.URL.Query():
		default:
		}
		w.Write([]byte("<p>back in the app</p>"))
	}))
	t.Cleanup(app.Close)
	code, reg := postJSON(t, p.Server.URL+"/api/openid_connect/clients", map[string]any{
		"client_name": "Phone <i>Reader</i>", "redirect_uris": []string{app.URL + "/cb"}, "token_endpoint_auth_method": "none"})
	if code != http.StatusCreated {
		t.Fatalf("registration: %d %v", code, reg)
	}
	conf := oauth2.Config{ClientID: reg["client_id"].(string), RedirectURL: app.URL + "/cb",
		Endpoint: oauth2.Endpoint{AuthURL: p.Server.URL + "/api/openid_connect/authorizations/new"},
		Scopes:   []string{"openid", "profile", "contacts:read", "private:read", "interactions"}}
	authURL, _ := url.Parse(conf.AuthCodeURL("xyz", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))

	out := browserOutputDir(t)
	b := startBrowser(t, out)
	dora := b.user("dora", p.Server.URL)
	dora.run("set a phone viewport", chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	dora.open(authURL.RequestURI(), 200)
	if !strings.HasPrefix(dora.path(), "/users/sign_in") {
		t.Fatalf("signed out, the authorization link leads to %s, want the sign-in page", dora.path())
	}
	dora.run("sign in",
		chromedp.SendKeys(chromedp.ID("user_username"), "dora"),
		chromedp.SendKeys(chromedp.ID("user_password"), "password1"))
	dora.follow("the Sign in button", click(`form[action="/users/sign_in"] button[type=submit]`), 200)
	if !strings.HasPrefix(dora.path(), "/api/openid_connect/consent") {
		t.Fatalf("after signing in: %s, want the consent page", dora.path())
	}
	text := dora.text("main")
	for _, want := range []string{"Phone <i>Reader</i>", "Private Posts (Read-only)", "read-only access to your and your contacts' private posts",
		"Interactions", "Public Posts (Read-only)", strings.TrimPrefix(app.URL, "http://")} {
		if !strings.Contains(text, want) {
			t.Errorf("the consent page does not say %q:\n%s", want, text)
		}
	}
	if w := get(dora, "measure the page", chromedp.Evaluate[[]int](
		`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)); len(w) != 2 || w[0] > w[1] {
		t.Errorf("the consent page is wider than the phone's screen: %v", w)
	}
	shot(t, dora, out, "oidc-consent-phone.png")
	dora.run("approve", click(`button[name="approve"][value="true"]`))
	select {
	case q := <-codes:
		if q.Get("code") == "" || q.Get("state") != "xyz" {
			t.Errorf("the app got %v, want a code and its state", q)
		}
	case <-time.After(15 * time.Second):
		dora.fail("approve", errBrowserTimeout)
	}
}

var errBrowserTimeout = &url.Error{Op: "wait", URL: "the app's redirect URI", Err: os.ErrDeadlineExceeded}
