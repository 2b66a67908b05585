package podtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/jobs"
	"github.com/aspenpod/aspen/pod/web"
)

// FedPod is a whole federating pod inside a test: its own database, its
// own Redis database (sessions and job queues), its own HTTP server on
// 127.0.0.1 and its own running job worker. Several FedPods in one test
// federate with each other over loopback.
type FedPod struct {
	*Pod
	Name    string
	Addr    string // 127.0.0.1:PORT, the host of its users' diaspora IDs
	RedisDB int
	Queue   *asynq.Client
	Worker  *jobs.Worker
	Log     *LogBuffer

	mu       sync.Mutex
	requests []Request
	handler  http.Handler
	opts     []Option
	redisURL string
}

// Request is one request a FedPod's server received.
type Request struct {
	Method, Path string
	Body         []byte
}

// FedOptions tune the worker of a FedPod.
type FedOptions struct {
	// Concurrency of the worker (4 if 0).
	Concurrency int
	// RetryUnit scales the federation retry schedule: the first retry
	// comes after 256 units (a millisecond if 0: 0.26 s).
	RetryUnit time.Duration
	// PodGiveUpAfter, if set, replaces the 14 days after which a failing
	// pod is given up.
	PodGiveUpAfter time.Duration
	// DelayedTaskCheckInterval is how often due retries are moved to their
	// queue (50 ms if 0; asynq's default, used in production, is 5 s).
	DelayedTaskCheckInterval time.Duration
	// TaskCheckInterval is how long an idle worker waits before looking
	// for tasks again (20 ms if 0; asynq's default, used in production, is
	// 1 s). Benchmarks of CPU use the production value: polling every 20 ms
	// costs an idle pod about 60 ms of CPU per second.
	TaskCheckInterval time.Duration
	// Database, if set, is the exact name of the pod's database instead of
	// one derived from the package and the pod's name (benchmarks: bench_*).
	Database string
	// Store, if set, is the pod's database (on a server of the test's own,
	// see StartPostgres), used as it is.
	Store *models.Store
	// RedisURL, if set, is the pod's Redis database (on a server of the
	// test's own, see StartRedis) instead of redisDB on POD_TEST_REDIS_URL.
	RedisURL string
	// NoWorker starts no job worker in the test's process (the test runs
	// `pod worker` as a process of its own).
	NoWorker bool
	// RelayEvery is the outbox relay's poll interval (50 ms if 0).
	RelayEvery time.Duration
	// FirstAttemptBudget, if set, replaces pod.DefaultFirstAttemptBudget.
	FirstAttemptBudget time.Duration
}

// DumpLogsOnFailure makes a failed test print the logs of its FedPods.
var DumpLogsOnFailure bool

// NewFedPod starts a federating pod. name picks its database (a suffix of
// the package's) and redisDB its database on FedRedisURL's Redis (the test
// process's own), which is emptied: give every pod of a test its own.
func NewFedPod(t testing.TB, name string, redisDB int, fo FedOptions, opts ...Option) *FedPod {
	t.Helper()
	var st *models.Store
	if fo.Store != nil {
		st = fo.Store
	} else if fo.Database != "" {
		st = modeltest.Exact(t, fo.Database)
	} else {
		st = modeltest.Named(t, name)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FedPod{Name: name, Addr: l.Addr().String(), RedisDB: redisDB, Log: &LogBuffer{}, opts: opts, redisURL: FedRedisURL(t)}
	if fo.RedisURL != "" {
		p.redisURL = fo.RedisURL
		ropt, err := redis.ParseURL(fo.RedisURL)
		if err != nil {
			t.Fatal(err)
		}
		p.RedisDB = ropt.DB
	}
	p.start(t, st, l, fo)
	t.Cleanup(func() {
		if t.Failed() && DumpLogsOnFailure {
			t.Logf("log of %s (%s):\n%s", p.Name, p.Addr, p.Log.String())
		}
	})
	return p
}

func (p *FedPod) start(t testing.TB, st *models.Store, l net.Listener, fo FedOptions) {
	ropt, err := redis.ParseURL(p.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	ropt.DB = p.RedisDB
	rdb := redis.NewClient(ropt)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("podtest: cannot reach Redis at %s: %v", ropt.Addr, err)
	}
	if p.Queue == nil { // first start: a clean Redis database
		if err := rdb.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	aopt := asynq.RedisClientOpt{Addr: ropt.Addr, Password: ropt.Password, DB: p.RedisDB}
	p.Queue = asynq.NewClient(aopt)
	log := slog.New(slog.NewTextHandler(io.MultiWriter(p.Log, verboseOut()), &slog.HandlerOptions{Level: slog.LevelInfo}))
	unit := fo.RetryUnit
	if unit == 0 {
		unit = time.Millisecond
	}
	base, h := assemble(t, st, rdb, p.Queue, pod.Options{
		Host: p.Addr, BaseURL: "http://" + p.Addr, RSABits: 1024, RegistrationsOpen: true, InviteCount: 5,
		AvatarMaxBytes: 1 << 20, RedisPrefix: "pod:", PodName: p.Name, FederationInsecure: true,
		PodGiveUpAfter: fo.PodGiveUpAfter, RetryUnit: unit, FirstAttemptBudget: fo.FirstAttemptBudget,
	}, web.Options{PodName: p.Name, Secret: Secret}, p.opts, log.With("pod", p.Name), log)
	p.handler = h
	base.Server = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(p.serve)}}
	base.Server.Start()
	conc := fo.Concurrency
	if conc == 0 {
		conc = 4
	}
	delayed := fo.DelayedTaskCheckInterval
	if delayed == 0 {
		delayed = 50 * time.Millisecond
	}
	check := fo.TaskCheckInterval
	if check == 0 {
		check = 20 * time.Millisecond
	}
	relay := fo.RelayEvery
	if relay == 0 {
		relay = 50 * time.Millisecond
	}
	if !fo.NoWorker {
		p.Worker, err = jobs.StartWorker(base.App, aopt, jobs.WorkerOptions{Concurrency: conc, NoScheduler: true,
			DelayedTaskCheckInterval: delayed, TaskCheckInterval: check, RelayEvery: relay,
			ShutdownTimeout: 5 * time.Second, Log: log.With("pod", p.Name)})
		if err != nil {
			t.Fatal(err)
		}
	}
	p.Pod = base
	t.Cleanup(p.stop)
}

