package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

func userCount(t *testing.T, p *podtest.Pod) int64 {
	t.Helper()
	n, err := p.App.Accounts.UserCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignUpCreatesAccountAndSignsIn(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	r := c.SignUp("alice")
	if r.Location() != "/profile/edit" {
		t.Fatalf("redirect to %q, want /profile/edit", r.Location())
	}
	home := c.Get("/")
	if !strings.Contains(home.Body, "alice@pod.test") {
		t.Fatalf("front page does not show the new user's diaspora ID:\n%s", home.Body)
	}
	ctx := context.Background()
	person, err := p.Store.PersonByDiasporaID(ctx, "alice@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(person.GUID) != 32 || strings.Trim(person.GUID, "0123456789abcdef") != "" {
		t.Errorf("GUID %q is not 32 lower-case hex characters", person.GUID)
	}
	if !strings.HasPrefix(person.SerializedPublicKey, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("public key not stored as SPKI PEM: %q", person.SerializedPublicKey)
	}
	aspects, err := p.Store.AspectsOf(ctx, *person.OwnerID)
	if err != nil || len(aspects) != 4 || aspects[0].Name != "Family" || aspects[3].Name != "Acquaintances" {
		t.Errorf("default aspects = %+v, %v", aspects, err)
	}
	user, _ := p.Store.UserByID(ctx, *person.OwnerID)
	if strings.Contains(user.SerializedPrivateKey, "PRIVATE KEY") || !strings.HasPrefix(user.EncryptedPassword, "$argon2id$") {
		t.Errorf("private key or password stored in clear: %q / %q", user.SerializedPrivateKey[:20], user.EncryptedPassword[:12])
	}
}

func TestSignUpRejectsBadInputAndStoresNothing(t *testing.T) {
	p := podtest.New(t)
	existing := p.Client()
	existing.SignUp("taken")
	before := userCount(t, p)

	with := func(field, value string) url.Values {
		f := podtest.SignUpForm("newuser")
		f.Set(field, value)
		return f
	}
	cases := []struct {
		name    string
		form    url.Values
		field   string // the form field whose error is shown
		message string
	}{
		{"taken username", with("user[username]", "taken"), "username", "already taken"},
		{"taken username other case", with("user[username]", "TaKeN"), "username", "already taken"},
		{"taken email", with("user[email]", "TAKEN@example.org"), "email", "already taken"},
		{"bad characters", with("user[username]", "bad name!"), "username", "may contain only"},
		{"too long", with("user[username]", strings.Repeat("a", 33)), "username", "too long"},
		{"reserved", with("user[username]", "admin"), "username", "reserved"},
		{"blank", with("user[username]", ""), "username", "be blank"},
		{"bad email", with("user[email]", "not-an-address"), "email", "not a valid e-mail"},
		{"short password", func() url.Values {
			f := podtest.SignUpForm("newuser")
			f.Set("user[password]", "abc")
			f.Set("user[password_confirmation]", "abc")
			return f
		}(), "password", "too short"},
		{"mismatched confirmation", with("user[password_confirmation]", "different1"), "password_confirmation", "match the password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := p.Client()
			r := c.Post("/users", tc.form)
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.StatusCode)
			}
			if !strings.Contains(r.Body, tc.message) || !strings.Contains(r.Body, `id="user_`+tc.field+`"`) {
				t.Errorf("page lacks the %s error %q:\n%s", tc.field, tc.message, r.Body)
			}
			if strings.Contains(r.Body, "goroutine") || strings.Contains(r.Body, "pq:") || strings.Contains(r.Body, "SQLSTATE") {
				t.Error("page shows internals")
			}
			if n := userCount(t, p); n != before {
				t.Errorf("users = %d, want %d: something was stored", n, before)
			}
		})
	}

	t.Run("missing CSRF token", func(t *testing.T) {
		c := p.Client()
		c.Get("/users/sign_up")
		r := c.PostRaw("/users", podtest.SignUpForm("newuser"))
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "form has expired") {
			t.Fatalf("status %d, want 422 with a CSRF message:\n%s", r.StatusCode, r.Body)
		}
		if n := userCount(t, p); n != before {
			t.Errorf("users = %d, want %d", n, before)
		}
	})
	t.Run("forged CSRF token", func(t *testing.T) {
		c := p.Client()
		c.Get("/users/sign_up")
		f := podtest.SignUpForm("newuser")
		f.Set("authenticity_token", "forged")
		if r := c.PostRaw("/users", f); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", r.StatusCode)
		}
	})
}

