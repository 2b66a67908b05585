// Package archives lets users take their data away (issue 14): "download
// my data" queues a job that streams a gzipped JSON archive in diaspora*'s
// archive format (lib/schemas/archive-format.json) and a zip of the
// user's original photos into the media store, shows its progress, mails
// the user when it is ready and deletes it after 14 days. Writing the
// archive's entities is the federation layer's (it owns the protocol's JSON
// forms): pod/app gives this package a Writer. Importing an archive is in
// pod/federate (archive_import.go), as it discovers people and federates
// the account_migration.
package archives

import (
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/mail"
	"github.com/aspenpod/aspen/pod/media"
	"github.com/aspenpod/aspen/pod/tasks"
)

// KeepFor is how long a finished export is kept (diaspora* keeps them 14
// days too).
const KeepFor = 14 * 24 * time.Hour

// Progress is called by a Writer as it goes: done of total units
// (posts, then comments and likes) written.
type Progress func(done, total int)

// Writer writes the archive JSON of a user (diaspora*'s archive format,
// version 2.0) to w as it reads it, calling progress now and then.
type Writer interface {
	WriteArchive(ctx context.Context, w io.Writer, userID int64, progress Progress) error
}

// Service holds the export use cases.
type Service struct {
	core   *pod.Core
	opt    pod.Options
	store  *models.Store
	media  media.Store
	log    *slog.Logger
	writer Writer
}

// New builds the export use cases; w writes the archives.
func New(core *pod.Core, w Writer) *Service {
	return &Service{core: core, opt: core.Options(), store: core.Store(), media: core.Media(), log: core.Log(), writer: w}
}

// Status is what the export page shows.
type Status struct {
	// State is "" (no export yet), queued, running, ready or failed.
	State   string
	Done    int
	Total   int
	Percent int
	// Error says why a failed export failed.
	Error string
	// Sizes of the files of a ready export, and how many photos the zip
	// holds (0: there is no photo zip).
	ArchiveSize int64
	PhotosSize  int64
	PhotosCount int
	RequestedAt time.Time
	FinishedAt  *time.Time
	ExpiresAt   *time.Time
	// MailEnabled: the pod mails the user when the export is ready.
	MailEnabled bool
}

// ArchiveSizeText is the archive's size in words.
func (s *Status) ArchiveSizeText() string { return humanBytes(s.ArchiveSize) }

// PhotosSizeText is the photo zip's size in words.
func (s *Status) PhotosSizeText() string { return humanBytes(s.PhotosSize) }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Working reports whether the export is still being made.
func (s *Status) Working() bool {
	return s.State == models.ExportQueued || s.State == models.ExportRunning
}

// Ready reports whether the export can be downloaded.
func (s *Status) Ready() bool { return s.State == models.ExportReady }

// Status returns the state of the user's export.
func (a *Service) Status(ctx context.Context, s *pod.Session) (*Status, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	st := &Status{MailEnabled: a.core.MailEnabled()}
	e, err := a.store.ExportOf(ctx, s.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return st, nil
	} else if err != nil {
		return nil, err
	}
	st.State, st.Done, st.Total, st.Error = e.State, e.Done, e.Total, e.Error
	if e.Total > 0 {
		st.Percent = min(100, e.Done*100/e.Total)
	}
	if e.State == models.ExportReady {
		st.Percent = 100
	}
	st.ArchiveSize, st.PhotosSize, st.PhotosCount = e.ArchiveSize, e.PhotosSize, e.PhotosCount
	st.RequestedAt, st.FinishedAt = e.CreatedAt, e.FinishedAt
	if e.FinishedAt != nil {
		t := e.FinishedAt.Add(KeepFor)
		st.ExpiresAt = &t
	}
	return st, nil
}

// staleAfter is how long an export may go without progress before asking
// again starts a new one (a running job records progress every second;
// its task times out after 30 minutes).
const staleAfter = time.Hour

