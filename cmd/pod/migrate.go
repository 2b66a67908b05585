package main

import (
	"context"
	"fmt"
	"io"
)

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	verb := "apply"
	if len(args) > 0 {
		verb = args[0]
	}
	if verb != "apply" && verb != "up" && verb != "status" {
		return usageError("migrate: want `pod migrate apply` or `pod migrate status`")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	e, err := setup(ctx, cfg, newLogger(cfg, stderr), schemaIgnore)
	if err != nil {
		return err
	}
	defer e.Close()
	if verb == "status" {
		st, err := e.store.MigrationStatus(ctx)
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
	applied, err := e.store.Migrate(ctx)
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
