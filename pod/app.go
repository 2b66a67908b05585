// Package pod is the core of the application: the session, the errors
// use cases return, the one transaction entry point that writes federation
// into the outbox (Core.TxOut), and the steps several use cases share
// (publishing a post, notifying, building views). The use cases themselves
// live in one package per resource beside it (pod/accounts, pod/posts,
// ...); pod/federate turns their events into deliveries and received
// entities into calls on them; pod/app puts them together.
package pod

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/media"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// SoftwareName is the server software's name in NodeInfo.
const SoftwareName = "aspen"

// SoftwareRepository is the source repository NodeInfo 2.1 names.
const SoftwareRepository = "https://github.com/aspenpod/aspen"

// DefaultNodeInfoCacheTTL is how long production pods keep NodeInfo's usage
// counts: other pods and pod lists poll NodeInfo, and counting every post on
// each request would let anyone make a large pod scan its tables.
const DefaultNodeInfoCacheTTL = 10 * time.Minute

// SoftwareVersion is the version this binary was built as: the main
// module's version when built from a tagged module, otherwise a
// development version naming the VCS revision if known.
func SoftwareVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "0.0.0-dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "0.0.0-dev+" + s.Value[:12]
		}
	}
	return "0.0.0-dev"
}

// OwnHost reports whether host (with port, if any) is this pod's.
func (a *Core) OwnHost(host string) bool {
	if strings.EqualFold(host, a.opt.Host) {
		return true
	}
	u, err := url.Parse(a.opt.BaseURL)
	return err == nil && u.Host != "" && strings.EqualFold(host, u.Host)
}

// Enqueuer puts tasks on the job queue; *asynq.Client fits.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Options are the settings the use cases need, taken from config.Config.
type Options struct {
	// Host is the pod's public host, the part after @ in diaspora IDs.
	Host string
	// BaseURL is the pod's public URL without trailing slash.
	BaseURL string
	// RSABits is the size of new users' keys.
	RSABits int
	// KeyPoolSize is how many key pairs to keep ready.
	KeyPoolSize int
	// PageCacheBytes bounds the memory of this process's page cache
	// (package pagecache; 0: no page is cached).
	PageCacheBytes int64
	// RegistrationsOpen lets anyone sign up; otherwise an invite is needed.
	RegistrationsOpen bool
	// InviteCount is the number of sign-ups one invite code allows.
	InviteCount int
	// AvatarMaxBytes bounds avatar uploads.
	AvatarMaxBytes int64
	// RedisPrefix prefixes the Redis keys of sessions and rate limits.
	RedisPrefix string
	// PodName is the pod's name, published as NodeInfo's metadata.nodeName.
	PodName string
	// Version is the software version NodeInfo publishes; empty means the
	// version the binary was built as (see SoftwareVersion).
	Version string
	// NodeInfoCacheTTL is how long NodeInfo's usage counts are kept in
	// Redis; zero counts on every request (tests).
	NodeInfoCacheTTL time.Duration
	// FederationInsecure lets federation use plain http and reach loopback
	// and private addresses (development and tests only).
	FederationInsecure bool
	// PodGiveUpAfter is how long a pod may fail before deliveries to it are
	// given up until a periodic check finds it up (DefaultPodGiveUpAfter
	// if 0).
	PodGiveUpAfter time.Duration
	// RetryUnit scales the federation retry schedule, the worker's and the
	// first retries the dispatch job queues itself (a second if 0: about
	// 25 hours over 10 retries; tests use milliseconds).
	RetryUnit time.Duration
	// FirstAttemptBudget is how long a dispatch job goes on starting the
	// first attempts at its deliveries itself before it queues the rest
	// (DefaultFirstAttemptBudget if 0; tests shorten it).
	FirstAttemptBudget time.Duration
	// DiscoveryTTL is how long a remote person's discovery result is used
	// before it is refreshed on demand (DefaultDiscoveryTTL if 0).
	DiscoveryTTL time.Duration
	// Mail says how to send mail; without a host the pod sends none.
	Mail mail.Options
	// ConfirmSignups: a new account must open a link mailed to its
	// address before it can sign in (POD_CONFIRM_SIGNUPS).
	ConfirmSignups bool
	// RateLimits bound posts, comments, likes, conversations and sign-ups
	// per person and per address (a zero limit: none).
	RateLimits RateLimits
	// Approval makes approval-required the configured registrations
	// mode (an admin's choice on the dashboard overrides it).
	Approval bool
}

// Deps are the Core's collaborators.
type Deps struct {
	Store  *models.Store
	Sealer *models.KeySealer
	Redis  *redis.Client
	Queue  Enqueuer
	Media  media.Store
	Log    *slog.Logger
}

// Core holds what every use case shares: the settings, the store, the job
// queue, Redis (sessions, rate limits) and the log. The resource packages
// take what they need from it.
type Core struct {
	opt         Options
	store       *models.Store
	sealer      *models.KeySealer
	rdb         *redis.Client
	queue       Enqueuer
	media       media.Store
	log         *slog.Logger
	redisPrefix string
	mailer      mail.Sender // nil when mail is off
	// queueRestUntil (Unix ns) is when the job queue, having failed, is
	// tried again by requests (see EnqueueNow).
	queueRestUntil atomic.Int64
	// seenUntil (user ID → Unix ns) spares Seen its Redis round trip while
	// this process recorded the user as seen less than SeenEvery ago.
	seenUntil sync.Map
}

