package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// oidcApp is a registered test app: a real go-oidc + oauth2 client of a
// pod, with a browser (cookie jar) signed in as a user.
type oidcApp struct {
	t        *testing.T
	pod      *podtest.Pod
	browser  *podtest.Client
	provider *oidc.Provider
	conf     oauth2.Config
	reg      map[string]any
}

const testRedirect = "http://127.0.0.1:9/callback"

// registerApp discovers the pod, registers an app (JSON, RFC 7591) and
// signs the browser in as user.
func registerApp(t *testing.T, p *podtest.Pod, user string, meta map[string]any, scopes ...string) *oidcApp {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, p.Server.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	var disc struct {
		Registration string   `json:"registration_endpoint"`
		Subjects     []string `json:"subject_types_supported"`
		Scopes       []string `json:"scopes_supported"`
		Token        string   `json:"token_endpoint"`
		Auth         string   `json:"authorization_endpoint"`
		UserInfo     string   `json:"userinfo_endpoint"`
		JWKS         string   `json:"jwks_uri"`
		PKCE         []string `json:"code_challenge_methods_supported"`
	}
	if err := provider.Claims(&disc); err != nil {
		t.Fatal(err)
	}
	base := p.Server.URL
	for got, want := range map[string]string{disc.Registration: base + "/api/openid_connect/clients", disc.Token: base + "/api/openid_connect/access_tokens",
		disc.Auth: base + "/api/openid_connect/authorizations/new", disc.UserInfo: base + "/api/openid_connect/user_info",
		disc.JWKS: base + "/api/openid_connect/jwks.json"} {
		if got != want {
			t.Errorf("discovery: endpoint %q, want %q", got, want)
		}
	}
	if !slices.Equal(disc.Subjects, []string{"public", "pairwise"}) || !slices.Contains(disc.Scopes, "private:read") || !slices.Equal(disc.PKCE, []string{"S256"}) {
		t.Errorf("discovery: subjects %v, scopes %v, PKCE %v", disc.Subjects, disc.Scopes, disc.PKCE)
	}
	if meta == nil {
		meta = map[string]any{}
	}
	if meta["redirect_uris"] == nil {
		meta["redirect_uris"] = []string{testRedirect}
	}
	if meta["client_name"] == nil {
		meta["client_name"] = "Test <b>app</b>"
	}
	code, reg := postJSON(t, disc.Registration, meta)
	if code != http.StatusCreated {
		t.Fatalf("registration: %d %v", code, reg)
	}
	conf := oauth2.Config{ClientID: reg["client_id"].(string), Endpoint: provider.Endpoint(), RedirectURL: meta["redirect_uris"].([]string)[0], Scopes: scopes}
	if s, ok := reg["client_secret"].(string); ok {
		conf.ClientSecret = s
	}
	if meta["token_endpoint_auth_method"] == "client_secret_basic" {
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	} else {
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	b := p.Client()
	if user != "" {
		if r := b.SignIn(user, "password1", false); r.StatusCode != http.StatusFound {
			t.Fatalf("sign in %s: %d", user, r.StatusCode)
		}
	}
	return &oidcApp{t: t, pod: p, browser: b, provider: provider, conf: conf, reg: reg}
}

func postJSON(t *testing.T, u string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(u, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

var hiddenID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// authorize runs the authorization request in the browser up to the
// consent page and returns the page.
func (a *oidcApp) consentPage(opts ...oauth2.AuthCodeOption) *podtest.Response {
	a.t.Helper()
	r := a.browser.Do(mustRequest(a.t, a.conf.AuthCodeURL("st4te", opts...)))
	if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Location(), "/api/openid_connect/consent?id=") {
		a.t.Fatalf("authorization endpoint: %d %q %s", r.StatusCode, r.Header.Get("Location"), r.Body)
	}
	return a.browser.Get(r.Location())
}

// approve submits the consent form as the browser would (with its CSRF
// token) and follows the redirects to the app; it returns the app's
// callback URL.
func (a *oidcApp) approve(page *podtest.Response, approve string) *url.URL {
	a.t.Helper()
	m := hiddenID.FindStringSubmatch(page.Body)
	if m == nil {
		a.t.Fatalf("no consent form: %d %s", page.StatusCode, page.Body)
	}
	r := a.browser.Post("/api/openid_connect/authorizations", url.Values{"id": {m[1]}, "approve": {approve}})
	return a.followToApp(r)
}

func (a *oidcApp) followToApp(r *podtest.Response) *url.URL {
	a.t.Helper()
	for i := 0; i < 5; i++ {
		loc := r.Header.Get("Location")
		if r.StatusCode < 300 || r.StatusCode > 303 || loc == "" {
			a.t.Fatalf("expected a redirect, got %d %s", r.StatusCode, r.Body)
		}
		if strings.HasPrefix(loc, a.conf.RedirectURL) {
			u, _ := url.Parse(loc)
			return u
		}
		if strings.HasPrefix(loc, "/") {
			loc = a.pod.Server.URL + loc
		}
		r = a.browser.Do(mustRequest(a.t, loc))
	}
	a.t.Fatal("too many redirects")
	return nil
}

// code runs the whole browser part and returns the code.
func (a *oidcApp) code(opts ...oauth2.AuthCodeOption) string {
	a.t.Helper()
	page := a.consentPage(opts...)
	var cb *url.URL
	if page.StatusCode == http.StatusFound {
		cb = a.followToApp(page) // granted before: no consent page
	} else {
		cb = a.approve(page, "true")
	}
	if cb.Query().Get("state") != "st4te" || cb.Query().Get("code") == "" {
		a.t.Fatalf("callback without code or state: %s", cb)
	}
	return cb.Query().Get("code")
}

// token gets a token set through the code flow with PKCE.
func (a *oidcApp) token() *oauth2.Token {
	a.t.Helper()
	v := oauth2.GenerateVerifier()
	code := a.code(oauth2.S256ChallengeOption(v), oidc.Nonce("n0nce"))
	tok, err := a.conf.Exchange(context.Background(), code, oauth2.VerifierOption(v))
	if err != nil {
		a.t.Fatalf("code exchange: %v", err)
	}
	return tok
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// api calls the API with a bearer token and decodes the JSON answer.
func api(t *testing.T, p *podtest.Pod, token, path string) (int, http.Header, any) {
	t.Helper()
	return apiDo(t, p, token, http.MethodGet, path, nil)
}

// wantAPIError checks diaspora*'s error shape.
func wantAPIError(t *testing.T, what string, code int, body any, status int, message string) {
	t.Helper()
	m, ok := body.(map[string]any)
	if code != status || !ok || m["code"] != float64(status) || (message != "" && m["message"] != message) || len(m) != 2 {
		t.Errorf("%s: %d %v, want %d {code: %d, message: %q}", what, code, body, status, status, message)
	}
}

func countRows(t *testing.T, p *podtest.Pod, table string) int64 {
	t.Helper()
	n, err := p.Store.Count(context.Background(), "SELECT count(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOIDCCodeFlowWithGoOIDCClient(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	a := registerApp(t, p, "alice", map[string]any{"token_endpoint_auth_method": "client_secret_basic"},
		"openid", "profile", "email", "contacts:read", "private:read")

	page := a.consentPage(oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	for _, want := range []string{"Test &lt;b&gt;app&lt;/b&gt;", "127.0.0.1:9", "Extended profile (Read-only)",
		"Public Posts (Read-only)", "Private Posts (Read-only)", `name="authenticity_token"`, `name="approve" value="true"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "offline_access") || strings.Contains(page.Body, "<b>app</b>") {
		t.Error("the consent page shows offline_access or the app's name unescaped")
	}

	tok := a.token()
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := a.provider.Verifier(&oidc.Config{ClientID: a.conf.ClientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("ID token does not verify against jwks.json: %v", err)
	}
	sub := "alice@" + strings.TrimPrefix(p.Server.URL, "http://")
	if idt.Subject != sub || idt.Nonce != "n0nce" || idt.Issuer != p.Server.URL {
		t.Errorf("ID token: sub %q nonce %q iss %q, want %q n0nce %q", idt.Subject, idt.Nonce, idt.Issuer, sub, p.Server.URL)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token (diaspora* gives one without offline_access)")
	}
	if n := countRows(t, p, "oidc_access_tokens WHERE token_hash = sha256('"+tok.AccessToken+"')"); n != 1 {
		t.Errorf("the access token's hash is stored %d times", n)
	}

	info, err := a.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("user_info: %v", err)
	}
	var claims struct {
		Nickname string `json:"nickname"`
		Profile  string `json:"profile"`
	}
	info.Claims(&claims)
	if info.Subject != sub || claims.Nickname != "alice" || info.Email != "alice@example.org" || claims.Profile != p.Server.URL+"/api/v1/user" {
		t.Errorf("user_info: %+v %+v", info, claims)
	}

	code, _, body := api(t, p, tok.AccessToken, "/api/v1/user")
	u, _ := body.(map[string]any)
	if code != http.StatusOK || u["guid"] != alice.Session.GUID || u["diaspora_id"] != sub {
		t.Fatalf("GET /api/v1/user: %d %v", code, body)
	}
	if _, ok := u["bio"]; ok {
		t.Error("GET /api/v1/user shows private fields without profile:read_private")
	}

	// Refresh: a new access token, the same refresh token (diaspora*).
	fresh, err := a.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.AccessToken == "" {
		t.Fatal("refresh gave no new access token")
	}
	if code, _, _ := api(t, p, fresh.AccessToken, "/api/v1/user"); code != http.StatusOK {
		t.Fatalf("refreshed token: %d", code)
	}
	// The token in the query or a form body works too.
	if code, _, _ := api(t, p, "", "/api/v1/user?access_token="+fresh.AccessToken); code != http.StatusOK {
		t.Errorf("access_token query parameter: %d", code)
	}

	// A second authorization with the same scopes needs no consent.
	a.browser.Get("/")
	r := a.browser.Do(mustRequest(t, a.conf.AuthCodeURL("st4te", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))))
	if cb := a.followToApp(r); cb.Query().Get("code") == "" {
		t.Errorf("the same scopes again: %s, want a code without consent", cb)
	}

	// Settings: the app is listed with its scopes and last use; revoke.
	apps := a.browser.Get("/api/openid_connect/user_applications")
	for _, want := range []string{"Test &lt;b&gt;app&lt;/b&gt;", "Private Posts (Read-only)", "last used:", `value="delete"`} {
		if !strings.Contains(apps.Body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if strings.Contains(apps.Body, "last used: never") {
		t.Error("the settings page does not show the last use")
	}
	action := regexp.MustCompile(`action="(/api/openid_connect/authorizations/\d+)"`).FindStringSubmatch(apps.Body)
	if action == nil {
		t.Fatalf("no revoke form: %s", apps.Body)
	}
	if r := a.browser.Post(action[1], url.Values{"_method": {"delete"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", r.StatusCode, r.Body)
	}
	for _, at := range []string{tok.AccessToken, fresh.AccessToken} {
		code, h, body := api(t, p, at, "/api/v1/user")
		wantAPIError(t, "revoked token", code, body, http.StatusUnauthorized, "invalid_token")
		if !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("revoked token: WWW-Authenticate %q", h.Get("WWW-Authenticate"))
		}
	}
	_, err = a.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("refresh after revoking: %v, want invalid_grant", err)
	}
	if strings.Contains(a.browser.Get("/api/openid_connect/user_applications").Body, "Test &lt;b&gt;app") {
		t.Error("the revoked app is still listed")
	}
	if !strings.Contains(a.browser.Get("/user/edit").Body, `href="/api/openid_connect/user_applications"`) {
		t.Error("the settings page does not link to the apps")
	}
}

func TestOIDCPublicClientNeedsPKCEAndPairwiseSubjects(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	p.NewUser(t, "pat")
	a := registerApp(t, p, "pat", map[string]any{"token_endpoint_auth_method": "none", "subject_type": "pairwise",
		"redirect_uris": []string{testRedirect}, "application_type": "native"}, "openid")
	if _, ok := a.reg["client_secret"]; ok {
		t.Error("a public client got a secret")
	}
	// Without PKCE the consent page sends the app an error.
	r := a.browser.Do(mustRequest(t, a.conf.AuthCodeURL("st4te")))
	r = a.browser.Get(r.Location())
	if cb := a.followToApp(r); cb.Query().Get("error") != "invalid_request" || cb.Query().Get("code") != "" {
		t.Errorf("public client without PKCE: %s", cb)
	}
	tok := a.token()
	idt, err := a.provider.Verifier(&oidc.Config{ClientID: a.conf.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if len(idt.Subject) != 32 || strings.Contains(idt.Subject, "pat") {
		t.Errorf("pairwise subject %q", idt.Subject)
	}
	info, err := a.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != idt.Subject {
		t.Errorf("user_info subject %v %v, want %q", info, err, idt.Subject)
	}
}

func TestOIDCBadInput(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	p.NewUser(t, "bad")
	a := registerApp(t, p, "bad", nil, "openid", "public:read")
	clients := countRows(t, p, "oidc_clients")

	// Registration: fragment, script scheme, nothing.
	for _, meta := range []map[string]any{{"redirect_uris": []string{"https://app.example/cb#frag"}},
		{"redirect_uris": []string{"javascript:alert(1)"}}, {"client_name": "x"}} {
		code, body := postJSON(t, p.Server.URL+"/api/openid_connect/clients", meta)
		if code != http.StatusBadRequest || body["error"] != "invalid_redirect_uri" || body["error_description"] == "" {
			t.Errorf("registration %v: %d %v", meta, code, body)
		}
	}
	if code, body := postJSON(t, p.Server.URL+"/api/openid_connect/clients", map[string]any{"redirect_uris": []string{testRedirect},
		"token_endpoint_auth_method": "private_key_jwt"}); code != http.StatusBadRequest || body["error"] != "invalid_client_metadata" {
		t.Errorf("private_key_jwt: %d %v", code, body)
	}
	if n := countRows(t, p, "oidc_clients"); n != clients {
		t.Errorf("refused registrations stored clients: %d, want %d", n, clients)
	}

	// An unregistered redirect URI never gets a redirect.
	evil := a.conf
	evil.RedirectURL = "https://evil.example/cb"
	r := a.browser.Do(mustRequest(t, evil.AuthCodeURL("st4te", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))))
	if strings.Contains(r.Header.Get("Location"), "evil.example") || r.StatusCode < 400 {
		t.Errorf("unregistered redirect_uri: %d %q", r.StatusCode, r.Header.Get("Location"))
	}

	// Unknown scope, private:read without contacts:read: invalid_scope.
	for _, scopes := range [][]string{{"openid", "bogus"}, {"openid", "private:read"}} {
		c := a.conf
		c.Scopes = scopes
		r := a.browser.Do(mustRequest(t, c.AuthCodeURL("st4te", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))))
		r = a.browser.Get(r.Location())
		if cb := a.followToApp(r); cb.Query().Get("error") != "invalid_scope" {
			t.Errorf("scopes %v: %s, want invalid_scope", scopes, cb)
		}
	}

	// Denying sends access_denied.
	if cb := a.approve(a.consentPage(oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "false"); cb.Query().Get("error") != "access_denied" || cb.Query().Get("state") != "st4te" {
		t.Errorf("deny: %s", cb)
	}

	// PKCE: a wrong verifier, no verifier: no tokens.
	tokens := countRows(t, p, "oidc_access_tokens")
	v := oauth2.GenerateVerifier()
	_, err := a.conf.Exchange(ctx, a.code(oauth2.S256ChallengeOption(v)), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("wrong code_verifier: %v, want invalid_grant", err)
	}
	_, err = a.conf.Exchange(ctx, a.code(oauth2.S256ChallengeOption(v)))
	if err == nil || !strings.Contains(err.Error(), "invalid_request") {
		t.Errorf("missing code_verifier: %v, want invalid_request", err)
	}
	if n := countRows(t, p, "oidc_access_tokens"); n != tokens {
		t.Errorf("failed exchanges stored tokens: %d, want %d", n, tokens)
	}
	// A code works once; a replayed code revokes what it granted (as
	// diaspora* does: the code may have been stolen).
	code := a.code(oauth2.S256ChallengeOption(v))
	first, err := a.conf.Exchange(ctx, code, oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := api(t, p, first.AccessToken, "/api/v1/streams/main"); code != http.StatusOK {
		t.Fatalf("token: %d", code)
	}
	if _, err := a.conf.Exchange(ctx, code, oauth2.VerifierOption(v)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("reused code: %v", err)
	}
	c, _, body := api(t, p, first.AccessToken, "/api/v1/streams/main")
	wantAPIError(t, "token of a replayed code", c, body, http.StatusUnauthorized, "invalid_token")

	// Forged tokens: none, random, alg none, another key's JWT.
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: rsaKey}, nil)
	claims := fmt.Sprintf(`{"iss":%q,"sub":"bad@x","aud":%q,"exp":%d}`, p.Server.URL, a.conf.ClientID, time.Now().Add(time.Hour).Unix())
	jws, _ := signer.Sign([]byte(claims))
	otherKey, _ := jws.CompactSerialize()
	b64 := base64.RawURLEncoding.EncodeToString
	algNone := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64([]byte(claims)) + "."
	random := make([]byte, 32)
	rand.Read(random)
	for name, tok := range map[string]string{"random": fmt.Sprintf("%x", random), "alg none": algNone, "other key": otherKey, "garbage": "x y"} {
		code, h, body := api(t, p, tok, "/api/v1/user")
		wantAPIError(t, name, code, body, http.StatusUnauthorized, "invalid_token")
		if h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", name)
		}
	}
	code2, h, body := api(t, p, "", "/api/v1/user")
	wantAPIError(t, "no token", code2, body, http.StatusUnauthorized, "")
	if !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: WWW-Authenticate %q", h.Get("WWW-Authenticate"))
	}
}

func TestAPITokensEndWithTheAccount(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	for _, name := range []string{"expire", "lockme", "closeme", "newpw"} {
		p.NewUser(t, name)
	}
	// Each token is used once before its user changes, so that the
	// check is cached (Redis): the change must end it all the same.
	tokenOf := func(user string, scopes ...string) string {
		tok := registerApp(t, p, user, nil, scopes...).token().AccessToken
		if code, _, body := api(t, p, tok, "/api/v1/streams/main"); code != http.StatusOK {
			t.Fatalf("%s's fresh token: %d %v", user, code, body)
		}
		keys, err := p.App.Core.Redis().Keys(ctx, p.App.Core.Options().RedisPrefix+"oidc:cache:*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("the token check is not cached: %v %v", keys, err)
		}
		return tok
	}

	tok := tokenOf("expire", "openid", "public:read")
	// A scope not granted: 403 insufficient_scope.
	code, _, body := api(t, p, tok, "/api/v1/user")
	wantAPIError(t, "no profile scope", code, body, http.StatusForbidden, "insufficient_scope")
	// Unknown paths, and known ones with another method: 404 in the
	// API's shape (never a 5xx: the client is wrong).
	code, _, body = api(t, p, tok, "/api/v1/no-such-endpoint")
	wantAPIError(t, "unknown endpoint", code, body, http.StatusNotFound, "No such API endpoint: GET /api/v1/no-such-endpoint")
	code, _, body = apiDo(t, p, tok, http.MethodDelete, "/api/v1/user", nil)
	wantAPIError(t, "a known path with another method", code, body, http.StatusNotFound, "No such API endpoint: DELETE /api/v1/user")
	// Expired a day later.
	p.App.OIDC.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	code, _, body = api(t, p, tok, "/api/v1/streams/main")
	wantAPIError(t, "expired", code, body, http.StatusUnauthorized, "invalid_token")
	p.App.OIDC.SetClock(time.Now)
	if code, _, _ := api(t, p, tok, "/api/v1/streams/main"); code != http.StatusOK {
		t.Fatalf("live token: %d", code)
	}

	locked := tokenOf("lockme", "openid", "profile")
	if _, err := p.App.Accounts.SignUp(ctx, signUpByOperator("lockadmin")); err != nil {
		t.Fatal(err)
	}
	admin, _, err := p.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: "lockadmin", Password: "password1", ClientIP: "10.9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	lockme, err := p.Store.UserByUsername(ctx, "lockme")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Moderation.SetLocked(ctx, admin, lockme.ID, true); err != nil {
		t.Fatal(err)
	}
	code, _, body = api(t, p, locked, "/api/v1/user")
	wantAPIError(t, "locked user", code, body, http.StatusUnauthorized, "invalid_token")

	closed := tokenOf("closeme", "openid", "profile")
	u, err := p.Store.UserByUsername(ctx, "closeme")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Accounts.CloseAccount(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	code, _, body = api(t, p, closed, "/api/v1/user")
	wantAPIError(t, "closed account", code, body, http.StatusUnauthorized, "invalid_token")

	pw := tokenOf("newpw", "openid", "profile")
	u, _ = p.Store.UserByUsername(ctx, "newpw")
	if err := p.App.Accounts.ChangePassword(ctx, u.ID, accounts.ChangePasswordInput{Current: "password1", Password: "password2", PasswordConfirmation: "password2"}); err != nil {
		t.Fatal(err)
	}
	code, _, body = api(t, p, pw, "/api/v1/user")
	wantAPIError(t, "new password", code, body, http.StatusUnauthorized, "invalid_token")
}

func TestAPIMainStreamNeedsPrivateReadForLimitedPosts(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	pub, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "hello world", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "family only",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Family"]}}})
	if err != nil {
		t.Fatal(err)
	}
	guids := func(body any) []string {
		var out []string
		for _, x := range body.([]any) {
			out = append(out, x.(map[string]any)["guid"].(string))
		}
		return out
	}
	public := registerApp(t, p, "alice", nil, "openid", "public:read").token().AccessToken
	code, _, body := api(t, p, public, "/api/v1/streams/main")
	if code != http.StatusOK {
		t.Fatalf("stream: %d %v", code, body)
	}
	if got := guids(body); !slices.Contains(got, pub.GUID) || slices.Contains(got, lim.GUID) {
		t.Errorf("public:read sees %v; want the public %s and never the limited %s", got, pub.GUID, lim.GUID)
	}
	private := registerApp(t, p, "alice", nil, "openid", "contacts:read", "private:read").token().AccessToken
	code, _, body = api(t, p, private, "/api/v1/streams/main")
	if got := guids(body); code != http.StatusOK || !slices.Contains(got, pub.GUID) || !slices.Contains(got, lim.GUID) {
		t.Errorf("private:read sees %d %v; want both %s and %s", code, got, pub.GUID, lim.GUID)
	}
	post := body.([]any)[0].(map[string]any)
	for _, key := range []string{"guid", "body", "post_type", "public", "created_at", "author", "interaction_counters", "own_interaction_state"} {
		if _, ok := post[key]; !ok {
			t.Errorf("post JSON lacks %q: %v", key, post)
		}
	}
	// Paging with per_page=1: the next link has the other post only.
	req := mustRequest(t, p.Server.URL+"/api/v1/streams/main?per_page=1")
	req.Header.Set("Authorization", "Bearer "+private)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	link := regexp.MustCompile(`<([^>]+)>; rel="next"`).FindStringSubmatch(resp.Header.Get("Link"))
	if link == nil {
		t.Fatalf("no next link: %q", resp.Header.Get("Link"))
	}
	next, _ := url.Parse(link[1])
	code, _, body = api(t, p, private, next.RequestURI())
	if got := guids(body); code != http.StatusOK || len(got) != 1 || got[0] != pub.GUID {
		t.Errorf("next page: %d %v, want [%s]", code, got, pub.GUID)
	}
}

func TestAPIRateLimitPerAuthorization(t *testing.T) {
	p := podtest.NewReachable(t, podtest.APIRateLimit(3, 5*time.Minute))
	p.NewUser(t, "busy")
	first := registerApp(t, p, "busy", nil, "openid", "public:read").token().AccessToken
	for i := 0; i < 3; i++ {
		if code, _, body := api(t, p, first, "/api/v1/streams/main"); code != http.StatusOK {
			t.Fatalf("request %d: %d %v", i+1, code, body)
		}
	}
	code, h, body := api(t, p, first, "/api/v1/streams/main")
	wantAPIError(t, "over the limit", code, body, http.StatusTooManyRequests, "Too many requests")
	if h.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	// Another app of the same user has its own budget.
	other := registerApp(t, p, "busy", nil, "openid", "public:read").token().AccessToken
	if code, _, body := api(t, p, other, "/api/v1/streams/main"); code != http.StatusOK {
		t.Errorf("another app: %d %v", code, body)
	}
}

// insporation sends prompt=login: the consent page asks for the password,
// a wrong one grants nothing.
func TestOIDCPromptLoginAsksForThePassword(t *testing.T) {
	p := podtest.NewReachable(t)
	p.NewUser(t, "ines")
	a := registerApp(t, p, "ines", map[string]any{"redirect_uris": []string{testRedirect}, "client_name": "insporation"},
		"openid", "profile", "public:read")
	v := oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("login_hint", "ines")}
	page := a.consentPage(opts...)
	if !strings.Contains(page.Body, `name="password"`) {
		t.Fatalf("prompt=login: no password field on the consent page")
	}
	id := hiddenID.FindStringSubmatch(page.Body)[1]
	r := a.browser.Post("/api/openid_connect/authorizations", url.Values{"id": {id}, "approve": {"true"}, "password": {"wrong"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Wrong password") {
		t.Errorf("wrong password: %d", r.StatusCode)
	}
	if n := countRows(t, p, "oidc_authorizations"); n != 0 {
		t.Errorf("a wrong password granted %d authorizations", n)
	}
	cb := a.followToApp(a.browser.Post("/api/openid_connect/authorizations", url.Values{"id": {id}, "approve": {"true"}, "password": {"password1"}}))
	tok, err := a.conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange after prompt=login: %v %v", tok, err)
	}
	// Even with the same scopes granted, prompt=login asks again.
	if page := a.consentPage(oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "login")); !strings.Contains(page.Body, `name="password"`) {
		t.Errorf("prompt=login with a grant: %d, want the password form", page.StatusCode)
	}
}

// The implicit flow (diaspora*'s "id_token token") answers in the
// fragment, with a verifiable ID token and a working access token.
func TestOIDCImplicitFlow(t *testing.T) {
	p := podtest.NewReachable(t)
	p.NewUser(t, "imp")
	a := registerApp(t, p, "imp", map[string]any{"response_types": []string{"id_token token"}, "grant_types": []string{"implicit"},
		"redirect_uris": []string{"https://app.example/cb"}},
		"openid", "public:read")
	page := a.consentPage(oauth2.SetAuthURLParam("response_type", "id_token token"), oidc.Nonce("n1"))
	cb := a.approve(page, "true")
	frag, err := url.ParseQuery(cb.Fragment)
	if err != nil || frag.Get("access_token") == "" || frag.Get("id_token") == "" || frag.Get("state") != "st4te" {
		t.Fatalf("implicit answer %q: %v", cb.Fragment, err)
	}
	idt, err := a.provider.Verifier(&oidc.Config{ClientID: a.conf.ClientID}).Verify(context.Background(), frag.Get("id_token"))
	if err != nil || idt.Nonce != "n1" {
		t.Fatalf("implicit ID token: %v %v", idt, err)
	}
	if code, _, body := api(t, p, frag.Get("access_token"), "/api/v1/streams/main"); code != http.StatusOK {
		t.Errorf("implicit access token: %d %v", code, body)
	}
	// Without a nonce the implicit flow is refused.
	r := a.browser.Do(mustRequest(t, a.conf.AuthCodeURL("st4te", oauth2.SetAuthURLParam("response_type", "id_token token"))))
	cb = a.followToApp(a.browser.Get(r.Location()))
	if frag, _ := url.ParseQuery(cb.Fragment); frag.Get("error") != "invalid_request" || frag.Get("access_token") != "" {
		t.Errorf("implicit without nonce: %s", cb)
	}
}
