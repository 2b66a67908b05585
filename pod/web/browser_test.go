package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/pod/podtest"
)

// The browser test drives Debian's chromium package (installed by
// .ci/services) headless through the DevTools protocol.
const (
	chromiumPath  = "/usr/bin/chromium"
	browserBudget = 3 * time.Minute  // the whole walk
	browserStep   = 30 * time.Second // one page, one form, one check
)

// TestBrowserFriendsOnlyPost walks the privacy core the way people do, with
// a real browser and only the server-rendered pages (no JavaScript needed):
// alice, bob and carol sign up through the form; alice finds bob and adds
// him to Friends; bob follows the "started sharing" notification and adds
// alice back; alice checks with "Who will see it?" that the post would reach
// bob and not carol, and shares it with Friends only; bob sees it in his
// stream and comments; alice sees the comment; carol, signed in, finds no
// trace of it and gets the 404 page for its URL. Full-page screenshots of
// bob's stream at desktop and phone width go to the test's artifact
// directory (go test -artifacts keeps it), or under POD_TEST_OUTPUT when
// that is set. Chromium missing is a failure, not a skip: run .ci/services.
func TestBrowserFriendsOnlyPost(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	start := time.Now()
	out := browserOutputDir(t)
	p := podtest.New(t)
	b := startBrowser(t, out)

	const text = "Party at mine, friends only"
	const comment = "I'll bring cake"

	alice := b.user("alice", p.Server.URL)
	bob := b.user("bob", p.Server.URL)
	carol := b.user("carol", p.Server.URL)
	for _, u := range []*browserUser{alice, bob, carol} {
		u.signUp()
	}

	// alice finds bob from her contacts page and adds him to Friends.
	alice.open("/contacts", 200)
	alice.follow("the Find people link", click(`main a[href="/people"]`), 200)
	alice.run("search for bob",
		chromedp.SendKeys(chromedp.ID("q"), "bob"))
	alice.follow("the Search button", click(`form[role=search] button[type=submit]`), 200)
	if got := alice.text("main"); !strings.Contains(got, "bob@pod.test") || strings.Contains(got, "carol") {
		t.Fatalf("alice's search for bob shows:\n%s", got)
	}
	alice.follow("bob's search result", click(`.contact a[href="/people/`+bob.guid+`"]`), 200)
	friends := alice.addToAspect("Friends")

	// bob is told that alice started sharing with him and shares back: as on
	// diaspora*, a stream shows only posts by people in one's aspects.
	bob.follow("the Notifications link", click(`header.top a[href="/notifications"]`), 200)
	bob.follow("alice's notification", chromedp.Click(chromedp.Search(
		`//ul[contains(@class,"notifications")]/li/a[contains(., "started sharing with you")]`)), 200)
	if got := bob.path(); got != "/people/"+alice.guid {
		t.Fatalf("alice's started-sharing notification led bob to %s, want her page /people/%s", got, alice.guid)
	}
	bob.addToAspect("Friends")

	// alice writes the post, chooses Friends only and asks who will see it.
	alice.open("/stream", 200)
	alice.run("write the post", chromedp.SendKeys(chromedp.ID("status_message_text"), text))
	alice.chooseOnlyAspect("Friends", friends)
	alice.follow("the Who will see it? button", click(`.publisher button[name=preview]`), 200)
	preview := alice.text(".audience-preview")
	if !strings.Contains(preview, "bob@pod.test") || strings.Contains(preview, "carol") || strings.Contains(preview, "Public") {
		t.Fatalf("the audience preview should list bob and nobody else, it shows:\n%s", preview)
	}
	if got := alice.value(chromedp.ID("status_message_text")); got != text {
		t.Fatalf("after the preview the publisher holds %q, want %q", got, text)
	}
	if got := alice.checkedAudience(); got != friends {
		t.Fatalf("after the preview the checked audience is %q, want only Friends (%s)", got, friends)
	}
	alice.follow("the Share button", click(`.publisher button[type=submit]:not([name])`), 200)
	postPath := alice.path()
	guid, ok := strings.CutPrefix(postPath, "/posts/")
	if !ok || guid == "" {
		t.Fatalf("sharing the post led to %s, want /posts/<guid>", postPath)
	}
	if got := alice.text("main"); !strings.Contains(got, text) || !strings.Contains(got, "Limited") || !strings.Contains(got, "Your post was shared.") {
		t.Fatalf("alice's new post page shows:\n%s", got)
	}

	// bob sees it in his stream, opens it and comments.
	bob.open("/stream", 200)
	if got := bob.text("#post-" + guid); !strings.Contains(got, text) || !strings.Contains(got, "alice") {
		t.Fatalf("bob's stream shows alice's post as:\n%s", got)
	}
	bob.follow("the post's date link", click(`#post-`+guid+` a[href="/posts/`+guid+`"]`), 200)
	bob.run("write the comment", chromedp.SendKeys(chromedp.ID("comment_text"), comment))
	bob.follow("the Comment button", click(`form[action="/posts/`+guid+`/comments"] button[type=submit]`), 200)
	if got := bob.text("#comments"); !strings.Contains(got, comment) {
		t.Fatalf("after commenting bob's post page shows:\n%s", got)
	}
	bob.follow("the Stream link", click(`header.top a[href="/stream"]`), 200)
	if got := bob.text("#post-" + guid + " .comments"); !strings.Contains(got, comment) {
		t.Fatalf("bob's stream shows the post's comments as:\n%s", got)
	}
	b.screenshots(bob, "bob-stream")

	// alice sees bob's comment.
	alice.open(postPath, 200)
	if got := alice.text("#comments"); !strings.Contains(got, comment) || !strings.Contains(got, "bob") {
		t.Fatalf("alice's post page shows the comments as:\n%s", got)
	}

	// carol, signed in, never sees it.
	for _, path := range []string{"/stream", "/public", "/people/" + alice.guid} {
		carol.open(path, 200)
		if html := carol.html(); strings.Contains(html, text) || strings.Contains(html, guid) {
			t.Errorf("carol sees alice's Friends-only post on %s", path)
		}
	}
	carol.open(postPath, 404)
	if got := carol.text("main"); !strings.Contains(got, "Page not found") {
		t.Errorf("carol opening the post URL sees:\n%s", got)
	}
	if html := carol.html(); strings.Contains(html, text) || strings.Contains(html, comment) {
		t.Errorf("the 404 page shows carol the post or its comment")
	}
	t.Logf("browser walk took %s", time.Since(start).Round(time.Millisecond))
}

