package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aspenpod/aspen/cmd/internal/wire"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/aspenpod/aspen/config"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/markup"
)

// The seed fills a database with a realistic volume of users, contacts,
// posts and interactions, writing exactly the rows the use cases in package
// pod would write for the same facts (SignUp, AddToAspect, CreatePost,
// Comment, Like, FollowTag), so that reads behave as in production. It works
// with a handful of set-based INSERT ... SELECT statements instead of the
// use cases, which would take days at this volume.
//
// Randomness comes from hashint8extended(key, seed): every choice is a pure
// function of (--seed, row, purpose), so a seed is reproducible and the
// statements can run in any order and in parallel.

const seedUsage = `usage: podload seed [--users N] [--posts N] [--contacts N] [--limited-fraction F] [--photo-fraction F] [--seed S] [--password PW] [--jobs N] [--force]`

// seedOptions are the knobs of one seed run.
type seedOptions struct {
	Users           int
	Posts           int
	Contacts        int     // average contacts per user
	LimitedFraction float64 // share of posts limited to one aspect
	PhotoFraction   float64 // share of posts with a photo
	Seed            int64
	Password        string
	Jobs            int  // concurrent statements (connections)
	Force           bool // truncate a non-empty database first
	KeepScratch     bool // keep the aspen_seed_* planning tables (debugging)
}

func defaultSeedOptions() seedOptions {
	return seedOptions{Users: 10000, Posts: 1000000, Contacts: 100, LimitedFraction: 0.667, Seed: 1, Password: "password1", Jobs: 2}
}

// seedCmd is `podload seed`.
func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := defaultSeedOptions()
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Users, "users", o.Users, "number of users")
	fs.IntVar(&o.Posts, "posts", o.Posts, "number of posts")
	fs.IntVar(&o.Contacts, "contacts", o.Contacts, "average contacts per user")
	fs.Float64Var(&o.LimitedFraction, "limited-fraction", o.LimitedFraction, "share of posts limited to one aspect of the author")
	fs.Float64Var(&o.PhotoFraction, "photo-fraction", o.PhotoFraction, "share of posts with a photo (its row only: pages link it, no file is written)")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "random seed (same seed, same data)")
	fs.StringVar(&o.Password, "password", o.Password, "password of every seeded user")
	fs.IntVar(&o.Jobs, "jobs", o.Jobs, "statements run at once (PostgreSQL connections)")
	fs.BoolVar(&o.Force, "force", false, "empty every table first when the database is not empty")
	fs.BoolVar(&o.KeepScratch, "keep-scratch", false, "keep the aspen_seed_* planning tables (to debug the seed)")
	if err := fs.Parse(args); err != nil {
		return usageError("seed: " + err.Error())
	}
	if fs.NArg() > 0 {
		return usageError("seed: unexpected argument " + fs.Arg(0) + "\n" + seedUsage)
	}
	switch {
	case o.Users < 2:
		return usageError("seed: --users must be at least 2")
	case o.Posts < 0 || o.Contacts < 0 || o.Contacts >= o.Users:
		return usageError("seed: --posts must be >= 0 and --contacts from 0 to users-1")
	case o.LimitedFraction < 0 || o.LimitedFraction > 1:
		return usageError("seed: --limited-fraction must be from 0 to 1")
	case o.PhotoFraction < 0 || o.PhotoFraction > 1:
		return usageError("seed: --photo-fraction must be from 0 to 1")
	case o.Jobs < 1:
		o.Jobs = 1
	}
	if len(o.Password) < accounts.PasswordMinLen {
		return usageError(fmt.Sprintf("seed: --password must have at least %d characters", accounts.PasswordMinLen))
	}
	cfg, err := wire.LoadConfig()
	if err != nil {
		return err
	}
	// setup applies the migrations as every other command does.
	e, err := wire.Setup(ctx, cfg, wire.NewLogger(cfg, stderr), wire.SchemaAsConfigured)
	if err != nil {
		return err
	}
	e.Close()
	_, err = runSeed(ctx, cfg, o, stdout)
	return err
}

// seedTexts are the post bodies; seedTags the popular tags (most popular
// first); seedComments the comment texts.
const (
	seedTexts    = 256
	seedComments = 64
)

var seedTags = []string{"diaspora", "photography", "music", "foss", "linux", "privacy", "cats", "nature",
	"books", "travel", "food", "art", "science", "politics", "climate", "gaming", "movies", "hiking", "coffee", "golang"}

var (
	seedFirstNames = []string{"Ada", "Alan", "Alice", "Amara", "Anna", "Ben", "Bruno", "Carla", "Chen", "Clara",
		"Dario", "Dmitri", "Elena", "Emil", "Eva", "Farid", "Fatima", "Greta", "Hana", "Hugo", "Ines", "Ivan",
		"Jana", "Jonas", "Karim", "Kenji", "Lara", "Leon", "Lina", "Luca", "Maya", "Mateo", "Nadia", "Nils",
		"Olga", "Omar", "Paula", "Pedro", "Rosa", "Sami", "Sofia", "Tomas", "Uma", "Vera", "Yara", "Zoe"}
	seedLastNames = []string{"Abbott", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen",
		"Ito", "Jensen", "Kowalski", "Larsen", "Meyer", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Silva",
		"Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Moreau", "Nguyen", "Schmidt", "Horvat"}
	seedWords = strings.Fields(`the a of and to in is it that was for on are with as at be this have from or one
		had by word but not what all were we when your can said there use an each which she do how their if will up
		other about out many then them these so some her would make like him into time has look two more write go see
		number no way could people my than first water been call who oil its now find long down day did get come
		made may part garden morning coffee train river mountain music record concert friend neighbour bicycle
		picture window kitchen evening weekend library book chapter garden rain sunshine walk forest lake city
		village market bread cheese tomato recipe project code release server pod federation network community`)
)

// seedText is one post or comment body: the text as stored and its HTML as
// pod's renderText makes it (tags and mentions become markdown links before
// the markdown is rendered). In mention texts MNAME, MID and MGUID stand for
// the mentioned person's name, diaspora ID and GUID.
type seedText struct {
	Idx     int
	Tag     int // 0: none, else 1-based index into seedTags
	Mention bool
	Text    string
	HTML    string
}

const (
	phName = "zqxmnamezqx"
	phID   = "zqxmidzqx"
	phGUID = "zqxmguidzqx"
)

