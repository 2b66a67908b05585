package models

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// InvitationCode is a user's invite link token with the sign-ups it has left.
type InvitationCode struct {
	ID        int64
	Token     string
	UserID    int64
	Count     int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateInvitationCode inserts a code.
func (s *Store) CreateInvitationCode(ctx context.Context, c *InvitationCode) error {
	return translate(s.conn(ctx).Create(c).Error, "create invitation code")
}

// InvitationCodeByToken finds a code by its token.
func (s *Store) InvitationCodeByToken(ctx context.Context, token string) (*InvitationCode, error) {
	var c InvitationCode
	err := s.conn(ctx).Where("token = ?", token).Take(&c).Error
	return &c, translate(err, "invitation code")
}

// InvitationCodeOf finds a user's code.
func (s *Store) InvitationCodeOf(ctx context.Context, userID int64) (*InvitationCode, error) {
	var c InvitationCode
	err := s.conn(ctx).Where("user_id = ?", userID).Take(&c).Error
	return &c, translate(err, "invitation code of user")
}

// UseInvitationCode locks a code with uses left and takes one use. It
// returns ErrNotFound when the token is unknown or used up.
func (s *Store) UseInvitationCode(ctx context.Context, token string) (*InvitationCode, error) {
	var c InvitationCode
	err := s.conn(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("token = ? AND count > 0", token).Take(&c).Error
	if err != nil {
		return nil, translate(err, "use invitation code")
	}
	err = s.conn(ctx).Model(&InvitationCode{}).Where("id = ?", c.ID).
		Updates(map[string]any{"count": gorm.Expr("count - 1"), "updated_at": time.Now()}).Error
	c.Count--
	return &c, translate(err, "use invitation code")
}

// AddInvites adds uses to a user's code.
func (s *Store) AddInvites(ctx context.Context, userID int64, n int) error {
	res := s.conn(ctx).Model(&InvitationCode{}).Where("user_id = ?", userID).
		Updates(map[string]any{"count": gorm.Expr("count + ?", n), "updated_at": time.Now()})
	return rowsOrNotFound(res.Error, res.RowsAffected, "add invites")
}
