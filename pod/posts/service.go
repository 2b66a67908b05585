// Package posts owns posts and what hangs under them: writing a post to
// chosen aspects or publicly (with the audience preview and the delivery
// report its author sees), showing, hiding and deleting one, and comments,
// likes, reshares and participation.
package posts

import (
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/pagecache"
)

// Service holds the post use cases.
type Service struct {
	core  *pod.Core
	opt   pod.Options
	store *models.Store
	// pages caches encoded post pages (nil: none).
	pages *pagecache.Cache
}

// New builds the post use cases over core, with post pages cached in
// pages (see PostAs; nil caches nothing).
func New(core *pod.Core, pages *pagecache.Cache) *Service {
	return &Service{core: core, opt: core.Options(), store: core.Store(), pages: pages}
}