// browserOutputDir is where the test writes its screenshots: POD_TEST_OUTPUT
// when set (CI can keep that folder), else the test's artifact directory
// (kept with go test -artifacts, see go doc testing.T.ArtifactDir).
func browserOutputDir(t *testing.T) string {
	dir := os.Getenv("POD_TEST_OUTPUT")
	if dir == "" {
		return t.ArtifactDir()
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless chromium; every user gets a browser context of
// its own, so cookie jars are separate.
type browser struct {
	t   *testing.T
	ctx context.Context
	out string
	log *lockedBuffer
}

func startBrowser(t *testing.T, out string) *browser {
	t.Helper()
	log := &lockedBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root on CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(log),
	)
	bctx, _ := chromedp.NewContext(allocCtx)
	// Cleanups run last-registered first: the browser stops before its
	// user data directory and the pod go away.
	t.Cleanup(func() {
		allocCancel() // waits for chromium to exit
		cancel()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromiumPath, err, log.String())
	}
	return &browser{t: t, ctx: bctx, out: out, log: log}
}

// browserUser is one person at one browser context.
type browserUser struct {
	t    *testing.T
	b    *browser
	name string
	base string
	guid string
	ctx  context.Context
}

func (b *browser) user(name, base string) *browserUser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	// The first Run opens the tab and binds it to ctx: no step timeout here.
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: opening a browser context: %v\n%s", name, err, b.log.String())
	}
	return &browserUser{t: b.t, b: b, name: name, base: base, ctx: ctx}
}