// seedBodies makes n deterministic markdown bodies of varied length.
func seedBodies(seed int64, n int, maxSentences int) []string {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		sentences := 1 + r.IntN(maxSentences)
		for s := 0; s < sentences; s++ {
			if s > 0 {
				if r.IntN(5) == 0 {
					b.WriteString("\n\n")
				} else {
					b.WriteByte(' ')
				}
			}
			words := 4 + r.IntN(14)
			for w := 0; w < words; w++ {
				word := seedWords[r.IntN(len(seedWords))]
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				} else {
					b.WriteByte(' ')
				}
				if r.IntN(40) == 0 {
					word = "**" + word + "**"
				}
				b.WriteString(word)
			}
			b.WriteString([]string{".", ".", ".", "!", "?"}[r.IntN(5)])
		}
		if r.IntN(8) == 0 {
			fmt.Fprintf(&b, " https://example.org/articles/%d", r.IntN(100000))
		}
		out[i] = b.String()
	}
	return out
}

// buildSeedTexts renders every (body, tag, mention) combination the seed
// uses, the way pod.renderText would.
func buildSeedTexts(seed int64) (posts, comments []seedText) {
	for i, body := range seedBodies(seed, seedTexts, 6) {
		for tag := 0; tag <= len(seedTags); tag++ {
			for _, mention := range []bool{false, true} {
				text, md := body, body
				if tag > 0 {
					text += " #" + seedTags[tag-1]
					md += " [#" + seedTags[tag-1] + "](/tags/" + seedTags[tag-1] + ")"
				}
				if mention {
					text += " @{" + phName + "; " + phID + "}"
					md += " [@" + phName + "](/people/" + phGUID + ")"
				}
				posts = append(posts, seedText{Idx: i, Tag: tag, Mention: mention, Text: text, HTML: string(markup.Render(md))})
			}
		}
	}
	for i, body := range seedBodies(seed+1, seedComments, 2) {
		comments = append(comments, seedText{Idx: i, Text: body, HTML: string(markup.Render(body))})
	}
	return posts, comments
}

// seedTagCDF maps floor(r*1000) to a 1-based tag (Zipf, s=1).
func seedTagCDF() []int {
	weights := make([]float64, len(seedTags))
	total := 0.0
	for i := range weights {
		weights[i] = 1 / float64(i+1)
		total += weights[i]
	}
	out := make([]int, 1000)
	acc, tag := weights[0]/total, 0
	for i := range out {
		for float64(i)/1000 >= acc && tag < len(seedTags)-1 {
			tag++
			acc += weights[tag] / total
		}
		out[i] = tag + 1
	}
	return out
}

// seedTables lists the tables the seed writes, for counts and truncation.
var seedTables = []string{"users", "people", "profiles", "aspects", "invitation_codes", "contacts",
	"aspect_memberships", "tags", "tag_followings", "posts", "aspect_visibilities", "post_audiences",
	"share_visibilities", "taggings", "mentions", "comments", "likes", "participations", "notifications",
	"notification_actors", "stream_entries"}

// seedBulkTables get their indexes dropped during the load and rebuilt
// after it (much faster than maintaining them row by row). Primary keys
// stay when a foreign key refers to them.
var seedBulkTables = []string{"contacts", "aspect_memberships", "posts", "aspect_visibilities", "post_audiences", "share_visibilities",
	"taggings", "mentions", "comments", "likes", "participations", "notifications", "notification_actors",
	"stream_entries"}

// seedResult is what a run reports.
type seedResult struct {
	Counts  map[string]int64
	Elapsed time.Duration
	DBBytes int64
}

type seeder struct {
	o     seedOptions
	cfg   config.Config
	pool  *pgxpool.Pool
	out   io.Writer
	start time.Time
	now   time.Time
	mu    sync.Mutex
}

// runSeed seeds the configured database (already migrated).
func runSeed(ctx context.Context, cfg config.Config, o seedOptions, out io.Writer) (*seedResult, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("POD_DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = int32(o.Jobs + 1)
	pcfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		// Big sorts and hashes in memory; no waiting for WAL flushes.
		_, err := c.Exec(ctx, `SET work_mem = '256MB'; SET maintenance_work_mem = '1GB'; SET synchronous_commit = off;
			SET max_parallel_maintenance_workers = 2; SET jit = off`)
		if err != nil {
			return err
		}
		// Skip the row-by-row foreign key triggers: the seed writes
		// consistent rows by construction (superuser only; else checked).
		c.Exec(ctx, `SET session_replication_role = replica`)
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	s := &seeder{o: o, cfg: cfg, pool: pool, out: out, start: time.Now(), now: time.Now().UTC().Truncate(time.Second)}
	return s.run(ctx)
}

func (s *seeder) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, "[%7.1fs] %s\n", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}

// exec runs one statement and reports its row count.
func (s *seeder) exec(ctx context.Context, what, sql string, args ...any) (int64, error) {
	t := time.Now()
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("seed %s: %w", what, err)
	}
	if what != "" {
		s.logf("%-28s %10d rows  %6.1fs", what, tag.RowsAffected(), time.Since(t).Seconds())
	}
	return tag.RowsAffected(), nil
}

// chunked runs a statement over id ranges {lo}..{hi} of [1, max], o.Jobs at
// a time, printing progress after each chunk.
func (s *seeder) chunked(ctx context.Context, what, sql string, max int64, chunks int) error {
	if max <= 0 {
		return nil
	}
	if int64(chunks) > max {
		chunks = int(max)
	}
	t := time.Now()
	size := (max + int64(chunks) - 1) / int64(chunks)
	work := make(chan [2]int64)
	errc := make(chan error, s.o.Jobs)
	var done, rows int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < s.o.Jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				q := strings.NewReplacer("{lo}", fmt.Sprint(r[0]), "{hi}", fmt.Sprint(r[1])).Replace(sql)
				tag, err := s.pool.Exec(ctx, q)
				if err != nil {
					errc <- fmt.Errorf("seed %s (ids %d-%d): %w", what, r[0], r[1], err)
					return
				}
				mu.Lock()
				done++
				rows += tag.RowsAffected()
				s.logf("%-28s %10d rows  chunk %d/%d  %6.1fs", what, rows, done, chunks, time.Since(t).Seconds())
				mu.Unlock()
			}
		}()
	}
	var err error
