package transport

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/aspenpod/aspen/federation"
)

func TestForbidden(t *testing.T) {
	for s, want := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "192.168.1.1": true, "172.16.0.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "0.0.0.0": true, "::1": true, "::": true, "fd00::1": true, "fe80::1": true,
		"::ffff:127.0.0.1": true, "64:ff9b::a00:1": true, "224.0.0.1": true,
		"93.184.216.34": false, "2606:4700::1111": false, "8.8.8.8": false, "64:ff9b::808:808": false,
	} {
		if got := Forbidden(netip.MustParseAddr(s)); got != want {
			t.Errorf("%s: got %v want %v", s, got, want)
		}
	}
}

func TestGuardAndPost(t *testing.T) {
	var ua string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua = r.UserAgent()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ctx := context.Background()
	guarded := New(Options{AllowHTTP: true})
	if _, err := guarded.Post(ctx, srv.URL+"/receive/public", "application/magic-envelope+xml", []byte("x")); !errors.Is(err, federation.ErrForbiddenAddress) {
		t.Fatalf("guard: %v", err)
	}
	open := New(Options{AllowHTTP: true, AllowPrivate: true, UserAgent: "test-agent"})
	resp, err := open.Post(ctx, srv.URL+"/receive/public", "application/magic-envelope+xml", []byte("x"))
	if err != nil || resp.StatusCode != http.StatusAccepted || ua != "test-agent" {
		t.Fatalf("post: %v %v %q", resp, err, ua)
	}
	// POST does not follow redirects: a 3xx is a failure.
	if _, err := open.Post(ctx, srv.URL+"/redirect", "text/plain", []byte("x")); !errors.Is(err, federation.ErrHTTP) {
		t.Fatalf("redirect on POST: %v", err)
	}
	if _, err := New(Options{AllowPrivate: true}).Get(ctx, srv.URL, "", 0); !errors.Is(err, federation.ErrForbiddenAddress) {
		t.Fatalf("plain http allowed: %v", err)
	}
	if _, err := open.Get(ctx, "ftp://example.org/x", "", 0); !errors.Is(err, federation.ErrForbiddenAddress) {
		t.Fatalf("ftp allowed: %v", err)
	}
}
