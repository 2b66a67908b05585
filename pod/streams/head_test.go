package streams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
	"github.com/aspenpod/aspen/pod/streams"
)

// twoProcesses is a pod and a second `pod serve` of it (podtest.Twin).
func twoProcesses(t *testing.T) (*podtest.Pod, *podtest.Pod) {
	t.Helper()
	p1 := podtest.New(t)
	return p1, p1.Twin(t)
}

// headOf reads the main stream's first page through the page cache.
func headOf(t *testing.T, p *podtest.Pod, s *pod.Session) *streams.HeadPage {
	t.Helper()
	return pageOf(t, p, s, streams.StreamQuery{Kind: streams.StreamMain})
}

// pageOf reads a main-stream page through the page cache.
func pageOf(t *testing.T, p *podtest.Pod, s *pod.Session, q streams.StreamQuery) *streams.HeadPage {
	t.Helper()
	h, err := p.App.Streams.MainPageAs(context.Background(), s, q, streams.HeadFormat{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// guidsIn lists the GUIDs of an encoded page.
func guidsIn(t *testing.T, body []byte) []string {
	t.Helper()
	var ps []struct {
		GUID string `json:"guid"`
	}
	if err := json.Unmarshal(body, &ps); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.GUID
	}
	return out
}

// fresh is the first page straight from the database, encoded as the
// handler encodes it.
func fresh(t *testing.T, p *podtest.Pod, s *pod.Session) []byte {
	t.Helper()
	return freshAt(t, p, s, streams.StreamQuery{Kind: streams.StreamMain})
}

// freshAt is the page q straight from the database.
func freshAt(t *testing.T, p *podtest.Pod, s *pod.Session, q streams.StreamQuery) []byte {
	t.Helper()
	page, err := p.App.Streams.Stream(context.Background(), s, q)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(page.Posts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// agree checks that both processes serve exactly the fresh first page
// (from their caches or rebuilt), and then serve it from their caches.
func agree(t *testing.T, what string, s *pod.Session, ps ...*podtest.Pod) []string {
	t.Helper()
	return agreeAt(t, what, s, streams.StreamQuery{Kind: streams.StreamMain}, ps...)
}

// agreeAt is agree for the page q.
func agreeAt(t *testing.T, what string, s *pod.Session, q streams.StreamQuery, ps ...*podtest.Pod) []string {
	t.Helper()
	want := freshAt(t, ps[0], s, q)
	for i, p := range ps {
		if got := pageOf(t, p, s, q); !bytes.Equal(got.JSON, want) {
			t.Fatalf("%s: process %d serves a stale page:\n got %s\nwant %s", what, i+1, got.JSON, want)
		}
		if got := pageOf(t, p, s, q); !got.Cached || !bytes.Equal(got.JSON, want) {
			t.Fatalf("%s: process %d: second read cached=%v, same=%v", what, i+1, got.Cached, bytes.Equal(got.JSON, want))
		}
	}
	return guidsIn(t, want)
}

func TestHeadCacheFollowsEveryChangeAcrossProcesses(t *testing.T) {
	p1, p2 := twoProcesses(t)
	ctx := context.Background()
	alice, bob, carol := p1.NewUser(t, "alice"), p1.NewUser(t, "bob"), p1.NewUser(t, "carol")
	if _, err := p1.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p1.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Work"], carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	post := func(p *podtest.Pod, u *podtest.User, text string) *pod.PostView {
		t.Helper()
		pv, err := p.App.Posts.CreatePost(ctx, u.Session, posts.PostInput{Text: text, Audience: aspects.Selection{Public: true}})
		if err != nil {
			t.Fatal(err)
		}
		return pv
	}
	first := post(p1, alice, "first")
	fromCarol := post(p1, carol, "carol's")
	if g := agree(t, "start", bob.Session, p1, p2); !slices.Contains(g, first.GUID) || !slices.Contains(g, fromCarol.GUID) {
		t.Fatalf("bob's head = %v", g)
	}

	// A new post reaches bob through the fan-out of the other process.
	second := post(p2, alice, "second")
	if g := agree(t, "new post", bob.Session, p1, p2); g[0] != second.GUID {
		t.Fatalf("new post missing: %v", g)
	}
	// A comment (counters, last comments) and a like, by others.
	if _, err := p2.App.Posts.Comment(ctx, carol.Session, second.GUID, "nice"); err != nil {
		t.Fatal(err)
	}
	agree(t, "comment", bob.Session, p1, p2)
	if _, err := p1.App.Posts.Like(ctx, carol.Session, second.GUID, 0); err != nil {
		t.Fatal(err)
	}
	agree(t, "like", bob.Session, p1, p2)
	// bob's own like (the per-reader part).
	if _, err := p2.App.Posts.Like(ctx, bob.Session, first.GUID, 0); err != nil {
		t.Fatal(err)
	}
	agree(t, "own like", bob.Session, p1, p2)
	// The commenter renames herself.
	if err := p2.App.Profiles.UpdateProfile(ctx, carol.Session.UserID, profiles.ProfileInput{FirstName: "Caroline", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	agree(t, "profile", bob.Session, p1, p2)
	// Deletion.
	if err := p2.App.Posts.DeletePost(ctx, alice.Session, second.GUID); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "delete", bob.Session, p1, p2); slices.Contains(g, second.GUID) {
		t.Fatal("a deleted post is still served")
	}
	// Hide.
	if err := p2.App.Posts.HidePost(ctx, bob.Session, first.GUID, true); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "hide", bob.Session, p1, p2); slices.Contains(g, first.GUID) {
		t.Fatal("a hidden post is still served")
	}
	if err := p1.App.Posts.HidePost(ctx, bob.Session, first.GUID, false); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "unhide", bob.Session, p1, p2); !slices.Contains(g, first.GUID) {
		t.Fatal("an unhidden post did not come back")
	}
	// Ignore.
	if _, err := p2.App.Contacts.Block(ctx, bob.Session, carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "ignore", bob.Session, p1, p2); slices.Contains(g, fromCarol.GUID) {
		t.Fatal("an ignored author's post is still served")
	}
	// Aspect change: alice leaves bob's aspects.
	if _, err := p2.App.Contacts.RemoveFromAspect(ctx, bob.Session, 0, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "aspect", bob.Session, p1, p2); slices.Contains(g, first.GUID) {
		t.Fatalf("a post of someone no longer in an aspect is still served: %v", g)
	}
	if _, err := p1.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Family"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "aspect back", bob.Session, p1, p2); !slices.Contains(g, first.GUID) {
		t.Fatalf("a post of someone put back in an aspect is missing: %v", g)
	}
}

func TestHeadCacheDropsABlockedPodsPosts(t *testing.T) {
	p1, p2 := twoProcesses(t)
	ctx := context.Background()
	bob := p1.NewUser(t, "bob")
	st := p1.Store
	remote := &models.Person{GUID: "remote-guid-1", DiasporaID: "zed@remote.example", PodHost: "remote.example", SerializedPublicKey: "x"}
	if err := st.CreatePerson(ctx, remote); err != nil {
		t.Fatal(err)
	}
	c, err := st.EnsureContact(ctx, bob.Session.UserID, remote.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetContactFlags(ctx, c.ID, false, true); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	rp := &models.Post{GUID: "remote-post-1", AuthorID: remote.ID, Type: models.TypeStatusMessage, Public: true, Text: "from afar",
		TextHTML: "<p>from afar</p>", CreatedAt: now, UpdatedAt: now, InteractedAt: now}
	if err := st.CreatePost(ctx, rp); err != nil {
		t.Fatal(err)
	}
	if err := st.FanOut(ctx, rp); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "before", bob.Session, p1, p2); !slices.Contains(g, rp.GUID) {
		t.Fatalf("the remote post is not in bob's head: %v", g)
	}
	if err := p2.App.Federate.OperatorBlockPod(ctx, federate.BlockInput{Domain: "remote.example", Severity: models.SeverityBlock}); err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "pod block", bob.Session, p1, p2); slices.Contains(g, rp.GUID) {
		t.Fatal("a blocked pod's post is still served")
	}
}

