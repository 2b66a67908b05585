package streams

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// The head cache keeps the encoded first page of each reader's main stream
// (the page everyone loads first and most often) so that a warm page costs
// one Redis round trip and no SQL.
//
// Its truth is shared through Redis; each pod process keeps its own copy
// of the pages it built, and serves one only after checking, in one MGET,
// that nothing it was built from changed since. What a page was built from
// is a list of version keys:
//
//   - the pod-wide epoch (moderation, pod blocks, account moves: anything
//     broad bumps it and every page is rebuilt);
//   - the reader's own version: their main-stream entries (a new post
//     reaching them through the fan-out, a hide, an ignore, an aspect or
//     tag change dropping or restoring entries) and their blocks;
//   - one version per post on the page and per reshared original: its
//     counters, comments, likes, poll, photos, its deletion;
//   - one per person shown (authors, reshared authors, commenters): their
//     profile or their account closing.
//
// models.Store reports every committed write of these (models.Change) and
// Invalidate bumps the keys. A bump sets every named key to the next value
// of one pod-wide clock (a Redis counter), atomically. Before building a
// page a process reads the clock (c0), then the database, then the page's
// version keys: the page is kept only if every version is at most c0, so a
// write that committed after the database read started (its bump comes
// after its commit, so after c0) either shows a version above c0 (the page
// is served but not kept) or bumps a key later (the kept page fails its
// next check). Nothing is ever served from a page whose check failed or
// could not run (Redis away: the page is built from the database).
//
// A reader whose session is PublicOnly (an API token without private:read)
// has a page of their own, built by the same query with limited posts left
// out; it never shares an entry with the full page.

const (
	// headVersionTTL is how long a version key lives after its last bump.
	// It must exceed headMaxAge: a key that vanished and came back as
	// "missing" could otherwise match what a page recorded before.
	headVersionTTL = 24 * time.Hour
	// headMaxAge bounds how long a process serves one build of a page,
	// however valid it looks (a bump lost while Redis was unreachable is
	// stale for at most this long).
	headMaxAge = 5 * time.Minute
	// headMaxEntries bounds the pages one process keeps (about 20 kB each).
	headMaxEntries = 512
)

// bumpScript sets KEYS[2..] to the next value of the clock KEYS[1]. A
// missing clock (a new or flushed Redis) starts at ARGV[2], the caller's
// time in microseconds, so that its values never repeat earlier ones.
var bumpScript = redis.NewScript(`
local c = redis.call('INCR', KEYS[1])
if c == 1 then
	redis.call('SET', KEYS[1], ARGV[2])
	c = redis.call('INCR', KEYS[1])
end
for i = 2, #KEYS do
	redis.call('SET', KEYS[i], c, 'EX', ARGV[1])
end
return c`)

// headKey names one reader's cached page.
type headKey struct {
	user       int64
	publicOnly bool
	format     string
}

// headEntry is one reader's encoded first page and what it was built from.
type headEntry struct {
	built time.Time
	// keys are the version keys (keys[0] is the clock, not checked); vals
	// their values at build time ("" for a missing key).
	keys []string
	vals []string
	body []byte
	next string
	// nextMaxTime is the page's NextMaxTime.
	nextMaxTime int64
	// oldest and count are HeadPage's.
	oldest time.Time
	count  int
}

// HeadCache is the main stream's first-page cache (see the comment above).
type HeadCache struct {
	rdb    *redis.Client
	prefix string
	log    *slog.Logger

	mu      sync.Mutex
	entries map[headKey]*headEntry
	// retrying: a lost change is being retried (retryEpoch).
	retrying atomic.Bool
}

func newHeadCache(rdb *redis.Client, prefix string, log *slog.Logger) *HeadCache {
	return &HeadCache{rdb: rdb, prefix: prefix, log: log, entries: map[headKey]*headEntry{}}
}

func (h *HeadCache) clockKey() string          { return h.prefix + "sh:clock" }
func (h *HeadCache) epochKey() string          { return h.prefix + "sh:e" }
func (h *HeadCache) userKey(id int64) string   { return h.prefix + "sh:u:" + strconv.FormatInt(id, 10) }
func (h *HeadCache) postKey(id int64) string   { return h.prefix + "sh:p:" + strconv.FormatInt(id, 10) }
func (h *HeadCache) personKey(id int64) string { return h.prefix + "sh:h:" + strconv.FormatInt(id, 10) }
func (h *HeadCache) key(u int64, po bool, f string) headKey {
	return headKey{user: u, publicOnly: po, format: f}
}

