package models

import (
	"context"
	"time"
)

// Comment is a comment on a post.
type Comment struct {
	ID         int64
	GUID       string `gorm:"column:guid"`
	PostID     int64
	AuthorID   int64
	Text       string
	TextHTML   string `gorm:"column:text_html"`
	LikesCount int
	// SignedXML is the comment entity as signed (see migration 00004).
	SignedXML *string `gorm:"column:signed_xml"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Like is a like of a post (CommentID nil) or of a comment.
type Like struct {
	ID        int64
	GUID      string `gorm:"column:guid"`
	PostID    int64
	CommentID *int64
	AuthorID  int64
	Positive  bool
	// SignedXML is the like entity as signed (see migration 00004).
	SignedXML *string `gorm:"column:signed_xml"`
	CreatedAt time.Time
}

// CreateComment inserts a comment.
func (s *Store) CreateComment(ctx context.Context, c *Comment) error {
	defer s.touchPosts(ctx, c.PostID)
	return translate(s.conn(ctx).Create(c).Error, "create comment")
}

// CommentByID finds a comment.
func (s *Store) CommentByID(ctx context.Context, id int64) (*Comment, error) {
	var c Comment
	err := s.conn(ctx).Where("id = ?", id).Take(&c).Error
	return &c, translate(err, "comment")
}

// DeleteComment removes a comment and its likes.
func (s *Store) DeleteComment(ctx context.Context, id int64) error {
	var posts []int64
	res := s.conn(ctx).Raw(`DELETE FROM comments WHERE id = ? RETURNING post_id`, id).Scan(&posts)
	s.touchPosts(ctx, posts...)
	return rowsOrNotFound(res.Error, int64(len(posts)), "delete comment")
}

// CreateLike inserts a like; a second like by the same person is ErrConflict.
func (s *Store) CreateLike(ctx context.Context, l *Like) error {
	defer s.touchPosts(ctx, l.PostID)
	return translate(s.conn(ctx).Create(l).Error, "create like")
}

// LikeByID finds a like.
func (s *Store) LikeByID(ctx context.Context, id int64) (*Like, error) {
	var l Like
	err := s.conn(ctx).Where("id = ?", id).Take(&l).Error
	return &l, translate(err, "like")
}

// LikeOf finds a person's like of a post (commentID 0) or of a comment.
func (s *Store) LikeOf(ctx context.Context, postID, commentID, personID int64) (*Like, error) {
	var l Like
	q := s.conn(ctx).Where("post_id = ? AND author_id = ?", postID, personID)
	if commentID == 0 {
		q = q.Where("comment_id IS NULL")
	} else {
		q = q.Where("comment_id = ?", commentID)
	}
	err := q.Take(&l).Error
	return &l, translate(err, "like")
}

// DeleteLike removes a like.
func (s *Store) DeleteLike(ctx context.Context, id int64) error {
	var posts []int64
	res := s.conn(ctx).Raw(`DELETE FROM likes WHERE id = ? RETURNING post_id`, id).Scan(&posts)
	s.touchPosts(ctx, posts...)
	return rowsOrNotFound(res.Error, int64(len(posts)), "delete like")
}

// AddCommentLikes changes a comment's like counter.
func (s *Store) AddCommentLikes(ctx context.Context, commentID int64, n int) error {
	var posts []int64
	err := s.conn(ctx).Raw(`UPDATE comments SET likes_count = likes_count + ? WHERE id = ? RETURNING post_id`, n, commentID).Scan(&posts).Error
	s.touchPosts(ctx, posts...)
	return translate(err, "comment likes")
}

// CommentRow is a comment with its author's name and picture.
type CommentRow struct {
	Comment
	AuthorGUID       string `gorm:"column:author_guid"`
	AuthorDiasporaID string
	AuthorFirstName  string
	AuthorLastName   string
	AuthorImageSmall string
	AuthorImageMed   string
	AuthorImage      string
	// AuthorClosed: the author's account is closed.
	AuthorClosed bool
}

const commentRowSQL = `SELECT c.*, a.guid AS author_guid, a.diaspora_id AS author_diaspora_id, a.closed_account AS author_closed,
	COALESCE(pr.first_name, '') AS author_first_name, COALESCE(pr.last_name, '') AS author_last_name,
	COALESCE(pr.image_url_small, '') AS author_image_small, COALESCE(pr.image_url_medium, '') AS author_image_med,
	COALESCE(pr.image_url, '') AS author_image
	FROM comments c JOIN people a ON a.id = c.author_id LEFT JOIN profiles pr ON pr.person_id = a.id`

// CommentsOf lists a post's comments, oldest first. Comments by people the
// viewer ignores are left out.
func (s *Store) CommentsOf(ctx context.Context, v Viewer, postID int64) ([]CommentRow, error) {
	var rows []CommentRow
	err := s.conn(ctx).Raw(commentRowSQL+` WHERE c.post_id = @post
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @vuser AND b.person_id = c.author_id)
		ORDER BY c.created_at, c.id`, v.args(map[string]any{"post": postID})).Scan(&rows).Error
	return rows, translate(err, "comments")
}

// LastComments returns the newest n comments of each post, oldest first
// within a post, in one statement.
func (s *Store) LastComments(ctx context.Context, v Viewer, postIDs []int64, n int) (map[int64][]CommentRow, error) {
	out := map[int64][]CommentRow{}
	if len(postIDs) == 0 {
		return out, nil
	}
	// Columns listed and scanned in order, without reflection: every
	// stream page runs this.
	rs, err := s.queryNamed(ctx, `SELECT id, guid, post_id, author_id, text, text_html, likes_count, created_at, updated_at,
		author_guid, author_diaspora_id, author_closed, author_first_name, author_last_name,
		author_image_small, author_image_med, author_image FROM (
		SELECT x.*, row_number() OVER (PARTITION BY x.post_id ORDER BY x.created_at DESC, x.id DESC) AS rn
		FROM (`+commentRowSQL+` WHERE c.post_id = ANY(CAST(@posts AS bigint[]))
			AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @vuser AND b.person_id = c.author_id)) x
		) y WHERE rn <= @n ORDER BY created_at, id`, v.args(map[string]any{"posts": int64Array(postIDs), "n": n}))
	if err != nil {
		return nil, translate(err, "last comments")
	}
	defer rs.Close()
	for rs.Next() {
		var r CommentRow
		if err := rs.Scan(&r.ID, &r.GUID, &r.PostID, &r.AuthorID, &r.Text, &r.TextHTML, &r.LikesCount, &r.CreatedAt, &r.UpdatedAt,
			&r.AuthorGUID, &r.AuthorDiasporaID, &r.AuthorClosed, &r.AuthorFirstName, &r.AuthorLastName,
			&r.AuthorImageSmall, &r.AuthorImageMed, &r.AuthorImage); err != nil {
			return nil, translate(err, "last comments")
		}
		out[r.PostID] = append(out[r.PostID], r)
	}
	return out, translate(rs.Err(), "last comments")
}

// LikeRow is a like with its author's name.
type LikeRow struct {
	Like
	AuthorGUID       string `gorm:"column:author_guid"`
	AuthorDiasporaID string
	AuthorFirstName  string
	AuthorLastName   string
	AuthorImageSmall string
	// AuthorClosed: the author's account is closed.
	AuthorClosed bool
}

// LikesOf lists the likes of a post (commentID 0) or of a comment. A
// dislike (positive false, which only remote pods send) is not a like: it
// is left out, as diaspora* does.
func (s *Store) LikesOf(ctx context.Context, postID, commentID int64) ([]LikeRow, error) {
	q := `SELECT l.*, a.guid AS author_guid, a.diaspora_id AS author_diaspora_id, a.closed_account AS author_closed,
		COALESCE(pr.first_name, '') AS author_first_name, COALESCE(pr.last_name, '') AS author_last_name,
		COALESCE(pr.image_url_small, '') AS author_image_small
		FROM likes l JOIN people a ON a.id = l.author_id LEFT JOIN profiles pr ON pr.person_id = a.id
		WHERE l.post_id = ? AND l.positive`
	args := []any{postID}
	if commentID == 0 {
		q += ` AND l.comment_id IS NULL`
	} else {
		q += ` AND l.comment_id = ?`
		args = append(args, commentID)
	}
	var rows []LikeRow
	err := s.conn(ctx).Raw(q+` ORDER BY l.created_at, l.id`, args...).Scan(&rows).Error
	return rows, translate(err, "likes")
}

// ViewerLikes returns, for each of the posts, the viewer's like of it (not
// a dislike) and whether the viewer reshared it, in one statement.
func (s *Store) ViewerLikes(ctx context.Context, v Viewer, postIDs []int64) (likes map[int64]int64, reshared map[int64]bool, err error) {
	likes, reshared = map[int64]int64{}, map[int64]bool{}
	if v.PersonID == 0 || len(postIDs) == 0 {
		return likes, reshared, nil
	}
	rows, err := s.queryNamed(ctx, `SELECT l.post_id, l.id, 'like' FROM likes l
			WHERE l.author_id = @vperson AND l.comment_id IS NULL AND l.positive AND l.post_id = ANY(CAST(@posts AS bigint[]))
		UNION ALL
		SELECT r.root_id, r.id, 'reshare' FROM posts r
			WHERE r.author_id = @vperson AND r.type = 'Reshare' AND r.root_id = ANY(CAST(@posts AS bigint[]))`,
		v.args(map[string]any{"posts": int64Array(postIDs)}))
	if err != nil {
		return nil, nil, translate(err, "viewer likes")
	}
	defer rows.Close()
	for rows.Next() {
		var post, id int64
		var kind string
		if err := rows.Scan(&post, &id, &kind); err != nil {
			return nil, nil, err
		}
		if kind == "like" {
			likes[post] = id
		} else {
			reshared[post] = true
		}
	}
	return likes, reshared, translate(rows.Err(), "viewer likes")
}

// Participant is a local user subscribed to a post.
type Participant struct {
	UserID   int64
	PersonID int64
}

// ParticipantsOf lists the local users subscribed to a post, except one person.
func (s *Store) ParticipantsOf(ctx context.Context, postID, exceptPerson int64) ([]Participant, error) {
	var out []Participant
	err := s.conn(ctx).Raw(`SELECT pe.owner_id AS user_id, pe.id AS person_id FROM participations pa JOIN people pe ON pe.id = pa.person_id
		WHERE pa.post_id = ? AND pa.person_id <> ? AND pe.owner_id IS NOT NULL`, postID, exceptPerson).Scan(&out).Error
	return out, translate(err, "participants")
}

// SetCommentSignedXML stores the signed form of a comment.
func (s *Store) SetCommentSignedXML(ctx context.Context, id int64, xml string) error {
	return translate(s.conn(ctx).Exec(`UPDATE comments SET signed_xml = ? WHERE id = ?`, xml, id).Error, "comment signed xml")
}

// SetLikeSignedXML stores the signed form of a like.
func (s *Store) SetLikeSignedXML(ctx context.Context, id int64, xml string) error {
	return translate(s.conn(ctx).Exec(`UPDATE likes SET signed_xml = ? WHERE id = ?`, xml, id).Error, "like signed xml")
}
