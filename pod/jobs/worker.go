package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/tasks"
)

// WorkerOptions configure a worker.
type WorkerOptions struct {
	// Concurrency is the number of jobs run at once.
	Concurrency int
	// ShutdownTimeout bounds how long Shutdown waits for running jobs.
	ShutdownTimeout time.Duration
	// StatsEvery is how often the federation counters are logged (none if 0).
	StatsEvery time.Duration
	// TaskCheckInterval is how long an idle worker waits before looking
	// for new tasks again (asynq's 1 s if 0; tests use less).
	TaskCheckInterval time.Duration
	// DelayedTaskCheckInterval is how often retries and scheduled tasks
	// that are due are moved to their queue (asynq's 5 s if 0; tests use
	// less).
	DelayedTaskCheckInterval time.Duration
	// NoScheduler leaves the periodic tasks to another process.
	NoScheduler bool
	// RelayEvery is how often the outbox relay looks for rows to queue
	// (DefaultRelayEvery if 0). Rows written by a use case are usually
	// queued at once by the use case itself; the relay catches up on the
	// rest (Redis was away, a process died).
	RelayEvery time.Duration
	Log        *slog.Logger
}

// DefaultRelayEvery is the outbox relay's poll interval; while the queue
// (or the database) fails it backs off up to MaxRelayBackoff.
const (
	DefaultRelayEvery = time.Second
	MaxRelayBackoff   = 5 * time.Second
)

// Worker is a running job worker: the asynq server with every handler, the
// scheduler of periodic tasks, the outbox relay and the stats logger.
type Worker struct {
	srv       *asynq.Server
	sched     *asynq.Scheduler
	stop      context.CancelFunc
	relayDone chan struct{}
}

// StartWorker starts a worker for app on the Redis server redisOpt.
func StartWorker(app *app.App, redisOpt asynq.RedisConnOpt, o WorkerOptions) (*Worker, error) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	srv := asynq.NewServer(redisOpt, asynq.Config{
		Concurrency:     o.Concurrency,
		Queues:          tasks.Queues,
		ShutdownTimeout: o.ShutdownTimeout,
		// The same unit as the dispatch's first retries (pod.Options).
		RetryDelayFunc:           tasks.RetryDelay(app.Core.Options().RetryUnit),
		DelayedTaskCheckInterval: o.DelayedTaskCheckInterval,
		TaskCheckInterval:        o.TaskCheckInterval,
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if errors.Is(err, federate.ErrDropped) {
				return // the application logged why
			}
			retry, _ := asynq.GetRetryCount(ctx)
			max, _ := asynq.GetMaxRetry(ctx)
			log.Warn("job failed", "type", t.Type(), "retry", retry, "max_retry", max, "err", err)
		}),
	})
	// Retractions an earlier version remembered in Redis go to the
	// database first, so that no late delivery slips between the two.
	mctx, mcancel := context.WithTimeout(context.Background(), time.Minute)
	if n, err := app.Federate.MoveRedisRetractions(mctx); err != nil {
		log.Warn("retractions remembered in Redis not moved to the database; the next start tries again", "moved", n, "err", err)
	} else if n > 0 {
		log.Info("retractions remembered in Redis moved to the database", "keys", n)
	}
	mcancel()
	if err := srv.Start(Mux(app, log)); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	w := &Worker{srv: srv}
	if !o.NoScheduler {
		w.sched = asynq.NewScheduler(redisOpt, &asynq.SchedulerOpts{Logger: asynqLogger{log}, LogLevel: asynq.WarnLevel})
		for _, p := range Periodic {
			if _, err := w.sched.Register(p.Spec, p.Task()); err != nil {
				srv.Shutdown()
				return nil, fmt.Errorf("schedule %s: %w", p.Task().Type(), err)
			}
		}
		// The key pool refill a sign-up asks for is queued best effort
		// (not through the outbox); this catches up when that failed.
		if ao := app.Core.Options(); ao.KeyPoolSize > 0 {
			if _, err := w.sched.Register(KeysRefillSpec, tasks.NewKeysRefill(ao.RSABits, ao.KeyPoolSize)); err != nil {
				srv.Shutdown()
				return nil, fmt.Errorf("schedule %s: %w", tasks.TypeKeysRefill, err)
			}
		}
		if err := w.sched.Start(); err != nil {
			srv.Shutdown()
			return nil, fmt.Errorf("start scheduler: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	every := o.RelayEvery
	if every <= 0 {
		every = DefaultRelayEvery
	}
	w.relayDone = make(chan struct{})
	go func() {
		defer close(w.relayDone)
		relayLoop(ctx, app, every, log)
	}()
	if o.StatsEvery > 0 {
		go logStats(ctx, app, o.StatsEvery, log)
	}
	return w, nil
}

// relayLoop runs the outbox relay until ctx ends: every interval it moves
// batches of unsent rows into the job queue until none is left. While
// queuing fails (Redis away, or PostgreSQL) it backs off, up to
// MaxRelayBackoff, and logs once when the outage starts and once when it
// ends, not once per row.
func relayLoop(ctx context.Context, app *app.App, every time.Duration, log *slog.Logger) {
	delay := every
	var failingSince time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		relayed, err := 0, error(nil)
		for ctx.Err() == nil {
			n, rerr := app.Core.RelayOutbox(ctx)
			relayed += n
			if rerr != nil || n < pod.OutboxBatch {
				err = rerr
				break
			}
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if failingSince.IsZero() {
				failingSince = time.Now()
				log.Warn("outbox relay: cannot queue federation tasks; they wait in the outbox and are retried", "err", err)
			}
			delay = min(delay*2, max(MaxRelayBackoff, every))
		default:
			if !failingSince.IsZero() {
				log.Info("outbox relay: queuing again", "outage", time.Since(failingSince).Round(time.Second), "relayed", relayed)
				failingSince = time.Time{}
			}
			delay = every
		}
		timer.Reset(delay)
	}
}

// Shutdown stops the scheduler and waits for running jobs.
func (w *Worker) Shutdown() {
	w.stop()
	<-w.relayDone
	if w.sched != nil {
		w.sched.Shutdown()
	}
	w.srv.Shutdown()
}

// logStats logs the federation counters when they changed or the outbox
// has a backlog (tasks not yet in the job queue: Redis is away, or the
// relay is behind).
func logStats(ctx context.Context, app *app.App, every time.Duration, log *slog.Logger) {
	s := app.Federate.Stats()
	t := time.NewTicker(every)
	defer t.Stop()
	var last [6]int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := [6]int64{s.Dispatched.Load(), s.Delivered.Load(), s.DeliveryErrors.Load(), s.GivenUp.Load(), s.Received.Load(), s.Dropped.Load()}
		backlog, err := app.Core.OutboxBacklog(ctx)
		if err != nil {
			backlog.Unsent = -1 // unknown: PostgreSQL is away
		}
		if now == last && backlog.Unsent == 0 {
			continue
		}
		last = now
		args := []any{"dispatched", now[0], "delivered", now[1], "delivery_errors", now[2],
			"given_up", now[3], "received", now[4], "dropped", now[5], "outbox_backlog", backlog.Unsent}
		if backlog.Oldest != nil {
			args = append(args, "outbox_oldest", backlog.Oldest.UTC().Format(time.RFC3339))
		}
		log.Info("federation counters", args...)
	}
}

// asynqLogger sends asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
