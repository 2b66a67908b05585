// Package pagecache keeps encoded pages (a reader's main-stream pages, a
// post's page) so that a warm page costs one Redis round trip and no SQL,
// while several pod processes share one truth.
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
//   - for a post's page, the reader's notices: a notification that became
//     unread (opening the page marks them read, so a page is never served
//     from the cache while one is unread);
//   - one version per post shown and per reshared original: its counters,
//     comments, likes, poll, photos, its deletion;
//   - one per person shown (authors, reshared authors, commenters, likers,
//     mentioned people): their profile or their account closing.
//
// models.Store reports every committed write of these (models.Change) and
// Invalidate bumps the keys: at once, or, for an additive change (a
// received public post reaching streams, which can only leave a kept page
// incomplete, never wrong), together with the others that come within
// additiveDelay, in one round trip. A bump sets every named key to the next value
// of one pod-wide clock (a Redis counter), atomically. Before building a
// page a process reads the clock (c0), then the database, then the page's
// version keys: the page is kept only if every version is at most c0, so a
// write that committed after the database read started (its bump comes
// after its commit, so after c0) either shows a version above c0 (the page
// is served but not kept) or bumps a key later (the kept page fails its
// next check). Nothing is ever served from a page whose check failed or
// could not run (Redis away: the page is built from the database).
//
// A page's Key names its reader and whether their session is PublicOnly
// (an API token without private:read): such a session has pages of its
// own, built by the same queries with limited posts left out, and never
// shares an entry with the full page.
package pagecache