// TestHeadCacheKeepsNoPageAWriteRacedWith: a comment that commits after a
// page was read from the database, but before the page's versions are
// read, must not leave the (stale) page cached.
func TestHeadCacheKeepsNoPageAWriteRacedWith(t *testing.T) {
	p1, p2 := twoProcesses(t)
	ctx := context.Background()
	alice, bob := p1.NewUser(t, "alice"), p1.NewUser(t, "bob")
	if _, err := p1.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	pv, err := p1.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "raced", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	raced := false
	p1.App.Pages.SetBuiltHook(func() {
		if !raced {
			raced = true
			if _, err := p2.App.Posts.Comment(ctx, alice.Session, pv.GUID, "meanwhile"); err != nil {
				t.Error(err)
			}
		}
	})
	defer p1.App.Pages.SetBuiltHook(nil)
	headOf(t, p1, bob.Session) // built before the comment, served once
	if !raced {
		t.Fatal("the hook did not run")
	}
	p1.App.Pages.SetBuiltHook(nil)
	if got, want := headOf(t, p1, bob.Session), fresh(t, p1, bob.Session); !bytes.Equal(got.JSON, want) {
		t.Fatalf("a page built before a racing write was kept (cached=%v):\n got %s\nwant %s", got.Cached, got.JSON, want)
	}
	agree(t, "after the race", bob.Session, p1, p2)
}

