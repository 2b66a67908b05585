package models

import (
	"context"
	"fmt"
	"time"
)

// Paged lists of what hangs under a post, for the API v1 (diaspora*'s
// time-paged comments and index-paged likes and reshares). The callers
// check that the viewer may see the post first.

// CommentsPage lists up to limit comments of a post created before t,
// newest first (desc), or after t, oldest first. Comments by people the
// viewer ignores are left out, as in CommentsOf.
func (s *Store) CommentsPage(ctx context.Context, v Viewer, postID int64, t time.Time, desc bool, limit int) ([]CommentRow, error) {
	cond, order := `c.created_at > @t`, `c.created_at, c.id`
	if desc {
		cond, order = `c.created_at < @t`, `c.created_at DESC, c.id DESC`
	}
	var rows []CommentRow
	err := s.conn(ctx).Raw(commentRowSQL+` WHERE c.post_id = @post AND `+cond+`
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @vuser AND b.person_id = c.author_id)
		ORDER BY `+order+` LIMIT @limit`, v.args(map[string]any{"post": postID, "t": t, "limit": limit})).Scan(&rows).Error
	return rows, translate(err, "comments page")
}

// PagedLike is a like with its author's name and pictures.
type PagedLike struct {
	LikeRow
	AuthorImageMed string
	AuthorImage    string
}

// LikesPage lists likes of a post (commentID 0) or of a comment, the
// viewer's own first (as diaspora*), then oldest first: limit of them
// after skipping offset. Dislikes are left out, as in LikesOf.
func (s *Store) LikesPage(ctx context.Context, v Viewer, postID, commentID int64, offset, limit int) ([]PagedLike, error) {
	q := `SELECT l.*, a.guid AS author_guid, a.diaspora_id AS author_diaspora_id, a.closed_account AS author_closed,
		COALESCE(pr.first_name, '') AS author_first_name, COALESCE(pr.last_name, '') AS author_last_name,
		COALESCE(pr.image_url_small, '') AS author_image_small, COALESCE(pr.image_url_medium, '') AS author_image_med,
		COALESCE(pr.image_url, '') AS author_image
		FROM likes l JOIN people a ON a.id = l.author_id LEFT JOIN profiles pr ON pr.person_id = a.id
		WHERE l.post_id = @post AND l.positive`
	if commentID == 0 {
		q += ` AND l.comment_id IS NULL`
	} else {
		q += ` AND l.comment_id = @comment`
	}
	var rows []PagedLike
	err := s.conn(ctx).Raw(q+` ORDER BY l.author_id = @vperson DESC, l.created_at, l.id LIMIT @limit OFFSET @offset`,
		v.args(map[string]any{"post": postID, "comment": commentID, "limit": limit, "offset": offset})).Scan(&rows).Error
	return rows, translate(err, "likes page")
}

// ReshareRow is a reshare with its author's name and pictures.
type ReshareRow struct {
	ID               int64
	GUID             string `gorm:"column:guid"`
	CreatedAt        time.Time
	AuthorID         int64
	AuthorGUID       string `gorm:"column:author_guid"`
	AuthorDiasporaID string
	AuthorFirstName  string
	AuthorLastName   string
	AuthorImageSmall string
	AuthorImageMed   string
	AuthorImage      string
	AuthorClosed     bool
}