import (
	"container/list"
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

const (
	// versionTTL is how long a version key lives after its last bump. It
	// must exceed maxAge: a key that vanished and came back as "missing"
	// could otherwise match what a page recorded before.
	versionTTL = 24 * time.Hour
	// maxAge bounds how long a process serves one build of a page, however
	// valid it looks (a bump lost while Redis was unreachable is stale for
	// at most this long).
	maxAge = 5 * time.Minute
	// entryOverhead is what an entry costs beside its body and keys (the
	// struct, the map and list slots, the values).
	entryOverhead = 256
	// retryEvery is how often a lost change is retried as an epoch bump.
	retryEvery = 200 * time.Millisecond
	// additiveDelay is how long an additive change (models.Change.Additive)
	// may wait to be recorded, with the others that come meanwhile, in one
	// bump: a page kept before it lacks the new post for at most this long.
	additiveDelay = 10 * time.Millisecond
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

// Key names one cached page: its reader (0: signed out), whether the
// reader's session is PublicOnly, and which page in which encoding.
type Key struct {
	User       int64
	PublicOnly bool
	Name       string
}

// Page is what the cache keeps: an encoded body and the caller's facts
// about it (never modified once built).
type Page struct {
	Body []byte
	Meta any
}

// Deps are what a page shows, hence the changes that make it stale (see
// the package comment).
type Deps struct {
	// Reader is the user whose stream entries, blocks and hides the page
	// depends on (0: none).
	Reader int64
	// Notices: the page marks Reader's notifications read, so it depends
	// on them becoming unread.
	Notices bool
	posts   []int64
	people  []int64
	seen    map[[2]int64]bool // (kind, id) already added
}

// Post adds a post shown on the page.
func (d *Deps) Post(id int64) { d.add(&d.posts, 1, id) }

// Person adds a person shown on the page.
func (d *Deps) Person(id int64) { d.add(&d.people, 2, id) }

func (d *Deps) add(l *[]int64, kind, id int64) {
	if id == 0 || d.seen[[2]int64{kind, id}] {
		return
	}
	if d.seen == nil {
		d.seen = map[[2]int64]bool{}
	}
	d.seen[[2]int64{kind, id}] = true
	*l = append(*l, id)
}

// PostView adds what a post view shows: the post and its reshared
// original, and every person it names (authors, commenters, likers,
// resharers, mentioned people).
func (d *Deps) PostView(p *pod.PostView) {
	d.Post(p.ID)
	d.Person(p.Author.ID)
	if p.Root != nil {
		d.Post(p.Root.ID)
		d.Person(p.Root.Author.ID)
	}
	for _, m := range p.MentionedPeople {
		d.Person(m.ID)
	}
	for _, c := range p.Interactions.Comments {
		d.Person(c.Author.ID)
	}
	for _, l := range p.Interactions.Likes {
		d.Person(l.Author.ID)
	}
	for _, r := range p.Interactions.Reshares {
		d.Person(r.Author.ID)
	}
}

// Built is a page just built from the database.
type Built struct {
	Page
	Deps Deps
	// NoKeep: serve the page but do not cache it (it shows something the
	// versions do not follow).
	NoKeep bool
}

// entry is one cached page and the versions it was built from.
type entry struct {
	key   Key
	built time.Time
	// keys are the version keys (keys[0] is the clock, not checked); vals
	// their values at build time ("" for a missing key).
	keys []string
	vals []string
	page Page
	lru  *list.Element
}

// size is about what e holds in memory.
func (e *entry) size() int64 {
	n := int64(entryOverhead + len(e.page.Body) + len(e.key.Name))
	for i := range e.keys {
		n += int64(len(e.keys[i]) + len(e.vals[i]) + 32)
	}
	return n
}

// Cache is one process's page cache (see the package comment). A nil
// *Cache caches nothing: every page is built.
type Cache struct {
	rdb    *redis.Client
	prefix string
	log    *slog.Logger

	// maxBytes bounds the memory of the kept pages (see entry.size).
	maxBytes int64

	mu      sync.Mutex
	entries map[Key]*entry
	lru     *list.List // of *entry, most recently served first
	size    int64      // of the kept entries
	// sweeping: a sweep of aged pages is scheduled (keep, sweep).
	sweeping bool
	// Counts since the last sweep's report.
	hits, misses, evicted atomic.Int64
	// retrying: a lost change is being retried (retryEpoch).
	retrying atomic.Bool
	// Additive changes waiting for their bump (flushAdditive), and whether
	// one is scheduled.
	addMu      sync.Mutex
	addKeys    map[string]bool
	addPending bool
	// built, when set (tests only), runs after a page was read from the
	// database and before its versions are read: where a concurrent write
	// would land in the worst case.
	built atomic.Pointer[func()]
}

// New returns a cache over Redis with keys under prefix that keeps at most
// maxBytes of pages (the least recently served go first), or nil (no
// cache) without Redis. With no room (maxBytes 0) it keeps no page but
// still records changes (Invalidate), which the other processes' caches
// depend on.
func New(rdb *redis.Client, prefix string, log *slog.Logger, maxBytes int64) *Cache {
	if rdb == nil {
		return nil
	}
	return &Cache{rdb: rdb, prefix: prefix, log: log, maxBytes: maxBytes, entries: map[Key]*entry{}, lru: list.New()}
}

func (c *Cache) clockKey() string           { return c.prefix + "sh:clock" }
func (c *Cache) epochKey() string           { return c.prefix + "sh:e" }
func (c *Cache) userKey(id int64) string    { return c.prefix + "sh:u:" + strconv.FormatInt(id, 10) }
func (c *Cache) noticesKey(id int64) string { return c.prefix + "sh:n:" + strconv.FormatInt(id, 10) }
func (c *Cache) postKey(id int64) string    { return c.prefix + "sh:p:" + strconv.FormatInt(id, 10) }
func (c *Cache) personKey(id int64) string  { return c.prefix + "sh:h:" + strconv.FormatInt(id, 10) }
func appendKeys(dst []string, ids []int64, key func(int64) string) []string {
	for _, id := range ids {
		dst = append(dst, key(id))
	}
	return dst
}

// Invalidate bumps the version keys of a committed change (models.Store's
// OnChange hook). If Redis cannot be reached the change is logged, this
// process drops its pages, and the pod-wide epoch is bumped as soon as
// Redis answers again (retryEpoch). Every process that tried to check a
// page during the outage has dropped its pages too; one that did not may
// serve a page the lost change made stale until that retry lands (within
// retryEvery of Redis answering), and never longer than maxAge.
func (c *Cache) Invalidate(ctx context.Context, ch models.Change) {
	keys := make([]string, 0, 2+len(ch.Users)+len(ch.Posts)+len(ch.People)+len(ch.Notified))
	keys = append(keys, c.clockKey())
	if ch.All {
		keys = append(keys, c.epochKey())
	}
	keys = appendKeys(keys, ch.Users, c.userKey)
	keys = appendKeys(keys, ch.Notified, c.noticesKey)
	keys = appendKeys(keys, ch.Posts, c.postKey)
	keys = appendKeys(keys, ch.People, c.personKey)
	if len(keys) == 1 {
		return
	}
	if ch.Additive && !ch.All {
		c.later(keys[1:])
		return
	}
	// The write has committed: bump even if the caller's request ends now.
	c.record(context.WithoutCancel(ctx), keys)
}

// record bumps keys (the clock first); if Redis cannot be reached, every
// page is dropped here and, as soon as Redis answers, everywhere.
func (c *Cache) record(ctx context.Context, keys []string) {
	if err := c.bump(ctx, keys); err != nil {
		c.log.Error("page cache: a change could not be recorded; every cached page is dropped as soon as Redis answers", "err", err)
		c.dropAll()
		c.retryEpoch()
	}
}

// later queues the version keys of an additive change for one bump, with
// those of the others that come within additiveDelay: when a pod receives
// posts quickly, one round trip to Redis records many. A kept page that
// lacks the new post is served until then; a page cannot show what it
// should not, as the change only adds. A process that stops before the
// bump loses it: the other processes' kept pages then lack the post until
// they are rebuilt for another reason, at most maxAge later.
func (c *Cache) later(keys []string) {
	c.addMu.Lock()
	defer c.addMu.Unlock()
	if c.addKeys == nil {
		c.addKeys = map[string]bool{}
	}
	for _, k := range keys {
		c.addKeys[k] = true
	}
	if !c.addPending {
		c.addPending = true
		time.AfterFunc(additiveDelay, c.flushAdditive)
	}
}

// flushAdditive records the queued additive changes in one bump.
func (c *Cache) flushAdditive() {
	c.addMu.Lock()
	keys := make([]string, 1, 1+len(c.addKeys))
	keys[0] = c.clockKey()
	for k := range c.addKeys {
		keys = append(keys, k)
	}
	clear(c.addKeys)
	c.addPending = false
	c.addMu.Unlock()
	if len(keys) == 1 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.record(ctx, keys)
}

func (c *Cache) bump(ctx context.Context, keys []string) error {
	return bumpScript.Run(ctx, c.rdb, keys, int64(versionTTL/time.Second), time.Now().UnixMicro()).Err()
}

// dropAll forgets this process's pages.
func (c *Cache) dropAll() {
	c.mu.Lock()
	clear(c.entries)
	c.lru.Init()
	c.size = 0
	c.mu.Unlock()
}

// retryEpoch bumps the pod-wide epoch, in the background, as soon as Redis
// answers again: a change whose bump was lost makes every page stale, in
// every process (those that tried to check a page meanwhile have dropped
// theirs already).
func (c *Cache) retryEpoch() {
	if !c.retrying.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.retrying.Store(false)
		for {
			time.Sleep(retryEvery)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := c.bump(ctx, []string{c.clockKey(), c.epochKey()})
			cancel()
			if err == nil {
				c.log.Info("page cache: Redis answers again; every cached page was invalidated")
				return
			}
		}
	}()
}

// SetBuiltHook sets a function run after each page is read from the
// database and before its versions are read (tests: a write racing with a
// build); nil removes it.
func (c *Cache) SetBuiltHook(fn func()) {
	if fn == nil {
		c.built.Store(nil)
		return
	}
	c.built.Store(&fn)
}

// Get serves the page k from the cache when nothing it shows changed,
// else builds it (and keeps it when no write raced with the build).
// cached reports a page served without building.
func (c *Cache) Get(ctx context.Context, k Key, build func(context.Context) (*Built, error)) (page Page, cached bool, err error) {
	if c == nil || c.maxBytes <= 0 {
		b, err := build(ctx)
		if err != nil {
			return Page{}, false, err
		}
		return b.Page, false, nil
	}
	c.mu.Lock()
	e := c.entries[k]
	c.mu.Unlock()
	var keys []string
	if e != nil && time.Since(e.built) < maxAge {
		keys = e.keys
	} else {
		keys = []string{c.clockKey()}
	}
	vals, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		if ctx.Err() != nil {
			// The request ended (the client went away): Redis is fine.
			return Page{}, false, ctx.Err()
		}
		// No check possible: the database answers, nothing is kept, and
		// what this process kept is dropped (changes made meanwhile may
		// not have been recorded).
		c.dropAll()
		return c.buildOnly(ctx, build)
	}
	if e != nil && len(vals) == len(e.vals) && sameVersions(vals[1:], e.vals[1:]) {
		c.hits.Add(1)
		c.mu.Lock()
		if c.entries[k] == e { // not dropped or evicted meanwhile
			c.lru.MoveToFront(e.lru)
		}
		c.mu.Unlock()
		return e.page, true, nil
	}
	c.misses.Add(1)
	if e != nil {
		c.forget(e) // stale: rebuilt below, or gone (the post was deleted)
	}
	c0, ok := versionOf(vals[0])
	if !ok {
		return c.buildOnly(ctx, build)
	}
	b, err := build(ctx)
	if err != nil {
		return Page{}, false, err
	}
	if fn := c.built.Load(); fn != nil {
		(*fn)()
	}
	if b.NoKeep {
		return b.Page, false, nil
	}
	ne := &entry{key: k, built: time.Now(), keys: c.keysOf(b.Deps), page: b.Page}
	depVals, err := c.rdb.MGet(ctx, ne.keys...).Result()
	if err != nil {
		return b.Page, false, nil
	}
	ne.vals = make([]string, len(depVals))
	for i, v := range depVals[1:] {
		s, _ := v.(string)
		if n, ok := versionOf(v); !ok || n > c0 {
			return b.Page, false, nil // changed while we read: serve, do not keep
		}
		ne.vals[i+1] = s
	}
	c.keep(ne)
	return b.Page, false, nil
}

