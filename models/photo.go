package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Photo states.
const (
	PhotoProcessing = "processing" // a local upload whose renditions are not made yet
	PhotoFetching   = "fetching"   // a received photo not fetched yet
	PhotoReady      = "ready"
	PhotoFailed     = "failed"
)

// Photo is a picture in a status message, or a pending upload (PostID nil).
// It is readable exactly when its post is; a pending one by its uploader
// only (VisiblePhoto).
type Photo struct {
	ID                int64
	GUID              string `gorm:"column:guid"`
	AuthorID          int64
	PostID            *int64
	StatusMessageGUID string `gorm:"column:status_message_guid"`
	Public            bool
	State             string
	MediaID           string
	Ext               string
	RawKey            string
	Token             string
	RemotePhotoPath   string
	RemotePhotoName   string
	Text              string
	Width             int
	Height            int
	Position          int
	CreatedAt         time.Time
}

// CreatePhoto inserts a photo; ID comes from the database.
func (s *Store) CreatePhoto(ctx context.Context, p *Photo) error {
	return translate(s.conn(ctx).Omit("ID").Create(p).Error, "create photo")
}

// PhotoByID finds a photo whoever may see it (callers check).
func (s *Store) PhotoByID(ctx context.Context, id int64) (*Photo, error) {
	var p Photo
	err := s.conn(ctx).Where("id = ?", id).Take(&p).Error
	return &p, translate(err, "photo")
}

// photoVisibleSQL: the photo ph may be read by the viewer: its post is
// visible to them (visibleSQL, the one visibility predicate), or it is
// pending and theirs.
const photoVisibleSQL = `((ph.post_id IS NULL AND ph.author_id = @vperson)
	OR EXISTS (SELECT 1 FROM posts p WHERE p.id = ph.post_id AND ` + visibleSQL + `))`

// VisiblePhoto finds a photo the viewer may see, or ErrNotFound.
func (s *Store) VisiblePhoto(ctx context.Context, v Viewer, id int64) (*Photo, error) {
	var p Photo
	err := s.conn(ctx).Raw(`SELECT ph.* FROM photos ph WHERE ph.id = @id AND `+photoVisibleSQL,
		v.args(map[string]any{"id": id})).Scan(&p).Error
	if err == nil && p.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	return &p, translate(err, "photo")
}

// PostedPhotoByToken finds a photo of a post by the token of its
// federation URL; pending photos are never found.
func (s *Store) PostedPhotoByToken(ctx context.Context, token string) (*Photo, error) {
	var p Photo
	err := s.conn(ctx).Where("token = ? AND post_id IS NOT NULL", token).Take(&p).Error
	return &p, translate(err, "photo")
}

// PhotosOfPosts returns the photos of the given posts, in their order,
// keyed by post. Callers pass only posts the viewer may see.
func (s *Store) PhotosOfPosts(ctx context.Context, postIDs []int64) (map[int64][]Photo, error) {
	out := map[int64][]Photo{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var rows []Photo
	err := s.conn(ctx).Raw(`SELECT * FROM photos WHERE post_id = ANY(?::bigint[]) ORDER BY post_id, position, id`,
		int64Array(postIDs)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "photos of posts")
	}
	for _, r := range rows {
		out[*r.PostID] = append(out[*r.PostID], r)
	}
	return out, nil
}

// AttachPhotos makes the author's pending photos ids part of post, in the
// given order, with the post's public flag. Unless every id is a pending
// photo of authorID it changes nothing and returns ErrNotFound.
func (s *Store) AttachPhotos(ctx context.Context, authorID int64, post *Post, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	res := s.conn(ctx).Exec(`UPDATE photos ph SET post_id = @post, status_message_guid = @guid, public = @public,
			position = array_position(CAST(@ids AS bigint[]), ph.id)
		WHERE ph.id = ANY(CAST(@ids AS bigint[])) AND ph.author_id = @author AND ph.post_id IS NULL`,
		map[string]any{"post": post.ID, "guid": post.GUID, "public": post.Public, "ids": int64Array(ids), "author": authorID})
	if res.Error != nil {
		return translate(res.Error, "attach photos")
	}
	s.touchPosts(ctx, post.ID)
	if res.RowsAffected != int64(len(ids)) {
		return fmt.Errorf("attach photos: %d of %d are pending photos of the author: %w", res.RowsAffected, len(ids), ErrNotFound)
	}
	return nil
}

// PendingPhotos lists a person's photos not attached to a post yet.
func (s *Store) PendingPhotos(ctx context.Context, authorID int64) ([]Photo, error) {
	var rows []Photo
	err := s.conn(ctx).Where("author_id = ? AND post_id IS NULL", authorID).Order("created_at, id").Find(&rows).Error
	return rows, translate(err, "pending photos")
}

