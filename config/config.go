// Package config loads the pod's one typed configuration from POD_* environment
// variables and an optional file, applies defaults fit for local use and
// validates the result, naming the variable at fault.
//
// A Config is a plain value: it is loaded once in cmd/pod and passed down.
package config

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environments the pod knows.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Registration modes.
const (
	RegistrationsOpen   = "open"
	RegistrationsClosed = "closed"
	// RegistrationsApproval: anyone may sign up, an admin approves.
	RegistrationsApproval = "approval"
)

// Config is everything the pod can be told from outside.
type Config struct {
	// Env is "development" (the default) or "production".
	Env string
	// Host is the public host (and port) that is part of every user's
	// diaspora ID, e.g. "localhost:3000" or "pod.example.org".
	Host string
	// Listen is the address the HTTP server binds.
	Listen string
	// DatabaseURL is the PostgreSQL connection URL.
	DatabaseURL string
	// RedisURL is the Redis URL used for jobs, sessions and rate limits.
	RedisURL string
	// RedisPrefix is prepended to every key the pod itself keeps in Redis
	// (sessions, rate limits), so several pods can share one Redis database.
	RedisPrefix string
	// SecretKey protects sessions, CSRF tokens and the private keys at rest.
	SecretKey string
	// RSABits is the size of new users' RSA keys.
	RSABits int
	// Registrations is "open", "closed" (invite codes still work) or
	// "approval" (an admin approves each new account); admins can switch
	// it at runtime, which overrides this.
	Registrations string
	// PodName is shown in the header and in NodeInfo.
	PodName string
	// DataDir holds uploads and, in development, the generated secret key.
	DataDir string
	// AutoMigrate applies pending migrations when serve or worker starts;
	// when false they refuse to start on an out-of-date schema.
	AutoMigrate bool
	// FederationInsecure allows plain http and private or loopback
	// addresses in federation (development and tests only).
	FederationInsecure bool
	// AvatarMaxBytes bounds an avatar upload.
	AvatarMaxBytes int64
	// KeyPoolSize is how many pre-generated key pairs are kept ready for sign-ups.
	KeyPoolSize int
	// PageCacheMB is how much memory each process may give to cached
	// stream and post pages (0: none are cached).
	PageCacheMB int
	// InviteCount is how many sign-ups one user's invite code allows.
	InviteCount int
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogFormat is "text" or "json".
	LogFormat string
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
	// WorkerConcurrency is how many jobs one worker runs at once.
	WorkerConcurrency int
	// RetryUnit scales the federation retry schedule (1 s: the first retry
	// after about 4 minutes, ten retries over about 25 hours, as diaspora*
	// does). Tests and development shorten it.
	RetryUnit time.Duration
	// TrustedProxies are addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For header gives the client address.
	TrustedProxies []string
	// SMTP is how the pod sends mail; without a host it sends none.
	SMTP SMTP
	// ConfirmSignups makes new users confirm their mail address (a link
	// mailed at sign-up) before they can sign in; needs SMTP.
	ConfirmSignups bool
	// RateLimits bound the actions spammers repeat, per person (and five
	// times that per client address): POD_RATELIMIT_POSTS, _COMMENTS,
	// _LIKES, _CONVERSATIONS, _SIGNUPS (per address) and _API (per app
	// authorization), each "N/window"
	// such as "30/1m", or "off".
	RateLimits RateLimits
}

// RateLimit is a number of actions per window (Count 0: no limit).
type RateLimit struct {
	Count  int
	Window time.Duration
}

// RateLimits are the POD_RATELIMIT_* settings.
type RateLimits struct {
	Posts, Comments, Likes, Conversations, SignUps RateLimit
	// API is per app authorization (an app of a user), on every /api/v1
	// request.
	API RateLimit
}

// parseRateLimit reads "N/window" (e.g. "30/1m") or "off".
func parseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return RateLimit{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || count < 1 {
		return RateLimit{}, fmt.Errorf("must be a number of actions per window such as 30/1m, or off; got %q", s)
	}
	window, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil || window < time.Second || window > 24*time.Hour {
		return RateLimit{}, fmt.Errorf("must have a window from 1s to 24h such as 30/1m; got %q", s)
	}
	return RateLimit{Count: count, Window: window}, nil
}

// SMTP modes of POD_SMTP_TLS.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS, required
	SMTPTLS      = "tls"      // TLS from the first byte (port 465)
	SMTPNone     = "none"     // no encryption (a relay on the same machine)
)

// SMTP holds the mail server settings (POD_SMTP_*).
type SMTP struct {
	// Host is the mail server's host name; empty means the pod sends no
	// mail.
	Host string
	// Port is the server's port (587 by default).
	Port int
	// User and Password authenticate, when User is set.
	User     string
	Password string
	// TLS is SMTPStartTLS, SMTPTLS or SMTPNone.
	TLS string
	// From is the sender address, e.g. "aspen <no-reply@pod.example.org>".
	From string
}