// run runs actions within one step's time, failing the test with a
// screenshot of the page when they fail.
func (u *browserUser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		u.fail(what, err)
	}
}

// get runs one action that returns a value within one step's time.
func get[T any](u *browserUser, what string, a chromedp.Action[T]) T {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		u.fail(what, err)
	}
	return v
}

func (u *browserUser) fail(what string, err error) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	note := ""
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		name := filepath.Join(u.b.out, u.name+"-failure.png")
		if os.WriteFile(name, png, 0o644) == nil {
			note = "; screenshot: " + name
		}
	}
	body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("nothing happened within %s (%w)", browserStep, err)
	}
	u.t.Fatalf("%s: %s: %v\nat %s%s\npage text:\n%s\nchromium output:\n%s", u.name, what, err, loc, note, body, u.b.log.String())
}

// open loads a path like typing it into the address bar, and checks the
// HTTP status of the page.
func (u *browserUser) open(path string, status int64) {
	u.t.Helper()
	resp := get(u, "open "+path, chromedp.NavigateResponse(u.base+path))
	if resp == nil || resp.Status != status {
		u.fail("open "+path, fmt.Errorf("status %v, want %d", statusOf(resp), status))
	}
}

// click clicks the first element matching css.
func click(css string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(css)) }

// follow clicks a link or a form's button, waits for the next page and checks
// its status (after redirects).
func (u *browserUser) follow(what string, action chromedp.Action[chromedp.Void], status int64) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, browserStep)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		u.fail("click "+what, err)
	}
	if resp == nil || resp.Status != status {
		u.fail("click "+what, fmt.Errorf("status %v, want %d", statusOf(resp), status))
	}
}

func statusOf(resp *network.Response) any {
	if resp == nil {
		return "none"
	}
	return resp.Status
}

// path is the current page's path and query.
func (u *browserUser) path() string {
	u.t.Helper()
	loc := get(u, "read the location", chromedp.Location())
	l, err := url.Parse(loc)
	if err != nil {
		u.fail("read the location", err)
	}
	return l.RequestURI()
}