var stopMu sync.Mutex

// stop shuts the server, the worker and the clients down (idempotent).
func (p *FedPod) stop() {
	stopMu.Lock()
	defer stopMu.Unlock()
	if p.Worker != nil {
		p.Worker.Shutdown()
		p.Worker = nil
	}
	if p.Pod != nil && p.Server != nil {
		p.Server.CloseClientConnections()
		p.Server.Close()
		p.Server = nil
	}
	if p.Queue != nil {
		p.Queue.Close()
	}
	if p.Pod != nil && p.Redis != nil {
		p.Redis.Close()
	}
}

// Stop takes the pod down: its server stops answering and its worker stops.
func (p *FedPod) Stop() { p.stop() }

// Restart brings a stopped pod back on the same address, database and Redis
// database (its queued jobs resume).
func (p *FedPod) Restart(t testing.TB, fo FedOptions) {
	t.Helper()
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if l, err = net.Listen("tcp", p.Addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart %s: %v", p.Name, err)
	}
	p.start(t, p.Store, l, fo)
}

func (p *FedPod) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/receive/") {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.mu.Lock()
		p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.Path, Body: body})
		p.mu.Unlock()
	} else {
		p.mu.Lock()
		p.requests = append(p.requests, Request{Method: r.Method, Path: r.URL.RequestURI()})
		p.mu.Unlock()
	}
	p.handler.ServeHTTP(w, r)
}

// Requests returns the requests the pod's server received so far.
func (p *FedPod) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// DiasporaID is the diaspora ID of a user of this pod.
func (p *FedPod) DiasporaID(username string) string { return username + "@" + p.Addr }

// QueuesEmpty reports whether the pod's job queues hold no pending,
// scheduled, retrying or running task.
func (p *FedPod) QueuesEmpty() (bool, error) {
	ins := asynq.NewInspector(asynq.RedisClientOpt{Addr: p.Redis.Options().Addr, DB: p.RedisDB})
	defer ins.Close()
	queues, err := ins.Queues()
	if err != nil {
		return false, err
	}
	for _, q := range queues {
		info, err := ins.GetQueueInfo(q)
		if err != nil {
			return false, err
		}
		if info.Pending+info.Active+info.Scheduled+info.Retry > 0 {
			return false, nil
		}
	}
	return true, nil
}

// Eventually polls cond until it holds or the timeout passes, then fails
// the test with the message.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s: %s", timeout, fmt.Sprintf(format, args...))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// LogBuffer collects a pod's log lines for assertions.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func verboseOut() io.Writer {
	if testing.Verbose() && os.Getenv("POD_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// Settled waits (up to timeout) until every pod's job queues and outbox
// are empty, seen so twice in a row: the pods are looked at one after the
// other, and a delivery that ends on one pod after the other pod was looked
// at leaves a fresh receive task there, which the second look sees.
func Settled(t testing.TB, timeout time.Duration, pods ...*FedPod) {
	t.Helper()
	empty := func() bool {
		for _, p := range pods {
			if ok, err := p.QueuesEmpty(); err != nil || !ok {
				return false
			}
			if b, err := p.App.Core.OutboxBacklog(context.Background()); err != nil || b.Unsent > 0 {
				return false
			}
		}
		return true
	}
	Eventually(t, timeout, func() bool {
		if !empty() {
			return false
		}
		time.Sleep(50 * time.Millisecond)
		return empty()
	}, "job queues and outboxes to drain")
}
