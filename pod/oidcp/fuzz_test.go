package oidcp

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestGrantableScopesFollowDiasporasRules(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr string
	}{
		{"openid", "openid public:read", ""},
		{"openid profile offline_access name", "openid profile public:read", ""},
		{"profile:modify openid contacts:read private:read", "openid public:read private:read contacts:read profile:modify", ""},
		{"openid private:modify", "", "requires contacts:read"},
		{"openid bogus", "", "Unknown scope: bogus"},
		{"profile", "", "openid scope is required"},
	} {
		got, err := GrantableScopes(strings.Fields(tc.in))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: %v %v, want an error with %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %v %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzGrantableScopes: whatever an app asks for, a grant has openid and
// public:read, only known scopes, and private scopes only with
// contacts:read.
func FuzzGrantableScopes(f *testing.F) {
	for _, s := range []string{"openid", "openid private:read contacts:read", "openid offline_access", "x y z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := GrantableScopes(strings.Fields(s))
		if err != nil {
			return
		}
		if !slices.Contains(got, ScopeOpenID) || !slices.Contains(got, ScopePublicRead) {
			t.Fatalf("%q: %v lacks openid or public:read", s, got)
		}
		for _, g := range got {
			if _, ok := DescribeScope(g); !ok {
				t.Fatalf("%q: unknown scope %q granted", s, g)
			}
		}
		if (slices.Contains(got, "private:read") || slices.Contains(got, "private:modify")) && !slices.Contains(got, ScopeContactsRead) {
			t.Fatalf("%q: private scope without contacts:read: %v", s, got)
		}
	})
}

// FuzzCheckRedirectURI: an accepted redirect URI is absolute, has no
// fragment and no scheme a browser would run.
func FuzzCheckRedirectURI(f *testing.F) {
	for _, s := range []string{"https://app.example/cb", "eu.jhass.insporation://callback", "javascript:alert(1)",
		"https://a/#x", "http:///x", "/relative", "JavaScript:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkRedirectURI(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || strings.Contains(s, "#") {
			t.Fatalf("accepted %q", s)
		}
		switch strings.ToLower(u.Scheme) {
		case "javascript", "data", "vbscript", "file":
			t.Fatalf("accepted %q", s)
		}
	})
}
