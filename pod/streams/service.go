// Package streams owns reading: the stream pages (main, aspects, public,
// tags, mentions, a person's posts, ...) with their keyset cursors, and
// the followed tags that feed the main stream.
package streams

import (
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Service holds the stream use cases.
type Service struct {
	core  *pod.Core
	store *models.Store
	// head is the main stream's first-page cache (nil without Redis).
	head *HeadCache
}

// New builds the stream use cases over core. With Redis, the main
// stream's first pages are cached (see MainHead), and the store reports
// its changes to the cache.
func New(core *pod.Core) *Service {
	s := &Service{core: core, store: core.Store()}
	if rdb := core.Redis(); rdb != nil {
		s.head = newHeadCache(rdb, core.RedisKey(""), core.Log())
		s.store.OnChange(s.head.Invalidate)
	}
	return s
}
