package e2e

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/procstat"
	"github.com/aspenpod/aspen/pod/tasks"
)

const receiveRedisDB = 2

// BenchmarkReceive runs the receive job (App.Receive: decrypt, verify,
// parse, sender rules, apply to a real database) on public and on private
// envelopes of status messages, each with a new GUID so that each is
// really stored, as many at a time as a worker runs jobs (4). Chunks of 50
// jobs alternate with chunks of the bare RSA work a job cannot avoid:
// rsa.VerifyPKCS1v15 (public), rsa.DecryptPKCS1v15 + rsa.VerifyPKCS1v15
// (private). It reports envelopes per second of the pod's CPU (and with
// its PostgreSQL backends' CPU added) against that bound, and fails if 50
// more envelopes, with every allocation recorded, allocate anything under
// PEM decoding, x509 parsing or key unsealing: the key cache must spare
// every message those.
func BenchmarkReceive(b *testing.B) {
	for _, bits := range benchBits() {
		b.Run(fmt.Sprintf("bits=%d", bits), func(b *testing.B) {
			r := newReceiver(b, bits)
			for _, route := range []string{"public", "private"} {
				b.Run("route="+route, func(b *testing.B) { r.run(b, route == "private") })
			}
		})
	}
}

type receiver struct {
	bits     int
	p        *podtest.FedPod
	bob      *user
	bobGUID  string
	bobKey   *rsa.PrivateKey
	alice    string // remote sender's diaspora ID
	aliceKey *rsa.PrivateKey
	sent     int
}

