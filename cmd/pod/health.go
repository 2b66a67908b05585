package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// health checks a running pod for container health checks: with --url it
// asks that URL for a 2xx; without, it checks that PostgreSQL and Redis
// answer with the configured settings.
func health(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	u := fs.String("url", "", "URL to check, e.g. http://127.0.0.1:3000/readyz")
	if err := fs.Parse(args); err != nil {
		return usageError("health: " + err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if *u != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, *u, nil)
		if err != nil {
			return usageError("health: " + err.Error())
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("health: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("health: %s answered %d", *u, resp.StatusCode)
		}
		fmt.Fprintln(stdout, "ok")
		return nil
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	e, err := setup(ctx, cfg, newLogger(cfg, io.Discard), schemaIgnore)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.app.Ready(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
