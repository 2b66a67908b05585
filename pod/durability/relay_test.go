package durability

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/tasks"
	"github.com/hibiken/asynq"
)

// TestRelayedTwiceSentOnce relays a post's outbox row a second time after
// its dispatch and delivery are done (as when the relay dies between
// queuing a row and marking it sent), and runs its delivery again: the
// remote pod still receives the post once.
func TestRelayedTwiceSentOnce(t *testing.T) {
	ctx := context.Background()
	fo := fast
	fo.RedisURL = podtest.StartRedis(t).URL(0)
	pod1, pod2, alice, bob := sharingPods(t, "twice", fo, false)

	from := len(pod2.Requests())
	post, err := alice.post(ctx, "Friends", "Sent once, relayed twice")
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if n := receivePosts(pod2, from); n != 1 {
		t.Fatalf("bob's pod received %d deliveries, want 1", n)
	}

	// The relay queues the row again: the dispatch job runs again.
	if err := pod1.Store.Exec(ctx, `UPDATE outbox SET sent_at = NULL WHERE task_type = ?`, tasks.TypePostPublished); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool { return backlog(t, pod1) == 0 }, "the relay to queue the row again")
	settled(t, pod1, pod2)
	time.Sleep(200 * time.Millisecond)
	if n := receivePosts(pod2, from); n != 1 {
		t.Errorf("after the dispatch ran again bob's pod has received %d deliveries, want 1", n)
	}

	// The delivery task itself runs again (queued twice meanwhile).
	var taskID string
	if err := pod1.Store.Scalar(ctx, &taskID, `SELECT task_id FROM deliveries WHERE post_id = ?`, post.ID); err != nil {
		t.Fatal(err)
	}
	var podID int64
	if err := pod1.Store.Scalar(ctx, &podID, `SELECT pod_id FROM deliveries WHERE post_id = ?`, post.ID); err != nil {
		t.Fatal(err)
	}
	d := tasks.Deliver{URL: "http://" + pod2.Addr + "/receive/users/" + bob.s.GUID, ContentType: "application/json", PodID: podID, Body: []byte(`{}`)}
	if err := pod1.App.Federate.Deliver(ctx, taskID, d, 0, tasks.MaxDeliveryRetries); err != nil {
		t.Fatal(err)
	}
	if n := receivePosts(pod2, from); n != 1 {
		t.Errorf("after the delivery ran again bob's pod has received %d deliveries, want 1", n)
	}
}

// TestLegacyDispatchTaskStillRuns: a pod upgraded while tasks of the old
// single dispatch type ("federation:dispatch", one struct told apart by
// kind) wait in Redis runs them as the events they describe.
func TestLegacyDispatchTaskStillRuns(t *testing.T) {
	ctx := context.Background()
	fo := fast
	fo.RedisURL = podtest.StartRedis(t).URL(0)
	pod1, pod2, alice, _ := sharingPods(t, "legacy", fo, false)

	from := len(pod2.Requests())
	post, err := alice.post(ctx, "Friends", "Queued before the upgrade")
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if n := receivePosts(pod2, from); n != 1 {
		t.Fatalf("bob's pod received %d deliveries, want 1", n)
	}
	// As if the post had been written before the upgrade: no delivery
	// recorded yet, and its dispatch waiting in Redis in the old form.
	if err := pod1.Store.Exec(ctx, `DELETE FROM deliveries WHERE post_id = ?`, post.ID); err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"kind":"post","key":"legacy-` + post.GUID + `","post_id":` + strconv.FormatInt(post.ID, 10) + `}`)
	if _, err := pod1.Queue.EnqueueContext(ctx, asynq.NewTask(tasks.TypeLegacyDispatch, payload, asynq.Queue(tasks.QueueDelivery))); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2)
	if n := receivePosts(pod2, from); n != 2 {
		t.Errorf("after the legacy dispatch bob's pod has received %d deliveries, want 2", n)
	}
}

// TestUnqueueableRowIsSetAside: an outbox row no task type of this version
// knows (written by a newer or broken version) is set aside, not retried
// forever nor counted as sent: the backlog counts it for the admin.
func TestUnqueueableRowIsSetAside(t *testing.T) {
	ctx := context.Background()
	fo := fast
	fo.RedisURL = podtest.StartRedis(t).URL(0)
	p := podtest.NewFedPod(t, "aside1", 0, fo)
	if _, err := p.Store.AddOutbox(ctx, []models.OutboxRow{{TaskType: "federation:from-the-future", TaskID: "future:1", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		b, err := p.Store.OutboxBacklog(ctx)
		return err == nil && b.Unsent == 0 && b.SetAside == 1
	}, "the relay to set the row aside")
	if !strings.Contains(p.Log.String(), "outbox: row cannot be queued, set aside") {
		t.Errorf("no log line for the set-aside row:\n%s", p.Log.String())
	}
}
