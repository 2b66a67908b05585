package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/podtest"
)

// TestBrowserPhotoPost: at phone width, alice chooses a photo in the
// publisher (the page's script uploads it at once and lists it), adds a
// poll, shares a public post with both, and the post page shows the photo,
// served by the pod, and the poll. Screenshots of the post (phone and desktop) go where the other
// browser test's go.
func TestBrowserPhotoPost(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	out := browserOutputDir(t)
	p := podtest.New(t)
	b := startBrowser(t, out)
	alice := b.user("alice", p.Server.URL)
	alice.signUp()
	file := filepath.Join(t.TempDir(), "beach.jpg")
	if err := os.WriteFile(file, mediatest.JPEG(t, 900, 600), 0o644); err != nil {
		t.Fatal(err)
	}

	alice.run("use a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	alice.open("/stream", 200)
	alice.run("write the post", chromedp.SendKeys(chromedp.ID("status_message_text"), "At the beach"))
	alice.run("choose the photo", chromedp.SetUploadFiles(chromedp.ID("publisher_file"), []string{file}),
		chromedp.WaitVisible(chromedp.CSS(`#pending-photos li input[name="photos[]"]`)))
	// The renditions are the worker's job; this pod has none, so run it.
	person, err := p.Store.PersonByDiasporaID(context.Background(), "alice@pod.test")
	if err != nil {
		t.Fatal(err)
	}
	pending, err := p.Store.PendingPhotos(context.Background(), person.ID)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending photos after choosing one: %v %v", pending, err)
	}
	if err := p.App.Photos.Process(context.Background(), pending[0].ID); err != nil {
		t.Fatal(err)
	}
	alice.run("add a poll", click(`.publisher-poll summary`),
		chromedp.SendKeys(chromedp.ID("poll_question"), "Swim or sunbathe?"),
		chromedp.SendKeys(chromedp.CSS(`.poll-answers input[name="poll_answers[]"]:nth-of-type(1)`), "Swim"),
		chromedp.SendKeys(chromedp.CSS(`.poll-answers input[name="poll_answers[]"]:nth-of-type(2)`), "Sunbathe"))
	alice.run("choose Public", click(`.publisher input[name="aspect_ids[]"][value=public]`))
	alice.follow("the Share button", click(`.publisher button[type=submit]:not([name])`), 200)
	if !strings.HasPrefix(alice.path(), "/posts/") {
		t.Fatalf("sharing led to %s", alice.path())
	}
	alice.run("wait for the photo", chromedp.WaitVisible(chromedp.CSS(`.post-photos img`)))
	width := get(alice, "load the photo", chromedp.Poll[int](
		`document.querySelector(".post-photos img").complete && document.querySelector(".post-photos img").naturalWidth`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if width != 700 {
		t.Errorf("the post shows the photo %d pixels wide, want diaspora*'s scaled_full (700)", width)
	}
	alice.run("see the poll", chromedp.WaitVisible(chromedp.CSS(`.poll .poll-question`)))
	if q := get(alice, "read the poll", chromedp.Poll[string](`document.querySelector(".poll .poll-question").textContent.trim()`)); q != "Swim or sunbathe?" {
		t.Errorf("the post shows the poll question %q", q)
	}
	b.screenshots(alice, "photo-post")
}
