package jobs

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/tasks"
)

// PhotosSweepSpec is how often the worker sweeps stale uploads (pending
// for more than a day) and the files of deleted photos.
const PhotosSweepSpec = "@every 30m"

// photoHandlers registers the photo jobs: processing a local upload,
// fetching a received photo once, and the sweep.
func photoHandlers(mux *asynq.ServeMux, app *app.App, log *slog.Logger) {
	mux.HandleFunc(tasks.TypePhotoProcess, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.Photo
		if err := decode(t, &p); err != nil {
			return err
		}
		return app.Photos.Process(ctx, p.PhotoID)
	})
	mux.HandleFunc(tasks.TypePhotoFetch, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.Photo
		if err := decode(t, &p); err != nil {
			return err
		}
		err := app.Federate.FetchPhoto(ctx, p.PhotoID)
		if err == nil {
			return nil
		}
		retry, _ := asynq.GetRetryCount(ctx)
		max, _ := asynq.GetMaxRetry(ctx)
		if retry >= max {
			log.Warn("federation: photo could not be fetched, giving up", "photo", p.PhotoID, "attempts", retry+1, "err", err)
			return app.Federate.PhotoFetchFailed(ctx, p.PhotoID)
		}
		return err
	})
	mux.HandleFunc(tasks.TypePhotosSweep, func(ctx context.Context, t *asynq.Task) error {
		return app.Photos.Sweep(ctx)
	})
}
