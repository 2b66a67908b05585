package durability

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/tasks"
)

// countingPod is a light remote pod on loopback: it answers 202 to every
// POST, except the first `failures` POSTs to failPath, which get a 500,
// and counts the POSTs it accepted per path and the connections opened.
// With delay, it waits that long before it answers.
type countingPod struct {
	mu       sync.Mutex
	accepted map[string]int
	conns    int
	failPath string
	failures int
	delay    time.Duration
}

func (c *countingPod) serve(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: c, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.mu.Lock()
			c.conns++
			c.mu.Unlock()
		}
	}}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func (c *countingPod) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	time.Sleep(c.delay)
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.URL.Path == c.failPath && c.failures > 0 {
		c.failures--
		http.Error(w, "try again later", http.StatusInternalServerError)
		return
	}
	c.accepted[r.URL.Path]++
	w.WriteHeader(http.StatusAccepted)
}

func (c *countingPod) counts() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.accepted))
	for k, v := range c.accepted {
		out[k] = v
	}
	return out, c.conns
}

// remotePeople creates n remote people on host with real keys, all in
// alice's aspect, and returns their GUIDs.
func remotePeople(t *testing.T, sender *podtest.FedPod, alice *user, aspect string, host string, n int) []string {
	t.Helper()
	ctx := context.Background()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := models.PublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var guids []string
	err = sender.Store.Tx(ctx, func(tx *models.Store) error {
		now := time.Now().UTC()
		if _, err := tx.EnsurePod(ctx, host, "http://"+host+"/"); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			p := &models.Person{GUID: pod.NewGUID(), DiasporaID: fmt.Sprintf("r%d@%s", i, host), SerializedPublicKey: pem,
				PodHost: host, FetchedAt: &now}
			if err := tx.CreatePerson(ctx, p); err != nil {
				return err
			}
			if err := tx.CreateProfile(ctx, &models.Profile{PersonID: p.ID, FirstName: "Remote"}); err != nil {
				return err
			}
			c, err := tx.EnsureContact(ctx, alice.s.UserID, p.ID)
			if err != nil {
				return err
			}
			if err := tx.SetContactFlags(ctx, c.ID, true, true); err != nil {
				return err
			}
			if _, err := tx.AddMembership(ctx, alice.aspects[aspect], c.ID); err != nil {
				return err
			}
			guids = append(guids, p.GUID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return guids
}

// TestPerPodDeliveryRetriesOneRecipient: a limited post to several people
// on each of two pods goes out as one task per pod, each pod's POSTs over
// one connection; one recipient's pod answers 500 twice for them, which
// retries that recipient alone (with backoff) until it is accepted. Every
// recipient receives the post exactly once, every delivery is recorded as
// sent with its own number of attempts, and the pod is recorded as up.
func TestPerPodDeliveryRetriesOneRecipient(t *testing.T) {
	ctx := context.Background()
	sender := podtest.NewFedPod(t, "perpod", 0, fast)
	alice := newUser(t, sender, "alice")
	const perPod = 6
	var rcv [2]*countingPod
	var guids [2][]string
	for i := range rcv {
		rcv[i] = &countingPod{accepted: map[string]int{}}
		host := rcv[i].serve(t)
		guids[i] = remotePeople(t, sender, alice, "Family", host, perPod)
	}
	flaky := "/receive/users/" + guids[0][2]
	rcv[0].mu.Lock()
	rcv[0].failPath, rcv[0].failures = flaky, 2
	rcv[0].mu.Unlock()

	post, err := alice.post(ctx, "Family", "One task per pod, one outcome per recipient")
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		return count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'sent'`, post.ID) == 2*perPod
	}, "every delivery to be recorded as sent")
	settled(t, sender)
	time.Sleep(100 * time.Millisecond)

	for i, r := range rcv {
		got, conns := r.counts()
		for _, g := range guids[i] {
			if n := got["/receive/users/"+g]; n != 1 {
				t.Errorf("pod %d: recipient %s received the post %d times, want 1", i, g, n)
			}
		}
		if len(got) != perPod {
			t.Errorf("pod %d: POSTs accepted for %d paths (%v), want %d", i, len(got), got, perPod)
		}
		// One task per pod: its POSTs share one keep-alive connection
		// (the retry of the flaky recipient reuses it too).
		if conns != 1 {
			t.Errorf("pod %d: %d connections opened, want 1", i, conns)
		}
	}
	if n := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND attempts = 1 AND last_error = ''`, post.ID); n != 2*perPod-1 {
		t.Errorf("%d deliveries were sent at the first attempt, want %d", n, 2*perPod-1)
	}
	if n := count(t, sender, `SELECT count(*) FROM deliveries WHERE post_id = ? AND attempts = 3 AND recipient_guid = ?`, post.ID, guids[0][2]); n != 1 {
		t.Errorf("the flaky recipient's delivery is not recorded as sent at the third attempt")
	}
	if n := count(t, sender, `SELECT count(*) FROM pods WHERE offline_since IS NOT NULL`); n != 0 {
		t.Errorf("%d pods recorded as offline after every delivery was accepted", n)
	}
}

// TestLegacyDeliverTaskStillRuns: a per-recipient delivery task queued by
// an older version (federation:deliver) before an upgrade is still sent
// and recorded.
func TestLegacyDeliverTaskStillRuns(t *testing.T) {
	ctx := context.Background()
	sender := podtest.NewFedPod(t, "legacydeliver", 0, fast)
	alice := newUser(t, sender, "alice")
	r := &countingPod{accepted: map[string]int{}}
	host := r.serve(t)
	guid := remotePeople(t, sender, alice, "Family", host, 1)[0]
	p, err := sender.Store.PodByHost(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + host + "/receive/users/" + guid
	id := tasks.DeliveryTaskID("legacy-event", url)
	if err := sender.Store.RecordDeliveries(ctx, []models.Delivery{{TaskID: id, PodID: p.ID, EntityType: "status_message", RecipientGUID: &guid}}); err != nil {
		t.Fatal(err)
	}
	d := tasks.Deliver{URL: url, ContentType: "application/json", PodID: p.ID, Body: []byte(`{"aes_key":"x","encrypted_magic_envelope":"y"}`)}
	if _, err := sender.Queue.EnqueueContext(ctx, tasks.NewDeliver(id, d, tasks.MaxDeliveryRetries)); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		return count(t, sender, `SELECT count(*) FROM deliveries WHERE task_id = ? AND state = 'sent'`, id) == 1
	}, "the legacy delivery to be recorded as sent")
	if got, _ := r.counts(); got["/receive/users/"+guid] != 1 {
		t.Errorf("the recipient received %d POSTs, want 1", got["/receive/users/"+guid])
	}
}