func TestClosedRegistrationsNeedAnInvite(t *testing.T) {
	p := podtest.New(t, podtest.ClosedRegistrations())
	ctx := context.Background()
	// The first account comes from the operator tool.
	if _, err := p.App.Accounts.SignUp(ctx, signUpByOperator("operator")); err != nil {
		t.Fatal(err)
	}
	before := userCount(t, p)
	c := p.Client()
	if r := c.Get("/users/sign_up"); r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, "Registrations are closed") {
		t.Fatalf("sign-up page: %d\n%s", r.StatusCode, r.Body)
	}
	r := c.Post("/users", podtest.SignUpForm("newbie"))
	if r.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-up without invite: status %d, want 403", r.StatusCode)
	}
	if userCount(t, p) != before {
		t.Fatal("a user was created without an invite")
	}

	// A bad invite code is refused.
	f := podtest.SignUpForm("newbie")
	f.Set("invite[token]", "nosuchcode")
	if r := c.Post("/users", f); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not valid") {
		t.Fatalf("bad invite: %d\n%s", r.StatusCode, r.Body)
	}

	// The podmin's invite link works and spends one use.
	podmin, _ := p.Store.UserByUsername(ctx, "operator")
	code, _ := p.Store.InvitationCodeOf(ctx, podmin.ID)
	r = c.Get("/i/" + code.Token)
	if r.StatusCode != http.StatusFound || !strings.Contains(r.Location(), "invite="+code.Token) {
		t.Fatalf("/i/:code: %d %q", r.StatusCode, r.Location())
	}
	if page := c.Get(r.Location()); page.StatusCode != http.StatusOK || !strings.Contains(page.Body, `name="invite[token]" value="`+code.Token) {
		t.Fatalf("sign-up page with invite: %d", page.StatusCode)
	}
	f.Set("invite[token]", code.Token)
	if r := c.Post("/users", f); r.StatusCode != http.StatusFound {
		t.Fatalf("sign-up with invite: status %d\n%s", r.StatusCode, r.Body)
	}
	after, _ := p.Store.InvitationCodeOf(ctx, podmin.ID)
	if after.Count != code.Count-1 {
		t.Errorf("invite count %d, want %d", after.Count, code.Count-1)
	}
	newbie, err := p.Store.UserByUsername(ctx, "newbie")
	if err != nil || newbie.InvitedByID == nil || *newbie.InvitedByID != podmin.ID {
		t.Errorf("newbie not recorded as invited by podmin: %+v %v", newbie, err)
	}
}

func TestSignInWithUsernameOrEmailAndSignOut(t *testing.T) {
	p := podtest.New(t)
	p.Client().SignUp("bob")
	for _, login := range []string{"bob", "BOB", "bob@example.org"} {
		c := p.Client()
		r := c.SignIn(login, "password1", false)
		if r.StatusCode != http.StatusFound || r.Location() != "/" {
			t.Fatalf("sign in as %q: %d %q", login, r.StatusCode, r.Location())
		}
		if !strings.Contains(c.Get("/").Body, "bob@pod.test") {
			t.Fatalf("not signed in after sign-in as %q", login)
		}
		r = c.Post("/users/sign_out", nil)
		if r.StatusCode != http.StatusFound {
			t.Fatalf("sign out: %d", r.StatusCode)
		}
		if c.Get("/user/edit").StatusCode != http.StatusFound {
			t.Fatal("still signed in after sign-out")
		}
	}
	c := p.Client()
	r := c.SignIn("bob", "wrong-password", false)
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.Body, "invalid username, e-mail or password") {
		t.Fatalf("wrong password: %d\n%s", r.StatusCode, r.Body)
	}
	r = c.SignIn("nobody", "password1", false)
	if r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", r.StatusCode)
	}
}

