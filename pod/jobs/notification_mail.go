package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/tasks"
)

// notificationMailHandlers registers the notification mail job: it
// builds the mail from what the database holds now (nothing, when the
// user may not read the post any more or switched the mail off) and sends
// it like every other mail (deliverMail: retried while the server is
// away, dropped when it refuses for good).
func notificationMailHandlers(mux *asynq.ServeMux, app *app.App, log *slog.Logger) {
	mux.HandleFunc(tasks.TypeNotificationMail, func(ctx context.Context, t *asynq.Task) error {
		n, err := tasks.DecodeNotificationMail(t.Payload())
		if err != nil {
			return fmt.Errorf("bad %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
		}
		sender := app.Core.Mailer()
		if sender == nil {
			log.Warn("mail: not sent, no SMTP server is configured (POD_SMTP_HOST)", "type", n.Type)
			return nil
		}
		m, err := app.Notifications.NotificationMail(ctx, n)
		if err != nil {
			return fmt.Errorf("notification mail: %w", err)
		}
		if m == nil {
			log.Debug("mail: notification not mailed, no longer for this user", "type", n.Type, "user_id", n.UserID)
			return nil
		}
		return deliverMail(ctx, log, sender, m)
	})
}
