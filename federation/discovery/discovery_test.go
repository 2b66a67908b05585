package discovery

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/internal/vectors"
	"github.com/aspenpod/aspen/federation/transport"
)

func aliceAccount(t testing.TB) *Account {
	return &Account{
		DiasporaID:     "alice@pod-a.org",
		GUID:           "a1b2c3d4e5f60718293a4b5c6d7e8f90",
		PodURL:         "https://pod-a.org/",
		FullName:       "Alice Example",
		FirstName:      "Alice",
		LastName:       "Example",
		Searchable:     true,
		PublicKeyPEM:   string(vectors.Read(t, "keys/alice_pod_a.pub.pem")),
		ImageURL:       "https://pod-a.org/uploads/images/thumb_large_abc.jpg",
		ImageURLMedium: "https://pod-a.org/uploads/images/thumb_medium_abc.jpg",
		ImageURLSmall:  "https://pod-a.org/uploads/images/thumb_small_abc.jpg",
		ExtraLinks:     []Link{{Rel: "http://openid.net/specs/connect/1.0/issuer", Href: "https://pod-a.org/"}},
	}
}

func TestWebFingerBuildMatchesVector(t *testing.T) {
	got := WebFinger(aliceAccount(t)).Marshal()
	want := bytes.TrimSpace(vectors.Read(t, "generated/22_webfinger.json"))
	if !bytes.Equal(got, want) {
		t.Errorf("WebFinger differs\n got: %s\nwant: %s", got, want)
	}
}

func TestHCardBuildMatchesVector(t *testing.T) {
	got := HCard(aliceAccount(t))
	want := vectors.Read(t, "generated/22_hcard.html")
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("hCard differs\n got: %s\nwant: %s", got, want)
	}
}

func TestParseWebFingerVectors(t *testing.T) {
	info, err := ParseWebFinger(vectors.Read(t, "generated/22_webfinger.json"), "alice@pod-a.org")
	if err != nil {
		t.Fatal(err)
	}
	if info.HCardURL != "https://pod-a.org/hcard/users/a1b2c3d4e5f60718293a4b5c6d7e8f90" || info.SeedURL != "https://pod-a.org/" || info.PodURL != "https://pod-a.org/" {
		t.Errorf("parsed %+v", info)
	}
	if info.SalmonURL == "" || info.ProfileURL != "https://pod-a.org/u/alice" || info.SubscribeTemplate != "https://pod-a.org/people?q={uri}" {
		t.Errorf("parsed %+v", info)
	}
	info, err = ParseWebFinger(vectors.Read(t, "docs-examples/webfinger_example.json"), "ALICE@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if info.HCardURL != "https://example.org/hcard/users/7dba7ca01d64013485eb3131731751e9" || info.PodURL != "https://example.org/" {
		t.Errorf("docs parsed %+v", info)
	}
}

func TestParseWebFingerNegative(t *testing.T) {
	good := string(vectors.Read(t, "generated/22_webfinger.json"))
	cases := map[string]string{
		"subject mismatch": strings.Replace(good, "acct:alice@pod-a.org", "acct:mallory@pod-a.org", 1),
		"no hcard":         strings.Replace(good, RelHCard, "x-hcard", 1),
		"no seed":          strings.Replace(good, RelSeedLocation, "x-seed", 1),
		"relative hcard":   strings.Replace(good, `"https://pod-a.org/hcard/users/a1b2c3d4e5f60718293a4b5c6d7e8f90"`, `"/hcard/users/a1"`, 1),
		"profile no path":  strings.Replace(good, `"https://pod-a.org/u/alice"`, `"https://pod-a.org"`, 1),
		"not json":         "<XRD/>",
		"no links":         `{"subject":"acct:alice@pod-a.org"}`,
		"no subject":       `{"links":[]}`,
		"oversized":        good + strings.Repeat(" ", MaxDocumentSize),
	}
	for name, doc := range cases {
		_, err := ParseWebFinger([]byte(doc), "alice@pod-a.org")
		if !errors.Is(err, federation.ErrDiscovery) {
			t.Errorf("%s: want ErrDiscovery, got %v", name, err)
		}
	}
}

func TestParseHCardVectors(t *testing.T) {
	info, err := ParseHCard(vectors.Read(t, "generated/22_hcard.html"))
	if err != nil {
		t.Fatal(err)
	}
	alice := vectors.PublicKey(t, "alice_pod_a")
	if info.GUID != "a1b2c3d4e5f60718293a4b5c6d7e8f90" || info.FullName != "Alice Example" || !info.Searchable || !info.PublicKey.Equal(alice) {
		t.Errorf("parsed %+v", info)
	}
	if info.Nickname != "alice" || info.FirstName != "Alice" || info.LastName != "Example" ||
		info.ImageURL != "https://pod-a.org/uploads/images/thumb_large_abc.jpg" ||
		info.ImageURLMedium != "https://pod-a.org/uploads/images/thumb_medium_abc.jpg" ||
		info.ImageURLSmall != "https://pod-a.org/uploads/images/thumb_small_abc.jpg" {
		t.Errorf("parsed %+v", info)
	}
	info, err = ParseHCard(vectors.Read(t, "docs-examples/hcard_example.html"))
	if err != nil {
		t.Fatal(err)
	}
	if info.GUID != "7dba7ca01d64013485eb3131731751e9" || info.FullName != "Alice Smith" || !info.Searchable ||
		!info.PublicKey.Equal(vectors.PublicKey(t, "docs_hcard_alice_example_org")) {
		t.Errorf("docs parsed %+v", info)
	}
}

