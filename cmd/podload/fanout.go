package main

// The fanout scenario: limited posts to remote people on podload's own
// loopback pods (see federation.go).

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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/pod"
)

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

// startRemotePods listens on n loopback ports, one pod each.
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

// close stops the pods' listeners.
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
	least, most := r.posts[0].cpu.server, r.posts[0].cpu.server
	for _, p := range r.posts {
		least, most = min(least, p.cpu.server), max(most, p.cpu.server)
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
	fmt.Fprintln(b.out, "| pod CPU per post: mean (least–most) | per recipient | PostgreSQL per post | bare RSA per post (sign + seals) | pod ÷ bare | publish → first / last delivery | → all recorded sent | bytes per delivery |")
	fmt.Fprintln(b.out, "|---:|---:|---:|---:|---:|---|---:|---:|")
	fmt.Fprintf(b.out, "| **%.1f ms** (%.1f–%.1f) | %.0f µs | %.1f ms | %.1f ms (%.2f + %d × %.0f µs) | %.2f | %.0f / %.0f ms | %.0f ms | %.0f |\n",
		cpu/n, least, most, 1000*cpu/n/float64(r.recipients), pg/n, bare, ms(r.sign), r.recipients, float64(r.seal)/1e3, cpu/n/bare,
		first/n, last/n, sent/n, float64(bytes)/n/float64(r.recipients))
	fmt.Fprintf(b.out, "\nThe pod's CPU includes its idle background work, %.1f ms per second when idle (about %.1f ms over a post's %.0f ms). Goal 4 of issue 17: under 50 ms per post to 100 recipients.\n",
		r.idle, r.idle*sent/n/1000, sent/n)
}
