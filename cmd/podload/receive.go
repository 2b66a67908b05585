package main

// The receive scenario: public envelopes from a remote person POSTed to
// /receive/public (see federation.go).

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/pod"
)

// receiveResult is the receive scenario's outcome.
type receiveResult struct {
	n, bits int
	elapsed time.Duration
	cpu     cpuUse
	verify  time.Duration
	stats   *loadStats
}

// runReceive has a new remote person, whom the first signed-in user
// shares with, send --receive-messages public posts to /receive/public,
// and waits until the pod stored them all.
func (b *bencher) runReceive(ctx context.Context) (*receiveResult, error) {
	o := b.o
	u := b.users[0]
	res := &receiveResult{n: o.ReceiveMessages, bits: o.FedBits}
	keys, err := b.generateKeys(1, o.FedBits)
	if err != nil {
		return nil, err
	}
	key := keys[0]
	host := "sender." + remoteDomain
	// The pod never needs to reach the sender's pod: its person and key
	// are known. A closed port makes any attempt fail at once.
	if err := b.ensurePod(ctx, host, "http://127.0.0.1:1/"); err != nil {
		return nil, fmt.Errorf("bench receive: %w", err)
	}
	did := fmt.Sprintf("s%d-%d@%s", o.FedBits, time.Now().UnixNano(), host)
	sender, err := b.createRemotePerson(ctx, did, host, &key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("bench receive: %w", err)
	}
	if _, err := b.shareWith(ctx, u, receiveAspect, []int64{sender.ID}); err != nil {
		return nil, fmt.Errorf("bench receive: %w", err)
	}
	defer b.cleanUp(ctx, u, receiveAspect)

	warm := min(50, o.ReceiveMessages)
	fmt.Fprintf(b.out, "receive signing %d envelopes (RSA-%d)\n", warm+o.ReceiveMessages, o.FedBits)
	bodies, err := signedPosts(did, key, warm+o.ReceiveMessages)
	if err != nil {
		return nil, fmt.Errorf("bench receive: %w", err)
	}
	send := func(bodies [][]byte, clients int) (*loadStats, error) {
		var next atomic.Int64
		var mu sync.Mutex
		stats := &loadStats{}
		var wg sync.WaitGroup
		t0 := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var lat []time.Duration
				for i := int(next.Add(1) - 1); i < len(bodies) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
					t := time.Now()
					err := b.receivePublic(ctx, bodies[i])
					mu.Lock()
					if err != nil {
						stats.errs++
						if stats.firstErr == "" {
							stats.firstErr = err.Error()
						}
					}
					mu.Unlock()
					lat = append(lat, time.Since(t))
				}
				mu.Lock()
				stats.lat = append(stats.lat, lat...)
				stats.n += len(lat)
				mu.Unlock()
			}()
		}
		wg.Wait()
		stats.elapsed = time.Since(t0)
		if stats.errs > 0 {
			return stats, fmt.Errorf("%d of %d envelopes refused, first: %s", stats.errs, len(bodies), stats.firstErr)
		}
		return stats, ctx.Err()
	}
	// stored waits for want posts of the sender; 30 s without a new one
	// means the pod dropped the rest.
	stored := func(want int, t0 time.Time) error {
		last, progress := -1, time.Now()
		for {
			var n int
			if err := b.db.QueryRow(ctx, `SELECT count(*) FROM posts WHERE author_id = $1`, sender.ID).Scan(&n); err != nil {
				return err
			}
			if n >= want {
				return nil
			}
			if n != last {
				last, progress = n, time.Now()
			}
			if time.Since(progress) > 30*time.Second || time.Since(t0) > fedWait {
				return fmt.Errorf("the pod stored %d of %d received posts in %s (its log says why it dropped the others)", n, want, time.Since(t0).Round(time.Second))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, err := send(bodies[:warm], o.Clients); err != nil {
		return nil, fmt.Errorf("bench receive: warm-up: %w", err)
	}
	if err := stored(warm, time.Now()); err != nil {
		return nil, fmt.Errorf("bench receive: warm-up: %w", err)
	}
	c0 := b.cpuNow(ctx)
	t0 := time.Now()
	if res.stats, err = send(bodies[warm:], o.Clients); err != nil {
		return nil, fmt.Errorf("bench receive: %w", err)
	}
	if err := stored(warm+o.ReceiveMessages, t0); err != nil {
		return nil, fmt.Errorf("bench receive: %w", err)
	}
	res.elapsed = time.Since(t0)
	res.cpu = b.cpuNow(ctx).since(c0)
	fmt.Fprintf(b.out, "receive %d envelopes stored in %s: %.0f/s; POST p50 %.2f ms, p99 %.2f ms\n",
		o.ReceiveMessages, res.elapsed.Round(time.Millisecond), float64(o.ReceiveMessages)/res.elapsed.Seconds(), ms(res.stats.pct(0.5)), ms(res.stats.pct(0.99)))

	// The bound: the signature check every envelope needs.
	env, err := envelope.Parse(bodies[0])
	if err != nil {
		return nil, fmt.Errorf("bench receive: %w", err)
	}
	sum := sha256.Sum256([]byte(envelope.SignatureBase(env.Data)))
	if res.verify, err = bareCPU(50, func(int) error {
		return rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], env.Signature)
	}); err != nil {
		return nil, fmt.Errorf("bench receive: the bare check: %w", err)
	}
	return res, nil
}

