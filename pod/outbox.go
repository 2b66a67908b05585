package pod

// The transactional outbox (DESIGN.md, Federation pipeline): TxOut is the
// one way a use case runs a transaction whose change other pods must hear
// of; its events are written into the outbox table in that transaction,
// and the relay moves them into the job queue.

import (
	"context"
	"errors"
	"fmt"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/tasks"
	"github.com/hibiken/asynq"
)

// Outbox collects the tasks a use case's transaction queues: TxOut writes
// them into the outbox table in that same transaction, so that they exist
// exactly when the change does. The relay (RelayOutbox, in the worker)
// moves them into the job queue; TxOut tries that at once after commit,
// but nothing depends on it.
type Outbox struct {
	events []tasks.Event
	others []*asynq.Task // other federation work (public post fetches)
}

// Add puts an event into the outbox, giving it a new key if it has none.
func (o *Outbox) Add(e tasks.Event) {
	tasks.SetKey(e, NewGUID())
	o.events = append(o.events, e)
}

// AddTask queues a task that is not a dispatch; its type must be one
// tasks.Outboxed knows.
func (o *Outbox) AddTask(t *asynq.Task) { o.others = append(o.others, t) }

// SetContact replaces any contact event for the same person with c, so
// that one change sends one contact entity (blocking supersedes stopping to
// share).
func (o *Outbox) SetContact(c *tasks.ContactChanged) {
	kept := o.events[:0]
	for _, x := range o.events {
		if x, ok := x.(*tasks.ContactChanged); ok && x.UserID == c.UserID && x.PersonID == c.PersonID {
			continue
		}
		kept = append(kept, x)
	}
	o.events = kept
	o.Add(c)
}

// rows turns the collected tasks into outbox rows.
func (o *Outbox) rows() ([]models.OutboxRow, error) {
	ts := make([]*asynq.Task, 0, len(o.events)+len(o.others))
	for _, e := range o.events {
		ts = append(ts, tasks.NewEventTask(e))
	}
	ts = append(ts, o.others...)
	rows := make([]models.OutboxRow, 0, len(ts))
	for _, t := range ts {
		row, err := OutboxRow(t)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// OutboxRow is the outbox row that queues t.
func OutboxRow(t *asynq.Task) (models.OutboxRow, error) {
	_, id, err := tasks.Outboxed(t.Type(), t.Payload())
	return models.OutboxRow{TaskType: t.Type(), TaskID: id, Payload: t.Payload()}, err
}

// TxOut is the one way a use case runs a transaction that federates: fn
// changes what it changes and puts the resulting tasks in out; they are
// written to the outbox table in the same transaction. After the commit
// the rows just written are relayed at once (best effort: if Redis is
// away, or the process dies now, the worker's relay queues them later).
func (a *Core) TxOut(ctx context.Context, fn func(tx *models.Store, out *Outbox) error) error {
	var ids []int64
	err := a.store.Tx(ctx, func(tx *models.Store) error {
		var out Outbox
		if err := fn(tx, &out); err != nil {
			return err
		}
		if len(out.events)+len(out.others) == 0 {
			ids = nil
			return nil
		}
		rows, err := out.rows()
		if err != nil {
			return err
		}
		ids, err = tx.AddOutbox(ctx, rows)
		return err
	})
	if err != nil {
		return err
	}
	a.relayNow(ctx, ids)
	return nil
}

// relayNow relays the given outbox rows right away, so that federation
// does not wait for the worker's next poll. Failure is not an error: the
// rows stay in the outbox for the relay loop. Right after the job queue
// failed (queueResting) it is not tried.
func (a *Core) relayNow(ctx context.Context, ids []int64) {
	if len(ids) == 0 || a.queue == nil || a.QueueResting() {
		return
	}
	if _, err := a.relay(ctx, ids, len(ids)); err != nil {
		a.log.Debug("outbox: immediate relay failed, the worker's relay will queue the rows", "rows", len(ids), "err", err)
	}
}

// OutboxBatch is how many outbox rows one RelayOutbox call moves at most.
const OutboxBatch = 100

// RelayOutbox is the outbox relay: it moves up to OutboxBatch unsent rows,
// oldest first, into the job queue and marks them sent, and returns how
// many it moved. Rows are locked while they are queued (FOR UPDATE SKIP
// LOCKED), so that several relays share the work. A row is marked sent
// only after its task is queued (an existing task with its ID counts), so
// a crash in between queues it again later, which the task's ID and the
// idempotent jobs make harmless. The first failure to queue ends the batch
// and is returned (Redis is away: the caller waits and tries again).
func (a *Core) RelayOutbox(ctx context.Context) (int, error) {
	if a.queue == nil {
		return 0, errors.New("outbox relay needs a job queue, and none is configured")
	}
	return a.relay(ctx, nil, OutboxBatch)
}

func (a *Core) relay(ctx context.Context, ids []int64, limit int) (int, error) {
	var sent int
	var qerr error
	err := a.store.Tx(ctx, func(tx *models.Store) error {
		rows, err := tx.ClaimOutbox(ctx, ids, limit)
		if err != nil {
			return err
		}
		done := make([]int64, 0, len(rows))
		for _, r := range rows {
			t, _, err := tasks.Outboxed(r.TaskType, r.Payload)
			if err != nil {
				// Cannot ever be queued (written by a newer or broken
				// version): recorded and set aside, not retried forever.
				a.log.Error("outbox: row cannot be queued, set aside", "id", r.ID, "task", r.TaskID, "err", err)
				if err := tx.MarkOutboxSetAside(ctx, r.ID, err.Error()); err != nil {
					return err
				}
				continue
			}
			if err := a.EnqueueNow(ctx, t); err != nil {
				qerr = fmt.Errorf("queue %s: %w", r.TaskID, err)
				if err := tx.MarkOutboxFailed(ctx, r.ID, err.Error()); err != nil {
					return err
				}
				break
			}
			done = append(done, r.ID)
		}
		sent = len(done)
		return tx.MarkOutboxSent(ctx, done)
	})
	if err != nil {
		return 0, err
	}
	return sent, qerr
}

// OutboxBacklog reports what waits in the outbox (the worker logs it; the
// admin's pods page shows it).
func (a *Core) OutboxBacklog(ctx context.Context) (models.OutboxBacklog, error) {
	return a.store.OutboxBacklog(ctx)
}
