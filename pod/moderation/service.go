// Package moderation holds what moderators and admins do to keep a pod
// healthy: people's reports of posts and comments and the queue that
// handles them, the staff roles, the admins' user pages (search, lock,
// close, password reset, invites, approving sign-ups), the dashboard's
// counts, the settings admins change at runtime (registrations, the pod's
// description and terms, publishing statistics) and /statistics. Blocking
// and silencing other pods is federation, in pod/federate.
package moderation

import (
	"log/slog"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
)

// Service holds the moderation use cases.
type Service struct {
	core     *pod.Core
	opt      pod.Options
	store    *models.Store
	log      *slog.Logger
	accounts *accounts.Service
}

// New builds the moderation use cases; password resets go through the
// accounts' mailed links.
func New(core *pod.Core, acc *accounts.Service) *Service {
	return &Service{core: core, opt: core.Options(), store: core.Store(), log: core.Log(), accounts: acc}
}
