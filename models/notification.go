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
	NotifyPrivateMessage = "private_message"
)

// Notify records that actor did something of a type to a target (a post,
// or for started_sharing the actor themself) for a local user. The same
// (user, type, target) is one notification with several actors, marked
// unread again by each new actor.
func (s *Store) Notify(ctx context.Context, userID int64, typ string, postID, personID *int64, actor int64) error {
	var id int64
	err := s.conn(ctx).Raw(`INSERT INTO notifications (user_id, type, post_id, person_id, unread, created_at, updated_at)
		VALUES (?, ?, ?, ?, true, now(), now())
		ON CONFLICT (user_id, type, COALESCE(post_id, 0), COALESCE(person_id, 0))
		DO UPDATE SET unread = true, updated_at = now() RETURNING id`, userID, typ, postID, personID).Row().Scan(&id)
	if err != nil {
		return translate(err, "notify")
	}
	return translate(s.conn(ctx).Exec(`INSERT INTO notification_actors (notification_id, person_id) VALUES (?, ?)
		ON CONFLICT (notification_id, person_id) DO UPDATE SET created_at = now()`, id, actor).Error, "notify")
}

// NotificationRow is a notification with its newest actors.
type NotificationRow struct {
	ID       int64
	Type     string
	PostID   *int64
	PostGUID *string `gorm:"column:post_guid"`
	PersonID *int64
	// ConversationID is the conversation a private_message is about.
	ConversationID *int64
	Unread         bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Actors are "guid|diaspora_id|first name|last name" strings, newest first.
	Actors    []string `gorm:"-"`
	ActorsRaw string
}

// Notifications lists a user's notifications, newest first. A notification
// about a post is only listed while the user may see the post.
func (s *Store) Notifications(ctx context.Context, v Viewer, unreadOnly bool, typ string, limit, offset int) ([]NotificationRow, error) {
	var rows []NotificationRow
	err := s.conn(ctx).Raw(`SELECT n.id, n.type, n.post_id, p.guid AS post_guid, n.person_id, n.conversation_id, n.unread, n.created_at, n.updated_at,
		(SELECT string_agg(pe.guid || '|' || pe.diaspora_id || '|' || COALESCE(pr.first_name, '') || '|' || COALESCE(pr.last_name, ''), E'\n' ORDER BY na.created_at DESC)
			FROM notification_actors na JOIN people pe ON pe.id = na.person_id LEFT JOIN profiles pr ON pr.person_id = pe.id
			WHERE na.notification_id = n.id) AS actors_raw
		FROM notifications n LEFT JOIN posts p ON p.id = n.post_id
		WHERE n.user_id = @vuser AND (NOT @unread OR n.unread) AND (@typ = '' OR n.type = @typ)
		AND (n.post_id IS NULL OR `+visibleSQL+`)
		ORDER BY n.updated_at DESC, n.id DESC LIMIT @limit OFFSET @offset`,
		v.args(map[string]any{"unread": unreadOnly, "typ": typ, "limit": limit, "offset": offset})).Scan(&rows).Error
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
	res := s.conn(ctx).Exec(`UPDATE notifications SET unread = ? WHERE id = ? AND user_id = ?`, unread, id, userID)
	return rowsOrNotFound(res.Error, res.RowsAffected, "mark notification")
}

// ReadAllNotifications marks all (or one type of) the user's notifications read.
func (s *Store) ReadAllNotifications(ctx context.Context, userID int64, typ string) error {
	return translate(s.conn(ctx).Exec(`UPDATE notifications SET unread = false WHERE user_id = ? AND unread AND (? = '' OR type = ?)`,
		userID, typ, typ).Error, "read notifications")
}

// ReadPostNotifications marks the user's notifications about a post read
// (opening the post does this).
func (s *Store) ReadPostNotifications(ctx context.Context, userID, postID int64) error {
	return translate(s.conn(ctx).Exec(`UPDATE notifications SET unread = false WHERE user_id = ? AND post_id = ? AND unread`,
		userID, postID).Error, "read post notifications")
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
