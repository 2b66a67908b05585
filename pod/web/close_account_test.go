package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/tasks"
)

// closeForm is the close-account form as the page sends it without
// JavaScript (POST with _method=delete).
func closeForm(password string) url.Values {
	return url.Values{"_method": {"delete"}, "user[current_password]": {password}}
}

func TestCloseAccountPageExplainsAndWorksWithoutJavaScript(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("closepage")
	r := c.Get("/user/close")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /user/close: %d", r.StatusCode)
	}
	for _, want := range []string{"closepage@pod.test", "cannot be undone", "Your posts", "username stays reserved",
		`name="_method" value="delete"`, `name="user[current_password]"`, `action="/user"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("close-account page lacks %q", want)
		}
	}
	if !strings.Contains(c.Get("/user/edit").Body, `href="/user/close"`) {
		t.Error("the settings page does not link to the close-account page")
	}
	if out := p.Client().Get("/user/close"); out.StatusCode != http.StatusFound || !strings.HasPrefix(out.Location(), "/users/sign_in") {
		t.Errorf("signed out GET /user/close: %d %s, want a redirect to sign in", out.StatusCode, out.Location())
	}
}

func TestCloseAccountWrongPasswordChangesNothing(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	c := p.Client()
	c.SignUp("keepme")
	person, err := p.Store.PersonByDiasporaID(ctx, "keepme@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"wrong-password", ""} {
		r := c.Post("/user", closeForm(pw))
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %q: status %d, want 422", pw, r.StatusCode)
		}
		if !strings.Contains(r.Body, "current_password") || !(strings.Contains(r.Body, "is not correct") || strings.Contains(r.Body, "be blank")) {
			t.Errorf("the page does not say the password is wrong:\n%s", r.Body)
		}
	}
	after, _ := p.Store.PersonByID(ctx, person.ID)
	user, _ := p.Store.UserByID(ctx, *person.OwnerID)
	if after.ClosedAccount || user.Locked {
		t.Errorf("a wrong password closed the account: person closed %v, user locked %v", after.ClosedAccount, user.Locked)
	}
	if n := count(t, p, `SELECT count(*) FROM account_deletions`); n != 0 {
		t.Errorf("%d account deletions recorded", n)
	}
	if n := count(t, p, `SELECT count(*) FROM outbox WHERE task_type IN (?, ?)`, tasks.TypeAccountDeleted, tasks.TypeAccountPurge); n != 0 {
		t.Errorf("%d close-account jobs queued after a wrong password", n)
	}
	if r := c.Get("/stream"); r.StatusCode != http.StatusOK {
		t.Errorf("still signed in? /stream answered %d", r.StatusCode)
	}
	// Without the CSRF token nothing happens either.
	if r := c.PostRaw("/user", closeForm("password1")); r.StatusCode < 400 || r.StatusCode >= 500 {
		t.Errorf("close without CSRF token: %d, want a 4xx", r.StatusCode)
	}
	if after, _ := p.Store.PersonByID(ctx, person.ID); after.ClosedAccount {
		t.Error("closed without a CSRF token")
	}
}

func TestCloseAccountDeletesAndReservesTheName(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	c := p.Client()
	c.SignUp("leaving")
	other := p.Client()
	other.SignUp("staying")
	leaving, _ := p.Store.PersonByDiasporaID(ctx, "leaving@pod.test")
	staying, _ := p.Store.PersonByDiasporaID(ctx, "staying@pod.test")
	ls, _, err := p.App.Accounts.SignIn(ctx, accountsSignIn("leaving"))
	if err != nil {
		t.Fatal(err)
	}
	ss, _, err := p.App.Accounts.SignIn(ctx, accountsSignIn("staying"))
	if err != nil {
		t.Fatal(err)
	}
	aspectsOf, _ := p.Store.AspectsOf(ctx, ls.UserID)
	if _, err := p.App.Contacts.AddToAspect(ctx, ls, aspectsOf[0].ID, staying.ID); err != nil {
		t.Fatal(err)
	}
	limited, err := p.App.Posts.CreatePost(ctx, ls, posts.PostInput{Text: "only for my family",
		Audience: aspects.Selection{Aspects: []int64{aspectsOf[0].ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Post(ctx, ss, limited.GUID); err != nil {
		t.Fatalf("staying cannot read the limited post before: %v", err)
	}
	stayingPost, err := p.App.Posts.CreatePost(ctx, ss, posts.PostInput{Text: "public", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Comment(ctx, ls, stayingPost.GUID, "a comment that stays"); err != nil {
		t.Fatal(err)
	}

	r := c.Post("/user", closeForm("password1"))
	if r.StatusCode != http.StatusFound || r.Location() != "/" {
		t.Fatalf("close account: %d %s\n%s", r.StatusCode, r.Location(), r.Body)
	}
	if r := c.Get("/stream"); r.StatusCode != http.StatusFound {
		t.Errorf("after closing, /stream answered %d: still signed in", r.StatusCode)
	}
	if r := p.Client().SignIn("leaving", "password1", false); r.StatusCode == http.StatusFound && r.Location() != "/users/sign_in" {
		t.Errorf("a closed account can sign in again: %d %s", r.StatusCode, r.Location())
	}
	// The purge job (run here, as the worker would).
	if err := p.App.Accounts.PurgeAccount(ctx, tasks.AccountPurge{PersonID: leaving.ID}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM posts WHERE author_id = ?`:                                                0,
		`SELECT count(*) FROM aspects WHERE user_id = (SELECT owner_id FROM people WHERE id = ?)`:       0,
		`SELECT count(*) FROM contacts WHERE user_id = (SELECT owner_id FROM people WHERE id = ?)`:      0,
		`SELECT count(*) FROM contacts WHERE person_id = ?`:                                             0,
		`SELECT count(*) FROM notifications WHERE user_id = (SELECT owner_id FROM people WHERE id = ?)`: 0,
		`SELECT count(*) FROM comments WHERE author_id = ?`:                                             1, // kept, as on diaspora*
		`SELECT count(*) FROM people WHERE id = ? AND closed_account`:                                   1,
	} {
		if n := count(t, p, q, leaving.ID); n != want {
			t.Errorf("%s: %d, want %d", q, n, want)
		}
	}
	if _, err := p.App.Posts.Post(ctx, ss, limited.GUID); err == nil {
		t.Error("the deleted user's limited post is still readable")
	}
	// The name is reserved forever.
	again := p.Client().Post("/users", podtest.SignUpForm("leaving"))
	if again.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(again.Body, "already taken") {
		t.Errorf("sign-up with the deleted name: %d, want 422 'already taken'", again.StatusCode)
	}
	if r := p.Client().Get("/.well-known/webfinger?resource=acct:leaving@pod.test"); r.StatusCode != http.StatusNotFound {
		t.Errorf("WebFinger of the closed account: %d, want 404", r.StatusCode)
	}
	if r := p.Client().Get("/people/" + leaving.GUID); r.StatusCode != http.StatusNotFound {
		t.Errorf("profile of the closed account: %d, want 404", r.StatusCode)
	}
	// Closing again changes nothing.
	if err := p.App.Accounts.CloseAccount(ctx, *leaving.OwnerID); err != nil {
		t.Errorf("closing a closed account: %v", err)
	}
}

func accountsSignIn(name string) accounts.SignInInput {
	return accounts.SignInInput{Login: name, Password: "password1", ClientIP: "10.9.8.7"}
}

func count(t *testing.T, p *podtest.Pod, q string, args ...any) int64 {
	t.Helper()
	n, err := p.Store.Count(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestCloseAccountPasswordAttemptsAreLimited(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("guessme")
	for i := 0; i < 20; i++ {
		if r := c.Post("/user", closeForm("wrong-password")); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: %d, want 422", i+1, r.StatusCode)
		}
	}
	if r := c.Post("/user", closeForm("password1")); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("21st attempt: %d, want 429", r.StatusCode)
	}
	person, err := p.Store.PersonByDiasporaID(context.Background(), "guessme@pod.test")
	if err != nil || person.ClosedAccount {
		t.Errorf("the account closed after the limit: %+v %v", person, err)
	}
}
