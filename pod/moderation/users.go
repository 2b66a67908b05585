package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Staff roles.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
)

// UserView is a user on the admins' pages.
type UserView struct {
	ID              int64      `json:"id"`
	Username        string     `json:"username"`
	Email           string     `json:"email"`
	GUID            string     `json:"guid"`
	DiasporaID      string     `json:"diaspora_id"`
	Admin           bool       `json:"admin"`
	Moderator       bool       `json:"moderator"`
	Locked          bool       `json:"locked"`
	PendingApproval bool       `json:"pending_approval"`
	Closed          bool       `json:"closed"`
	CreatedAt       time.Time  `json:"created_at"`
	LastSeenAt      *time.Time `json:"last_seen_at"`
	Posts           int64      `json:"posts"`
	Comments        int64      `json:"comments"`
	Contacts        int64      `json:"contacts"`
	InvitesLeft     int64      `json:"invites_left"`
}

func userView(r models.UserRow) UserView {
	v := UserView{ID: r.ID, Username: r.Username, Email: r.Email, GUID: r.GUID, DiasporaID: r.DiasporaID, Admin: r.Admin,
		Moderator: r.Moderator, Locked: r.Locked, PendingApproval: r.PendingApproval, Closed: r.Closed,
		CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, Posts: r.Posts, Comments: r.Comments, Contacts: r.Contacts}
	if r.InvitesLeft != nil {
		v.InvitesLeft = *r.InvitesLeft
	}
	return v
}

// UserSearchLimit bounds a user search's answer.
const UserSearchLimit = 50

// SearchUsers finds users by username or e-mail (beginning with q) or by
// GUID; pendingOnly lists the sign-ups waiting for approval. Admins only.
func (a *Service) SearchUsers(ctx context.Context, s *pod.Session, q string, pendingOnly bool) ([]UserView, error) {
	if err := pod.RequireAdmin(s); err != nil {
		return nil, err
	}
	if len(q) > 255 {
		return nil, &pod.InvalidError{Fields: map[string]string{"q": "is too long"}}
	}
	rows, err := a.store.SearchUsers(ctx, q, pendingOnly, UserSearchLimit)
	if err != nil {
		return nil, err
	}
	out := make([]UserView, len(rows))
	for i, r := range rows {
		out[i] = userView(r)
	}
	return out, nil
}

// User shows one user with their counts. Admins only.
func (a *Service) User(ctx context.Context, s *pod.Session, id int64) (*UserView, error) {
	if err := pod.RequireAdmin(s); err != nil {
		return nil, err
	}
	r, err := a.store.UserDetails(ctx, id)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	v := userView(*r)
	return &v, nil
}

// errSelf: admins do not lock, close or demote themselves by accident.
var errSelf = &pod.InvalidError{Message: "you cannot do that to your own account here"}

// SetLocked locks a user (no sign-in, every session ended) or unlocks
// them (which also approves a pending sign-up). Admins only.
func (a *Service) SetLocked(ctx context.Context, s *pod.Session, id int64, locked bool) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	if id == s.UserID {
		return errSelf
	}
	return a.lock(ctx, id, locked, s.Username)
}

func (a *Service) lock(ctx context.Context, id int64, locked bool, by string) error {
	if err := a.store.SetLocked(ctx, id, locked); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	a.log.Info("moderation: account lock changed", "user_id", id, "locked", locked, "by", by)
	if locked {
		return a.core.EndUserSessions(ctx, id, "")
	}
	return nil
}

// CloseAccount closes a user's account for good, as its owner would
// (accounts.CloseAccount: the data is deleted here and on the pods that
// knew it, the name stays reserved). Admins only.
func (a *Service) CloseAccount(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	if id == s.UserID {
		return errSelf
	}
	if _, err := a.store.UserByID(ctx, id); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if err := a.accounts.CloseAccount(ctx, id); err != nil {
		return err
	}
	a.log.Info("moderation: account closed", "user_id", id, "by", s.Username)
	return nil
}

// SendPasswordReset mails the user a password reset link. Admins only.
func (a *Service) SendPasswordReset(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	if err := a.accounts.MailPasswordReset(ctx, id); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return nil
}

// SetRole grants or revokes a staff role. The user's sessions end so that
// the change takes effect at once. Admins only.
func (a *Service) SetRole(ctx context.Context, s *pod.Session, id int64, role string, on bool) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	if id == s.UserID && role == RoleAdmin && !on {
		return errSelf
	}
	if err := a.setRole(ctx, id, role, on); err != nil {
		return err
	}
	a.log.Info("moderation: role changed", "user_id", id, "role", role, "granted", on, "by", s.Username)
	return nil
}

func (a *Service) setRole(ctx context.Context, id int64, role string, on bool) error {
	var err error
	switch role {
	case RoleAdmin:
		err = a.store.SetAdmin(ctx, id, on)
	case RoleModerator:
		err = a.store.SetModerator(ctx, id, on)
	default:
		return &pod.InvalidError{Fields: map[string]string{"role": "must be admin or moderator"}}
	}
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return a.core.EndUserSessions(ctx, id, "")
}

// SetRoleByName grants or revokes a role by username (operator tool, `pod
// admin role`).
func (a *Service) SetRoleByName(ctx context.Context, username, role string, on bool) error {
	u, err := a.store.UserByUsername(ctx, pod.NormalizeUsername(username))
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no user named %q: %w", username, pod.ErrNotFound)
	} else if err != nil {
		return err
	}
	return a.setRole(ctx, u.ID, strings.ToLower(role), on)
}

// MaxInvitesAdded bounds one addition of invites.
const MaxInvitesAdded = 1000

// AddInvites gives a user's invite link n more sign-ups. Admins only.
func (a *Service) AddInvites(ctx context.Context, s *pod.Session, id int64, n int) error {
	if err := pod.RequireAdmin(s); err != nil {
		return err
	}
	if n < 1 || n > MaxInvitesAdded {
		return &pod.InvalidError{Fields: map[string]string{"count": fmt.Sprintf("must be from 1 to %d", MaxInvitesAdded)}}
	}
	if err := a.store.AddInvites(ctx, id, n); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return nil
}
