package streams

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/pagecache"
)

// The main stream's pages, the first one above all (what everyone loads
// first and most often), come from the page cache (package pagecache): a
// warm page costs one Redis round trip and no SQL. A page depends on the
// reader's entries, the posts it shows and their reshared originals, and
// the people it shows (authors, commenters, mentioned people).

// HeadPage is an encoded page of a main stream (the first one, or a
// deeper one).
type HeadPage struct {
	// JSON is the page's posts as a JSON array, as c.JSON(page.Posts)
	// writes them.
	JSON []byte
	// Next and NextMaxTime are StreamPage's.
	Next        string
	NextMaxTime int64
	// Oldest is the stream-order time of the page's last post (its
	// cursor's time) and Count the number of posts: an API page's Link.
	Oldest time.Time
	Count  int
	// Cached: served from the cache without SQL.
	Cached bool
}

// HeadFormat is one encoding of main-stream pages, cached apart from the
// others: the web's (the zero HeadFormat: the post views as JSON) or the
// API's post objects. Encode must depend only on the posts it is given
// (and constants such as the pod's URL).
type HeadFormat struct {
	Name   string
	Encode func([]pod.PostView) ([]byte, error)
}

// MainHead is the first page (default size) of sess's main stream,
// encoded as JSON, from the page cache when it is still current.
func (a *Service) MainHead(ctx context.Context, sess *pod.Session) (*HeadPage, error) {
	return a.MainPageAs(ctx, sess, StreamQuery{Kind: StreamMain}, HeadFormat{})
}

// MainPageAs is the page q (any cursor and size; its Kind must be
// StreamMain) of sess's main stream, encoded by f, from the page cache
// when nothing it shows changed since it was built.
func (a *Service) MainPageAs(ctx context.Context, sess *pod.Session, q StreamQuery, f HeadFormat) (*HeadPage, error) {
	if sess == nil {
		return nil, pod.ErrUnauthenticated
	}
	if q.Kind != StreamMain {
		return nil, fmt.Errorf("streams: MainPageAs reads the main stream, not %q", q.Kind)
	}
	cur, err := cursorOf(q)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = models.PageSize
	}
	name := fmt.Sprintf("main|%s|%d|%d|%d", f.Name, cur.Time.UnixMicro(), cur.ID, limit)
	if cur.Time.IsZero() {
		name = fmt.Sprintf("main|%s|head|%d", f.Name, limit)
	}
	k := pagecache.Key{User: sess.UserID, PublicOnly: sess.PublicOnly, Name: name}
	page, cached, err := a.pages.Get(ctx, k, func(ctx context.Context) (*pagecache.Built, error) {
		return a.buildMainPage(ctx, sess, q, f)
	})
	if err != nil {
		return nil, err
	}
	hp := *page.Meta.(*HeadPage)
	hp.JSON, hp.Cached = page.Body, cached
	return &hp, nil
}

// PageTimes are the oldest and newest stream-order times of a page's
// posts: each post's cursor time (interacted_at on the activity stream),
// or its creation time when it has no cursor. Zero for an empty page.
func PageTimes(posts []pod.PostView) (oldest, newest time.Time) {
	for _, p := range posts {
		at := p.CreatedAt
		if cur, err := pod.DecodeCursor(p.Cursor); err == nil {
			at = cur.Time
		}
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
		if at.After(newest) {
			newest = at
		}
	}
	return oldest, newest
}

// buildMainPage reads and encodes a main-stream page from the database,
// with what it shows.
func (a *Service) buildMainPage(ctx context.Context, sess *pod.Session, q StreamQuery, f HeadFormat) (*pagecache.Built, error) {
	page, err := a.Stream(ctx, sess, q)
	if err != nil {
		return nil, err
	}
	encode := f.Encode
	if encode == nil {
		encode = func(posts []pod.PostView) ([]byte, error) { return json.Marshal(posts) }
	}
	body, err := encode(page.Posts)
	if err != nil {
		return nil, err
	}
	oldest, _ := PageTimes(page.Posts)
	b := &pagecache.Built{Page: pagecache.Page{Body: body,
		Meta: &HeadPage{Next: page.Next, NextMaxTime: page.NextMaxTime, Oldest: oldest, Count: len(page.Posts)}}}
	b.Deps.Reader = sess.UserID
	for _, p := range page.Posts {
		b.Deps.PostView(&p)
	}
	return b, nil
}
