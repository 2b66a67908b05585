package main

// The federation scenarios of `podload bench`, which make it the one
// command that reports every goal of issue 17 on a seeded pod:
//
//   - receive: public envelopes of status messages from a remote person,
//     POSTed to /receive/public by --clients clients, until the pod has
//     stored every post; CPU per envelope against the bare RSA check.
//   - fanout: limited posts of a seeded user, made through the publisher's
//     form, to an aspect of --fed-recipients remote people on 10 pods,
//     until every delivery arrived and is recorded as sent; CPU per post
//     against the bare RSA work (one signature, a key sealed per
//     recipient).
//
// The remote side lives in this process. Remote people and their pods are
// written into the pod's database as discovery would have left them
// (profiles fresh, so the pod fetches nothing), under host names in
// .podload.test (reserved by RFC 2606: they never resolve). The recipients'
// pods' URLs point at loopback listeners of this run, so the pod must run
// with POD_FEDERATION_INSECURE=true (plain HTTP to a loopback address).
// Recipients are kept across runs (their keys take a while to make), the
// sender of the receive scenario is new each run.

import (
	"bytes"
	"context"
	"crypto"
	crand "crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

const (
	remoteDomain = "podload.test"
	fanoutPods   = 10
	// fedWait bounds each wait for the pod: every delivery of one post,
	// every envelope of a receive run stored.
	fedWait = 5 * time.Minute
	// receiveAspect holds the receive scenario's sender while it runs.
	receiveAspect = "podload receive"
)

// fedScenario reports whether name is a federation scenario.
func fedScenario(name string) bool { return name == "receive" || name == "fanout" }

// splitScenarios sorts the scenarios asked for into the read scenarios (in
// their order), the write scenario and the federation scenarios.
func splitScenarios(names []string) (reads []string, write bool, fed []string) {
	for _, n := range names {
		switch {
		case n == "write":
			write = true
		case fedScenario(n):
			fed = append(fed, n)
		default:
			reads = append(reads, n)
		}
	}
	return reads, write, fed
}

// threadCPU is the CPU time of the calling OS thread, to the nanosecond
// (the bare RSA figures are measured on one locked thread).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return time.Duration(time.Now().UnixNano())
	}
	return time.Duration(ts.Nano())
}

// bareCPU is the thread CPU time of one call of fn, the mean of rounds.
func bareCPU(rounds int, fn func(i int) error) (time.Duration, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := fn(0); err != nil { // warm
		return 0, err
	}
	t := threadCPU()
	for i := range rounds {
		if err := fn(i); err != nil {
			return 0, err
		}
	}
	return (threadCPU() - t) / time.Duration(rounds), nil
}

// remotePods are the recipients' pods: loopback listeners that accept a
// private envelope for any person, check its shape and count it.
type remotePods struct {
	hosts []string // fanout-K.podload.test
	urls  []string // http://127.0.0.1:PORT/
	srvs  []*http.Server

	mu     sync.Mutex
	got    map[string]int // recipient GUID -> envelopes
	n      int
	bad    []string // what was wrong with refused requests
	bytes  int64
	first  time.Time
	last   time.Time
	change chan struct{}
}

func startRemotePods(n int) (*remotePods, error) {
	rp := &remotePods{got: map[string]int{}, change: make(chan struct{}, 1)}
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			rp.close()
			return nil, fmt.Errorf("remote pods: %w", err)
		}
		srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(l) //nolint:errcheck // ends with close
		rp.srvs = append(rp.srvs, srv)
		rp.hosts = append(rp.hosts, fmt.Sprintf("fanout-%d.%s", i, remoteDomain))
		rp.urls = append(rp.urls, "http://"+l.Addr().String()+"/")
	}
	return rp, nil
}

func (rp *remotePods) close() {
	for _, s := range rp.srvs {
		s.Close()
	}
}

