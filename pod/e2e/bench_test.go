package e2e

// Federation benchmarks (README, Performance, Federation): fan-out of a
// limited post (BenchmarkFanout), receipt through the receive job
// (BenchmarkReceive) and a backlog drained end to end by whole pods
// (BenchmarkBacklog). They run only with -bench:
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 60m ./pod/e2e/
//
// Settings (environment):
//
//	ASPEN_BENCH_BITS         RSA key sizes to run, comma-separated (default 2048,4096)
//	ASPEN_BENCH_KEYS         distinct keys generated per size and reused (default 16)
//	ASPEN_BENCH_CONCURRENCY  worker concurrency of every pod (default 4, FedOptions)
//	ASPEN_BENCH_MESSAGES     envelopes per route and iteration in BenchmarkReceive (default 300)
//	ASPEN_BENCH_PROFILE      a directory: write a CPU profile of each measured part there
//
// Every pod uses a database named bench_* and Redis databases 1 to 6.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/jobs"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/procstat"
	"github.com/aspenpod/aspen/pod/web"
)

// envInt reads a positive integer setting.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchBits lists the key sizes to run (ASPEN_BENCH_BITS).
func benchBits() []int {
	var out []int
	for _, f := range strings.Split(os.Getenv("ASPEN_BENCH_BITS"), ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n >= 1024 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = []int{2048, 4096}
	}
	return out
}

// benchFed is the worker setup of the benchmark pods: retries come fast,
// but the worker polls as in production: an idle worker looks for tasks
// every second (asynq's default; the tests' 20 ms costs this process about
// 60 ms of CPU per second, which the CPU figures would count), due retries
// every 5 s and the outbox relay every second.
func benchFed(database string) podtest.FedOptions {
	return podtest.FedOptions{RetryUnit: time.Millisecond, Database: database, DelayedTaskCheckInterval: 5 * time.Second,
		TaskCheckInterval: time.Second, RelayEvery: jobs.DefaultRelayEvery, Concurrency: envInt("ASPEN_BENCH_CONCURRENCY", 0)}
}

// withBits gives the pod's new users keys of that size (taken from the
// pool that seedKeyPool fills).
func withBits(bits int) podtest.Option {
	return func(o *pod.Options, _ *web.Options) { o.RSABits = bits }
}

var (
	benchKeyMu    sync.Mutex
	benchKeyCache = map[int][]*rsa.PrivateKey{}
)

// benchKeys returns n distinct RSA keys of a size, generated once per
// process on every core (a 4096-bit key takes 0.2–2 s) and reused by
// every benchmark: people get keys round-robin from this list.
func benchKeys(tb testing.TB, bits, n int) []*rsa.PrivateKey {
	tb.Helper()
	benchKeyMu.Lock()
	defer benchKeyMu.Unlock()
	have := benchKeyCache[bits]
	if len(have) >= n {
		return have[:n]
	}
	start := time.Now()
	missing := n - len(have)
	out := make([]*rsa.PrivateKey, missing)
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	errs := make(chan error, runtime.NumCPU())
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= missing {
					return
				}
				k, err := rsa.GenerateKey(rand.Reader, bits)
				if err != nil {
					errs <- err
					return
				}
				k.Precompute()
				out[j] = k
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
	benchKeyCache[bits] = append(have, out...)
	tb.Logf("generated %d RSA-%d keys in %s", missing, bits, time.Since(start).Round(time.Millisecond))
	return benchKeyCache[bits][:n]
}

// distinctKeys is how many keys per size the benchmarks generate.
func distinctKeys() int { return envInt("ASPEN_BENCH_KEYS", 16) }

// seedKeyPool puts keys into a pod's key pool, sealed with the pods'
// secret, so that its next sign-ups take them in this order.
func seedKeyPool(tb testing.TB, p *podtest.FedPod, bits int, keys []*rsa.PrivateKey) {
	tb.Helper()
	sealer, err := models.NewKeySealer(podtest.Secret)
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range keys {
		pub, err := models.PublicKeyPEM(&k.PublicKey)
		if err != nil {
			tb.Fatal(err)
		}
		sealed, err := sealer.Seal(k)
		if err != nil {
			tb.Fatal(err)
		}
		if err := p.Store.AddPooledKey(context.Background(), &models.PooledKey{Bits: bits, SerializedPublicKey: pub, SerializedPrivateKey: sealed}); err != nil {
			tb.Fatal(err)
		}
	}
}

