package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/tasks"
)

// ArchivesSweepSpec is how often the worker deletes exports older than 14
// days.
const ArchivesSweepSpec = "@every 1h"

// archiveHandlers registers the data export and archive import jobs.
func archiveHandlers(mux *asynq.ServeMux, app *app.App, log *slog.Logger) {
	mux.HandleFunc(tasks.TypeArchiveExport, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.ArchiveExport
		if err := decode(t, &p); err != nil {
			return err
		}
		start := time.Now()
		err := app.Archives.Run(ctx, p.ExportID)
		if err == nil {
			log.Info("export made", "export", p.ExportID, "took", time.Since(start).Round(time.Millisecond))
		}
		return err
	})
	mux.HandleFunc(tasks.TypeArchiveImport, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.ArchiveImport
		if err := decode(t, &p); err != nil {
			return err
		}
		retry, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		start := time.Now()
		err := app.Federate.RunImport(ctx, p.JobID, retry >= maxRetry)
		if err == nil {
			log.Info("archive import job over", "job", p.JobID, "took", time.Since(start).Round(time.Millisecond))
		}
		return err
	})
	mux.HandleFunc(tasks.TypeArchivesSweep, func(ctx context.Context, t *asynq.Task) error {
		n, err := app.Archives.Sweep(ctx, time.Now())
		if n > 0 {
			log.Info("old exports deleted", "count", n)
		}
		return err
	})
}
