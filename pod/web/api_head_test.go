package web_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod/posts"
)

// TestAPIMainStreamFirstPageFromHeadCache: the API's main stream first
// page comes from the head cache (as /stream.json's) and is exactly the
// page the database builds (asked with a before= in the future, new each
// time, so never cached), before and after a change; a token without
// private:read gets its own page, without the limited posts, even when
// the full page of the same user was cached first.
func TestAPIMainStreamFirstPageFromHeadCache(t *testing.T) {
	w := newStreamsWorld(t)
	ctx := context.Background()
	n := 0
	same := func(what, token string) []string {
		t.Helper()
		code, h, cached := apiDo(t, w.p, token, "GET", "/api/v1/streams/main", nil)
		if _, again, _ := apiDo(t, w.p, token, "GET", "/api/v1/streams/main", nil); again.Get("X-Cache") != "hit" {
			t.Errorf("%s: the second read of the first page was not a cache hit (X-Cache %q, the first %q)", what, again.Get("X-Cache"), h.Get("X-Cache"))
		}
		n++
		future := "/api/v1/streams/main?before=" + url.QueryEscape(time.Now().Add(time.Hour+time.Duration(n)*time.Microsecond).UTC().Format(time.RFC3339Nano))
		code2, h2, built := apiDo(t, w.p, token, "GET", future, nil)
		if code != http.StatusOK || code2 != http.StatusOK || !reflect.DeepEqual(cached, built) {
			t.Fatalf("%s: head page %d %v\nbuilt page %d %v", what, code, cached, code2, built)
		}
		if (h.Get("Link") == "") != (h2.Get("Link") == "") {
			t.Errorf("%s: Link %q, built page's %q", what, h.Get("Link"), h2.Get("Link"))
		}
		return sortedGUIDs(t, cached)
	}
	all := sorted(w.aPub, w.aLim, w.bPub, w.bLim)
	if got := same("full, cold", w.aliceFull); !slices.Equal(got, all) {
		t.Fatalf("full page %v, want %v", got, all)
	}
	same("full, warm", w.aliceFull)
	pubs := sorted(w.aPub, w.bPub)
	if got := same("public only, after the full page was cached", w.alicePub); !slices.Equal(got, pubs) {
		t.Fatalf("public-only page %v, want %v", got, pubs)
	}
	// A new limited post of bob to alice: the full page shows it at once,
	// the public-only page never.
	pv, err := w.p.App.Posts.CreatePost(ctx, w.bob.Session, posts.PostInput{Text: "news for friends",
		Audience: aspects.Selection{Aspects: []int64{w.bob.Aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := same("full, after a new post", w.aliceFull); !slices.Contains(got, pv.GUID) {
		t.Errorf("the new post is not on the full page: %v", got)
	}
	if got := same("public only, after a new post", w.alicePub); !slices.Equal(got, pubs) {
		t.Errorf("public-only page %v, want %v", got, pubs)
	}
	// Deleting it takes it off the cached page.
	if err := w.p.App.Posts.DeletePost(ctx, w.bob.Session, pv.GUID); err != nil {
		t.Fatal(err)
	}
	if got := same("full, after the delete", w.aliceFull); slices.Contains(got, pv.GUID) {
		t.Errorf("the deleted post is still on the page: %v", got)
	}
}
