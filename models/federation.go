package models

import (
	"context"
	"time"
)

// PodUsage is what NodeInfo publishes about the pod's own users and content.
type PodUsage struct {
	// Users counts the local accounts that are neither locked nor closed.
	Users int64
	// ActiveHalfyear and ActiveMonth count those of them seen since the
	// given instants (last_seen_at: sign-up, sign-in and, at most every
	// pod.SeenEvery, any signed-in request write it).
	ActiveHalfyear int64
	ActiveMonth    int64
	// LocalPosts counts the status messages written here (public and
	// limited; reshares excluded), as diaspora* counts them.
	LocalPosts int64
	// LocalComments counts the comments written here.
	LocalComments int64
}

// PodUsage counts the pod's users, active users and local posts and comments
// in one statement.
func (s *Store) PodUsage(ctx context.Context, halfyearSince, monthSince time.Time) (PodUsage, error) {
	var u PodUsage
	err := s.conn(ctx).Raw(`WITH accounts AS (
			SELECT u.last_seen_at AS seen
			FROM users u JOIN people pe ON pe.owner_id = u.id
			WHERE NOT u.locked AND NOT pe.closed_account),
		locals AS (SELECT id FROM people WHERE owner_id IS NOT NULL)
		SELECT
			(SELECT count(*) FROM accounts) AS users,
			(SELECT count(*) FROM accounts WHERE seen >= @halfyear) AS active_halfyear,
			(SELECT count(*) FROM accounts WHERE seen >= @month) AS active_month,
			(SELECT count(*) FROM posts p WHERE p.type = @status AND p.author_id IN (SELECT id FROM locals)) AS local_posts,
			(SELECT count(*) FROM comments c WHERE c.author_id IN (SELECT id FROM locals)) AS local_comments`,
		map[string]any{"halfyear": halfyearSince, "month": monthSince, "status": TypeStatusMessage}).Scan(&u).Error
	return u, translate(err, "usage")
}

// CommentByGUID finds a comment by GUID, whoever may see it (callers check).
func (s *Store) CommentByGUID(ctx context.Context, guid string) (*Comment, error) {
	var c Comment
	err := s.conn(ctx).Where("guid = ?", guid).Take(&c).Error
	return &c, translate(err, "comment")
}

// LikeByGUID finds a like by GUID, whoever may see it (callers check).
func (s *Store) LikeByGUID(ctx context.Context, guid string) (*Like, error) {
	var l Like
	err := s.conn(ctx).Where("guid = ?", guid).Take(&l).Error
	return &l, translate(err, "like")
}
