package durability

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
)

// TestRedisDownWhilePosting stops the Redis server of alice's pod (its job
// queue and sessions) while she posts to an aspect holding bob, on another
// pod: the post is saved and shown, waits in the outbox, and once Redis is
// back bob's pod receives it exactly once. A post bob sends her meanwhile
// is accepted, kept in the outbox and applied once Redis is back.
func TestRedisDownWhilePosting(t *testing.T) {
	ctx := context.Background()
	rs := podtest.StartRedis(t)
	fo := fast
	fo.RedisURL = rs.URL(0)
	pod1, pod2, alice, bob := sharingPods(t, "redis", fo, true)

	from := len(pod2.Requests())
	logFrom := len(pod1.Log.String())
	rs.Stop(t)
	post, err := alice.post(ctx, "Friends", "Posted while Redis is down")
	if err != nil {
		t.Fatalf("posting while Redis is down: %v", err)
	}
	if pv, err := pod1.App.Posts.PostByID(ctx, alice.s, post.ID); err != nil || pv.Text != "Posted while Redis is down" {
		t.Fatalf("alice's post is not shown to her: %+v %v", pv, err)
	}
	if !streamHas(t, alice, post.GUID) {
		t.Error("alice's post is not in her stream")
	}
	// bob posts to alice meanwhile: her pod cannot queue the received
	// body in Redis, keeps it in its outbox and accepts it (202), so bob's
	// pod does not need to retry.
	bobPost, err := bob.post(ctx, "Friends", "Bob's post while alice's Redis is down")
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		return count(t, pod2, `SELECT count(*) FROM deliveries WHERE post_id = ? AND state = 'sent' AND attempts = 1`, bobPost.ID) == 1
	}, "alice's pod to accept bob's post at the first attempt")
	if n := backlog(t, pod1); n != 2 {
		t.Errorf("outbox backlog while Redis is down: %d rows, want 2 (alice's post's dispatch, bob's received post)", n)
	}
	// The relay tries (every 50 ms, backing off) and fails meanwhile; it
	// says so once.
	podtest.Eventually(t, wait, func() bool {
		return strings.Contains(pod1.Log.String()[logFrom:], "outbox relay: cannot queue")
	}, "the relay to log that it cannot queue")
	time.Sleep(500 * time.Millisecond)
	if n := receivePosts(pod2, from); n != 0 {
		t.Fatalf("bob's pod got %d deliveries while alice's Redis was down", n)
	}

	rs.Start(t)
	podtest.Eventually(t, wait, func() bool {
		_, err := pod2.Store.PostByGUID(ctx, post.GUID)
		return err == nil
	}, "alice's post to reach bob's pod once Redis is back")
	settled(t, pod1, pod2)
	if n := receivePosts(pod2, from); n != 1 {
		t.Errorf("bob's pod received %d deliveries, want exactly 1", n)
	}
	if !streamHas(t, bob, post.GUID) {
		t.Error("alice's post is not in bob's stream")
	}
	if !streamHas(t, alice, bobPost.GUID) {
		t.Error("bob's post, received while Redis was down, is not in alice's stream")
	}
	var pv struct{ State string }
	if err := pod1.Store.Scalar(ctx, &pv.State, `SELECT state FROM deliveries WHERE post_id = ?`, post.ID); err != nil || pv.State != "sent" {
		t.Errorf("alice's delivery record: %q %v, want sent", pv.State, err)
	}
	log := pod1.Log.String()[logFrom:]
	if n := strings.Count(log, "outbox relay: cannot queue"); n != 1 {
		t.Errorf("the relay logged the outage %d times, want once:\n%s", n, log)
	}
	if !strings.Contains(log, "outbox relay: queuing again") {
		t.Errorf("the relay did not log the end of the outage:\n%s", log)
	}
}