func TestParseHCardPKCS1Key(t *testing.T) {
	a := aliceAccount(t)
	a.PublicKeyPEM = string(vectors.Read(t, "keys/pkcs1_512.pub.pkcs1.pem"))
	info, err := ParseHCard(HCard(a))
	if err != nil {
		t.Fatal(err)
	}
	spki, err := federation.ParsePublicKey(vectors.Read(t, "keys/pkcs1_512.pub.spki.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.PublicKey.Equal(spki) {
		t.Error("PKCS#1 and SPKI forms differ")
	}
}

func TestParseHCardNegative(t *testing.T) {
	good := string(HCard(aliceAccount(t)))
	cases := map[string]string{
		"no fn":          strings.Replace(good, `class="fn"`, `class="x"`, 1),
		"no photo":       strings.Replace(good, `<dl class="entity_photo">`, `<dl class="x">`, 1),
		"bad uid":        strings.Replace(good, "a1b2c3d4e5f60718293a4b5c6d7e8f90", "short", 1),
		"bad key":        strings.Replace(good, "MIGfMA0", "XXXXMA0", 1),
		"no key":         strings.Replace(good, `class="key"`, `class="x"`, 1),
		"semicolon name": strings.Replace(good, `<span class="fn">Alice Example`, `<span class="fn">Alice;Example`, 1),
		"empty":          "",
		"oversized":      good + strings.Repeat(" ", MaxDocumentSize),
	}
	for name, doc := range cases {
		if _, err := ParseHCard([]byte(doc)); !errors.Is(err, federation.ErrDiscovery) {
			t.Errorf("%s: want ErrDiscovery, got %v", name, err)
		}
	}
}

func TestNodeInfo(t *testing.T) {
	n := int64(3)
	for _, v := range []string{"2.0", "2.1"} {
		b, err := BuildNodeInfo(v, NodeInfoInput{SoftwareName: "aspen", SoftwareVersion: "0.1.0", Repository: "https://example.org/aspen",
			Users: UsageUsers{Total: &n, ActiveHalfyear: &n, ActiveMonth: &n}, LocalPosts: &n, NodeName: "My pod"})
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		ni, err := ParseNodeInfo(b)
		if err != nil || ni.Version != v || ni.Protocols[0] != "diaspora" || ni.Metadata["nodeName"] != "My pod" {
			t.Fatalf("%s: %+v %v", v, ni, err)
		}
		if v == "2.0" && bytes.Contains(b, []byte("repository")) {
			t.Errorf("2.0 must not carry software.repository: %s", b)
		}
	}
	if _, err := BuildNodeInfo("1.0", NodeInfoInput{SoftwareName: "aspen", SoftwareVersion: "1"}); err == nil {
		t.Error("1.0 must not be produced")
	}
	if _, err := BuildNodeInfo("2.1", NodeInfoInput{SoftwareName: "Aspen Pod", SoftwareVersion: "1"}); err == nil {
		t.Error("invalid software name accepted")
	}
	bad := map[string]string{
		"extra top":      `{"version":"2.1","software":{"name":"a","version":"1"},"protocols":["diaspora"],"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{"users":{}},"metadata":{},"x":1}`,
		"unknown proto":  `{"version":"2.1","software":{"name":"a","version":"1"},"protocols":["smtp"],"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{"users":{}},"metadata":{}}`,
		"no users":       `{"version":"2.1","software":{"name":"a","version":"1"},"protocols":["diaspora"],"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{},"metadata":{}}`,
		"negative":       `{"version":"2.1","software":{"name":"a","version":"1"},"protocols":["diaspora"],"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{"users":{"total":-1}},"metadata":{}}`,
		"repo in 2.0":    `{"version":"2.0","software":{"name":"a","version":"1","repository":"x"},"protocols":["diaspora"],"services":{"inbound":[],"outbound":[]},"openRegistrations":false,"usage":{"users":{}},"metadata":{}}`,
		"services extra": `{"version":"2.1","software":{"name":"a","version":"1"},"protocols":["diaspora"],"services":{"inbound":[],"outbound":[],"x":[]},"openRegistrations":false,"usage":{"users":{}},"metadata":{}}`,
	}
	for name, doc := range bad {
		if _, err := ParseNodeInfo([]byte(doc)); !errors.Is(err, federation.ErrValidation) {
			t.Errorf("%s: want ErrValidation, got %v", name, err)
		}
	}
	v, href, err := ParseWellKnownNodeInfo(WellKnownNodeInfo("https://pod.example"))
	if err != nil || v != "2.1" || href != "https://pod.example/nodeinfo/2.1" {
		t.Errorf("well-known: %s %s %v", v, href, err)
	}
	if bytes.Contains(WellKnownNodeInfo("https://pod.example/"), []byte("1.0")) {
		t.Error("1.0 advertised")
	}
}

// A pod on loopback serving WebFinger, hCard, NodeInfo and fetch.
func testPod(t *testing.T) (*httptest.Server, string) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	id := "alice@" + host
	acct := aliceAccount(t)
	acct.DiasporaID, acct.PodURL, acct.ExtraLinks = id, srv.URL+"/", nil
	mux.HandleFunc("/.well-known/webfinger", func(w http.ResponseWriter, r *http.Request) {
		if NormalizeResource(r.URL.Query().Get("resource")) != id {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", WebFingerContentType)
		w.Write(WebFinger(acct).Marshal())
	})
	mux.HandleFunc("/hcard/users/"+acct.GUID, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", HCardContentType)
		w.Write(HCard(acct))
	})
	mux.HandleFunc("/.well-known/nodeinfo", func(w http.ResponseWriter, r *http.Request) { w.Write(WellKnownNodeInfo(srv.URL)) })
	mux.HandleFunc("/nodeinfo/2.1", func(w http.ResponseWriter, r *http.Request) {
		b, _ := BuildNodeInfo("2.1", NodeInfoInput{SoftwareName: "aspen", SoftwareVersion: "0.1"})
		w.Write(b)
	})
	mux.HandleFunc("/fetch/post/1f2e3d4c5b6a79880123456789abcdef", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/owner/fetch", http.StatusFound)
	})
	mux.HandleFunc("/owner/fetch", func(w http.ResponseWriter, r *http.Request) {
		w.Write(vectors.Read(t, "generated/01_status_message_public.envelope.xml"))
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), MaxDocumentSize+10)) })
	return srv, id
}

