package models

import (
	"context"
	"strconv"
	"time"
)

// Delivery states.
const (
	DeliveryQueued   = "queued"
	DeliverySent     = "sent"
	DeliveryRetrying = "retrying"
	DeliveryFailed   = "failed"
)

// Delivery records one delivery task: an entity to one pod (public route)
// or to one person (private route).
type Delivery struct {
	ID            int64
	TaskID        string
	PodID         int64
	PostID        *int64
	EntityType    string
	RecipientGUID *string `gorm:"column:recipient_guid"`
	State         string
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// RecordDeliveries inserts the rows of newly queued deliveries, in one
// statement; rows whose task ID exists already are left as they are. The
// rows' IDs are not filled in.
func (s *Store) RecordDeliveries(ctx context.Context, ds []Delivery) error {
	_, err := s.recordDeliveries(ctx, ds)
	return err
}

// RecordDeliveriesToSend records deliveries as RecordDeliveries does and
// returns the task IDs among them that were recorded before and are
// finished (sent or given up): a dispatch job run again for the same event
// (its outbox row relayed twice, its task recovered after a crash) must not
// send those again. The lookup only runs when some rows existed already.
func (s *Store) RecordDeliveriesToSend(ctx context.Context, ds []Delivery) (finished map[string]bool, err error) {
	n, err := s.recordDeliveries(ctx, ds)
	if err != nil || n == int64(len(ds)) {
		return nil, err
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.TaskID
	}
	var done []string
	err = s.conn(ctx).Raw(`SELECT task_id FROM deliveries WHERE task_id = ANY(CAST(? AS text[])) AND state IN ('sent', 'failed')`,
		textArray(ids)).Scan(&done).Error
	if err != nil {
		return nil, translate(err, "finished deliveries")
	}
	finished = make(map[string]bool, len(done))
	for _, id := range done {
		finished[id] = true
	}
	return finished, nil
}

// DeliveryTarget is what a delivery job needs to know before it sends: the
// delivery's recorded state ("" if none) and whether its pod is known and
// since when it has been failing.
type DeliveryTarget struct {
	State        string
	PodKnown     bool
	OfflineSince *time.Time
}

// DeliveryTargetOf reads a delivery's state and its pod's health in one
// statement (a delivery job runs it once per attempt).
func (s *Store) DeliveryTargetOf(ctx context.Context, taskID string, podID int64) (DeliveryTarget, error) {
	var rows []struct {
		State        *string
		OfflineSince *time.Time
	}
	err := s.conn(ctx).Raw(`SELECT (SELECT d.state FROM deliveries d WHERE d.task_id = ?) AS state, p.offline_since
		FROM pods p WHERE p.id = ?`, taskID, podID).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return DeliveryTarget{}, translate(err, "delivery target")
	}
	t := DeliveryTarget{PodKnown: true, OfflineSince: rows[0].OfflineSince}
	if rows[0].State != nil {
		t.State = *rows[0].State
	}
	return t, nil
}

func (s *Store) recordDeliveries(ctx context.Context, ds []Delivery) (int64, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	taskIDs, podIDs, entityTypes, states := make([]string, len(ds)), make([]int64, len(ds)), make([]string, len(ds)), make([]string, len(ds))
	postIDs, recipients, lastErrors := make([]*int64, len(ds)), make([]*string, len(ds)), make([]string, len(ds))
	for i, d := range ds {
		taskIDs[i], podIDs[i], postIDs[i], entityTypes[i], recipients[i], states[i] = d.TaskID, d.PodID, d.PostID, d.EntityType, d.RecipientGUID, d.State
		lastErrors[i] = truncateString(d.LastError, 500)
		if states[i] == "" {
			states[i] = DeliveryQueued
		}
	}
	now := time.Now().UTC()
	res := s.conn(ctx).Exec(`INSERT INTO deliveries (task_id, pod_id, post_id, entity_type, recipient_guid, state, last_error, created_at, updated_at)
		SELECT d.*, @now, @now FROM unnest(CAST(@tasks AS text[]), CAST(@pods AS bigint[]), CAST(@posts AS bigint[]),
			CAST(@types AS text[]), CAST(@rcpts AS text[]), CAST(@states AS text[]), CAST(@errors AS text[])) AS d
		ON CONFLICT (task_id) DO NOTHING`,
		map[string]any{"now": now, "tasks": textArray(taskIDs), "pods": int64Array(podIDs), "posts": nullInt64Array(postIDs),
			"types": textArray(entityTypes), "rcpts": nullTextArray(recipients), "states": textArray(states),
			"errors": textArray(lastErrors)})
	return res.RowsAffected, translate(res.Error, "record deliveries")
}

// nullInt64Array is a bigint[] literal with NULL for nil.
func nullInt64Array(ids []*int64) string {
	b := []byte{'{'}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		if id == nil {
			b = append(b, "NULL"...)
		} else {
			b = strconv.AppendInt(b, *id, 10)
		}
	}
	return string(append(b, '}'))
}

