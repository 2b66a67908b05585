package durability

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/tasks"
)

// The dispatch job makes the first attempt at its deliveries itself and
// queues tasks only for what that attempt left. These tests run the
// dispatch directly, with no worker, so that the queue shows exactly what
// it queued.

// queuedDeliveries returns the per-pod delivery tasks waiting in the
// queue: pending (to run now) and scheduled (to run later), decoded.
func queuedDeliveries(t *testing.T, p *podtest.FedPod) (pending, scheduled []tasks.DeliverPod, scheduledAt []time.Time) {
	t.Helper()
	ins := asynq.NewInspector(asynq.RedisClientOpt{Addr: p.Redis.Options().Addr, DB: p.RedisDB})
	defer ins.Close()
	decode := func(infos []*asynq.TaskInfo) []tasks.DeliverPod {
		var out []tasks.DeliverPod
		for _, info := range infos {
			if info.Type != tasks.TypeDeliverPod {
				continue // the post's event, queued by CreatePost
			}
			d, err := tasks.DecodeDeliverPod(info.Payload)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
		}
		return out
	}
	pend, err := ins.ListPendingTasks(tasks.QueueDelivery)
	if err != nil && !strings.Contains(err.Error(), "queue not found") {
		t.Fatal(err)
	}
	sched, err := ins.ListScheduledTasks(tasks.QueueDelivery)
	if err != nil && !strings.Contains(err.Error(), "queue not found") {
		t.Fatal(err)
	}
	for _, info := range sched {
		if info.Type == tasks.TypeDeliverPod {
			scheduledAt = append(scheduledAt, info.NextProcessAt)
		}
	}
	return decode(pend), decode(sched), scheduledAt
}

// dispatchNow runs a post's dispatch job as the worker would, under a new
// event key.
func dispatchNow(t *testing.T, p *podtest.FedPod, postID int64) {
	t.Helper()
	if err := p.App.Federate.DispatchPost(context.Background(), &tasks.PostPublished{EventKey: tasks.EventKey{Key: pod.NewGUID()}, PostID: postID}); err != nil {
		t.Fatal(err)
	}
}

func itemPaths(d tasks.DeliverPod) []string {
	var out []string
	for _, it := range d.Items {
		out = append(out, it.URL[strings.Index(it.URL, "/receive/"):])
	}
	slices.Sort(out)
	return out
}