// Enabled reports whether the pod sends mail.
func (s SMTP) Enabled() bool { return s.Host != "" }

// Production reports whether the pod runs in production mode.
func (c Config) Production() bool { return c.Env == EnvProduction }

// Scheme is the URL scheme of the pod's public address: https in
// production, http in development.
func (c Config) Scheme() string {
	if c.Production() {
		return "https"
	}
	return "http"
}

// BaseURL is the pod's public URL without a trailing slash.
func (c Config) BaseURL() string { return c.Scheme() + "://" + c.Host }

// UploadsDir is where uploaded files are stored.
func (c Config) UploadsDir() string { return filepath.Join(c.DataDir, "uploads") }

// Error is a configuration problem tied to one variable.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Getenv looks up one variable; os.Getenv fits.
type Getenv func(string) string

// Load reads the configuration: defaults, then the file named by
// POD_CONFIG_FILE (KEY=VALUE lines), then the environment, which wins.
// It does not create anything on disk; see EnsureSecret.
func Load(getenv Getenv) (Config, error) {
	vars := map[string]string{}
	if path := getenv("POD_CONFIG_FILE"); path != "" {
		fileVars, err := readFile(path)
		if err != nil {
			return Config{}, &Error{"POD_CONFIG_FILE", err.Error()}
		}
		vars = fileVars
	}
	lookup := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return vars[name]
	}
	return parse(lookup)
}