feed:
	for lo := int64(1); lo <= max; lo += size {
		select {
		case work <- [2]int64{lo, min(lo+size-1, max)}:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return err
}

// parallel runs statements o.Jobs at a time.
func (s *seeder) parallel(ctx context.Context, what string, sqls []string) error {
	t := time.Now()
	sem := make(chan struct{}, s.o.Jobs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, q := range sqls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := s.pool.Exec(ctx, q); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("seed %s: %s: %w", what, q, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil && len(sqls) > 0 {
		s.logf("%-28s %10d done  %6.1fs", what, len(sqls), time.Since(t).Seconds())
	}
	return first
}

// rnd is SQL for a uniform number in [0, 1) that depends only on key, the
// seed and salt.
func (s *seeder) rnd(key string, salt int) string {
	return fmt.Sprintf("LEAST((hashint8extended((%s)::bigint, %d) & 9223372036854775807)::float8 / 9223372036854775807.0, 0.999999999999)",
		key, s.o.Seed*1000003+int64(salt))
}

func ts(t time.Time) string { return "'" + t.UTC().Format(time.RFC3339Nano) + "'::timestamptz" }

// sqlText quotes a string as an SQL literal.
func sqlText(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }

func sqlTextArray(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = sqlText(v)
	}
	return "ARRAY[" + strings.Join(q, ",") + "]::text[]"
}

func sqlIntArray(vs []int) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprint(v)
	}
	return "ARRAY[" + strings.Join(q, ",") + "]::int[]"
}

// coprime picks a multiplier that permutes 0..n-1 (i*m mod n).
func coprime(n int) int64 {
	gcd := func(a, b int64) int64 {
		for b != 0 {
			a, b = b, a%b
		}
		return a
	}
	m := int64(1000003)
	for gcd(m, int64(n)) != 1 {
		m += 2
	}
	return m
}

func (s *seeder) run(ctx context.Context) (*seedResult, error) {
	o := s.o
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	s.logf("seeding %d users, %d posts, %d contacts per user, %.3f limited, seed %d, %d jobs",
		o.Users, o.Posts, o.Contacts, o.LimitedFraction, o.Seed, o.Jobs)

	// One key pair and one password hash for everyone.
	priv, err := models.GenerateKey(s.cfg.RSABits)
	if err != nil {
		return nil, err
	}
	pub, err := models.PublicKeyPEM(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	sealer, err := models.NewKeySealer(s.cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("POD_SECRET_KEY: %w", err)
	}
	sealed, err := sealer.Seal(priv)
	if err != nil {
		return nil, err
	}
	hash, err := accounts.HashPassword(o.Password)
	if err != nil {
		return nil, err
	}
	s.logf("key pair (%d bits) and password hash ready", s.cfg.RSABits)

	if err := s.dropIndexes(ctx); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return s.accounts(ctx, pub, sealed, hash) },
		s.contacts,
		s.plan,
		s.posts,
		s.interactions,
		s.notifications,
		s.stream,
		s.finish,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return s.report(ctx)
}

// prepare refuses a non-empty database unless --force, which empties it,
// and repairs what an interrupted seed left behind.
func (s *seeder) prepare(ctx context.Context) error {
	var pending bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('public.aspen_seed_indexes') IS NOT NULL`).Scan(&pending); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	var used bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM people)
		OR EXISTS (SELECT 1 FROM posts) OR EXISTS (SELECT 1 FROM stream_entries)`).Scan(&used); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if (used || pending) && !s.o.Force {
		if pending {
			return errors.New("seed: a previous seed did not finish (indexes are missing); run again with --force to empty the database and start over")
		}
		return errors.New("seed: the database already has users, people or posts; run with --force to empty every table first")
	}
	if used || pending {
		s.logf("--force: emptying every table")
		if _, err := s.exec(ctx, "", `DO $$ DECLARE r record; tables text := ''; BEGIN
			FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
				AND tablename <> 'goose_db_version' AND tablename NOT LIKE 'aspen_seed%' LOOP
				tables := tables || CASE WHEN tables = '' THEN '' ELSE ', ' END || quote_ident(r.tablename);
			END LOOP;
			IF tables <> '' THEN EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE'; END IF;
		END $$`); err != nil {
			return err
		}
	}
	if pending {
		if err := s.restoreIndexes(ctx, nil); err != nil {
			return err
		}
		if _, err := s.pool.Exec(ctx, `DROP TABLE aspen_seed_indexes`); err != nil {
			return err
		}
	}
	return s.dropScratch(ctx)
}