// TestDispatchMakesTheFirstAttempt: a limited post to three pods. The
// healthy pod gets every delivery from the dispatch job itself, and no
// task is queued for it; the pod that answers 500 for one recipient gets
// the others, and that one is recorded as retrying after one attempt and
// queued alone for the first retry's time, as a task that counts the
// attempt made (Tried 1); the pod recorded as failing is not tried by the
// dispatch, which queues its task at once.
func TestDispatchMakesTheFirstAttempt(t *testing.T) {
	ctx := context.Background()
	// The retry unit puts the first retry 2.56 s or more ahead
	// (FederationBackoff(1) is at least 4^4 units): the queue keeps whole
	// seconds.
	sender := podtest.NewFedPod(t, "firstattempt", 0, podtest.FedOptions{RetryUnit: 10 * time.Millisecond, NoWorker: true})
	alice := newUser(t, sender, "alice")
	ok, flaky, down := &countingPod{accepted: map[string]int{}}, &countingPod{accepted: map[string]int{}}, &countingPod{accepted: map[string]int{}}
	okGUIDs := remotePeople(t, sender, alice, "Family", ok.serve(t), 3)
	flakyGUIDs := remotePeople(t, sender, alice, "Family", flaky.serve(t), 3)
	downHost := down.serve(t)
	downGUIDs := remotePeople(t, sender, alice, "Family", downHost, 2)
	failing := "/receive/users/" + flakyGUIDs[1]
	flaky.failPath, flaky.failures = failing, 1
	if err := sender.Store.Exec(ctx, `UPDATE pods SET offline_since = now(), last_error = 'connection refused' WHERE host = ?`, downHost); err != nil {
		t.Fatal(err)
	}

	post, err := alice.post(ctx, "Family", "The dispatch job sends this itself")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	dispatchNow(t, sender, post.ID)

	got, _ := ok.counts()
	for _, g := range okGUIDs {
		if got["/receive/users/"+g] != 1 {
			t.Errorf("healthy pod: recipient %s got %d POSTs from the dispatch, want 1", g, got["/receive/users/"+g])
		}
	}
	got, _ = flaky.counts()
	if len(got) != 2 || got[failing] != 0 {
		t.Errorf("flaky pod accepted %v from the dispatch, want the two recipients other than %s", got, failing)
	}
	if got, _ := down.counts(); len(got) != 0 {
		t.Errorf("the pod recorded as failing got %v from the dispatch, want nothing", got)
	}
	if n := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'sent' AND attempts = 1`, post.ID); n != 5 {
		t.Errorf("%d deliveries recorded as sent at the first attempt, want 5", n)
	}
	if n := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'retrying' AND attempts = 1 AND recipient_guid = ? AND last_error <> ''`,
		post.ID, flakyGUIDs[1]); n != 1 {
		t.Errorf("the refused delivery is not recorded as retrying after one attempt, with its error")
	}
	if n := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'queued' AND recipient_guid IN (?, ?)`, post.ID, downGUIDs[0], downGUIDs[1]); n != 2 {
		t.Errorf("%d of the failing pod's deliveries are recorded as queued, want 2", n)
	}

	pending, scheduled, at := queuedDeliveries(t, sender)
	wantDown := []string{"/receive/users/" + downGUIDs[0], "/receive/users/" + downGUIDs[1]}
	slices.Sort(wantDown)
	if len(pending) != 1 || pending[0].Tried != 0 || !slices.Equal(itemPaths(pending[0]), wantDown) {
		t.Errorf("pending delivery tasks %+v, want one for the failing pod's two recipients, none tried", pending)
	}
	if len(scheduled) != 1 || scheduled[0].Tried != 1 || !slices.Equal(itemPaths(scheduled[0]), []string{failing}) {
		t.Fatalf("scheduled delivery tasks %+v, want one for the refused recipient, tried once", scheduled)
	}
	if at[0].Before(start.Add(time.Second)) {
		t.Errorf("the retry is scheduled for %s, less than the first retry's 2.56 s after %s", at[0], start)
	}
}

// TestFirstAttemptBudget: once the dispatch's time for first attempts is
// spent, no further POST starts, to a pod not started yet nor to one in
// progress; every delivery not tried goes into a task to run at once,
// with nothing recorded as attempted.
func TestFirstAttemptBudget(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		budget time.Duration
		delay  time.Duration // of each answer
	}{
		// Spent before the first pod starts.
		{"spent", time.Nanosecond, 0},
		// Spent while the pod's second POST waits for its answer: the
		// third (1.4 s or more after the start) does not start.
		{"during", time.Second, 700 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			sender := podtest.NewFedPod(t, "attemptbudget", 0, podtest.FedOptions{RetryUnit: time.Millisecond, NoWorker: true, FirstAttemptBudget: c.budget})
			alice := newUser(t, sender, "alice")
			rcv := &countingPod{accepted: map[string]int{}, delay: c.delay}
			guids := remotePeople(t, sender, alice, "Family", rcv.serve(t), 3)
			post, err := alice.post(ctx, "Family", "Not all in the dispatch's time")
			if err != nil {
				t.Fatal(err)
			}
			dispatchNow(t, sender, post.ID)
			got, _ := rcv.counts()
			sent := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'sent' AND attempts = 1`, post.ID)
			untried := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'queued' AND attempts = 0`, post.ID)
			pending, scheduled, _ := queuedDeliveries(t, sender)
			var want []string // the paths not posted
			for _, g := range guids {
				if got["/receive/users/"+g] == 0 {
					want = append(want, "/receive/users/"+g)
				}
			}
			slices.Sort(want)
			switch {
			case c.delay == 0 && len(got) != 0:
				t.Errorf("the dispatch posted %v after its time was spent", got)
			case c.delay > 0 && (len(got) == 0 || len(got) == 3):
				t.Errorf("the dispatch posted %v: want the first POST started, the third not", got)
			}
			if int(sent) != len(got) || int(untried) != 3-len(got) {
				t.Errorf("%d deliveries recorded as sent and %d as not attempted, after %d POSTs of 3", sent, untried, len(got))
			}
			if len(scheduled) != 0 || len(pending) != 1 || pending[0].Tried != 0 || !slices.Equal(itemPaths(pending[0]), want) {
				t.Errorf("queued: pending %+v, scheduled %+v; want one task to run now for %v", pending, scheduled, want)
			}
		})
	}
}

// TestFirstAttemptCutShortIsNotThePodsFault: when the dispatch job's time
// runs out (or the worker stops) while it waits for a pod's answer, the
// deliveries are recorded as to be retried, but the pod is not recorded as
// failing: its deliveries would otherwise skip the first attempt, and the
// admins would see it as down, for this pod's own reason. The dispatch
// ends with an error, so that it runs again.
func TestFirstAttemptCutShortIsNotThePodsFault(t *testing.T) {
	ctx := context.Background()
	sender := podtest.NewFedPod(t, "attemptcut", 0, podtest.FedOptions{RetryUnit: time.Millisecond, NoWorker: true})
	alice := newUser(t, sender, "alice")
	rcv := &countingPod{accepted: map[string]int{}, delay: 3 * time.Second}
	host := rcv.serve(t)
	remotePeople(t, sender, alice, "Family", host, 2)
	post, err := alice.post(ctx, "Family", "Cut short")
	if err != nil {
		t.Fatal(err)
	}
	jctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := sender.App.Federate.DispatchPost(jctx, &tasks.PostPublished{EventKey: tasks.EventKey{Key: pod.NewGUID()}, PostID: post.ID}); err == nil {
		t.Error("a dispatch cut short ended without an error: it would not run again")
	}
	if n := count(t, sender, `SELECT count(*) FROM pods WHERE host = ? AND offline_since IS NULL`, host); n != 1 {
		t.Error("the pod is recorded as failing because the dispatch's time ran out")
	}
	if n := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'retrying' AND attempts = 1`, post.ID); n != 2 {
		t.Errorf("%d deliveries recorded as retrying after the cut attempt, want 2", n)
	}
}