// ResharesPage lists the reshares of a post, the viewer's own first (as
// diaspora*), then oldest first: limit of them after skipping offset.
// Reshares are public posts.
func (s *Store) ResharesPage(ctx context.Context, v Viewer, rootID int64, offset, limit int) ([]ReshareRow, error) {
	var rows []ReshareRow
	err := s.conn(ctx).Raw(`SELECT r.id, r.guid, r.created_at, r.author_id, a.guid AS author_guid, a.diaspora_id AS author_diaspora_id,
		a.closed_account AS author_closed, COALESCE(pr.first_name, '') AS author_first_name, COALESCE(pr.last_name, '') AS author_last_name,
		COALESCE(pr.image_url_small, '') AS author_image_small, COALESCE(pr.image_url_medium, '') AS author_image_med,
		COALESCE(pr.image_url, '') AS author_image
		FROM posts r JOIN people a ON a.id = r.author_id LEFT JOIN profiles pr ON pr.person_id = a.id
		WHERE r.root_id = @root AND r.type = 'Reshare' AND r.public
		ORDER BY r.author_id = @vperson DESC, r.created_at, r.id LIMIT @limit OFFSET @offset`,
		v.args(map[string]any{"root": rootID, "limit": limit, "offset": offset})).Scan(&rows).Error
	return rows, translate(err, "reshares page")
}

// PostState is what a user did to a post that the API shows in its
// own_interaction_state: subscribed (participates) and reported.
type PostState struct {
	Subscribed bool
	Reported   bool
}

// PostStateOf reads a user's subscription to and report of a post in one
// statement.
func (s *Store) PostStateOf(ctx context.Context, userID, personID, postID int64) (PostState, error) {
	var st PostState
	err := s.conn(ctx).Raw(`SELECT
		EXISTS (SELECT 1 FROM participations WHERE post_id = @post AND person_id = @person) AS subscribed,
		EXISTS (SELECT 1 FROM reports WHERE reporter_id = @user AND item_type = 'post' AND post_id = @post) AS reported`,
		map[string]any{"post": postID, "person": personID, "user": userID}).Scan(&st).Error
	return st, translate(err, "post state")
}

// ReportedComments is which of these comments the user reported.
func (s *Store) ReportedComments(ctx context.Context, userID int64, commentIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if userID == 0 || len(commentIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT comment_id FROM reports WHERE reporter_id = ? AND item_type = 'comment' AND comment_id = ANY(?::bigint[])`,
		userID, int64Array(commentIDs)).Scan(&ids).Error
	for _, id := range ids {
		out[id] = true
	}
	return out, translate(err, "reported comments")
}

// LikedComments is which of these comments the viewer likes.
func (s *Store) LikedComments(ctx context.Context, v Viewer, commentIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if v.PersonID == 0 || len(commentIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT comment_id FROM likes WHERE author_id = ? AND positive AND comment_id = ANY(?::bigint[])`,
		v.PersonID, int64Array(commentIDs)).Scan(&ids).Error
	for _, id := range ids {
		out[id] = true
	}
	return out, translate(err, "liked comments")
}

// MentionsOf lists the people each of these posts mentions, by diaspora
// ID, in one statement.
func (s *Store) MentionsOf(ctx context.Context, postIDs []int64) (map[int64][]PersonRow, error) {
	out := map[int64][]PersonRow{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		PostID int64
		PersonRow
	}
	err := s.conn(ctx).Raw(`SELECT m.post_id, `+personRowCols+` FROM mentions m JOIN people p ON p.id = m.person_id
		LEFT JOIN profiles pr ON pr.person_id = p.id WHERE m.post_id = ANY(?::bigint[]) ORDER BY m.post_id, lower(p.diaspora_id)`,
		int64Array(postIDs)).Scan(&rows).Error
	for _, r := range rows {
		out[r.PostID] = append(out[r.PostID], r.PersonRow)
	}
	return out, translate(err, "mentions")
}

// CommentRowOf loads one comment of a post with its author, unless the
// viewer ignores its author (as CommentsOf).
func (s *Store) CommentRowOf(ctx context.Context, v Viewer, postID, commentID int64) (*CommentRow, error) {
	var rows []CommentRow
	err := s.conn(ctx).Raw(commentRowSQL+` WHERE c.post_id = @post AND c.id = @id
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @vuser AND b.person_id = c.author_id)`,
		v.args(map[string]any{"post": postID, "id": commentID})).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "comment")
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("comment: %w", ErrNotFound)
	}
	return &rows[0], nil
}
