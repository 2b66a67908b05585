package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aspenpod/aspen/cmd/internal/wire"
	"github.com/aspenpod/aspen/pod/procstat"

	"github.com/jackc/pgx/v5"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// `podload bench` drives a running pod over HTTP the way a browser's
// scripts do (signed in as seeded users, JSON streams) and, in the same
// run, times the bare store query behind each page in-process: the floor.
// It talks to the pod only over HTTP and to the database only to pick
// users, aspects, tags, posts and deep-page cursors, to run the floor and
// to count SQL statements.

const benchUsage = `usage: podload bench [--url URL] [--clients N] [--duration D] [--users N] [--pid PID] [--scenarios main,aspect,tag,deep,post,cursor,api,write,receive,fanout] [--write-clients N] [--limited F] [--drain-timeout D] [--fed-bits N] [--fed-recipients N] [--fanout-posts N] [--receive-messages N]`

type benchOptions struct {
	URL           string
	Clients       int
	Duration      time.Duration
	Warmup        time.Duration
	SeqDuration   time.Duration
	FloorDuration time.Duration
	Users         int
	Password      string
	PID           int
	SQLSample     int
	Tag           string
	Scenarios     []string
	Seed          uint64
	StatsWait     time.Duration
	// The write scenario's: posting clients, the fraction of limited
	// posts, how long to wait for the background work, and the pod's
	// Redis (its job queues).
	WriteClients int
	Limited      float64
	DrainTimeout time.Duration
	RedisURL     string
	// The federation scenarios': the remote people's key size, the
	// fan-out's recipients and posts, the envelopes received.
	FedBits         int
	FedRecipients   int
	FanoutPosts     int
	ReceiveMessages int
}

// benchUser is one signed-in seeded user and what the scenarios ask for.
type benchUser struct {
	ID, PersonID int64
	Username     string
	Cookie       string
	CSRF         string // the form token of the session (write scenario)
	XFF          string // the user's own client address
	// Tokens are API v1 access tokens of the user (public:read,
	// private:read, contacts:read), one per bench app, for the api
	// scenario: the pod limits requests per authorization (an app of a
	// user), so the load is spread over several apps.
	Tokens  []string
	Aspects []int64         // aspects with members
	Deep    []int64         // max_time (epoch seconds) of pages 21, 41, 61
	Cursors []models.Cursor // exact cursors of the same pages (before=)
	Posts   []benchPost
}

type benchPost struct {
	ID   int64
	GUID string
}

// benchRequest is one page: its URL path and the store call behind it.
type benchRequest struct {
	user  *benchUser
	path  string
	token string // an API token of the user, sent instead of the session cookie
	floor func(ctx context.Context, st *models.Store) (int, error)
}

type benchScenario struct {
	name, desc string
	next       func(r *rand.Rand) benchRequest
}

// loadStats are the results of one load phase.
type loadStats struct {
	n, errs  int
	elapsed  time.Duration
	lat      []time.Duration
	firstErr string
}

func (s *loadStats) rate() float64 { return float64(s.n) / s.elapsed.Seconds() }

func (s *loadStats) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	slices.Sort(s.lat)
	i := int(p * float64(len(s.lat)-1))
	return s.lat[i]
}