// signedPosts signs n public status messages from did, on every core.
func signedPosts(did string, key *rsa.PrivateKey, n int) ([][]byte, error) {
	out := make([][]byte, n)
	now := time.Now().UTC()
	err := onEveryCore(n, func(i int) error {
		sm := &entity.StatusMessage{Author: did, GUID: pod.NewGUID(), CreatedAt: now.Add(time.Duration(i) * time.Millisecond), Public: true,
			Text: fmt.Sprintf("Message %d for the receive bench, about as long as a short post, with a #podload tag.", i)}
		body, err := envelope.SignEntity(sm, did, key)
		out[i] = body
		return err
	})
	return out, err
}

// receivePublic POSTs one envelope as a remote pod does; the pod answers 202.
func (b *bencher) receivePublic(ctx context.Context, body []byte) error {
	req, _ := http.NewRequestWithContext(ctx, "POST", b.o.URL+"/receive/public", bytes.NewReader(body))
	req.Header.Set("Content-Type", envelope.ContentType)
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /receive/public: status %d: %.200s", resp.StatusCode, msg)
	}
	return nil
}

// reportReceive prints the receive scenario's result as Markdown.
func (b *bencher) reportReceive(r *receiveResult) {
	n := float64(r.n)
	fmt.Fprintf(b.out, "\nreceive: %d public envelopes (status messages, RSA-%d) POSTed to /receive/public by %d clients, until the pod stored every post\n\n", r.n, r.bits, b.o.Clients)
	fmt.Fprintln(b.out, "| envelopes/s | pod CPU per envelope | PostgreSQL per envelope | bare check (rsa.VerifyPKCS1v15) | pod ÷ bound: % of the bound | with PostgreSQL |")
	fmt.Fprintln(b.out, "|---:|---:|---:|---:|---:|---:|")
	if !r.cpu.ok {
		fmt.Fprintf(b.out, "| %.0f | - | - | %.0f µs | - | - |\n", n/r.elapsed.Seconds(), float64(r.verify)/1e3)
		return
	}
	pod, pg := 1000*r.cpu.server/n, 1000*r.cpu.pg/n
	v := float64(r.verify) / 1e3
	fmt.Fprintf(b.out, "| %.0f | %.0f µs | %.0f µs | %.0f µs | **%.0f %%** | %.0f %% |\n", n/r.elapsed.Seconds(), pod, pg, v, 100*v/pod, 100*v/(pod+pg))
	fmt.Fprintln(b.out, "\nGoal 5 of issue 17: the pod's CPU per envelope at most 1.25 × the bare check (80 % of the bound). The pod's figure includes taking the POST, queueing it and its idle background work.")
}
