package photos

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media"
	"github.com/aspenpod/aspen/pod/tasks"
)

// MaxReceivedPerPost bounds how many photos of one received post are kept
// (and fetched); diaspora* itself sets no limit, so this is generous.
const MaxReceivedPerPost = 4 * pod.MaxPhotosPerPost

// Received is a photo that came with a received status message, as the
// federation layer read it.
type Received struct {
	GUID      string
	Public    bool
	CreatedAt time.Time
	// RemotePath and RemoteName say where the pod that sent it serves the
	// file (the full URL is RemotePath + RemoteName).
	RemotePath, RemoteName string
	Text                   string
	Width, Height          int
}

// Receive stores the photos of a received post in the transaction that
// stores the post, and queues one fetch for each new one through the
// outbox, so the post and its fetches stand or fall together. It returns
// how many photos were left out (beyond MaxReceivedPerPost, or known with
// another author).
func (a *Service) Receive(ctx context.Context, tx *models.Store, out *pod.Outbox, post *models.Post, in []Received) (int, error) {
	left := 0
	for i, r := range in {
		if i >= MaxReceivedPerPost {
			left += len(in) - i
			break
		}
		ph := &models.Photo{GUID: strings.ToLower(r.GUID), AuthorID: post.AuthorID, PostID: &post.ID,
			StatusMessageGUID: post.GUID, Public: post.Public, State: models.PhotoFetching, Token: media.NewID(),
			RemotePhotoPath: r.RemotePath, RemotePhotoName: r.RemoteName, Text: r.Text,
			Width: max(r.Width, 0), Height: max(r.Height, 0), Position: i + 1, CreatedAt: r.CreatedAt}
		isNew, err := tx.UpsertReceivedPhoto(ctx, ph)
		if errors.Is(err, models.ErrConflict) {
			left++
			continue
		} else if err != nil {
			return left, err
		}
		if isNew {
			out.AddTask(tasks.NewPhotoFetch(ph.ID))
		}
	}
	return left, nil
}

// ToFetch returns a received photo that still waits for its file, or
// ErrNotFound (gone, or fetched already).
func (a *Service) ToFetch(ctx context.Context, id int64) (*models.Photo, error) {
	ph, err := a.store.PhotoByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if ph.State != models.PhotoFetching {
		return nil, models.ErrNotFound
	}
	return ph, nil
}

// StoreFetched makes the renditions of a fetched photo from its bytes
// (checked like an upload: type by content, size, pixels; metadata
// dropped) and marks it ready, or failed when they are not a usable image.
func (a *Service) StoreFetched(ctx context.Context, ph *models.Photo, data []byte) error {
	if int64(len(data)) > MaxBytes {
		a.log.Info("photos: fetched photo is too large", "photo", ph.ID, "bytes", len(data))
		return a.store.SetPhotoFailed(ctx, ph.ID)
	}
	return a.render(ctx, ph, data)
}

// FetchFailed records that a received photo could not be fetched.
func (a *Service) FetchFailed(ctx context.Context, id int64) error {
	return a.store.SetPhotoFailed(ctx, id)
}
