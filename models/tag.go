package models

import (
	"context"
	"strings"
)

// FollowTag makes a user follow a tag; following twice is fine.
func (s *Store) FollowTag(ctx context.Context, userID, tagID int64) (int64, error) {
	var id int64
	err := s.conn(ctx).Raw(`INSERT INTO tag_followings (user_id, tag_id) VALUES (?, ?)
		ON CONFLICT (user_id, tag_id) DO UPDATE SET tag_id = EXCLUDED.tag_id RETURNING id`, userID, tagID).Row().Scan(&id)
	return id, translate(err, "follow tag")
}

// UnfollowTag stops a user following a tag.
func (s *Store) UnfollowTag(ctx context.Context, userID, tagID int64) error {
	res := s.conn(ctx).Exec(`DELETE FROM tag_followings WHERE user_id = ? AND tag_id = ?`, userID, tagID)
	return rowsOrNotFound(res.Error, res.RowsAffected, "unfollow tag")
}

// TagFollowing is one tag a user follows.
type TagFollowing struct {
	ID   int64
	Name string
}

// FollowedTags lists the tags a user follows, by name.
func (s *Store) FollowedTags(ctx context.Context, userID int64) ([]TagFollowing, error) {
	var rows []TagFollowing
	err := s.conn(ctx).Raw(`SELECT tf.id, t.name FROM tag_followings tf JOIN tags t ON t.id = tf.tag_id
		WHERE tf.user_id = ? ORDER BY t.name`, userID).Scan(&rows).Error
	return rows, translate(err, "followed tags")
}

// TagFollowingByID finds one of the user's tag followings.
func (s *Store) TagFollowingByID(ctx context.Context, userID, id int64) (*TagFollowing, error) {
	var rows []TagFollowing
	err := s.conn(ctx).Raw(`SELECT tf.id, t.name FROM tag_followings tf JOIN tags t ON t.id = tf.tag_id
		WHERE tf.user_id = ? AND tf.id = ?`, userID, id).Scan(&rows).Error
	if err == nil && len(rows) == 0 {
		return nil, translate(ErrNotFound, "tag following")
	}
	if err != nil {
		return nil, translate(err, "tag following")
	}
	return &rows[0], nil
}

// FollowsTag reports whether the user follows a tag.
func (s *Store) FollowsTag(ctx context.Context, userID, tagID int64) (bool, error) {
	var ok bool
	err := s.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM tag_followings WHERE user_id = ? AND tag_id = ?)`, userID, tagID).Scan(&ok).Error
	return ok, translate(err, "follows tag")
}

// SearchTags lists tag names starting with a prefix, by name, that the
// viewer may know of (from offset, at most limit): tags on at least one post the viewer may read (the
// stream visibility rule, visibleSQL) and tags the viewer follows. A tag
// used only in limited posts stays unknown outside their audiences.
func (s *Store) SearchTags(ctx context.Context, v Viewer, prefix string, offset, limit int) ([]string, error) {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
	var names []string
	err := s.conn(ctx).Raw(`SELECT t.name FROM tags t WHERE t.name LIKE @like
		AND (EXISTS (SELECT 1 FROM tag_followings tf WHERE tf.tag_id = t.id AND tf.user_id = @vuser)
			OR EXISTS (SELECT 1 FROM taggings tg JOIN posts p ON p.id = tg.post_id
				WHERE tg.tag_id = t.id AND `+visibleSQL+` LIMIT 1))
		ORDER BY t.name OFFSET @offset LIMIT @limit`, v.args(map[string]any{"like": like, "offset": offset, "limit": limit})).Scan(&names).Error
	return names, translate(err, "search tags")
}