// Invalidate bumps the version keys of a committed change (models.Store's
// OnChange hook). If Redis cannot be reached the change is logged, this
// process drops its pages, and the pod-wide epoch is bumped as soon as
// Redis answers again (retryEpoch). Every process that tried to check a
// page during the outage has dropped its pages too; one that did not may
// serve a page the lost change made stale until that retry lands (within
// headRetryEvery of Redis answering), and never longer than headMaxAge.
func (h *HeadCache) Invalidate(ctx context.Context, c models.Change) {
	keys := make([]string, 0, 2+len(c.Users)+len(c.Posts)+len(c.People))
	keys = append(keys, h.clockKey())
	if c.All {
		keys = append(keys, h.epochKey())
	}
	for _, id := range c.Users {
		keys = append(keys, h.userKey(id))
	}
	for _, id := range c.Posts {
		keys = append(keys, h.postKey(id))
	}
	for _, id := range c.People {
		keys = append(keys, h.personKey(id))
	}
	if len(keys) == 1 {
		return
	}
	// The write has committed: bump even if the caller's request ends now.
	ctx = context.WithoutCancel(ctx)
	if err := h.bump(ctx, keys); err != nil {
		h.log.Error("stream head cache: a change could not be recorded; every cached page is dropped as soon as Redis answers", "err", err)
		h.dropAll()
		h.retryEpoch()
	}
}

func (h *HeadCache) bump(ctx context.Context, keys []string) error {
	return bumpScript.Run(ctx, h.rdb, keys, int64(headVersionTTL/time.Second), time.Now().UnixMicro()).Err()
}

// dropAll forgets this process's pages.
func (h *HeadCache) dropAll() {
	h.mu.Lock()
	clear(h.entries)
	h.mu.Unlock()
}

// headRetryEvery is how often a lost change is retried as an epoch bump.
const headRetryEvery = 200 * time.Millisecond

// retryEpoch bumps the pod-wide epoch, in the background, as soon as Redis
// answers again: a change whose bump was lost makes every page stale, in
// every process (those that tried to check a page meanwhile have dropped
// theirs already).
func (h *HeadCache) retryEpoch() {
	if !h.retrying.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer h.retrying.Store(false)
		for {
			time.Sleep(headRetryEvery)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := h.bump(ctx, []string{h.clockKey(), h.epochKey()})
			cancel()
			if err == nil {
				h.log.Info("stream head cache: Redis answers again; every cached page was invalidated")
				return
			}
		}
	}()
}

// headBuilt, when set (tests only), runs after a page was read from the
// database and before its versions are read: where a concurrent write
// would land in the worst case.
var headBuilt func()

// HeadPage is the encoded first page of a main stream.
type HeadPage struct {
	// JSON is the page's posts as a JSON array, as c.JSON(page.Posts)
	// writes them.
	JSON []byte
	// Next and NextMaxTime are StreamPage's.
	Next        string
	NextMaxTime int64
	// Oldest is the stream-order time of the page's last post (its
	// cursor's time) and Count the number of posts: an API page's Link.
	Oldest time.Time
	Count  int
	// Cached: served from the cache without SQL.
	Cached bool
}

// HeadSize is the number of posts on the head page (a stream's default
// page size).
const HeadSize = models.PageSize

// HeadFormat is one encoding of the head page, cached apart from the
// others: the web's (the zero HeadFormat: the post views as JSON) or the
// API's post objects. Encode must depend only on the posts it is given
// (and constants such as the pod's URL).
type HeadFormat struct {
	Name   string
	Encode func([]pod.PostView) ([]byte, error)
}

// MainHead is the first page (default size) of sess's main stream,
// encoded as JSON, from the head cache when it is still current.
func (a *Service) MainHead(ctx context.Context, sess *pod.Session) (*HeadPage, error) {
	return a.MainHeadAs(ctx, sess, HeadFormat{})
}

