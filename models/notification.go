package models

import (
	"context"
	"time"
)

// Notification types, as diaspora* names them.
const (
	NotifyMentioned      = "mentioned"
	NotifyCommentOnPost  = "comment_on_post"
	NotifyAlsoCommented  = "also_commented"
	NotifyLiked          = "liked"
	NotifyReshared       = "reshared"
	NotifyStartedSharing = "started_sharing"
	// NotifyMentionedInComment: someone mentioned the user in a comment.
	NotifyMentionedInComment = "mentioned_in_comment"
	// NotifyLikedComment: someone liked the user's comment (grouped per comment).
	NotifyLikedComment = "liked_comment"
	// NotifyPrivateMessage: a new message in a conversation (mailed; the
	// conversations page counts the unread ones).
	NotifyPrivateMessage = "private_message"
)

// Notify records that actor did something of a type to a target (a post,
// or for started_sharing the actor themself) for a local user. The same
// (user, type, target) is one notification with several actors, marked
// unread again by each new actor.
func (s *Store) Notify(ctx context.Context, userID int64, typ string, postID, personID *int64, actor int64) error {
	_, err := s.NotifyEvent(ctx, userID, typ, postID, nil, personID, actor)
	return err
}

// NotifyEvent is Notify with a comment as part of the target (liked_comment
// is grouped per comment). It reports whether the event is news worth a
// mail: the actor is new to the notification, or the user had read it
// since the actor's last event. A second event of the same actor on an
// unread notification is not (README, Mail: no mail storms).
func (s *Store) NotifyEvent(ctx context.Context, userID int64, typ string, postID, commentID, personID *int64, actor int64) (news bool, err error) {
	defer s.touch(ctx, Change{Notified: []int64{userID}})
	db := s.conn(ctx)
	var prev []bool
	if err := db.Raw(`SELECT unread FROM notifications WHERE user_id = ? AND type = ? AND COALESCE(post_id, 0) = COALESCE(?::bigint, 0)
		AND COALESCE(person_id, 0) = COALESCE(?::bigint, 0) AND COALESCE(comment_id, 0) = COALESCE(?::bigint, 0) FOR UPDATE`,
		userID, typ, postID, personID, commentID).Scan(&prev).Error; err != nil {
		return false, translate(err, "notify")
	}
	var id int64
	err = db.Raw(`INSERT INTO notifications (user_id, type, post_id, person_id, comment_id, unread, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, true, now(), now())
		ON CONFLICT (user_id, type, COALESCE(post_id, 0), COALESCE(person_id, 0), COALESCE(comment_id, 0))
		DO UPDATE SET unread = true, updated_at = now() RETURNING id`, userID, typ, postID, personID, commentID).Row().Scan(&id)
	if err != nil {
		return false, translate(err, "notify")
	}
	var inserted bool
	err = db.Raw(`INSERT INTO notification_actors (notification_id, person_id) VALUES (?, ?)
		ON CONFLICT (notification_id, person_id) DO UPDATE SET created_at = now() RETURNING (xmax = 0)`, id, actor).Row().Scan(&inserted)
	if err != nil {
		return false, translate(err, "notify")
	}
	return inserted || len(prev) == 0 || !prev[0], nil
}

// NotificationRow is a notification with its newest actors.
type NotificationRow struct {
	ID        int64
	Type      string
	PostID    *int64
	PostGUID  *string `gorm:"column:post_guid"`
	PersonID  *int64
	CommentID *int64
	// ConversationID is the conversation a private_message is about.
	ConversationID *int64
	Unread         bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// PostText is the text of the post the notification is about (only
	// listed while the user may see it), CommentText that of the comment
	// of a liked_comment notification.
	PostText    string
	CommentText string
	// ActorCount counts every actor; ActorsRaw holds the newest
	// NotificationActorsShown of them, one per line, fields separated by
	// ActorFieldSep: guid, diaspora ID, small avatar, first and last name.
	ActorCount int
	ActorsRaw  string
}

// NotificationActorsShown is how many actors a listed notification names.
const NotificationActorsShown = 10

// ActorFieldSep separates the fields of one actor in ActorsRaw.
const ActorFieldSep = "\x1f"

