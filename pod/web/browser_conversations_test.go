package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestBrowserConversationsPhone: on a phone, bob starts a conversation
// with alice (they share with each other) from the form, replies on its
// page, and finds it in his list; the list and the conversation fit the
// phone's width, and the header counts alice's unread messages. Every
// step is a plain form (no script needed). Screenshots go to
// POD_TEST_OUTPUT.
func TestBrowserConversationsPhone(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	p := podtest.New(t)
	alice := p.Client()
	alice.SignUp("alice")
	ctx := context.Background()
	alicePerson, err := p.Store.PersonByDiasporaID(ctx, "alice@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	out := browserOutputDir(t)
	b := startBrowser(t, out)
	bob := b.user("bob", p.Server.URL)
	bob.signUp()
	bob.open("/people/"+alicePerson.GUID, 200)
	bob.addToAspect("Friends")
	bobPerson, err := p.Store.PersonByDiasporaID(ctx, "bob@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.Store.UserByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.Store.AspectsOf(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, alice.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(as[0].ID)}, "person_id": {itoa(bobPerson.ID)}}), http.StatusSeeOther)

	bob.run("set a phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	fits := func(what string) {
		t.Helper()
		if w := get(bob, "measure "+what, chromedp.Evaluate[[]int](
			`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)); len(w) != 2 || w[0] > w[1] {
			t.Errorf("%s is wider than the phone's screen: %v", what, w)
		}
	}
	bob.open("/stream", 200)
	bob.follow("the Conversations link", click(`header a[href="/conversations"]`), 200)
	bob.follow("the New conversation button", click(`a[href="/conversations/new"]`), 200)
	bob.run("choose alice and write",
		chromedp.Click(chromedp.CSS(`input[name="person_ids[]"][value="`+itoa(alicePerson.ID)+`"]`)),
		chromedp.SendKeys(chromedp.ID("conversation_subject"), "Seeds for the allotment, and a rather long subject that has to wrap on a phone"),
		chromedp.SendKeys(chromedp.ID("conversation_text"), "Do you have **tomato** seeds left? https://example.org/a-very-long-link-that-must-not-widen-the-page-on-a-phone-screen"),
	)
	shot(t, bob, out, "conversation-new-phone.png")
	bob.follow("the Send button", click(`form[action="/conversations"] button[type=submit]`), 200)
	if got := bob.text("main .conversation .subject"); !strings.HasPrefix(got, "Seeds for the allotment") {
		t.Fatalf("after sending, the page shows the subject %q", got)
	}
	if got := bob.text("main .messages .text strong"); got != "tomato" {
		t.Errorf("the message's bold text is %q", got)
	}
	fits("the conversation")
	bob.run("write a reply", chromedp.SendKeys(chromedp.ID("message_text"), "Or _beans_?"))
	bob.follow("the Reply button", click(`form.reply button[type=submit]`), 200)
	if got := bob.text("main .messages"); !strings.Contains(got, "Or beans?") {
		t.Errorf("after replying the conversation shows %q", got)
	}
	shot(t, bob, out, "conversation-phone.png")
	fits("the conversation with the reply")
	bob.follow("the All conversations link", click(`main a[href="/conversations"]`), 200)
	// The preview is the newest message (messages carry whole seconds: the
	// two may tie).
	if got := bob.text("main .conversations"); !strings.Contains(got, "Seeds for the allotment") || !strings.Contains(got, "alice, bob") || !strings.Contains(got, "bob: ") {
		t.Errorf("bob's list shows %q", got)
	}
	fits("the list")
	shot(t, bob, out, "conversations-phone.png")

	// alice's header counts both messages.
	if m := headerCount.FindStringSubmatch(mustStatus(t, alice.Get("/stream"), http.StatusOK).Body); m == nil || m[1] != "2" {
		t.Errorf("alice's header counter: %v", m)
	}
}