// benchResult is one scenario's line in the report.
type benchResult struct {
	name, desc    string
	http, seq     *loadStats
	floor, floorN *loadStats
	sqlPerPage    float64
	postsPerPage  float64
	cpu           cpuUse // during the N-client HTTP run
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := benchOptions{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:3000", "base URL of the running pod")
	fs.IntVar(&o.Clients, "clients", 8, "concurrent clients")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "measured time per scenario")
	fs.DurationVar(&o.Warmup, "warmup", 3*time.Second, "unmeasured load before each scenario")
	fs.DurationVar(&o.SeqDuration, "seq-duration", 5*time.Second, "time of the one-client HTTP run per scenario (0: skip)")
	fs.DurationVar(&o.FloorDuration, "floor-duration", 5*time.Second, "time of each floor run (one client, then --clients)")
	fs.IntVar(&o.Users, "users", 50, "seeded users to sign in as")
	fs.StringVar(&o.Password, "password", "password1", "password of the seeded users")
	fs.IntVar(&o.PID, "pid", 0, "process ID of `pod serve`, to report its resident memory")
	fs.IntVar(&o.SQLSample, "sql-sample", 300, "requests per scenario for counting SQL statements (0: skip)")
	fs.StringVar(&o.Tag, "tag", "", "tag of the tag stream (default: the most used)")
	scen := fs.String("scenarios", "main,aspect,tag,deep,post", "scenarios to run (also: cursor, deep pages by before=; api, the main stream through the API v1; write, posting then waiting for the background work; receive, public envelopes from a remote person; fanout, limited posts to remote people on podload's loopback pods, which needs the pod run with POD_FEDERATION_INSECURE=true; a scenario may be repeated, to alternate)")
	fs.IntVar(&o.WriteClients, "write-clients", 4, "concurrent posting clients of the write scenario")
	fs.Float64Var(&o.Limited, "limited", 0.33, "fraction of the write scenario's posts limited to one aspect (the rest public)")
	fs.DurationVar(&o.DrainTimeout, "drain-timeout", 10*time.Minute, "how long the write scenario waits for the background work after the last post")
	fs.StringVar(&o.RedisURL, "redis-url", "", "the pod's Redis, to read its job queues (default: POD_REDIS_URL)")
	fs.IntVar(&o.FedBits, "fed-bits", 4096, "RSA key size of the remote people (receive, fanout)")
	fs.IntVar(&o.FedRecipients, "fed-recipients", 100, "remote recipients of each fanout post, on 10 pods")
	fs.IntVar(&o.FanoutPosts, "fanout-posts", 10, "measured fanout posts (after one to warm up)")
	fs.IntVar(&o.ReceiveMessages, "receive-messages", 1000, "envelopes measured in the receive scenario (after 50 to warm up)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed for picking users and pages")
	fs.DurationVar(&o.StatsWait, "stats-wait", 11*time.Second, "wait for PostgreSQL backends to flush their statistics (10s when idle)")
	if err := fs.Parse(args); err != nil {
		return usageError("bench: " + err.Error())
	}
	if fs.NArg() > 0 || o.Clients < 1 || o.Users < 1 || o.Duration <= 0 || o.WriteClients < 1 || o.Limited < 0 || o.Limited > 1 ||
		o.FedBits < 2048 || o.FedBits > 8192 || o.FedRecipients < 1 || o.FanoutPosts < 1 || o.ReceiveMessages < 1 {
		return usageError("bench: bad arguments\n" + benchUsage)
	}
	o.URL = strings.TrimRight(o.URL, "/")
	o.Scenarios = strings.Split(*scen, ",")
	if _, _, fed := splitScenarios(o.Scenarios); len(fed) > 0 && o.PID == 0 {
		return usageError("bench: the receive and fanout scenarios report the pod's CPU: give --pid")
	}
	cfg, err := wire.LoadConfig()
	if err != nil {
		return err
	}
	if o.RedisURL == "" {
		o.RedisURL = cfg.RedisURL
	}
	return runBench(ctx, cfg.DatabaseURL, o, stdout)
}

type bencher struct {
	o      benchOptions
	db     *pgx.Conn
	st     *models.Store
	client *http.Client
	users  []*benchUser
	tagID  int64
	tag    string
	out    io.Writer
	idleKB int64 // the pod's VmRSS when the bench started (kB)
}