// dropScratch removes the seed's helper tables.
func (s *seeder) dropScratch(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'
		AND tablename LIKE 'aspen_seed\_%' AND tablename <> 'aspen_seed_indexes'`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := s.pool.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{n}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

// dropIndexes records the definitions of the bulk tables' indexes in
// aspen_seed_indexes (so an interrupted run can be repaired) and drops them.
func (s *seeder) dropIndexes(ctx context.Context) error {
	if _, err := s.exec(ctx, "", `CREATE TABLE aspen_seed_indexes AS
		SELECT t.relname::text AS tbl, ic.relname::text AS name, pg_get_indexdef(i.indexrelid) AS def,
			con.conname::text AS conname, pg_get_constraintdef(con.oid) AS condef
		FROM pg_index i
		JOIN pg_class t ON t.oid = i.indrelid
		JOIN pg_class ic ON ic.oid = i.indexrelid
		LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u') AND con.conrelid = t.oid
		WHERE t.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM pg_constraint fk WHERE fk.contype = 'f' AND fk.conindid = i.indexrelid)`, seedBulkTables); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, `SELECT tbl, name, conname FROM aspen_seed_indexes`)
	if err != nil {
		return err
	}
	type idx struct {
		tbl, name string
		con       *string
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (idx, error) {
		var x idx
		return x, r.Scan(&x.tbl, &x.name, &x.con)
	})
	if err != nil {
		return err
	}
	for _, x := range all {
		q := "DROP INDEX " + pgx.Identifier{x.name}.Sanitize()
		if x.con != nil {
			q = "ALTER TABLE " + pgx.Identifier{x.tbl}.Sanitize() + " DROP CONSTRAINT " + pgx.Identifier{*x.con}.Sanitize()
		}
		if _, err := s.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("seed: drop index %s: %w", x.name, err)
		}
	}
	s.logf("dropped %d indexes of the bulk tables for the load", len(all))
	return nil
}

// restoreIndexes rebuilds the dropped indexes of the given tables (nil:
// all), o.Jobs at a time.
func (s *seeder) restoreIndexes(ctx context.Context, tables []string) error {
	rows, err := s.pool.Query(ctx, `SELECT tbl, name, def, conname, condef FROM aspen_seed_indexes
		WHERE ($1::text[] IS NULL OR tbl = ANY($1)) AND to_regclass(quote_ident(name)) IS NULL
		ORDER BY pg_total_relation_size(quote_ident(tbl)::regclass) DESC, name`, tables)
	if err != nil {
		return err
	}
	var sqls []string
	var names []string
	for rows.Next() {
		var tbl, name, def string
		var con, condef *string
		if err := rows.Scan(&tbl, &name, &def, &con, &condef); err != nil {
			return err
		}
		if con != nil {
			def = "ALTER TABLE " + pgx.Identifier{tbl}.Sanitize() + " ADD CONSTRAINT " + pgx.Identifier{*con}.Sanitize() + " " + *condef
		}
		sqls = append(sqls, def)
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(sqls) == 0 {
		return nil
	}
	what := "indexes " + strings.Join(tables, ",")
	if tables == nil {
		what = "indexes (repair)"
	}
	if err := s.parallel(ctx, what, sqls); err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `DELETE FROM aspen_seed_indexes WHERE name = ANY($1)`, names)
	return err
}

func (s *seeder) analyze(ctx context.Context, tables ...string) error {
	for _, t := range tables {
		if _, err := s.pool.Exec(ctx, "ANALYZE "+pgx.Identifier{t}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

// Timeline: accounts a bit over a year ago, relationships right after,
// then a year of posts up to now.
func (s *seeder) usersFrom() time.Time    { return s.now.Add(-400 * 24 * time.Hour) }
func (s *seeder) contactsFrom() time.Time { return s.now.Add(-380 * 24 * time.Hour) }
func (s *seeder) postsFrom() time.Time    { return s.now.Add(-365 * 24 * time.Hour) }
func (s *seeder) postsTo() time.Time      { return s.now.Add(-10 * time.Minute) }

// accounts writes what SignUp writes: users, people, profiles (with the
// names people give themselves later), four aspects and an invite code.
func (s *seeder) accounts(ctx context.Context, pub, sealed, hash string) error {
	o := s.o
	uAt := fmt.Sprintf("%s + %s * interval '20 days'", ts(s.usersFrom()), s.rnd("g", 1))
	if _, err := s.exec(ctx, "users", fmt.Sprintf(`INSERT INTO users (id, username, email, encrypted_password, serialized_private_key, created_at, updated_at)
		SELECT g, 'user' || g, 'user' || g || '@example.org', $1, $2, %[1]s, %[1]s FROM generate_series(1, %[2]d) g`, uAt, o.Users), hash, sealed); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "people", fmt.Sprintf(`INSERT INTO people (id, guid, diaspora_id, serialized_public_key, pod_host, owner_id, created_at, updated_at)
		SELECT g, md5('person-%[3]d-' || g), 'user' || g || '@' || $2, $1, $2, g, %[1]s, %[1]s FROM generate_series(1, %[2]d) g`, uAt, o.Users, o.Seed), pub, s.cfg.Host); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "profiles", fmt.Sprintf(`INSERT INTO profiles (id, person_id, first_name, last_name, searchable, created_at, updated_at)
		SELECT g, g, (%[3]s)[1 + floor(%[5]s * %[6]d)::int], (%[4]s)[1 + floor(%[7]s * %[8]d)::int], true, %[1]s, %[1]s
		FROM generate_series(1, %[2]d) g`, uAt, o.Users, sqlTextArray(seedFirstNames), sqlTextArray(seedLastNames),
		s.rnd("g", 2), len(seedFirstNames), s.rnd("g", 3), len(seedLastNames))); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "aspects", fmt.Sprintf(`INSERT INTO aspects (id, user_id, name, order_id, post_default, created_at, updated_at)
		SELECT (g - 1) * 4 + k + 1, g, (%[3]s)[k + 1], k, true, %[1]s, %[1]s
		FROM generate_series(1, %[2]d) g, generate_series(0, 3) k ORDER BY 1`, uAt, o.Users, sqlTextArray(accounts.DefaultAspects))); err != nil {
		return err
	}
	if len(accounts.DefaultAspects) != 4 {
		return errors.New("seed: expects four default aspects")
	}
	if _, err := s.exec(ctx, "invitation_codes", fmt.Sprintf(`INSERT INTO invitation_codes (id, token, user_id, count, created_at, updated_at)
		SELECT g, substr(md5('invite-%[3]d-' || g), 1, 16), g, %[4]d, %[1]s, %[1]s FROM generate_series(1, %[2]d) g`,
		uAt, o.Users, o.Seed, s.cfg.InviteCount)); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "tags", fmt.Sprintf(`INSERT INTO tags (id, name) SELECT i, (%s)[i] FROM generate_series(1, %d) i`,
		sqlTextArray(seedTags), len(seedTags))); err != nil {
		return err
	}
	// FollowTag: one user in ten follows one to three tags, long before
	// the posts (so FanOut, not BackfillTag, put tagged posts in streams).
	if _, err := s.exec(ctx, "tag_followings", fmt.Sprintf(`INSERT INTO tag_followings (id, user_id, tag_id, created_at)
		SELECT row_number() OVER (ORDER BY user_id, tag_id), user_id, tag_id, %[4]s FROM (
			SELECT DISTINCT g AS user_id, 1 + floor(%[2]s * %[3]d)::bigint AS tag_id
			FROM generate_series(1, %[1]d) g, generate_series(1, 3) j
			WHERE %[5]s < 0.1 AND j <= 1 + floor(%[6]s * 3)) f`,
		o.Users, s.rnd("g * 4 + j", 4), len(seedTags), ts(s.contactsFrom()), s.rnd("g", 5), s.rnd("g", 6))); err != nil {
		return err
	}
	return s.analyze(ctx, "users", "people", "profiles", "aspects", "tags", "tag_followings")
}

// contacts writes what AddToAspect writes for a random, mostly mutual,
// locally clustered graph: for "u puts v in an aspect", u's contact with v
// is receiving with one or two aspect memberships, v's contact with u is
// sharing, and v gets a started_sharing notification.
func (s *seeder) contacts(ctx context.Context) error {
	o := s.o
	// Each user starts about contacts/2 pairs (lognormal spread, mean 1),
	// mostly with near neighbours in id order so that friends share friends.
	deg := fmt.Sprintf(`LEAST(20.0, exp(0.8 * sqrt(-2 * ln(1 - %s)) * cos(2 * pi() * %s) - 0.32)) * %f`,
		s.rnd("u", 10), s.rnd("u", 11), float64(o.Contacts)/2)
	if _, err := s.exec(ctx, "pairs", fmt.Sprintf(`CREATE UNLOGGED TABLE aspen_seed_pairs AS
		SELECT a, b, row_number() OVER (ORDER BY a, b) AS rn,
			%[4]s AS dir, %[5]s + %[6]s * interval '12 days' AS at
		FROM (
			SELECT DISTINCT LEAST(u, v) AS a, GREATEST(u, v) AS b FROM (
				SELECT u, ((u - 1 + 1 + floor(%[2]s ^ 2 * (%[1]d - 1))::bigint) %% %[1]d) + 1 AS v
				FROM generate_series(1, %[1]d) u, LATERAL generate_series(1, round(%[3]s)::int) j
			) x WHERE u <> v
		) p`,
		o.Users, s.rnd("u * 100000 + j", 12), deg, s.rnd("a * 1000003 + b", 13), ts(s.contactsFrom()), s.rnd("a * 1000003 + b", 14))); err != nil {
		return err
	}
	// dir < 0.70: both share; < 0.85: only a shares with b; else only b with a.
	if _, err := s.exec(ctx, "contacts", `INSERT INTO contacts (id, user_id, person_id, sharing, receiving, created_at, updated_at)
		SELECT 2 * rn - 1, a, b, dir < 0.70 OR dir >= 0.85, dir < 0.85, at, at FROM aspen_seed_pairs
		UNION ALL
		SELECT 2 * rn, b, a, dir < 0.85, dir < 0.70 OR dir >= 0.85, at, at FROM aspen_seed_pairs`); err != nil {
		return err
	}
	if err := s.analyze(ctx, "contacts"); err != nil {
		return err
	}
	// Aspect weights: Family 10%, Friends 40%, Work 25%, Acquaintances 25%;
	// one contact in five is in a second aspect too.
	k1 := fmt.Sprintf(`CASE WHEN %[1]s < 0.10 THEN 0 WHEN %[1]s < 0.50 THEN 1 WHEN %[1]s < 0.75 THEN 2 ELSE 3 END`, s.rnd("c.id", 15))
	if _, err := s.exec(ctx, "aspect_memberships", fmt.Sprintf(`INSERT INTO aspect_memberships (id, aspect_id, contact_id, created_at)
		SELECT row_number() OVER (ORDER BY contact_id, aspect_id), aspect_id, contact_id, at FROM (
			SELECT c.id AS contact_id, (c.user_id - 1) * 4 + k1 + 1 AS aspect_id, c.created_at AS at FROM (
				SELECT c.*, %[1]s AS k1 FROM contacts c WHERE c.receiving) c
			UNION ALL
			SELECT c.id, (c.user_id - 1) * 4 + (k1 + 1 + floor(%[2]s * 3)::int) %% 4 + 1, c.created_at FROM (
				SELECT c.*, %[1]s AS k1 FROM contacts c WHERE c.receiving) c
			WHERE %[3]s < 0.2
		) m`, k1, s.rnd("c.id", 16), s.rnd("c.id", 17))); err != nil {
		return err
	}
	if err := s.restoreIndexes(ctx, []string{"contacts", "aspect_memberships"}); err != nil {
		return err
	}
	if err := s.analyze(ctx, "contacts", "aspect_memberships"); err != nil {
		return err
	}
	// Pools to draw audiences, commenters and likers from: the members of
	// each aspect, and all contacts of each user, numbered from 1.
	for _, q := range []string{
		`CREATE UNLOGGED TABLE aspen_seed_apool AS SELECT am.aspect_id, row_number() OVER (PARTITION BY am.aspect_id ORDER BY c.person_id) AS idx, c.person_id
			FROM aspect_memberships am JOIN contacts c ON c.id = am.contact_id`,
		`CREATE UNLOGGED TABLE aspen_seed_asize AS SELECT a.id AS aspect_id, count(ap.person_id) AS n
			FROM aspects a LEFT JOIN aspen_seed_apool ap ON ap.aspect_id = a.id GROUP BY a.id`,
		`CREATE UNLOGGED TABLE aspen_seed_cpool AS SELECT user_id, row_number() OVER (PARTITION BY user_id ORDER BY person_id) AS idx, person_id FROM contacts`,
		`CREATE UNLOGGED TABLE aspen_seed_csize AS SELECT u.id AS user_id, count(cp.person_id) AS n
			FROM users u LEFT JOIN aspen_seed_cpool cp ON cp.user_id = u.id GROUP BY u.id`,
	} {
		if _, err := s.exec(ctx, "", q); err != nil {
			return err
		}
	}
	return s.analyze(ctx, "aspen_seed_apool", "aspen_seed_asize", "aspen_seed_cpool", "aspen_seed_csize")
}

// plan decides every post, comment and like in scratch tables, so that the
// posts can be written once with their final counters.
func (s *seeder) plan(ctx context.Context) error {
	o := s.o
	posts, comments := buildSeedTexts(o.Seed)
	if _, err := s.exec(ctx, "", `CREATE UNLOGGED TABLE aspen_seed_texts (idx int, tag int, mention bool, text text, html text)`); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "", `CREATE UNLOGGED TABLE aspen_seed_ctexts (idx int, text text, html text)`); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	_, err = conn.Conn().CopyFrom(ctx, pgx.Identifier{"aspen_seed_texts"}, []string{"idx", "tag", "mention", "text", "html"},
		pgx.CopyFromSlice(len(posts), func(i int) ([]any, error) {
			t := posts[i]
			return []any{t.Idx, t.Tag, t.Mention, t.Text, t.HTML}, nil
		}))
	if err == nil {
		_, err = conn.Conn().CopyFrom(ctx, pgx.Identifier{"aspen_seed_ctexts"}, []string{"idx", "text", "html"},
			pgx.CopyFromSlice(len(comments), func(i int) ([]any, error) {
				return []any{comments[i].Idx, comments[i].Text, comments[i].HTML}, nil
			}))
	}
	conn.Release()
	if err != nil {
		return fmt.Errorf("seed texts: %w", err)
	}
	if err := s.analyze(ctx, "aspen_seed_texts", "aspen_seed_ctexts"); err != nil {
		return err
	}

	// Posts: ids in time order; authors skewed (some post much more than
	// others) and spread over the id space; 10% tagged (Zipf over the
	// popular tags); 0.5% mention someone who may read them.
	span := s.postsTo().Sub(s.postsFrom()).Seconds()
	author := fmt.Sprintf(`((floor(%s ^ 1.5 * %d)::bigint * %d) %% %d) + 1`, s.rnd("g", 20), o.Users, coprime(o.Users), o.Users)
	k := fmt.Sprintf(`CASE WHEN %[1]s < 0.10 THEN 0 WHEN %[1]s < 0.50 THEN 1 WHEN %[1]s < 0.75 THEN 2 ELSE 3 END`, s.rnd("g", 22))
	if _, err := s.exec(ctx, "plan posts", fmt.Sprintf(`CREATE UNLOGGED TABLE aspen_seed_posts AS
		WITH base AS (
			SELECT g AS id, %[2]s AS author,
				%[3]s + ((g - 1 + %[4]s) * %[5]f / %[1]d) * interval '1 second' AS created_at,
				%[6]s >= %[7]f AS public, %[8]s AS k,
				CASE WHEN %[9]s < 0.10 THEN (%[10]s)[1 + floor(%[11]s * 1000)::int] ELSE 0 END AS tag,
				%[12]s < 0.005 AS wants_mention, floor(%[13]s * %[14]d)::int AS text_idx
			FROM generate_series(1, %[1]d) g
		), sized AS (
			SELECT b.id, b.author, b.created_at, b.public, CASE WHEN NOT b.public THEN (b.author - 1) * 4 + b.k + 1 END AS aspect_id,
				b.tag, b.wants_mention, b.text_idx,
				CASE WHEN b.public THEN cs.n ELSE asz.n END AS pool_n
			FROM base b
			JOIN aspen_seed_csize cs ON cs.user_id = b.author
			LEFT JOIN aspen_seed_asize asz ON asz.aspect_id = (b.author - 1) * 4 + b.k + 1
		)
		SELECT s.*, CASE WHEN s.wants_mention THEN COALESCE(cp.person_id, ap.person_id) END AS mention
		FROM sized s
		LEFT JOIN aspen_seed_cpool cp ON s.wants_mention AND s.public AND cp.user_id = s.author AND cp.idx = (1 + floor(%[15]s * s.pool_n))::bigint
		LEFT JOIN aspen_seed_apool ap ON s.wants_mention AND NOT s.public AND ap.aspect_id = s.aspect_id AND ap.idx = (1 + floor(%[15]s * s.pool_n))::bigint`,
		o.Posts, author, ts(s.postsFrom()), s.rnd("g", 21), span, s.rnd("g", 23), o.LimitedFraction, k,
		s.rnd("g", 24), sqlIntArray(seedTagCDF()), s.rnd("g", 25), s.rnd("g", 26), s.rnd("g", 27), seedTexts,
		s.rnd("s.id", 28))); err != nil {
		return err
	}
	if err := s.analyze(ctx, "aspen_seed_posts"); err != nil {
		return err
	}

	// Someone who may read the post: its author (sometimes, or when nobody
	// else may), a member of its aspect (limited) or a contact of its
	// author (public).
	reader := func(key string, salt int, authorShare, from string) string {
		return fmt.Sprintf(`CASE WHEN p.pool_n = 0 OR %[1]s < %[3]s THEN p.author ELSE COALESCE(cp.person_id, ap.person_id) END AS person
			FROM %[4]s
			LEFT JOIN aspen_seed_cpool cp ON p.public AND cp.user_id = p.author AND cp.idx = (1 + floor(%[2]s * p.pool_n))::bigint
			LEFT JOIN aspen_seed_apool ap ON NOT p.public AND ap.aspect_id = p.aspect_id AND ap.idx = (1 + floor(%[2]s * p.pool_n))::bigint`,
			s.rnd(key, salt), s.rnd(key, salt+1), authorShare, from)
	}
	at := func(key string, salt int) string {
		return fmt.Sprintf(`LEAST(p.created_at + %s ^ 2 * interval '48 hours', %s)`, s.rnd(key, salt), ts(s.now.Add(-time.Second)))
	}
	// Comments: 40% of posts, 1 + Exp(1.5) each.
	ncomments := fmt.Sprintf(`CASE WHEN %s < 0.6 THEN 0 ELSE 1 + LEAST(30, floor(-ln(1 - %s) * 1.5))::int END`, s.rnd("p.id", 30), s.rnd("p.id", 31))
	if _, err := s.exec(ctx, "plan comments", `CREATE UNLOGGED TABLE aspen_seed_comments AS
		SELECT row_number() OVER (ORDER BY at, post_id, j) AS id, * FROM (
			SELECT p.id AS post_id, p.author AS post_author, j, `+at("p.id * 64 + j", 32)+` AS at,
				floor(`+s.rnd("p.id * 64 + j", 35)+` * `+fmt.Sprint(seedComments)+`)::int AS text_idx,
				`+reader("p.id * 64 + j", 33, "0.15", "aspen_seed_posts p CROSS JOIN LATERAL generate_series(1, "+ncomments+") j")+`
		) c`); err != nil {
		return err
	}
	if err := s.analyze(ctx, "aspen_seed_comments"); err != nil {
		return err
	}
	// Likes of posts: half of the posts, 1 + Exp(2) distinct people other
	// than the author; likes of comments: one comment in twenty, one or two.
	nlikes := fmt.Sprintf(`CASE WHEN %s < 0.5 THEN 0 ELSE 1 + LEAST(60, floor(-ln(1 - %s) * 2))::int END`, s.rnd("p.id", 40), s.rnd("p.id", 41))
	ncl := fmt.Sprintf(`CASE WHEN %s < 0.05 THEN 1 + floor(%s * 2)::int ELSE 0 END`, s.rnd("c.id", 50), s.rnd("c.id", 51))
	if _, err := s.exec(ctx, "plan likes", `CREATE UNLOGGED TABLE aspen_seed_likes AS
		SELECT row_number() OVER (ORDER BY at, post_id, comment_id NULLS FIRST, person) AS id, * FROM (
			(SELECT DISTINCT ON (post_id, person) post_id, NULL::bigint AS comment_id, person, at FROM (
				SELECT p.id AS post_id, p.author AS post_author, `+at("p.id * 64 + j", 42)+` AS at,
					`+reader("p.id * 64 + j", 43, "0", "aspen_seed_posts p CROSS JOIN LATERAL generate_series(1, "+nlikes+") j")+`
			) l WHERE person IS NOT NULL AND person <> post_author ORDER BY post_id, person, at)
			UNION ALL
			(SELECT DISTINCT ON (comment_id, person) post_id, comment_id, person, at FROM (
				SELECT c.post_id, c.id AS comment_id, c.person AS comment_author, GREATEST(c.at, `+at("c.id * 4 + cj", 52)+`) AS at,
					`+reader("c.id * 4 + cj", 53, "0.3", "aspen_seed_comments c JOIN aspen_seed_posts p ON p.id = c.post_id CROSS JOIN LATERAL generate_series(1, "+ncl+") cj")+`
			) l WHERE person IS NOT NULL AND person <> comment_author ORDER BY comment_id, person, at)
		) x`); err != nil {
		return err
	}
	return s.analyze(ctx, "aspen_seed_likes")
}

// posts writes what CreatePost writes: the post (with the counters and
// interaction time its comments and likes gave it), its aspect
// visibility, audience snapshot and share visibilities, taggings and
// mentions. Stream entries come later, in one pass.
func (s *seeder) posts(ctx context.Context) error {
	max := int64(s.o.Posts)
	if err := s.chunked(ctx, "posts", fmt.Sprintf(`INSERT INTO posts (id, guid, author_id, type, public, text, text_html, provider_display_name,
			nsfw, comments_count, likes_count, reshares_count, created_at, updated_at, interacted_at)
		SELECT p.id, md5('post-%[1]d-' || p.id), p.author, 'StatusMessage', p.public,
			CASE WHEN mp.id IS NULL THEN t.text ELSE replace(replace(t.text, '%[2]s', mpr.first_name || ' ' || mpr.last_name), '%[3]s', mp.diaspora_id) END,
			CASE WHEN mp.id IS NULL THEN t.html ELSE replace(replace(t.html, '%[2]s', mpr.first_name || ' ' || mpr.last_name), '%[4]s', mp.guid) END,
			'', false, COALESCE(cc.n, 0), COALESCE(lc.n, 0), 0, p.created_at, p.created_at, GREATEST(p.created_at, cc.last, lc.last)
		FROM aspen_seed_posts p
		JOIN aspen_seed_texts t ON t.idx = p.text_idx AND t.tag = p.tag AND t.mention = (p.mention IS NOT NULL)
		LEFT JOIN people mp ON mp.id = p.mention
		LEFT JOIN profiles mpr ON mpr.person_id = mp.id
		LEFT JOIN (SELECT post_id, count(*) AS n, max(at) AS last FROM aspen_seed_comments
			WHERE post_id BETWEEN {lo} AND {hi} GROUP BY post_id) cc ON cc.post_id = p.id
		LEFT JOIN (SELECT post_id, count(*) AS n, max(at) AS last FROM aspen_seed_likes
			WHERE comment_id IS NULL AND post_id BETWEEN {lo} AND {hi} GROUP BY post_id) lc ON lc.post_id = p.id
		WHERE p.id BETWEEN {lo} AND {hi}
		ORDER BY p.id`, s.o.Seed, phName, phID, phGUID), max, 8); err != nil {
		return err
	}
	// A photo as CreatePost attaches a processed upload: ready, of the
	// post's author, public as the post. Only the row: pages link its
	// renditions, but no file is written (the stream benchmark reads
	// pages, not images).
	if s.o.PhotoFraction > 0 {
		if err := s.chunked(ctx, "photos", fmt.Sprintf(`INSERT INTO photos (guid, author_id, post_id, status_message_guid, public,
				state, media_id, ext, token, width, height, position, created_at)
			SELECT md5('photo-%[1]d-' || p.id), p.author, p.id, md5('post-%[1]d-' || p.id), p.public,
				'ready', md5('media-%[1]d-' || p.id), '.jpg', md5('token-%[1]d-' || p.id), 700, 525, 0, p.created_at
			FROM aspen_seed_posts p WHERE p.id BETWEEN {lo} AND {hi} AND %[2]s < %[3]g ORDER BY p.id`,
			s.o.Seed, s.rnd("p.id", 91), s.o.PhotoFraction), max, 4); err != nil {
			return err
		}
	}
	if _, err := s.exec(ctx, "aspect_visibilities", `INSERT INTO aspect_visibilities (post_id, aspect_id)
		SELECT id, aspect_id FROM aspen_seed_posts WHERE NOT public ORDER BY id`); err != nil {
		return err
	}
	// The audience snapshot: the aspect's members when the post was
	// written (no relationship changed since); the local ones get a share
	// visibility (AddAudience).
	if err := s.chunked(ctx, "post_audiences", `INSERT INTO post_audiences (post_id, person_id)
		SELECT p.id, ap.person_id FROM aspen_seed_posts p JOIN aspen_seed_apool ap ON ap.aspect_id = p.aspect_id
		WHERE NOT p.public AND p.id BETWEEN {lo} AND {hi} AND ap.person_id <> p.author ORDER BY 1, 2`, max, 4); err != nil {
		return err
	}
	if err := s.chunked(ctx, "share_visibilities", `INSERT INTO share_visibilities (post_id, user_id)
		SELECT p.id, pe.owner_id FROM aspen_seed_posts p JOIN aspen_seed_apool ap ON ap.aspect_id = p.aspect_id
		JOIN people pe ON pe.id = ap.person_id AND pe.owner_id IS NOT NULL
		WHERE NOT p.public AND p.id BETWEEN {lo} AND {hi} AND ap.person_id <> p.author ORDER BY 1, 2`, max, 4); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "taggings", `INSERT INTO taggings (tag_id, post_id, created_at, public)
		SELECT tag, id, created_at, public FROM aspen_seed_posts WHERE tag > 0 ORDER BY id`); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "mentions", `INSERT INTO mentions (post_id, person_id, created_at)
		SELECT id, mention, created_at FROM aspen_seed_posts WHERE mention IS NOT NULL ORDER BY id`); err != nil {
		return err
	}
	if err := s.restoreIndexes(ctx, []string{"posts", "aspect_visibilities", "post_audiences", "share_visibilities", "taggings", "mentions"}); err != nil {
		return err
	}
	return s.analyze(ctx, "posts", "photos", "aspect_visibilities", "post_audiences", "share_visibilities", "taggings", "mentions")
}

// interactions writes what Comment and Like write: comments and likes
// with their counters (the post counters went in with the posts) and the
// participations of commenters and likers of posts.
func (s *seeder) interactions(ctx context.Context) error {
	if _, err := s.exec(ctx, "comments", fmt.Sprintf(`INSERT INTO comments (id, guid, post_id, author_id, text, text_html, likes_count, created_at, updated_at)
		SELECT c.id, md5('comment-%d-' || c.id), c.post_id, c.person, t.text, t.html, COALESCE(l.n, 0), c.at, c.at
		FROM aspen_seed_comments c JOIN aspen_seed_ctexts t ON t.idx = c.text_idx
		LEFT JOIN (SELECT comment_id, count(*) AS n FROM aspen_seed_likes WHERE comment_id IS NOT NULL GROUP BY 1) l ON l.comment_id = c.id
		ORDER BY c.id`, s.o.Seed)); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "likes", fmt.Sprintf(`INSERT INTO likes (id, guid, post_id, comment_id, author_id, positive, created_at)
		SELECT id, md5('like-%d-' || id), post_id, comment_id, person, true, at FROM aspen_seed_likes ORDER BY id`, s.o.Seed)); err != nil {
		return err
	}
	// Liking a comment does not subscribe (Like returns before that).
	if _, err := s.exec(ctx, "participations", `INSERT INTO participations (post_id, person_id, created_at)
		SELECT post_id, person, min(at) FROM (
			SELECT post_id, person, at FROM aspen_seed_comments
			UNION ALL
			SELECT post_id, person, at FROM aspen_seed_likes WHERE comment_id IS NULL
		) x GROUP BY post_id, person ORDER BY 1, 2`); err != nil {
		return err
	}
	if err := s.restoreIndexes(ctx, []string{"comments", "likes", "participations"}); err != nil {
		return err
	}
	return s.analyze(ctx, "comments", "likes", "participations")
}

// notifications writes the notifications the use cases would have left:
// started_sharing (AddToAspect), mentioned (CreatePost), comment_on_post
// and also_commented (Comment), liked (Like), grouped per (recipient, type,
// target) with one actor row per person.
func (s *seeder) notifications(ctx context.Context) error {
	if _, err := s.exec(ctx, "notification events", `CREATE UNLOGGED TABLE aspen_seed_events AS
		SELECT pe.owner_id AS user_id, 'started_sharing'::text AS type, NULL::bigint AS post_id, c.user_id AS person_id, c.user_id AS actor, c.created_at AS at
			FROM contacts c JOIN people pe ON pe.id = c.person_id AND pe.owner_id IS NOT NULL WHERE c.receiving
		UNION ALL
		SELECT pe.owner_id, 'mentioned', m.post_id, NULL, p.author_id, m.created_at
			FROM mentions m JOIN posts p ON p.id = m.post_id JOIN people pe ON pe.id = m.person_id AND pe.owner_id IS NOT NULL
			WHERE m.person_id <> p.author_id
		UNION ALL
		SELECT pe.owner_id, 'comment_on_post', c.post_id, NULL, c.person, c.at
			FROM aspen_seed_comments c JOIN people pe ON pe.id = c.post_author AND pe.owner_id IS NOT NULL WHERE c.person <> c.post_author
		UNION ALL
		SELECT pe.owner_id, 'liked', l.post_id, NULL, l.person, l.at
			FROM aspen_seed_likes l JOIN posts p ON p.id = l.post_id JOIN people pe ON pe.id = p.author_id AND pe.owner_id IS NOT NULL
			WHERE l.comment_id IS NULL AND l.person <> p.author_id
		UNION ALL
		SELECT pe.owner_id, 'also_commented', c.post_id, NULL, c.person, c.at
			FROM aspen_seed_comments c JOIN participations pa ON pa.post_id = c.post_id AND pa.created_at < c.at
			JOIN people pe ON pe.id = pa.person_id AND pe.owner_id IS NOT NULL
			WHERE pa.person_id <> c.person AND pa.person_id <> c.post_author`); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "", `CREATE UNLOGGED TABLE aspen_seed_notifs AS
		SELECT row_number() OVER (ORDER BY min(at), user_id, type, COALESCE(post_id, 0), COALESCE(person_id, 0)) AS id,
			user_id, type, post_id, person_id, min(at) AS created_at, max(at) AS updated_at
		FROM aspen_seed_events GROUP BY user_id, type, post_id, person_id`); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "notifications", `INSERT INTO notifications (id, user_id, type, post_id, person_id, unread, created_at, updated_at)
		SELECT id, user_id, type, post_id, person_id, true, created_at, updated_at FROM aspen_seed_notifs ORDER BY id`); err != nil {
		return err
	}
	if _, err := s.exec(ctx, "notification_actors", `INSERT INTO notification_actors (notification_id, person_id, created_at)
		SELECT n.id, e.actor, max(e.at) FROM aspen_seed_events e JOIN aspen_seed_notifs n
			ON n.user_id = e.user_id AND n.type = e.type AND COALESCE(n.post_id, 0) = COALESCE(e.post_id, 0) AND COALESCE(n.person_id, 0) = COALESCE(e.person_id, 0)
		GROUP BY n.id, e.actor ORDER BY 1, 2`); err != nil {
		return err
	}
	if err := s.restoreIndexes(ctx, []string{"notifications", "notification_actors"}); err != nil {
		return err
	}
	return s.analyze(ctx, "notifications", "notification_actors")
}

// stream writes stream_entries with the very statement FanOut runs for a
// new post (models.StreamEntriesSQL), over chunks of post ids, into the
// table whose indexes are dropped for the load.
func (s *seeder) stream(ctx context.Context) error {
	// A chunk groups a few hundred thousand (user, post) reasons: enough
	// work_mem keeps that in memory instead of sorting on disk.
	if err := s.chunked(ctx, "stream_entries", "SET work_mem = '256MB'; "+models.StreamEntriesSQL("p.id BETWEEN {lo} AND {hi}", "", models.EntriesFresh),
		int64(s.o.Posts), 16); err != nil {
		return err
	}
	return s.restoreIndexes(ctx, []string{"stream_entries"})
}

// finish moves the id sequences past the seeded rows, drops the scratch
// tables and vacuums (visibility map for index-only scans) and analyzes.
func (s *seeder) finish(ctx context.Context) error {
	if err := s.restoreIndexes(ctx, nil); err != nil { // anything left
		return err
	}
	for _, t := range seedTables {
		if _, err := s.pool.Exec(ctx, fmt.Sprintf(`SELECT setval(seq, GREATEST((SELECT max(id) FROM %[1]s), 1))
			FROM pg_get_serial_sequence('%[1]s', 'id') seq WHERE seq IS NOT NULL`, t)); err != nil {
			var pgErr interface{ SQLState() string }
			if errors.As(err, &pgErr) && pgErr.SQLState() == "42703" { // no id column
				continue
			}
			return fmt.Errorf("seed: sequence of %s: %w", t, err)
		}
	}
	if _, err := s.pool.Exec(ctx, `DROP TABLE aspen_seed_indexes`); err != nil {
		return err
	}
	if !s.o.KeepScratch {
		if err := s.dropScratch(ctx); err != nil {
			return err
		}
	}
	var sqls []string
	for _, t := range seedTables {
		sqls = append(sqls, "VACUUM (ANALYZE) "+t)
	}
	return s.parallel(ctx, "vacuum analyze", sqls)
}

func (s *seeder) report(ctx context.Context) (*seedResult, error) {
	res := &seedResult{Counts: map[string]int64{}}
	fmt.Fprintln(s.out, "rows:")
	for _, t := range seedTables {
		var n int64
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, err
		}
		res.Counts[t] = n
		fmt.Fprintf(s.out, "  %-22s %12d\n", t, n)
	}
	if err := s.pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&res.DBBytes); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(s.start)
	users := float64(max(res.Counts["users"], 1))
	fmt.Fprintf(s.out, "contacts per user %.1f (receiving %.1f), stream entries per user %.0f\n",
		float64(res.Counts["contacts"])/users, float64(res.Counts["aspect_memberships"])/users/1.2, float64(res.Counts["stream_entries"])/users)
	fmt.Fprintf(s.out, "seeded in %s; database size %.2f GB\n", res.Elapsed.Round(time.Second), float64(res.DBBytes)/(1<<30))
	return res, nil
}
