package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
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
	// FetchedAt is when discovery last refreshed a remote person.
	FetchedAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
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
//
// It reads the row straight from the connection (the pool, or the
// transaction this Store is in), without gorm's statement building and
// reflection: every received message looks its sender up.
func (s *Store) PersonByDiasporaID(ctx context.Context, id string) (*Person, error) {
	var p Person
	if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	err := s.db.Statement.ConnPool.QueryRowContext(ctx, `SELECT id, guid, diaspora_id, serialized_public_key, pod_host,
		owner_id, closed_account, fetched_at, created_at, updated_at FROM people WHERE lower(diaspora_id) = lower($1) LIMIT 1`, id).
		Scan(&p.ID, &p.GUID, &p.DiasporaID, &p.SerializedPublicKey, &p.PodHost, &p.OwnerID, &p.ClosedAccount, &p.FetchedAt, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		err = gorm.ErrRecordNotFound
	}
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

// TouchRemotePerson records that discovery refreshed a remote person now.
func (s *Store) TouchRemotePerson(ctx context.Context, id int64, podHost string) error {
	return translate(s.conn(ctx).Exec(`UPDATE people SET fetched_at = now(), pod_host = ?, updated_at = now() WHERE id = ? AND owner_id IS NULL`,
		podHost, id).Error, "touch person")
}

// CloseRemotePerson records a remote account deletion (§7.5): the person is
// closed, their profile emptied and every contact with them removed.
func (s *Store) CloseRemotePerson(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *Store) error {
		defer tx.touchPeople(ctx, id)
		if err := tx.conn(ctx).Exec(`UPDATE people SET closed_account = true, updated_at = now() WHERE id = ? AND owner_id IS NULL`, id).Error; err != nil {
			return translate(err, "close person")
		}
		if err := tx.conn(ctx).Exec(`UPDATE profiles SET first_name = '', last_name = '', bio = '', location = '', gender = '',
			birthday = NULL, image_url = '', image_url_medium = '', image_url_small = '', searchable = false, updated_at = now()
			WHERE person_id = ?`, id).Error; err != nil {
			return translate(err, "close person profile")
		}
		return translate(tx.conn(ctx).Exec(`DELETE FROM contacts WHERE person_id = ?`, id).Error, "close person contacts")
	})
}
