package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aspenpod/aspen/cmd/internal/wire"

	"github.com/hibiken/asynq"
)

// health checks a running pod for container health checks: with --url it
// asks that URL for a 2xx; with --worker it checks that a job worker runs
// on this host (its heartbeat in Redis is fresh); without either, it checks
// that PostgreSQL and Redis answer with the configured settings.
func health(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	u := fs.String("url", "", "URL to check, e.g. http://127.0.0.1:3000/readyz")
	worker := fs.Bool("worker", false, "check that a job worker runs on this host")
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
	cfg, err := wire.LoadConfig()
	if err != nil {
		return err
	}
	if *worker {
		return workerHealth(cfg.RedisURL, stdout)
	}
	e, err := wire.Setup(ctx, cfg, wire.NewLogger(cfg, io.Discard), wire.SchemaIgnore)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := e.App.Core.Ready(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// workerHealth succeeds when a job worker on this host is running: asynq
// servers write a heartbeat (host, PID, state) to Redis every few seconds
// that expires soon after the process stops or hangs, so a worker that
// died, is stuck or lost Redis fails the check. In a container the host
// name is the container's, so the check sees that container's worker.
func workerHealth(redisURL string, stdout io.Writer) error {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return fmt.Errorf("health: POD_REDIS_URL: %v", err)
	}
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("health: %v", err)
	}
	ins := asynq.NewInspector(opt)
	defer ins.Close()
	servers, err := ins.Servers()
	if err != nil {
		return fmt.Errorf("health: cannot list job workers in Redis: %v", err)
	}
	for _, s := range servers {
		if s.Host == host && s.Status == "active" {
			fmt.Fprintf(stdout, "ok: worker pid %d running since %s\n", s.PID, s.Started.UTC().Format(time.RFC3339))
			return nil
		}
	}
	return fmt.Errorf("health: no running job worker on %s (%d elsewhere)", host, len(servers))
}
