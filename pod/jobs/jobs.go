// Package jobs adapts the application's background work to asynq: one
// handler per task type in pod/tasks, registered on one ServeMux.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Mux returns the handler for every application task.
func Mux(app *pod.App, log *slog.Logger) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks.TypeKeysRefill, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.KeysRefill
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return fmt.Errorf("bad %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
		}
		n, err := app.FillKeyPool(ctx, p.Bits, p.Target)
		if n > 0 {
			log.Info("key pool refilled", "added", n, "bits", p.Bits)
		}
		return err
	})
	return mux
}
