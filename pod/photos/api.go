package photos

import (
	"context"
	"fmt"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// The use cases of diaspora*'s API v1 for photos (issue 16). A session
// whose token lacks private:read (Session.PublicOnly) sees only photos of
// public posts: pending photos are private to their uploader until a post
// takes them.

// OwnPhotos lists the signed-in user's photos (pending ones and those of
// their posts), paged on their upload time; a public-only session gets
// only the photos of public posts. The page holds the photos uploaded
// strictly before (descending) or after (t, guid), in that order, at most
// limit (1 to 100; else 15); guid "" is before or after all photos of t.
func (a *Service) OwnPhotos(ctx context.Context, s *pod.Session, t time.Time, guid string, descending bool, limit int) ([]pod.PhotoView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	w := models.TimeWindow{Time: t, GUID: guid, Descending: descending, Limit: limit}
	if w.Limit <= 0 || w.Limit > 100 {
		w.Limit = 15
	}
	rows, err := a.store.OwnPhotos(ctx, s.PersonID, s.PublicOnly, w)
	if err != nil {
		return nil, err
	}
	out := make([]pod.PhotoView, len(rows))
	for i, r := range rows {
		out[i] = a.core.PhotoViewOf(r)
	}
	return out, nil
}

// PhotoByGUID shows a photo the viewer may see, by GUID: one of a post
// they may read, or their own pending one; for a public-only session only
// a photo of a public post. Anything else is ErrNotFound.
func (a *Service) PhotoByGUID(ctx context.Context, s *pod.Session, guid string) (*pod.PhotoView, error) {
	ph, err := a.visibleByGUID(ctx, s, guid)
	if err != nil {
		return nil, err
	}
	v := a.core.PhotoViewOf(*ph)
	return &v, nil
}

func (a *Service) visibleByGUID(ctx context.Context, s *pod.Session, guid string) (*models.Photo, error) {
	if guid == "" {
		return nil, pod.ErrNotFound
	}
	ph, err := a.store.VisiblePhotoByGUID(ctx, pod.Viewer(s), guid)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	if s != nil && s.PublicOnly && (!ph.Public || ph.PostID == nil) {
		return nil, pod.ErrNotFound
	}
	return ph, nil
}

// DeleteOwnByGUID deletes one of the signed-in user's pending photos by
// GUID. Another's photo (or one the session may not see) is ErrNotFound;
// a photo that is not public needs mayModifyPrivate (an API token with
// private:modify), else an insufficient_scope ErrForbidden; a photo of a
// post goes only with its post (an InvalidError: deleting it alone would
// change a post its audience has already received).
func (a *Service) DeleteOwnByGUID(ctx context.Context, s *pod.Session, guid string, mayModifyPrivate bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	full := *s
	full.PublicOnly = false
	ph, err := a.visibleByGUID(ctx, &full, guid)
	if err != nil {
		return err
	}
	if ph.AuthorID != s.PersonID {
		return pod.ErrNotFound
	}
	if !ph.Public && !mayModifyPrivate {
		return fmt.Errorf("insufficient_scope: the photo is not public: %w", pod.ErrForbidden)
	}
	if ph.PostID != nil {
		return &pod.InvalidError{Message: "Not allowed to delete the photo: it belongs to a post; delete the post instead"}
	}
	return a.DeletePending(ctx, s, ph.ID)
}