// buildOnly builds a page and keeps nothing.
func (c *Cache) buildOnly(ctx context.Context, build func(context.Context) (*Built, error)) (Page, bool, error) {
	b, err := build(ctx)
	if err != nil {
		return Page{}, false, err
	}
	return b.Page, false, nil
}

// keysOf lists the version keys of a page: the clock (not checked), the
// epoch, then what d names.
func (c *Cache) keysOf(d Deps) []string {
	keys := make([]string, 0, 4+len(d.posts)+len(d.people))
	keys = append(keys, c.clockKey(), c.epochKey())
	if d.Reader != 0 {
		keys = append(keys, c.userKey(d.Reader))
		if d.Notices {
			keys = append(keys, c.noticesKey(d.Reader))
		}
	}
	keys = appendKeys(keys, d.posts, c.postKey)
	return appendKeys(keys, d.people, c.personKey)
}

// keep stores a page, evicting the least recently served pages beyond
// maxBytes. A page larger than an eighth of maxBytes is not kept: it
// would push out many others.
func (c *Cache) keep(e *entry) {
	if e.size() > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[e.key]; old != nil {
		c.remove(old)
	}
	e.lru = c.lru.PushFront(e)
	c.entries[e.key] = e
	c.size += e.size()
	for c.size > c.maxBytes && c.lru.Len() > 0 {
		c.remove(c.lru.Back().Value.(*entry))
		c.evicted.Add(1)
	}
	if !c.sweeping {
		c.sweeping = true
		time.AfterFunc(maxAge, c.sweep)
	}
}