// Request queues a new export of the user's data, replacing the previous
// one (whose files are deleted). While one is being made, asking again
// changes nothing, unless it has made no progress for staleAfter (its
// worker died and its retries are over, or no worker runs).
func (a *Service) Request(ctx context.Context, s *pod.Session) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	var previous *models.ArchiveExport
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		cur, err := tx.ExportOf(ctx, s.UserID)
		if err == nil && (cur.State == models.ExportQueued || cur.State == models.ExportRunning) && time.Since(cur.UpdatedAt) < staleAfter {
			return nil
		} else if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		fresh, prev, err := tx.QueueExport(ctx, s.UserID)
		if err != nil {
			return err
		}
		previous = prev
		out.AddTask(tasks.NewArchiveExport(fresh.ID))
		return nil
	})
	if err != nil {
		return err
	}
	if previous != nil {
		a.deleteFiles(ctx, previous)
	}
	return nil
}

// File is a download: its reader (the caller closes it), name, type and size.
type File struct {
	Body        io.ReadCloser
	Name        string
	ContentType string
	Size        int64
}

// Download opens the user's ready archive (what "archive" or "photos").
// Anything else, or no ready export, is ErrNotFound.
func (a *Service) Download(ctx context.Context, s *pod.Session, what string) (*File, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	e, err := a.store.ExportOf(ctx, s.UserID)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if e.State != models.ExportReady {
		return nil, pod.ErrNotFound
	}
	stamp := e.FinishedAt.UTC().Format("20060102")
	f := &File{}
	switch what {
	case "archive":
		f.Name, f.ContentType, f.Size = s.Username+"_diaspora_data_"+stamp+".json.gz", "application/gzip", e.ArchiveSize
		f.Body, _, err = a.media.Open(ctx, e.ArchiveKey)
	case "photos":
		if e.PhotosKey == "" {
			return nil, pod.ErrNotFound
		}
		f.Name, f.ContentType, f.Size = s.Username+"_photos_"+stamp+".zip", "application/zip", e.PhotosSize
		f.Body, _, err = a.media.Open(ctx, e.PhotosKey)
	default:
		return nil, pod.ErrNotFound
	}
	if errors.Is(err, media.ErrNotFound) {
		return nil, pod.ErrNotFound
	}
	return f, err
}

// Run makes an export (the archives:export job): the archive, streamed
// through gzip into the media store, then the photo zip; then the row is
// marked ready and, in the same transaction, the mail saying so is queued.
// An export that is gone or finished already is done; a failure is
// recorded on the row for the user to see, and returned for a retry.
func (a *Service) Run(ctx context.Context, exportID int64) error {
	e, err := a.store.ExportByID(ctx, exportID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if e.State == models.ExportReady {
		return nil
	}
	user, err := a.store.UserByID(ctx, e.UserID)
	if err != nil {
		return pod.NotFoundAs(err, nil)
	}
	person, err := a.store.PersonOfUser(ctx, e.UserID)
	if err != nil {
		return err
	}
	if err := a.store.SetExportProgress(ctx, e.ID, models.ExportRunning, 0, 0); err != nil {
		return err
	}
	dir := fmt.Sprintf("exports/%d/%s", e.UserID, media.NewID())
	e.ArchiveKey = dir + "/archive.json.gz"
	if e.ArchiveSize, err = a.writeArchive(ctx, e, user.ID); err != nil {
		return a.failed(ctx, e, "the archive could not be written", err)
	}
	e.PhotosKey = dir + "/photos.zip"
	if e.PhotosSize, e.PhotosCount, err = a.writePhotos(ctx, e.PhotosKey, person.ID); err != nil {
		a.media.Delete(ctx, e.ArchiveKey)
		return a.failed(ctx, e, "the photos could not be collected", err)
	}
	if e.PhotosCount == 0 {
		a.media.Delete(ctx, e.PhotosKey)
		e.PhotosKey, e.PhotosSize = "", 0
	}
	msg, err := a.readyMail(user)
	if err != nil {
		return err
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.FinishExport(ctx, e); err != nil {
			return err
		}
		if msg != nil {
			out.AddTask(tasks.NewMail(*msg))
		}
		return nil
	})
}

// failed records a failed attempt (the user sees msg) and returns err.
func (a *Service) failed(ctx context.Context, e *models.ArchiveExport, msg string, err error) error {
	a.log.Error("export failed", "export", e.ID, "user", e.UserID, "err", err)
	if ferr := a.store.FailExport(ctx, e.ID, msg+"; please ask for a new one"); ferr != nil {
		return errors.Join(err, ferr)
	}
	return fmt.Errorf("export %d: %w", e.ID, err)
}

// progressEvery bounds how often progress is written to the database.
const progressEvery = time.Second

