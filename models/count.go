package models

import (
	"context"
	"sync/atomic"

	"gorm.io/gorm"
)

type countKey struct{}

// CountStatements returns a context under which every statement a Store
// sends is counted in *n, so that tests can hold a page to its statement
// budget. Outside such a context counting costs one context lookup.
func CountStatements(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, countKey{}, n), n
}

// registerCounting adds the callbacks behind CountStatements.
func registerCounting(db *gorm.DB) error {
	count := func(tx *gorm.DB) {
		if n, ok := tx.Statement.Context.Value(countKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("aspen:count", count),
		cb.Row().After("gorm:row").Register("aspen:count", count),
		cb.Raw().After("gorm:raw").Register("aspen:count", count),
		cb.Create().After("gorm:create").Register("aspen:count", count),
		cb.Update().After("gorm:update").Register("aspen:count", count),
		cb.Delete().After("gorm:delete").Register("aspen:count", count),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
