package models

import (
	"context"
	"fmt"
	"time"

	"github.com/aspenpod/aspen/aspects"
)

// PageSize is the number of posts in a stream page, as on diaspora*.
const PageSize = 15

// Cursor is a keyset position in a stream: posts strictly older than
// (Time, ID) come next. The zero Cursor starts at the newest post.
type Cursor struct {
	Time time.Time
	ID   int64
}

func (c Cursor) args() (time.Time, int64) {
	if c.Time.IsZero() {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 0
	}
	if c.ID == 0 {
		return c.Time, 1<<63 - 1
	}
	return c.Time, c.ID
}

// PostRow is a post with what a stream shows of it: its author and, for a
// reshare, the original post and its author.
type PostRow struct {
	Post
	SortAt           time.Time
	AuthorGUID       string `gorm:"column:author_guid"`
	AuthorDiasporaID string
	AuthorOwnerID    *int64
	AuthorFirstName  string
	AuthorLastName   string
	AuthorImage      string
	AuthorImageSmall string
	AuthorImageMed   string
	// AuthorNSFW: the author's profile marks all their posts NSFW.
	AuthorNSFW bool `gorm:"column:author_nsfw"`

	RootAuthorID         *int64
	RootPublic           *bool
	RootText             *string
	RootTextHTML         *string `gorm:"column:root_text_html"`
	RootCreatedAt        *time.Time
	RootProvider         *string
	RootAuthorGUID       *string `gorm:"column:root_author_guid"`
	RootAuthorDiasporaID *string
	RootAuthorFirstName  *string
	RootAuthorLastName   *string
	RootAuthorImage      *string
	RootAuthorImageSmall *string
	RootAuthorImageMed   *string
	// RootNSFW: the reshared post is NSFW (#nsfw or its author's profile).
	RootNSFW *bool `gorm:"column:root_nsfw"`

	// What hangs under the post, so that a page loads photos, polls,
	// locations and events only for the posts that have them (and not at
	// all when none has).
	HasPhotos   bool
	HasPoll     bool
	HasLocation bool
	HasEvent    bool
}

// pageSQL wraps a query of (post_id, sort_at) pairs, already ordered and
// limited, into one statement that also loads the posts, their authors and
// reshared originals. Its columns are listed, in the order scanPostRow
// reads them, so that pages are scanned without reflection.
const pageSQL = `WITH page AS (%s)
SELECT p.id, p.guid, p.author_id, p.type, p.public, p.text, p.text_html, p.root_id, p.root_guid,
	p.provider_display_name, p.nsfw, p.comments_count, p.likes_count, p.reshares_count,
	p.created_at, p.updated_at, p.interacted_at, page.sort_at,
	a.guid AS author_guid, a.diaspora_id AS author_diaspora_id, a.owner_id AS author_owner_id,
	COALESCE(ap.first_name, '') AS author_first_name, COALESCE(ap.last_name, '') AS author_last_name,
	COALESCE(ap.image_url, '') AS author_image, COALESCE(ap.image_url_small, '') AS author_image_small,
	COALESCE(ap.image_url_medium, '') AS author_image_med, COALESCE(ap.nsfw, false) AS author_nsfw,
	(r.nsfw OR COALESCE(rp.nsfw, false)) AS root_nsfw,
	r.author_id AS root_author_id, r.public AS root_public, r.text AS root_text, r.text_html AS root_text_html,
	r.created_at AS root_created_at, r.provider_display_name AS root_provider,
	ra.guid AS root_author_guid, ra.diaspora_id AS root_author_diaspora_id,
	rp.first_name AS root_author_first_name, rp.last_name AS root_author_last_name,
	rp.image_url AS root_author_image, rp.image_url_small AS root_author_image_small, rp.image_url_medium AS root_author_image_med,
	EXISTS (SELECT 1 FROM photos ph WHERE ph.post_id = p.id) AS has_photos,
	EXISTS (SELECT 1 FROM polls pl WHERE pl.post_id = p.id) AS has_poll,
	EXISTS (SELECT 1 FROM locations lo WHERE lo.post_id = p.id) AS has_location,
	EXISTS (SELECT 1 FROM events ev WHERE ev.post_id = p.id) AS has_event
FROM page
JOIN posts p ON p.id = page.post_id
JOIN people a ON a.id = p.author_id
LEFT JOIN profiles ap ON ap.person_id = a.id
LEFT JOIN posts r ON r.id = p.root_id
LEFT JOIN people ra ON ra.id = r.author_id
LEFT JOIN profiles rp ON rp.person_id = ra.id
ORDER BY page.sort_at DESC, page.post_id DESC`

