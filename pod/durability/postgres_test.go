package durability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestPostgresRestartedInFlight restarts the PostgreSQL server of alice's
// pod while it delivers her posts to bob's pod and receives bob's posts
// and likes: everything that was accepted (a post that alice's pod said it
// saved, a delivery it answered 202) arrives, nothing is applied twice,
// and the pod answers again without a restart of its own.
func TestPostgresRestartedInFlight(t *testing.T) {
	ctx := context.Background()
	pg := podtest.StartPostgres(t)
	rs := podtest.StartRedis(t)
	_, st := pg.Database(t, "pg1")
	fo := fast
	fo.Store, fo.RedisURL = st, rs.URL(0)
	pod1, pod2, alice, bob := sharingPods(t, "pg", fo, true)

	// Ten posts of alice that bob will like while PostgreSQL restarts.
	const n = 10
	var liked []string
	for i := 0; i < n; i++ {
		p, err := alice.post(ctx, "Friends", fmt.Sprintf("Before the restart %d", i))
		if err != nil {
			t.Fatal(err)
		}
		liked = append(liked, p.GUID)
	}
	settled(t, pod1, pod2)

	// In flight: alice posts, bob posts to her and likes her posts, while
	// alice's PostgreSQL stops for two seconds. A post alice's pod refuses
	// (an error: nothing was saved) is not expected anywhere.
	var mu sync.Mutex
	var aliceSaved, bobSaved []string
	var wg sync.WaitGroup
	wg.Add(2)
	restarted := make(chan struct{})
	attempts := 0
	go func() {
		defer wg.Done()
		after := 0 // posts since PostgreSQL is back
		for i := 0; after < 5; i++ {
			select {
			case <-restarted:
				after++
			default:
			}
			attempts++
			if p, err := alice.post(ctx, "Friends", fmt.Sprintf("In flight %d", i)); err == nil {
				mu.Lock()
				aliceSaved = append(aliceSaved, p.GUID)
				mu.Unlock()
			} else {
				if i%5 == 0 {
					t.Logf("%s alice's post %d refused: %v", time.Now().Format("15:04:05.000"), i, err)
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			p, err := bob.post(ctx, "Friends", fmt.Sprintf("Bob in flight %d", i))
			if err != nil {
				t.Errorf("bob's pod: %v", err)
				return
			}
			mu.Lock()
			bobSaved = append(bobSaved, p.GUID)
			mu.Unlock()
			on2, err := pod2.Store.PostByGUID(ctx, liked[i])
			if err != nil {
				t.Errorf("bob's pod lacks alice's post: %v", err)
				return
			}
			if _, err := pod2.App.Posts.Like(ctx, bob.s, on2.GUID, 0); err != nil {
				t.Errorf("bob liking: %v", err)
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	}()
	web := pod1.Client()
	time.Sleep(400 * time.Millisecond)
	t.Logf("%s stopping PostgreSQL", time.Now().Format("15:04:05.000"))
	pg.Stop(t)
	if r := web.Get("/readyz"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while PostgreSQL is down: %d, want 503", r.StatusCode)
	}
	time.Sleep(2 * time.Second)
	pg.Start(t)
	t.Logf("%s PostgreSQL started", time.Now().Format("15:04:05.000"))
	close(restarted)
	wg.Wait()

	// The pod answers again by itself.
	podtest.Eventually(t, 10*time.Second, func() bool { return web.Get("/readyz").StatusCode == http.StatusOK },
		"/readyz to answer 200 after PostgreSQL is back")
	if r := web.Get("/people/" + alice.s.GUID); r.StatusCode != http.StatusOK {
		t.Errorf("alice's profile page after the restart: %d", r.StatusCode)
	}
	if r := web.SignIn("alice", "password1", false); r.StatusCode != http.StatusFound {
		t.Errorf("signing in after the restart: %d", r.StatusCode)
	} else if r := web.Get("/stream"); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, "In flight") {
		t.Errorf("alice's stream after the restart: %d", r.StatusCode)
	}

	// Nothing lost.
	t.Logf("%s the pod answers again", time.Now().Format("15:04:05.000"))
	settled(t, pod1, pod2)
	t.Logf("%s alice's pod saved %d of %d posts in flight", time.Now().Format("15:04:05.000"), len(aliceSaved), attempts)
	if len(aliceSaved) == attempts {
		t.Error("every post of alice was saved: PostgreSQL was not down while she posted")
	}
	for _, g := range aliceSaved {
		if c := count(t, pod2, `SELECT count(*) FROM posts WHERE guid = ?`, g); c != 1 {
			t.Errorf("alice's post %s is on bob's pod %d times, want 1", g, c)
		}
	}
	for _, g := range bobSaved {
		if c := count(t, pod1, `SELECT count(*) FROM posts WHERE guid = ?`, g); c != 1 {
			t.Errorf("bob's post %s is on alice's pod %d times, want 1", g, c)
		}
	}
	// Nothing applied twice: each of bob's likes counted once, notified once.
	for _, g := range liked {
		if c := count(t, pod1, `SELECT likes_count FROM posts WHERE guid = ?`, g); c != 1 {
			t.Errorf("alice's post %s has %d likes on her pod, want 1", g, c)
		}
		if c := count(t, pod1, `SELECT count(*) FROM likes l JOIN posts p ON p.id = l.post_id WHERE p.guid = ?`, g); c != 1 {
			t.Errorf("alice's post %s has %d like rows on her pod, want 1", g, c)
		}
	}
	if c := count(t, pod1, `SELECT count(*) FROM deliveries WHERE state <> 'sent'`); c != 0 {
		t.Errorf("%d of alice's deliveries are not recorded as sent", c)
	}
	if !streamHas(t, bob, aliceSaved[len(aliceSaved)-1]) {
		t.Error("alice's last post is not in bob's stream")
	}
	if t.Failed() {
		dumpQueues(t, pod1)
		dumpQueues(t, pod2)
		var rows string
		err := pod2.Store.Scalar(ctx, &rows, `SELECT string_agg(concat_ws(' ', task_id, entity_type, state, attempts, updated_at, last_error), E'\n' ORDER BY id) FROM deliveries`)
		t.Logf("bob's pod deliveries (%v):\n%s", err, rows)
	}
}

func dumpQueues(t *testing.T, p *podtest.FedPod) {
	ins := asynq.NewInspector(asynq.RedisClientOpt{Addr: p.Redis.Options().Addr, DB: p.RedisDB})
	defer ins.Close()
	qs, err := ins.Queues()
	t.Logf("%s queues %v %v", p.Name, qs, err)
	for _, q := range qs {
		info, err := ins.GetQueueInfo(q)
		if err == nil {
			t.Logf("%s queue %s: pending %d active %d scheduled %d retry %d archived %d completed %d processed %d failed %d",
				p.Name, q, info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived, info.Completed, info.Processed, info.Failed)
		}
	}
}
