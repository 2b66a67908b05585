package pagecache_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/pagecache"
	"github.com/aspenpod/aspen/pod/podtest"
)

// pagecacheTestCache is a cache over the test Redis with a fresh prefix.
func pagecacheTestCache(t *testing.T) *pagecache.Cache {
	t.Helper()
	opt, err := redis.ParseURL(podtest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	prefix := "pagecache-test-" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	return pagecache.New(rdb, prefix, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// pagecacheGet reads page name of user 1, which depends on post 7; it
// reports whether it was built.
func pagecacheGet(t *testing.T, c *pagecache.Cache, name string) (body string, built bool) {
	t.Helper()
	p, cached, err := c.Get(context.Background(), pagecache.Key{User: 1, Name: name}, func(context.Context) (*pagecache.Built, error) {
		built = true
		b := &pagecache.Built{Page: pagecache.Page{Body: []byte("page " + name)}}
		b.Deps.Reader = 1
		b.Deps.Post(7)
		return b, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cached == built {
		t.Fatalf("page %s: cached %v and built %v", name, cached, built)
	}
	return string(p.Body), built
}

// TestPageCacheKeepsTheMostRecentlyServed: the cache holds at most 512
// pages; beyond that the least recently served page goes, and one served
// recently stays.
func TestPageCacheKeepsTheMostRecentlyServed(t *testing.T) {
	c := pagecacheTestCache(t)
	for i := range 512 {
		pagecacheGet(t, c, fmt.Sprint(i))
	}
	if _, built := pagecacheGet(t, c, "0"); built {
		t.Fatal("page 0 was not kept")
	}
	pagecacheGet(t, c, "512") // evicts page 1, the least recently served
	if _, built := pagecacheGet(t, c, "0"); built {
		t.Fatal("page 0, served recently, was evicted")
	}
	if _, built := pagecacheGet(t, c, "1"); !built {
		t.Fatal("page 1, the least recently served, was kept beyond 512 pages")
	}
}

// TestPageCacheInvalidate: a change to the reader or to a post the page
// shows has it built again; a change to anything else does not.
func TestPageCacheInvalidate(t *testing.T) {
	c := pagecacheTestCache(t)
	ctx := context.Background()
	pagecacheGet(t, c, "p")
	for _, tc := range []struct {
		ch    models.Change
		stale bool
	}{
		{models.Change{Posts: []int64{8}, Users: []int64{2}, People: []int64{7}, Notified: []int64{1}}, false},
		{models.Change{Posts: []int64{7}}, true},
		{models.Change{Users: []int64{1}}, true},
		{models.Change{All: true}, true},
	} {
		c.Invalidate(ctx, tc.ch)
		if _, built := pagecacheGet(t, c, "p"); built != tc.stale {
			t.Errorf("after %+v: built %v, want %v", tc.ch, built, tc.stale)
		}
	}
	// A nil cache builds every time.
	var none *pagecache.Cache
	for range 2 {
		if _, built := pagecacheGet(t, none, "p"); !built {
			t.Fatal("a nil cache served a page")
		}
	}
}