// page runs pageSQL around inner and scans its rows in column order:
// pages are the hottest reads, and gorm's reflection was about a quarter
// of a stream page's CPU.
func (s *Store) page(ctx context.Context, inner string, args map[string]any) ([]PostRow, error) {
	rs, err := s.queryNamed(ctx, fmt.Sprintf(pageSQL, inner), args)
	if err != nil {
		return nil, translate(err, "stream")
	}
	defer rs.Close()
	rows := make([]PostRow, 0, PageSize)
	for rs.Next() {
		var r PostRow
		if err := rs.Scan(&r.ID, &r.GUID, &r.AuthorID, &r.Type, &r.Public, &r.Text, &r.TextHTML, &r.RootID, &r.RootGUID,
			&r.ProviderDisplayName, &r.NSFW, &r.CommentsCount, &r.LikesCount, &r.ResharesCount,
			&r.CreatedAt, &r.UpdatedAt, &r.InteractedAt, &r.SortAt,
			&r.AuthorGUID, &r.AuthorDiasporaID, &r.AuthorOwnerID,
			&r.AuthorFirstName, &r.AuthorLastName, &r.AuthorImage, &r.AuthorImageSmall, &r.AuthorImageMed, &r.AuthorNSFW,
			&r.RootNSFW, &r.RootAuthorID, &r.RootPublic, &r.RootText, &r.RootTextHTML, &r.RootCreatedAt, &r.RootProvider,
			&r.RootAuthorGUID, &r.RootAuthorDiasporaID, &r.RootAuthorFirstName, &r.RootAuthorLastName,
			&r.RootAuthorImage, &r.RootAuthorImageSmall, &r.RootAuthorImageMed,
			&r.HasPhotos, &r.HasPoll, &r.HasLocation, &r.HasEvent); err != nil {
			return nil, translate(err, "stream")
		}
		rows = append(rows, r)
	}
	return rows, translate(rs.Err(), "stream")
}

func pageArgs(v Viewer, c Cursor, limit int, extra map[string]any) map[string]any {
	t, id := c.args()
	if limit <= 0 || limit > 100 {
		limit = PageSize
	}
	m := v.args(map[string]any{"ct": t, "cid": id, "limit": limit})
	for k, val := range extra {
		m[k] = val
	}
	return m
}

// MainStream is the user's stream: posts by people in their aspects, with
// followed tags, mentioning them, and their own (see FanOut).
func (s *Store) MainStream(ctx context.Context, v Viewer, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT se.post_id, se.created_at AS sort_at FROM stream_entries se
		WHERE se.user_id = @vuser AND (se.created_at, se.post_id) < (@ct, @cid)
		AND `+entryVisibleSQL+`
		ORDER BY se.created_at DESC, se.post_id DESC LIMIT @limit`, pageArgs(v, c, limit, nil))
}

// AspectStream is the main stream narrowed to the selected aspects: posts
// by their members, and the user's own posts that went to them or public.
// It is empty unless every selected aspect is the user's.
func (s *Store) AspectStream(ctx context.Context, v Viewer, aspectIDs []int64, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT se.post_id, se.created_at AS sort_at FROM stream_entries se
		WHERE se.user_id = @vuser AND (se.created_at, se.post_id) < (@ct, @cid) AND `+entryVisibleSQL+`
		AND (SELECT count(*) FROM aspects a WHERE a.user_id = @vuser AND a.id = ANY(CAST(@aspects AS bigint[])))
			= cardinality(CAST(@aspects AS bigint[]))
		AND ((`+hasReasonSQL(aspects.ReasonAspect)+` AND se.author_id IN (
				SELECT c.person_id FROM contacts c JOIN aspect_memberships am ON am.contact_id = c.id
				WHERE c.user_id = @vuser AND am.aspect_id = ANY(CAST(@aspects AS bigint[]))))
			OR (`+hasReasonSQL(aspects.ReasonOwn)+` AND EXISTS (SELECT 1 FROM posts p WHERE p.id = se.post_id AND (p.public
				OR EXISTS (SELECT 1 FROM aspect_visibilities av WHERE av.post_id = p.id AND av.aspect_id = ANY(CAST(@aspects AS bigint[])))))))
		ORDER BY se.created_at DESC, se.post_id DESC LIMIT @limit`,
		pageArgs(v, c, limit, map[string]any{"aspects": int64Array(aspectIDs)}))
}

