package federate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aspenpod/aspen/federation/transport"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Per-pod delivery (issue 17, goal 4): an attempt at a remote pod
// (attemptPod: the dispatch's first, deliverNow in outbound.go, or a
// per-pod task's) posts every recipient's finished body there in turn over
// the pod's keep-alive connection (the private route is per recipient,
// /receive/users/:guid). Every recipient keeps its own delivery record: a
// task skips the recipients already sent or given up (a retry, a task run
// again after a crash), retries the others with the task's backoff and
// gives them up after the task's last retry or when the pod has been
// failing for PodGiveUpAfter. Outcomes are recorded in batches: one
// statement for an attempt's outcomes, which also records the pod's
// health, and none for the pod when its success was recorded less than
// podUpFresh ago.

// outcomeFlushDelay bounds how long an accepted delivery may stay
// unrecorded while the task waits for the next POST: a crash in that window
// sends it again (the remote pod applies it once, by its GUID).
const outcomeFlushDelay = 20 * time.Millisecond

// podUpFresh: a pod whose success was recorded this recently, and that
// has not failed since, is not recorded as up again (PodSucceeded's rule).
const podUpFresh = 10 * time.Second

// DeliverPod is the per-pod delivery job: it posts each recipient's body
// and records the outcomes. retry is the number of earlier attempts of the
// task, maxRetry its budget.
func (a *Service) DeliverPod(ctx context.Context, d tasks.DeliverPod, retry, maxRetry int) error {
	target, err := a.store.PodDeliveryTargetOf(ctx, d.PodID, itemIDs(d.Items))
	switch {
	case errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("delivery to pod %d: the pod is no longer known: %w", d.PodID, ErrDropped)
	case err != nil:
		return err
	}
	// Only the deliveries not done yet (a delivery queued twice, or sent
	// before a crash, is not sent again).
	todo := d.Items[:0:0]
	for _, it := range d.Items {
		if s := target.States[it.DeliveryID]; s != models.DeliverySent && s != models.DeliveryFailed {
			todo = append(todo, it)
		}
	}
	if len(todo) < len(d.Items) {
		a.log.Info("federation: delivery done already, not sent again", "pod", d.PodID, "done", len(d.Items)-len(todo))
	}
	if len(todo) == 0 {
		return nil
	}
	r := a.attemptPod(ctx, podAttempt{podID: d.PodID, contentType: d.ContentType, items: todo,
		health: podHealth{offlineSince: target.OfflineSince, lastSuccessAt: target.LastSuccessAt}, retry: retry, maxRetry: maxRetry})
	switch {
	case r.err != nil:
		return r.err
	case r.sendErr != nil && retry >= maxRetry:
		return fmt.Errorf("%w: %w", r.sendErr, ErrDropped) // logged and recorded: finished
	}
	return r.sendErr
}

// podAttempt is one attempt at a pod's deliveries: the items not done yet,
// the pod's health as last read, the attempts made before and the budget.
type podAttempt struct {
	podID           int64
	contentType     string
	items           []tasks.DeliverItem
	health          podHealth
	retry, maxRetry int
	// stopAt, when set, is the time after which no further POST starts
	// (deliverNow's budget): the items left are returned untried.
	stopAt time.Time
}

// podResult is what an attempt did. Every item tried is recorded: sent,
// given up, or to be retried (retry).
type podResult struct {
	retry   []tasks.DeliverItem // failed, recorded as retrying
	untried []tasks.DeliverItem // not tried (stopAt passed), nothing recorded
	sendErr error               // the first failed POST's error
	err     error               // not done: cannot record, or given up (ErrDropped)
}

