package models

import (
	"context"
	"time"
)

// User is a local account. Its identity is the Person it owns.
type User struct {
	ID                   int64
	Username             string
	Email                string
	EncryptedPassword    string
	SerializedPrivateKey string
	Admin                bool
	Locked               bool
	// Moderator handles reports (admins do too).
	Moderator bool
	// PendingApproval: signed up while registrations needed an admin's
	// approval; the account stays locked until an admin approves it.
	PendingApproval        bool
	InvitedByID            *int64
	AutoFollowBack         bool
	AutoFollowBackAspectID *int64
	LastSeenAt             *time.Time
	// DisableMail switches every notification mail off (migration 00012).
	DisableMail bool
	// Unconfirmed: signed up under POD_CONFIRM_SIGNUPS and has not opened
	// the mailed link yet; cannot sign in (migration 00012).
	Unconfirmed bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CreateUser inserts a user. A taken username or e-mail gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	return translate(s.conn(ctx).Create(u).Error, "create user")
}

// UserByID finds a user by ID.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	err := s.conn(ctx).Where("id = ?", id).Take(&u).Error
	return &u, translate(err, "user by id")
}

// UserByUsername finds a user by username, ignoring case.
func (s *Store) UserByUsername(ctx context.Context, name string) (*User, error) {
	var u User
	err := s.conn(ctx).Where("lower(username) = lower(?)", name).Take(&u).Error
	return &u, translate(err, "user by username")
}

// UserByLogin finds a user by username or e-mail, ignoring case.
func (s *Store) UserByLogin(ctx context.Context, login string) (*User, error) {
	var u User
	err := s.conn(ctx).Where("lower(username) = lower(?) OR lower(email) = lower(?)", login, login).Take(&u).Error
	return &u, translate(err, "user by login")
}

// EmailTaken reports whether another user has this e-mail address.
func (s *Store) EmailTaken(ctx context.Context, email string, exceptUserID int64) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&User{}).Where("lower(email) = lower(?) AND id <> ?", email, exceptUserID).Count(&n).Error
	return n > 0, translate(err, "check email")
}

// UsernameTaken reports whether a user has this username, ignoring case.
func (s *Store) UsernameTaken(ctx context.Context, name string) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&User{}).Where("lower(username) = lower(?)", name).Count(&n).Error
	return n > 0, translate(err, "check username")
}

// UpdateUserPassword stores a new password hash.
func (s *Store) UpdateUserPassword(ctx context.Context, id int64, hash string) error {
	res := s.conn(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{"encrypted_password": hash, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "update password")
}

// UpdateUserPasswordKeepingApps stores a new password hash and, in the
// same statement, binds the user's app authorizations that were live
// under the old password to the new one (an app authorization ends on a
// password change unless it is rebound: see GrantOIDCAuthorization).
// Authorizations already ended by an earlier change stay ended.
func (s *Store) UpdateUserPasswordKeepingApps(ctx context.Context, id int64, hash string) error {
	res := s.conn(ctx).Exec(`WITH apps AS (
  UPDATE oidc_authorizations a SET password_digest = sha256(convert_to(@hash, 'UTF8'))
  FROM users u WHERE u.id = a.user_id AND u.id = @id AND a.password_digest = `+passwordDigest+`
)
UPDATE users SET encrypted_password = @hash, updated_at = now() WHERE id = @id`, map[string]any{"id": id, "hash": hash})
	return rowsOrNotFound(res.Error, res.RowsAffected, "update password")
}

// UpdateUserEmail stores a new e-mail address.
func (s *Store) UpdateUserEmail(ctx context.Context, id int64, email string) error {
	res := s.conn(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{"email": email, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "update email")
}

// UpdateUserSettings stores the account settings flags.
func (s *Store) UpdateUserSettings(ctx context.Context, id int64, autoFollowBack bool) error {
	res := s.conn(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{"auto_follow_back": autoFollowBack, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "update settings")
}

// SetAdmin grants or revokes admin rights.
func (s *Store) SetAdmin(ctx context.Context, id int64, admin bool) error {
	res := s.conn(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{"admin": admin, "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "set admin")
}

// CountUsers counts the pod's accounts.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&User{}).Where("locked = false").Count(&n).Error
	return n, translate(err, "count users")
}

func rowsOrNotFound(err error, rows int64, what string) error {
	if err != nil {
		return translate(err, what)
	}
	if rows == 0 {
		return translate(ErrNotFound, what)
	}
	return nil
}
