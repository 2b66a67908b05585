// Package accounts owns local accounts: signing up (with invites and the
// key pool that gives new users their key pairs), signing in and out of
// accounts, passwords, account settings and the admin flag.
package accounts

import (
	"log/slog"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Service holds the account use cases.
type Service struct {
	core   *pod.Core
	opt    pod.Options
	store  *models.Store
	sealer *models.KeySealer
	log    *slog.Logger
}

// New builds the account use cases over core.
func New(core *pod.Core) *Service {
	return &Service{core: core, opt: core.Options(), store: core.Store(), sealer: core.Sealer(), log: core.Log()}
}