// New builds the Core, filling in the defaults of unset options.
func New(opt Options, d Deps) *Core {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	if opt.PodGiveUpAfter == 0 {
		opt.PodGiveUpAfter = DefaultPodGiveUpAfter
	}
	if opt.DiscoveryTTL == 0 {
		opt.DiscoveryTTL = DefaultDiscoveryTTL
	}
	if opt.RetryUnit == 0 {
		opt.RetryUnit = time.Second
	}
	if opt.FirstAttemptBudget == 0 {
		opt.FirstAttemptBudget = DefaultFirstAttemptBudget
	}
	c := &Core{opt: opt, store: d.Store, sealer: d.Sealer, rdb: d.Redis, queue: d.Queue, media: d.Media, log: log,
		redisPrefix: opt.RedisPrefix}
	if opt.Mail.Enabled() {
		c.mailer = mail.NewSMTP(opt.Mail)
	}
	return c
}

// MailEnabled reports whether the pod can send mail.
func (a *Core) MailEnabled() bool { return a.mailer != nil }

// Mailer returns what sends the mail jobs' messages, nil when mail is off.
func (a *Core) Mailer() mail.Sender { return a.mailer }

// Store returns the database the use cases work on.
func (a *Core) Store() *models.Store { return a.store }

// Sealer returns what encrypts and decrypts users' private keys.
func (a *Core) Sealer() *models.KeySealer { return a.sealer }

// Redis returns the Redis client (sessions, rate limits, short-lived
// markers).
func (a *Core) Redis() *redis.Client { return a.rdb }

// RedisKey is key with this pod's Redis prefix, for use cases that keep
// their own state in Redis (the stream head cache).
func (a *Core) RedisKey(key string) string { return a.redisPrefix + key }

// Queue returns the job queue, nil when none is configured.
func (a *Core) Queue() Enqueuer { return a.queue }

// Media returns where uploaded files are kept.
func (a *Core) Media() media.Store { return a.media }

// Log returns the application's logger.
func (a *Core) Log() *slog.Logger { return a.log }

// Options returns the Core's settings.
func (a *Core) Options() Options { return a.opt }

// Ready checks that PostgreSQL and Redis answer.
func (a *Core) Ready(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		return &DependencyError{Name: "PostgreSQL", Err: err}
	}
	if err := a.rdb.Ping(ctx).Err(); err != nil {
		return &DependencyError{Name: "Redis", Err: err}
	}
	return nil
}

// DependencyError says which backing service failed.
type DependencyError struct {
	Name string
	Err  error
}

func (e *DependencyError) Error() string { return e.Name + " is unreachable: " + e.Err.Error() }

func (e *DependencyError) Unwrap() error { return e.Err }

// EnqueueBestEffort puts a housekeeping task on the queue after commit, best effort:
// a failure is logged, not returned. Only tasks that a periodic job redoes
// anyway may go this way (the key pool refill); everything that federates
// goes through the outbox (TxOut).
func (a *Core) EnqueueBestEffort(ctx context.Context, t *asynq.Task) {
	if a.queue == nil {
		return
	}
	if _, err := a.queue.EnqueueContext(ctx, t); err != nil && !IsDuplicateTask(err) {
		a.log.Warn("enqueue failed", "task", t.Type(), "err", err)
	}
}

// queueRest is how long the job queue is left alone after it failed: while
// Redis is away (or drops packets, so that each try waits for its
// timeout) requests do not each wait on it; the worker's outbox relay
// queues what waits meanwhile.
const queueRest = 10 * time.Second

// QueueResting reports whether the job queue failed less than queueRest
// ago (see enqueueNow).
func (a *Core) QueueResting() bool {
	until := a.queueRestUntil.Load()
	return until != 0 && time.Now().UnixNano() < until
}

// EnqueueNow queues t within 5 s; a task with its ID queued already counts
// as queued. A failure makes the queue rest (queueResting).
func (a *Core) EnqueueNow(ctx context.Context, t *asynq.Task) error {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := a.queue.EnqueueContext(qctx, t)
	cancel()
	if err == nil || IsDuplicateTask(err) {
		return nil
	}
	a.queueRestUntil.Store(time.Now().Add(queueRest).UnixNano())
	return err
}

// IsDuplicateTask reports an enqueue refused because the same task (by ID
// or uniqueness) is queued already: the work is queued, which is the goal.
func IsDuplicateTask(err error) bool {
	return errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
}

// EqualHost compares two host[:port] values.
func EqualHost(a, b string) bool { return strings.EqualFold(a, b) }

// NewSecret returns a fresh secret for a cookie or a mailed link: 256
// random bits, URL-safe base64 (43 characters). Keep only a hash of it.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewGUID returns a fresh diaspora* GUID: 32 lower-case hex characters.
func NewGUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// Remote people: discovering user@otherpod (WebFinger, then hCard), storing
// them with their key and pod, and answering the federation library's key
// lookups from that table.

// DefaultDiscoveryTTL is how long a discovered person is used before a
// search refreshes their profile. Keys are never refreshed: diaspora*
// changes a key only through an account migration (§12.14).
const DefaultDiscoveryTTL = 24 * time.Hour

// DefaultFirstAttemptBudget is how long a dispatch job goes on starting
// first delivery attempts before it queues the rest: a few slow pods
// cannot keep it, and the worker slot it holds, for long.
const DefaultFirstAttemptBudget = 20 * time.Second

// DefaultPodGiveUpAfter is how long a pod may fail before deliveries to it
// are given up until a periodic check finds it up again (diaspora*: 14 days).
const DefaultPodGiveUpAfter = 14 * 24 * time.Hour
