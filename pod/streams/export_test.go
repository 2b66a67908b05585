package streams

import (
	"context"

	"github.com/aspenpod/aspen/models"
)

// SetHeadBuilt sets the hook run between a head page's database read and
// the read of its versions (nil: none).
func SetHeadBuilt(fn func()) { headBuilt = fn }

// HeadInvalidate is the change hook the service gave its store.
func HeadInvalidate(s *Service) func(context.Context, models.Change) { return s.head.Invalidate }
