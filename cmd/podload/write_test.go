package main

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/streams"
)

// TestProcMemKB reads resident memory from a /proc/PID/status text, and
// refuses one without both lines.
func TestProcMemKB(t *testing.T) {
	status := "Name:\tpod\nVmPeak:\t 1300000 kB\nVmHWM:\t   64768 kB\nVmRSS:\t   45300 kB\nRssAnon:\t 30000 kB\n"
	rss, hwm, ok := procMemKB([]byte(status))
	if !ok || rss != 45300 || hwm != 64768 {
		t.Fatalf("procMemKB = %d, %d, %v; want 45300, 64768, true", rss, hwm, ok)
	}
	if _, _, ok := procMemKB([]byte("Name:\tpod\nVmRSS:\t 45300 kB\n")); ok {
		t.Fatal("a status without VmHWM was read as complete")
	}
	if _, _, ok := procMemKB([]byte("VmRSS:\t x kB\nVmHWM:\t 1 kB\n")); ok {
		t.Fatal("a bad number was read")
	}
}

// TestWaitDrained polls until nothing is left: outbox rows, pending and
// running tasks count, scheduled and retrying ones only beyond those that
// were there before the run.
func TestWaitDrained(t *testing.T) {
	base := backlog{Scheduled: 1}
	states := []backlog{
		{Unsent: 3, Pending: 2, Scheduled: 1},
		{Pending: 5, Scheduled: 1},
		{Active: 1, Scheduled: 1},
		{Scheduled: 1, Retry: 1},    // a task of the run failed and waits to run again
		{Scheduled: 1, Archived: 9}, // done: the periodic task was there before
		{Unsent: 1},                 // never read
	}
	i := 0
	probe := func() (backlog, error) { i++; return states[i-1], nil }
	took, n, ok, err := waitDrained(context.Background(), time.Now(), base, time.Millisecond, time.Minute, probe)
	if err != nil || !ok || n != 5 || took <= 0 {
		t.Fatalf("waitDrained = %s, %d readings, %v, %v; want done at the 5th reading", took, n, ok, err)
	}

	busy := func() (backlog, error) { return backlog{Pending: 1}, nil }
	if _, _, ok, err := waitDrained(context.Background(), time.Now(), backlog{}, time.Millisecond, 20*time.Millisecond, busy); ok || err != nil {
		t.Fatalf("a queue that never empties: done %v, %v; want a timeout", ok, err)
	}
	broken := errors.New("redis away")
	if _, _, _, err := waitDrained(context.Background(), time.Now(), backlog{}, time.Millisecond, time.Minute, func() (backlog, error) { return backlog{}, broken }); !errors.Is(err, broken) {
		t.Fatalf("a failing probe: %v", err)
	}
}

// TestSplitScenarios splits the write and the federation scenarios from
// the read ones, keeping their order.
func TestSplitScenarios(t *testing.T) {
	reads, write, fed := splitScenarios([]string{"fanout", "main", "write", "post", "receive"})
	if !write || !slices.Equal(reads, []string{"main", "post"}) || !slices.Equal(fed, []string{"fanout", "receive"}) {
		t.Fatalf("got %v, %v, %v", reads, write, fed)
	}
	if _, write, fed := splitScenarios([]string{"main"}); write || fed != nil {
		t.Fatal("write or federation without asking")
	}
}

// TestBenchPostsThroughThePublisher signs a user in the way the bench
// does and posts as the publisher's form does, public and limited to an
// aspect, against a real pod: the posts are created with their audience
// (a contact in the aspect sees the limited post, a contact outside it
// does not), and a pod that refuses answers with an error naming the
// status.
func TestBenchPostsThroughThePublisher(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	for _, x := range []struct {
		who    *podtest.User
		aspect string
		person int64
	}{{alice, "Friends", bob.Session.PersonID}, {alice, "Work", carol.Session.PersonID},
		{bob, "Friends", alice.Session.PersonID}, {carol, "Friends", alice.Session.PersonID}} {
		if _, err := p.App.Contacts.AddToAspect(ctx, x.who.Session, x.who.Aspects[x.aspect], x.person); err != nil {
			t.Fatal(err)
		}
	}
	b := &bencher{o: benchOptions{URL: p.Server.URL, Password: "password1"}, out: io.Discard,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	u := &benchUser{ID: alice.Session.UserID, PersonID: alice.Session.PersonID, Username: "alice"}
	b.users = []*benchUser{u}
	if err := b.signIn(ctx); err != nil {
		t.Fatal(err)
	}
	if u.CSRF == "" || u.XFF == "" {
		t.Fatalf("sign-in kept no form token (%q) or address (%q)", u.CSRF, u.XFF)
	}
	text := benchPostText(rand.New(rand.NewPCG(1, 2)), 10, "bench")
	if !strings.HasSuffix(text, " #bench") {
		t.Fatalf("every tenth post carries the tag: %q", text)
	}
	if loc, err := b.post(ctx, u, text, "public"); err != nil || !strings.HasPrefix(loc, "/posts/") {
		t.Fatalf("post: %q, %v", loc, err)
	}
	if _, err := b.post(ctx, u, "only friends", strconv.FormatInt(alice.Aspects["Friends"], 10)); err != nil {
		t.Fatal(err)
	}
	texts := func(who *podtest.User) []string {
		page, err := p.App.Streams.Stream(ctx, who.Session, streams.StreamQuery{Kind: streams.StreamMain})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range page.Posts {
			out = append(out, v.Text)
		}
		return out
	}
	if got := texts(bob); !slices.Contains(got, text) || !slices.Contains(got, "only friends") {
		t.Errorf("bob, in alice's Friends, sees %q", got)
	}
	if got := texts(carol); !slices.Contains(got, text) || slices.Contains(got, "only friends") {
		t.Errorf("carol, outside alice's Friends, sees %q", got)
	}

	// A stale form token is refused, and the error says how.
	stale := *u
	stale.CSRF = "x" + u.CSRF
	if _, err := b.post(ctx, &stale, "refused", "public"); err == nil || !strings.Contains(err.Error(), "status 422") {
		t.Fatalf("a stale token: %v", err)
	}
}