func TestClientDiscoverOnLoopback(t *testing.T) {
	srv, id := testPod(t)
	c := NewClient(transport.New(transport.Options{AllowPrivate: true, AllowHTTP: true}))
	p, err := c.Discover(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != id || p.GUID != "a1b2c3d4e5f60718293a4b5c6d7e8f90" || p.PodURL != srv.URL+"/" || !p.PublicKey.Equal(vectors.PublicKey(t, "alice_pod_a")) || p.FullName != "Alice Example" {
		t.Errorf("person %+v", p)
	}
	env, err := c.Fetch(context.Background(), srv.URL, "post", "1f2e3d4c5b6a79880123456789abcdef")
	if err != nil || !bytes.Equal(env, vectors.Read(t, "generated/01_status_message_public.envelope.xml")) {
		t.Errorf("fetch: %v", err)
	}
	ni, err := c.NodeInfo(context.Background(), srv.URL)
	if err != nil || ni.Software.Name != "aspen" {
		t.Errorf("nodeinfo %+v %v", ni, err)
	}
	if _, err := c.Discover(context.Background(), "bob@"+strings.TrimPrefix(srv.URL, "http://")); !errors.Is(err, federation.ErrDiscovery) || !errors.Is(err, federation.ErrNotFound) {
		t.Errorf("unknown person: %v", err)
	}
	hc := transport.New(transport.Options{AllowPrivate: true, AllowHTTP: true})
	if _, err := hc.Get(context.Background(), srv.URL+"/loop", "", 0); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: %v", err)
	}
	if _, err := hc.Get(context.Background(), srv.URL+"/big", "", MaxDocumentSize); !errors.Is(err, federation.ErrTooLarge) {
		t.Errorf("big body: %v", err)
	}
	if _, err := c.HCard(context.Background(), srv.URL+"/big"); !errors.Is(err, federation.ErrTooLarge) {
		t.Errorf("big hCard: %v", err)
	}
}

func TestGuardRefusesLoopback(t *testing.T) {
	_, id := testPod(t)
	c := NewClient(transport.New(transport.Options{AllowHTTP: true}))
	_, err := c.Discover(context.Background(), id)
	if !errors.Is(err, federation.ErrForbiddenAddress) {
		t.Fatalf("want ErrForbiddenAddress, got %v", err)
	}
	// Plain http is refused unless allowed.
	c = NewClient(transport.New(transport.Options{AllowPrivate: true}))
	c.UseHTTP = true
	if _, err := c.Discover(context.Background(), id); !errors.Is(err, federation.ErrForbiddenAddress) {
		t.Fatalf("http: want ErrForbiddenAddress, got %v", err)
	}
}
