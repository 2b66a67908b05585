package pagecache_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/pagecache"
	"github.com/aspenpod/aspen/pod/podtest"
)

// pagecacheTestCache is a cache of maxBytes over the test Redis with a
// fresh prefix.
func pagecacheTestCache(t *testing.T, maxBytes int64) *pagecache.Cache {
	t.Helper()
	return pagecacheOver(t, "pagecache-test-"+strconv.FormatInt(time.Now().UnixNano(), 36)+":", maxBytes)
}

// pagecacheOver is a cache of maxBytes over the test Redis under prefix.
func pagecacheOver(t *testing.T, prefix string, maxBytes int64) *pagecache.Cache {
	t.Helper()
	opt, err := redis.ParseURL(podtest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return pagecache.New(rdb, prefix, slog.New(slog.NewTextHandler(io.Discard, nil)), maxBytes)
}

// pagecacheGet reads page name of user 1 (a body of size bytes), which
// depends on post 7; it reports whether it was built.
func pagecacheGet(t *testing.T, c *pagecache.Cache, name string, size int) (body string, built bool) {
	t.Helper()
	p, cached, err := c.Get(context.Background(), pagecache.Key{User: 1, Name: name}, func(context.Context) (*pagecache.Built, error) {
		built = true
		b := &pagecache.Built{Page: pagecache.Page{Body: []byte(strings.Repeat("x", size))}}
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

// TestPageCacheKeepsTheMostRecentlyServed: the cache holds at most its
// budget of bytes; beyond it the least recently served pages go, one
// served all along stays, and a page larger than an eighth of the budget
// is never kept (nor pushes others out).
func TestPageCacheKeepsTheMostRecentlyServed(t *testing.T) {
	c := pagecacheTestCache(t, 16<<10) // about ten 1 kB pages
	for i := range 20 {
		pagecacheGet(t, c, fmt.Sprint(i), 1000)
		if _, built := pagecacheGet(t, c, "hot", 1000); built && i > 0 {
			t.Fatalf("round %d: the page served every round was evicted", i)
		}
	}
	if _, built := pagecacheGet(t, c, "19", 1000); built {
		t.Fatal("the newest page was not kept")
	}
	if _, built := pagecacheGet(t, c, "0", 1000); !built {
		t.Fatal("the least recently served page was kept beyond the budget")
	}
	pagecacheGet(t, c, "huge", 3<<10)
	if _, built := pagecacheGet(t, c, "huge", 3<<10); !built {
		t.Fatal("a page larger than an eighth of the budget was kept")
	}
	if _, built := pagecacheGet(t, c, "hot", 1000); built {
		t.Fatal("a page too large to keep pushed out the others")
	}
}

// TestPageCacheInvalidate: a change to the reader or to a post the page
// shows has it built again; a change to anything else does not.
func TestPageCacheInvalidate(t *testing.T) {
	c := pagecacheTestCache(t, 1<<20)
	ctx := context.Background()
	pagecacheGet(t, c, "p", 10)
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
		if _, built := pagecacheGet(t, c, "p", 10); built != tc.stale {
			t.Errorf("after %+v: built %v, want %v", tc.ch, built, tc.stale)
		}
	}
	// A nil cache builds every time.
	var none *pagecache.Cache
	for range 2 {
		if _, built := pagecacheGet(t, none, "p", 10); !built {
			t.Fatal("a nil cache served a page")
		}
	}
}

// TestPageCacheKeepsPagesWhenARequestEnds: a request whose context ends
// while its page is checked (the client went away) gets the context's
// error and leaves the other pages cached; only Redis itself failing
// drops them.
func TestPageCacheKeepsPagesWhenARequestEnds(t *testing.T) {
	c := pagecacheTestCache(t, 1<<20)
	pagecacheGet(t, c, "kept", 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.Get(ctx, pagecache.Key{User: 1, Name: "kept"}, func(context.Context) (*pagecache.Built, error) {
		t.Fatal("built for a request that had ended")
		return nil, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ended request: %v", err)
	}
	if _, built := pagecacheGet(t, c, "kept", 10); built {
		t.Fatal("a request that ended dropped the cached pages")
	}
}

// TestPageCacheWithoutRoomStillRecordsChanges: a process whose cache has
// no room (POD_PAGE_CACHE_MB=0) keeps no page, but its changes still reach
// the caches of the other processes of the same pod.
func TestPageCacheWithoutRoomStillRecordsChanges(t *testing.T) {
	prefix := "pagecache-test-" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	kept := pagecacheOver(t, prefix, 1<<20)
	none := pagecacheOver(t, prefix, 0)
	if none == nil {
		t.Fatal("no cache at all for a process without room: its changes would be lost")
	}
	for range 2 {
		if _, built := pagecacheGet(t, none, "p", 10); !built {
			t.Fatal("a cache without room kept a page")
		}
	}
	pagecacheGet(t, kept, "p", 10)
	none.Invalidate(context.Background(), models.Change{Posts: []int64{7}})
	if _, built := pagecacheGet(t, kept, "p", 10); !built {
		t.Fatal("a change recorded by the process without room did not reach the other's cache")
	}
}

// TestPageCacheBatchesAdditiveChanges: additive changes (a received public
// post reaching streams) are recorded together, in one bump for all that
// come within a few milliseconds, and a kept page they concern is built
// again once they are.
func TestPageCacheBatchesAdditiveChanges(t *testing.T) {
	prefix := "pagecache-test-" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	c := pagecacheOver(t, prefix, 1<<20)
	opt, err := redis.ParseURL(podtest.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	clock := func() int64 {
		n, err := rdb.Get(ctx, prefix+"sh:clock").Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatal(err)
		}
		return n
	}
	c.Invalidate(ctx, models.Change{Posts: []int64{999}}) // starts the clock
	pagecacheGet(t, c, "p", 10)
	before := clock()
	const changes = 20
	for i := range changes {
		c.Invalidate(ctx, models.Change{Users: []int64{1, int64(100 + i)}, Posts: []int64{int64(1000 + i)}, Additive: true})
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, built := pagecacheGet(t, c, "p", 10); built {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page was still served 5 s after an additive change to its reader")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The clock counts bumps.
	if bumps := clock() - before; bumps < 1 || bumps > 3 {
		t.Errorf("%d additive changes made %d bumps, want them batched into one (at most 3)", changes, bumps)
	}
}