// Notifications lists a user's notifications, newest first. A notification
// about a post is only listed while the user may see the post.
func (s *Store) Notifications(ctx context.Context, v Viewer, unreadOnly bool, typ string, limit, offset int) ([]NotificationRow, error) {
	var rows []NotificationRow
	err := s.conn(ctx).Raw(`SELECT n.id, n.type, n.post_id, p.guid AS post_guid, n.person_id, n.comment_id, n.conversation_id, n.unread, n.created_at, n.updated_at,
		COALESCE(p.text, '') AS post_text, COALESCE(c.text, '') AS comment_text,
		(SELECT count(*) FROM notification_actors na WHERE na.notification_id = n.id) AS actor_count,
		(SELECT string_agg(a.line, E'\n' ORDER BY a.created_at DESC) FROM (
			SELECT na.created_at, pe.guid || E'\x1f' || pe.diaspora_id || E'\x1f' || COALESCE(pr.image_url_small, '') || E'\x1f' ||
				COALESCE(pr.first_name, '') || E'\x1f' || COALESCE(pr.last_name, '') AS line
			FROM notification_actors na JOIN people pe ON pe.id = na.person_id LEFT JOIN profiles pr ON pr.person_id = pe.id
			WHERE na.notification_id = n.id ORDER BY na.created_at DESC LIMIT @shown) a) AS actors_raw
		FROM notifications n LEFT JOIN posts p ON p.id = n.post_id LEFT JOIN comments c ON c.id = n.comment_id
		WHERE n.user_id = @vuser AND (NOT @unread OR n.unread) AND (@typ = '' OR n.type = @typ)
		AND (n.post_id IS NULL OR `+visibleSQL+`)
		ORDER BY n.updated_at DESC, n.id DESC LIMIT @limit OFFSET @offset`,
		v.args(map[string]any{"unread": unreadOnly, "typ": typ, "limit": limit, "offset": offset, "shown": NotificationActorsShown})).Scan(&rows).Error
	return rows, translate(err, "notifications")
}

// UnreadCounts counts a user's unread notifications by type.
func (s *Store) UnreadCounts(ctx context.Context, v Viewer) (map[string]int, error) {
	type row struct {
		Type  string
		Count int
	}
	var rows []row
	err := s.conn(ctx).Raw(`SELECT n.type, count(*) AS count FROM notifications n LEFT JOIN posts p ON p.id = n.post_id
		WHERE n.user_id = @vuser AND n.unread AND (n.post_id IS NULL OR `+visibleSQL+`) GROUP BY n.type`, v.args(nil)).Scan(&rows).Error
	out := map[string]int{}
	for _, r := range rows {
		out[r.Type] = r.Count
	}
	return out, translate(err, "unread counts")
}

// SetNotificationUnread marks one of the user's notifications read or unread.
func (s *Store) SetNotificationUnread(ctx context.Context, userID, id int64, unread bool) error {
	if unread {
		defer s.touch(ctx, Change{Notified: []int64{userID}})
	}
	res := s.conn(ctx).Exec(`UPDATE notifications SET unread = ? WHERE id = ? AND user_id = ?`, unread, id, userID)
	return rowsOrNotFound(res.Error, res.RowsAffected, "mark notification")
}

// ReadAllNotifications marks all (or one type of) the user's notifications read.
func (s *Store) ReadAllNotifications(ctx context.Context, userID int64, typ string) error {
	return translate(s.conn(ctx).Exec(`UPDATE notifications SET unread = false WHERE user_id = ? AND unread AND (? = '' OR type = ?)`,
		userID, typ, typ).Error, "read notifications")
}

// ReadPersonNotifications marks notifications involving an ignored person read.
func (s *Store) ReadPersonNotifications(ctx context.Context, userID, personID int64) error {
	return translate(s.conn(ctx).Exec(`UPDATE notifications n SET unread = false WHERE n.user_id = ? AND n.unread
		AND EXISTS (SELECT 1 FROM notification_actors na WHERE na.notification_id = n.id AND na.person_id = ?)`,
		userID, personID).Error, "read person notifications")
}

// ReadStartedSharing marks read a user's "started sharing" notification
// about a person (visiting the person's page does this).
func (s *Store) ReadStartedSharing(ctx context.Context, userID, personID int64) error {
	return translate(s.conn(ctx).Exec(`UPDATE notifications SET unread = false WHERE user_id = ? AND type = ? AND person_id = ? AND unread`,
		userID, NotifyStartedSharing, personID).Error, "read started sharing")
}
