package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// WorkerOptions configure a worker.
type WorkerOptions struct {
	// Concurrency is the number of jobs run at once.
	Concurrency int
	// ShutdownTimeout bounds how long Shutdown waits for running jobs.
	ShutdownTimeout time.Duration
	// RetryUnit scales the federation retry schedule (one second in
	// production: about 25 hours over 10 retries; tests use milliseconds).
	RetryUnit time.Duration
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
	Log         *slog.Logger
}

// Worker is a running job worker: the asynq server with every handler, the
// scheduler of periodic tasks and the stats logger.
type Worker struct {
	srv   *asynq.Server
	sched *asynq.Scheduler
	stop  context.CancelFunc
}

// StartWorker starts a worker for app on the Redis server redisOpt.
func StartWorker(app *pod.App, redisOpt asynq.RedisConnOpt, o WorkerOptions) (*Worker, error) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	if o.RetryUnit == 0 {
		o.RetryUnit = time.Second
	}
	srv := asynq.NewServer(redisOpt, asynq.Config{
		Concurrency:              o.Concurrency,
		Queues:                   tasks.Queues,
		ShutdownTimeout:          o.ShutdownTimeout,
		RetryDelayFunc:           tasks.RetryDelay(o.RetryUnit),
		DelayedTaskCheckInterval: o.DelayedTaskCheckInterval,
		TaskCheckInterval:        o.TaskCheckInterval,
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if errors.Is(err, pod.ErrDropped) {
				return // the application logged why
			}
			retry, _ := asynq.GetRetryCount(ctx)
			max, _ := asynq.GetMaxRetry(ctx)
			log.Warn("job failed", "type", t.Type(), "retry", retry, "max_retry", max, "err", err)
		}),
	})
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
		if err := w.sched.Start(); err != nil {
			srv.Shutdown()
			return nil, fmt.Errorf("start scheduler: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	if o.StatsEvery > 0 {
		go logStats(ctx, app.Stats(), o.StatsEvery, log)
	}
	return w, nil
}

// Shutdown stops the scheduler and waits for running jobs.
func (w *Worker) Shutdown() {
	w.stop()
	if w.sched != nil {
		w.sched.Shutdown()
	}
	w.srv.Shutdown()
}

// logStats logs the federation counters when they changed.
func logStats(ctx context.Context, s *pod.FederationStats, every time.Duration, log *slog.Logger) {
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
		if now == last {
			continue
		}
		last = now
		log.Info("federation counters", "dispatched", now[0], "delivered", now[1], "delivery_errors", now[2],
			"given_up", now[3], "received", now[4], "dropped", now[5])
	}
}

// asynqLogger sends asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
