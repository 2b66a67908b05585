package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aspenpod/aspen/cmd/internal/wire"

	"github.com/jackc/pgx/v5"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/accounts"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/web"
)

// TestSeedWritesWhatTheUseCasesWrite seeds a tiny world and checks it
// against the rules from scratch (streams, audiences, flags, counters,
// notifications) and against the use cases themselves: posts and comments
// replayed through pod.App must produce the same rows as the seeded ones.
func TestSeedWritesWhatTheUseCasesWrite(t *testing.T) {
	dsn := podtest.CommandEnv(t, "seed")
	code, out, stderr := runCmd(t, "seed", "--users", "40", "--posts", "2000", "--contacts", "10", "--seed", "7", "--photo-fraction", "0.5")
	if code != 0 {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "stream_entries") || !strings.Contains(out, "seeded in") {
		t.Fatalf("seed report lacks counts:\n%s", out)
	}
	if code, _, stderr := runCmd(t, "seed", "--users", "40", "--posts", "10", "--contacts", "5"); code != 1 || !strings.Contains(stderr, "--force") {
		t.Fatalf("second seed without --force: exit %d, %s", code, stderr)
	}

	ctx := context.Background()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	// The from-scratch queries look expensive to the planner; compiling
	// them (JIT) would take longer than running them.
	if _, err := db.Exec(ctx, "SET jit = off"); err != nil {
		t.Fatal(err)
	}
	count := func(what, sql string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := db.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return n
	}
	zero := func(what, sql string) {
		t.Helper()
		if n := count(what, sql); n != 0 {
			t.Errorf("%s: %d rows break the rule", what, n)
		}
	}
	// Photos: about half the posts carry one, as CreatePost attaches a
	// processed upload (the post's author, its public flag and GUID).
	zero("photos unlike the ones CreatePost attaches", `SELECT count(*) FROM photos ph JOIN posts p ON p.id = ph.post_id
		WHERE ph.author_id <> p.author_id OR ph.public <> p.public OR ph.status_message_guid <> p.guid OR ph.state <> 'ready'`)
	if n := count("posts with photos", `SELECT count(DISTINCT post_id) FROM photos`); n < 800 || n > 1200 {
		t.Errorf("%d of 2000 posts have a photo, want about half", n)
	}
	// sameSet checks that two queries return the same rows.
	sameSet := func(what, a, b string) {
		t.Helper()
		zero(what+" (extra rows)", "SELECT count(*) FROM (("+a+") EXCEPT ("+b+")) x")
		zero(what+" (missing rows)", "SELECT count(*) FROM (("+b+") EXCEPT ("+a+")) x")
	}

	for table, want := range map[string]int64{"users": 40, "people": 40, "profiles": 40, "aspects": 160, "invitation_codes": 40, "posts": 2000} {
		if n := count(table, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	for _, table := range []string{"contacts", "aspect_memberships", "post_audiences", "share_visibilities", "taggings",
		"mentions", "comments", "likes", "participations", "notifications", "stream_entries", "tag_followings"} {
		if n := count(table, "SELECT count(*) FROM "+table); n == 0 {
			t.Errorf("%s: no rows", table)
		}
	}
	if n := count("limited", "SELECT count(*) FROM posts WHERE NOT public"); n < 1100 || n > 1600 {
		t.Errorf("%d of 2000 posts limited, want about two thirds", n)
	}

	// Contacts: receiving exactly when in one of the user's own aspects;
	// the other side's sharing flag mirrors it; every start of sharing
	// notified the other person.
	zero("receiving <=> in an aspect", `SELECT count(*) FROM contacts c
		WHERE c.receiving <> EXISTS (SELECT 1 FROM aspect_memberships am WHERE am.contact_id = c.id)`)
	zero("memberships in own aspects", `SELECT count(*) FROM aspect_memberships am JOIN contacts c ON c.id = am.contact_id
		JOIN aspects a ON a.id = am.aspect_id WHERE a.user_id <> c.user_id`)
	zero("sharing mirrors receiving", `SELECT count(*) FROM contacts c JOIN people pe ON pe.id = c.person_id AND pe.owner_id IS NOT NULL
		JOIN people me ON me.owner_id = c.user_id
		LEFT JOIN contacts o ON o.user_id = pe.owner_id AND o.person_id = me.id
		WHERE c.receiving <> COALESCE(o.sharing, false) OR c.sharing <> COALESCE(o.receiving, false)`)
	zero("no empty contacts", `SELECT count(*) FROM contacts WHERE NOT sharing AND NOT receiving`)
	sameSet("started_sharing notifications", `SELECT pe.owner_id, c.user_id FROM contacts c JOIN people pe ON pe.id = c.person_id WHERE c.receiving`,
		`SELECT n.user_id, na.person_id FROM notifications n JOIN notification_actors na ON na.notification_id = n.id WHERE n.type = 'started_sharing'`)

	// Posts: a limited post went to one aspect of its author; its audience
	// is that aspect's members, the local ones may read it.
	zero("limited posts have one own aspect", `SELECT count(*) FROM posts p WHERE NOT p.public AND 1 <> (SELECT count(*)
		FROM aspect_visibilities av JOIN aspects a ON a.id = av.aspect_id JOIN people pe ON pe.owner_id = a.user_id
		WHERE av.post_id = p.id AND pe.id = p.author_id)`)
	zero("public posts have no audience", `SELECT count(*) FROM posts p WHERE p.public AND (
		EXISTS (SELECT 1 FROM aspect_visibilities WHERE post_id = p.id) OR EXISTS (SELECT 1 FROM post_audiences WHERE post_id = p.id)
		OR EXISTS (SELECT 1 FROM share_visibilities WHERE post_id = p.id))`)
	sameSet("audience = aspect members", `SELECT post_id, person_id FROM post_audiences`,
		`SELECT av.post_id, c.person_id FROM aspect_visibilities av JOIN aspect_memberships am ON am.aspect_id = av.aspect_id
		JOIN contacts c ON c.id = am.contact_id JOIN posts p ON p.id = av.post_id WHERE c.person_id <> p.author_id`)
	sameSet("share visibilities = local audience", `SELECT post_id, user_id FROM share_visibilities`,
		`SELECT pa.post_id, pe.owner_id FROM post_audiences pa JOIN people pe ON pe.id = pa.person_id WHERE pe.owner_id IS NOT NULL`)
	zero("tagged <=> #tag in text", `SELECT count(*) FROM posts p WHERE (p.text ~ '(^|\s)#[a-z]') <> EXISTS (SELECT 1 FROM taggings t WHERE t.post_id = p.id)`)
	zero("taggings copy the post", `SELECT count(*) FROM taggings t JOIN posts p ON p.id = t.post_id WHERE t.public <> p.public OR t.created_at <> p.created_at`)
	zero("mentions are in the text", `SELECT count(*) FROM mentions m JOIN posts p ON p.id = m.post_id JOIN people pe ON pe.id = m.person_id
		WHERE strpos(p.text, '; ' || pe.diaspora_id || '}') = 0 OR strpos(p.text_html, '/people/' || pe.guid) = 0`)

	// Interactions: only by people who may read the post; counters,
	// interaction times and participations match the rows.
	visible := func(post, person string) string {
		return fmt.Sprintf(`(p.public OR p.author_id = %[2]s OR EXISTS (SELECT 1 FROM share_visibilities sv JOIN people r ON r.owner_id = sv.user_id
			WHERE sv.post_id = %[1]s AND r.id = %[2]s))`, post, person)
	}
	zero("comments by readers", `SELECT count(*) FROM comments c JOIN posts p ON p.id = c.post_id WHERE NOT `+visible("c.post_id", "c.author_id"))
	zero("likes by readers", `SELECT count(*) FROM likes l JOIN posts p ON p.id = l.post_id WHERE NOT `+visible("l.post_id", "l.author_id"))
	zero("post counters", `SELECT count(*) FROM posts p WHERE p.comments_count <> (SELECT count(*) FROM comments c WHERE c.post_id = p.id)
		OR p.likes_count <> (SELECT count(*) FROM likes l WHERE l.post_id = p.id AND l.comment_id IS NULL) OR p.reshares_count <> 0
		OR p.interacted_at <> GREATEST(p.created_at, (SELECT max(created_at) FROM comments c WHERE c.post_id = p.id),
			(SELECT max(created_at) FROM likes l WHERE l.post_id = p.id AND l.comment_id IS NULL))`)
	zero("comment counters", `SELECT count(*) FROM comments c WHERE c.likes_count <> (SELECT count(*) FROM likes l WHERE l.comment_id = c.id)`)
	zero("comment likes on their post", `SELECT count(*) FROM likes l JOIN comments c ON c.id = l.comment_id WHERE c.post_id <> l.post_id`)
	sameSet("participations", `SELECT post_id, person_id, created_at FROM participations`,
		`SELECT post_id, author_id, min(created_at) FROM (SELECT post_id, author_id, created_at FROM comments
			UNION ALL SELECT post_id, author_id, created_at FROM likes WHERE comment_id IS NULL) x GROUP BY 1, 2`)
	sameSet("comment and like notifications", `SELECT n.user_id, n.type, n.post_id, na.person_id FROM notifications n
		JOIN notification_actors na ON na.notification_id = n.id WHERE n.type IN ('comment_on_post', 'liked', 'also_commented', 'mentioned')`,
		`SELECT a.owner_id, 'comment_on_post', c.post_id, c.author_id FROM comments c JOIN posts p ON p.id = c.post_id
			JOIN people a ON a.id = p.author_id WHERE c.author_id <> p.author_id
		UNION SELECT a.owner_id, 'liked', l.post_id, l.author_id FROM likes l JOIN posts p ON p.id = l.post_id
			JOIN people a ON a.id = p.author_id WHERE l.comment_id IS NULL AND l.author_id <> p.author_id
		UNION SELECT r.owner_id, 'also_commented', c.post_id, c.author_id FROM comments c JOIN posts p ON p.id = c.post_id
			JOIN people r ON r.id <> c.author_id AND r.id <> p.author_id
			WHERE EXISTS (SELECT 1 FROM comments e WHERE e.post_id = c.post_id AND e.author_id = r.id AND e.created_at < c.created_at)
			OR EXISTS (SELECT 1 FROM likes e WHERE e.post_id = c.post_id AND e.comment_id IS NULL AND e.author_id = r.id AND e.created_at < c.created_at)
		UNION SELECT r.owner_id, 'mentioned', m.post_id, p.author_id FROM mentions m JOIN posts p ON p.id = m.post_id
			JOIN people r ON r.id = m.person_id`)

	// The stream, from scratch: own posts (8); posts the user may see by
	// someone in one of their aspects (1), with a tag they follow (2),
	// mentioning them (4) or addressed to them (16, limited posts).
	streamFromScratch := `SELECT u.id, p.id, p.author_id, p.created_at, (
			CASE WHEN p.author_id = me.id THEN 8 ELSE 0 END |
			CASE WHEN vis THEN
				CASE WHEN EXISTS (SELECT 1 FROM aspect_memberships am JOIN contacts c ON c.id = am.contact_id
					WHERE c.user_id = u.id AND c.person_id = p.author_id) THEN 1 ELSE 0 END |
				CASE WHEN EXISTS (SELECT 1 FROM taggings t JOIN tag_followings tf ON tf.tag_id = t.tag_id
					WHERE t.post_id = p.id AND tf.user_id = u.id) THEN 2 ELSE 0 END |
				CASE WHEN EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id AND m.person_id = me.id) THEN 4 ELSE 0 END |
				CASE WHEN NOT p.public THEN 16 ELSE 0 END
			ELSE 0 END)::smallint AS reasons
		FROM users u JOIN people me ON me.owner_id = u.id CROSS JOIN posts p
		CROSS JOIN LATERAL (SELECT p.public OR EXISTS (SELECT 1 FROM share_visibilities sv WHERE sv.post_id = p.id AND sv.user_id = u.id) AS vis) v`
	sameSet("stream entries (FanOut)", `SELECT user_id, post_id, author_id, created_at, reasons FROM stream_entries`,
		`SELECT * FROM (`+streamFromScratch+`) x WHERE reasons <> 0`)
	for _, reason := range []int{1, 2, 4, 8, 16} {
		if n := count("reason", "SELECT count(*) FROM stream_entries WHERE reasons & $1 <> 0", reason); n == 0 {
			t.Errorf("no stream entry with reason %d", reason)
		}
	}

	// MainStream through the Store, page by page, equals the stream from
	// scratch for a few users.
	st, err := models.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, uid := range []int64{1, 17, 40} {
		var person int64
		if err := db.QueryRow(ctx, `SELECT id FROM people WHERE owner_id = $1`, uid).Scan(&person); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(ctx, `SELECT p.id FROM posts p JOIN people me ON me.owner_id = $1
			WHERE p.author_id = me.id OR ((p.public OR EXISTS (SELECT 1 FROM share_visibilities sv WHERE sv.post_id = p.id AND sv.user_id = $1)) AND (
				EXISTS (SELECT 1 FROM aspect_memberships am JOIN contacts c ON c.id = am.contact_id WHERE c.user_id = $1 AND c.person_id = p.author_id)
				OR EXISTS (SELECT 1 FROM taggings t JOIN tag_followings tf ON tf.tag_id = t.tag_id WHERE t.post_id = p.id AND tf.user_id = $1)
				OR EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id AND m.person_id = me.id)
				OR (NOT p.public AND EXISTS (SELECT 1 FROM share_visibilities sv WHERE sv.post_id = p.id AND sv.user_id = $1))))
			ORDER BY p.created_at DESC, p.id DESC LIMIT 45`, uid)
		if err != nil {
			t.Fatal(err)
		}
		want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		var cur models.Cursor
		for page := 0; page < 3; page++ {
			prs, err := st.MainStream(ctx, models.Viewer{UserID: uid, PersonID: person}, cur, models.PageSize)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range prs {
				got = append(got, r.ID)
			}
			if len(prs) < models.PageSize {
				break
			}
			cur = models.Cursor{Time: prs[len(prs)-1].SortAt, ID: prs[len(prs)-1].ID}
		}
		if len(want) < 30 || !slices.Equal(got, want) {
			t.Errorf("user %d: MainStream %v\nwant (from scratch) %v", uid, got, want)
		}
	}

	// Replays through the use cases give the same rows as the seed.
	cfg, err := wire.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	e, err := wire.Setup(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), wire.SchemaAsConfigured)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sess, _, err := e.App.Accounts.SignIn(ctx, accounts.SignInInput{Login: "user3", Password: "password1", ClientIP: "192.0.2.1"})
	if err != nil || sess.UserID != 3 {
		t.Fatalf("sign in as a seeded user: %v", err)
	}
	var sealed, pub string
	if err := db.QueryRow(ctx, `SELECT u.serialized_private_key, p.serialized_public_key FROM users u JOIN people p ON p.owner_id = u.id WHERE u.id = 5`).Scan(&sealed, &pub); err != nil {
		t.Fatal(err)
	}
	sealer, _ := models.NewKeySealer(cfg.SecretKey)
	if priv, err := sealer.Open(sealed); err != nil {
		t.Fatalf("seeded private key does not open with the pod secret: %v", err)
	} else if pem, _ := models.PublicKeyPEM(&priv.PublicKey); pem != pub {
		t.Fatal("seeded public key does not match the private key")
	}

	// rowsOf describes everything CreatePost wrote for a post.
	rowsOf := func(postID int64) map[string]string {
		t.Helper()
		out := map[string]string{}
		for name, q := range map[string]string{
			"post":      `SELECT concat_ws('|', author_id, type, public, text, text_html, provider_display_name, nsfw) FROM posts WHERE id = $1`,
			"aspects":   `SELECT aspect_id::text FROM aspect_visibilities WHERE post_id = $1 ORDER BY 1`,
			"audience":  `SELECT person_id::text FROM post_audiences WHERE post_id = $1 ORDER BY 1`,
			"readers":   `SELECT user_id::text FROM share_visibilities WHERE post_id = $1 ORDER BY 1`,
			"taggings":  `SELECT tag_id || '|' || public FROM taggings WHERE post_id = $1 ORDER BY 1`,
			"mentions":  `SELECT person_id::text FROM mentions WHERE post_id = $1 ORDER BY 1`,
			"stream":    `SELECT user_id || ':' || reasons || ':' || author_id FROM stream_entries WHERE post_id = $1 ORDER BY user_id`,
			"mentioned": `SELECT user_id::text FROM notifications WHERE post_id = $1 AND type = 'mentioned' ORDER BY 1`,
		} {
			rows, err := db.Query(ctx, q, postID)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = strings.Join(vals, ",")
		}
		return out
	}
	for _, pick := range []struct{ name, where string }{
		{"limited, tagged", `NOT p.public AND EXISTS (SELECT 1 FROM taggings t WHERE t.post_id = p.id)`},
		{"public, tagged", `p.public AND EXISTS (SELECT 1 FROM taggings t WHERE t.post_id = p.id)`},
		{"limited, mention", `NOT p.public AND EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id)`},
		{"public, mention", `p.public AND EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id)`},
		{"limited, plain", `NOT p.public AND p.text NOT LIKE '%#%'`},
	} {
		var postID, author, user int64
		var text string
		var public bool
		var aspect *int64
		err := db.QueryRow(ctx, `SELECT p.id, p.author_id, pe.owner_id, p.text, p.public, (SELECT aspect_id FROM aspect_visibilities WHERE post_id = p.id)
			FROM posts p JOIN people pe ON pe.id = p.author_id WHERE `+pick.where+` ORDER BY p.id DESC LIMIT 1`).Scan(&postID, &author, &user, &text, &public, &aspect)
		if err != nil {
			t.Fatalf("%s: no such seeded post: %v", pick.name, err)
		}
		sel := aspects.Selection{Public: public}
		if aspect != nil {
			sel.Aspects = []int64{*aspect}
		}
		pv, err := e.App.Posts.CreatePost(ctx, &pod.Session{UserID: user, PersonID: author, Username: fmt.Sprintf("user%d", user)}, posts.PostInput{Text: text, Audience: sel})
		if err != nil {
			t.Fatalf("%s: replay: %v", pick.name, err)
		}
		seeded, replayed := rowsOf(postID), rowsOf(pv.ID)
		for k := range seeded {
			if seeded[k] != replayed[k] {
				t.Errorf("%s post %d, %s:\nseeded   %s\nreplayed %s", pick.name, postID, k, seeded[k], replayed[k])
			}
		}
	}

	// A comment replayed by its author renders the same.
	var commentPost, commentAuthor, commentUser int64
	var commentText, commentHTML string
	if err := db.QueryRow(ctx, `SELECT c.post_id, c.author_id, pe.owner_id, c.text, c.text_html FROM comments c JOIN people pe ON pe.id = c.author_id
		ORDER BY c.id LIMIT 1`).Scan(&commentPost, &commentAuthor, &commentUser, &commentText, &commentHTML); err != nil {
		t.Fatal(err)
	}
	cv, err := e.App.Posts.Comment(ctx, &pod.Session{UserID: commentUser, PersonID: commentAuthor}, fmt.Sprint(commentPost), commentText)
	if err != nil {
		t.Fatalf("replay comment: %v", err)
	}
	if string(cv.HTML) != commentHTML {
		t.Errorf("comment HTML: seeded %q, replayed %q", commentHTML, cv.HTML)
	}
}

// BenchmarkServe drives the pod's HTTP handler in-process (no network, no
// client) on a database filled by `podload seed`, for CPU profiles of the
// server side of each bench scenario. Skipped unless POD_BENCH_DATABASE_URL
// names the seeded database (with POD_DATA_DIR or POD_SECRET_KEY as the
// seed had them):
//
//	POD_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pod_bench?sslmode=disable \
//	  go test ./cmd/pod -run '^$' -bench Serve -cpu 8 -benchtime 10s -cpuprofile /tmp/serve.cpu
func BenchmarkServe(b *testing.B) {
	dsn := os.Getenv("POD_BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("POD_BENCH_DATABASE_URL names no seeded database (see podload seed)")
	}
	b.Setenv("POD_DATABASE_URL", dsn)
	if os.Getenv("POD_DATA_DIR") == "" && os.Getenv("POD_SECRET_KEY") == "" {
		b.Setenv("POD_DATA_DIR", b.TempDir())
	}
	ctx := context.Background()
	cfg, err := wire.LoadConfig()
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := wire.Setup(ctx, cfg, log, wire.SchemaAsConfigured)
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	srv, err := web.New(e.App, web.Options{PodName: cfg.PodName, Secret: cfg.SecretKey, TrustedProxies: cfg.TrustedProxies, Media: e.Media}, log)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close(ctx)
	bn := &bencher{o: benchOptions{Users: 20, Seed: 1, Password: "password1"}, db: db, st: e.Store, out: io.Discard}
	if err := bn.pickUsers(ctx); err != nil {
		b.Fatal(err)
	}
	if err := bn.apiTokens(ctx); err != nil {
		b.Fatal(err)
	}
	serve := func(method, path, body, cookie, xff string, token ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:40000"
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Cookie", cookie)
		if len(token) > 0 && token[0] != "" {
			req.Header.Set("Authorization", "Bearer "+token[0])
		}
		req.Header.Set("X-Forwarded-For", xff)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for i, u := range bn.users {
		xff := fmt.Sprintf("198.18.200.%d", i+1)
		w := serve("GET", "/users/sign_in", "", "", xff)
		m := csrfMetaRE.FindStringSubmatch(w.Body.String())
		if m == nil {
			b.Fatalf("sign-in form: %d, no csrf-token", w.Code)
		}
		var cookies []string
		for _, c := range w.Result().Cookies() {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		form := url.Values{"user[username]": {u.Username}, "user[password]": {"password1"}, "authenticity_token": {html.UnescapeString(m[1])}}
		w = serve("POST", "/users/sign_in", form.Encode(), strings.Join(cookies, "; "), xff)
		if w.Code != http.StatusFound {
			b.Fatalf("sign in as %s: %d", u.Username, w.Code)
		}
		for _, c := range w.Result().Cookies() {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		u.Cookie = strings.Join(cookies, "; ")
	}
	for _, name := range []string{"main", "api", "aspect", "tag", "deep", "post"} {
		sc, err := bn.scenario(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var seq atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(1, seq.Add(1)))
				for pb.Next() {
					req := sc.next(r)
					cookie := req.user.Cookie
					if req.token != "" {
						cookie = "" // an API client has no session
					}
					if w := serve("GET", req.path, "", cookie, "198.18.201.1", req.token); w.Code != http.StatusOK {
						b.Errorf("GET %s: %d %.200s", req.path, w.Code, w.Body.String())
						return
					}
				}
			})
		})
	}
}

// runCmd runs podload in-process and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}
