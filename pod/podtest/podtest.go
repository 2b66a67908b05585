// Package podtest runs a whole pod inside a test: the real App over a real
// PostgreSQL database (one per test package, see modeltest) and the real
// Redis (isolated by a key prefix), served by the real web handlers on a
// loopback httptest server. Client drives it like a browser, cookies and
// CSRF tokens included.
package podtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/app"
	"github.com/aspenpod/aspen/pod/media"
	"github.com/aspenpod/aspen/pod/web"
)

// Secret is the pod secret every test pod uses.
const Secret = "podtest-secret-podtest-secret-podtest-secret"

// RedisURL is the Redis server tests use (POD_TEST_REDIS_URL, default local).
func RedisURL() string {
	if u := os.Getenv("POD_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Pod is one running test pod.
type Pod struct {
	T      testing.TB
	App    *app.App
	Store  *models.Store
	Redis  *redis.Client
	Media  *media.LocalStore
	Server *httptest.Server
	Opt    pod.Options
	Web    web.Options
}

// Option changes a test pod's settings before it starts.
type Option func(*pod.Options, *web.Options)

// APIRateLimit limits each app authorization to count /api/v1 requests
// per window (test pods have no limit otherwise).
func APIRateLimit(count int, window time.Duration) Option {
	return func(o *pod.Options, _ *web.Options) { o.RateLimits.API = pod.RateLimit{Count: count, Window: window} }
}

// ClosedRegistrations makes sign-up need an invite.
func ClosedRegistrations() Option {
	return func(o *pod.Options, _ *web.Options) { o.RegistrationsOpen = false }
}

// New starts a pod on the package's (emptied) database with a fresh Redis
// key prefix. Everything stops when the test ends.
func New(t testing.TB, opts ...Option) *Pod {
	t.Helper()
	return Start(t, modeltest.New(t), NewPrefix(), opts...)
}

// NewPrefix returns a Redis key prefix no other test uses.
func NewPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "test:" + hex.EncodeToString(b) + ":"
}

// Start starts a pod over an existing store and Redis prefix: two pods
// started on the same pair are the same pod restarted.
func Start(t testing.TB, st *models.Store, prefix string, opts ...Option) *Pod {
	t.Helper()
	ropt, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(ropt)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("podtest: cannot reach Redis at %s (start it: redis-server --daemonize yes): %v", ropt.Addr, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	p, h := assemble(t, st, rdb, nil, pod.Options{
		Host: "pod.test", BaseURL: "http://pod.test", RSABits: 1024, KeyPoolSize: 0,
		PageCacheBytes:    16 << 20,
		RegistrationsOpen: true, InviteCount: 5, AvatarMaxBytes: 1 << 20, RedisPrefix: prefix,
		PodName: "testpod",
	}, web.Options{PodName: "testpod", Secret: Secret}, opts, log, log)
	p.Server = httptest.NewServer(h)
	t.Cleanup(p.Server.Close)
	return p
}

// Twin starts a second process of p, as a second `pod serve` of the same
// pod would be: another App with its own store (connection pool, change
// hook) and its own page cache, over the same database and Redis prefix.
func (p *Pod) Twin(t testing.TB) *Pod {
	t.Helper()
	st, err := models.Open(context.Background(), modeltest.DSN(modeltest.PackageDBName("")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return Start(t, st, p.Opt.RedisPrefix)
}

// Client is a browser-like client of one pod: it keeps cookies, does not
// follow redirects, and fills in the CSRF token of the last page it saw.
type Client struct {
	T    testing.TB
	Pod  *Pod
	HTTP *http.Client
	csrf string
}

// Client returns a new client with an empty cookie jar.
func (p *Pod) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{T: p.T, Pod: p, HTTP: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Response is a finished response with its body read.
type Response struct {
	*http.Response
	Body string
}

// Location is the redirect target's path.
func (r *Response) Location() string {
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		return ""
	}
	return u.RequestURI()
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// Do sends a request and reads the response; it remembers any CSRF token
// on the page.
func (c *Client) Do(req *http.Request) *Response {
	c.T.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatal(err)
	}
	if m := csrfMeta.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return &Response{Response: resp, Body: string(b)}
}

// Get fetches a path.
func (c *Client) Get(path string) *Response {
	c.T.Helper()
	req, err := http.NewRequest(http.MethodGet, c.Pod.Server.URL+path, nil)
	if err != nil {
		c.T.Fatal(err)
	}
	return c.Do(req)
}

// CSRF returns a valid CSRF token for this client, loading the front page
// first if it has none yet.
func (c *Client) CSRF() string {
	c.T.Helper()
	if c.csrf == "" {
		c.Get("/")
	}
	return c.csrf
}

// Post submits a form with a valid CSRF token.
func (c *Client) Post(path string, form url.Values) *Response {
	c.T.Helper()
	form = cloneValues(form)
	if form.Get("authenticity_token") == "" {
		form.Set("authenticity_token", c.CSRF())
	}
	return c.PostRaw(path, form)
}

// PostRaw submits a form exactly as given (no CSRF token added).
func (c *Client) PostRaw(path string, form url.Values) *Response {
	c.T.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Pod.Server.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// SignUpForm is a valid sign-up form for username.
func SignUpForm(username string) url.Values {
	return url.Values{
		"user[username]":              {username},
		"user[email]":                 {username + "@example.org"},
		"user[password]":              {"password1"},
		"user[password_confirmation]": {"password1"},
	}
}

// SignUp creates an account through the web form and leaves the client
// signed in as that user.
func (c *Client) SignUp(username string) *Response {
	c.T.Helper()
	r := c.Post("/users", SignUpForm(username))
	if r.StatusCode != http.StatusFound {
		c.T.Fatalf("sign up %s: status %d: %s", username, r.StatusCode, r.Body)
	}
	return r
}

// SignIn signs in through the web form.
func (c *Client) SignIn(login, password string, remember bool) *Response {
	c.T.Helper()
	form := url.Values{"user[username]": {login}, "user[password]": {password}}
	if remember {
		form.Set("user[remember_me]", "1")
	}
	return c.Post("/users/sign_in", form)
}

// CommandEnv points a command run in-process (pod, podload) at a fresh,
// empty test database named after the calling package and suffix, at the
// test Redis under a new key prefix and at a new data folder, with small
// keys; it returns the database's DSN. The database is created by the
// command itself, as on a new installation.
func CommandEnv(t *testing.T, suffix string) string {
	t.Helper()
	name := modeltest.PackageDBName(suffix)
	modeltest.Named(t, "scratch").Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	dsn := modeltest.DSN(name)
	t.Setenv("POD_DATABASE_URL", dsn)
	t.Setenv("POD_REDIS_URL", RedisURL())
	t.Setenv("POD_REDIS_PREFIX", NewPrefix())
	t.Setenv("POD_DATA_DIR", t.TempDir())
	t.Setenv("POD_RSA_BITS", "1024")
	t.Setenv("POD_KEY_POOL_SIZE", "1")
	t.Setenv("POD_LOG_LEVEL", "warn")
	return dsn
}

// assemble builds a pod's application and web handler over st and rdb, as
// cmd/pod wires them: a media folder of the test's own, the test secret,
// and opt and wopt as opts change them. Start and NewFedPod both use it.
func assemble(t testing.TB, st *models.Store, rdb *redis.Client, queue pod.Enqueuer, opt pod.Options, wopt web.Options,
	opts []Option, appLog, webLog *slog.Logger) (*Pod, http.Handler) {
	t.Helper()
	ms, err := media.NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := models.NewKeySealer(Secret)
	if err != nil {
		t.Fatal(err)
	}
	p := &Pod{T: t, Store: st, Redis: rdb, Media: ms, Opt: opt, Web: wopt}
	p.Web.Media = ms
	for _, o := range opts {
		if o != nil {
			o(&p.Opt, &p.Web)
		}
	}
	p.App = app.New(p.Opt, pod.Deps{Store: st, Sealer: sealer, Redis: rdb, Queue: queue, Media: ms, Log: appLog})
	srv, err := web.New(p.App, p.Web, webLog)
	if err != nil {
		t.Fatal(err)
	}
	return p, srv.Handler()
}