// PublicStream lists every public post the pod knows.
func (s *Store) PublicStream(ctx context.Context, v Viewer, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT p.id AS post_id, p.created_at AS sort_at FROM posts p
		WHERE p.public AND (p.created_at, p.id) < (@ct, @cid) AND p.pod_state = 0 AND `+notFilteredSQL+`
		ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`, pageArgs(v, c, limit, nil))
}

// TagStream lists the posts with a tag that the viewer may see.
func (s *Store) TagStream(ctx context.Context, v Viewer, tagID int64, c Cursor, limit int) ([]PostRow, error) {
	return s.tagStream(ctx, v, "@tag", tagID, c, limit)
}

// TagStreamByName is TagStream for a tag name, in the same one statement.
func (s *Store) TagStreamByName(ctx context.Context, v Viewer, name string, c Cursor, limit int) ([]PostRow, error) {
	return s.tagStream(ctx, v, "(SELECT id FROM tags WHERE name = @tag)", name, c, limit)
}

func (s *Store) tagStream(ctx context.Context, v Viewer, tagExpr string, tag any, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT t.post_id, t.created_at AS sort_at FROM taggings t JOIN posts p ON p.id = t.post_id
		WHERE t.tag_id = `+tagExpr+` AND (t.created_at, t.post_id) < (@ct, @cid) AND `+visibleSQL+` AND `+notFilteredSQL+`
		ORDER BY t.created_at DESC, t.post_id DESC LIMIT @limit`, pageArgs(v, c, limit, map[string]any{"tag": tag}))
}

// FollowedTagsStream lists visible posts with any tag the user follows.
func (s *Store) FollowedTagsStream(ctx context.Context, v Viewer, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT p.id AS post_id, p.created_at AS sort_at FROM posts p
		WHERE p.id IN (SELECT t.post_id FROM taggings t JOIN tag_followings tf ON tf.tag_id = t.tag_id WHERE tf.user_id = @vuser)
		AND (p.created_at, p.id) < (@ct, @cid) AND `+visibleSQL+` AND `+notFilteredSQL+`
		ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`, pageArgs(v, c, limit, nil))
}

// MentionsStream lists visible posts that mention the viewer.
func (s *Store) MentionsStream(ctx context.Context, v Viewer, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT m.post_id, m.created_at AS sort_at FROM mentions m JOIN posts p ON p.id = m.post_id
		WHERE m.person_id = @vperson AND (m.created_at, m.post_id) < (@ct, @cid) AND `+visibleSQL+` AND `+notFilteredSQL+`
		ORDER BY m.created_at DESC, m.post_id DESC LIMIT @limit`, pageArgs(v, c, limit, nil))
}

// PersonStream lists a person's posts that the viewer may see.
func (s *Store) PersonStream(ctx context.Context, v Viewer, personID int64, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT p.id AS post_id, p.created_at AS sort_at FROM posts p
		WHERE p.author_id = @author AND (p.created_at, p.id) < (@ct, @cid) AND p.pod_state < `+podStateBlockedSQL+` AND `+visibleSQL+`
		AND NOT EXISTS (SELECT 1 FROM post_hides h WHERE h.user_id = @vuser AND h.post_id = p.id)
		ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`, pageArgs(v, c, limit, map[string]any{"author": personID}))
}

// ActivityStream lists the viewer's own posts and the posts they took part
// in (commented, liked, reshared), by last interaction.
func (s *Store) ActivityStream(ctx context.Context, v Viewer, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT p.id AS post_id, p.interacted_at AS sort_at FROM posts p
		WHERE (p.author_id = @vperson OR p.id IN (SELECT pa.post_id FROM participations pa WHERE pa.person_id = @vperson))
		AND (p.interacted_at, p.id) < (@ct, @cid) AND `+visibleSQL+` AND `+notFilteredSQL+`
		ORDER BY p.interacted_at DESC, p.id DESC LIMIT @limit`, pageArgs(v, c, limit, nil))
}

// LikedStream lists visible posts the viewer liked (dislikes left out).
func (s *Store) LikedStream(ctx context.Context, v Viewer, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT p.id AS post_id, p.created_at AS sort_at FROM posts p
		WHERE p.id IN (SELECT l.post_id FROM likes l WHERE l.author_id = @vperson AND l.comment_id IS NULL AND l.positive)
		AND (p.created_at, p.id) < (@ct, @cid) AND `+visibleSQL+` AND `+notFilteredSQL+`
		ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`, pageArgs(v, c, limit, nil))
}

// CommentedStream lists visible posts the viewer commented on.
func (s *Store) CommentedStream(ctx context.Context, v Viewer, c Cursor, limit int) ([]PostRow, error) {
	return s.page(ctx, `SELECT p.id AS post_id, p.created_at AS sort_at FROM posts p
		WHERE p.id IN (SELECT cm.post_id FROM comments cm WHERE cm.author_id = @vperson)
		AND (p.created_at, p.id) < (@ct, @cid) AND `+visibleSQL+` AND `+notFilteredSQL+`
		ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`, pageArgs(v, c, limit, nil))
}

// SinglePost loads one visible post the way streams show it.
func (s *Store) SinglePost(ctx context.Context, v Viewer, postID int64) (*PostRow, error) {
	rows, err := s.page(ctx, `SELECT p.id AS post_id, p.created_at AS sort_at FROM posts p
		WHERE p.id = @id AND `+visibleSQL, v.args(map[string]any{"id": postID}))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("post: %w", ErrNotFound)
	}
	return &rows[0], nil
}
