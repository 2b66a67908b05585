// Package contacts owns a user's relations to other people: aspects and
// their members (sharing and stopping to share), the contact list,
// blocking, and people search with the relationship it shows.
package contacts

import (
	"context"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Discoverer finds people on other pods (WebFinger and hCard). pod/federate
// provides it; pod/app passes it in, so that this package does not depend
// on the federation layer.
type Discoverer interface {
	// IsRemoteID reports whether q is a diaspora ID on another pod.
	IsRemoteID(q string) bool
	// RemotePerson returns the person with a diaspora ID, discovering
	// them, or refreshing what is known when refresh is set.
	RemotePerson(ctx context.Context, diasporaID string, refresh bool) (*models.Person, error)
}

// Service holds the contact use cases.
type Service struct {
	core     *pod.Core
	store    *models.Store
	discover Discoverer
}

// New builds the contact use cases over core; people search looks up
// remote people through discover.
func New(core *pod.Core, discover Discoverer) *Service {
	return &Service{core: core, store: core.Store(), discover: discover}
}
