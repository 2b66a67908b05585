package photos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
	"github.com/aspenpod/aspen/pod/tasks"
)

// rawPrefix is where unprocessed uploads wait for the processing job. The
// web layer never serves these keys (they still carry their metadata).
const rawPrefix = "incoming/"

// Checked is an upload that passed Check, ready for Store.
type Checked struct {
	data   []byte
	header *media.Header
}

// Check reads one upload and checks it without storing anything: type by
// content, size, pixel limits from the header. A bad file is an
// InvalidError for field "file".
func (a *Service) Check(r io.Reader) (*Checked, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if len(data) == 0 {
		return nil, &pod.InvalidError{Fields: map[string]string{"file": "choose a photo to upload"}}
	}
	h, err := media.Check(data, limits)
	if msg, ok := media.UploadMessage(err); ok {
		return nil, &pod.InvalidError{Fields: map[string]string{"file": msg}}
	} else if err != nil {
		return nil, err
	}
	return &Checked{data: data, header: h}, nil
}

// Upload checks one uploaded photo and stores it as pending for the
// signed-in user (Check, then Store).
func (a *Service) Upload(ctx context.Context, s *pod.Session, r io.Reader) (*pod.PhotoView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	c, err := a.Check(r)
	if err != nil {
		return nil, err
	}
	return a.Store(ctx, s, c)
}

// Store keeps a checked upload as a pending photo of the signed-in user.
// The request pays only for writing the bytes; the renditions are made by
// a job queued in the same transaction. On failure nothing is left.
func (a *Service) Store(ctx context.Context, s *pod.Session, c *Checked) (*pod.PhotoView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	data, h := c.data, c.header
	pending, err := a.store.PendingPhotos(ctx, s.PersonID)
	if err != nil {
		return nil, err
	}
	if len(pending) >= MaxPending {
		return nil, &pod.InvalidError{Fields: map[string]string{"file": fmt.Sprintf("you have %d photos waiting for a post already; post or remove some first", len(pending))}}
	}
	raw := rawPrefix + media.NewID()
	if err := a.media.Put(ctx, raw, data, "application/octet-stream"); err != nil {
		return nil, fmt.Errorf("store upload: %w", err)
	}
	guid := pod.NewGUID()
	ph := &models.Photo{GUID: guid, AuthorID: s.PersonID, State: models.PhotoProcessing, RawKey: raw,
		Token: media.NewID(), RemotePhotoName: guid + ".jpg", Width: h.Width, Height: h.Height,
		CreatedAt: time.Now().UTC()}
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.CreatePhoto(ctx, ph); err != nil {
			return err
		}
		out.AddTask(tasks.NewPhotoProcess(ph.ID))
		return nil
	})
	if err != nil {
		a.media.Delete(context.WithoutCancel(ctx), raw)
		return nil, err
	}
	v := a.core.PhotoViewOf(*ph)
	return &v, nil
}

// Pending lists the signed-in user's photos waiting for a post.
func (a *Service) Pending(ctx context.Context, s *pod.Session) ([]pod.PhotoView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	rows, err := a.store.PendingPhotos(ctx, s.PersonID)
	if err != nil {
		return nil, err
	}
	out := make([]pod.PhotoView, len(rows))
	for i, r := range rows {
		out[i] = a.core.PhotoViewOf(r)
	}
	return out, nil
}

// DeletePending removes one of the user's pending photos (a posted photo
// goes with its post). Anything else is ErrNotFound.
func (a *Service) DeletePending(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	if err := a.store.DeletePendingPhoto(ctx, s.PersonID, id); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	a.sweepSoon(ctx)
	return nil
}

// sweepSoon asks for a sweep of deleted files, best effort (the periodic
// sweep catches up).
func (a *Service) sweepSoon(ctx context.Context) {
	a.core.EnqueueBestEffort(ctx, tasks.NewPhotosSweep())
}