// TestHeadCachePrivacy: the cache never shows a limited post to someone
// outside its audience, nor to a PublicOnly session (an API token without
// private:read) of someone inside it, whichever page was cached first.
func TestHeadCachePrivacy(t *testing.T) {
	p1, p2 := twoProcesses(t)
	ctx := context.Background()
	alice, bob, dave := p1.NewUser(t, "alice"), p1.NewUser(t, "bob"), p1.NewUser(t, "dave")
	for _, u := range []*podtest.User{bob, dave} {
		if _, err := p1.App.Contacts.AddToAspect(ctx, u.Session, u.Aspects["Friends"], alice.Session.PersonID); err != nil {
			t.Fatal(err)
		}
	}
	// alice shares with bob only.
	if _, err := p1.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Family"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	public, err := p1.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "for all", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	bobOnly := *bob.Session
	bobOnly.PublicOnly = true
	// The PublicOnly page is cached first, then the full one.
	if g := agree(t, "public only, before", &bobOnly, p1, p2); !slices.Contains(g, public.GUID) {
		t.Fatalf("public post missing: %v", g)
	}
	limited, err := p2.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "family only", Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Family"]}}})
	if err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "bob", bob.Session, p1, p2); !slices.Contains(g, limited.GUID) {
		t.Fatalf("bob, in the audience, misses the limited post: %v", g)
	}
	for _, p := range []*podtest.Pod{p1, p2} {
		for range 2 {
			if g := guidsIn(t, headOf(t, p, &bobOnly).JSON); slices.Contains(g, limited.GUID) || !slices.Contains(g, public.GUID) {
				t.Fatalf("bob's PublicOnly session gets %v (limited %s)", g, limited.GUID)
			}
			if g := guidsIn(t, headOf(t, p, dave.Session).JSON); slices.Contains(g, limited.GUID) || !slices.Contains(g, public.GUID) {
				t.Fatalf("dave, outside the audience, gets %v (limited %s)", g, limited.GUID)
			}
		}
	}
	if _, err := p1.App.Streams.MainHead(ctx, nil); !errors.Is(err, pod.ErrUnauthenticated) {
		t.Fatalf("signed out: %v", err)
	}
}

