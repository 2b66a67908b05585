package e2e

import (
	"context"
	"fmt"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

const (
	backlogPods  = 5   // receiving pods
	backlogUsers = 10  // users on each
	backlogPosts = 100 // limited posts in the burst
)

// BenchmarkBacklog runs six whole pods in this process (own database, Redis
// database 1–6, HTTP server and worker each): alice on the sending pod
// shares with 10 users on each of 5 receiving pods (found by WebFinger,
// added to an aspect: the contact entities go out and are applied first),
// then posts 100 limited posts to them at once: 5,000 private deliveries.
// It reports the wall time from the first post until every delivery is
// sent, received, applied (10 × 100 share visibilities on every receiving
// pod) and every queue is empty, with milestones on the way and the CPU of
// this process, of the pods' PostgreSQL backends and of Redis. Goroutines
// carry a pprof label pod=sender or pod=receiver, so that the profile of
// the burst (ASPEN_BENCH_PROFILE) splits by side (README: where the time
// goes).
func BenchmarkBacklog(b *testing.B) {
	for _, bits := range benchBits() {
		b.Run(fmt.Sprintf("bits=%d", bits), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runBacklog(b, bits)
			}
		})
	}
}

// labelled runs fn with a pprof label that the goroutines it starts keep.
func labelled(side string, fn func()) {
	pprof.Do(context.Background(), pprof.Labels("pod", side), func(context.Context) { fn() })
}

func runBacklog(b *testing.B, bits int) {
	b.StopTimer()
	ctx := context.Background()
	keys := benchKeys(b, bits, distinctKeys())
	setup := time.Now()
	var sender *podtest.FedPod
	labelled("sender", func() {
		sender = podtest.NewFedPod(b, "backlog_s", 1, benchFed(fmt.Sprintf("bench_backlog_%d_sender", bits)), withBits(bits))
	})
	seedKeyPool(b, sender, bits, keys[:1])
	alice := benchUser(b, sender, "alice")
	rcv := make([]*podtest.FedPod, backlogPods)
	var users []*user
	for i := range rcv {
		labelled("receiver", func() {
			rcv[i] = podtest.NewFedPod(b, fmt.Sprintf("backlog_r%d", i+1), 2+i, benchFed(fmt.Sprintf("bench_backlog_%d_r%d", bits, i+1)), withBits(bits))
		})
		for j := 0; j < backlogUsers; j++ {
			seedKeyPool(b, rcv[i], bits, keys[1+(i*backlogUsers+j)%(len(keys)-1):][:1])
			users = append(users, benchUser(b, rcv[i], fmt.Sprintf("u%d", j)))
		}
	}
	all := append([]*podtest.FedPod{sender}, rcv...)
	for _, u := range users {
		res, err := sender.App.Contacts.SearchPeople(ctx, alice.s, u.id())
		if err != nil || len(res) != 1 {
			b.Fatalf("alice searching %s: %v %+v", u.id(), err, res)
		}
		if _, err := sender.App.Contacts.AddToAspect(ctx, alice.s, alice.aspects["Friends"], res[0].ID); err != nil {
			b.Fatal(err)
		}
	}
	drained(b, 2*time.Minute, all...)
	for _, p := range rcv {
		if n := countTB(b, p, `SELECT count(*) FROM contacts WHERE sharing`); n != backlogUsers {
			b.Fatalf("%s: %d users know that alice shares with them, want %d", p.Name, n, backlogUsers)
		}
	}
	b.Logf("RSA-%d: 6 pods, %d users found and shared with in %s", bits, len(users), time.Since(setup).Round(time.Millisecond))
	stores := make([]*models.Store, len(rcv))
	for i, p := range rcv {
		stores[i] = p.Store
	}
	received0 := int64(0)
	for _, p := range rcv {
		received0 += p.App.Federate.Stats().Received.Load()
	}
	want := backlogPosts * backlogPods * backlogUsers

	cpu0 := sampleCPU(b, sender.Redis, sender.Store)
	pgR := newPGTracker(b, stores...)
	stopProfile := profile(b, fmt.Sprintf("backlog-%d", bits))
	b.StartTimer()
	t0 := time.Now()
	for i := 0; i < backlogPosts; i++ {
		if _, err := sender.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: fmt.Sprintf("Backlog post %d: a limited post to 50 people on 5 pods, with a #benchmark tag.", i),
			Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}}); err != nil {
			b.Fatal(err)
		}
	}
	posted := time.Since(t0)
	// Milestones, polled every 100 ms.
	var dispatched, sent, applied, empty time.Duration
	var nRec, nSent, nApplied int64
	lastLog := time.Now()
	for empty == 0 {
		if time.Since(t0) > 10*time.Minute {
			for _, p := range all {
				b.Logf("%s: %s", p.Name, queueState(b, p))
			}
			b.Fatalf("not drained after 10 minutes: %d of %d recorded, %d sent, %d applied", nRec, want, nSent, nApplied)
		}
		if time.Since(lastLog) > 10*time.Second {
			lastLog = time.Now()
			b.Logf("  after %.0f s: %d of %d recorded, %d sent, %d applied", time.Since(t0).Seconds(), nRec, want, nSent, nApplied)
		}
		time.Sleep(100 * time.Millisecond)
		cpu0.pg.sample(b)
		pgR.sample(b)
		now := time.Since(t0)
		nRec, nSent = deliveryCounts(b, sender)
		nApplied = 0
		for _, p := range rcv {
			nApplied += countTB(b, p, `SELECT count(*) FROM share_visibilities`)
		}
		if dispatched == 0 && nRec == int64(want) {
			dispatched = now
		}
		if sent == 0 && nSent == int64(want) {
			sent = now
		}
		if applied == 0 && nApplied == int64(want) {
			applied = now
		}
		if dispatched > 0 && sent > 0 && applied > 0 && queuesEmpty(b, all...) {
			empty = time.Since(t0)
		}
	}
	b.StopTimer()
	stopProfile()
	cpu := cpu0.until(b, sender.Redis)
	pgR.sample(b)
	for _, p := range rcv {
		if n := countTB(b, p, `SELECT count(*) FROM posts`); n != backlogPosts {
			b.Errorf("%s has %d posts, want %d", p.Name, n, backlogPosts)
		}
	}
	var received, dropped, retried int64
	for _, p := range rcv {
		received += p.App.Federate.Stats().Received.Load()
		dropped += p.App.Federate.Stats().Dropped.Load()
	}
	retried = sender.App.Federate.Stats().DeliveryErrors.Load()
	received -= received0

	b.ReportMetric(empty.Seconds(), "s-drained")
	b.ReportMetric(dispatched.Seconds(), "s-dispatched")
	b.ReportMetric(sent.Seconds(), "s-sent")
	b.ReportMetric(applied.Seconds(), "s-applied")
	b.ReportMetric(cpu.self.Seconds(), "cpu-s")
	b.ReportMetric((cpu.pg + pgR.used()).Seconds(), "pg-cpu-s")
	b.ReportMetric(0, "ns/op")
	b.Logf("RSA-%d, worker concurrency %d: %d posts to %d people on %d pods = %d private deliveries",
		bits, max(4, benchFed("").Concurrency), backlogPosts, backlogPods*backlogUsers, backlogPods, want)
	b.Logf("  posted in %.2f s; all dispatched (sealed, recorded) %.1f s, all sent %.1f s, all applied %.1f s, every queue empty %.1f s",
		posted.Seconds(), dispatched.Seconds(), sent.Seconds(), applied.Seconds(), empty.Seconds())
	b.Logf("  CPU: this process (6 pods) %.1f s, PostgreSQL sender %.1f s + receivers %.1f s, Redis ≤ %.1f s; machine: %.1f s of %.1f s (2 cores)",
		cpu.self.Seconds(), cpu.pg.Seconds(), pgR.used().Seconds(), cpu.redis.Seconds(),
		(cpu.self + cpu.pg + pgR.used() + cpu.redis).Seconds(), 2*empty.Seconds())
	b.Logf("  per delivery: %.0f µs of this process, %.0f µs PostgreSQL; receive jobs applied %d, dropped %d; failed delivery attempts %d",
		us(cpu.self)/float64(want), us(cpu.pg+pgR.used())/float64(want), received, dropped, retried)
}

