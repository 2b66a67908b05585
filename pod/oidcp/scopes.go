package oidcp

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is one of diaspora*'s API scopes with the words the consent page
// shows for it.
type Scope struct {
	Name        string
	Title       string
	Description string
}

// Scopes are diaspora*'s API scopes (app/models/api/openid_connect/
// authorization.rb SCOPES) with its consent texts, in its order.
var Scopes = []Scope{
	{"openid", "Basic profile information", "This grants read-only access to your basic profile information"},
	{"profile", "Extended profile (Read-only)", "This grants read-only access to your extended profile data"},
	{"email", "E-Mail", "This grants read-only access to your email address"},
	{"public:read", "Public Posts (Read-only)", "This grants access to your public posts, including interactions and related data"},
	{"public:modify", "Public Posts (Write)", "This grants write access to publish public posts and related data (such as votes and attached media)"},
	{"private:read", "Private Posts (Read-only)", "This grants read-only access to your and your contacts' private posts"},
	{"private:modify", "Private Posts (Write)", "This grants access to publish private posts"},
	{"contacts:read", "Contacts (Read-only)", "This grants read-only access to contacts and related data (such as aspects)"},
	{"contacts:modify", "Contacts (Write)", "This grants write access to contacts and related data (such as aspects)"},
	{"interactions", "Interactions", "This grants access to interact with posts, for instance liking or submitting a comment"},
	{"notifications", "Notifications", "This grants read and write access to your notifications"},
	{"conversations", "Conversations", "This grants read and write permission to private messages"},
	{"profile:read_private", "Private profile data (Read-only)", "This grants read-only access to your private profile data"},
	{"profile:modify", "Extended profile (Write)", "This grants access to update your extended profile data"},
	{"tags:read", "Tags (Read-only)", "This grants read-only access to your followed tags and tag streams"},
	{"tags:modify", "Tags (Write)", "This grants access to change the tags you follow"},
}

// Scope names used by the rules.
const (
	ScopeOpenID       = "openid"
	ScopeProfile      = "profile"
	ScopeEmail        = "email"
	ScopePublicRead   = "public:read"
	ScopePrivateRead  = "private:read"
	ScopeContactsRead = "contacts:read"
	scopeOffline      = "offline_access"
)

// claimScopes are claim names diaspora*'s SCOPES also accepts (added by
// the claims parameter); they grant nothing on their own.
var claimScopes = []string{"sub", "name", "nickname", "picture"}

// ScopeNames lists the scope names (for discovery).
func ScopeNames() []string {
	out := make([]string, len(Scopes))
	for i, s := range Scopes {
		out[i] = s.Name
	}
	return out
}

// DescribeScope returns the consent texts of a scope.
func DescribeScope(name string) (Scope, bool) {
	for _, s := range Scopes {
		if s.Name == name {
			return s, true
		}
	}
	return Scope{}, false
}

// ScopeError is a scope request diaspora*'s rules refuse (invalid_scope).
type ScopeError struct{ Message string }

func (e *ScopeError) Error() string { return e.Message }

// GrantableScopes applies diaspora*'s rules to requested scopes: openid
// is required, an unknown scope is refused, private:read and
// private:modify need contacts:read, and public:read is always added.
// offline_access is accepted and dropped (a refresh token comes with
// every code grant, as on diaspora*), as are the claim names. The result
// is in Scopes' order.
func GrantableScopes(requested []string) ([]string, error) {
	want := map[string]bool{}
	for _, r := range requested {
		switch {
		case r == "" || r == scopeOffline || slices.Contains(claimScopes, r):
			continue
		case !slices.Contains(ScopeNames(), r):
			return nil, &ScopeError{Message: fmt.Sprintf("Unknown scope: %s", r)}
		}
		want[r] = true
	}
	if !want[ScopeOpenID] {
		return nil, &ScopeError{Message: "The openid scope is required"}
	}
	for _, p := range []string{"private:read", "private:modify"} {
		if want[p] && !want[ScopeContactsRead] {
			return nil, &ScopeError{Message: fmt.Sprintf("The %s scope requires contacts:read", p)}
		}
	}
	want[ScopePublicRead] = true
	var out []string
	for _, s := range Scopes {
		if want[s.Name] {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

// joinScopes and splitScopes store scope lists space separated.
func joinScopes(s []string) string { return strings.Join(s, " ") }

func splitScopes(s string) []string { return strings.Fields(s) }

// sameScopes reports whether two scope lists hold the same scopes.
func sameScopes(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
