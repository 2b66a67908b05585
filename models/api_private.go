package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Queries of diaspora*'s API v1 for notifications, conversations and
// photos (issue 16): time-paged lists (an exclusive time bound, newest or
// oldest first) and lookups by GUID. Visibility is the same as the web's:
// visibleSQL for posts, participation for conversations.

// TimeWindow is one page of a time-paged list: items strictly older
// (Descending) or strictly newer than (Time, GUID), at most Limit. Items
// are ordered by time, then GUID, so items of the same time are neither
// lost nor repeated between pages; GUID "" is before (Descending) or
// after every GUID of Time, which makes Time alone diaspora*'s bound.
type TimeWindow struct {
	Time       time.Time
	GUID       string
	Descending bool
	Limit      int
}

// cond is the SQL bound and order of the window over the columns col and
// guidCol, with its arguments added to args.
func (w TimeWindow) cond(col, guidCol string, args map[string]any) (where, order string) {
	args["wtime"], args["wguid"], args["limit"] = w.Time, w.GUID, w.Limit
	if w.Descending {
		return "(" + col + ", " + guidCol + ") < (@wtime, @wguid)", col + " DESC, " + guidCol + " DESC"
	}
	if w.GUID == "" {
		args["wguid"] = "~" // after every GUID (they are ASCII letters and digits)
	}
	return "(" + col + ", " + guidCol + ") > (@wtime, @wguid)", col + ", " + guidCol
}

// APINotificationRow is a notification as the API shows it: the post it
// is about with its author and whether it is public (the caller hides a
// limited one from a token without private:read).
type APINotificationRow struct {
	ID         int64
	GUID       string `gorm:"column:guid"`
	Type       string
	Unread     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	PostGUID   *string `gorm:"column:post_guid"`
	PostPublic bool
	PostAuthor *int64
	// ActorsRaw: as NotificationRow's.
	ActorsRaw string
}

// NotificationFilter selects the notifications of an API list.
type NotificationFilter struct {
	UnreadOnly bool
	// Type is one type or "" for all.
	Type string
	// UpdatedSince keeps notifications updated at or after it (zero: all).
	UpdatedSince time.Time
	// GUID picks one notification ("" for a list).
	GUID string
}

// APINotifications lists a user's notifications for the API, paged on
// updated_at (the time of the newest event), without private_message
// ones (those belong to conversations). A notification about a post is
// only listed while the user may see the post, as on the web.
func (s *Store) APINotifications(ctx context.Context, v Viewer, f NotificationFilter, w TimeWindow) ([]APINotificationRow, error) {
	args := v.args(map[string]any{"unread": f.UnreadOnly, "typ": f.Type, "since": f.UpdatedSince, "guid": f.GUID,
		"shown": NotificationActorsShown, "pm": NotifyPrivateMessage})
	bound, order := w.cond("n.updated_at", "n.guid", args)
	if f.GUID != "" {
		bound, order, args["limit"] = "true", "n.id", 1
	}
	var rows []APINotificationRow
	err := s.conn(ctx).Raw(`SELECT n.id, n.guid, n.type, n.unread, n.created_at, n.updated_at,
		p.guid AS post_guid, COALESCE(p.public, false) AS post_public, p.author_id AS post_author,
		(SELECT string_agg(a.line, E'\n' ORDER BY a.created_at DESC) FROM (
			SELECT na.created_at, pe.guid || E'\x1f' || pe.diaspora_id || E'\x1f' || COALESCE(pr.image_url_small, '') || E'\x1f' ||
				COALESCE(pr.first_name, '') || E'\x1f' || COALESCE(pr.last_name, '') || E'\x1f' || COALESCE(pr.image_url_medium, '') AS line
			FROM notification_actors na JOIN people pe ON pe.id = na.person_id LEFT JOIN profiles pr ON pr.person_id = pe.id
			WHERE na.notification_id = n.id ORDER BY na.created_at DESC LIMIT @shown) a) AS actors_raw
		FROM notifications n LEFT JOIN posts p ON p.id = n.post_id
		WHERE n.user_id = @vuser AND n.type <> @pm AND (NOT @unread OR n.unread) AND (@typ = '' OR n.type = @typ)
		AND n.updated_at >= @since AND (@guid = '' OR n.guid = @guid)
		AND (n.post_id IS NULL OR `+visibleSQL+`) AND `+bound+`
		ORDER BY `+order+` LIMIT @limit`, args).Scan(&rows).Error
	return rows, translate(err, "notifications")
}

// SetNotificationUnreadByGUID marks one of the user's notifications read
// or unread; another user's, a private_message one or an unknown GUID is
// ErrNotFound.
func (s *Store) SetNotificationUnreadByGUID(ctx context.Context, userID int64, guid string, unread bool) error {
	if unread {
		defer s.touch(ctx, Change{Notified: []int64{userID}})
	}
	res := s.conn(ctx).Exec(`UPDATE notifications SET unread = ? WHERE guid = ? AND user_id = ? AND type <> ?`,
		unread, guid, userID, NotifyPrivateMessage)
	return rowsOrNotFound(res.Error, res.RowsAffected, "mark notification")
}