func (a *Service) writeArchive(ctx context.Context, e *models.ArchiveExport, userID int64) (int64, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		gz, _ := gzip.NewWriterLevel(pw, gzip.DefaultCompression)
		last := time.Now()
		err := a.writer.WriteArchive(ctx, gz, userID, func(d, t int) {
			if time.Since(last) >= progressEvery {
				last = time.Now()
				if err := a.store.SetExportProgress(ctx, e.ID, models.ExportRunning, d, t); err != nil {
					a.log.Warn("export: progress not recorded", "export", e.ID, "err", err)
				}
			}
		})
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
		done <- err
	}()
	n, err := media.PutStream(ctx, a.media, e.ArchiveKey, pr, "application/gzip")
	pr.CloseWithError(err) // unblocks the writer if the store gave up
	if werr := <-done; werr != nil {
		return 0, werr
	}
	return n, err
}

// photoBatch is how many photo rows one query reads.
const photoBatch = 200

// writePhotos zips the originals of the person's photos (stored, not
// compressed again: they are JPEG, PNG, WebP or GIF already).
func (a *Service) writePhotos(ctx context.Context, key string, personID int64) (int64, int, error) {
	pr, pw := io.Pipe()
	count := 0
	done := make(chan error, 1)
	go func() {
		zw := zip.NewWriter(pw)
		err := func() error {
			var after int64
			for {
				rows, err := a.store.ReadyPhotosAfter(ctx, personID, after, photoBatch)
				if err != nil {
					return err
				}
				for _, ph := range rows {
					after = ph.ID
					if err := a.addPhoto(ctx, zw, &ph); err != nil {
						return err
					}
					count++
				}
				if len(rows) < photoBatch {
					return nil
				}
			}
		}()
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
		done <- err
	}()
	n, err := media.PutStream(ctx, a.media, key, pr, "application/zip")
	pr.CloseWithError(err)
	if werr := <-done; werr != nil {
		return 0, 0, werr
	}
	return n, count, err
}

func (a *Service) addPhoto(ctx context.Context, zw *zip.Writer, ph *models.Photo) error {
	rc, _, err := a.media.Open(ctx, media.Photos.Prefix+"/"+ph.MediaID+"/original"+ph.Ext)
	if errors.Is(err, media.ErrNotFound) {
		a.log.Warn("export: photo file missing, left out", "photo", ph.ID)
		return nil
	} else if err != nil {
		return err
	}
	defer rc.Close()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: ph.GUID + ph.Ext, Method: zip.Store, Modified: ph.CreatedAt})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, rc)
	return err
}

// readyMail is the mail telling the user the export is ready (nil when
// the pod sends no mail).
func (a *Service) readyMail(u *models.User) (*mail.Message, error) {
	if !a.core.MailEnabled() {
		return nil, nil
	}
	link := a.opt.BaseURL + "/user/export"
	text, html, err := mail.Render("export_ready", map[string]string{
		"Username": u.Username, "PodName": a.opt.PodName, "BaseURL": a.opt.BaseURL, "Link": link, "ValidFor": "14 days",
	})
	if err != nil {
		return nil, err
	}
	host, _, _ := strings.Cut(a.opt.Host, ":")
	return &mail.Message{To: u.Email, Subject: "Your data on " + a.opt.PodName + " is ready", Text: text, HTML: html,
		MessageID: pod.NewGUID() + "@" + host}, nil
}

// sweepBatch is how many exports one sweep deletes at most.
const sweepBatch = 500

// Sweep deletes the exports finished more than KeepFor ago, with their
// files (the archives:sweep job). now is the current time.
func (a *Service) Sweep(ctx context.Context, now time.Time) (int, error) {
	rows, err := a.store.ExpiredExports(ctx, now.Add(-KeepFor), sweepBatch)
	if err != nil {
		return 0, err
	}
	for i := range rows {
		if err := a.store.DeleteExport(ctx, rows[i].ID); err != nil {
			return i, err
		}
		a.deleteFiles(ctx, &rows[i])
	}
	return len(rows), nil
}

func (a *Service) deleteFiles(ctx context.Context, e *models.ArchiveExport) {
	for _, k := range []string{e.ArchiveKey, e.PhotosKey} {
		if k == "" {
			continue
		}
		if err := a.media.Delete(ctx, k); err != nil {
			a.log.Warn("export: file not deleted", "key", k, "err", err)
		}
	}
}
