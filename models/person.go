package models

import (
	"context"
	"strings"
	"time"
)

// Person is an identity the pod knows: one of its own users or a remote
// person on another pod.
type Person struct {
	ID                  int64
	GUID                string `gorm:"column:guid"`
	DiasporaID          string
	SerializedPublicKey string
	PodHost             string
	OwnerID             *int64
	ClosedAccount       bool
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Local reports whether the person is a user of this pod.
func (p *Person) Local() bool { return p.OwnerID != nil }

// Username is the part of the diaspora ID before the @.
func (p *Person) Username() string {
	name, _, _ := strings.Cut(p.DiasporaID, "@")
	return name
}

// CreatePerson inserts a person.
func (s *Store) CreatePerson(ctx context.Context, p *Person) error {
	return translate(s.conn(ctx).Create(p).Error, "create person")
}

// PersonByGUID finds a person by GUID.
func (s *Store) PersonByGUID(ctx context.Context, guid string) (*Person, error) {
	var p Person
	err := s.conn(ctx).Where("guid = ?", strings.ToLower(guid)).Take(&p).Error
	return &p, translate(err, "person by guid")
}

// PersonByID finds a person by ID.
func (s *Store) PersonByID(ctx context.Context, id int64) (*Person, error) {
	var p Person
	err := s.conn(ctx).Where("id = ?", id).Take(&p).Error
	return &p, translate(err, "person by id")
}

// PersonByDiasporaID finds a person by diaspora ID, ignoring case.
func (s *Store) PersonByDiasporaID(ctx context.Context, id string) (*Person, error) {
	var p Person
	err := s.conn(ctx).Where("lower(diaspora_id) = lower(?)", id).Take(&p).Error
	return &p, translate(err, "person by diaspora id")
}

// PersonOfUser finds the person a local user owns.
func (s *Store) PersonOfUser(ctx context.Context, userID int64) (*Person, error) {
	var p Person
	err := s.conn(ctx).Where("owner_id = ?", userID).Take(&p).Error
	return &p, translate(err, "person of user")
}

// DiasporaIDTaken reports whether any person, including closed accounts, has
// this diaspora ID: names stay reserved forever.
func (s *Store) DiasporaIDTaken(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&Person{}).Where("lower(diaspora_id) = lower(?)", id).Count(&n).Error
	return n > 0, translate(err, "check diaspora id")
}