// ConversationFilter selects the conversations of an API list.
type ConversationFilter struct {
	UnreadOnly bool
	// CreatedSince keeps conversations created at or after it (zero: all).
	CreatedSince time.Time
}

// APIConversations lists the conversations the local user v takes part
// in, has not hidden and may see (not started by someone they ignore),
// paged on their creation time as diaspora*'s API does (then GUID: a
// conversation's time has whole seconds, so several may share one).
func (s *Store) APIConversations(ctx context.Context, v Viewer, f ConversationFilter, w TimeWindow) ([]ConversationRow, error) {
	args := map[string]any{"user": v.UserID, "person": v.PersonID, "unread": f.UnreadOnly, "since": f.CreatedSince}
	bound, order := w.cond("c.created_at", "c.guid", args)
	var rows []ConversationRow
	err := s.conn(ctx).Raw(`SELECT c.id, c.guid, c.author_id, c.subject, c.created_at, cv.last_message_at, cv.unread
		FROM conversation_visibilities cv JOIN conversations c ON c.id = cv.conversation_id
		WHERE cv.person_id = @person AND NOT cv.hidden AND (NOT @unread OR cv.unread > 0) AND c.created_at >= @since
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @user AND b.person_id = c.author_id) AND `+bound+`
		ORDER BY `+order+` LIMIT @limit`, args).Scan(&rows).Error
	return rows, translate(err, "conversations")
}

// APIConversationID finds the ID of a conversation by GUID that the local
// user v takes part in, has not hidden and may see; anything else is
// ErrNotFound.
func (s *Store) APIConversationID(ctx context.Context, v Viewer, guid string) (int64, error) {
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT c.id FROM conversations c JOIN conversation_visibilities cv ON cv.conversation_id = c.id AND cv.person_id = ?
		WHERE c.guid = ? AND NOT cv.hidden AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ? AND b.person_id = c.author_id)`,
		v.PersonID, guid, v.UserID).Scan(&ids).Error
	if err == nil && len(ids) == 0 {
		err = gorm.ErrRecordNotFound
	}
	if err != nil {
		return 0, translate(err, "conversation")
	}
	return ids[0], nil
}

// SetConversationUnread marks a conversation unread for a local
// participant (at least one unread message), as diaspora*'s API does.
func (s *Store) SetConversationUnread(ctx context.Context, v Viewer, conversationID int64) error {
	res := s.conn(ctx).Exec(`UPDATE conversation_visibilities SET unread = GREATEST(unread, 1) WHERE conversation_id = ? AND person_id = ?`,
		conversationID, v.PersonID)
	return rowsOrNotFound(res.Error, res.RowsAffected, "mark conversation unread")
}

// MessagesPage lists messages of a conversation the local user v may
// read (the caller checked they take part), oldest first, offset and
// limit bounded by the caller; messages by people v ignores are left out.
func (s *Store) MessagesPage(ctx context.Context, v Viewer, conversationID int64, offset, limit int) ([]MessageRow, error) {
	var rows []MessageRow
	err := s.conn(ctx).Raw(`SELECT m.*, p.guid AS author_guid, p.diaspora_id AS author_diaspora_id,
		COALESCE(pr.first_name, '') AS author_first_name, COALESCE(pr.last_name, '') AS author_last_name,
		COALESCE(pr.image_url, '') AS author_image, COALESCE(pr.image_url_small, '') AS author_image_small,
		COALESCE(pr.image_url_medium, '') AS author_image_med
		FROM messages m JOIN people p ON p.id = m.author_id LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE m.conversation_id = @c
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @user AND b.person_id = m.author_id)
		ORDER BY m.created_at, m.guid LIMIT @limit OFFSET @offset`,
		map[string]any{"c": conversationID, "user": v.UserID, "limit": limit, "offset": offset}).Scan(&rows).Error
	return rows, translate(err, "messages")
}

// OwnPhotos lists a person's own photos (pending ones and those of their
// posts), paged on created_at; publicOnly keeps only photos of public
// posts.
func (s *Store) OwnPhotos(ctx context.Context, personID int64, publicOnly bool, w TimeWindow) ([]Photo, error) {
	args := map[string]any{"person": personID, "pub": publicOnly}
	bound, order := w.cond("ph.created_at", "ph.guid", args)
	var rows []Photo
	err := s.conn(ctx).Raw(`SELECT ph.* FROM photos ph WHERE ph.author_id = @person AND (NOT @pub OR (ph.public AND ph.post_id IS NOT NULL))
		AND `+bound+` ORDER BY `+order+` LIMIT @limit`, args).Scan(&rows).Error
	return rows, translate(err, "own photos")
}

// VisiblePhotoByGUID finds a photo by GUID that the viewer may see (its
// post is visible to them, or it is pending and theirs), or ErrNotFound.
func (s *Store) VisiblePhotoByGUID(ctx context.Context, v Viewer, guid string) (*Photo, error) {
	var p Photo
	err := s.conn(ctx).Raw(`SELECT ph.* FROM photos ph WHERE ph.guid = @guid AND `+photoVisibleSQL,
		v.args(map[string]any{"guid": guid})).Scan(&p).Error
	if err == nil && p.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	return &p, translate(err, "photo")
}
