package main

// The write scenario of `podload bench` (issue 17, goals 6 and 7): signed-in
// seeded users post through the publisher's form for the duration, then the
// bench waits until the pod's background work is done (the outbox relayed,
// the job queues empty) and reports the posts per second, how long the pod
// worked after the last post, and its resident memory idle and at peak.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
)

// backlog is the pod's unfinished background work at one moment: outbox
// rows not yet relayed into the job queue, and the job queues' tasks.
type backlog struct {
	Unsent    int64 // outbox rows without sent_at
	Pending   int   // queued, waiting for a worker
	Active    int   // running
	Scheduled int   // to run later (a delay, or a periodic task)
	Retry     int   // failed, to run again
	Archived  int   // failed for good (kept by asynq)
}

// busy reports whether work is left, with base the state before the run:
// scheduled and retrying tasks that were there already (a periodic check,
// an old failure) do not count as the run's work.
func (k backlog) busy(base backlog) bool {
	return k.Unsent > 0 || k.Pending > 0 || k.Active > 0 || k.Scheduled+k.Retry > base.Scheduled+base.Retry
}

func (k backlog) String() string {
	return fmt.Sprintf("outbox unsent %d, tasks pending %d, active %d, scheduled %d, retry %d, archived %d",
		k.Unsent, k.Pending, k.Active, k.Scheduled, k.Retry, k.Archived)
}

// writeResult is the write scenario's report.
type writeResult struct {
	clients          int
	stats            *loadStats
	public, limited  int64
	lastPost         time.Time
	base, atEnd      backlog
	drain            time.Duration // from the last post's answer to no work left
	drained          bool
	drainPolls       int
	queuesRead       bool // the job queues were read (else only the outbox)
	cpuLoad, cpuIdle cpuUse
	mem              memUse
	loadAvg          [3]string // 1-minute load average: before, at the last post, after the drain
}

// memUse is the pod's resident memory in kB: just before posting (after
// the bench's sign-ins, whose argon2 hashing takes 19 MiB each: the Go
// runtime keeps that memory until later garbage collections, not after a
// pause), the
// peak while posting and draining (the larger of VmRSS samples and VmHWM when it could be
// reset before the run) and after the drain.
type memUse struct {
	idle, peak, after int64
	hwmReset          bool
}

// procMemKB reads VmRSS and VmHWM (kB) from a /proc/PID/status text.
func procMemKB(status []byte) (rss, hwm int64, ok bool) {
	var haveRSS, haveHWM bool
	for line := range strings.SplitSeq(string(status), "\n") {
		key, val, found := strings.Cut(line, ":")
		if !found || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if key == "VmRSS" {
			rss, haveRSS = n, true
		} else {
			hwm, haveHWM = n, true
		}
	}
	return rss, hwm, haveRSS && haveHWM
}

func readMem(pid int) (rss, hwm int64, ok bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, false
	}
	return procMemKB(raw)
}

// loadAvg1 is the machine's 1-minute load average from /proc/loadavg.
func loadAvg1() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

// postForm is the publisher's form (templates/layouts/partials.html,
// multipart like the browser sends it): the text, the audience ("public"
// or one aspect ID) and the CSRF token.
func postForm(text, audience, token string) (body []byte, contentType string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("authenticity_token", token)
	w.WriteField("status_message[text]", text)
	w.WriteField("aspect_ids[]", audience)
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// post publishes one post as u through POST /status_messages, as the
// publisher's form does; the pod answers 303 to the new post's page, whose
// path it returns.
func (b *bencher) post(ctx context.Context, u *benchUser, text, audience string) (string, error) {
	body, ct := postForm(text, audience, u.CSRF)
	req, _ := http.NewRequestWithContext(ctx, "POST", b.o.URL+"/status_messages", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Cookie", u.Cookie)
	req.Header.Set("X-Forwarded-For", u.XFF)
	resp, err := b.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/posts/") {
		hint := ""
		if resp.StatusCode == http.StatusTooManyRequests {
			hint = " (rate limited: run the pod with POD_RATELIMIT_POSTS=off)"
		}
		return "", fmt.Errorf("POST /status_messages as %s: status %d, Location %q%s: %.200s", u.Username, resp.StatusCode, resp.Header.Get("Location"), hint, msg)
	}
	return resp.Header.Get("Location"), nil
}

// backlogNow reads the outbox and, with ins, the job queues.
func (b *bencher) backlogNow(ctx context.Context, ins *asynq.Inspector) (backlog, error) {
	var k backlog
	if err := b.db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&k.Unsent); err != nil {
		return k, fmt.Errorf("outbox: %w", err)
	}
	if ins == nil {
		return k, nil
	}
	queues, err := ins.Queues()
	if err != nil {
		return k, fmt.Errorf("job queues: %w", err)
	}
	for _, q := range queues {
		info, err := ins.GetQueueInfo(q)
		if err != nil {
			return k, fmt.Errorf("job queue %s: %w", q, err)
		}
		k.Pending += info.Pending
		k.Active += info.Active
		k.Scheduled += info.Scheduled
		k.Retry += info.Retry
		k.Archived += info.Archived
	}
	return k, nil
}

