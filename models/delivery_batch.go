package models

import (
	"context"
	"fmt"
	"time"
)

// PodDeliveryTarget is what a per-pod delivery job needs to know before it
// sends: the recorded state of each of its deliveries (by task ID; absent
// when there is no record) and its pod's health.
type PodDeliveryTarget struct {
	States        map[string]string
	OfflineSince  *time.Time
	LastSuccessAt *time.Time
}

// PodDeliveryTargetOf reads the states of a pod's deliveries and the pod's
// health in one statement (a per-pod delivery job runs it once per
// attempt). ErrNotFound if the pod is not known.
func (s *Store) PodDeliveryTargetOf(ctx context.Context, podID int64, taskIDs []string) (PodDeliveryTarget, error) {
	var rows []struct {
		TaskID        *string
		State         *string
		OfflineSince  *time.Time
		LastSuccessAt *time.Time
	}
	err := s.conn(ctx).Raw(`SELECT d.task_id, d.state, p.offline_since, p.last_success_at
		FROM pods p LEFT JOIN deliveries d ON d.task_id = ANY(CAST(? AS text[]))
		WHERE p.id = ?`, textArray(taskIDs), podID).Scan(&rows).Error
	if err != nil {
		return PodDeliveryTarget{}, translate(err, "pod delivery target")
	}
	if len(rows) == 0 {
		return PodDeliveryTarget{}, fmt.Errorf("pod %d: %w", podID, ErrNotFound)
	}
	t := PodDeliveryTarget{States: make(map[string]string, len(rows)), OfflineSince: rows[0].OfflineSince, LastSuccessAt: rows[0].LastSuccessAt}
	for _, r := range rows {
		if r.TaskID != nil && r.State != nil {
			t.States[*r.TaskID] = *r.State
		}
	}
	return t, nil
}

// DeliveryOutcome is the outcome of one delivery attempt, to record.
type DeliveryOutcome struct {
	TaskID   string
	State    string
	Attempts int
	Error    string
}

// Pod health to record with delivery outcomes (RecordDeliveryOutcomes).
const (
	PodHealthUnchanged = iota
	PodHealthUp        // as PodSucceeded
	PodHealthDown      // as PodFailed, with the message given
)

// RecordDeliveryOutcomes records the outcomes of several deliveries to one
// pod and, unless health is PodHealthUnchanged, the pod's health (as
// PodSucceeded or PodFailed do), all in one statement.
func (s *Store) RecordDeliveryOutcomes(ctx context.Context, podID int64, os []DeliveryOutcome, health int, podError string, now time.Time) error {
	if len(os) == 0 && health == PodHealthUnchanged {
		return nil
	}
	ids, states, attempts, errs := make([]string, len(os)), make([]string, len(os)), make([]int64, len(os)), make([]string, len(os))
	for i, o := range os {
		ids[i], states[i], attempts[i], errs[i] = o.TaskID, o.State, int64(o.Attempts), truncateString(o.Error, 500)
	}
	var cte string
	switch health {
	case PodHealthUp:
		cte = `WITH pod AS (UPDATE pods SET last_success_at = @now, offline_since = NULL, updated_at = @now
			WHERE id = @pod AND (offline_since IS NOT NULL OR last_success_at IS NULL OR last_success_at < CAST(@now AS timestamptz) - interval '10 seconds')) `
	case PodHealthDown:
		cte = `WITH pod AS (UPDATE pods SET last_failure_at = @now, last_error = @msg,
			offline_since = COALESCE(offline_since, @now), updated_at = @now WHERE id = @pod) `
	}
	err := s.conn(ctx).Exec(cte+`UPDATE deliveries d SET state = o.state, attempts = o.attempts, last_error = o.msg, updated_at = now()
		FROM unnest(CAST(@tasks AS text[]), CAST(@states AS text[]), CAST(@attempts AS int[]), CAST(@errors AS text[])) AS o(task_id, state, attempts, msg)
		WHERE d.task_id = o.task_id`,
		map[string]any{"now": now, "pod": podID, "msg": truncateString(podError, 500), "tasks": textArray(ids),
			"states": textArray(states), "attempts": int64Array(attempts), "errors": textArray(errs)}).Error
	return translate(err, "delivery outcomes")
}