// nullTextArray is a text[] literal with NULL for nil (quoted as
// textArray quotes).
func nullTextArray(ss []*string) string {
	b := []byte{'{'}
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		if s == nil {
			b = append(b, "NULL"...)
			continue
		}
		b = append(b, '"')
		for _, c := range []byte(*s) {
			if c == '"' || c == '\\' {
				b = append(b, '\\')
			}
			b = append(b, c)
		}
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// SetDeliveryState records the outcome of an attempt of a delivery task.
func (s *Store) SetDeliveryState(ctx context.Context, taskID, state string, attempts int, msg string) error {
	return translate(s.conn(ctx).Exec(`UPDATE deliveries SET state = ?, attempts = ?, last_error = ?, updated_at = now() WHERE task_id = ?`,
		state, attempts, truncateString(msg, 500), taskID).Error, "delivery state")
}

// PodDeliveryStatus is the state of a post's deliveries to one pod.
type PodDeliveryStatus struct {
	PodHost   string
	Total     int
	Sent      int
	Retrying  int // queued or being retried
	Failed    int
	LastError string
	// Attempts is the most attempts any of these deliveries has had.
	Attempts  int
	UpdatedAt time.Time
}

// DeliveryStatusOfPost sums up a post's deliveries per remote pod.
func (s *Store) DeliveryStatusOfPost(ctx context.Context, postID int64) ([]PodDeliveryStatus, error) {
	var rows []PodDeliveryStatus
	err := s.conn(ctx).Raw(`SELECT po.host AS pod_host, count(*) AS total,
			count(*) FILTER (WHERE d.state = 'sent') AS sent,
			count(*) FILTER (WHERE d.state IN ('queued', 'retrying')) AS retrying,
			count(*) FILTER (WHERE d.state = 'failed') AS failed,
			COALESCE((array_agg(d.last_error ORDER BY d.updated_at DESC) FILTER (WHERE d.last_error <> ''))[1], '') AS last_error,
			max(d.attempts) AS attempts, max(d.updated_at) AS updated_at
		FROM deliveries d JOIN pods po ON po.id = d.pod_id
		WHERE d.post_id = ? GROUP BY po.host ORDER BY po.host`, postID).Scan(&rows).Error
	return rows, translate(err, "delivery status")
}

// PruneDeliveries deletes the records of deliveries finished before t.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	res := s.conn(ctx).Exec(`DELETE FROM deliveries WHERE state IN ('sent', 'failed') AND updated_at < ?`, before)
	return res.RowsAffected, translate(res.Error, "prune deliveries")
}

// RemoteRecipient is a remote person an entity is delivered to, with the
// pod that receives it.
type RemoteRecipient struct {
	PersonID   int64
	GUID       string `gorm:"column:guid"`
	DiasporaID string
	PublicKey  string
	PodID      int64
	PodHost    string
	PodURL     string `gorm:"column:pod_url"`
	// The pod's health when the recipients were read (Pod.OfflineSince,
	// Pod.LastSuccessAt).
	PodOfflineSince  *time.Time
	PodLastSuccessAt *time.Time
}

const recipientCols = `pe.id AS person_id, pe.guid, pe.diaspora_id, pe.serialized_public_key AS public_key,
	po.id AS pod_id, po.host AS pod_host, po.url AS pod_url,
	po.offline_since AS pod_offline_since, po.last_success_at AS pod_last_success_at`

// recipients runs a query over people pe (joined to their pod po) whose
// WHERE clause selects the recipients; closed accounts are left out.
func (s *Store) recipients(ctx context.Context, where string, args map[string]any) ([]RemoteRecipient, error) {
	var rows []RemoteRecipient
	err := s.conn(ctx).Raw(`SELECT `+recipientCols+` FROM people pe JOIN pods po ON lower(po.host) = lower(pe.pod_host)
		WHERE pe.owner_id IS NULL AND NOT pe.closed_account AND (`+where+`) ORDER BY po.id, pe.id`, args).Scan(&rows).Error
	return rows, translate(err, "recipients")
}

// AudienceRecipients lists the remote people in a limited post's audience
// snapshot.
func (s *Store) AudienceRecipients(ctx context.Context, postID int64) ([]RemoteRecipient, error) {
	return s.recipients(ctx, `pe.id IN (SELECT person_id FROM post_audiences WHERE post_id = @post)`, map[string]any{"post": postID})
}

// PublicPostRecipients lists the remote people who should receive a public
// post of authorID or what happens under it: the author's contacts in either
// direction, the people mentioned in it, its participants and resharers
// (the pods among them receive it once each).
func (s *Store) PublicPostRecipients(ctx context.Context, authorID, postID int64) ([]RemoteRecipient, error) {
	return s.recipients(ctx, `pe.id IN (
			SELECT c.person_id FROM contacts c JOIN people a ON a.owner_id = c.user_id WHERE a.id = @author
			UNION SELECT person_id FROM mentions WHERE post_id = @post
			UNION SELECT person_id FROM participations WHERE post_id = @post
			UNION SELECT author_id FROM posts WHERE root_id = @post)`,
		map[string]any{"author": authorID, "post": postID})
}

// ContactRecipients lists a user's remote contacts: with receiving true,
// the people the user shares with; with receiving false, the others (who
// only share with the user).
func (s *Store) ContactRecipients(ctx context.Context, userID int64, receiving bool) ([]RemoteRecipient, error) {
	return s.recipients(ctx, `pe.id IN (SELECT person_id FROM contacts WHERE user_id = @user AND receiving = @receiving)`,
		map[string]any{"user": userID, "receiving": receiving})
}

// RecipientsByID lists remote people by ID (local ones are left out).
func (s *Store) RecipientsByID(ctx context.Context, ids []int64) ([]RemoteRecipient, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.recipients(ctx, `pe.id IN @ids`, map[string]any{"ids": ids})
}
