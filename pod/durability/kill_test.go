package durability

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/federation/receive"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
)

// TestWorkerKilledMidFanout kills the worker (SIGKILL: a real `pod worker`
// process) while it delivers a limited post to 100 remote people, and
// starts it again: every recipient receives the post exactly once.
//
// The receiving pods accept the first 30 deliveries and then hold the
// next ones unanswered; the worker is killed once those 30 are recorded
// as sent. So the kill lands where a crash usually does: some deliveries
// done, some in flight (their tasks orphaned in Redis), the rest queued.
// It does not land in the one window where exactly once cannot hold: after
// a remote pod answered 2xx and before the worker recorded "sent" (a
// database write of a millisecond). A crash there makes the delivery go
// out again after the restart: the remote pod gets it twice and applies
// it once (by its GUID), as with any diaspora* retry.
func TestWorkerKilledMidFanout(t *testing.T) {
	ctx := context.Background()
	bin := buildPod(t)
	rs := podtest.StartRedis(t)
	const name = "kill"
	sender := podtest.NewFedPod(t, name, 0, podtest.FedOptions{RedisURL: rs.URL(0), NoWorker: true})
	alice := newUser(t, sender, "alice")

	// 100 remote people on two receiving pods, all in alice's Family.
	const n, first = 100, 30
	rcv := newReceivers(first)
	hosts := []string{rcv.serve(t), rcv.serve(t)}
	keys := make([]*rsa.PrivateKey, 4)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	guids := map[string]bool{}
	err := sender.Store.Tx(ctx, func(tx *models.Store) error {
		now := time.Now().UTC()
		for i := 0; i < n; i++ {
			host := hosts[i%len(hosts)]
			if _, err := tx.EnsurePod(ctx, host, "http://"+host+"/"); err != nil {
				return err
			}
			pem, err := models.PublicKeyPEM(&keys[i%len(keys)].PublicKey)
			if err != nil {
				return err
			}
			p := &models.Person{GUID: pod.NewGUID(), DiasporaID: fmt.Sprintf("r%03d@%s", i, host), SerializedPublicKey: pem,
				PodHost: host, FetchedAt: &now}
			if err := tx.CreatePerson(ctx, p); err != nil {
				return err
			}
			if err := tx.CreateProfile(ctx, &models.Profile{PersonID: p.ID, FirstName: "Remote", LastName: strconv.Itoa(i)}); err != nil {
				return err
			}
			c, err := tx.EnsureContact(ctx, alice.s.UserID, p.ID)
			if err != nil {
				return err
			}
			if err := tx.SetContactFlags(ctx, c.ID, true, true); err != nil {
				return err
			}
			if _, err := tx.AddMembership(ctx, alice.aspects["Family"], c.ID); err != nil {
				return err
			}
			guids[p.GUID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	env := []string{
		"POD_ENV=development", "POD_HOST=" + sender.Addr, "POD_DATABASE_URL=" + modeltest.DSN(modeltest.PackageDBName(name)),
		"POD_REDIS_URL=" + rs.URL(0), "POD_SECRET_KEY=" + podtest.Secret, "POD_DATA_DIR=" + t.TempDir(),
		"POD_AUTO_MIGRATE=false", "POD_KEY_POOL_SIZE=0", "POD_RSA_BITS=1024", "POD_WORKER_CONCURRENCY=4",
		"POD_RETRY_UNIT=1ms", "POD_LOG_LEVEL=info", "POD_SHUTDOWN_TIMEOUT=1",
	}
	logPath := filepath.Join(t.TempDir(), "worker.log")
	w := startWorkerProcess(t, bin, env, logPath)

	post, err := alice.post(ctx, "Family", "A post to 100 remote people, while the worker dies")
	if err != nil {
		t.Fatal(err)
	}
	sent := func() int64 {
		return count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'sent'`, post.ID)
	}
	podtest.Eventually(t, wait, func() bool { return rcv.accepted() == first && sent() == first && rcv.holding() > 0 },
		"%d deliveries accepted and recorded, and more in flight (accepted %d, recorded %d, held %d)",
		first, rcv.accepted(), sent(), rcv.holding())
	if err := w.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w.Wait()
	// The held requests' connections died with the worker: they were not
	// delivered (the handlers see their requests cancelled).
	podtest.Eventually(t, 10*time.Second, func() bool { return rcv.holding() == 0 }, "held requests to end")
	rcv.release()
	if got := rcv.accepted(); got != first {
		t.Fatalf("%d deliveries accepted when the worker was killed, want %d", got, first)
	}

	// asynq gives a killed worker's tasks back once their lease (30 s,
	// renewed every few seconds) expired 30 s ago, when a worker starts
	// and then every minute: about a minute after the kill. Rather than
	// wait that minute, the test moves the leases back in time, which is
	// all the waiting would do.
	ageLeases(t, rs)
	w = startWorkerProcess(t, bin, env, logPath)

	podtest.Eventually(t, 2*wait, func() bool { return rcv.accepted() >= n && sent() == n },
		"every delivery to arrive after the restart (accepted %d of %d, recorded as sent %d)", rcv.accepted(), n, sent())
	podtest.Eventually(t, wait, func() bool { return queuesEmpty(t, rs) }, "the worker's queues to drain")
	time.Sleep(300 * time.Millisecond)
	counts := rcv.perRecipient()
	for g := range guids {
		if counts[g] != 1 {
			t.Errorf("recipient %s received the post %d times, want exactly 1", g, counts[g])
		}
	}
	if len(counts) != n || rcv.accepted() != n {
		t.Errorf("the receiving pods accepted %d deliveries for %d recipients, want %d for %d", rcv.accepted(), len(counts), n, n)
	}
	if t.Failed() {
		b, _ := os.ReadFile(logPath)
		t.Logf("worker log:\n%s", b)
	}
}

// buildPod builds the pod binary (cmd/pod) into the test's temp dir.
func buildPod(t *testing.T) string {
	t.Helper()
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("no go.mod above the test's directory")
		}
		root = parent
	}
	bin := filepath.Join(t.TempDir(), "pod")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pod")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pod: %v\n%s", err, out)
	}
	return bin
}

// startWorkerProcess runs `pod worker`, appending its log to logPath. It is
// killed when the test ends, if still running.
func startWorkerProcess(t *testing.T, bin string, env []string, logPath string) *exec.Cmd {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fmt.Fprintf(f, "--- pod worker starting at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
	})
	return cmd
}

// ageLeases moves the lease of every task a worker holds on rs an hour
// back (asynq's lease sets, asynq:{queue}:lease, score = expiry in Unix
// seconds), as if the killed worker had died long ago.
func ageLeases(t *testing.T, rs *podtest.RedisServer) {
	t.Helper()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "asynq:{*}:lease").Result()
	if err != nil {
		t.Fatal(err)
	}
	past := float64(time.Now().Add(-time.Hour).Unix())
	aged := 0
	for _, k := range keys {
		ids, err := rdb.ZRange(ctx, k, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if err := rdb.ZAddXX(ctx, k, redis.Z{Score: past, Member: id}).Err(); err != nil {
				t.Fatal(err)
			}
			aged++
		}
	}
	if aged == 0 {
		t.Fatal("the killed worker held no task: it was not killed in the middle of the fan-out")
	}
	t.Logf("aged the leases of %d orphaned tasks", aged)
}

func queuesEmpty(t *testing.T, rs *podtest.RedisServer) bool {
	ins := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr()})
	defer ins.Close()
	queues, err := ins.Queues()
	if err != nil {
		return false
	}
	for _, q := range queues {
		info, err := ins.GetQueueInfo(q)
		if err != nil || info.Pending+info.Active+info.Scheduled+info.Retry > 0 {
			return false
		}
	}
	return true
}

// receivers are light receiving pods (the real federation/receive.Handler)
// that count the deliveries they accept per recipient. After the first
// `first` they hold new deliveries unanswered until released; a held
// delivery whose sender went away is not accepted.
type receivers struct {
	mu       sync.Mutex
	first    int
	counts   map[string]int
	total    int
	held     int
	released chan struct{}
	open     bool
}

func newReceivers(first int) *receivers {
	return &receivers{first: first, counts: map[string]int{}, released: make(chan struct{})}
}

func (r *receivers) serve(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: &receive.Handler{Enqueuer: receive.EnqueuerFunc(r.enqueue)}}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func (r *receivers) enqueue(ctx context.Context, d receive.Delivery) error {
	r.mu.Lock()
	if !r.open && r.total >= r.first {
		r.held++
		r.mu.Unlock()
		select {
		case <-r.released:
		case <-ctx.Done():
		}
		r.mu.Lock()
		r.held--
		if ctx.Err() != nil {
			r.mu.Unlock()
			return errors.New("the sender went away")
		}
	}
	defer r.mu.Unlock()
	r.counts[d.RecipientGUID]++
	r.total++
	return nil
}

func (r *receivers) release() {
	r.mu.Lock()
	r.open = true
	r.mu.Unlock()
	close(r.released)
}

func (r *receivers) accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

func (r *receivers) holding() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.held
}

func (r *receivers) perRecipient() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		out[k] = v
	}
	return out
}
