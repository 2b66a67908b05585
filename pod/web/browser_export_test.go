package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestBrowserExportPhone: on a phone, carol goes from her settings to
// "your data", asks for her data and watches the page: it says the copy is
// being made, then, with no click (the page reloads itself), that it is
// ready, with its download link; nothing is wider than the screen.
func TestBrowserExportPhone(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Debian's chromium at %s (%v): run `bash .ci/services` to install it", chromiumPath, err)
	}
	ctx := context.Background()
	p := podtest.New(t)
	out := browserOutputDir(t)
	b := startBrowser(t, out)
	carol := b.user("carol", p.Server.URL)
	carol.signUp()
	carol.run("set a phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	carol.open("/user/edit", 200)
	carol.follow("the your-data link", click(`a[href="/user/export"]`), 200)
	carol.follow("Request my data", click(`form[action="/user/export_profile"] button`), 200)
	if got := carol.text("#export-state"); !strings.Contains(got, "being made") {
		t.Fatalf("after asking, the page says %q", got)
	}
	shot(t, carol, out, "export-working-phone.png")

	// The worker's job (this pod has none running).
	u, err := p.Store.UserByUsername(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.Store.ExportOf(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Archives.Run(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(carol.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(`#export-state[data-state="ready"]`))); err != nil {
		t.Fatalf("the page did not reload itself to show the ready export: %v", err)
	}
	if got := carol.attr(chromedp.Search(`//a[@href="/user/download_profile"]`), "href"); got != "/user/download_profile" {
		t.Errorf("no download link")
	}
	if w := get(carol, "measure the page", chromedp.Evaluate[[]int](
		`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)); len(w) != 2 || w[0] > w[1] {
		t.Errorf("the page is wider than the phone's screen: %v", w)
	}
	shot(t, carol, out, "export-ready-phone.png")
}