// PersonPhotos lists the photos of a person's posts the viewer may see,
// newest first, at most limit, older than before (zero: from the newest).
func (s *Store) PersonPhotos(ctx context.Context, v Viewer, personID int64, before Cursor, limit int) ([]Photo, error) {
	var rows []Photo
	cond := ""
	args := v.args(map[string]any{"person": personID, "limit": limit})
	if !before.Time.IsZero() {
		cond = ` AND (ph.created_at, ph.id) < (@btime, @bid)`
		args["btime"], args["bid"] = before.Time, before.ID
	}
	err := s.conn(ctx).Raw(`SELECT ph.* FROM photos ph JOIN posts p ON p.id = ph.post_id
		WHERE ph.author_id = @person AND `+visibleSQL+cond+`
		ORDER BY ph.created_at DESC, ph.id DESC LIMIT @limit`, args).Scan(&rows).Error
	return rows, translate(err, "person photos")
}

// SetPhotoReady records the renditions of a photo being processed or
// fetched. It reports false when the photo is gone or no longer waits
// (deleted meanwhile): the caller then deletes the files it made.
func (s *Store) SetPhotoReady(ctx context.Context, id int64, mediaID, ext string, w, h int) (bool, error) {
	defer s.touchPhotoPost(ctx, id)
	res := s.conn(ctx).Exec(`UPDATE photos SET state = 'ready', media_id = ?, ext = ?, width = ?, height = ?, raw_key = ''
		WHERE id = ? AND state IN ('processing', 'fetching')`, mediaID, ext, w, h, id)
	return res.RowsAffected == 1, translate(res.Error, "photo ready")
}

// SetPhotoFailed records that a photo could not be processed or fetched.
func (s *Store) SetPhotoFailed(ctx context.Context, id int64) error {
	defer s.touchPhotoPost(ctx, id)
	return translate(s.conn(ctx).Exec(`UPDATE photos SET state = 'failed', raw_key = ''
		WHERE id = ? AND state IN ('processing', 'fetching')`, id).Error, "photo failed")
}

// DeletePendingPhoto deletes one of the author's pending photos.
func (s *Store) DeletePendingPhoto(ctx context.Context, authorID, id int64) error {
	res := s.conn(ctx).Exec(`DELETE FROM photos WHERE id = ? AND author_id = ? AND post_id IS NULL`, id, authorID)
	return rowsOrNotFound(res.Error, res.RowsAffected, "pending photo")
}

// DeleteStalePendingPhotos deletes pending photos uploaded before t and
// returns how many (their files go to media_trash).
func (s *Store) DeleteStalePendingPhotos(ctx context.Context, t time.Time) (int64, error) {
	res := s.conn(ctx).Exec(`DELETE FROM photos WHERE post_id IS NULL AND created_at < ?`, t)
	return res.RowsAffected, translate(res.Error, "stale pending photos")
}

// MediaTrash is a set of files whose photo row is gone.
type MediaTrash struct {
	ID      int64
	MediaID string
	RawKey  string
}

// TableName is the trash's table.
func (MediaTrash) TableName() string { return "media_trash" }

// MediaTrashBatch returns at most limit trash entries, oldest first.
func (s *Store) MediaTrashBatch(ctx context.Context, limit int) ([]MediaTrash, error) {
	var rows []MediaTrash
	err := s.conn(ctx).Order("created_at, id").Limit(limit).Find(&rows).Error
	return rows, translate(err, "media trash")
}

// DeleteMediaTrash forgets trash entries whose files were deleted.
func (s *Store) DeleteMediaTrash(ctx context.Context, ids []int64) error {
	return translate(s.conn(ctx).Exec(`DELETE FROM media_trash WHERE id = ANY(?::bigint[])`, int64Array(ids)).Error, "media trash")
}

// UpsertReceivedPhoto stores a photo received with its post, or, when its
// GUID is known for the same author, updates its text and size (diaspora*
// edits photos). It reports whether the photo is new (so needs fetching).
func (s *Store) UpsertReceivedPhoto(ctx context.Context, p *Photo) (bool, error) {
	var old Photo
	err := s.conn(ctx).Where("guid = ?", p.GUID).Take(&old).Error
	if err == nil {
		if old.AuthorID != p.AuthorID {
			return false, fmt.Errorf("photo %s: %w", p.GUID, ErrConflict)
		}
		*p = old
		return false, nil
	}
	if err := translate(err, "photo"); !errors.Is(err, ErrNotFound) {
		return false, err
	}
	return true, s.CreatePhoto(ctx, p)
}

// touchPhotoPost reports a change to the post of photo id, if it has one.
func (s *Store) touchPhotoPost(ctx context.Context, id int64) {
	var posts []int64
	if err := s.conn(ctx).Raw(`SELECT post_id FROM photos WHERE id = ? AND post_id IS NOT NULL`, id).Scan(&posts).Error; err != nil {
		s.touchAll(ctx) // unknown post: every page is stale, to be safe
		return
	}
	s.touchPosts(ctx, posts...)
}
