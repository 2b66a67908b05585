package models

import (
	"context"
	"fmt"
	"time"
)

// PooledKey is a key pair generated ahead of time, private half sealed.
type PooledKey struct {
	ID                   int64
	Bits                 int
	SerializedPublicKey  string
	SerializedPrivateKey string
	CreatedAt            time.Time
}

// TableName names the key pool table.
func (PooledKey) TableName() string { return "key_pool" }

// AddPooledKey stores a ready key pair.
func (s *Store) AddPooledKey(ctx context.Context, k *PooledKey) error {
	return translate(s.conn(ctx).Create(k).Error, "add pooled key")
}

// TakePooledKey removes and returns one ready key pair of the given size.
// Concurrent sign-ups each get a different key (SKIP LOCKED). It returns
// ErrNotFound when the pool is empty.
func (s *Store) TakePooledKey(ctx context.Context, bits int) (*PooledKey, error) {
	var k PooledKey
	err := s.conn(ctx).Raw(`DELETE FROM key_pool WHERE id = (
		SELECT id FROM key_pool WHERE bits = ? ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
	) RETURNING *`, bits).Scan(&k).Error
	if err != nil {
		return nil, translate(err, "take pooled key")
	}
	if k.ID == 0 {
		return nil, fmt.Errorf("take pooled key: %w", ErrNotFound)
	}
	return &k, nil
}

// CountPooledKeys counts ready key pairs of the given size.
func (s *Store) CountPooledKeys(ctx context.Context, bits int) (int64, error) {
	var n int64
	err := s.conn(ctx).Model(&PooledKey{}).Where("bits = ?", bits).Count(&n).Error
	return n, translate(err, "count pooled keys")
}
