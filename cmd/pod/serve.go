package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/aspenpod/aspen/cmd/internal/wire"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/jobs"
	"github.com/aspenpod/aspen/pod/tasks"
	"github.com/aspenpod/aspen/pod/web"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noWorker := fs.Bool("no-worker", false, "do not run the job worker in this process (run `pod worker` apart)")
	if err := fs.Parse(args); err != nil {
		return usageError("serve: " + err.Error())
	}
	e, err := boot(ctx, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	cfg, log := e.Cfg, e.Log

	jobsDashboard := web.NewJobsDashboard(e.Redis)
	defer jobsDashboard.Close()
	srv, err := web.New(e.App, web.Options{
		PodName: cfg.PodName, Secret: cfg.SecretKey, SecureCookies: cfg.Production(),
		TrustedProxies: cfg.TrustedProxies, Media: e.Media, Jobs: jobsDashboard,
	}, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("POD_LISTEN: cannot listen on %s: %v", cfg.Listen, err)
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}

	var wrk *jobs.Worker
	if !*noWorker {
		if wrk, err = startWorker(ctx, e); err != nil {
			return err
		}
	}
	// Start-up (migrations, templates, key generation) leaves garbage the
	// idle server never needs again: hand it back to the system.
	debug.FreeOSMemory()
	log.Info("pod serving", "url", cfg.BaseURL(), "listen", ln.Addr().String(), "env", cfg.Env, "worker", !*noWorker)

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		if wrk != nil {
			wrk.Shutdown()
		}
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and jobs", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = httpSrv.Shutdown(sctx)
	if wrk != nil {
		wrk.Shutdown()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func worker(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError("worker: " + err.Error())
	}
	e, err := boot(ctx, stderr)
	if err != nil {
		return err
	}
	defer e.Close()
	cfg, log := e.Cfg, e.Log
	wrk, err := startWorker(ctx, e)
	if err != nil {
		return err
	}
	log.Info("worker running", "concurrency", cfg.WorkerConcurrency)
	<-ctx.Done()
	log.Info("shutting down: finishing jobs", "timeout", cfg.ShutdownTimeout)
	wrk.Shutdown()
	log.Info("stopped")
	return nil
}

// boot loads the configuration and wires everything up, migrating (or
// checking) the schema as configured: the start of serve and worker.
func boot(ctx context.Context, stderr io.Writer) (*wire.Env, error) {
	cfg, err := wire.LoadConfig()
	if err != nil {
		return nil, err
	}
	return wire.Setup(ctx, cfg, wire.NewLogger(cfg, stderr), wire.SchemaAsConfigured)
}

// startWorker starts the job worker (every handler, the periodic tasks,
// the federation counters in the log) and asks for a key pool refill.
func startWorker(ctx context.Context, e *wire.Env) (*jobs.Worker, error) {
	wrk, err := jobs.StartWorker(e.App, e.Redis, jobs.WorkerOptions{
		Concurrency: e.Cfg.WorkerConcurrency, ShutdownTimeout: e.Cfg.ShutdownTimeout,
		StatsEvery: time.Minute, Log: e.Log,
	})
	if err != nil {
		return nil, err
	}
	if _, err := e.Queue.EnqueueContext(ctx, tasks.NewKeysRefill(e.Cfg.RSABits, e.Cfg.KeyPoolSize)); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		e.Log.Warn("could not queue key pool refill", "err", err)
	}
	return wrk, nil
}
