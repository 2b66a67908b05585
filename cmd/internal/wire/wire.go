// Package wire builds what the commands run on from the configuration:
// the PostgreSQL store (migrated as configured), Redis, the job queue, the
// media store and the App. cmd/pod (the pod) and cmd/podload (load
// tooling) share it, so both run the very same application.
package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/config"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/media"
)

// Env is everything a command wired up, to be closed when it ends.
type Env struct {
	Cfg   config.Config
	Log   *slog.Logger
	Store *models.Store
	RDB   *redis.Client
	Queue *asynq.Client
	Redis asynq.RedisConnOpt
	Media *media.LocalStore
	App   *app.App
}

// Close closes the connections the Env holds.
func (e *Env) Close() {
	if e.Queue != nil {
		e.Queue.Close()
	}
	if e.RDB != nil {
		e.RDB.Close()
	}
	if e.Store != nil {
		e.Store.Close()
	}
}

// LoadConfig reads and validates the configuration and makes sure a
// development secret exists.
func LoadConfig() (config.Config, error) {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	if err := config.EnsureSecret(&cfg); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// NewLogger is the process's structured logger, as the configuration sets
// its level and format.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// MigrateMode says what Setup does about the schema.
type MigrateMode int

// What Setup does about the schema.
const (
	SchemaAsConfigured MigrateMode = iota // migrate if POD_AUTO_MIGRATE, else require current
	SchemaIgnore                          // leave it alone (the migrate command)
)

// Setup connects to PostgreSQL and Redis, checks or applies migrations and
// builds the App. A service that cannot be reached gives one clear line.
func Setup(ctx context.Context, cfg config.Config, log *slog.Logger, mode MigrateMode) (*Env, error) {
	e := &Env{Cfg: cfg, Log: log}
	ok := false
	defer func() {
		if !ok {
			e.Close()
		}
	}()

	if _, err := models.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, dbError(cfg, err)
	}
	store, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, dbError(cfg, err)
	}
	e.Store = store
	if mode == SchemaAsConfigured {
		if cfg.AutoMigrate {
			applied, err := store.Migrate(ctx)
			if err != nil {
				return nil, err
			}
			for _, name := range applied {
				log.Info("migration applied", "name", name)
			}
		} else if err := store.RequireCurrent(ctx); err != nil {
			return nil, err
		}
	}

	opt, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("POD_REDIS_URL: %w", err)
	}
	e.RDB = redis.NewClient(opt)
	if err := e.RDB.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("cannot reach Redis at %s: %v. Start it (e.g. `redis-server --daemonize yes`, or `systemctl start redis-server`) or set POD_REDIS_URL", opt.Addr, shortErr(err))
	}
	e.Redis, err = asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("POD_REDIS_URL: %w", err)
	}
	e.Queue = asynq.NewClient(e.Redis)

	if e.Media, err = media.NewLocalStore(cfg.UploadsDir()); err != nil {
		return nil, fmt.Errorf("POD_DATA_DIR: %w", err)
	}
	sealer, err := models.NewKeySealer(cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("POD_SECRET_KEY: %w", err)
	}
	e.App = app.New(pod.Options{
		Host: cfg.Host, BaseURL: cfg.BaseURL(), RSABits: cfg.RSABits, KeyPoolSize: cfg.KeyPoolSize,
		PageCacheBytes:    int64(cfg.PageCacheMB) << 20,
		RegistrationsOpen: cfg.Registrations == config.RegistrationsOpen, InviteCount: cfg.InviteCount,
		Approval:       cfg.Registrations == config.RegistrationsApproval,
		RateLimits:     rateLimits(cfg.RateLimits),
		AvatarMaxBytes: cfg.AvatarMaxBytes, RedisPrefix: cfg.RedisPrefix,
		PodName: cfg.PodName, NodeInfoCacheTTL: pod.DefaultNodeInfoCacheTTL,
		FederationInsecure: cfg.FederationInsecure, RetryUnit: cfg.RetryUnit,
		Mail: mail.Options{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, User: cfg.SMTP.User, Password: cfg.SMTP.Password,
			TLS: cfg.SMTP.TLS, From: cfg.SMTP.From},
		ConfirmSignups: cfg.ConfirmSignups,
	}, pod.Deps{Store: store, Sealer: sealer, Redis: e.RDB, Queue: e.Queue, Media: e.Media, Log: log})
	ok = true
	return e, nil
}

// rateLimits converts the configured limits into the use cases' terms.
func rateLimits(r config.RateLimits) pod.RateLimits {
	c := func(l config.RateLimit) pod.RateLimit { return pod.RateLimit{Count: l.Count, Window: l.Window} }
	return pod.RateLimits{Posts: c(r.Posts), Comments: c(r.Comments), Likes: c(r.Likes), Conversations: c(r.Conversations), SignUps: c(r.SignUps), API: c(r.API)}
}

func dbError(cfg config.Config, err error) error {
	var ue *models.UnreachableError
	if errors.As(err, &ue) {
		return fmt.Errorf("cannot reach PostgreSQL at %s: %v. Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`, or `systemctl start postgresql`) or set POD_DATABASE_URL", ue.Addr, shortErr(ue.Err))
	}
	u, _ := url.Parse(cfg.DatabaseURL)
	host := ""
	if u != nil {
		host = u.Host
	}
	return fmt.Errorf("cannot use PostgreSQL at %s: %v", host, shortErr(err))
}

// shortErr keeps an error on one line.
func shortErr(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
