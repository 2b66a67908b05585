// Package modeltest gives tests a real, migrated PostgreSQL database: one per
// test package (or per name), created fresh with the production migrations.
//
// The server is POD_TEST_DATABASE_URL (default: the local PostgreSQL as user
// postgres). Tests fail, not skip, when it cannot be reached.
package modeltest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/aspenpod/aspen/models"
)

var (
	mu     sync.Mutex
	stores = map[string]*models.Store{}
)

// ServerURL is the PostgreSQL server tests use, without a database name.
func ServerURL() string {
	if u := os.Getenv("POD_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// DSN is the URL of the named test database on the test server.
func DSN(name string) string {
	u, err := url.Parse(ServerURL())
	if err != nil {
		panic(fmt.Sprintf("POD_TEST_DATABASE_URL: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

// PackageDBName is a database name unique to the calling test package
// (derived from its directory) plus an optional suffix.
func PackageDBName(suffix string) string {
	wd, _ := os.Getwd()
	sum := sha256.Sum256([]byte(wd))
	base := regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_")
	name := "aspen_test_" + base + "_" + hex.EncodeToString(sum[:3])
	if suffix != "" {
		name += "_" + regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(suffix), "_")
	}
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

// Fresh drops and recreates the named database, applies the migrations and
// returns its DSN.
func Fresh(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("modeltest: cannot reach PostgreSQL at %s (start it: pg_ctlcluster --skip-systemctl-redirect 15 main start): %v", ServerURL(), err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		t.Fatalf("modeltest: drop %s: %v", name, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("modeltest: create %s: %v", name, err)
	}
	dsn := DSN(name)
	st, err := models.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("modeltest: open %s: %v", name, err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("modeltest: migrate %s: %v", name, err)
	}
	return dsn
}

// New returns a store on the calling package's database, created and
// migrated on first use and emptied (every table truncated) on each call.
// Tests that use it must not run in parallel with each other.
func New(t testing.TB) *models.Store {
	t.Helper()
	return Named(t, "")
}

// Named is New for a second (third, ...) database in the same package, such
// as one per pod in a federation test.
func Named(t testing.TB, suffix string) *models.Store {
	t.Helper()
	name := PackageDBName(suffix)
	st := open(t, name)
	if err := Truncate(context.Background(), st); err != nil {
		t.Fatalf("modeltest: truncate %s: %v", name, err)
	}
	return st
}

// Exact returns a store on a database of exactly this name (benchmarks use
// names of their own, such as bench_fanout), created fresh and migrated on
// each call and closed when the test or benchmark ends: unlike the cached
// package databases, many of them in one process do not add up to more
// connections than the server allows.
func Exact(t testing.TB, name string) *models.Store {
	t.Helper()
	st, err := models.Open(context.Background(), Fresh(t, name))
	if err != nil {
		t.Fatalf("modeltest: open %s: %v", name, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// open returns the store of a named database, creating it on first use.
// The lock is released however open ends (t.Fatalf included).
func open(t testing.TB, name string) *models.Store {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if st, ok := stores[name]; ok {
		return st
	}
	dsn := Fresh(t, name)
	st, err := models.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("modeltest: open %s: %v", name, err)
	}
	stores[name] = st
	return st
}

// Truncate empties every table except goose's bookkeeping.
func Truncate(ctx context.Context, st *models.Store) error {
	return st.Exec(ctx, `DO $$ DECLARE r record; tables text := ''; BEGIN
		FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' LOOP
			tables := tables || CASE WHEN tables = '' THEN '' ELSE ', ' END || quote_ident(r.tablename);
		END LOOP;
		IF tables <> '' THEN EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE'; END IF;
	END $$`)
}
