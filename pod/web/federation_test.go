package web_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/transport"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// fedUser signs a user up and in through the App and returns the session,
// the person's GUID and the stored public key.
func fedUser(t *testing.T, p *podtest.Pod, name string) (*pod.Session, string, *rsa.PublicKey) {
	t.Helper()
	ctx := context.Background()
	in := signUpByOperator(name)
	in.Admin = false
	if _, err := p.App.Accounts.SignUp(ctx, in); err != nil {
		t.Fatal(err)
	}
	s, _, err := p.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: name, Password: "password1", ClientIP: "10.9.8." + strconv.Itoa(len(name))})
	if err != nil {
		t.Fatal(err)
	}
	person, err := p.Store.PersonByID(ctx, s.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := federation.ParsePublicKey([]byte(person.SerializedPublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return s, person.GUID, pub
}

// fedGet fetches a path as another pod would: no cookies, Accept as given.
func fedGet(t *testing.T, p *podtest.Pod, path, accept string) *podtest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.Server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return p.Client().Do(req)
}

func wantStatus(t *testing.T, r *podtest.Response, code int, what string) {
	t.Helper()
	if r.StatusCode != code {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.StatusCode, code, r.Body)
	}
}

func TestWebFingerAndHCardOverHTTP(t *testing.T) {
	p := podtest.New(t)
	_, guid, pub := fedUser(t, p, "alice")

	r := fedGet(t, p, "/.well-known/webfinger?resource=acct:alice@pod.test", "application/jrd+json, application/json")
	wantStatus(t, r, http.StatusOK, "webfinger")
	if ct := r.Header.Get("Content-Type"); ct != "application/jrd+json; charset=utf-8" {
		t.Errorf("webfinger content type %q", ct)
	}
	if r.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("webfinger lacks Access-Control-Allow-Origin: *")
	}
	wf, err := discovery.ParseWebFinger([]byte(r.Body), "alice@pod.test")
	if err != nil {
		t.Fatalf("ParseWebFinger: %v\n%s", err, r.Body)
	}
	if wf.HCardURL != "http://pod.test/hcard/users/"+guid || wf.SeedURL != "http://pod.test/" || wf.ProfileURL != "http://pod.test/u/alice" ||
		wf.UpdatesURL == "" || wf.SalmonURL != "http://pod.test/receive/users/"+guid || wf.SubscribeTemplate != "http://pod.test/people?q={uri}" {
		t.Errorf("webfinger links %+v", wf)
	}
	// The same document for the encoded form and the profile URL.
	for _, q := range []string{"acct%3Aalice%40pod.test", "alice@pod.test", url.QueryEscape("http://pod.test/people/" + guid)} {
		r2 := fedGet(t, p, "/.well-known/webfinger?resource="+q, "")
		wantStatus(t, r2, http.StatusOK, "webfinger "+q)
		if r2.Body != r.Body {
			t.Errorf("webfinger %s differs:\n%s", q, r2.Body)
		}
	}

	// The profile page the WebFinger names leads to the person's page.
	pp := fedGet(t, p, urlPath(t, wf.ProfileURL), "")
	wantStatus(t, pp, http.StatusFound, "profile page")
	if pp.Location() != "/people/"+guid {
		t.Errorf("profile page redirects to %q", pp.Location())
	}
	wantStatus(t, fedGet(t, p, "/people/"+guid, ""), http.StatusOK, "person page")

	hcardPath := urlPath(t, wf.HCardURL)
	h := fedGet(t, p, hcardPath, "text/html")
	wantStatus(t, h, http.StatusOK, "hcard")
	if ct := h.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("hcard content type %q", ct)
	}
	hc, err := discovery.ParseHCard([]byte(h.Body))
	if err != nil {
		t.Fatalf("ParseHCard: %v\n%s", err, h.Body)
	}
	if hc.GUID != guid || !hc.PublicKey.Equal(pub) || hc.Nickname != "alice" {
		t.Errorf("hcard %+v", hc)
	}
}

