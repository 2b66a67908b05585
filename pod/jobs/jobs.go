// Package jobs adapts the application's background work to asynq: one
// handler per task type in pod/tasks, registered on one ServeMux, and the
// worker's retry schedule and periodic tasks.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Mux returns the handler for every application task.
func Mux(app *app.App, log *slog.Logger) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks.TypeKeysRefill, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.KeysRefill
		if err := decode(t, &p); err != nil {
			return err
		}
		n, err := app.Accounts.FillKeyPool(ctx, p.Bits, p.Target)
		if n > 0 {
			log.Info("key pool refilled", "added", n, "bits", p.Bits)
		}
		return err
	})
	// The dispatch jobs: one task type, and one handler, per event.
	run := map[string]func(context.Context, tasks.Event) error{}
	dispatch(mux, log, run, tasks.TypePostPublished, app.Federate.DispatchPost)
	dispatch(mux, log, run, tasks.TypeCommentAdded, app.Federate.DispatchComment)
	dispatch(mux, log, run, tasks.TypeLikeAdded, app.Federate.DispatchLike)
	dispatch(mux, log, run, tasks.TypeRetracted, app.Federate.DispatchRetraction)
	dispatch(mux, log, run, tasks.TypeProfileChanged, app.Federate.DispatchProfile)
	dispatch(mux, log, run, tasks.TypeContactChanged, app.Federate.DispatchContact)
	dispatch(mux, log, run, tasks.TypeParticipated, app.Federate.DispatchParticipation)
	dispatch(mux, log, run, tasks.TypePollVoted, app.Federate.DispatchPollVote)
	accountHandlers(mux, app, log, run)
	dispatch(mux, log, run, tasks.TypeConversationStarted, app.Federate.DispatchConversation)
	dispatch(mux, log, run, tasks.TypeMessageSent, app.Federate.DispatchMessage)
	dispatch(mux, log, run, tasks.TypeAccountMigrated, app.Federate.DispatchAccountMigration)
	// Tasks queued before events had types of their own (an upgraded pod).
	mux.HandleFunc(tasks.TypeLegacyDispatch, func(ctx context.Context, t *asynq.Task) error {
		var d tasks.LegacyDispatch
		if err := decode(t, &d); err != nil {
			return err
		}
		e, err := d.Event()
		if err != nil {
			return fmt.Errorf("%v: %w", err, asynq.SkipRetry)
		}
		return finish(ctx, log, t, run[e.TaskType()](ctx, e))
	})
	mux.HandleFunc(tasks.TypeDeliver, func(ctx context.Context, t *asynq.Task) error {
		var d tasks.Deliver
		if err := decode(t, &d); err != nil {
			return err
		}
		id, _ := asynq.GetTaskID(ctx)
		retry, _ := asynq.GetRetryCount(ctx)
		max, _ := asynq.GetMaxRetry(ctx)
		return finish(ctx, log, t, app.Federate.Deliver(ctx, id, d, retry, max))
	})
	mux.HandleFunc(tasks.TypeDeliverPod, func(ctx context.Context, t *asynq.Task) error {
		d, err := tasks.DecodeDeliverPod(t.Payload())
		if err != nil {
			return fmt.Errorf("bad %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
		}
		retry, _ := asynq.GetRetryCount(ctx)
		max, _ := asynq.GetMaxRetry(ctx)
		// Attempts made before the task was queued count as its retries.
		return finish(ctx, log, t, app.Federate.DeliverPod(ctx, d, retry+d.Tried, max+d.Tried))
	})
	mux.HandleFunc(tasks.TypeReceive, func(ctx context.Context, t *asynq.Task) error {
		var r tasks.Receive
		if err := decode(t, &r); err != nil {
			return err
		}
		return finish(ctx, log, t, app.Federate.Receive(ctx, r))
	})
	mux.HandleFunc(tasks.TypeFetchPublic, func(ctx context.Context, t *asynq.Task) error {
		var f tasks.FetchPublic
		if err := decode(t, &f); err != nil {
			return err
		}
		return finish(ctx, log, t, app.Federate.FetchPublicPosts(ctx, f.PersonID))
	})
	mux.HandleFunc(tasks.TypePodsCheck, func(ctx context.Context, t *asynq.Task) error {
		return app.Federate.CheckPods(ctx)
	})
	photoHandlers(mux, app, log)
	archiveHandlers(mux, app, log)
	mux.HandleFunc(tasks.TypeMail, func(ctx context.Context, t *asynq.Task) error {
		return sendMail(ctx, log, app.Core.Mailer(), t)
	})
	notificationMailHandlers(mux, app, log)
	return mux
}

