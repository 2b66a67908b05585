package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
)

func TestMigrationsApplyFromEmptyAndAreIdempotent(t *testing.T) {
	ctx := context.Background()
	dsn := modeltest.DSN(modeltest.PackageDBName("migrate"))
	// EnsureDatabase creates a missing database.
	st0 := modeltest.Named(t, "scratch") // any database on the server, to drop from
	if err := st0.Exec(ctx, "DROP DATABASE IF EXISTS "+modeltest.PackageDBName("migrate")+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	created, err := models.EnsureDatabase(ctx, dsn)
	if err != nil || !created {
		t.Fatalf("EnsureDatabase = %v, %v; want created", created, err)
	}
	if created, err := models.EnsureDatabase(ctx, dsn); err != nil || created {
		t.Fatalf("second EnsureDatabase = %v, %v; want existing", created, err)
	}
	st, err := models.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	if err := st.RequireCurrent(ctx); !errors.Is(err, models.ErrSchemaOutdated) {
		t.Fatalf("RequireCurrent on empty database = %v, want ErrSchemaOutdated", err)
	}
	applied, err := st.Migrate(ctx)
	if err != nil || len(applied) == 0 {
		t.Fatalf("Migrate = %v, %v", applied, err)
	}
	if err := st.RequireCurrent(ctx); err != nil {
		t.Fatalf("RequireCurrent after migrate: %v", err)
	}
	again, err := st.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %v, %v; want nothing", again, err)
	}
	status, err := st.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if !m.Applied {
			t.Errorf("migration %s not applied", m.Name)
		}
	}
	// Down steps work and the schema comes back.
	if err := st.MigrateDown(ctx); err != nil {
		t.Fatalf("MigrateDown: %v", err)
	}
	if err := st.RequireCurrent(ctx); !errors.Is(err, models.ErrSchemaOutdated) {
		t.Fatalf("RequireCurrent after down = %v", err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after down: %v", err)
	}
}

func TestEnsureDatabaseNamesUnreachableServer(t *testing.T) {
	_, err := models.EnsureDatabase(context.Background(), "postgres://postgres@127.0.0.1:1/pod?sslmode=disable&connect_timeout=2")
	var ue *models.UnreachableError
	if !errors.As(err, &ue) || ue.Addr != "127.0.0.1:1" {
		t.Fatalf("err = %v, want UnreachableError for 127.0.0.1:1", err)
	}
}
