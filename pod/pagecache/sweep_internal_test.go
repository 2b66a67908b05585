package pagecache

import (
	"container/list"
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestSweepDropsAgedPages: a sweep drops the pages built more than maxAge
// ago (they would never be served again) and keeps the others, with the
// size kept in step.
func TestSweepDropsAgedPages(t *testing.T) {
	c := &Cache{log: slog.New(slog.NewTextHandler(io.Discard, nil)), maxBytes: 1 << 20, entries: map[Key]*entry{}, lru: list.New()}
	for i, age := range []time.Duration{maxAge + time.Second, time.Second} {
		c.keep(&entry{key: Key{User: int64(i)}, built: time.Now().Add(-age), keys: []string{"k"}, vals: []string{""}, page: Page{Body: make([]byte, 100)}})
	}
	c.sweep()
	if _, ok := c.entries[Key{User: 0}]; ok || len(c.entries) != 1 || c.lru.Len() != 1 {
		t.Fatalf("after the sweep: %d pages (%d in the list), the aged one kept: %v", len(c.entries), c.lru.Len(), ok)
	}
	if want := c.entries[Key{User: 1}].size(); c.size != want {
		t.Fatalf("size %d, want %d", c.size, want)
	}
}
