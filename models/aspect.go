package models

import (
	"context"
	"time"
)

// Aspect is a user's private label for a group of contacts.
type Aspect struct {
	ID        int64
	UserID    int64
	Name      string
	OrderID   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateAspects inserts aspects in one statement.
func (s *Store) CreateAspects(ctx context.Context, as []Aspect) error {
	return translate(s.conn(ctx).Create(&as).Error, "create aspects")
}

// AspectsOf lists a user's aspects in their order.
func (s *Store) AspectsOf(ctx context.Context, userID int64) ([]Aspect, error) {
	var as []Aspect
	err := s.conn(ctx).Where("user_id = ?", userID).Order("order_id, id").Find(&as).Error
	return as, translate(err, "aspects of user")
}