func countTB(tb testing.TB, p *podtest.FedPod, query string, args ...any) int64 {
	tb.Helper()
	n, err := p.Store.Count(context.Background(), query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// deliveryCounts counts the sender's post deliveries: recorded and sent.
func deliveryCounts(tb testing.TB, p *podtest.FedPod) (recorded, sent int64) {
	tb.Helper()
	var s string
	if err := p.Store.Scalar(context.Background(), &s, `SELECT count(*) || ' ' || count(*) FILTER (WHERE state = 'sent') FROM deliveries WHERE post_id IS NOT NULL`); err != nil {
		tb.Fatal(err)
	}
	fmt.Sscan(s, &recorded, &sent)
	return recorded, sent
}

func queuesEmpty(tb testing.TB, pods ...*podtest.FedPod) bool {
	for _, p := range pods {
		ok, err := p.QueuesEmpty()
		if err != nil {
			tb.Fatal(err)
		}
		if !ok {
			return false
		}
	}
	return true
}

// drained waits until every pod's queues are empty.
func drained(tb testing.TB, timeout time.Duration, pods ...*podtest.FedPod) {
	tb.Helper()
	podtest.Eventually(tb, timeout, func() bool { return queuesEmpty(tb, pods...) }, "job queues to drain")
}

// queueState describes a pod's queues, for a failure message.
func queueState(tb testing.TB, p *podtest.FedPod) string {
	ins := asynq.NewInspector(asynq.RedisClientOpt{Addr: p.Redis.Options().Addr, DB: p.RedisDB})
	defer ins.Close()
	queues, err := ins.Queues()
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, q := range queues {
		if info, err := ins.GetQueueInfo(q); err == nil {
			out = append(out, fmt.Sprintf("%s: %d pending, %d active, %d scheduled, %d retry, %d archived",
				q, info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived))
		}
	}
	return strings.Join(out, "; ")
}
