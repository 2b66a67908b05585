package models

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// PostPageRow is a post as its own page shows it: the stream's PostRow and
// the viewer's like, reshare and hide of it.
type PostPageRow struct {
	PostRow
	// MyLikeID is the viewer's like of the post (not a dislike), if any.
	MyLikeID *int64
	// Reshared: the viewer reshared the post.
	Reshared bool
	// Hidden: the viewer hid the post from their streams.
	Hidden bool
}

// postKey is the condition that finds a post by GUID or numeric ID. IDs
// are random numbers of up to 16 digits (migration 00005), as long as the
// shortest GUIDs, so an all-digit key is tried as both, the GUID first
// (order by p.guid = @key DESC). ok is false for a key that can be
// neither.
func postKey(guidOrID string) (where string, args map[string]any, ok bool) {
	args = map[string]any{"key": guidOrID}
	if id, err := strconv.ParseInt(guidOrID, 10, 64); err == nil && id > 0 {
		args["id"] = id
		return "(p.guid = @key OR p.id = @id)", args, true
	}
	if len(guidOrID) < 16 {
		return "", nil, false
	}
	return "p.guid = @key", args, true
}

// postPageSQL is pageSQL for one post with the viewer's like, reshare and
// hide of it, so that a post page loads its post in one statement.
const postPageSQL = `SELECT pg.*,
	(SELECT l.id FROM likes l WHERE l.post_id = pg.id AND l.author_id = @vperson AND l.comment_id IS NULL AND l.positive) AS my_like_id,
	EXISTS (SELECT 1 FROM posts r WHERE r.root_id = pg.id AND r.author_id = @vperson AND r.type = 'Reshare') AS reshared,
	EXISTS (SELECT 1 FROM post_hides h WHERE h.user_id = @vuser AND h.post_id = pg.id) AS hidden
FROM (%s) pg`

// PostForPage finds a post by GUID or ID, with its author, reshared
// original and the viewer's like, reshare and hide of it, in one
// statement, if the viewer may see it; otherwise ErrNotFound, exactly as
// if it did not exist.
func (s *Store) PostForPage(ctx context.Context, v Viewer, guidOrID string) (*PostPageRow, error) {
	where, args, ok := postKey(guidOrID)
	if !ok {
		return nil, fmt.Errorf("post: %w", ErrNotFound)
	}
	inner := `SELECT p.id AS post_id, p.created_at AS sort_at FROM posts p WHERE ` + where + ` AND ` + visibleSQL + `
		ORDER BY p.guid = @key DESC LIMIT 1`
	var rows []PostPageRow
	err := s.conn(ctx).Raw(fmt.Sprintf(postPageSQL, fmt.Sprintf(pageSQL, inner)), v.args(args)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "post page")
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("post: %w", ErrNotFound)
	}
	return &rows[0], nil
}

// PostInteractions are everything people did under a post that its page
// lists: its comments (oldest first, without those by people the viewer
// ignores), which of them the viewer likes, and its likes.
type PostInteractions struct {
	Comments      []CommentRow
	LikedComments map[int64]bool
	Likes         []LikeRow
}

// interactionRow is one comment ('c') or like ('l') of postInteractionsSQL.
type interactionRow struct {
	Kind             string
	ID               int64
	GUID             string `gorm:"column:guid"`
	PostID           int64
	AuthorID         int64
	Text             string
	TextHTML         string `gorm:"column:text_html"`
	LikesCount       int
	CommentID        *int64
	Positive         bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
	AuthorGUID       string `gorm:"column:author_guid"`
	AuthorDiasporaID string
	AuthorFirstName  string
	AuthorLastName   string
	AuthorImageSmall string
	AuthorImageMed   string
	AuthorImage      string
	AuthorClosed     bool
	ViewerLiked      bool
}

