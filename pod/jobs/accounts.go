package jobs

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/tasks"
)

// accountHandlers registers the jobs of closing accounts: sending a closed
// local account's account_deletion, and purging a closed person's data
// round by round.
func accountHandlers(mux *asynq.ServeMux, app *app.App, log *slog.Logger, run map[string]func(context.Context, tasks.Event) error) {
	dispatch(mux, log, run, tasks.TypeAccountDeleted, app.Federate.DispatchAccountDeletion)
	mux.HandleFunc(tasks.TypeAccountPurge, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.AccountPurge
		if err := decode(t, &p); err != nil {
			return err
		}
		return app.Accounts.PurgeAccount(ctx, p)
	})
}