// sweep drops the pages older than maxAge (never served again: they would
// be rebuilt), so that an idle process gives their memory back, and logs
// what the cache did since the last sweep. It runs every maxAge while
// pages are kept.
func (c *Cache) sweep() {
	c.mu.Lock()
	aged := 0
	for _, e := range c.entries {
		if time.Since(e.built) >= maxAge {
			c.remove(e)
			aged++
		}
	}
	pages, size := len(c.entries), c.size
	c.sweeping = pages > 0
	if c.sweeping {
		time.AfterFunc(maxAge, c.sweep)
	}
	c.mu.Unlock()
	hits, misses := c.hits.Swap(0), c.misses.Swap(0)
	c.log.Info("page cache", "pages", pages, "bytes", size, "budget", c.maxBytes, "hits", hits, "misses", misses,
		"evicted", c.evicted.Swap(0), "aged", aged)
}

// remove drops a kept entry (c.mu held).
func (c *Cache) remove(e *entry) {
	c.lru.Remove(e.lru)
	delete(c.entries, e.key)
	c.size -= e.size()
}

// forget drops e if it is still cached.
func (c *Cache) forget(e *entry) {
	c.mu.Lock()
	if c.entries[e.key] == e {
		c.remove(e)
	}
	c.mu.Unlock()
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
