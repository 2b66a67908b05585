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
}

// New builds the stream use cases over core.
func New(core *pod.Core) *Service { return &Service{core: core, store: core.Store()} }
