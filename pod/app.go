// Package pod is the application: the use cases (sign up, sign in, edit a
// profile, ...) that own their transactions and write their federation
// into the outbox table in the same transaction (txOut). pod/web adapts
// them to HTTP and pod/jobs to the job queue.
package pod

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/federation/discovery"
	"github.com/aspenpod/aspen/federation/transport"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/fedhost"
	"github.com/aspenpod/aspen/pod/media"
)

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
	// DiscoveryTTL is how long a remote person's discovery result is used
	// before it is refreshed on demand (DefaultDiscoveryTTL if 0).
	DiscoveryTTL time.Duration
}

// Deps are the App's collaborators.
type Deps struct {
	Store  *models.Store
	Sealer *models.KeySealer
	Redis  *redis.Client
	Queue  Enqueuer
	Media  media.Store
	Log    *slog.Logger
}

// App holds the use cases.
type App struct {
	opt         Options
	keys        *fedhost.Keys
	http        *transport.Client
	discovery   *discovery.Client
	stats       FederationStats
	store       *models.Store
	sealer      *models.KeySealer
	rdb         *redis.Client
	queue       Enqueuer
	media       media.Store
	log         *slog.Logger
	redisPrefix string
	inboxWarned atomic.Int64 // when a received body last went to the outbox (Unix ns)
	// queueRestUntil (Unix ns) is when the job queue, having failed, is
	// tried again by requests (see enqueueNow).
	queueRestUntil atomic.Int64
}

// New builds the App.
func New(opt Options, d Deps) *App {
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
	hc := transport.New(transport.Options{
		UserAgent:    "aspen/" + SoftwareVersion() + " (diaspora* federation)",
		AllowPrivate: opt.FederationInsecure, AllowHTTP: opt.FederationInsecure,
	})
	return &App{opt: opt, store: d.Store, sealer: d.Sealer, rdb: d.Redis, queue: d.Queue, media: d.Media, log: log,
		redisPrefix: opt.RedisPrefix, keys: fedhost.NewKeys(d.Sealer, 0), http: hc, discovery: discovery.NewClient(hc)}
}

// Options returns the App's settings.
func (a *App) Options() Options { return a.opt }

// Ready checks that PostgreSQL and Redis answer.
func (a *App) Ready(ctx context.Context) error {
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

// enqueue puts a housekeeping task on the queue after commit, best effort:
// a failure is logged, not returned. Only tasks that a periodic job redoes
// anyway may go this way (the key pool refill); everything that federates
// goes through the outbox (txOut).
func (a *App) enqueue(ctx context.Context, t *asynq.Task) {
	if a.queue == nil {
		return
	}
	if _, err := a.queue.EnqueueContext(ctx, t); err != nil && !isDuplicateTask(err) {
		a.log.Warn("enqueue failed", "task", t.Type(), "err", err)
	}
}

// queueRest is how long the job queue is left alone after it failed: while
// Redis is away (or drops packets, so that each try waits for its
// timeout) requests do not each wait on it; the worker's outbox relay
// queues what waits meanwhile.
const queueRest = 10 * time.Second

// queueResting reports whether the job queue failed less than queueRest
// ago (see enqueueNow).
func (a *App) queueResting() bool {
	until := a.queueRestUntil.Load()
	return until != 0 && time.Now().UnixNano() < until
}

// enqueueNow queues t within 5 s; a task with its ID queued already counts
// as queued. A failure makes the queue rest (queueResting).
func (a *App) enqueueNow(ctx context.Context, t *asynq.Task) error {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := a.queue.EnqueueContext(qctx, t)
	cancel()
	if err == nil || isDuplicateTask(err) {
		return nil
	}
	a.queueRestUntil.Store(time.Now().Add(queueRest).UnixNano())
	return err
}

// isDuplicateTask reports an enqueue refused because the same task (by ID
// or uniqueness) is queued already: the work is queued, which is the goal.
func isDuplicateTask(err error) bool {
	return errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
}

// equalHost compares two host[:port] values.
func equalHost(a, b string) bool { return strings.EqualFold(a, b) }

// NewGUID returns a fresh diaspora* GUID: 32 lower-case hex characters.
func NewGUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
