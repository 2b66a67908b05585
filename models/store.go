// Package models holds the pod's gorm structs, the queries over them behind
// a Store, the embedded SQL migrations and the sealing of private keys.
//
// Every method takes a context first and starts from a fresh gorm session.
// Use cases in package pod own transactions through Store.Tx.
package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Errors returned by Store methods.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique constraint refused the write.
	ErrConflict = errors.New("already exists")
)

// Store is the pod's access to PostgreSQL.
type Store struct {
	db *gorm.DB
	// hook is told about committed changes (OnChange); pending collects
	// them inside a transaction.
	hook    *changeHook
	pending *pendingChanges
}

// Open connects to PostgreSQL and checks the connection.
//
// Unless the URL says otherwise, connections use generic plans for
// prepared statements (plan_cache_mode=force_generic_plan): the stream
// queries plan in milliseconds but run in a fraction of one, and
// PostgreSQL would otherwise re-plan them on every call. Their generic
// plans are the same index scans (see the README's performance section).
func Open(ctx context.Context, dsn string) (*Store, error) {
	dsn = withDefaultParam(dsn, "plan_cache_mode", "force_generic_plan")
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := registerCounting(db); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return &Store{db: db, hook: &changeHook{}}, nil
}

// withDefaultParam adds key=value to a postgres:// URL unless it has key.
func withDefaultParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	if q.Has(key) {
		return dsn
	}
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Tx runs fn in one transaction; fn's Store works inside it. An error or
// panic rolls everything back.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	if s.pending != nil { // nested: a savepoint; the outer commit reports
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(&Store{db: tx, hook: s.hook, pending: s.pending})
		})
	}
	p := &pendingChanges{}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, hook: s.hook, pending: p})
	})
	if err == nil {
		s.hook.tell(ctx, p.c)
	}
	return err
}

// conn starts a fresh session bound to ctx.
func (s *Store) conn(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx)
}

// isUniqueViolation reports a PostgreSQL unique_violation from a raw query.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// translate maps gorm errors onto the package's errors.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey), isUniqueViolation(err):
		return fmt.Errorf("%s: %w", what, ErrConflict)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// LogValue keeps a Store out of log lines.
func (s *Store) LogValue() slog.Value { return slog.StringValue("store") }

// Exec runs one raw statement (maintenance and test helpers only).
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	return translate(s.conn(ctx).Exec(sql, args...).Error, "exec")
}

// Count runs a raw query returning one integer (maintenance and test
// helpers only).
func (s *Store) Count(ctx context.Context, sql string, args ...any) (int64, error) {
	var n int64
	err := s.conn(ctx).Raw(sql, args...).Row().Scan(&n)
	return n, translate(err, "count")
}

// Scalar runs a raw query returning one value into dest (maintenance and
// test helpers only).
func (s *Store) Scalar(ctx context.Context, dest any, sql string, args ...any) error {
	return translate(s.conn(ctx).Raw(sql, args...).Row().Scan(dest), "scalar")
}
