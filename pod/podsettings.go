package pod

import (
	"context"
	"strconv"
	"time"

	"github.com/aspenpod/aspen/models"
)

// Registration modes: anyone may sign up, only with an invite link, or
// anyone, but the account waits for an admin's approval.
const (
	RegistrationsOpen     = "open"
	RegistrationsClosed   = "closed"
	RegistrationsApproval = "approval"
)

// ValidRegistrations reports whether mode is a registration mode.
func ValidRegistrations(mode string) bool {
	return mode == RegistrationsOpen || mode == RegistrationsClosed || mode == RegistrationsApproval
}

// Registrations returns the registration mode in force: the admins'
// choice stored in the database, or the configured one. A database error
// is returned with the configured mode.
func (a *Core) Registrations(ctx context.Context) (string, error) {
	ps, err := a.store.LoadPodSettings(ctx)
	if err == nil && ps.Registrations != nil && ValidRegistrations(*ps.Registrations) {
		return *ps.Registrations, nil
	}
	return a.configuredRegistrations(), err
}

func (a *Core) configuredRegistrations() string {
	switch {
	case a.opt.Approval:
		return RegistrationsApproval
	case a.opt.RegistrationsOpen:
		return RegistrationsOpen
	}
	return RegistrationsClosed
}

// PodSettings returns what admins set at runtime (registrations, the pod's
// description and terms, whether statistics are published).
func (a *Core) PodSettings(ctx context.Context) (*models.PodSettings, error) {
	return a.store.LoadPodSettings(ctx)
}

// SeenEvery is how often a signed-in user's last_seen_at is written at
// most (dashboard and NodeInfo's active users need no finer grain).
const SeenEvery = 10 * time.Minute

// Seen records that a signed-in user is active: at most once per SeenEvery
// per user (a Redis SET NX decides, so several serve processes write once
// between them; each process asks Redis at most once per SeenEvery per
// user, so a page costs no round trip for it), errors only logged.
func (a *Core) Seen(ctx context.Context, userID int64) {
	now := time.Now()
	if until, ok := a.seenUntil.Load(userID); ok && now.UnixNano() < until.(int64) {
		return
	}
	a.seenUntil.Store(userID, now.Add(SeenEvery).UnixNano())
	key := a.redisPrefix + "seen:" + itoa(userID)
	ok, err := a.rdb.SetNX(ctx, key, "1", SeenEvery).Result()
	if err != nil || !ok {
		return
	}
	if err := a.store.TouchLastSeen(ctx, userID, time.Now().UTC()); err != nil {
		a.log.Warn("cannot record last seen", "user_id", userID, "err", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
