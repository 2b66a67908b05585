package models

import (
	"context"
	"time"
)

// OutboxRow is one task waiting in (or relayed from) the outbox: written in
// the transaction of the change it belongs to, moved into the job queue by
// the relay (pod.App.RelayOutbox).
type OutboxRow struct {
	ID        int64
	TaskType  string
	TaskID    string
	Payload   []byte
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

// TableName is the outbox table.
func (OutboxRow) TableName() string { return "outbox" }

// AddOutbox writes tasks into the outbox (inside the caller's transaction,
// if any) and returns the IDs of the rows written; a task whose ID is in
// the outbox already is not written again.
func (s *Store) AddOutbox(ctx context.Context, rows []OutboxRow) ([]int64, error) {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		var id []int64
		err := s.conn(ctx).Raw(`INSERT INTO outbox (task_type, task_id, payload) VALUES (?, ?, ?)
			ON CONFLICT (task_id) DO NOTHING RETURNING id`, r.TaskType, r.TaskID, r.Payload).Scan(&id).Error
		if err != nil {
			return nil, translate(err, "add to outbox")
		}
		ids = append(ids, id...)
	}
	return ids, nil
}

// ClaimOutbox locks up to limit unsent rows, oldest first, for the rest of
// the caller's transaction (it must run in one); rows another transaction
// holds are skipped. With ids, only those rows are considered.
func (s *Store) ClaimOutbox(ctx context.Context, ids []int64, limit int) ([]OutboxRow, error) {
	var rows []OutboxRow
	q := s.conn(ctx).Raw(`SELECT id, task_type, task_id, payload, attempts, created_at FROM outbox
		WHERE sent_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`, limit)
	if ids != nil {
		q = s.conn(ctx).Raw(`SELECT id, task_type, task_id, payload, attempts, created_at FROM outbox
			WHERE sent_at IS NULL AND id = ANY(CAST(? AS bigint[])) ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`, int64Array(ids), limit)
	}
	err := q.Scan(&rows).Error
	return rows, translate(err, "claim outbox rows")
}

// MarkOutboxSent records that rows are in the job queue.
func (s *Store) MarkOutboxSent(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Exec(`UPDATE outbox SET sent_at = now(), attempts = attempts + 1
		WHERE id = ANY(CAST(? AS bigint[]))`, int64Array(ids)).Error, "mark outbox rows sent")
}

// MarkOutboxFailed records a failed attempt to queue a row.
func (s *Store) MarkOutboxFailed(ctx context.Context, id int64, msg string) error {
	return translate(s.conn(ctx).Exec(`UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?`,
		truncateString(msg, 500), id).Error, "mark outbox row failed")
}

// MarkOutboxSetAside records a row that can never be queued: it is not
// claimed again, and OutboxBacklog counts it until it is pruned.
func (s *Store) MarkOutboxSetAside(ctx context.Context, id int64, msg string) error {
	return translate(s.conn(ctx).Exec(`UPDATE outbox SET sent_at = now(), set_aside = true, attempts = attempts + 1,
		last_error = ? WHERE id = ?`, truncateString(msg, 500), id).Error, "set outbox row aside")
}

// OutboxBacklog is what waits in the outbox, and what was set aside.
type OutboxBacklog struct {
	Unsent    int64
	Oldest    *time.Time // when the oldest unsent row was written
	LastError string     // of the oldest unsent row that has one
	// SetAside counts the rows that could not be queued (not yet pruned).
	SetAside int64
}

// OutboxBacklog counts the rows not yet relayed to the job queue.
func (s *Store) OutboxBacklog(ctx context.Context) (OutboxBacklog, error) {
	var b OutboxBacklog
	err := s.conn(ctx).Raw(`SELECT count(*) FILTER (WHERE sent_at IS NULL) AS unsent,
			min(created_at) FILTER (WHERE sent_at IS NULL) AS oldest,
			COALESCE((array_agg(last_error ORDER BY id) FILTER (WHERE sent_at IS NULL AND last_error <> ''))[1], '') AS last_error,
			count(*) FILTER (WHERE set_aside) AS set_aside
		FROM outbox WHERE sent_at IS NULL OR set_aside`).Scan(&b).Error
	return b, translate(err, "outbox backlog")
}

// PruneOutbox deletes the rows relayed before t.
func (s *Store) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	res := s.conn(ctx).Exec(`DELETE FROM outbox WHERE sent_at < ?`, before)
	return res.RowsAffected, translate(res.Error, "prune outbox")
}
