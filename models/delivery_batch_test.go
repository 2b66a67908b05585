package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
)

// TestDeliveryOutcomesWithPodHealth: a per-pod delivery task reads its
// deliveries' states and its pod's health, and records several outcomes
// together with the pod's health; deliveries of other tasks
// are left as they are.
func TestDeliveryOutcomesWithPodHealth(t *testing.T) {
	ctx := context.Background()
	st := modeltest.New(t)
	host := "outcomes-" + time.Now().Format("150405.000000") + ".example"
	p, err := st.EnsurePod(ctx, host, "https://"+host+"/")
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"t-" + host + "-a", "t-" + host + "-b", "t-" + host + "-c"}
	var rows []models.Delivery
	for _, id := range ids {
		rows = append(rows, models.Delivery{TaskID: id, PodID: p.ID, EntityType: "status_message"})
	}
	if err := st.RecordDeliveries(ctx, rows); err != nil {
		t.Fatal(err)
	}

	tg, err := st.PodDeliveryTargetOf(ctx, p.ID, append(ids[:2:2], "t-unknown-"+host))
	if err != nil {
		t.Fatal(err)
	}
	if len(tg.States) != 2 || tg.States[ids[0]] != models.DeliveryQueued || tg.States[ids[1]] != models.DeliveryQueued ||
		tg.OfflineSince != nil || tg.LastSuccessAt != nil {
		t.Fatalf("target before: %+v", tg)
	}

	// One failed: the pod is down.
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = st.RecordDeliveryOutcomes(ctx, p.ID, []models.DeliveryOutcome{
		{TaskID: ids[0], State: models.DeliveryRetrying, Attempts: 1, Error: "answered 500"},
	}, models.PodHealthDown, "answered 500", now)
	if err != nil {
		t.Fatal(err)
	}
	if tg, err = st.PodDeliveryTargetOf(ctx, p.ID, ids); err != nil || tg.OfflineSince == nil || !tg.OfflineSince.Equal(now) ||
		tg.States[ids[0]] != models.DeliveryRetrying {
		t.Fatalf("after a failure: %+v %v", tg, err)
	}

	// Two sent: the pod is up, and the third delivery is untouched.
	later := now.Add(time.Second)
	err = st.RecordDeliveryOutcomes(ctx, p.ID, []models.DeliveryOutcome{
		{TaskID: ids[0], State: models.DeliverySent, Attempts: 2},
		{TaskID: ids[1], State: models.DeliverySent, Attempts: 1},
	}, models.PodHealthUp, "", later)
	if err != nil {
		t.Fatal(err)
	}
	if tg, err = st.PodDeliveryTargetOf(ctx, p.ID, ids); err != nil || tg.OfflineSince != nil || tg.LastSuccessAt == nil ||
		!tg.LastSuccessAt.Equal(later) || tg.States[ids[0]] != models.DeliverySent || tg.States[ids[1]] != models.DeliverySent ||
		tg.States[ids[2]] != models.DeliveryQueued {
		t.Fatalf("after two sent: %+v %v", tg, err)
	}
	var attempts int
	var lastError string
	if err := st.Scalar(ctx, &attempts, `SELECT attempts FROM deliveries WHERE task_id = ?`, ids[0]); err != nil || attempts != 2 {
		t.Errorf("attempts of the retried delivery: %d %v, want 2", attempts, err)
	}
	if err := st.Scalar(ctx, &lastError, `SELECT last_error FROM deliveries WHERE task_id = ?`, ids[0]); err != nil || lastError != "" {
		t.Errorf("last error of the sent delivery: %q %v, want none", lastError, err)
	}

	// Outcomes without the pod's health leave the pod as it is.
	if err := st.RecordDeliveryOutcomes(ctx, p.ID, []models.DeliveryOutcome{
		{TaskID: ids[2], State: models.DeliveryFailed, Attempts: 0, Error: "not sent: blocked"},
	}, models.PodHealthUnchanged, "", later.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if tg, err = st.PodDeliveryTargetOf(ctx, p.ID, ids); err != nil || !tg.LastSuccessAt.Equal(later) || tg.States[ids[2]] != models.DeliveryFailed {
		t.Fatalf("after an outcome without health: %+v %v", tg, err)
	}

	if _, err := st.PodDeliveryTargetOf(ctx, -1, ids); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("target of an unknown pod: %v, want ErrNotFound", err)
	}
}