// text is the visible text of the first element matching css; it waits for
// the element.
func (u *browserUser) text(css string) string {
	u.t.Helper()
	return get(u, "read "+css, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
}

// html is the page's whole markup, hidden parts included.
func (u *browserUser) html() string {
	u.t.Helper()
	return get(u, "read the page source", chromedp.Evaluate[string]("document.documentElement.outerHTML"))
}

func (u *browserUser) attr(sel chromedp.Search, name string) string {
	u.t.Helper()
	r := get(u, "read "+name+" of "+string(sel), chromedp.AttributeValue(sel, name))
	if !r.Exists {
		u.fail("read "+name+" of "+string(sel), errors.New("no such attribute"))
	}
	return r.Value
}

func (u *browserUser) value(sel chromedp.ID) string {
	u.t.Helper()
	return get(u, "read the value of "+string(sel), chromedp.Value(sel))
}

// checkedAudience lists the values of the publisher's checked audience boxes.
func (u *browserUser) checkedAudience() string {
	u.t.Helper()
	return get(u, "read the checked audience", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll('.publisher input[name="aspect_ids[]"]:checked'), b => b.value).join(",")`))
}

// chooseOnlyAspect unticks every audience box of the publisher, then ticks
// the aspect with this label, clicking like a person does.
func (u *browserUser) chooseOnlyAspect(label, id string) {
	u.t.Helper()
	if checked := u.checkedAudience(); checked != "" {
		for v := range strings.SplitSeq(checked, ",") {
			u.run("untick audience "+v, chromedp.Click(chromedp.CSS(`.publisher input[name="aspect_ids[]"][value="`+v+`"]`)))
		}
	}
	u.run("tick "+label, chromedp.Click(chromedp.Search(
		`//fieldset[contains(@class,"audience")]//label[normalize-space(.)="`+label+`"]/input`)))
	if got := u.checkedAudience(); got != id {
		u.fail("choose only "+label, fmt.Errorf("checked audience is %q, want %q", got, id))
	}
}

// addToAspect adds the person whose page is open to the user's aspect with
// this name through the page's "Add to aspect" form, and returns the
// aspect's id.
func (u *browserUser) addToAspect(name string) string {
	u.t.Helper()
	id := u.attr(chromedp.Search(`//select[@id="aspect_id"]/option[normalize-space(.)="`+name+`"]`), "value")
	u.run("choose the "+name+" aspect", chromedp.SetValue(chromedp.ID("aspect_id"), id))
	u.follow("the Add button", click(`form[action="/aspect_memberships"] button[type=submit]`), 200)
	if got := u.text("main"); !strings.Contains(got, "Added to “"+name+"”") || !strings.Contains(got, "Remove from "+name) {
		u.fail("add to "+name, fmt.Errorf("afterwards the page shows:\n%s", got))
	}
	return id
}

// signUp creates the account through the sign-up form; the user is signed in
// afterwards.
func (u *browserUser) signUp() {
	u.t.Helper()
	u.open("/users/sign_up", 200)
	u.run("fill in the sign-up form",
		chromedp.SendKeys(chromedp.ID("user_username"), u.name),
		chromedp.SendKeys(chromedp.ID("user_email"), u.name+"@example.org"),
		chromedp.SendKeys(chromedp.ID("user_password"), "password1"),
		chromedp.SendKeys(chromedp.ID("user_password_confirmation"), "password1"),
	)
	u.follow("the Sign up button", click(`form[action="/users"] button[type=submit]`), 200)
	if nav := u.text("header.top nav"); !strings.Contains(nav, u.name) || !strings.Contains(nav, "Sign out") {
		u.fail("sign up", fmt.Errorf("not signed in afterwards; the header shows %q", nav))
	}
	me := u.attr(chromedp.Search(`//header//nav/a[starts-with(@href,"/people/")]`), "href")
	u.guid = strings.TrimPrefix(me, "/people/")
}

// screenshots saves full-page PNGs of the user's current page at desktop
// and at phone width.
func (b *browser) screenshots(u *browserUser, name string) {
	b.t.Helper()
	for _, v := range []struct {
		suffix string
		setup  chromedp.Action[chromedp.Void]
	}{
		{"desktop", chromedp.EmulateViewport(1280, 900)},
		{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)},
	} {
		u.run("set the "+v.suffix+" viewport", v.setup, chromedp.Reload())
		// Nothing may stick out sideways: a page wider than the screen scrolls
		// sideways on a phone.
		if w := get(u, "measure the page", chromedp.Evaluate[[]int](
			`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)); len(w) != 2 || w[0] > w[1] {
			b.t.Errorf("%s: at %s width %s is wider than the screen (scrollWidth, clientWidth: %v)", u.name, v.suffix, u.path(), w)
		}
		png := get(u, "take the "+v.suffix+" screenshot", chromedp.FullScreenshot(100))
		file := filepath.Join(b.out, name+"-"+v.suffix+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", file)
	}
	u.run("reset the viewport", chromedp.ResetViewport())
}

// lockedBuffer collects chromium's output for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

// String is the output without the D-Bus complaints of a machine that has
// no D-Bus, which say nothing about the test.
func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out strings.Builder
	for line := range strings.Lines(b.buf.String()) {
		if !strings.Contains(line, ":ERROR:dbus/") {
			out.WriteString(line)
		}
	}
	return out.String()
}