// File opens one rendition of a photo for the viewer: someone who may see
// the photo's post (a pending photo: its uploader only). Everyone else,
// and a size that does not exist or a photo not ready yet, gets
// ErrNotFound.
func (a *Service) File(ctx context.Context, s *pod.Session, id int64, size string) (io.ReadCloser, string, error) {
	ph, err := a.store.VisiblePhoto(ctx, pod.Viewer(s), id)
	if err != nil {
		return nil, "", pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return a.open(ctx, ph, size)
}

// Photo shows one photo to someone who may see it (see File).
func (a *Service) Photo(ctx context.Context, s *pod.Session, id int64) (*pod.PhotoView, error) {
	ph, err := a.store.VisiblePhoto(ctx, pod.Viewer(s), id)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	v := a.core.PhotoViewOf(*ph)
	return &v, nil
}

func (a *Service) open(ctx context.Context, ph *models.Photo, size string) (io.ReadCloser, string, error) {
	if ph.State != models.PhotoReady || !validSize(size) {
		return nil, "", pod.ErrNotFound
	}
	rc, ctype, err := a.media.Open(ctx, media.Photos.Prefix+"/"+ph.MediaID+"/"+size+ph.Ext)
	if errors.Is(err, media.ErrNotFound) || errors.Is(err, media.ErrInvalidKey) {
		return nil, "", pod.ErrNotFound
	}
	return rc, ctype, err
}

func validSize(size string) bool {
	for _, s := range pod.PhotoSizes {
		if s == size {
			return true
		}
	}
	return false
}

// FederationPath is the directory URL other pods fetch a posted photo's
// files from (remote_photo_path): its unguessable token is the
// capability, sent only to the post's audience (inside the encrypted
// envelopes of a limited post).
func (a *Service) FederationPath(ph *models.Photo) string {
	return pod.PhotoFilesPath(a.opt.BaseURL, ph.Token)
}

// FederationFile opens a posted photo's file by the token of its
// federation URL and a diaspora*-style name: "<guid>.<ext>" for the
// original or "<size>_<guid>.<ext>". An unknown token, a name that does
// not match the photo, and a photo whose post was deleted are ErrNotFound.
func (a *Service) FederationFile(ctx context.Context, token, name string) (io.ReadCloser, string, error) {
	if len(token) != 32 {
		return nil, "", pod.ErrNotFound
	}
	ph, err := a.store.PostedPhotoByToken(ctx, token)
	if err != nil {
		return nil, "", pod.NotFoundAs(err, pod.ErrNotFound)
	}
	size, guid := parseFileName(name)
	if guid != ph.GUID {
		return nil, "", pod.ErrNotFound
	}
	return a.open(ctx, ph, size)
}

// parseFileName reads a diaspora*-style photo file name: "<guid>.<ext>"
// is the original, "<size>_<guid>.<ext>" a size (pod.PhotoSizes).
func parseFileName(name string) (size, guid string) {
	size = "original"
	for _, s := range pod.PhotoSizes {
		if rest, ok := strings.CutPrefix(name, s+"_"); ok {
			size, name = s, rest
			break
		}
	}
	guid, _, _ = strings.Cut(name, ".")
	return size, guid
}

// PersonPhotos is a person's photos page: the photos of their posts the
// viewer may see, newest first.
type PersonPhotos struct {
	Person pod.PersonView
	Photos []pod.PhotoView
	// Next is the cursor of the next page, "" on the last one.
	Next string
}

// PersonPhotosPageSize is how many photos one page shows.
const PersonPhotosPageSize = 30

// OfPerson lists a person's photos as the viewer may see them (only
// photos of posts the viewer may read; nothing of the others, not even a
// count). before is a page cursor or "".
func (a *Service) OfPerson(ctx context.Context, s *pod.Session, guid, before string) (*PersonPhotos, error) {
	person, err := a.store.PersonByGUID(ctx, guid)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	var cur models.Cursor
	if before != "" {
		if cur, err = pod.DecodeCursor(before); err != nil {
			return nil, err
		}
	}
	rows, err := a.store.PersonPhotos(ctx, pod.Viewer(s), person.ID, cur, PersonPhotosPageSize+1)
	if err != nil {
		return nil, err
	}
	pv := pod.PersonViewOf(models.PersonRow{ID: person.ID, GUID: person.GUID, DiasporaID: person.DiasporaID})
	if prof, err := a.store.PeopleByIDs(ctx, []int64{person.ID}); err == nil {
		if r, ok := prof[person.ID]; ok {
			pv = pod.PersonViewOf(r)
		}
	}
	page := &PersonPhotos{Person: pv, Photos: []pod.PhotoView{}}
	for i, r := range rows {
		if i == PersonPhotosPageSize {
			page.Next = pod.EncodeCursor(models.Cursor{Time: rows[i-1].CreatedAt, ID: rows[i-1].ID})
			break
		}
		v := a.core.PhotoViewOf(r)
		v.Author = &pv
		page.Photos = append(page.Photos, v)
	}
	return page, nil
}

// Process makes the renditions of a local upload (the photos:process job).
// A file that turns out not to decode marks the photo failed (its
// uploader sees that in the publisher) and is not retried.
func (a *Service) Process(ctx context.Context, id int64) error {
	ph, err := a.store.PhotoByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil // deleted meanwhile; the sweep removes its upload
	} else if err != nil {
		return err
	}
	if ph.State != models.PhotoProcessing {
		return nil // done already (the task ran twice)
	}
	rc, _, err := a.media.Open(ctx, ph.RawKey)
	if errors.Is(err, media.ErrNotFound) {
		a.log.Warn("photos: upload to process is missing", "photo", id)
		return a.store.SetPhotoFailed(ctx, id)
	} else if err != nil {
		return err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return err
	}
	if err := a.render(ctx, ph, data); err != nil {
		return err
	}
	return a.media.Delete(ctx, ph.RawKey)
}