func parse(get func(string) string) (Config, error) {
	c := Config{
		Env:               EnvDevelopment,
		Host:              "localhost:3000",
		Listen:            "127.0.0.1:3000",
		DatabaseURL:       "postgres://postgres@127.0.0.1:5432/pod?sslmode=disable",
		RedisURL:          "redis://127.0.0.1:6379/0",
		RedisPrefix:       "pod:",
		RSABits:           4096,
		Registrations:     RegistrationsOpen,
		PodName:           "aspen",
		DataDir:           "data",
		AutoMigrate:       true,
		AvatarMaxBytes:    5 << 20,
		KeyPoolSize:       4,
		PageCacheMB:       16,
		InviteCount:       25,
		LogLevel:          "info",
		LogFormat:         "text",
		ShutdownTimeout:   20 * time.Second,
		WorkerConcurrency: 10,
		RetryUnit:         time.Second,
		SMTP:              SMTP{Port: 587, TLS: SMTPStartTLS},
		RateLimits: RateLimits{
			Posts:         RateLimit{20, time.Minute},
			Comments:      RateLimit{30, time.Minute},
			Likes:         RateLimit{60, time.Minute},
			Conversations: RateLimit{10, time.Minute},
			SignUps:       RateLimit{5, time.Hour},
			API:           RateLimit{300, 5 * time.Minute},
		},
	}
	var errs []error
	str := func(name string, dst *string) {
		if v := strings.TrimSpace(get(name)); v != "" {
			*dst = v
		}
	}
	integer := func(name string, dst *int, min, max int) {
		v := strings.TrimSpace(get(name))
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			errs = append(errs, &Error{name, fmt.Sprintf("must be a whole number from %d to %d, got %q", min, max, v)})
			return
		}
		*dst = n
	}
	boolean := func(name string, dst *bool) bool {
		v := strings.TrimSpace(get(name))
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, &Error{name, fmt.Sprintf("must be true or false, got %q", v)})
			return false
		}
		*dst = b
		return true
	}

	str("POD_ENV", &c.Env)
	str("POD_HOST", &c.Host)
	str("POD_LISTEN", &c.Listen)
	str("POD_DATABASE_URL", &c.DatabaseURL)
	str("POD_REDIS_URL", &c.RedisURL)
	str("POD_REDIS_PREFIX", &c.RedisPrefix)
	str("POD_SECRET_KEY", &c.SecretKey)
	str("POD_REGISTRATIONS", &c.Registrations)
	str("POD_NAME", &c.PodName)
	str("POD_DATA_DIR", &c.DataDir)
	str("POD_LOG_LEVEL", &c.LogLevel)
	str("POD_LOG_FORMAT", &c.LogFormat)
	integer("POD_RSA_BITS", &c.RSABits, 1024, 8192)
	integer("POD_KEY_POOL_SIZE", &c.KeyPoolSize, 0, 1000)
	integer("POD_PAGE_CACHE_MB", &c.PageCacheMB, 0, 4096)
	integer("POD_INVITE_COUNT", &c.InviteCount, 0, 100000)
	integer("POD_WORKER_CONCURRENCY", &c.WorkerConcurrency, 1, 1000)
	avatarMB := int(c.AvatarMaxBytes >> 20)
	integer("POD_AVATAR_MAX_MB", &avatarMB, 1, 100)
	c.AvatarMaxBytes = int64(avatarMB) << 20
	shutdown := int(c.ShutdownTimeout / time.Second)
	integer("POD_SHUTDOWN_TIMEOUT", &shutdown, 1, 3600)
	c.ShutdownTimeout = time.Duration(shutdown) * time.Second
	if v := strings.TrimSpace(get("POD_RETRY_UNIT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > time.Minute {
			errs = append(errs, &Error{"POD_RETRY_UNIT", fmt.Sprintf("must be a duration from 1ms to 1m, got %q", v)})
		} else {
			c.RetryUnit = d
		}
	}
	boolean("POD_AUTO_MIGRATE", &c.AutoMigrate)
	c.TrustedProxies = []string{"127.0.0.1", "::1"}
	if v := strings.TrimSpace(get("POD_TRUSTED_PROXIES")); v != "" {
		c.TrustedProxies = nil
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" || p == "none" {
				continue
			}
			if net.ParseIP(p) == nil {
				if _, _, err := net.ParseCIDR(p); err != nil {
					errs = append(errs, &Error{"POD_TRUSTED_PROXIES", fmt.Sprintf("%q is not an address or CIDR", p)})
					continue
				}
			}
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	str("POD_SMTP_HOST", &c.SMTP.Host)
	integer("POD_SMTP_PORT", &c.SMTP.Port, 1, 65535)
	str("POD_SMTP_USER", &c.SMTP.User)
	c.SMTP.Password = get("POD_SMTP_PASSWORD")
	str("POD_SMTP_TLS", &c.SMTP.TLS)
	str("POD_SMTP_FROM", &c.SMTP.From)
	boolean("POD_CONFIRM_SIGNUPS", &c.ConfirmSignups)
	for name, dst := range map[string]*RateLimit{"POD_RATELIMIT_POSTS": &c.RateLimits.Posts, "POD_RATELIMIT_COMMENTS": &c.RateLimits.Comments,
		"POD_RATELIMIT_LIKES": &c.RateLimits.Likes, "POD_RATELIMIT_CONVERSATIONS": &c.RateLimits.Conversations,
		"POD_RATELIMIT_SIGNUPS": &c.RateLimits.SignUps, "POD_RATELIMIT_API": &c.RateLimits.API} {
		if v := strings.TrimSpace(get(name)); v != "" {
			l, err := parseRateLimit(v)
			if err != nil {
				errs = append(errs, &Error{name, err.Error()})
				continue
			}
			*dst = l
		}
	}
	c.FederationInsecure = c.Env == EnvDevelopment
	insecureSet := boolean("POD_FEDERATION_INSECURE", &c.FederationInsecure)

	c.Env = strings.ToLower(c.Env)
	c.Registrations = strings.ToLower(c.Registrations)
	c.Host = strings.ToLower(c.Host)
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		errs = append(errs, &Error{"POD_ENV", fmt.Sprintf("must be %q or %q, got %q", EnvDevelopment, EnvProduction, c.Env)})
	} else if c.Env == EnvProduction && !insecureSet {
		c.FederationInsecure = false
	}
	if c.Registrations != RegistrationsOpen && c.Registrations != RegistrationsClosed && c.Registrations != RegistrationsApproval {
		errs = append(errs, &Error{"POD_REGISTRATIONS", fmt.Sprintf("must be %q, %q or %q, got %q", RegistrationsOpen, RegistrationsClosed, RegistrationsApproval, c.Registrations)})
	}
	if err := validHost(c.Host); err != nil {
		errs = append(errs, &Error{"POD_HOST", err.Error()})
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, &Error{"POD_LISTEN", fmt.Sprintf("must be host:port, e.g. 127.0.0.1:3000, got %q", c.Listen)})
	}
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || strings.Trim(u.Path, "/") == "" {
		errs = append(errs, &Error{"POD_DATABASE_URL", "must be a postgres:// URL that names a database, e.g. postgres://postgres@127.0.0.1:5432/pod?sslmode=disable"})
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		errs = append(errs, &Error{"POD_REDIS_URL", "must be a redis:// URL, e.g. redis://127.0.0.1:6379/0"})
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, &Error{"POD_LOG_LEVEL", fmt.Sprintf("must be debug, info, warn or error, got %q", c.LogLevel)})
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, &Error{"POD_LOG_FORMAT", fmt.Sprintf("must be text or json, got %q", c.LogFormat)})
	}
	if c.Production() {
		if c.SecretKey == "" {
			errs = append(errs, &Error{"POD_SECRET_KEY", "is required in production: set it to a long random string (e.g. `openssl rand -hex 32`) and keep it safe, it encrypts the users' private keys"})
		}
		if c.FederationInsecure {
			errs = append(errs, &Error{"POD_FEDERATION_INSECURE", "cannot be true in production"})
		}
		if c.RetryUnit != 0 && c.RetryUnit < time.Second {
			errs = append(errs, &Error{"POD_RETRY_UNIT", "cannot be under 1s in production: retries would hammer other pods"})
		}
	}
	errs = append(errs, c.SMTP.check()...)
	if c.ConfirmSignups && !c.SMTP.Enabled() {
		errs = append(errs, &Error{"POD_CONFIRM_SIGNUPS", "needs mail: set POD_SMTP_HOST (and POD_SMTP_FROM), or new users could never confirm their address"})
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		errs = append(errs, &Error{"POD_SECRET_KEY", "must be at least 32 characters long"})
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// check validates the SMTP settings, when mail is on.
func (s *SMTP) check() []error {
	if !s.Enabled() {
		return nil
	}
	var errs []error
	s.TLS = strings.ToLower(s.TLS)
	switch s.TLS {
	case SMTPStartTLS, SMTPTLS, SMTPNone:
	default:
		errs = append(errs, &Error{"POD_SMTP_TLS", fmt.Sprintf("must be %s, %s or %s, got %q", SMTPStartTLS, SMTPTLS, SMTPNone, s.TLS)})
	}
	if s.From == "" {
		errs = append(errs, &Error{"POD_SMTP_FROM", "is required when POD_SMTP_HOST is set, e.g. \"aspen <no-reply@pod.example.org>\""})
	} else if _, err := mail.ParseAddress(s.From); err != nil {
		errs = append(errs, &Error{"POD_SMTP_FROM", fmt.Sprintf("must be a mail address, e.g. no-reply@pod.example.org or \"aspen <no-reply@pod.example.org>\", got %q", s.From)})
	}
	if s.Password != "" && s.User == "" {
		errs = append(errs, &Error{"POD_SMTP_USER", "is required when POD_SMTP_PASSWORD is set"})
	}
	return errs
}

// validHost checks a POD_HOST value: a lower-case host name or address with
// an optional port, no scheme and no path.
func validHost(h string) error {
	if h == "" {
		return errors.New("must not be empty")
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@ ") {
		return fmt.Errorf("must be a bare host with an optional port, e.g. pod.example.org or localhost:3000, got %q", h)
	}
	host := h
	if strings.Contains(h, ":") {
		hh, port, err := net.SplitHostPort(h)
		if err != nil {
			return fmt.Errorf("has a bad port in %q", h)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("has a bad port in %q", h)
		}
		host = hh
	}
	if host == "" || len(host) > 253 {
		return fmt.Errorf("has no usable host name in %q", h)
	}
	return nil
}

// readFile reads KEY=VALUE lines; blank lines and # comments are skipped and
// values may be quoted.
func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the configuration file: %w", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		text = strings.TrimPrefix(text, "export ")
		key, value, ok := strings.Cut(text, "=")
		key = strings.TrimSpace(key)
		if !ok || !strings.HasPrefix(key, "POD_") {
			return nil, fmt.Errorf("%s line %d: want POD_NAME=value", path, line)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		vars[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the configuration file: %w", err)
	}
	return vars, nil
}

// EnsureSecret fills in SecretKey in development when none was given: it
// reads DataDir/secret_key, creating it with a random key on first run, so
// sessions and encrypted keys survive restarts. In production a missing key
// is already a validation error.
func EnsureSecret(c *Config) error {
	if c.SecretKey != "" {
		return nil
	}
	path := filepath.Join(c.DataDir, "secret_key")
	if b, err := os.ReadFile(path); err == nil {
		c.SecretKey = strings.TrimSpace(string(b))
		if len(c.SecretKey) < 32 {
			return &Error{"POD_SECRET_KEY", fmt.Sprintf("the generated key in %s is too short; delete the file to make a new one", path)}
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return &Error{"POD_SECRET_KEY", fmt.Sprintf("cannot read %s: %v", path, err)}
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return fmt.Errorf("generate secret key: %w", err)
	}
	key := hex.EncodeToString(buf)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return &Error{"POD_DATA_DIR", fmt.Sprintf("cannot create %s: %v", c.DataDir, err)}
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return &Error{"POD_SECRET_KEY", fmt.Sprintf("cannot write %s: %v", path, err)}
	}
	c.SecretKey = key
	return nil
}

// Redacted is the configuration with secrets hidden, fit for a log line.
func (c Config) Redacted() Config {
	r := c
	if r.SecretKey != "" {
		r.SecretKey = "(set)"
	}
	r.DatabaseURL = redactURL(r.DatabaseURL)
	r.RedisURL = redactURL(r.RedisURL)
	if r.SMTP.Password != "" {
		r.SMTP.Password = "(set)"
	}
	return r
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}