// postInteractionsSQL lists a post's comments and likes in one statement
// and, for a signed-in viewer, marks their notifications about the post
// read (opening a post does this; a data-modifying WITH runs whether or
// not the query reads it).
const postInteractionsSQL = `WITH readn AS (
	UPDATE notifications SET unread = false WHERE @mark AND user_id = @vuser AND post_id = @post AND unread RETURNING 1)
SELECT 'c' AS kind, c.id, c.guid, c.post_id, c.author_id, c.text, c.text_html, c.likes_count,
	NULL::bigint AS comment_id, true AS positive, c.created_at, c.updated_at,
	a.guid AS author_guid, a.diaspora_id AS author_diaspora_id,
	COALESCE(pr.first_name, '') AS author_first_name, COALESCE(pr.last_name, '') AS author_last_name,
	COALESCE(pr.image_url_small, '') AS author_image_small, COALESCE(pr.image_url_medium, '') AS author_image_med,
	COALESCE(pr.image_url, '') AS author_image, a.closed_account AS author_closed,
	EXISTS (SELECT 1 FROM likes cl WHERE cl.comment_id = c.id AND cl.author_id = @vperson AND cl.positive) AS viewer_liked
FROM comments c JOIN people a ON a.id = c.author_id LEFT JOIN profiles pr ON pr.person_id = a.id
WHERE c.post_id = @post AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @vuser AND b.person_id = c.author_id)
UNION ALL
SELECT 'l', l.id, l.guid, l.post_id, l.author_id, '', '', 0, l.comment_id, l.positive, l.created_at, l.created_at,
	a.guid, a.diaspora_id, COALESCE(pr.first_name, ''), COALESCE(pr.last_name, ''),
	COALESCE(pr.image_url_small, ''), '', '', a.closed_account, false
FROM likes l JOIN people a ON a.id = l.author_id LEFT JOIN profiles pr ON pr.person_id = a.id
WHERE l.post_id = @post AND l.comment_id IS NULL AND l.positive
ORDER BY kind, created_at, id`

// PostInteractionsForPage loads a post's comments and likes for its page
// in one statement; markRead also marks the viewer's notifications about
// the post read, in the same statement.
func (s *Store) PostInteractionsForPage(ctx context.Context, v Viewer, postID int64, markRead bool) (*PostInteractions, error) {
	var rows []interactionRow
	err := s.conn(ctx).Raw(postInteractionsSQL, v.args(map[string]any{"post": postID, "mark": markRead && v.UserID != 0})).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "post interactions")
	}
	out := &PostInteractions{LikedComments: map[int64]bool{}}
	for _, r := range rows {
		if r.Kind == "l" {
			out.Likes = append(out.Likes, LikeRow{
				Like:             Like{ID: r.ID, GUID: r.GUID, PostID: r.PostID, CommentID: r.CommentID, AuthorID: r.AuthorID, Positive: r.Positive, CreatedAt: r.CreatedAt},
				AuthorGUID:       r.AuthorGUID,
				AuthorDiasporaID: r.AuthorDiasporaID,
				AuthorFirstName:  r.AuthorFirstName,
				AuthorLastName:   r.AuthorLastName,
				AuthorImageSmall: r.AuthorImageSmall,
				AuthorClosed:     r.AuthorClosed,
			})
			continue
		}
		out.Comments = append(out.Comments, CommentRow{
			Comment: Comment{ID: r.ID, GUID: r.GUID, PostID: r.PostID, AuthorID: r.AuthorID, Text: r.Text, TextHTML: r.TextHTML,
				LikesCount: r.LikesCount, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt},
			AuthorGUID:       r.AuthorGUID,
			AuthorDiasporaID: r.AuthorDiasporaID,
			AuthorFirstName:  r.AuthorFirstName,
			AuthorLastName:   r.AuthorLastName,
			AuthorImageSmall: r.AuthorImageSmall,
			AuthorImageMed:   r.AuthorImageMed,
			AuthorImage:      r.AuthorImage,
			AuthorClosed:     r.AuthorClosed,
		})
		if r.ViewerLiked {
			out.LikedComments[r.ID] = true
		}
	}
	return out, nil
}
