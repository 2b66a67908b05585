package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestBrowserPublisherMentions: on a phone, bob types "@al" in the
// publisher, picks alice (his contact) from the completion list, which
// writes @{alice; alice@pod.test} into the text, and sees the live
// preview with the mention linked, and the characters left; once shared,
// he mentions alice in a comment the same way, likes the comment with its
// button, and the header's search box finds the post's #tag. Screenshots
// go to POD_TEST_OUTPUT.
func TestBrowserPublisherMentions(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	p := podtest.New(t)
	p.Client().SignUp("alice")
	alice, err := p.Store.PersonByDiasporaID(context.Background(), "alice@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	out := browserOutputDir(t)
	b := startBrowser(t, out)
	bob := b.user("bob", p.Server.URL)
	bob.signUp()
	bob.open("/people/"+alice.GUID, 200)
	bob.addToAspect("Friends")

	bob.run("set a phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	bob.open("/stream", 200)
	bob.run("type a mention", chromedp.SendKeys(chromedp.ID("status_message_text"), "Hello **garden** #seeds @al"))
	bob.run("wait for the completion list", chromedp.WaitVisible(chromedp.CSS(".mention-list li")))
	if got := bob.text(".mention-list"); !strings.Contains(got, "alice@pod.test") {
		t.Fatalf("the completion list shows %q", got)
	}
	shot(t, bob, out, "publisher-completion-phone.png")
	bob.run("pick alice", click(".mention-list li"))
	const want = "Hello **garden** #seeds @{alice; alice@pod.test} "
	if got := bob.value(chromedp.ID("status_message_text")); got != want {
		t.Fatalf("after picking alice the publisher holds %q", got)
	}
	bob.run("wait for the preview", chromedp.WaitVisible(chromedp.CSS(`#publisher_text_preview a[href="/people/`+alice.GUID+`"]`)))
	if got := bob.text("#publisher_text_preview strong"); got != "garden" {
		t.Errorf("the preview's bold text is %q", got)
	}
	if got := bob.text(".char-count"); got != strconv.Itoa(65535-len(strings.TrimSpace(want)))+" characters left" {
		t.Errorf("the character count shows %q", got)
	}
	if w := get(bob, "measure the page", chromedp.Evaluate[[]int](
		`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)); len(w) != 2 || w[0] > w[1] {
		t.Errorf("the stream is wider than the phone's screen: %v", w)
	}
	shot(t, bob, out, "publisher-preview-phone.png")

	// Shared, the post page shows what the preview showed; the header's
	// search box finds its tag.
	bob.follow("the Share button", click(`.publisher button[type=submit]:not([name])`), 200)
	if got := bob.text("main .post .text"); got != "Hello garden #seeds @alice" {
		t.Errorf("the shared post reads %q", got)
	}
	// Comments complete mentions too, from the people under the post.
	bob.run("write a comment", chromedp.SendKeys(chromedp.ID("comment_text"), "Me too @al"))
	bob.run("wait for the comment's completion list", chromedp.WaitVisible(chromedp.CSS("#comment_text_mentions li")))
	bob.run("pick alice", click("#comment_text_mentions li"))
	if got := bob.value(chromedp.ID("comment_text")); got != "Me too @{alice; alice@pod.test} " {
		t.Fatalf("after picking alice the comment holds %q", got)
	}
	bob.follow("the Comment button", click(`form[action$="/comments"] button[type=submit]`), 200)
	bob.follow("the comment's Like button", click(`.comment-likes button[type=submit]`), 200)
	if got := strings.Fields(bob.text(".comment-likes")); strings.Join(got, " ") != "1 like Unlike" {
		t.Errorf("after liking the comment it shows %q", got)
	}
	shot(t, bob, out, "post-comment-liked-phone.png")
	bob.run("search for #se", chromedp.SendKeys(chromedp.ID("site_q"), "#se"))
	bob.follow("the header's Search button", click(`.site-search button[type=submit]`), 200)
	if got := bob.text(".search-tags"); !strings.Contains(got, "#seeds") {
		t.Errorf("searching #se shows:\n%s", got)
	}
	shot(t, bob, out, "search-phone.png")
}

// shot saves a screenshot of the user's whole page under out.
func shot(t *testing.T, u *browserUser, out, name string) {
	t.Helper()
	png := get(u, "take the screenshot "+name, chromedp.FullScreenshot(100))
	file := filepath.Join(out, name)
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}
