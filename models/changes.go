package models

import (
	"context"
	"slices"
	"sync"
)

// Change says what a committed write changed, as far as caches of rendered
// stream pages care (pod/streams' head-of-stream cache). The store reports
// it after the statement, or after the commit of the transaction it ran in.
type Change struct {
	// Users whose main-stream entries, blocks or hides changed.
	Users []int64
	// Posts whose row, counters, comments, likes, poll, photos or
	// existence changed.
	Posts []int64
	// People whose profile or account changed.
	People []int64
	// Notified are users with a notification that became unread (a new
	// one, or one marked unread again): a cached post page, which marks
	// the reader's notifications about its post read, must be rebuilt.
	Notified []int64
	// All: something broad changed (moderation, pod states, account moves
	// and deletions): every cached page is stale.
	All bool
	// Additive: the write only added something that readers may now see
	// (a received public post reaching streams), so that a page built
	// before it is incomplete, never wrong; its record may come a moment
	// late (pagecache batches these). A transaction's changes are never
	// additive.
	Additive bool
}

// Empty reports whether c names nothing.
func (c *Change) Empty() bool {
	return !c.All && len(c.Users) == 0 && len(c.Posts) == 0 && len(c.People) == 0 && len(c.Notified) == 0
}

func (c *Change) merge(o Change) {
	c.All = c.All || o.All
	c.Additive = false
	c.Users = append(c.Users, o.Users...)
	c.Posts = append(c.Posts, o.Posts...)
	c.People = append(c.People, o.People...)
	c.Notified = append(c.Notified, o.Notified...)
}

// compact sorts and dedups c's lists.
func (c *Change) compact() {
	for _, l := range []*[]int64{&c.Users, &c.Posts, &c.People, &c.Notified} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
}

// changeHook holds the function told about changes; one per opened Store,
// shared by its transactions.
type changeHook struct {
	mu sync.RWMutex
	fn func(context.Context, Change)
}

// OnChange sets fn to be told, after the fact, about every write that can
// change a rendered stream page (see Change): right after a statement
// outside a transaction, after the commit of one inside (nothing for a
// rolled-back one). fn runs on the writer's goroutine and must be quick.
func (s *Store) OnChange(fn func(context.Context, Change)) {
	s.hook.mu.Lock()
	s.hook.fn = fn
	s.hook.mu.Unlock()
}

func (h *changeHook) tell(ctx context.Context, c Change) {
	if h == nil || c.Empty() {
		return
	}
	h.mu.RLock()
	fn := h.fn
	h.mu.RUnlock()
	if fn != nil {
		c.compact()
		fn(ctx, c)
	}
}

// pendingChanges collects a transaction's changes until its commit.
type pendingChanges struct {
	mu sync.Mutex
	c  Change
}

// touch records a change made by the statement that just succeeded.
func (s *Store) touch(ctx context.Context, c Change) {
	if s.pending != nil {
		s.pending.mu.Lock()
		s.pending.c.merge(c)
		s.pending.mu.Unlock()
		return
	}
	s.hook.tell(ctx, c)
}

func (s *Store) touchUsers(ctx context.Context, ids ...int64)  { s.touch(ctx, Change{Users: ids}) }
func (s *Store) touchPosts(ctx context.Context, ids ...int64)  { s.touch(ctx, Change{Posts: ids}) }
func (s *Store) touchPeople(ctx context.Context, ids ...int64) { s.touch(ctx, Change{People: ids}) }
func (s *Store) touchAll(ctx context.Context)                  { s.touch(ctx, Change{All: true}) }

// Touched reports a change made outside the store's own methods (a
// maintenance statement run through Exec, a test) as if a store method
// had made it.
func (s *Store) Touched(ctx context.Context, c Change) { s.touch(ctx, c) }
