package models

import (
	"context"
	"time"
)

// Purposes of account tokens.
const (
	TokenPasswordReset = "password_reset"
	TokenConfirmEmail  = "confirm_email"
)

// AccountToken is a single-use token mailed to a user (its hash only).
type AccountToken struct {
	ID        int64
	UserID    int64
	Purpose   string
	TokenHash []byte
	// Email is the address a confirm_email token confirms.
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ReplaceAccountToken stores t as the user's one token of its purpose,
// deleting any older one.
func (s *Store) ReplaceAccountToken(ctx context.Context, t *AccountToken) error {
	db := s.conn(ctx)
	if err := db.Where("user_id = ? AND purpose = ?", t.UserID, t.Purpose).Delete(&AccountToken{}).Error; err != nil {
		return translate(err, "replace account token")
	}
	return translate(db.Create(t).Error, "add account token")
}

// TakeAccountToken deletes and returns the token of purpose with hash,
// if it has not expired by now: a token works once. An unknown, used or
// expired token is ErrNotFound.
func (s *Store) TakeAccountToken(ctx context.Context, purpose string, hash []byte, now time.Time) (*AccountToken, error) {
	var t AccountToken
	err := s.conn(ctx).Raw(`DELETE FROM account_tokens WHERE purpose = ? AND token_hash = ? RETURNING *`, purpose, hash).Scan(&t).Error
	if err != nil {
		return nil, translate(err, "take account token")
	}
	if t.ID == 0 || !now.Before(t.ExpiresAt) {
		return nil, ErrNotFound
	}
	return &t, nil
}

// PendingEmail is the address waiting for its confirmation, "" if none.
func (s *Store) PendingEmail(ctx context.Context, userID int64, now time.Time) (string, error) {
	var emails []string
	err := s.conn(ctx).Model(&AccountToken{}).Where("user_id = ? AND purpose = ? AND expires_at > ?", userID, TokenConfirmEmail, now).
		Pluck("email", &emails).Error
	if err != nil || len(emails) == 0 {
		return "", translate(err, "pending email")
	}
	return emails[0], nil
}

// UserByEmail finds a user by mail address, ignoring case.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := s.conn(ctx).Where("lower(email) = lower(?)", email).Take(&u).Error
	return &u, translate(err, "user by email")
}