func TestSignInRateLimit(t *testing.T) {
	p := podtest.New(t)
	p.Client().SignUp("carol")
	c := p.Client()
	for i := 0; i < 20; i++ {
		if r := c.SignIn("carol", "wrong", false); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, r.StatusCode)
		}
	}
	// The 21st attempt is refused even with the right password.
	r := c.SignIn("carol", "password1", false)
	if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(r.Body, "too many attempts") {
		t.Fatalf("21st attempt: status %d, want 429\n%s", r.StatusCode, r.Body)
	}
}

func TestSessionsSurviveRestart(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("dave")
	c.Post("/users/sign_out", nil)
	if r := c.SignIn("dave", "password1", true); r.StatusCode != http.StatusFound {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	var remember *http.Cookie
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(p.Server.URL)) {
		if ck.Name == "_aspen_session" {
			remember = ck
		}
	}
	if remember == nil {
		t.Fatal("no session cookie")
	}
	// A new server process over the same database and Redis.
	p.Server.Close()
	p2 := podtest.Start(t, p.Store, p.Opt.RedisPrefix)
	c2 := p2.Client()
	c2.HTTP.Jar.SetCookies(mustURL(p2.Server.URL), []*http.Cookie{{Name: "_aspen_session", Value: remember.Value, Path: "/"}})
	r := c2.Get("/user/edit")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "dave@pod.test") {
		t.Fatalf("session lost across restart: %d", r.StatusCode)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	p := podtest.New(t)
	a := p.Client()
	a.SignUp("erin")
	b := p.Client()
	b.SignIn("erin", "password1", false)
	r := a.Post("/user", url.Values{"form": {"password"}, "user[current_password]": {"wrong"}, "user[password]": {"newpass1"}, "user[password_confirmation]": {"newpass1"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is not correct") {
		t.Fatalf("wrong current password: %d", r.StatusCode)
	}
	r = a.Post("/user", url.Values{"form": {"password"}, "user[current_password]": {"password1"}, "user[password]": {"newpass1"}, "user[password_confirmation]": {"newpass1"}})
	if r.StatusCode != http.StatusFound {
		t.Fatalf("change password: %d\n%s", r.StatusCode, r.Body)
	}
	if a.Get("/user/edit").StatusCode != http.StatusOK {
		t.Error("the changing session was signed out")
	}
	if b.Get("/user/edit").StatusCode != http.StatusFound {
		t.Error("the other session is still signed in")
	}
	if r := p.Client().SignIn("erin", "newpass1", false); r.StatusCode != http.StatusFound {
		t.Errorf("new password does not work: %d", r.StatusCode)
	}
}

func TestSettingsChangeEmail(t *testing.T) {
	p := podtest.New(t)
	p.Client().SignUp("other")
	c := p.Client()
	c.SignUp("frank")
	if r := c.Post("/user", url.Values{"form": {"settings"}, "user[email]": {"other@example.org"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("taken e-mail: %d", r.StatusCode)
	}
	if r := c.Post("/user", url.Values{"form": {"settings"}, "user[email]": {"frank2@example.org"}, "user[auto_follow_back]": {"1"}}); r.StatusCode != http.StatusFound {
		t.Fatalf("change e-mail: %d", r.StatusCode)
	}
	u, _ := p.Store.UserByUsername(context.Background(), "frank")
	if u.Email != "frank2@example.org" || !u.AutoFollowBack {
		t.Errorf("settings not saved: %+v", u)
	}
}

func TestSignedOutVisitorIsSentToSignIn(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	for _, path := range []string{"/user/edit", "/profile/edit"} {
		r := c.Get(path)
		if r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Location(), "/users/sign_in") {
			t.Errorf("%s: %d %q", path, r.StatusCode, r.Location())
		}
	}
	// Posting signed out with a valid token is refused too, and changes nothing.
	r := c.Post("/profile", url.Values{"profile[first_name]": {"X"}})
	if r.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /profile signed out: %d", r.StatusCode)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