// urlPath returns the path of an absolute URL a document names.
func urlPath(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestWebFingerErrors(t *testing.T) {
	p := podtest.New(t)
	fedUser(t, p, "alice")
	for _, tc := range []struct {
		query string
		code  int
	}{
		{"resource=acct:nobody@pod.test", http.StatusNotFound},
		{"resource=acct:alice@remote.example", http.StatusNotFound},
		{"resource=" + url.QueryEscape("https://remote.example/u/alice"), http.StatusNotFound},
		{"", http.StatusBadRequest},
		{"resource=", http.StatusBadRequest},
		{"resource=alice", http.StatusBadRequest},
		{"resource=acct:", http.StatusBadRequest},
	} {
		r := fedGet(t, p, "/.well-known/webfinger?"+tc.query, "application/json")
		if r.StatusCode != tc.code {
			t.Errorf("webfinger ?%s: status %d, want %d\n%s", tc.query, r.StatusCode, tc.code, r.Body)
		}
		if tc.code == http.StatusBadRequest {
			var body struct{ Error string }
			if json.Unmarshal([]byte(r.Body), &body) != nil || !strings.Contains(body.Error, "resource") {
				t.Errorf("webfinger ?%s: 400 without a message about the resource: %s", tc.query, r.Body)
			}
		}
	}
	wantStatus(t, fedGet(t, p, "/hcard/users/"+pod.NewGUID(), ""), http.StatusNotFound, "hcard of an unknown guid")
}

func TestNodeInfoOverHTTP(t *testing.T) {
	p := podtest.New(t)
	r := fedGet(t, p, "/.well-known/nodeinfo", "application/json")
	wantStatus(t, r, http.StatusOK, "well-known nodeinfo")
	var jrd struct{ Links []discovery.Link }
	if err := json.Unmarshal([]byte(r.Body), &jrd); err != nil {
		t.Fatal(err)
	}
	hrefs := map[string]string{}
	for _, l := range jrd.Links {
		hrefs[l.Rel] = l.Href
	}
	if len(hrefs) != 2 || hrefs[discovery.NodeInfoSchema20] != "http://pod.test/nodeinfo/2.0" || hrefs[discovery.NodeInfoSchema21] != "http://pod.test/nodeinfo/2.1" {
		t.Errorf("well-known nodeinfo links %v", hrefs)
	}
	if strings.Contains(r.Body, "1.0") {
		t.Errorf("well-known nodeinfo offers 1.0: %s", r.Body)
	}
	if v, _, err := discovery.ParseWellKnownNodeInfo([]byte(r.Body)); err != nil || v != "2.1" {
		t.Errorf("ParseWellKnownNodeInfo = %q, %v", v, err)
	}

	users := func(version string) int64 {
		t.Helper()
		r := fedGet(t, p, "/nodeinfo/"+version, "application/json")
		wantStatus(t, r, http.StatusOK, "nodeinfo "+version)
		if ct := r.Header.Get("Content-Type"); ct != discovery.NodeInfoContentType(version) {
			t.Errorf("nodeinfo %s content type %q", version, ct)
		}
		ni, err := discovery.ParseNodeInfo([]byte(r.Body))
		if err != nil {
			t.Fatalf("nodeinfo %s: %v\n%s", version, err, r.Body)
		}
		if ni.Version != version || !ni.OpenRegistrations || ni.Usage.Users.Total == nil || ni.Usage.LocalPosts == nil {
			t.Errorf("nodeinfo %s = %s", version, r.Body)
		}
		return *ni.Usage.Users.Total
	}
	before := users("2.0")
	fedUser(t, p, "alice")
	if after := users("2.1"); after != before+1 {
		t.Errorf("users %d after a sign-up, want %d", after, before+1)
	}
	for _, v := range []string{"1.0", "3.0", "2.1.json"} {
		wantStatus(t, fedGet(t, p, "/nodeinfo/"+v, ""), http.StatusNotFound, "nodeinfo "+v)
	}

	hm := fedGet(t, p, "/.well-known/host-meta", "")
	wantStatus(t, hm, http.StatusOK, "host-meta")
	if !strings.HasPrefix(hm.Header.Get("Content-Type"), "application/xrd+xml") ||
		!strings.Contains(hm.Body, `template="http://pod.test/.well-known/webfinger?resource={uri}"`) {
		t.Errorf("host-meta %s: %s", hm.Header.Get("Content-Type"), hm.Body)
	}
}

func TestFetchOverHTTP(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, _, pub := fedUser(t, p, "alice")
	post, err := p.App.Posts.CreatePost(ctx, alice, posts.PostInput{Text: "hello, other pods", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	secret := "the secret plans of alice"
	limited, err := p.App.Posts.CreatePost(ctx, alice, posts.PostInput{Text: secret, Audience: aspects.Selection{AllAspects: true}})
	if err != nil {
		t.Fatal(err)
	}

	r := fedGet(t, p, "/fetch/post/"+post.GUID, "")
	wantStatus(t, r, http.StatusOK, "fetch public post")
	if ct := r.Header.Get("Content-Type"); ct != envelope.ContentType {
		t.Errorf("fetch content type %q", ct)
	}
	env, err := envelope.Parse([]byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(pub); err != nil {
		t.Fatalf("envelope does not verify with alice's key: %v", err)
	}
	e, err := entity.ParseXML(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	sm, ok := e.(*entity.StatusMessage)
	if !ok || sm.GUID != post.GUID || sm.Text != "hello, other pods" || sm.Author != "alice@pod.test" || !sm.Public ||
		!sm.CreatedAt.Equal(post.CreatedAt.UTC().Truncate(1e9)) {
		t.Errorf("fetched %+v", e)
	}

	unknown := fedGet(t, p, "/fetch/post/"+pod.NewGUID(), "")
	wantStatus(t, unknown, http.StatusNotFound, "fetch unknown post")
	for _, path := range []string{"/fetch/post/" + limited.GUID, "/fetch/status_message/" + limited.GUID} {
		r := fedGet(t, p, path, "")
		wantStatus(t, r, http.StatusNotFound, "fetch limited post")
		if strings.Contains(r.Body, secret) || strings.Contains(r.Body, limited.GUID) || strings.Contains(r.Body, "alice") {
			t.Errorf("404 of a limited post leaks: %s", r.Body)
		}
		if r.Header.Get("Content-Type") != unknown.Header.Get("Content-Type") || len(r.Body) != len(unknown.Body) {
			t.Errorf("404 of a limited post differs from an unknown one: %q %d vs %q %d",
				r.Header.Get("Content-Type"), len(r.Body), unknown.Header.Get("Content-Type"), len(unknown.Body))
		}
	}
	wantStatus(t, fedGet(t, p, "/fetch/photo/"+post.GUID, ""), http.StatusNotFound, "fetch of an unknown type")
}

// TestDiscoveryRoundTrip runs the federation library's discovery client
// over real HTTP against a pod whose host is its loopback address.
func TestDiscoveryRoundTrip(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	alice, guid, pub := fedUser(t, p, "alice")
	host := p.Opt.Host
	if !strings.HasPrefix(host, "127.0.0.1:") || p.Server.URL != "http://"+host {
		t.Fatalf("pod host %q, server %q", host, p.Server.URL)
	}
	client := discovery.NewClient(transport.New(transport.Options{AllowPrivate: true, AllowHTTP: true}))

	person, err := client.Discover(ctx, "alice@"+host)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if person.ID != "alice@"+host || person.GUID != guid || !person.PublicKey.Equal(pub) ||
		person.PodURL != "http://"+host+"/" || person.Nickname != "alice" {
		t.Errorf("discovered %+v", person)
	}
	if _, err := client.Discover(ctx, "nobody@"+host); err == nil {
		t.Error("Discover of an unknown user succeeded")
	}

	post, err := p.App.Posts.CreatePost(ctx, alice, posts.PostInput{Text: "fetch me", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := client.FetchFrom(ctx, "alice@"+host, "post", post.GUID)
	if err != nil {
		t.Fatalf("FetchFrom: %v", err)
	}
	env, err := envelope.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(person.PublicKey); err != nil || env.Sender != "alice@"+host {
		t.Errorf("fetched envelope: sender %q, verify %v", env.Sender, err)
	}

	ni, err := client.NodeInfo(ctx, person.PodURL)
	if err != nil {
		t.Fatalf("NodeInfo: %v", err)
	}
	if ni.Version != "2.1" || *ni.Usage.Users.Total != 1 || *ni.Usage.LocalPosts != 1 {
		t.Errorf("nodeinfo over HTTP %+v", ni)
	}
}