func newReceiver(b *testing.B, bits int) *receiver {
	ctx := context.Background()
	keys := benchKeys(b, bits, distinctKeys())
	r := &receiver{bits: bits, bobKey: keys[0], aliceKey: keys[1], alice: "alice@pod-a.example"}
	r.p = podtest.NewFedPod(b, "receive", receiveRedisDB, benchFed(fmt.Sprintf("bench_receive_%d", bits)), withBits(bits))
	seedKeyPool(b, r.p, bits, keys[:1])
	r.bob = benchUser(b, r.p, "bob")
	bobPerson, err := r.p.Store.PersonByDiasporaID(ctx, r.bob.id())
	if err != nil {
		b.Fatal(err)
	}
	r.bobGUID = bobPerson.GUID
	// alice, a remote person bob shares with and who shares with him.
	err = r.p.Store.Tx(ctx, func(tx *models.Store) error {
		if _, err := tx.EnsurePod(ctx, "pod-a.example", "https://pod-a.example/"); err != nil {
			return err
		}
		pem, err := models.PublicKeyPEM(&r.aliceKey.PublicKey)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		a := &models.Person{GUID: pod.NewGUID(), DiasporaID: r.alice, SerializedPublicKey: pem, PodHost: "pod-a.example", FetchedAt: &now}
		if err := tx.CreatePerson(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateProfile(ctx, &models.Profile{PersonID: a.ID, FirstName: "Alice", Searchable: true}); err != nil {
			return err
		}
		c, err := tx.EnsureContact(ctx, r.bob.s.UserID, a.ID)
		if err != nil {
			return err
		}
		if err := tx.SetContactFlags(ctx, c.ID, true, true); err != nil {
			return err
		}
		_, err = tx.AddMembership(ctx, r.bob.aspects["Friends"], c.ID)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// messages builds n envelopes from alice: signed status messages, sealed
// for bob when private.
func (r *receiver) messages(b *testing.B, n int, private bool) []tasks.Receive {
	out := make([]tasks.Receive, n)
	for i := range out {
		r.sent++
		sm := &entity.StatusMessage{Author: r.alice, GUID: pod.NewGUID(), CreatedAt: time.Now().UTC(), Public: !private,
			Text: fmt.Sprintf("Message %d for the receive benchmark, about as long as a short post, with a #benchmark tag.", r.sent)}
		payload, err := entity.MarshalXML(sm)
		if err != nil {
			b.Fatal(err)
		}
		env, err := envelope.Sign(payload, r.alice, r.aliceKey)
		if err != nil {
			b.Fatal(err)
		}
		out[i].Body = env.Marshal()
		if private {
			if out[i].Body, err = envelope.Seal(out[i].Body, &r.bobKey.PublicKey); err != nil {
				b.Fatal(err)
			}
			out[i].RecipientGUID = r.bobGUID
		}
	}
	return out
}

func (r *receiver) run(b *testing.B, private bool) {
	ctx := context.Background()
	n := envInt("ASPEN_BENCH_MESSAGES", 300)
	workers := envInt("ASPEN_BENCH_CONCURRENCY", 4)
	// The bare RSA operations: a signature made once, an encrypted key
	// bundle made once (the cost does not depend on the values).
	d := sha256.Sum256([]byte("signed data"))
	sig, err := rsa.SignPKCS1v15(nil, r.aliceKey, crypto.SHA256, d[:])
	if err != nil {
		b.Fatal(err)
	}
	encKey, err := rsa.EncryptPKCS1v15(rand.Reader, &r.bobKey.PublicKey, []byte(`{"key":"Wa2P98ctcsmtNSgBECI3dEwV+UFiyfOou5u3yGg5OTM=","iv":"jWN6nOp66P4FnVaijz6QvA=="}`))
	if err != nil {
		b.Fatal(err)
	}
	bare := func(int) {
		if private {
			if _, err := rsa.DecryptPKCS1v15(nil, r.bobKey, encKey); err != nil {
				b.Error(err)
			}
		}
		if err := rsa.VerifyPKCS1v15(&r.aliceKey.PublicKey, crypto.SHA256, d[:], sig); err != nil {
			b.Error(err)
		}
	}
	for _, m := range r.messages(b, 10, private) { // warm-up: key cache, statements, connections
		if err := r.p.App.Federate.Receive(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	// Chunks of jobs alternate with chunks of bare operations, each run by
	// as many goroutines as the worker runs jobs, so that both see the
	// same machine (load from elsewhere, CPU frequency).
	const chunk = 50
	var jobWall, jobCPU, rsaCPU, pg time.Duration
	total := 0
	stopProfile := profile(b, fmt.Sprintf("receive-%d-%s", r.bits, map[bool]string{false: "public", true: "private"}[private]))
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		msgs := r.messages(b, n, private)
		// The garbage of building the messages (signing) is collected
		// now, not during the chunks, whose CPU is the receive jobs'.
		runtime.GC()
		b.StartTimer()
		for lo := 0; lo < n; lo += chunk {
			part := msgs[lo:min(lo+chunk, n)]
			pg0, c0, t0 := newPGTracker(b, r.p.Store), procstat.Self(), time.Now()
			pprof.Do(ctx, pprof.Labels("part", "job"), func(ctx context.Context) {
				parallel(workers, len(part), func(i int) {
					if err := r.p.App.Federate.Receive(ctx, part[i]); err != nil {
						b.Error(err)
					}
				})
			})
			c1, t1 := procstat.Self(), time.Now()
			pg0.sample(b)
			pg += pg0.used()
			c2 := procstat.Self()
			parallel(workers, len(part), bare)
			rsaCPU += procstat.Self() - c2
			jobWall += t1.Sub(t0)
			jobCPU += c1 - c0
			total += len(part)
		}
		if b.Failed() {
			b.FailNow()
		}
	}
	b.StopTimer()
	stopProfile()
	// Every envelope was applied: one post per GUID (10 warm-up each run).
	posts, err := r.p.Store.Count(ctx, `SELECT count(*) FROM posts p JOIN people pe ON pe.id = p.author_id WHERE pe.diaspora_id = ?`, r.alice)
	if err != nil || posts != int64(r.sent) {
		b.Fatalf("%d posts stored for %d envelopes sent: %v", posts, r.sent, err)
	}
	// No key parsing per message: with every allocation recorded, 50 more
	// envelopes allocate nothing under PEM or key parsing or unsealing.
	parses := keyParsing(b, func() {
		for _, m := range r.messages(b, 50, private) {
			if err := r.p.App.Federate.Receive(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	if parses != 0 {
		b.Errorf("%d allocations under key parsing while receiving 50 envelopes: the key cache missed", parses)
	}
	N := float64(total)
	perMsg := func(d time.Duration) float64 { return us(d) / N }
	bound := 1e6 / perMsg(rsaCPU)
	podRate := 1e6 / perMsg(jobCPU)
	allRate := 1e6 / (perMsg(jobCPU) + perMsg(pg))
	b.ReportMetric(N/jobWall.Seconds(), "msgs/s")
	b.ReportMetric(perMsg(jobCPU), "cpu-µs/msg")
	b.ReportMetric(perMsg(pg), "pg-µs/msg")
	b.ReportMetric(perMsg(rsaCPU), "rsa-µs/msg")
	b.ReportMetric(podRate, "msgs/core-s")
	b.ReportMetric(100*podRate/bound, "%-of-bound")
	b.ReportMetric(100*allRate/bound, "%-of-bound-with-pg")
	b.ReportMetric(0, "ns/op")
	route := "public"
	if private {
		route = "private"
	}
	b.Logf("%s envelopes, RSA-%d: %d through App.Receive, %d at a time: %.0f per second on this machine",
		route, r.bits, total, workers, N/jobWall.Seconds())
	b.Logf("  CPU per envelope: pod process %.0f µs, its PostgreSQL backends %.0f µs; bare RSA (same run) %.0f µs",
		perMsg(jobCPU), perMsg(pg), perMsg(rsaCPU))
	b.Logf("  key parsing: %d allocations under PEM, x509 or key unsealing code in 50 more envelopes (every allocation recorded)", parses)
	b.Logf("  per core: %.0f envelopes/s (pod CPU), %.0f (pod + PostgreSQL CPU); bound (bare RSA) %.0f: %.0f %% and %.0f %% of it",
		podRate, allRate, bound, 100*podRate/bound, 100*allRate/bound)
}

// parallel runs fn(0..n-1) on k goroutines.
func parallel(k, n int, fn func(i int)) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < k; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// keyParsing runs fn recording every allocation and counts the objects
// allocated under PEM decoding, x509 parsing or private key unsealing.
func keyParsing(tb testing.TB, fn func()) int64 {
	count := func() int64 {
		runtime.GC()
		runtime.GC() // the profile is published at the end of a cycle
		n, _ := runtime.MemProfile(nil, true)
		recs := make([]runtime.MemProfileRecord, n+100)
		n, _ = runtime.MemProfile(recs, true)
		var total int64
		for _, r := range recs[:n] {
			frames := runtime.CallersFrames(r.Stack())
			for {
				f, more := frames.Next()
				if strings.HasPrefix(f.Function, "encoding/pem.") || strings.HasPrefix(f.Function, "crypto/x509.") ||
					strings.Contains(f.Function, "federation.Parse") || strings.Contains(f.Function, "KeySealer).Open") {
					total += r.AllocObjects
					break
				}
				if !more {
					break
				}
			}
		}
		return total
	}
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	// Each P samples its next allocation at the old rate's distance (512
	// KB on average): allocate past it everywhere so that the new rate
	// holds from here on.
	parallel(runtime.GOMAXPROCS(0)*4, runtime.GOMAXPROCS(0)*4, func(int) {
		for i := 0; i < 64; i++ {
			sink = make([]byte, 64<<10)
		}
	})
	before := count()
	fn()
	return count() - before
}

var sink []byte
