package podtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/streams"
)

// User is a signed-up, signed-in user of a test pod, with the IDs of
// their aspects by name ("Family", "Work", ...).
type User struct {
	Name    string
	Session *pod.Session
	Aspects map[string]int64
}

// userIPs numbers the users' client addresses, so that each signs in
// from an address of its own and no sign-in rate limit is shared.
var userIPs atomic.Uint32

// NewUser signs up name (password "password1", e-mail name@example.org)
// through the use cases, signs them in and loads their aspects.
func (p *Pod) NewUser(t testing.TB, name string) *User {
	t.Helper()
	ctx := context.Background()
	if _, err := p.App.Accounts.SignUp(ctx, accounts.SignUpInput{Username: name, Email: name + "@example.org", Password: "password1", PasswordConfirmation: "password1"}); err != nil {
		t.Fatal(err)
	}
	n := userIPs.Add(1)
	ip := fmt.Sprintf("10.%d.%d.%d", 100+n>>16&0x7f, n>>8&0xff, n&0xff)
	s, _, err := p.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: name, Password: "password1", ClientIP: ip})
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.App.Contacts.Aspects(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	u := &User{Name: name, Session: s, Aspects: map[string]int64{}}
	for _, x := range as {
		u.Aspects[x.Name] = x.ID
	}
	return u
}

// StreamGUIDs is the GUIDs of the first page of a stream as s sees it.
func (p *Pod) StreamGUIDs(t testing.TB, s *pod.Session, q streams.StreamQuery) []string {
	t.Helper()
	page, err := p.App.Streams.Stream(context.Background(), s, q)
	if err != nil {
		t.Fatalf("stream %s: %v", q.Kind, err)
	}
	out := make([]string, 0, len(page.Posts))
	for _, v := range page.Posts {
		out = append(out, v.GUID)
	}
	return out
}

// Relationship is how who relates to other ("sharing", "receiving",
// "mutual", "not_sharing"), as who's view of other's profile shows it.
func (p *Pod) Relationship(t testing.TB, who, other *User) string {
	t.Helper()
	rel, err := p.App.Contacts.Relationship(context.Background(), who.Session, other.Session.GUID)
	if err != nil {
		t.Fatal(err)
	}
	return rel.Relationship
}