// render makes and stores the renditions of ph from data and marks it
// ready, or failed when data is not a usable image.
func (a *Service) render(ctx context.Context, ph *models.Photo, data []byte) error {
	select {
	case a.busy <- struct{}{}:
		defer func() { <-a.busy }()
	case <-ctx.Done():
		return ctx.Err()
	}
	saved, err := media.Photos.Save(ctx, a.media, bytes.NewReader(data), limits)
	if msg, ok := media.UploadMessage(err); ok {
		a.log.Info("photos: photo could not be processed", "photo", ph.ID, "guid", ph.GUID, "reason", msg, "err", err)
		return a.store.SetPhotoFailed(ctx, ph.ID)
	} else if err != nil {
		return err
	}
	orig := saved.Files[0]
	ext := ".jpg"
	if orig.ContentType == "image/png" {
		ext = ".png"
	}
	ok, err := a.store.SetPhotoReady(ctx, ph.ID, saved.ID, ext, orig.Width, orig.Height)
	if err != nil || !ok {
		// Deleted meanwhile (or the database failed): drop the files.
		if derr := media.Photos.Delete(context.WithoutCancel(ctx), a.media, saved.ID); derr != nil {
			a.log.Warn("photos: could not delete unused renditions", "media", saved.ID, "err", derr)
		}
	}
	return err
}

// Sweep deletes pending photos older than a day and the files of photos
// that are gone (deleted posts, retracted ones, abandoned uploads).
func (a *Service) Sweep(ctx context.Context) error {
	n, err := a.store.DeleteStalePendingPhotos(ctx, time.Now().Add(-PendingTTL))
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("photos: deleted photos never posted", "count", n)
	}
	for {
		batch, err := a.store.MediaTrashBatch(ctx, 100)
		if err != nil || len(batch) == 0 {
			return err
		}
		ids := make([]int64, 0, len(batch))
		for _, t := range batch {
			if t.MediaID != "" {
				if err := media.Photos.Delete(ctx, a.media, t.MediaID); err != nil && !errors.Is(err, media.ErrInvalidKey) {
					return err
				}
			}
			if t.RawKey != "" {
				if err := a.media.Delete(ctx, t.RawKey); err != nil && !errors.Is(err, media.ErrInvalidKey) {
					return err
				}
			}
			ids = append(ids, t.ID)
		}
		if err := a.store.DeleteMediaTrash(ctx, ids); err != nil {
			return err
		}
	}
}

// PendingTTL is how long an uploaded photo waits for a post before the
// sweep deletes it.
const PendingTTL = 24 * time.Hour
