package web_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
)

// uniqueName is a username no earlier run used: the test Maildir keeps
// every run's mail, and each test reads only its own recipients'.
func uniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

var resetLink = regexp.MustCompile(`http://[^\s"<>]+/users/password/edit\?reset_password_token=[A-Za-z0-9_\-%]+`)

// mailPod is a pod with a worker that sends its mail through the test
// mail server.
func mailPod(t *testing.T, name string, redisDB int) *podtest.FedPod {
	return podtest.NewFedPod(t, name, redisDB, podtest.FedOptions{RetryUnit: time.Millisecond}, podtest.WithMail())
}

func TestPasswordResetByMail(t *testing.T) {
	p := mailPod(t, "webreset", 10)
	name := uniqueName("reset")
	email := name + "@example.org"
	owner := p.Client()
	owner.SignUp(name) // signed in: this session must end with the reset

	visitor := p.Client()
	if r := visitor.Get("/users/sign_in"); !strings.Contains(r.Body, `href="/users/password/new"`) {
		t.Fatalf("the sign-in page has no link to reset a password:\n%s", r.Body)
	}
	if r := visitor.Get("/users/password/new"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `action="/users/password"`) {
		t.Fatalf("reset request form: %d\n%s", r.StatusCode, r.Body)
	}
	r := visitor.Post("/users/password", url.Values{"user[email]": {strings.ToUpper(email)}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "is on its way") {
		t.Fatalf("reset request: %d\n%s", r.StatusCode, r.Body)
	}

	m := podtest.AwaitMail(t, email, 30*time.Second)
	if !strings.Contains(m.Header.Get("Subject"), "Reset your password") || m.Header.Get("Message-Id") == "" {
		t.Errorf("headers: %v", m.Header)
	}
	link := resetLink.FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) {
		t.Fatalf("the text part must carry the link and the HTML part the same one:\ntext: %s\nhtml: %s", m.Text, m.HTML)
	}
	u, err := url.Parse(link)
	if err != nil || u.Host != p.Addr {
		t.Fatalf("link %q does not point at the pod (%s)", link, p.Addr)
	}
	token := u.Query().Get("reset_password_token")
	if r := visitor.Get(u.RequestURI()); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `value="`+token+`"`) {
		t.Fatalf("reset form: %d\n%s", r.StatusCode, r.Body)
	}
	// A wrong confirmation changes nothing and keeps the link usable.
	form := url.Values{"user[reset_password_token]": {token}, "user[password]": {"new-password-2"}, "user[password_confirmation]": {"different"}}
	if r := visitor.Post("/users/password/edit", form); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("mismatched confirmation: %d", r.StatusCode)
	}
	form.Set("user[password_confirmation]", "new-password-2")
	if r := visitor.Post("/users/password/edit", form); r.StatusCode != http.StatusFound || r.Location() != "/users/sign_in" {
		t.Fatalf("reset: %d %s\n%s", r.StatusCode, r.Location(), r.Body)
	}
	// The old session ended; the old password is gone; the new one works.
	if r := owner.Get("/stream"); r.StatusCode != http.StatusFound {
		t.Errorf("the owner's session survived the reset: %d", r.StatusCode)
	}
	if r := p.Client().Post("/users/sign_in", url.Values{"user[username]": {name}, "user[password]": {"password1"}}); r.StatusCode == http.StatusFound {
		t.Error("the old password still signs in")
	}
	if r := p.Client().Post("/users/sign_in", url.Values{"user[username]": {name}, "user[password]": {"new-password-2"}}); r.StatusCode != http.StatusFound {
		t.Errorf("the new password does not sign in: %d", r.StatusCode)
	}
	// The link works once.
	form.Set("user[password]", "third-password")
	form.Set("user[password_confirmation]", "third-password")
	if r := visitor.Post("/users/password/edit", form); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not valid any more") {
		t.Errorf("a used link: %d\n%s", r.StatusCode, r.Body)
	}
}

func TestPasswordResetAnswersAlikeAndIsLimited(t *testing.T) {
	p := mailPod(t, "webreset2", 11)
	known := uniqueName("known")
	p.Client().SignUp(known)
	unknown := uniqueName("nobody") + "@example.org"
	c := p.Client()
	a := c.Post("/users/password", url.Values{"user[email]": {known + "@example.org"}})
	b := c.Post("/users/password", url.Values{"user[email]": {unknown}})
	strip := func(s, email string) string { return strings.ReplaceAll(s, email, "") }
	if a.StatusCode != b.StatusCode || strip(a.Body, known+"@example.org") != strip(b.Body, unknown) {
		t.Errorf("known and unknown addresses answer differently: %d vs %d", a.StatusCode, b.StatusCode)
	}
	podtest.AwaitMail(t, known+"@example.org", 30*time.Second)
	podtest.Settled(t, 30*time.Second, p)
	if ms := podtest.MailsTo(t, unknown); len(ms) != 0 {
		t.Errorf("an address without an account got %d mails", len(ms))
	}
	// 20 requests in a minute: the ones past the limit are refused.
	refused := 0
	for i := 0; i < 20; i++ {
		if r := c.Post("/users/password", url.Values{"user[email]": {unknown}}); r.StatusCode == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 10 {
		t.Errorf("only %d of 20 quick requests were refused", refused)
	}
}

func TestNewMailAddressNeedsConfirmation(t *testing.T) {
	p := mailPod(t, "webconfirm", 12)
	name := uniqueName("mover")
	c := p.Client()
	c.SignUp(name)
	newAddr := uniqueName("moved") + "@example.org"
	if r := c.Post("/user", url.Values{"form": {"settings"}, "user[email]": {newAddr}}); r.StatusCode != http.StatusFound {
		t.Fatalf("settings: %d\n%s", r.StatusCode, r.Body)
	}
	page := c.Get("/user/edit").Body
	if !strings.Contains(page, `value="`+name+`@example.org"`) || !strings.Contains(page, "confirm <strong>"+newAddr) {
		t.Fatalf("the old address must stay until the new one is confirmed:\n%s", page)
	}
	m := podtest.AwaitMail(t, newAddr, 30*time.Second)
	link := regexp.MustCompile(`http://[^\s"<>]+/users/confirmation\?confirmation_token=[A-Za-z0-9_\-%]+`).FindString(m.Text)
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", m.Text)
	}
	u, _ := url.Parse(link)
	if r := c.Get(u.RequestURI()); r.StatusCode != http.StatusFound || r.Location() != "/user/edit" {
		t.Fatalf("confirm: %d %s", r.StatusCode, r.Location())
	}
	if page := c.Get("/user/edit").Body; !strings.Contains(page, `value="`+newAddr+`"`) {
		t.Errorf("the confirmed address is not the account's:\n%s", page)
	}
	if r := c.Get(u.RequestURI()); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a confirmation link works twice: %d", r.StatusCode)
	}
}

func TestResetWithoutMailSaysSo(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	if r := c.Get("/users/password/new"); !strings.Contains(r.Body, "cannot send mail") || strings.Contains(r.Body, `action="/users/password"`) {
		t.Errorf("a pod without mail must say it cannot mail a link:\n%s", r.Body)
	}
	if r := c.Post("/users/password", url.Values{"user[email]": {"someone@example.org"}}); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.Body, "cannot send mail") {
		t.Errorf("reset request without mail: %d", r.StatusCode)
	}
}