// BenchmarkMainHead compares the main stream's first page served from the
// head cache (one MGET) with the same page built from the database and
// encoded (three statements and json.Marshal), on a small pod: a reader
// with three friends who wrote 60 posts, some commented and liked.
func BenchmarkMainHead(b *testing.B) {
	p := podtest.New(b)
	ctx := context.Background()
	reader := p.NewUser(b, "reader")
	for _, name := range []string{"ann", "ben", "cat"} {
		u := p.NewUser(b, name)
		if _, err := p.App.Contacts.AddToAspect(ctx, reader.Session, reader.Aspects["Friends"], u.Session.PersonID); err != nil {
			b.Fatal(err)
		}
		for i := range 20 {
			pv, err := p.App.Posts.CreatePost(ctx, u.Session, posts.PostInput{Text: "a post #bench", Audience: aspects.Selection{Public: true}})
			if err != nil {
				b.Fatal(err)
			}
			if i%3 == 0 {
				if _, err := p.App.Posts.Comment(ctx, reader.Session, pv.GUID, "a comment"); err != nil {
					b.Fatal(err)
				}
				if _, err := p.App.Posts.Like(ctx, reader.Session, pv.GUID, 0); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.App.Streams.MainHead(ctx, reader.Session); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) { // a change to the reader's stream, then the rebuild
		for b.Loop() {
			p.Store.Touched(ctx, models.Change{Users: []int64{reader.Session.UserID}})
			if h, err := p.App.Streams.MainHead(ctx, reader.Session); err != nil || h.Cached {
				b.Fatal(err, h.Cached)
			}
		}
	})
	b.Run("database", func(b *testing.B) {
		for b.Loop() {
			page, err := p.App.Streams.Stream(ctx, reader.Session, streams.StreamQuery{Kind: streams.StreamMain})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(page.Posts); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestHeadCacheRedisOutage: a change made while Redis is away (its bump
// lost) is never hidden by a cached page: the writing process reads the
// database meanwhile, and once Redis is back the epoch is bumped, so the
// other process, which kept its page through the outage, rebuilds it.
func TestHeadCacheRedisOutage(t *testing.T) {
	rs := podtest.StartRedis(t)
	t.Setenv("POD_TEST_REDIS_URL", rs.URL(0))
	p1, p2 := twoProcesses(t)
	ctx := context.Background()
	alice, bob := p1.NewUser(t, "alice"), p1.NewUser(t, "bob")
	if _, err := p1.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	pv, err := p1.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "soon hidden", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if g := agree(t, "before", bob.Session, p1, p2); !slices.Contains(g, pv.GUID) {
		t.Fatalf("bob's head = %v", g)
	}
	rs.Stop(t)
	if err := p1.Store.HidePost(ctx, bob.Session.UserID, pv.ID); err != nil {
		t.Fatal(err)
	}
	if g := guidsIn(t, headOf(t, p1, bob.Session).JSON); slices.Contains(g, pv.GUID) {
		t.Fatal("with Redis away, the writing process served its cached page")
	}
	rs.Start(t)
	podtest.Eventually(t, 10*time.Second, func() bool {
		return !slices.Contains(guidsIn(t, headOf(t, p2, bob.Session).JSON), pv.GUID)
	}, "the other process still serves the hidden post after Redis came back")
	if g := agree(t, "after", bob.Session, p1, p2); slices.Contains(g, pv.GUID) {
		t.Fatal("hidden post served")
	}
}

// BenchmarkPostUpkeep is what the head cache adds to posting: a public post
// by an author 100 local users have in an aspect, with the store's change
// hook (the fan-out returns its readers, one Lua script bumps their
// versions) and without it.
func BenchmarkPostUpkeep(b *testing.B) {
	p := podtest.New(b)
	ctx := context.Background()
	author := p.NewUser(b, "author")
	for i := range 100 {
		u := p.NewUser(b, fmt.Sprintf("reader%d", i))
		if _, err := p.App.Contacts.AddToAspect(ctx, u.Session, u.Aspects["Friends"], author.Session.PersonID); err != nil {
			b.Fatal(err)
		}
	}
	hook := p.App.Pages.Invalidate
	for _, mode := range []string{"with-cache", "without", "with-cache", "without"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "without" {
				p.Store.OnChange(nil)
			} else {
				p.Store.OnChange(hook)
			}
			for b.Loop() {
				if _, err := p.App.Posts.CreatePost(ctx, author.Session, posts.PostInput{Text: "hello", Audience: aspects.Selection{Public: true}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	p.Store.OnChange(hook)
}

// TestPageCacheDeepPages: deeper main-stream pages (a before= cursor or
// diaspora*'s max_time) are cached like the first one and follow every
// change to what they show, in both processes: a comment, a like, the
// commenter's rename, a deletion, a hide and an ignore; a
// limited post on a deep page never reaches someone outside its audience
// nor the PublicOnly session of someone inside it.
func TestPageCacheDeepPages(t *testing.T) {
	p1, p2 := twoProcesses(t)
	ctx := context.Background()
	alice, bob, carol, dave := p1.NewUser(t, "alice"), p1.NewUser(t, "bob"), p1.NewUser(t, "carol"), p1.NewUser(t, "dave")
	for _, u := range []*podtest.User{bob, dave} {
		for _, other := range []*podtest.User{alice, carol} {
			if _, err := p1.App.Contacts.AddToAspect(ctx, u.Session, u.Aspects["Friends"], other.Session.PersonID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := p1.App.Contacts.AddToAspect(ctx, carol.Session, carol.Aspects["Family"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	create := func(u *podtest.User, text string, sel aspects.Selection) *pod.PostView {
		t.Helper()
		pv, err := p1.App.Posts.CreatePost(ctx, u.Session, posts.PostInput{Text: text, Audience: sel})
		if err != nil {
			t.Fatal(err)
		}
		return pv
	}
	public := aspects.Selection{Public: true}
	mentioning := create(alice, "hello @{dave; dave@"+p1.Opt.Host+"}", public)
	limited := create(carol, "for bob's eyes", aspects.Selection{Aspects: []int64{carol.Aspects["Family"]}})
	fromCarol := create(carol, "carol, public", public)
	for i := range 2 * models.PageSize {
		create(alice, fmt.Sprintf("filler %d", i), public)
	}
	first := pageOf(t, p1, bob.Session, streams.StreamQuery{Kind: streams.StreamMain})
	if first.Next == "" {
		t.Fatal("bob's stream has one page only")
	}
	deep := streams.StreamQuery{Kind: streams.StreamMain, Before: first.Next}
	second := pageOf(t, p1, bob.Session, deep)
	if second.NextMaxTime == 0 && second.Count < models.PageSize {
		t.Fatalf("bob's second page has %d posts", second.Count)
	}
	third := streams.StreamQuery{Kind: streams.StreamMain, Before: second.Next}
	byMaxTime := streams.StreamQuery{Kind: streams.StreamMain, MaxTime: second.NextMaxTime + 1}
	g := agreeAt(t, "third page", bob.Session, third, p1, p2)
	if !slices.Contains(g, mentioning.GUID) || !slices.Contains(g, limited.GUID) || !slices.Contains(g, fromCarol.GUID) {
		t.Fatalf("bob's third page %v lacks the oldest posts", g)
	}
	agreeAt(t, "max_time page", bob.Session, byMaxTime, p1, p2)

	if _, err := p2.App.Posts.Comment(ctx, dave.Session, mentioning.GUID, "deep comment"); err != nil {
		t.Fatal(err)
	}
	agreeAt(t, "comment", bob.Session, third, p1, p2)
	if _, err := p1.App.Posts.Like(ctx, bob.Session, fromCarol.GUID, 0); err != nil {
		t.Fatal(err)
	}
	agreeAt(t, "own like", bob.Session, third, p1, p2)
	if err := p2.App.Profiles.UpdateProfile(ctx, dave.Session.UserID, profiles.ProfileInput{FirstName: "David", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	agreeAt(t, "commenter renamed", bob.Session, third, p1, p2)
	agreeAt(t, "max_time page, after the rename", bob.Session, byMaxTime, p1, p2)
	// A new post changes nothing below the cursor, but must not break it.
	create(alice, "newest", public)
	agreeAt(t, "new post", bob.Session, third, p1, p2)

	// The page from carol's public post down, as the API asks for it.
	oldest := streams.StreamQuery{Kind: streams.StreamMain, BeforeTime: fromCarol.CreatedAt.Add(time.Microsecond)}
	if g := agreeAt(t, "oldest posts", bob.Session, oldest, p1, p2); !slices.Contains(g, limited.GUID) {
		t.Fatalf("bob misses the limited post: %v", g)
	}
	for _, s := range []*pod.Session{dave.Session, func() *pod.Session { o := *bob.Session; o.PublicOnly = true; return &o }()} {
		for _, p := range []*podtest.Pod{p1, p2} {
			for range 2 {
				if g := guidsIn(t, pageOf(t, p, s, oldest).JSON); slices.Contains(g, limited.GUID) || !slices.Contains(g, fromCarol.GUID) {
					t.Fatalf("user %d (PublicOnly %v) gets %v on a deep page (limited %s)", s.UserID, s.PublicOnly, g, limited.GUID)
				}
			}
		}
	}

	if err := p2.App.Posts.DeletePost(ctx, alice.Session, mentioning.GUID); err != nil {
		t.Fatal(err)
	}
	if g := agreeAt(t, "delete", bob.Session, third, p1, p2); slices.Contains(g, mentioning.GUID) {
		t.Fatal("a deleted post is still served on a deep page")
	}
	if err := p1.App.Posts.HidePost(ctx, bob.Session, fromCarol.GUID, true); err != nil {
		t.Fatal(err)
	}
	if g := agreeAt(t, "hide", bob.Session, third, p1, p2); slices.Contains(g, fromCarol.GUID) {
		t.Fatal("a hidden post is still served on a deep page")
	}
	if _, err := p2.App.Contacts.Block(ctx, bob.Session, carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if g := agreeAt(t, "ignore", bob.Session, oldest, p1, p2); slices.Contains(g, limited.GUID) {
		t.Fatal("an ignored author's post is still served on a deep page")
	}
}
