package models

import (
	"context"
	"time"
)

// Profile is a person's public and private profile fields.
type Profile struct {
	ID             int64
	PersonID       int64
	FirstName      string
	LastName       string
	ImageURL       string
	ImageURLMedium string
	ImageURLSmall  string
	Bio            string
	Location       string
	Gender         string
	Birthday       *time.Time
	Searchable     bool
	PublicDetails  bool
	NSFW           bool `gorm:"column:nsfw"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// CreateProfile inserts a profile.
func (s *Store) CreateProfile(ctx context.Context, p *Profile) error {
	defer s.touchPeople(ctx, p.PersonID)
	return translate(s.conn(ctx).Create(p).Error, "create profile")
}

// ProfileOf finds a person's profile.
func (s *Store) ProfileOf(ctx context.Context, personID int64) (*Profile, error) {
	var p Profile
	err := s.conn(ctx).Where("person_id = ?", personID).Take(&p).Error
	return &p, translate(err, "profile")
}

// SaveProfile writes every field of an existing profile.
func (s *Store) SaveProfile(ctx context.Context, p *Profile) error {
	p.UpdatedAt = time.Now().UTC()
	defer s.touchPeople(ctx, p.PersonID)
	res := s.conn(ctx).Model(&Profile{}).Where("id = ?", p.ID).Select("*").Omit("id", "person_id", "created_at").Updates(p)
	return rowsOrNotFound(res.Error, res.RowsAffected, "save profile")
}
