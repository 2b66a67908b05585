// Package profiles owns people's profiles: showing one to a viewer (with
// the private fields only for people the owner shares with), the edit
// form, avatars, and the public lookups by username.
package profiles

import (
	"log/slog"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
)

// Service holds the profile use cases.
type Service struct {
	core  *pod.Core
	opt   pod.Options
	store *models.Store
	media media.Store
	log   *slog.Logger
}

// New builds the profile use cases over core.
func New(core *pod.Core) *Service {
	return &Service{core: core, opt: core.Options(), store: core.Store(), media: core.Media(), log: core.Log()}
}
