// Package notifications owns a user's notification list: listing,
// counting the unread, and marking them read. Notifications are written by
// the shared step in pod (Core.Notify) where the thing happens.
package notifications

import (
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Service holds the notification use cases.
type Service struct {
	core  *pod.Core
	store *models.Store
}

// New builds the notification use cases over core.
func New(core *pod.Core) *Service { return &Service{core: core, store: core.Store()} }