// attemptPod posts each item's body in turn over the pod's keep-alive
// connection and records the outcomes in batches (outcomes), unless the
// pod is blocked or has been failing for longer than PodGiveUpAfter: then
// every item is given up.
func (a *Service) attemptPod(ctx context.Context, at podAttempt) podResult {
	now := time.Now()
	rec := &outcomes{a: a, podID: at.podID,
		podUp: at.health.offlineSince == nil && at.health.lastSuccessAt != nil && now.Sub(*at.health.lastSuccessAt) < podUpFresh}
	// finish gives up every item: not sent, finished.
	finish := func(msg string) podResult {
		for _, it := range at.items {
			rec.add(models.DeliveryOutcome{TaskID: it.DeliveryID, State: models.DeliveryFailed, Attempts: at.retry, Error: msg}, 0, "")
		}
		if err := rec.flush(ctx, true); err != nil {
			return podResult{err: err}
		}
		return podResult{err: fmt.Errorf("pod %d: %s: %w", at.podID, msg, ErrDropped)}
	}
	if a.urlBlocked(ctx, at.items[0].URL) {
		a.log.Info("federation: delivery to a blocked pod not sent", "url", at.items[0].URL, "deliveries", len(at.items))
		return finish("not sent: " + errPodBlocked.Error())
	}
	if since := at.health.offlineSince; since != nil && now.Sub(*since) > a.opt.PodGiveUpAfter {
		msg := "given up: the pod has been failing since " + since.UTC().Format(time.RFC3339)
		a.stats.GivenUp.Add(int64(len(at.items)))
		a.log.Warn("federation: delivery given up", "url", at.items[0].URL, "deliveries", len(at.items), "reason", msg)
		return finish(msg)
	}

	last := at.retry >= at.maxRetry
	failed := models.DeliveryRetrying
	if last {
		failed = models.DeliveryFailed
	}
	var res podResult
	// fail records an item's failed attempt (health: what it shows of the
	// pod, with msg).
	fail := func(it tasks.DeliverItem, msg string, health int) {
		podErr := ""
		if health == models.PodHealthDown {
			podErr = msg
		}
		rec.add(models.DeliveryOutcome{TaskID: it.DeliveryID, State: failed, Attempts: at.retry + 1, Error: msg}, health, podErr)
		if last {
			a.stats.GivenUp.Add(1)
		} else {
			res.retry = append(res.retry, it)
		}
	}
	for i, it := range at.items {
		if !at.stopAt.IsZero() && time.Now().After(at.stopAt) {
			res.untried = at.items[i:]
			break
		}
		_, err := a.http.Post(ctx, it.URL, at.contentType, it.Body)
		if err == nil {
			a.stats.Delivered.Add(1)
			rec.add(models.DeliveryOutcome{TaskID: it.DeliveryID, State: models.DeliverySent, Attempts: at.retry + 1}, models.PodHealthUp, "")
			continue
		}
		a.stats.DeliveryErrors.Add(1)
		if res.sendErr == nil {
			res.sendErr = err
		}
		msg := err.Error()
		health := models.PodHealthDown
		if ctx.Err() != nil {
			// The job's time is up, or the worker is stopping: the
			// failure is this pod's own, not the remote pod's.
			health = models.PodHealthUnchanged
		}
		fail(it, msg, health)
		if last {
			a.log.Warn("federation: delivery given up", "url", it.URL, "attempts", at.retry+1, "last_error", msg)
		}
		var herr *transport.HTTPError
		if errors.As(err, &herr) && ctx.Err() == nil {
			continue // the pod answered: the next recipient may be fine
		}
		// No answer (the pod is down, or the task's time is up): the
		// other recipients there would fail the same way; they are
		// counted as failed with it, and retried with it.
		for _, rest := range at.items[i+1:] {
			fail(rest, "not tried: "+msg, models.PodHealthUnchanged)
		}
		break
	}
	res.err = rec.flush(ctx, true)
	return res
}

// outcomes collects a per-pod delivery task's outcomes and records them in
// batches: when the task ends, and outcomeFlushDelay after an outcome
// while the task still waits for a POST (so that a crash then does not send
// accepted deliveries again).
type outcomes struct {
	a     *Service
	podID int64

	mu      sync.Mutex
	pending []models.DeliveryOutcome
	health  int    // the pod's health to record with pending
	podErr  string // the pod's last error, with PodHealthDown
	at      time.Time
	timer   *time.Timer
	podUp   bool // the pod's success is recorded and fresh
	flushMu sync.Mutex
}

// add queues an outcome, with the pod's health it shows (0: none).
func (o *outcomes) add(out models.DeliveryOutcome, health int, podErr string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pending = append(o.pending, out)
	switch health {
	case models.PodHealthUp:
		o.health, o.at = health, time.Now()
	case models.PodHealthDown:
		if o.health != models.PodHealthUp {
			o.health, o.podErr, o.at = health, podErr, time.Now()
		}
	}
	if o.timer == nil {
		// A failed background flush keeps its outcomes for the next.
		o.timer = time.AfterFunc(outcomeFlushDelay, func() { _ = o.flush(context.Background(), false) })
	}
}

// flush records the pending outcomes in one statement. With final, it
// keeps trying while PostgreSQL is away (failing here would make the task
// send accepted deliveries again), for as long as the task may run, and
// records what a failed background flush left.
func (o *outcomes) flush(ctx context.Context, final bool) error {
	o.flushMu.Lock()
	defer o.flushMu.Unlock()
	o.mu.Lock()
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	batch, health, podErr, at := o.pending, o.health, o.podErr, o.at
	o.pending, o.health = nil, models.PodHealthUnchanged
	if health == models.PodHealthUp && o.podUp {
		health = models.PodHealthUnchanged // recorded less than podUpFresh ago
	}
	o.mu.Unlock()
	if len(batch) == 0 && health == models.PodHealthUnchanged {
		return nil
	}
	err := o.record(ctx, batch, health, podErr, at, final)
	o.mu.Lock()
	if err != nil {
		// Kept for the next flush, ahead of what came since.
		o.pending = append(batch, o.pending...)
		if o.health == models.PodHealthUnchanged {
			o.health, o.podErr, o.at = health, podErr, at
		}
	} else {
		switch health {
		case models.PodHealthUp:
			o.podUp = true
		case models.PodHealthDown:
			o.podUp = false
		}
	}
	o.mu.Unlock()
	return err
}

func (o *outcomes) record(ctx context.Context, batch []models.DeliveryOutcome, health int, podErr string, at time.Time, final bool) error {
	if at.IsZero() {
		at = time.Now()
	}
	// Recorded even when the task's context is done (its time is up):
	// what was sent must not be sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	deadline, ok := ctx.Deadline()
	if !ok || ctx.Err() != nil {
		deadline = time.Now().Add(30 * time.Second)
	}
	delay := 100 * time.Millisecond
	for {
		err := o.a.store.RecordDeliveryOutcomes(rctx, o.podID, batch, health, podErr, at)
		if err == nil || !final {
			return err
		}
		if time.Until(deadline) < delay+time.Second {
			return fmt.Errorf("delivered, but cannot record it (it will be sent again): %w", err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}
