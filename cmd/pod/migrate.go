package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aspenpod/aspen/cmd/internal/wire"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verb := "apply"
	if len(args) > 0 {
		verb = args[0]
	}
	if verb != "apply" && verb != "up" && verb != "status" {
		return usageError("migrate: want `pod migrate apply` or `pod migrate status`")
	}
	cfg, err := wire.LoadConfig()
	if err != nil {
		return err
	}
	e, err := wire.Setup(ctx, cfg, wire.NewLogger(cfg, stderr), wire.SchemaIgnore)
	if err != nil {
		return err
	}
	defer e.Close()
	if verb == "status" {
		st, err := e.Store.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		pending := 0
		for _, m := range st {
			state := "applied"
			if !m.Applied {
				state = "pending"
				pending++
			}
			fmt.Fprintf(stdout, "%-8s %s\n", state, m.Name)
		}
		fmt.Fprintf(stdout, "%d migrations, %d pending\n", len(st), pending)
		return nil
	}
	applied, err := e.Store.Migrate(ctx)
	for _, name := range applied {
		fmt.Fprintf(stdout, "applied %s\n", name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "the schema is up to date")
	}
	return nil
}
