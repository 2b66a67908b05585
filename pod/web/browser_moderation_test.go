package web_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// TestBrowserReportFlow: bob reports alice's post from its page in a real
// browser; the admin opens the queue, deletes the post, and it is gone
// for bob. Every admin page is screenshot at desktop and phone width
// (nothing may stick out sideways).
func TestBrowserReportFlow(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	p := podtest.New(t)
	ctx := context.Background()
	if _, err := p.App.Accounts.SignUp(ctx, signUpByOperator("olga")); err != nil {
		t.Fatal(err)
	}
	alice := p.NewUser(t, "alice")
	p.NewUser(t, "bob")
	post, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "buy cheap watches now", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, browserOutputDir(t))
	signIn := func(u *browserUser, name string) {
		u.open("/users/sign_in", 200)
		u.run("fill in the sign-in form",
			chromedp.SendKeys(chromedp.ID("user_username"), name),
			chromedp.SendKeys(chromedp.ID("user_password"), "password1"))
		u.follow("the Sign in button", click(`form[action="/users/sign_in"] button[type=submit]`), 200)
	}
	bob := b.user("bob", p.Server.URL)
	signIn(bob, "bob")
	bob.open("/posts/"+post.GUID, 200)
	bob.follow("the Report link", click(`a[href^="/report/new?item_type=post"]`), 200)
	bob.run("give a reason", chromedp.SendKeys(chromedp.ID("report_text"), "spam for watches"))
	bob.follow("the Send button", click(`form[action="/report"] button[type=submit]`), 200)
	if got := bob.text("main"); !strings.Contains(got, "moderators of this pod will look at it") {
		t.Errorf("after reporting bob sees:\n%s", got)
	}

	olga := b.user("olga", p.Server.URL)
	signIn(olga, "olga")
	olga.follow("the Admin link", click(`header.top a[href="/admin"]`), 200)
	b.screenshots(olga, "admin-dashboard")
	olga.follow("the Reports link", click(`nav.admin-nav a[href="/admin/reports"]`), 200)
	if got := olga.text("main"); !strings.Contains(got, "buy cheap watches now") || !strings.Contains(got, "spam for watches") || !strings.Contains(got, "Reported by bob") {
		t.Fatalf("the queue shows:\n%s", got)
	}
	b.screenshots(olga, "admin-reports")
	olga.follow("the Delete button", click(`form[action$="/delete"] button[type=submit]`), 200)
	if got := olga.text("main"); strings.Contains(got, "buy cheap watches now") {
		t.Errorf("the deleted post is still in the open queue:\n%s", got)
	}
	bob.open("/posts/"+post.GUID, 404)

	for _, page := range []string{"/admin/users", "/admin/users/" + strconv.FormatInt(userID(t, p, "bob"), 10), "/admin/settings", "/admin/blocks", "/admin/pods"} {
		olga.open(page, 200)
		b.screenshots(olga, "admin"+strings.ReplaceAll(strings.TrimPrefix(page, "/admin"), "/", "-"))
	}
}