// sendMail is the mail job. A mail the server refuses for good is dropped
// with a log line; other failures are retried (the server may be away).
func sendMail(ctx context.Context, log *slog.Logger, sender mail.Sender, t *asynq.Task) error {
	m, err := tasks.DecodeMail(t.Payload())
	if err != nil {
		return fmt.Errorf("bad %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if sender == nil {
		log.Warn("mail: not sent, no SMTP server is configured (POD_SMTP_HOST)", "subject", m.Subject)
		return nil
	}
	return deliverMail(ctx, log, sender, &m)
}

// deliverMail sends m, the mail job's way: a permanent refusal is logged
// and dropped, other failures retried until the last retry.
func deliverMail(ctx context.Context, log *slog.Logger, sender mail.Sender, m *mail.Message) error {
	err := sender.Send(ctx, m)
	if errors.Is(err, mail.ErrRejected) {
		log.Warn("mail: the server refused it, not retried", "subject", m.Subject, "err", err)
		return nil
	}
	if err != nil {
		// After the last retry the task is finished, not archived: an
		// archived mail would keep its links (reset tokens) in Redis.
		retry, _ := asynq.GetRetryCount(ctx)
		if max, _ := asynq.GetMaxRetry(ctx); retry >= max {
			log.Error("mail: giving up after the last retry", "subject", m.Subject, "attempts", retry+1, "err", err)
			return nil
		}
		log.Warn("mail: sending failed, will retry", "subject", m.Subject, "attempt", retry+1, "err", err)
	}
	return err
}

// dispatch registers the handler of one event's task type: it decodes the
// event and runs its dispatch job (also recorded in runs, by type).
func dispatch[E any, P interface {
	*E
	tasks.Event
}](mux *asynq.ServeMux, log *slog.Logger, runs map[string]func(context.Context, tasks.Event) error, typ string, run func(context.Context, P) error) {
	if P(new(E)).TaskType() != typ {
		panic("jobs: " + typ + " registered for another event type")
	}
	runs[typ] = func(ctx context.Context, e tasks.Event) error { return run(ctx, e.(P)) }
	mux.HandleFunc(typ, func(ctx context.Context, t *asynq.Task) error {
		e := P(new(E))
		if err := decode(t, e); err != nil {
			return err
		}
		return finish(ctx, log, t, run(ctx, e))
	})
}

func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("bad %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}

// finish ends a federation task. Work the application dropped (it logged
// why) and work whose last retry failed are finished rather than archived:
// an archived task keeps its payload (up to a few MB of someone else's
// envelope) in Redis for months, which a stream of junk would fill.
func finish(ctx context.Context, log *slog.Logger, t *asynq.Task, err error) error {
	if err == nil || errors.Is(err, federate.ErrDropped) {
		return nil
	}
	retry, _ := asynq.GetRetryCount(ctx)
	max, _ := asynq.GetMaxRetry(ctx)
	if retry >= max {
		log.Warn("federation: giving up after the last retry", "type", t.Type(), "attempts", retry+1, "err", err)
		return nil
	}
	return err
}

// KeysRefillSpec is how often the worker's scheduler refills the key pool
// (when the pod keeps one).
const KeysRefillSpec = "@every 15m"

// Periodic lists the tasks the worker schedules, with their cron specs.
var Periodic = []struct {
	Spec string
	Task func() *asynq.Task
}{
	{"@every 1h", tasks.NewPodsCheck},
	{PhotosSweepSpec, tasks.NewPhotosSweep},
	{ArchivesSweepSpec, tasks.NewArchivesSweep},
}
