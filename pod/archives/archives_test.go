package archives_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
)

// seedPosts gives the person n posts written straight into the tables (a
// third public, the others limited to friend), with equal timestamps in
// runs of ten so that batches split ties, plus a comment and a like by
// friend on every tenth post and an own comment on every twentieth.
func seedPosts(t testing.TB, p *podtest.Pod, personID, friendID int64, n int) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO posts (guid, author_id, type, public, text, text_html, created_at, updated_at, interacted_at)
		 SELECT md5('seed' || g || '-' || CAST(@author AS bigint)), @author, 'StatusMessage', g % 3 = 0,
		        'Post number ' || g || ' about #gardening, with a few words of text to make it look real.',
		        '<p>Post number ' || g || '</p>', ts, ts, ts
		 FROM generate_series(1, @n) g, LATERAL (SELECT now() - (g / 10) * interval '1 minute' AS ts) t`,
		`INSERT INTO post_audiences (post_id, person_id) SELECT id, @friend FROM posts WHERE author_id = @author AND NOT public`,
		`INSERT INTO comments (guid, post_id, author_id, text, created_at, updated_at)
		 SELECT md5('c' || id), id, @friend, 'a comment', created_at, created_at FROM posts
		 WHERE author_id = @author AND abs(hashtext(guid)) % 10 = 0`,
		`INSERT INTO likes (guid, post_id, author_id, positive, created_at)
		 SELECT md5('l' || id), id, @friend, true, created_at FROM posts WHERE author_id = @author AND abs(hashtext(guid)) % 10 = 1`,
		`INSERT INTO comments (guid, post_id, author_id, text, created_at, updated_at)
		 SELECT md5('o' || id), id, @author, 'my own comment', created_at, created_at FROM posts
		 WHERE author_id = @author AND abs(hashtext(guid)) % 20 = 2`,
	}
	for _, q := range stmts {
		if err := p.Store.Exec(ctx, q, map[string]any{"author": personID, "friend": friendID, "n": n}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteArchiveBatchesAndProgress: an account bigger than one batch is
// written whole, each post once across batch boundaries (ties included),
// and the progress rises to its total.
func TestWriteArchiveBatchesAndProgress(t *testing.T) {
	ctx := context.Background()
	p := podtest.New(t)
	u, friend := p.NewUser(t, "heavy"), p.NewUser(t, "friend")
	const n = 2345
	seedPosts(t, p, u.Session.PersonID, friend.Session.PersonID, n)
	total, err := p.Store.Count(ctx, `SELECT
		(SELECT count(*) FROM posts WHERE author_id = ?) + (SELECT count(*) FROM comments) + (SELECT count(*) FROM likes)`, u.Session.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	var calls [][2]int
	var buf bytes.Buffer
	if err := p.App.Federate.WriteArchive(ctx, &buf, u.Session.UserID, func(d, t int) { calls = append(calls, [2]int{d, t}) }); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		User struct {
			Posts []struct {
				EntityData struct {
					GUID string `json:"guid"`
				} `json:"entity_data"`
			} `json:"posts"`
			Relayables []json.RawMessage `json:"relayables"`
		} `json:"user"`
		OthersData struct {
			Relayables []json.RawMessage `json:"relayables"`
		} `json:"others_data"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range doc.User.Posts {
		if seen[p.EntityData.GUID] {
			t.Errorf("post %s written twice", p.EntityData.GUID)
		}
		seen[p.EntityData.GUID] = true
	}
	if len(seen) != n {
		t.Errorf("%d posts written, want %d", len(seen), n)
	}
	if got := len(doc.User.Relayables) + len(doc.OthersData.Relayables) + n; int64(got) != total {
		t.Errorf("%d items written, want %d", got, total)
	}
	if len(calls) < 3 {
		t.Fatalf("progress reported %d times", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] || calls[i][1] != calls[0][1] {
			t.Errorf("progress went %v then %v", calls[i-1], calls[i])
		}
	}
	if last := calls[len(calls)-1]; int64(last[0]) != total || int64(last[1]) != total {
		t.Errorf("progress ended at %v, want %d of %d", last, total, total)
	}
}

// BenchmarkExport50000Posts makes the whole export (archive and photo zip,
// gzipped into the media store) of an account with 50,000 posts, 10,000
// comments and likes of others on them and 2,500 own comments:
//
//	go test -run '^$' -bench Export50000 -benchtime 3x ./pod/archives/
func BenchmarkExport50000Posts(b *testing.B) {
	ctx := context.Background()
	p := podtest.New(b)
	u, friend := p.NewUser(b, "heavy"), p.NewUser(b, "friend")
	seedPosts(b, p, u.Session.PersonID, friend.Session.PersonID, 50000)
	if err := p.Store.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var size int64
	for i := 0; i < b.N; i++ {
		if err := p.App.Archives.Request(ctx, u.Session); err != nil {
			b.Fatal(err)
		}
		e, err := p.Store.ExportOf(ctx, u.Session.UserID)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := p.App.Archives.Run(ctx, e.ID); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/export")
		if e, err = p.Store.ExportOf(ctx, u.Session.UserID); err != nil || e.State != "ready" {
			b.Fatalf("export %+v %v", e, err)
		}
		size = e.ArchiveSize
	}
	b.StopTimer()
	b.ReportMetric(float64(size)/(1<<20), "MB-gz")
	// The archive reads back whole.
	f, err := p.App.Archives.Download(ctx, u.Session, "archive")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Body.Close()
	zr, err := gzip.NewReader(f.Body)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/(1<<20), "MB-json")
}

// TestRequestWhileWorking: asking again while an export is being made
// changes nothing, unless it made no progress for an hour (its worker is
// gone): then a new one replaces it, and the old job finds nothing to do.
func TestRequestWhileWorking(t *testing.T) {
	ctx := context.Background()
	p := podtest.New(t)
	u := p.NewUser(t, "asker")
	if err := p.App.Archives.Request(ctx, u.Session); err != nil {
		t.Fatal(err)
	}
	first, err := p.Store.ExportOf(ctx, u.Session.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.Archives.Request(ctx, u.Session); err != nil {
		t.Fatal(err)
	}
	if again, _ := p.Store.ExportOf(ctx, u.Session.UserID); again.ID != first.ID {
		t.Errorf("asking again while queued replaced the export")
	}
	if err := p.Store.Exec(ctx, `UPDATE archive_exports SET updated_at = now() - interval '2 hours' WHERE id = ?`, first.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Archives.Request(ctx, u.Session); err != nil {
		t.Fatal(err)
	}
	fresh, _ := p.Store.ExportOf(ctx, u.Session.UserID)
	if fresh.ID == first.ID || fresh.State != "queued" {
		t.Errorf("a stale export was not replaced: %+v", fresh)
	}
	if err := p.App.Archives.Run(ctx, first.ID); err != nil {
		t.Errorf("the replaced export's job: %v", err)
	}
	if st, _ := p.Store.ExportOf(ctx, u.Session.UserID); st.State != "queued" {
		t.Errorf("the replaced export's job touched the new one: %+v", st)
	}
}