// benchUser signs up a user whose key comes from the pod's key pool.
func benchUser(tb testing.TB, p *podtest.FedPod, name string) *user {
	tb.Helper()
	ctx := context.Background()
	if _, err := p.App.Accounts.SignUp(ctx, accounts.SignUpInput{Username: name, Email: name + "@example.org", Password: "password1", PasswordConfirmation: "password1"}); err != nil {
		tb.Fatal(err)
	}
	s, _, err := p.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: name, Password: "password1", ClientIP: "10.1.2.3"})
	if err != nil {
		tb.Fatal(err)
	}
	as, err := p.App.Contacts.Aspects(ctx, s)
	if err != nil {
		tb.Fatal(err)
	}
	u := &user{name: name, s: s, aspects: map[string]int64{}, p: p}
	for _, x := range as {
		u.aspects[x.Name] = x.ID
	}
	return u
}

// pgTracker follows the CPU time of the PostgreSQL backends serving the
// databases of some stores. The pools close connections beyond their 10
// idle ones, so backends come and go: sample often enough (the backlog
// does every 100 ms) and a backend that ends is counted up to its last
// sample; one that starts counts from zero.
type pgTracker struct {
	stores     []*models.Store
	base, last map[int]time.Duration
}

func newPGTracker(tb testing.TB, stores ...*models.Store) *pgTracker {
	t := &pgTracker{stores: stores, base: map[int]time.Duration{}, last: map[int]time.Duration{}}
	t.sample(tb)
	maps.Copy(t.base, t.last)
	return t
}

// sample reads the CPU time of every backend of the stores' databases.
func (t *pgTracker) sample(tb testing.TB) {
	tb.Helper()
	for _, st := range t.stores {
		var pids string
		if err := st.Scalar(context.Background(), &pids, `SELECT COALESCE(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
			tb.Fatal(err)
		}
		for _, f := range strings.Split(pids, ",") {
			pid, err := strconv.Atoi(f)
			if err != nil {
				continue
			}
			if d, ok := procstat.Process(pid); ok {
				t.last[pid] = d
			}
		}
	}
}

// used is the CPU the backends used from the first sample to the last.
func (t *pgTracker) used() time.Duration {
	var d time.Duration
	for pid, cpu := range t.last {
		d += cpu - t.base[pid]
	}
	return d
}

// redisCPU is the CPU time of the whole Redis server (INFO cpu). Redis is
// shared with other users of the machine, so this is an upper bound.
func redisCPU(tb testing.TB, rdb *redis.Client) time.Duration {
	tb.Helper()
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// cpuUse is a sample of this process's and Redis's CPU time, and a
// tracker of the PostgreSQL backends'.
type cpuUse struct {
	self  time.Duration
	pg    *pgTracker
	redis time.Duration
}

func sampleCPU(tb testing.TB, rdb *redis.Client, stores ...*models.Store) cpuUse {
	return cpuUse{self: procstat.Self(), pg: newPGTracker(tb, stores...), redis: redisCPU(tb, rdb)}
}

// cpuDelta is CPU used between two samples.
type cpuDelta struct{ self, pg, redis time.Duration }

// until is the CPU used since a: this process's, Redis's and that of the
// backends a tracks (sampled once more now).
func (a cpuUse) until(tb testing.TB, rdb *redis.Client) cpuDelta {
	self := procstat.Self()
	a.pg.sample(tb)
	return cpuDelta{self: self - a.self, pg: a.pg.used(), redis: redisCPU(tb, rdb) - a.redis}
}

// idleCPU measures the CPU this process uses per second while its pods
// are idle (asynq polling, heartbeats), to tell it from the measured work.
func idleCPU(d time.Duration) time.Duration {
	c0, t0 := procstat.Self(), time.Now()
	time.Sleep(d)
	return time.Duration(float64(procstat.Self()-c0) / time.Since(t0).Seconds())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// profile starts a CPU profile of a measured part when ASPEN_BENCH_PROFILE
// names a directory (not together with -cpuprofile); stop ends it.
func profile(tb testing.TB, name string) (stop func()) {
	dir := os.Getenv("ASPEN_BENCH_PROFILE")
	if dir == "" {
		return func() {}
	}
	path := filepath.Join(dir, name+".prof")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	// ASPEN_BENCH_PROFILE_HZ samples more often than pprof's 100 Hz, for
	// the short runs of a few posts (the runtime then warns that the rate
	// was set before StartCPUProfile, and keeps it).
	if hz := envInt("ASPEN_BENCH_PROFILE_HZ", 0); hz > 0 {
		runtime.SetCPUProfileRate(hz)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		tb.Logf("no profile of %s: %v", name, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		tb.Logf("CPU profile of the measured part: %s", path)
	}
}