func runBench(ctx context.Context, dsn string, o benchOptions, out io.Writer) error {
	b := &bencher{o: o, out: out}
	var err error
	if b.db, err = pgx.Connect(ctx, dsn); err != nil {
		return fmt.Errorf("bench: database: %w", err)
	}
	defer b.db.Close(ctx)
	if b.st, err = models.Open(ctx, dsn); err != nil {
		return fmt.Errorf("bench: database: %w", err)
	}
	defer b.st.Close()
	b.client = &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        4 * o.Clients,
			MaxIdleConnsPerHost: 4 * o.Clients,
			DisableCompression:  true,
		},
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	started := time.Now()
	idleRSS := ""
	if o.PID != 0 {
		idleRSS = procstat.RSS(o.PID)
		b.idleKB, _, _ = readMem(o.PID)
		fmt.Fprintf(out, "pod serve (pid %d) before the bench: %s\n", o.PID, idleRSS)
	}
	if err := b.pickUsers(ctx); err != nil {
		return err
	}
	if err := b.signIn(ctx); err != nil {
		return err
	}
	if slices.Contains(o.Scenarios, "api") {
		if err := b.apiTokens(ctx); err != nil {
			return err
		}
	}
	reads, write, fed := splitScenarios(o.Scenarios)
	var results []*benchResult
	for _, name := range reads {
		sc, err := b.scenario(name)
		if err != nil {
			return err
		}
		res, err := b.runScenario(ctx, sc)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	if o.SQLSample > 0 && len(results) > 0 {
		if err := b.countSQL(ctx, results); err != nil {
			return err
		}
	}
	var wres *writeResult
	if write {
		if wres, err = b.runWrite(ctx); err != nil {
			return err
		}
	}
	if len(results) > 0 {
		b.report(results, idleRSS, time.Since(started))
	}
	if wres != nil {
		b.reportWrite(wres)
	}
	if len(fed) > 0 {
		if err := b.runFederation(ctx, fed); err != nil {
			return err
		}
	}
	if wres != nil || len(fed) > 0 {
		fmt.Fprintf(b.out, "bench took %s\n", time.Since(started).Round(time.Second))
	}
	return nil
}

// pickUsers chooses seeded users at random among those with at least 61
// pages of stream, with their aspects, deep cursors and some visible posts.
func (b *bencher) pickUsers(ctx context.Context) error {
	rows, err := b.db.Query(ctx, `SELECT u.id, p.id, u.username FROM users u JOIN people p ON p.owner_id = u.id
		ORDER BY md5(u.id::text || $1::text) LIMIT $2`, strconv.FormatUint(b.o.Seed, 10), b.o.Users*10)
	if err != nil {
		return fmt.Errorf("bench: pick users: %w", err)
	}
	var cands []*benchUser
	for rows.Next() {
		u := &benchUser{}
		if err := rows.Scan(&u.ID, &u.PersonID, &u.Username); err != nil {
			return err
		}
		cands = append(cands, u)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range cands {
		if len(b.users) == b.o.Users {
			break
		}
		u.Deep, u.Cursors = u.Deep[:0], u.Cursors[:0]
		for _, offset := range []int{20, 40, 60} {
			var at time.Time
			var post int64
			err := b.db.QueryRow(ctx, `SELECT created_at, post_id FROM stream_entries WHERE user_id = $1
				ORDER BY created_at DESC, post_id DESC OFFSET $2 LIMIT 1`, u.ID, offset*models.PageSize-1).Scan(&at, &post)
			if errors.Is(err, pgx.ErrNoRows) {
				break
			} else if err != nil {
				return err
			}
			u.Deep = append(u.Deep, at.Unix())
			u.Cursors = append(u.Cursors, models.Cursor{Time: at.UTC(), ID: post})
		}
		if len(u.Deep) < 3 {
			continue
		}
		rows, err := b.db.Query(ctx, `SELECT a.id FROM aspects a WHERE a.user_id = $1
			AND EXISTS (SELECT 1 FROM aspect_memberships am WHERE am.aspect_id = a.id) ORDER BY a.id`, u.ID)
		if err != nil {
			return err
		}
		if u.Aspects, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		rows, err = b.db.Query(ctx, `SELECT p.id, p.guid FROM stream_entries se JOIN posts p ON p.id = se.post_id
			WHERE se.user_id = $1 ORDER BY md5(p.id::text) LIMIT 20`, u.ID)
		if err != nil {
			return err
		}
		if u.Posts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[benchPost]); err != nil {
			return err
		}
		if len(u.Aspects) == 0 || len(u.Posts) == 0 {
			continue
		}
		b.users = append(b.users, u)
	}
	if len(b.users) == 0 {
		return errors.New("bench: no seeded user has 61 pages of stream; run `podload seed` first")
	}
	b.tag = b.o.Tag
	if b.tag == "" {
		if err := b.db.QueryRow(ctx, `SELECT t.name FROM tags t JOIN taggings tg ON tg.tag_id = t.id
			GROUP BY t.id, t.name ORDER BY count(*) DESC LIMIT 1`).Scan(&b.tag); err != nil {
			return fmt.Errorf("bench: no tagged posts: %w", err)
		}
	}
	if err := b.db.QueryRow(ctx, `SELECT id FROM tags WHERE name = $1`, b.tag).Scan(&b.tagID); err != nil {
		return fmt.Errorf("bench: tag %q: %w", b.tag, err)
	}
	fmt.Fprintf(b.out, "picked %d users (of %d tried), tag #%s\n", len(b.users), len(cands), b.tag)
	return nil
}

var csrfMetaRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

// signIn signs every picked user in as a browser does: the sign-in form
// gives the CSRF cookie and token, the form post a session cookie. Each
// user comes from its own documentation address (X-Forwarded-For, which
// the pod believes from loopback) so that the per-address sign-in limit
// does not stop the bench.
func (b *bencher) signIn(ctx context.Context) error {
	t := time.Now()
	for i, u := range b.users {
		xff := fmt.Sprintf("198.18.%d.%d", (i/250)%250, i%250+1)
		req, _ := http.NewRequestWithContext(ctx, "GET", b.o.URL+"/users/sign_in", nil)
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := b.client.Do(req)
		if err != nil {
			return fmt.Errorf("bench: GET /users/sign_in: %w", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		u.XFF = xff
		m := csrfMetaRE.FindSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			return fmt.Errorf("bench: GET /users/sign_in: status %d, no csrf-token meta tag", resp.StatusCode)
		}
		var cookies []string
		for _, c := range resp.Cookies() {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		// The token is the HMAC of the CSRF cookie, which sign-in keeps:
		// the session's forms carry the same one.
		u.CSRF = html.UnescapeString(string(m[1]))
		form := url.Values{"user[username]": {u.Username}, "user[password]": {b.o.Password}, "authenticity_token": {u.CSRF}}
		req, _ = http.NewRequestWithContext(ctx, "POST", b.o.URL+"/users/sign_in", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
		req.Header.Set("X-Forwarded-For", xff)
		resp, err = b.client.Do(req)
		if err != nil {
			return fmt.Errorf("bench: POST /users/sign_in: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			hint := ""
			if resp.StatusCode == http.StatusTooManyRequests {
				hint = " (rate limited: is 127.0.0.1 in POD_TRUSTED_PROXIES?)"
			}
			return fmt.Errorf("bench: sign in as %s: status %d, want 302%s", u.Username, resp.StatusCode, hint)
		}
		for _, c := range resp.Cookies() {
			if c.Value != "" {
				cookies = append(cookies, c.Name+"="+c.Value)
			}
		}
		u.Cookie = strings.Join(cookies, "; ")
	}
	fmt.Fprintf(b.out, "signed in %d users in %s\n", len(b.users), time.Since(t).Round(time.Millisecond))
	return nil
}

// benchAPIApps is how many bench apps each user authorises: the pod
// allows an authorization 300 API requests in 5 minutes
// by default (POD_RATELIMIT_API), and a bench run makes more.
const benchAPIApps = 4

// apiTokens gives every picked user an API v1 access token (public:read,
// private:read, contacts:read) for each of benchAPIApps bench apps,
// written to the database as the token endpoint writes it (the bench
// drives no browser through the consent page). The tokens live an hour.
func (b *bencher) apiTokens(ctx context.Context) error {
	const scopes = "openid public:read private:read contacts:read"
	for range benchAPIApps {
		var raw [16]byte
		crand.Read(raw[:])
		client := &models.OIDCClient{ClientID: "podload-" + hex.EncodeToString(raw[:]), ClientName: "podload bench",
			RedirectURIs: `["https://podload.invalid/cb"]`, ResponseTypes: `["code"]`, GrantTypes: `["authorization_code"]`,
			Contacts: `[]`, ApplicationType: "web", TokenEndpointAuthMethod: "none", SubjectType: "public"}
		if err := b.st.CreateOIDCClient(ctx, client); err != nil {
			return fmt.Errorf("bench: api client: %w", err)
		}
		client, err := b.st.OIDCClientByClientID(ctx, client.ClientID)
		if err != nil {
			return fmt.Errorf("bench: api client: %w", err)
		}
		for _, u := range b.users {
			authz, err := b.st.GrantOIDCAuthorization(ctx, u.ID, client.ID, scopes)
			if err != nil {
				return fmt.Errorf("bench: api authorization of %s: %w", u.Username, err)
			}
			var tok [32]byte
			crand.Read(tok[:])
			token := hex.EncodeToString(tok[:])
			sum := sha256.Sum256([]byte(token))
			if err := b.st.CreateOIDCAccessToken(ctx, &models.OIDCAccessToken{TokenHash: sum[:], AuthorizationID: authz.ID,
				Scopes: scopes, ExpiresAt: time.Now().Add(time.Hour).UTC()}); err != nil {
				return fmt.Errorf("bench: api token of %s: %w", u.Username, err)
			}
			u.Tokens = append(u.Tokens, token)
		}
	}
	return nil
}

func (b *bencher) user(r *rand.Rand) *benchUser { return b.users[r.IntN(len(b.users))] }

func viewerOf(u *benchUser) models.Viewer { return models.Viewer{UserID: u.ID, PersonID: u.PersonID} }

func (b *bencher) scenario(name string) (*benchScenario, error) {
	switch name {
	case "main":
		return &benchScenario{name: "main", desc: "GET /stream.json (first page)", next: func(r *rand.Rand) benchRequest {
			u := b.user(r)
			return benchRequest{user: u, path: "/stream.json", floor: func(ctx context.Context, st *models.Store) (int, error) {
				rows, err := st.MainStream(ctx, viewerOf(u), models.Cursor{}, models.PageSize)
				return len(rows), err
			}}
		}}, nil
	case "aspect":
		return &benchScenario{name: "aspect", desc: "GET /aspects.json?a_ids[]=ID (one aspect)", next: func(r *rand.Rand) benchRequest {
			u := b.user(r)
			a := u.Aspects[r.IntN(len(u.Aspects))]
			return benchRequest{user: u, path: "/aspects.json?a_ids[]=" + strconv.FormatInt(a, 10), floor: func(ctx context.Context, st *models.Store) (int, error) {
				rows, err := st.AspectStream(ctx, viewerOf(u), []int64{a}, models.Cursor{}, models.PageSize)
				return len(rows), err
			}}
		}}, nil
	case "tag":
		return &benchScenario{name: "tag", desc: "GET /tags/" + b.tag + ".json", next: func(r *rand.Rand) benchRequest {
			u := b.user(r)
			return benchRequest{user: u, path: "/tags/" + url.PathEscape(b.tag) + ".json", floor: func(ctx context.Context, st *models.Store) (int, error) {
				rows, err := st.TagStream(ctx, viewerOf(u), b.tagID, models.Cursor{}, models.PageSize)
				return len(rows), err
			}}
		}}, nil
	case "deep":
		return &benchScenario{name: "deep", desc: "GET /stream.json?max_time=T (pages 21, 41, 61)", next: func(r *rand.Rand) benchRequest {
			u := b.user(r)
			mt := u.Deep[r.IntN(len(u.Deep))]
			return benchRequest{user: u, path: "/stream.json?max_time=" + strconv.FormatInt(mt, 10), floor: func(ctx context.Context, st *models.Store) (int, error) {
				rows, err := st.MainStream(ctx, viewerOf(u), models.Cursor{Time: time.Unix(mt, 0).UTC()}, models.PageSize)
				return len(rows), err
			}}
		}}, nil
	case "cursor":
		return &benchScenario{name: "cursor", desc: "GET /stream.json?before=CURSOR (pages 21, 41, 61)", next: func(r *rand.Rand) benchRequest {
			u := b.user(r)
			c := u.Cursors[r.IntN(len(u.Cursors))]
			return benchRequest{user: u, path: "/stream.json?before=" + url.QueryEscape(pod.EncodeCursor(c)), floor: func(ctx context.Context, st *models.Store) (int, error) {
				rows, err := st.MainStream(ctx, viewerOf(u), c, models.PageSize)
				return len(rows), err
			}}
		}}, nil
	case "api":
		return &benchScenario{name: "api", desc: "GET /api/v1/streams/main (first page, a token with private:read)", next: func(r *rand.Rand) benchRequest {
			u := b.user(r)
			return benchRequest{user: u, path: "/api/v1/streams/main", token: u.Tokens[r.IntN(len(u.Tokens))], floor: func(ctx context.Context, st *models.Store) (int, error) {
				rows, err := st.MainStream(ctx, viewerOf(u), models.Cursor{}, models.PageSize)
				return len(rows), err
			}}
		}}, nil
	case "post":
		return &benchScenario{name: "post", desc: "GET /posts/GUID.json (a post the user sees)", next: func(r *rand.Rand) benchRequest {
			u := b.user(r)
			p := u.Posts[r.IntN(len(u.Posts))]
			return benchRequest{user: u, path: "/posts/" + p.GUID + ".json", floor: func(ctx context.Context, st *models.Store) (int, error) {
				_, err := st.SinglePost(ctx, viewerOf(u), p.ID)
				return 1, err
			}}
		}}, nil
	}
	return nil, usageError(fmt.Sprintf("bench: unknown scenario %q\n%s", name, benchUsage))
}

// get fetches one page as the request's user and checks it.
func (b *bencher) get(ctx context.Context, u *benchUser, path, token string, body *bytes.Buffer) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", b.o.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else {
		req.Header.Set("Cookie", u.Cookie)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body.Reset()
	if _, err := body.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s as %s: status %d: %.200s", path, u.Username, resp.StatusCode, body.String())
	}
	if c := bytes.TrimSpace(body.Bytes()); len(c) == 0 || (c[0] != '[' && c[0] != '{') {
		return fmt.Errorf("GET %s: not JSON: %.100s", path, c)
	}
	return nil
}

// load runs fn from n goroutines for d and collects latencies.
func load(ctx context.Context, n int, d time.Duration, seed uint64, fn func(ctx context.Context, r *rand.Rand, buf *bytes.Buffer) error) *loadStats {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	total := &loadStats{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			var buf bytes.Buffer
			var lat []time.Duration
			errs, first := 0, ""
			for ctx.Err() == nil {
				t := time.Now()
				err := fn(ctx, r, &buf)
				if ctx.Err() != nil {
					break // cut off by the end of the run
				}
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			total.lat = append(total.lat, lat...)
			total.n += len(lat)
			total.errs += errs
			if total.firstErr == "" {
				total.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	return total
}

func (b *bencher) runScenario(ctx context.Context, sc *benchScenario) (*benchResult, error) {
	o := b.o
	res := &benchResult{name: sc.name, desc: sc.desc}
	httpFn := func(ctx context.Context, r *rand.Rand, buf *bytes.Buffer) error {
		req := sc.next(r)
		return b.get(ctx, req.user, req.path, req.token, buf)
	}
	floorFn := func(ctx context.Context, r *rand.Rand, _ *bytes.Buffer) error {
		_, err := sc.next(r).floor(ctx, b.st)
		return err
	}
	// Check the scenario once before loading the server with it.
	{
		r := rand.New(rand.NewPCG(o.Seed, 99))
		var buf bytes.Buffer
		if err := httpFn(ctx, r, &buf); err != nil {
			return nil, fmt.Errorf("bench %s: %w", sc.name, err)
		}
		if n, err := sc.next(r).floor(ctx, b.st); err != nil || n == 0 {
			return nil, fmt.Errorf("bench %s: floor query: %d rows, %v", sc.name, n, err)
		}
	}
	load(ctx, o.Clients, o.Warmup, o.Seed+7, httpFn)
	before := b.cpuNow(ctx)
	res.http = load(ctx, o.Clients, o.Duration, o.Seed, httpFn)
	res.cpu = b.cpuNow(ctx).since(before)
	b.progress(sc.name, "http", o.Clients, res.http)
	if n := float64(res.http.n); n > 0 && res.cpu.ok {
		fmt.Fprintf(b.out, "%-7s cpu per page: pod %.2f ms, PostgreSQL %.2f ms, bench %.2f ms, other processes %.2f ms; machine %.0f%% busy\n",
			sc.name, res.cpu.server/n, res.cpu.pg/n, res.cpu.client/n, res.cpu.other()/n, 100*res.cpu.busy/res.cpu.total)
	}
	if o.SeqDuration > 0 {
		res.seq = load(ctx, 1, o.SeqDuration, o.Seed, httpFn)
		b.progress(sc.name, "http", 1, res.seq)
	}
	if o.FloorDuration > 0 {
		load(ctx, o.Clients, o.Warmup/2, o.Seed+7, floorFn)
		res.floor = load(ctx, 1, o.FloorDuration, o.Seed, floorFn)
		b.progress(sc.name, "floor", 1, res.floor)
		res.floorN = load(ctx, o.Clients, o.FloorDuration, o.Seed, floorFn)
		b.progress(sc.name, "floor", o.Clients, res.floorN)
	}
	return res, ctx.Err()
}

func (b *bencher) progress(scenario, kind string, clients int, s *loadStats) {
	line := fmt.Sprintf("%-7s %-5s %2d clients: %7.0f pages/s  p50 %6.2f ms  p99 %6.2f ms  errors %d",
		scenario, kind, clients, s.rate(), ms(s.pct(0.5)), ms(s.pct(0.99)), s.errs)
	if s.firstErr != "" {
		line += "  (first: " + s.firstErr + ")"
	}
	fmt.Fprintln(b.out, line)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// countSQL counts the SQL statements per page: PostgreSQL counts every
// committed or rolled back transaction per database, and each statement the
// pod sends outside a transaction is one. The counter is read before and
// after a fixed number of sequential requests, once the backends have
// flushed their statistics (an idle backend does so within ten seconds).
func (b *bencher) countSQL(ctx context.Context, results []*benchResult) error {
	read := func() (int64, error) {
		time.Sleep(b.o.StatsWait)
		var n int64
		err := b.db.QueryRow(ctx, `SELECT sum(xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database()`).Scan(&n)
		return n, err
	}
	fmt.Fprintf(b.out, "counting SQL statements: %d requests per scenario, %s pauses for the statistics\n", b.o.SQLSample, b.o.StatsWait)
	before, err := read()
	if err != nil {
		return fmt.Errorf("bench: pg_stat_database: %w", err)
	}
	for _, res := range results {
		sc, _ := b.scenario(res.name)
		r := rand.New(rand.NewPCG(b.o.Seed, 1234))
		var buf bytes.Buffer
		posts := 0
		for i := 0; i < b.o.SQLSample; i++ {
			req := sc.next(r)
			if err := b.get(ctx, req.user, req.path, req.token, &buf); err != nil {
				return fmt.Errorf("bench %s: %w", res.name, err)
			}
			var arr []json.RawMessage
			if json.Unmarshal(buf.Bytes(), &arr) == nil {
				posts += len(arr)
			} else {
				posts++
			}
		}
		after, err := read()
		if err != nil {
			return err
		}
		// Our own reading of the counter is one transaction.
		res.sqlPerPage = float64(after-before-1) / float64(b.o.SQLSample)
		res.postsPerPage = float64(posts) / float64(b.o.SQLSample)
		fmt.Fprintf(b.out, "%-7s %.2f SQL statements per page, %.1f posts per page\n", res.name, res.sqlPerPage, res.postsPerPage)
		before = after
	}
	return nil
}

// cpuUse is CPU time in milliseconds: of the pod (--pid), of the
// PostgreSQL backends serving this database, of the bench itself, and of
// the whole machine (busy and total, all cores).
type cpuUse struct {
	ok                              bool
	server, pg, client, busy, total float64
	pgByPID                         map[int]float64
}

func (c cpuUse) other() float64 { return max(0, c.busy-c.server-c.pg-c.client) }

func (c cpuUse) since(a cpuUse) cpuUse {
	d := cpuUse{ok: a.ok && c.ok, server: c.server - a.server, client: c.client - a.client, busy: c.busy - a.busy, total: c.total - a.total}
	for pid, ms := range c.pgByPID {
		d.pg += ms - a.pgByPID[pid] // a backend that started meanwhile counts from 0
	}
	return d
}

// procCPU is a process's CPU time in milliseconds.
func procCPU(pid int) (float64, bool) {
	d, ok := procstat.Process(pid)
	return float64(d) / float64(time.Millisecond), ok
}

// cpuNow samples CPU times; ok is false when /proc or the pod's process
// cannot be read (not Linux, or the pod runs elsewhere).
func (b *bencher) cpuNow(ctx context.Context) cpuUse {
	c := cpuUse{pgByPID: map[int]float64{}}
	total, busy, ok := procstat.Machine()
	if !ok || b.o.PID == 0 {
		return c
	}
	c.total, c.busy = ms(total), ms(busy)
	var ok1, ok2 bool
	c.server, ok1 = procCPU(b.o.PID)
	c.client, ok2 = procCPU(os.Getpid())
	rows, err := b.db.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return c
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return c
	}
	for _, pid := range pids {
		if ms, ok := procCPU(int(pid)); ok {
			c.pgByPID[int(pid)] = ms
		}
	}
	c.ok = ok1 && ok2 && len(c.pgByPID) > 0
	return c
}

func (b *bencher) report(results []*benchResult, idleRSS string, took time.Duration) {
	o := b.o
	fmt.Fprintf(b.out, "\n%d clients, %s per scenario, %d users; floor = the models.Store query behind the page, in-process\n\n", o.Clients, o.Duration, len(b.users))
	fmt.Fprintln(b.out, "| scenario | request | pages/s | p50 ms | p99 ms | errors | SQL/page | 1 client p50 ms | floor p50 ms (1 client) | floor pages/s (N clients) | page ÷ floor (1 client p50) | page ÷ floor (N clients, throughput) |")
	fmt.Fprintln(b.out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		seqP50, floorP50, floorRate, ratio1, ratioN := "-", "-", "-", "-", "-"
		if r.seq != nil {
			seqP50 = fmt.Sprintf("%.2f", ms(r.seq.pct(0.5)))
		}
		if r.floor != nil {
			floorP50 = fmt.Sprintf("%.2f", ms(r.floor.pct(0.5)))
			floorRate = fmt.Sprintf("%.0f", r.floorN.rate())
			ratioN = fmt.Sprintf("%.1f", r.floorN.rate()/r.http.rate())
			if r.seq != nil {
				ratio1 = fmt.Sprintf("%.1f", float64(r.seq.pct(0.5))/float64(r.floor.pct(0.5)))
			}
		}
		sql := "-"
		if o.SQLSample > 0 {
			sql = fmt.Sprintf("%.2f", r.sqlPerPage)
		}
		fmt.Fprintf(b.out, "| %s | `%s` | %.0f | %.2f | %.2f | %d | %s | %s | %s | %s | %s | %s |\n",
			r.name, r.desc, r.http.rate(), ms(r.http.pct(0.5)), ms(r.http.pct(0.99)), r.http.errs, sql, seqP50, floorP50, floorRate, ratio1, ratioN)
	}
	if o.PID != 0 {
		fmt.Fprintf(b.out, "\nCPU time per page during the %d-client runs (ms; %d cores, so the machine can give at most %d ms of CPU per wall-clock ms):\n\n", o.Clients, runtime.NumCPU(), runtime.NumCPU())
		fmt.Fprintln(b.out, "| scenario | pod | PostgreSQL | bench client | other processes | machine busy |")
		fmt.Fprintln(b.out, "|---|---:|---:|---:|---:|---:|")
		for _, r := range results {
			if n := float64(r.http.n); n > 0 && r.cpu.ok {
				fmt.Fprintf(b.out, "| %s | %.2f | %.2f | %.2f | %.2f | %.0f%% |\n", r.name, r.cpu.server/n, r.cpu.pg/n, r.cpu.client/n, r.cpu.other()/n, 100*r.cpu.busy/r.cpu.total)
			}
		}
		fmt.Fprintf(b.out, "\npod serve memory: before the bench %s; after it %s\n", idleRSS, procstat.RSS(o.PID))
	}
	fmt.Fprintf(b.out, "bench took %s\n", took.Round(time.Second))
}