// MainHeadAs is MainHead in another encoding.
func (a *Service) MainHeadAs(ctx context.Context, sess *pod.Session, f HeadFormat) (*HeadPage, error) {
	if sess == nil {
		return nil, pod.ErrUnauthenticated
	}
	h := a.head
	if h == nil {
		return a.uncachedHead(ctx, sess, f)
	}
	k := h.key(sess.UserID, sess.PublicOnly, f.Name)
	h.mu.Lock()
	e := h.entries[k]
	h.mu.Unlock()
	var keys []string
	if e != nil && time.Since(e.built) < headMaxAge {
		keys = e.keys
	} else {
		keys = []string{h.clockKey()}
	}
	vals, err := h.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		// No check possible: the database answers, nothing is kept, and
		// what this process kept is dropped (changes made meanwhile may
		// not have been recorded).
		h.dropAll()
		return a.uncachedHead(ctx, sess, f)
	}
	if e != nil && len(vals) == len(e.vals) && sameVersions(vals[1:], e.vals[1:]) {
		return &HeadPage{JSON: e.body, Next: e.next, NextMaxTime: e.nextMaxTime, Oldest: e.oldest, Count: e.count, Cached: true}, nil
	}
	c0, ok := versionOf(vals[0])
	if !ok {
		return a.uncachedHead(ctx, sess, f)
	}
	page, err := a.buildHead(ctx, sess, f)
	if err != nil {
		return nil, err
	}
	if headBuilt != nil {
		headBuilt()
	}
	ne := &headEntry{built: time.Now(), keys: page.deps, body: page.JSON, next: page.Next, nextMaxTime: page.NextMaxTime,
		oldest: page.Oldest, count: page.Count}
	ne.keys[0] = h.clockKey()
	ne.keys[1] = h.epochKey()
	ne.keys[2] = h.userKey(sess.UserID)
	depVals, err := h.rdb.MGet(ctx, ne.keys...).Result()
	if err != nil {
		return &page.HeadPage, nil
	}
	ne.vals = make([]string, len(depVals))
	for i, v := range depVals[1:] {
		s, _ := v.(string)
		if n, ok := versionOf(v); !ok || n > c0 {
			return &page.HeadPage, nil // changed while we read: serve, do not keep
		}
		ne.vals[i+1] = s
	}
	h.mu.Lock()
	if len(h.entries) >= headMaxEntries {
		for old := range h.entries { // evict one, any
			delete(h.entries, old)
			break
		}
	}
	h.entries[k] = ne
	h.mu.Unlock()
	return &page.HeadPage, nil
}

// PageTimes are the oldest and newest stream-order times of a page's
// posts: each post's cursor time (interacted_at on the activity stream),
// or its creation time when it has no cursor. Zero for an empty page.
func PageTimes(posts []pod.PostView) (oldest, newest time.Time) {
	for _, p := range posts {
		at := p.CreatedAt
		if cur, err := pod.DecodeCursor(p.Cursor); err == nil {
			at = cur.Time
		}
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
		if at.After(newest) {
			newest = at
		}
	}
	return oldest, newest
}

// uncachedHead builds the page from the database and keeps nothing.
func (a *Service) uncachedHead(ctx context.Context, sess *pod.Session, f HeadFormat) (*HeadPage, error) {
	b, err := a.buildHead(ctx, sess, f)
	if err != nil {
		return nil, err
	}
	return &b.HeadPage, nil
}

// builtHead is a HeadPage with the version keys it depends on: three
// placeholders (clock, epoch, reader) and then its posts and people.
type builtHead struct {
	HeadPage
	deps []string
}

// buildHead reads and encodes the first page from the database.
func (a *Service) buildHead(ctx context.Context, sess *pod.Session, f HeadFormat) (*builtHead, error) {
	page, err := a.Stream(ctx, sess, StreamQuery{Kind: StreamMain})
	if err != nil {
		return nil, err
	}
	encode := f.Encode
	if encode == nil {
		encode = func(posts []pod.PostView) ([]byte, error) { return json.Marshal(posts) }
	}
	body, err := encode(page.Posts)
	if err != nil {
		return nil, err
	}
	oldest, _ := PageTimes(page.Posts)
	b := &builtHead{HeadPage: HeadPage{JSON: body, Next: page.Next, NextMaxTime: page.NextMaxTime, Oldest: oldest, Count: len(page.Posts)}}
	if a.head == nil {
		return b, nil
	}
	h := a.head
	b.deps = make([]string, 3, 3+4*len(page.Posts))
	seenPost, seenPerson := map[int64]bool{}, map[int64]bool{}
	post := func(id int64) {
		if !seenPost[id] {
			seenPost[id] = true
			b.deps = append(b.deps, h.postKey(id))
		}
	}
	person := func(id int64) {
		if id != 0 && !seenPerson[id] {
			seenPerson[id] = true
			b.deps = append(b.deps, h.personKey(id))
		}
	}
	for _, p := range page.Posts {
		post(p.ID)
		person(p.Author.ID)
		if p.Root != nil {
			post(p.Root.ID)
			person(p.Root.Author.ID)
		}
		for _, c := range p.Interactions.Comments {
			person(c.Author.ID)
		}
	}
	return b, nil
}

// sameVersions compares MGET's answer with recorded values.
func sameVersions(got []any, want []string) bool {
	for i, v := range got {
		s, _ := v.(string) // nil (missing) is ""
		if s != want[i] {
			return false
		}
	}
	return true
}

// versionOf reads a clock value; a missing key is version 0.
func versionOf(v any) (int64, bool) {
	switch s := v.(type) {
	case nil:
		return 0, true
	case string:
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	return 0, false
}
