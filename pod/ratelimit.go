package pod

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rate limits against spam: how many of one kind of action a person, and
// separately a client address, may take in a window. The counters live in
// Redis (fixed windows: INCR and EXPIRE NX), so several serve processes
// share them.

// RateLimit is a number of actions per window; a zero Count means no
// limit.
type RateLimit struct {
	Count  int
	Window time.Duration
}

// RateLimits are the limits of the actions spammers repeat.
type RateLimits struct {
	Posts         RateLimit
	Comments      RateLimit
	Likes         RateLimit
	Conversations RateLimit
	SignUps       RateLimit
	// API bounds the /api/v1 requests of one app authorization.
	API RateLimit
}

// Kinds of rate-limited actions (the names of RateLimits' fields as the
// Redis keys and log lines spell them).
const (
	LimitPosts         = "posts"
	LimitComments      = "comments"
	LimitLikes         = "likes"
	LimitConversations = "conversations"
	LimitSignUps       = "signups"
	LimitAPI           = "api"
)

// RateLimitFor returns the configured limit of a kind of action.
func (a *Core) RateLimitFor(kind string) RateLimit {
	l := a.opt.RateLimits
	switch kind {
	case LimitPosts:
		return l.Posts
	case LimitComments:
		return l.Comments
	case LimitLikes:
		return l.Likes
	case LimitConversations:
		return l.Conversations
	case LimitSignUps:
		return l.SignUps
	case LimitAPI:
		return l.API
	}
	return RateLimit{}
}

// RateLimitError is ErrRateLimited with the time until the window ends.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	secs := int(e.RetryAfter.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return fmt.Sprintf("too many attempts, please wait %d seconds and try again", secs)
}

// Is makes errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// RetryAfter returns how long a rate-limited caller should wait, or 0 if
// err is not a rate limit.
func RetryAfter(err error) time.Duration {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	return 0
}

// CheckRateLimit counts one action of kind by a user (0: signed out) from
// a client address against the configured limit, per person and per
// address (IPv6 per /64). Over either limit it returns a RateLimitError.
func (a *Core) CheckRateLimit(ctx context.Context, kind string, userID int64, clientIP string) error {
	l := a.RateLimitFor(kind)
	if l.Count == 0 {
		return nil
	}
	// Many people may share an address (NAT, a campus, a carrier), so an
	// address gets AddressFactor times a person's limit; signed out, the
	// address is all there is to count.
	perAddress := l
	if userID != 0 {
		perAddress.Count *= AddressFactor
		if err := a.countAction(ctx, kind, []string{"u:" + strconv.FormatInt(userID, 10)}, l); err != nil {
			return err
		}
	}
	return a.countAction(ctx, kind, []string{"ip:" + addressBucket(clientIP)}, perAddress)
}

// AddressFactor is how many people's worth of actions one client address
// may take (see CheckRateLimit).
const AddressFactor = 5

// AllowAndGet is Allow for one subject that also reads the string at
// key, in the same Redis round trip (the API's token check: the cached
// grant and the authorization's request count). raw is nil when key does
// not exist; the count is made either way.
func (a *Core) AllowAndGet(ctx context.Context, what, subject string, l RateLimit, key string) (raw []byte, err error) {
	var get *redis.StringCmd
	err = a.countActionWith(ctx, what, []string{subject}, l, func(pipe redis.Pipeliner) { get = pipe.Get(ctx, key) })
	if get != nil {
		if b, gerr := get.Bytes(); gerr == nil {
			raw = b
		}
	}
	return raw, err
}

// countAction counts one action for every subject in one Redis round trip.
func (a *Core) countAction(ctx context.Context, kind string, subjects []string, l RateLimit) error {
	return a.countActionWith(ctx, kind, subjects, l, nil)
}

// countActionWith is countAction with more commands in its round trip:
// also adds them to the pipeline.
func (a *Core) countActionWith(ctx context.Context, kind string, subjects []string, l RateLimit, also func(redis.Pipeliner)) error {
	pipe := a.rdb.TxPipeline()
	incrs := make([]interface{ Val() int64 }, len(subjects))
	ttls := make([]interface{ Val() time.Duration }, len(subjects))
	for i, s := range subjects {
		key := a.redisPrefix + "rl:" + kind + ":" + s
		incrs[i] = pipe.Incr(ctx, key)
		pipe.ExpireNX(ctx, key, l.Window)
		ttls[i] = pipe.PTTL(ctx, key)
	}
	if also != nil {
		also(pipe) // after the counts: a missing key's redis.Nil comes last
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("rate limit: %w", err)
	}
	var wait time.Duration
	for i := range subjects {
		if incrs[i].Val() > int64(l.Count) {
			w := ttls[i].Val()
			if w <= 0 {
				w = l.Window
			}
			wait = max(wait, w)
		}
	}
	if wait > 0 {
		return &RateLimitError{RetryAfter: wait}
	}
	return nil
}
