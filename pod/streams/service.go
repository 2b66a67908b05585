// Package streams owns reading: the stream pages (main, aspects, public,
// tags, mentions, a person's posts, ...) with their keyset cursors, and
// the followed tags that feed the main stream.
package streams

import (
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/pagecache"
)

// Service holds the stream use cases.
type Service struct {
	core  *pod.Core
	store *models.Store
	// pages caches the main stream's pages (nil: none).
	pages *pagecache.Cache
}

// New builds the stream use cases over core, with the main stream's pages
// cached in pages (see MainPageAs; nil caches nothing).
func New(core *pod.Core, pages *pagecache.Cache) *Service {
	return &Service{core: core, store: core.Store(), pages: pages}
}
