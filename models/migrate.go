package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/aspenpod/aspen/models/migrations"
)

// ErrSchemaOutdated means the database lacks migrations this binary has.
var ErrSchemaOutdated = errors.New("the database schema is out of date")

// MigrationState is one migration and whether it is applied.
type MigrationState struct {
	Version int64
	Name    string
	Applied bool
}

// EnsureDatabase creates the database named in dsn when it does not exist,
// by connecting to the server's "postgres" maintenance database.
func EnsureDatabase(ctx context.Context, dsn string) (created bool, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return false, fmt.Errorf("parse database URL: %w", err)
	}
	name := cfg.Database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		conn.Close(ctx)
		return false, nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return false, &UnreachableError{Addr: hostPort(cfg.Host, cfg.Port), Err: err}
	}
	maint := cfg.Copy()
	maint.Database = "postgres"
	mconn, err := pgx.ConnectConfig(ctx, maint)
	if err != nil {
		return false, &UnreachableError{Addr: hostPort(cfg.Host, cfg.Port), Err: err}
	}
	defer mconn.Close(ctx)
	_, err = mconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if err != nil {
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
			return false, nil
		}
		return false, fmt.Errorf("create database %q: %w", name, err)
	}
	return true, nil
}

// UnreachableError says that the database server could not be reached.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach PostgreSQL at %s: %v", e.Addr, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return host
	}
	return fmt.Sprintf("%s:%d", host, port)
}

func (s *Store) migrator() (*goose.Provider, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
}

// Migrate applies every pending migration and returns the names applied.
// A session lock keeps concurrent pods from migrating at once.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	p, err := s.migrator()
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	var names []string
	for _, r := range results {
		names = append(names, r.Source.Path)
	}
	if err != nil {
		return names, fmt.Errorf("apply migrations: %w", err)
	}
	return names, nil
}

// MigrateDown rolls back every migration (tests use it to prove the down
// steps work).
func (s *Store) MigrateDown(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, 0)
	return err
}

// MigrationStatus lists the migrations this binary knows and which are applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := s.migrator()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("read migration status: %w", err)
	}
	out := make([]MigrationState, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationState{Version: m.Source.Version, Name: m.Source.Path, Applied: m.State == goose.StateApplied})
	}
	return out, nil
}

// RequireCurrent returns ErrSchemaOutdated when migrations are pending.
func (s *Store) RequireCurrent(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	if pending {
		return fmt.Errorf("%w: run `pod migrate apply` first (or set POD_AUTO_MIGRATE=true)", ErrSchemaOutdated)
	}
	return nil
}

// DatabaseName returns the database a URL names (for messages).
func DatabaseName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.Trim(u.Path, "/")
}
