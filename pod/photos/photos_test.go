package photos_test

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/podtest"
)

func files(t *testing.T, p *podtest.Pod) int {
	t.Helper()
	n := 0
	filepath.WalkDir(p.Media.Dir(), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestSweepDeletesStaleUploads: the periodic sweep deletes photos uploaded
// more than a day ago and never posted, with their files, and keeps
// younger ones.
func TestSweepDeletesStaleUploads(t *testing.T) {
	p := podtest.New(t)
	u := p.NewUser(t, "alice")
	ctx := context.Background()
	var ids []int64
	for range 2 {
		v, err := p.App.Photos.Upload(ctx, u.Session, bytes.NewReader(mediatest.JPEG(t, 40, 30)))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.App.Photos.Process(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	perPhoto := files(t, p) / 2
	if err := p.Store.Exec(ctx, "UPDATE photos SET created_at = now() - interval '25 hours' WHERE id = ?", ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Photos.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store.PhotoByID(ctx, ids[0]); err == nil {
		t.Errorf("the day-old pending photo is still there")
	}
	if _, err := p.Store.PhotoByID(ctx, ids[1]); err != nil {
		t.Errorf("the new pending photo was deleted: %v", err)
	}
	if got := files(t, p); got != perPhoto {
		t.Errorf("%d files after the sweep, want %d (the new photo's)", got, perPhoto)
	}
}

// TestUndecodableUploadFails: a file whose header passes the request's
// check but whose pixels do not decode is marked failed by the job, and
// its upload is deleted.
func TestUndecodableUploadFails(t *testing.T) {
	p := podtest.New(t)
	u := p.NewUser(t, "alice")
	ctx := context.Background()
	jpg := mediatest.JPEG(t, 400, 300)
	v, err := p.App.Photos.Upload(ctx, u.Session, bytes.NewReader(jpg[:len(jpg)*4/5]))
	if err != nil {
		t.Fatalf("the header is fine, the upload should be accepted: %v", err)
	}
	if err := p.App.Photos.Process(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	row, err := p.Store.PhotoByID(ctx, v.ID)
	if err != nil || row.State != models.PhotoFailed {
		t.Errorf("photo after processing: %+v %v, want failed", row, err)
	}
	if n := files(t, p); n != 0 {
		t.Errorf("%d files left", n)
	}
}
