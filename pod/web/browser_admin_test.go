package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestBrowserAdminPages: an admin signs in with a real browser, follows the
// header's Admin link to the pods page (screenshots at desktop and phone
// width; nothing may stick out sideways) and opens the job dashboard,
// whose single-page app must run under the policy the pod gives it.
func TestBrowserAdminPages(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	jobs, _ := withJobsDashboard(t)
	p := podtest.New(t, jobs)
	if _, err := p.App.Accounts.SignUp(context.Background(), signUpByOperator("olga")); err != nil {
		t.Fatal(err)
	}
	seedPods(t, p.Store)
	b := startBrowser(t, browserOutputDir(t))
	olga := b.user("olga", p.Server.URL)

	olga.open("/users/sign_in", 200)
	olga.run("fill in the sign-in form",
		chromedp.SendKeys(chromedp.ID("user_username"), "olga"),
		chromedp.SendKeys(chromedp.ID("user_password"), "password1"))
	olga.follow("the Sign in button", click(`form[action="/users/sign_in"] button[type=submit]`), 200)
	olga.follow("the Admin link", click(`header.top a[href="/admin"]`), 200)
	olga.follow("the pods link", click(`main a[href="/admin/pods"]`), 200)
	if got := olga.text("main"); !strings.Contains(got, "down.example") || !strings.Contains(got, "given up") {
		t.Fatalf("the pods page shows:\n%s", got)
	}
	b.screenshots(olga, "admin-pods")

	olga.follow("the job queues link", click(`main a[href="/admin/jobs"]`), 200)
	// asynqmon renders its app into #root with its own scripts: if the
	// policy blocked them, #root stays empty.
	if got := olga.text("#root"); !strings.Contains(got, "Queues") {
		olga.fail("open the job dashboard", fmt.Errorf("the dashboard shows:\n%s", got))
	}
}