// waitDrained polls probe every poll until it reports no work left
// (against base) or timeout passes; it returns the time from start to the
// first idle reading, how many readings it took and whether it got there.
func waitDrained(ctx context.Context, start time.Time, base backlog, poll, timeout time.Duration, probe func() (backlog, error)) (time.Duration, int, bool, error) {
	for n := 1; ; n++ {
		k, err := probe()
		if err != nil {
			return 0, n, false, err
		}
		if !k.busy(base) {
			return time.Since(start), n, true, nil
		}
		if time.Since(start) > timeout {
			return time.Since(start), n, false, nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), n, false, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// benchPostText is the text of the i-th post of a run: every tenth carries
// the bench's tag, as about a tenth of the seeded posts do.
func benchPostText(r *rand.Rand, i int64, tag string) string {
	text := fmt.Sprintf("podload write %d: %x", i, r.Uint64())
	if i%10 == 0 && tag != "" {
		text += " #" + tag
	}
	return text
}

// runWrite is the write scenario: o.WriteClients clients post for
// o.Duration (a fraction o.Limited limited to one of the author's aspects,
// the rest public), then it waits for the background work to finish.
func (b *bencher) runWrite(ctx context.Context) (*writeResult, error) {
	o := b.o
	res := &writeResult{clients: o.WriteClients}
	var ins *asynq.Inspector
	if o.RedisURL != "" {
		opt, err := asynq.ParseRedisURI(o.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("bench write: redis URL: %w", err)
		}
		ins = asynq.NewInspector(opt)
		defer ins.Close()
		if _, err := ins.Queues(); err != nil {
			return nil, fmt.Errorf("bench write: job queues in %s: %w", o.RedisURL, err)
		}
		res.queuesRead = true
	}
	probe := func() (backlog, error) { return b.backlogNow(ctx, ins) }

	// Start from a pod with nothing left to do.
	base, err := probe()
	if err != nil {
		return nil, fmt.Errorf("bench write: %w", err)
	}
	if base.Unsent+int64(base.Pending+base.Active) > 0 {
		fmt.Fprintf(b.out, "write   waiting for earlier background work: %s\n", base)
		base.Unsent, base.Pending, base.Active = 0, 0, 0
		if _, _, ok, err := waitDrained(ctx, time.Now(), base, 200*time.Millisecond, o.DrainTimeout, probe); err != nil || !ok {
			return nil, fmt.Errorf("bench write: earlier background work did not finish: %v", err)
		}
		if base, err = probe(); err != nil {
			return nil, fmt.Errorf("bench write: %w", err)
		}
	}
	res.base = base

	// Memory: idle now; the peak from samples, and from VmHWM if the
	// kernel lets us reset it (clear_refs 5, Linux 4.0+, same user).
	var sampling atomic.Bool
	var peak atomic.Int64
	var sampler sync.WaitGroup
	if o.PID != 0 {
		if rss, _, ok := readMem(o.PID); ok {
			res.mem.idle = rss
			peak.Store(rss)
		}
		res.mem.hwmReset = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", o.PID), []byte("5"), 0) == nil
		sampling.Store(true)
		sampler.Add(1)
		go func() {
			defer sampler.Done()
			for sampling.Load() {
				if rss, _, ok := readMem(o.PID); ok && rss > peak.Load() {
					peak.Store(rss)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	res.loadAvg[0] = loadAvg1()

	// Post: each client posts until the deadline, finishing the post it
	// has started (a request cut off would leave the pod working on it
	// after the "last post").
	var seq atomic.Int64
	var mu sync.Mutex
	stats := &loadStats{}
	var wg sync.WaitGroup
	before := b.cpuNow(ctx)
	start := time.Now()
	deadline := start.Add(o.Duration)
	for i := range o.WriteClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(o.Seed, uint64(1000+i)))
			var lat []time.Duration
			var errs int
			var first string
			var pub, lim int64
			for time.Now().Before(deadline) && ctx.Err() == nil {
				u := b.user(r)
				audience := "public"
				if r.Float64() < o.Limited {
					audience = strconv.FormatInt(u.Aspects[r.IntN(len(u.Aspects))], 10)
				}
				t := time.Now()
				_, err := b.post(ctx, u, benchPostText(r, seq.Add(1), b.tag), audience)
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t))
				if audience == "public" {
					pub++
				} else {
					lim++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			stats.lat = append(stats.lat, lat...)
			stats.n += len(lat)
			stats.errs += errs
			if stats.firstErr == "" {
				stats.firstErr = first
			}
			res.public += pub
			res.limited += lim
		}()
	}
	wg.Wait()
	res.lastPost = time.Now()
	stats.elapsed = res.lastPost.Sub(start)
	res.stats = stats
	res.cpuLoad = b.cpuNow(ctx).since(before)
	res.loadAvg[1] = loadAvg1()
	fmt.Fprintf(b.out, "write   http  %2d clients: %7.1f posts/s  p50 %6.2f ms  p99 %6.2f ms  errors %d\n",
		o.WriteClients, stats.rate(), ms(stats.pct(0.5)), ms(stats.pct(0.99)), stats.errs)
	if stats.firstErr != "" {
		fmt.Fprintf(b.out, "write   first error: %s\n", stats.firstErr)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Drain: from the last post's answer until no work is left.
	if res.atEnd, err = probe(); err != nil {
		return nil, fmt.Errorf("bench write: %w", err)
	}
	fmt.Fprintf(b.out, "write   at the last post: %s\n", res.atEnd)
	beforeDrain := b.cpuNow(ctx)
	res.drain, res.drainPolls, res.drained, err = waitDrained(ctx, res.lastPost, base, 50*time.Millisecond, o.DrainTimeout, probe)
	if err != nil {
		return nil, fmt.Errorf("bench write: %w", err)
	}
	res.cpuIdle = b.cpuNow(ctx).since(beforeDrain)
	res.loadAvg[2] = loadAvg1()
	if o.PID != 0 {
		sampling.Store(false)
		sampler.Wait()
		res.mem.peak = peak.Load()
		if rss, hwm, ok := readMem(o.PID); ok {
			res.mem.after = rss
			if res.mem.hwmReset {
				res.mem.peak = max(res.mem.peak, hwm)
			}
		}
	}
	end, _ := probe()
	state := "done"
	if !res.drained {
		state = "NOT done"
	}
	fmt.Fprintf(b.out, "write   background work %s %s after the last post (%d readings); now: %s\n", state, res.drain.Round(time.Millisecond), res.drainPolls, end)
	if end.Archived > base.Archived {
		fmt.Fprintf(b.out, "write   %d background tasks failed for good during the run\n", end.Archived-base.Archived)
	}
	return res, nil
}

// reportWrite prints the write scenario's results as Markdown.
func (b *bencher) reportWrite(w *writeResult) {
	s := w.stats
	fmt.Fprintf(b.out, "\nwrite: %d clients posting for %s through POST /status_messages (%.0f%% limited to an aspect), %d users\n\n",
		w.clients, b.o.Duration, 100*b.o.Limited, len(b.users))
	fmt.Fprintln(b.out, "| posts | public / limited | posts/s | p50 ms | p99 ms | errors | backlog at the last post | background work done after the last post | load average (1 min): before, last post, done |")
	fmt.Fprintln(b.out, "|---:|---|---:|---:|---:|---:|---|---:|---|")
	drain := fmt.Sprintf("%.2f s", w.drain.Seconds())
	if !w.drained {
		drain = "not within " + b.o.DrainTimeout.String()
	}
	queued := fmt.Sprintf("%d queued, %d running", w.atEnd.Pending+w.atEnd.Scheduled+w.atEnd.Retry-w.base.Scheduled-w.base.Retry, w.atEnd.Active)
	if !w.queuesRead {
		queued = "job queues not read (no --redis-url)"
	}
	fmt.Fprintf(b.out, "| %d | %d / %d | %.1f | %.2f | %.2f | %d | %d outbox rows unsent, %s | %s | %s, %s, %s |\n",
		s.n, w.public, w.limited, s.rate(), ms(s.pct(0.5)), ms(s.pct(0.99)), s.errs,
		w.atEnd.Unsent, queued, drain, w.loadAvg[0], w.loadAvg[1], w.loadAvg[2])
	if s.firstErr != "" {
		fmt.Fprintf(b.out, "\nfirst error: %s\n", s.firstErr)
	}
	if w.cpuLoad.ok && s.n > 0 {
		n := float64(s.n)
		fmt.Fprintf(b.out, "\nCPU per post while posting (ms): pod %.2f, PostgreSQL %.2f, bench %.2f, other processes %.2f; machine %.0f%% busy\n",
			w.cpuLoad.server/n, w.cpuLoad.pg/n, w.cpuLoad.client/n, w.cpuLoad.other()/n, 100*w.cpuLoad.busy/w.cpuLoad.total)
		if w.cpuIdle.ok {
			fmt.Fprintf(b.out, "CPU after the last post until done (ms, in all): pod %.0f, PostgreSQL %.0f\n", w.cpuIdle.server, w.cpuIdle.pg)
		}
	}
	if b.o.PID != 0 {
		how := "VmRSS sampled every 20 ms"
		if w.mem.hwmReset {
			how += " and VmHWM reset before the run"
		}
		fmt.Fprintf(b.out, "pod serve resident memory (VmRSS): idle at the bench's start %s; before posting %s (after %d sign-ins); peak while posting and draining %s (%s); after the drain %s\n",
			mb(b.idleKB), mb(w.mem.idle), len(b.users), mb(w.mem.peak), how, mb(w.mem.after))
	}
}