// ServeHTTP takes POST /receive/users/GUID with a private envelope (JSON
// with aes_key and encrypted_magic_envelope) and answers 202, as a pod
// does; anything else is counted as bad and refused.
func (rp *remotePods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	guid, ok := strings.CutPrefix(r.URL.Path, "/receive/users/")
	var env struct {
		AESKey string `json:"aes_key"`
		Data   string `json:"encrypted_magic_envelope"`
	}
	why := ""
	switch {
	case r.Method != http.MethodPost || !ok || guid == "":
		why = r.Method + " " + r.URL.Path
	case err != nil:
		why = "body: " + err.Error()
	case r.Header.Get("Content-Type") != envelope.PrivateContentType:
		why = "content type " + r.Header.Get("Content-Type")
	case json.Unmarshal(body, &env) != nil || env.AESKey == "" || env.Data == "":
		why = "not a private envelope"
	}
	rp.mu.Lock()
	if why != "" {
		rp.bad = append(rp.bad, why)
	} else {
		now := time.Now()
		if rp.n == 0 {
			rp.first = now
		}
		rp.last = now
		rp.n++
		rp.got[guid]++
		rp.bytes += int64(len(body))
	}
	rp.mu.Unlock()
	select {
	case rp.change <- struct{}{}:
	default:
	}
	if why != "" {
		http.Error(w, why, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// reset forgets what arrived.
func (rp *remotePods) reset() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.got, rp.n, rp.bad, rp.bytes = map[string]int{}, 0, nil, 0
}

// wait returns once n envelopes arrived, or with an error when a request
// was refused, timeout passed or check, called every quarter second while
// waiting, fails.
func (rp *remotePods) wait(ctx context.Context, n int, timeout time.Duration, check func() error) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		rp.mu.Lock()
		got, bad := rp.n, slices.Clone(rp.bad)
		rp.mu.Unlock()
		switch {
		case len(bad) > 0:
			return fmt.Errorf("the recipients' pods refused %d request(s), first: %s", len(bad), bad[0])
		case got >= n:
			return nil
		}
		select {
		case <-rp.change:
		case <-tick.C:
			if err := check(); err != nil {
				return err
			}
		case <-deadline.C:
			return fmt.Errorf("%d of %d deliveries arrived within %s", got, n, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// remotePerson is a person of another pod as the bench wrote it.
type remotePerson struct {
	ID   int64
	GUID string
	Key  *rsa.PublicKey
}

// ensurePod records a remote pod at url, healthy: a run before may have
// left it recorded as failing (its listener gone), and the pod does not
// make a first attempt to a pod recorded as failing.
func (b *bencher) ensurePod(ctx context.Context, host, url string) error {
	if _, err := b.st.EnsurePod(ctx, host, url); err != nil {
		return fmt.Errorf("pod %s: %w", host, err)
	}
	_, err := b.db.Exec(ctx, `UPDATE pods SET url = $2, offline_since = NULL, last_failure_at = NULL, last_error = ''
		WHERE lower(host) = lower($1)`, host, url)
	return err
}

// createRemotePerson writes a remote person and a fresh profile.
func (b *bencher) createRemotePerson(ctx context.Context, diasporaID, host string, pub *rsa.PublicKey) (*models.Person, error) {
	pem, err := models.PublicKeyPEM(pub)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	p := &models.Person{GUID: pod.NewGUID(), DiasporaID: diasporaID, SerializedPublicKey: pem, PodHost: host, FetchedAt: &now}
	name, _, _ := strings.Cut(diasporaID, "@")
	err = b.st.Tx(ctx, func(tx *models.Store) error {
		if err := tx.CreatePerson(ctx, p); err != nil {
			return err
		}
		return tx.CreateProfile(ctx, &models.Profile{PersonID: p.ID, FirstName: name, Searchable: true})
	})
	return p, err
}

// generateKeys makes n RSA keys of bits, on every core, saying how far it got.
func (b *bencher) generateKeys(n, bits int) ([]*rsa.PrivateKey, error) {
	keys := make([]*rsa.PrivateKey, n)
	var next, done atomic.Int64
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				k, err := rsa.GenerateKey(crand.Reader, bits)
				if err != nil {
					errs <- err
					return
				}
				keys[i] = k
				if d := done.Add(1); d%10 == 0 || int(d) == n {
					fmt.Fprintf(b.out, "fed     %d of %d RSA-%d keys made (%s)\n", d, n, bits, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return keys, <-errs
}

// recipients returns n remote people with RSA-bits keys spread over the
// pods, making those a run before did not leave.
func (b *bencher) recipients(ctx context.Context, rp *remotePods, n, bits int) ([]remotePerson, error) {
	for i, host := range rp.hosts {
		if err := b.ensurePod(ctx, host, rp.urls[i]); err != nil {
			return nil, err
		}
	}
	id := func(i int) string { return fmt.Sprintf("r%d-%04d@%s", bits, i, rp.hosts[i%len(rp.hosts)]) }
	ids := make([]string, n)
	for i := range ids {
		ids[i] = id(i)
	}
	rows, err := b.db.Query(ctx, `SELECT id, guid, diaspora_id, serialized_public_key FROM people WHERE diaspora_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("recipients: %w", err)
	}
	have := map[string]remotePerson{}
	for rows.Next() {
		var p remotePerson
		var did, pem string
		if err := rows.Scan(&p.ID, &p.GUID, &did, &pem); err != nil {
			rows.Close()
			return nil, err
		}
		if p.Key, err = federation.ParsePublicKey([]byte(pem)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("recipient %s: %w", did, err)
		}
		have[did] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []int
	for i, did := range ids {
		if _, ok := have[did]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(b.out, "fed     making %d remote recipients (RSA-%d keys, kept in the database for later runs)\n", len(missing), bits)
		keys, err := b.generateKeys(len(missing), bits)
		if err != nil {
			return nil, err
		}
		for j, i := range missing {
			p, err := b.createRemotePerson(ctx, ids[i], rp.hosts[i%len(rp.hosts)], &keys[j].PublicKey)
			if err != nil {
				return nil, fmt.Errorf("recipient %s: %w", ids[i], err)
			}
			have[ids[i]] = remotePerson{ID: p.ID, GUID: p.GUID, Key: &keys[j].PublicKey}
		}
	}
	out := make([]remotePerson, n)
	for i, did := range ids {
		out[i] = have[did]
	}
	return out, nil
}

// shareWith makes the people contacts of u, both ways, all in one aspect
// named name (created if u has none of that name), and returns it.
func (b *bencher) shareWith(ctx context.Context, u *benchUser, name string, people []int64) (int64, error) {
	var aspectID int64
	err := b.st.Tx(ctx, func(tx *models.Store) error {
		err := b.db.QueryRow(ctx, `SELECT id FROM aspects WHERE user_id = $1 AND name = $2`, u.ID, name).Scan(&aspectID)
		if err != nil {
			a := &models.Aspect{UserID: u.ID, Name: name}
			if err := tx.CreateAspect(ctx, a); err != nil {
				return err
			}
			aspectID = a.ID
		}
		for _, pid := range people {
			c, err := tx.EnsureContact(ctx, u.ID, pid)
			if err != nil {
				return err
			}
			if err := tx.SetContactFlags(ctx, c.ID, true, true); err != nil {
				return err
			}
			if _, err := tx.AddMembership(ctx, aspectID, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("aspect %q of %s: %w", name, u.Username, err)
	}
	return aspectID, nil
}

// unshare undoes shareWith: the aspect and u's contacts in it go, the
// remote people stay for later runs. Left in place, they would have the
// posts of other scenarios (the write scenario's, public or to that
// aspect) delivered to pods whose listeners are gone, retried for days.
func (b *bencher) unshare(ctx context.Context, u *benchUser, name string) error {
	tx, err := b.db.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE user_id = $1 AND id IN (SELECT m.contact_id FROM aspect_memberships m
		JOIN aspects a ON a.id = m.aspect_id WHERE a.user_id = $1 AND a.name = $2)`, u.ID, name); err != nil {
		return fmt.Errorf("remove the contacts of aspect %q: %w", name, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM aspects WHERE user_id = $1 AND name = $2`, u.ID, name); err != nil {
		return fmt.Errorf("remove aspect %q: %w", name, err)
	}
	return tx.Commit(ctx)
}

// cleanUp unshares, saying so when it cannot.
func (b *bencher) cleanUp(ctx context.Context, u *benchUser, name string) {
	if err := b.unshare(context.WithoutCancel(ctx), u, name); err != nil {
		fmt.Fprintf(b.out, "fed     %s keeps remote contacts (remove aspect %q): %v\n", u.Username, name, err)
	}
}

// fanoutPost is one post's fan-out, times from the form's POST.
type fanoutPost struct {
	first, last, sent time.Duration
	cpu               cpuUse
	bytes             int64
}

// fanoutResult is the fanout scenario's outcome.
type fanoutResult struct {
	recipients, bits, senderBits int
	posts                        []fanoutPost
	idle                         float64 // the pod's CPU per second when idle (ms)
	sign, seal                   time.Duration
}

// runFanout posts --fanout-posts limited posts (after one to warm up) as
// the first signed-in user to an aspect of --fed-recipients remote people.
func (b *bencher) runFanout(ctx context.Context, rp *remotePods) (*fanoutResult, error) {
	o := b.o
	u := b.users[0]
	people, err := b.recipients(ctx, rp, o.FedRecipients, o.FedBits)
	if err != nil {
		return nil, fmt.Errorf("bench fanout: %w", err)
	}
	ids := make([]int64, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	name := fmt.Sprintf("fan-out %d/%d", len(people), o.FedBits)
	aspect, err := b.shareWith(ctx, u, name, ids)
	if err != nil {
		return nil, fmt.Errorf("bench fanout: %w", err)
	}
	defer b.cleanUp(ctx, u, name)
	res := &fanoutResult{recipients: len(people), bits: o.FedBits}
	var senderPEM string
	if err := b.db.QueryRow(ctx, `SELECT serialized_public_key FROM people WHERE id = $1`, u.PersonID).Scan(&senderPEM); err != nil {
		return nil, fmt.Errorf("bench fanout: sender's key: %w", err)
	}
	senderKey, err := federation.ParsePublicKey([]byte(senderPEM))
	if err != nil {
		return nil, fmt.Errorf("bench fanout: sender's key: %w", err)
	}
	res.senderBits = senderKey.N.BitLen()

	// The pod's idle CPU, to read the figures by.
	if c0 := b.cpuNow(ctx); c0.ok {
		time.Sleep(2 * time.Second)
		res.idle = b.cpuNow(ctx).since(c0).server / 2
	}
	for i := range o.FanoutPosts + 1 {
		p, err := b.fanoutOne(ctx, rp, u, aspect, people, i)
		if err != nil {
			return nil, fmt.Errorf("bench fanout: post %d: %w", i, err)
		}
		kind := "warm-up"
		if i > 0 {
			kind = fmt.Sprintf("post %d", i)
			res.posts = append(res.posts, p)
		}
		fmt.Fprintf(b.out, "fanout  %-8s to %d: pod CPU %.1f ms, PostgreSQL %.1f ms; first delivery %s, last %s, all recorded sent %s\n", kind, len(people),
			p.cpu.server, p.cpu.pg, p.first.Round(time.Millisecond), p.last.Round(time.Millisecond), p.sent.Round(time.Millisecond))
	}

	// The bare RSA work of one post: the signature (a key of the sender's
	// size) and one key bundle encrypted per recipient.
	signer, err := rsa.GenerateKey(crand.Reader, res.senderBits)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256([]byte("podload"))
	if res.sign, err = bareCPU(5, func(int) error {
		_, err := rsa.SignPKCS1v15(crand.Reader, signer, crypto.SHA256, digest[:])
		return err
	}); err != nil {
		return nil, err
	}
	bundle := bytes.Repeat([]byte("k"), 100) // about a JSON key and IV
	if res.seal, err = bareCPU(len(people), func(i int) error {
		_, err := rsa.EncryptPKCS1v15(crand.Reader, people[i%len(people)].Key, bundle)
		return err
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// fanoutOne publishes one post and waits for its deliveries.
func (b *bencher) fanoutOne(ctx context.Context, rp *remotePods, u *benchUser, aspect int64, people []remotePerson, i int) (fanoutPost, error) {
	var p fanoutPost
	if err := b.waitIdle(ctx); err != nil {
		return p, err
	}
	rp.reset()
	text := fmt.Sprintf("A limited post for the fan-out bench (%d, %s), about as long as a short diaspora* post. It carries a #podload tag.", i, pod.NewGUID()[:8])
	c0 := b.cpuNow(ctx)
	t0 := time.Now()
	loc, err := b.post(ctx, u, text, fmt.Sprint(aspect))
	if err != nil {
		return p, err
	}
	guid := strings.TrimPrefix(loc, "/posts/")
	// A pod that cannot post to the loopback pods records the deliveries
	// as failing at once: say so then, not after fedWait.
	failing := func() error {
		var lastErr string
		err := b.db.QueryRow(ctx, `SELECT COALESCE(max(d.last_error), '') FROM deliveries d JOIN posts p ON p.id = d.post_id
			WHERE p.guid = $1 AND d.state IN ('retrying', 'failed')`, guid).Scan(&lastErr)
		switch {
		case err != nil:
			return err
		case lastErr != "":
			return fmt.Errorf("the pod could not deliver the post: %s (podload's pods are plain HTTP on loopback: run the pod with POD_FEDERATION_INSECURE=true)", lastErr)
		}
		return nil
	}
	if err := rp.wait(ctx, len(people), fedWait, failing); err != nil {
		return p, err
	}
	for {
		var sent, all int
		err := b.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE d.state = 'sent'), count(*) FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE p.guid = $1`, guid).Scan(&sent, &all)
		if err != nil {
			return p, err
		}
		if sent == all && sent >= len(people) {
			if all != len(people) {
				return p, fmt.Errorf("the pod recorded %d deliveries for %d recipients", all, len(people))
			}
			break
		}
		if time.Since(t0) > fedWait {
			return p, fmt.Errorf("%d of %d deliveries (%d recorded) marked sent within %s", sent, len(people), all, fedWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.sent = time.Since(t0)
	p.cpu = b.cpuNow(ctx).since(c0)
	rp.mu.Lock()
	defer rp.mu.Unlock()
	p.first, p.last, p.bytes = rp.first.Sub(t0), rp.last.Sub(t0), rp.bytes
	// Exactly the aspect's people, each once: an envelope for anyone else
	// is a limited post leaving for someone it was not addressed to.
	if rp.n != len(people) || len(rp.got) != len(people) {
		return p, fmt.Errorf("the pod sent %d envelopes to %d people for %d recipients", rp.n, len(rp.got), len(people))
	}
	for _, r := range people {
		if rp.got[r.GUID] != 1 {
			return p, fmt.Errorf("recipient %s got %d envelopes, want 1", r.GUID, rp.got[r.GUID])
		}
	}
	return p, nil
}

// waitIdle waits for the pod's outbox to be empty: a measure starts from a
// pod with nothing left to do.
func (b *bencher) waitIdle(ctx context.Context) error {
	probe := func() (backlog, error) { return b.backlogNow(ctx, nil) }
	if _, _, ok, err := waitDrained(ctx, time.Now(), backlog{}, 20*time.Millisecond, fedWait, probe); err != nil || !ok {
		return fmt.Errorf("the pod's outbox did not empty: %v", err)
	}
	return nil
}

// reportFanout prints the fanout scenario's result as Markdown.
func (b *bencher) reportFanout(r *fanoutResult) {
	n := float64(len(r.posts))
	var cpu, pg, first, last, sent float64
	var bytes int64
	for _, p := range r.posts {
		cpu += p.cpu.server
		pg += p.cpu.pg
		first += ms(p.first)
		last += ms(p.last)
		sent += ms(p.sent)
		bytes += p.bytes
	}
	bare := ms(r.sign) + float64(r.recipients)*ms(r.seal)
	fmt.Fprintf(b.out, "\nfanout: %d limited posts (after one to warm up) through POST /status_messages to an aspect of %d remote people on %d pods (RSA-%d keys; the sender's RSA-%d), one at a time\n\n",
		len(r.posts), r.recipients, fanoutPods, r.bits, r.senderBits)
	fmt.Fprintln(b.out, "| pod CPU per post | per recipient | PostgreSQL per post | bare RSA per post (sign + seals) | pod ÷ bare | publish → first / last delivery | → all recorded sent | bytes per delivery |")
	fmt.Fprintln(b.out, "|---:|---:|---:|---:|---:|---|---:|---:|")
	fmt.Fprintf(b.out, "| **%.1f ms** | %.0f µs | %.1f ms | %.1f ms (%.2f + %d × %.0f µs) | %.2f | %.0f / %.0f ms | %.0f ms | %.0f |\n",
		cpu/n, 1000*cpu/n/float64(r.recipients), pg/n, bare, ms(r.sign), r.recipients, float64(r.seal)/1e3, cpu/n/bare,
		first/n, last/n, sent/n, float64(bytes)/n/float64(r.recipients))
	fmt.Fprintf(b.out, "\nThe pod's CPU includes its idle background work, %.1f ms per second when idle (about %.1f ms over a post's %.0f ms). Goal 4 of issue 17: under 50 ms per post to 100 recipients.\n",
		r.idle, r.idle*sent/n/1000, sent/n)
}

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
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	now := time.Now().UTC()
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				sm := &entity.StatusMessage{Author: did, GUID: pod.NewGUID(), CreatedAt: now.Add(time.Duration(i) * time.Millisecond), Public: true,
					Text: fmt.Sprintf("Message %d for the receive bench, about as long as a short post, with a #podload tag.", i)}
				body, err := envelope.SignEntity(sm, did, key)
				if err != nil {
					errs <- err
					return
				}
				out[i] = body
			}
		}()
	}
	wg.Wait()
	close(errs)
	return out, <-errs
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

// runFederation runs the federation scenarios asked for and prints their
// reports.
func (b *bencher) runFederation(ctx context.Context, names []string) error {
	var rp *remotePods
	for _, name := range names {
		switch name {
		case "receive":
			r, err := b.runReceive(ctx)
			if err != nil {
				return err
			}
			b.reportReceive(r)
		case "fanout":
			if rp == nil {
				var err error
				if rp, err = startRemotePods(fanoutPods); err != nil {
					return err
				}
				defer rp.close()
			}
			r, err := b.runFanout(ctx, rp)
			if err != nil {
				return err
			}
			b.reportFanout(r)
		}
	}
	return nil
}
