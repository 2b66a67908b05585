package models_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aspenpod/aspen/models"
)

// The store benchmarks read a database filled by `podload seed`, named by
// POD_BENCH_DATABASE_URL; without it they are skipped. Each is one of the
// statements a stream or post page costs, for random seeded users:
//
//	POD_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pod_bench?sslmode=disable \
//	  go test ./models -run '^$' -bench . -benchtime 3s -cpuprofile /tmp/models.cpu

type benchWorld struct {
	st      *models.Store
	viewers []models.Viewer
	aspects [][]int64         // per viewer: aspects with members
	deep    [][]models.Cursor // per viewer: cursors of pages 21, 41, 61
	posts   [][]int64         // per viewer: posts in their stream
	tagID   int64
	tag     string
}

func seededWorld(b *testing.B) *benchWorld {
	b.Helper()
	dsn := os.Getenv("POD_BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("POD_BENCH_DATABASE_URL names no seeded database (see podload seed)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	w := &benchWorld{}
	rows, err := conn.Query(ctx, `SELECT u.id, p.id FROM users u JOIN people p ON p.owner_id = u.id ORDER BY md5(u.id::text) LIMIT 100`)
	if err != nil {
		b.Fatal(err)
	}
	var cands []models.Viewer
	for rows.Next() {
		var v models.Viewer
		if err := rows.Scan(&v.UserID, &v.PersonID); err != nil {
			b.Fatal(err)
		}
		cands = append(cands, v)
	}
	rows.Close()
	for _, v := range cands {
		var deep []models.Cursor
		for _, off := range []int{300, 600, 900} {
			var at time.Time
			if err := conn.QueryRow(ctx, `SELECT created_at FROM stream_entries WHERE user_id = $1
				ORDER BY created_at DESC, post_id DESC OFFSET $2 LIMIT 1`, v.UserID, off-1).Scan(&at); err != nil {
				break
			}
			deep = append(deep, models.Cursor{Time: time.Unix(at.Unix(), 0).UTC()})
		}
		rows, err := conn.Query(ctx, `SELECT a.id FROM aspects a WHERE a.user_id = $1
			AND EXISTS (SELECT 1 FROM aspect_memberships am WHERE am.aspect_id = a.id)`, v.UserID)
		if err != nil {
			b.Fatal(err)
		}
		as, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			b.Fatal(err)
		}
		rows, err = conn.Query(ctx, `SELECT post_id FROM stream_entries WHERE user_id = $1 ORDER BY md5(post_id::text) LIMIT 20`, v.UserID)
		if err != nil {
			b.Fatal(err)
		}
		ps, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			b.Fatal(err)
		}
		if len(deep) < 3 || len(as) == 0 || len(ps) == 0 {
			continue
		}
		w.viewers = append(w.viewers, v)
		w.deep = append(w.deep, deep)
		w.aspects = append(w.aspects, as)
		w.posts = append(w.posts, ps)
		if len(w.viewers) == 50 {
			break
		}
	}
	if len(w.viewers) == 0 {
		b.Skip("no seeded user with 61 pages of stream")
	}
	if err := conn.QueryRow(ctx, `SELECT t.id, t.name FROM taggings tg JOIN tags t ON t.id = tg.tag_id
		GROUP BY t.id, t.name ORDER BY count(*) DESC LIMIT 1`).Scan(&w.tagID, &w.tag); err != nil {
		b.Fatal(err)
	}
	if w.st, err = models.Open(ctx, dsn); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.st.Close() })
	return w
}

// run calls fn for viewer i mod len(viewers), from GOMAXPROCS goroutines
// (-cpu 8 for eight clients).
func (w *benchWorld) run(b *testing.B, fn func(ctx context.Context, i int) (int, error)) {
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			n, err := fn(ctx, i%len(w.viewers))
			if err != nil || n == 0 {
				b.Errorf("%d rows, %v", n, err)
				return
			}
		}
	})
}

func BenchmarkStoreMainStream(b *testing.B) {
	w := seededWorld(b)
	w.run(b, func(ctx context.Context, i int) (int, error) {
		rows, err := w.st.MainStream(ctx, w.viewers[i], models.Cursor{}, models.PageSize)
		return len(rows), err
	})
}

func BenchmarkStoreMainStreamDeep(b *testing.B) {
	w := seededWorld(b)
	w.run(b, func(ctx context.Context, i int) (int, error) {
		rows, err := w.st.MainStream(ctx, w.viewers[i], w.deep[i][i%3], models.PageSize)
		return len(rows), err
	})
}

func BenchmarkStoreAspectStream(b *testing.B) {
	w := seededWorld(b)
	w.run(b, func(ctx context.Context, i int) (int, error) {
		rows, err := w.st.AspectStream(ctx, w.viewers[i], w.aspects[i][:1], models.Cursor{}, models.PageSize)
		return len(rows), err
	})
}

func BenchmarkStoreTagStream(b *testing.B) {
	w := seededWorld(b)
	w.run(b, func(ctx context.Context, i int) (int, error) {
		rows, err := w.st.TagStream(ctx, w.viewers[i], w.tagID, models.Cursor{}, models.PageSize)
		return len(rows), err
	})
}

func BenchmarkStoreSinglePost(b *testing.B) {
	w := seededWorld(b)
	w.run(b, func(ctx context.Context, i int) (int, error) {
		_, err := w.st.SinglePost(ctx, w.viewers[i], w.posts[i][i%len(w.posts[i])])
		return 1, err
	})
}

// BenchmarkStoreHydrate is the two statements that complete a stream page:
// the last comments and the viewer's likes and reshares of its posts.
func BenchmarkStoreHydrate(b *testing.B) {
	w := seededWorld(b)
	pages := make([][]int64, len(w.viewers))
	for i, v := range w.viewers {
		rows, err := w.st.MainStream(context.Background(), v, models.Cursor{}, models.PageSize)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			pages[i] = append(pages[i], r.ID)
		}
	}
	w.run(b, func(ctx context.Context, i int) (int, error) {
		if _, err := w.st.LastComments(ctx, w.viewers[i], pages[i], 3); err != nil {
			return 0, err
		}
		_, _, err := w.st.ViewerLikes(ctx, w.viewers[i], pages[i])
		return 1, err
	})
}
