package models

import (
	"context"
	"fmt"
	"time"
)

// Private conversations (migration 00011): a conversation with a fixed
// set of participants (one conversation_visibilities row each, local or
// remote) and its messages. Only participants may read one; the queries
// below that show a conversation all take the viewer and check that they
// are a participant in the same statement.

// Conversation is a private conversation.
type Conversation struct {
	ID            int64
	GUID          string `gorm:"column:guid"`
	AuthorID      int64
	Subject       string
	CreatedAt     time.Time
	LastMessageAt time.Time
}

// Message is one message of a conversation.
type Message struct {
	ID             int64
	GUID           string `gorm:"column:guid"`
	ConversationID int64
	AuthorID       int64
	Text           string
	TextHTML       string `gorm:"column:text_html"`
	CreatedAt      time.Time
}

// ConversationVisibility is one participant of a conversation: their
// unread count and whether they hid the conversation.
type ConversationVisibility struct {
	ID             int64
	ConversationID int64
	PersonID       int64
	Unread         int
	Hidden         bool
	LastMessageAt  time.Time
}

// LocalParticipant is a participant who is a user of this pod.
type LocalParticipant struct {
	UserID   int64
	PersonID int64
}

// CreateConversation inserts a conversation and one visibility per
// participant (the author among them); a GUID taken already is ErrConflict.
func (s *Store) CreateConversation(ctx context.Context, c *Conversation, participants []int64) error {
	if err := s.conn(ctx).Create(c).Error; err != nil {
		return translate(err, "create conversation")
	}
	vs := make([]ConversationVisibility, 0, len(participants))
	seen := map[int64]bool{}
	for _, p := range participants {
		if !seen[p] {
			seen[p] = true
			vs = append(vs, ConversationVisibility{ConversationID: c.ID, PersonID: p, LastMessageAt: c.LastMessageAt})
		}
	}
	if len(vs) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Create(&vs).Error, "conversation participants")
}

// ConversationByGUID finds a conversation by GUID, whoever takes part.
func (s *Store) ConversationByGUID(ctx context.Context, guid string) (*Conversation, error) {
	var c Conversation
	err := s.conn(ctx).Where("guid = ?", guid).Take(&c).Error
	return &c, translate(err, "conversation")
}

// ConversationByID finds a conversation by ID, whoever takes part
// (federation only; pages use ConversationFor).
func (s *Store) ConversationByID(ctx context.Context, id int64) (*Conversation, error) {
	var c Conversation
	err := s.conn(ctx).Where("id = ?", id).Take(&c).Error
	return &c, translate(err, "conversation")
}

// ConversationFor finds a conversation that the local user v takes part
// in and may see: not started by someone they ignore. Anything else is
// ErrNotFound.
func (s *Store) ConversationFor(ctx context.Context, v Viewer, id int64) (*Conversation, *ConversationVisibility, error) {
	var c Conversation
	err := s.conn(ctx).Raw(`SELECT c.* FROM conversations c JOIN conversation_visibilities cv ON cv.conversation_id = c.id AND cv.person_id = ?
		WHERE c.id = ? AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ? AND b.person_id = c.author_id)`,
		v.PersonID, id, v.UserID).Take(&c).Error
	if err != nil {
		return nil, nil, translate(err, "conversation")
	}
	var cv ConversationVisibility
	err = s.conn(ctx).Where("conversation_id = ? AND person_id = ?", id, v.PersonID).Take(&cv).Error
	return &c, &cv, translate(err, "conversation visibility")
}

// IsParticipant reports whether a person takes part in a conversation.
func (s *Store) IsParticipant(ctx context.Context, conversationID, personID int64) (bool, error) {
	var n int64
	err := s.conn(ctx).Model(&ConversationVisibility{}).Where("conversation_id = ? AND person_id = ?", conversationID, personID).Count(&n).Error
	return n > 0, translate(err, "is participant")
}

// ConversationParticipants lists the participants of conversations, by conversation,
// ordered by diaspora ID.
func (s *Store) ConversationParticipants(ctx context.Context, ids []int64) (map[int64][]PersonRow, error) {
	out := map[int64][]PersonRow{}
	if len(ids) == 0 {
		return out, nil
	}
	type row struct {
		ConversationID int64
		PersonRow
	}
	var rows []row
	err := s.conn(ctx).Raw(`SELECT cv.conversation_id, `+personRowCols+` FROM conversation_visibilities cv
		JOIN people p ON p.id = cv.person_id LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE cv.conversation_id IN ? ORDER BY cv.conversation_id, lower(p.diaspora_id)`, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.ConversationID] = append(out[r.ConversationID], r.PersonRow)
	}
	return out, translate(err, "participants")
}

// ConversationRow is a conversation in a participant's list: their
// unread count and the newest message they may see.
type ConversationRow struct {
	Conversation
	Unread          int
	LastText        *string
	LastAuthorID    *int64
	LastMessageGUID *string `gorm:"column:last_message_guid"`
}

// ConversationsOf lists the conversations the local user v takes part in
// and has not hidden, newest last message first, strictly before the
// cursor (keyset on last_message_at, id). Conversations started by people
// the user ignores are left out, and so are their messages.
func (s *Store) ConversationsOf(ctx context.Context, v Viewer, before Cursor, limit int) ([]ConversationRow, error) {
	t, id := before.args()
	var rows []ConversationRow
	err := s.conn(ctx).Raw(`SELECT c.id, c.guid, c.author_id, c.subject, c.created_at, cv.last_message_at, cv.unread,
		lm.text AS last_text, lm.author_id AS last_author_id, lm.guid AS last_message_guid
		FROM conversation_visibilities cv JOIN conversations c ON c.id = cv.conversation_id
		LEFT JOIN LATERAL (SELECT m.text, m.author_id, m.guid FROM messages m WHERE m.conversation_id = c.id
			AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @user AND b.person_id = m.author_id)
			ORDER BY m.created_at DESC, m.guid DESC LIMIT 1) lm ON true
		WHERE cv.person_id = @person AND NOT cv.hidden AND (cv.last_message_at, cv.conversation_id) < (@t, @id)
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @user AND b.person_id = c.author_id)
		ORDER BY cv.last_message_at DESC, cv.conversation_id DESC LIMIT @limit`,
		map[string]any{"user": v.UserID, "person": v.PersonID, "t": t, "id": id, "limit": limit}).Scan(&rows).Error
	return rows, translate(err, "conversations")
}

// MessageRow is a message with its author.
type MessageRow struct {
	Message
	AuthorGUID       string `gorm:"column:author_guid"`
	AuthorDiasporaID string
	AuthorFirstName  string
	AuthorLastName   string
	AuthorImage      string
	AuthorImageSmall string
	AuthorImageMed   string
}

// MessageCursor is a keyset position among a conversation's messages,
// which are ordered by time and then GUID (the same on every pod).
type MessageCursor struct {
	Time time.Time
	GUID string
}

// MessagesFor lists up to limit messages of a conversation the local user
// v may read (the caller checked they take part), newest first, strictly
// before the cursor (zero: from the newest); messages by people v ignores
// are left out.
func (s *Store) MessagesFor(ctx context.Context, v Viewer, conversationID int64, before MessageCursor, limit int) ([]MessageRow, error) {
	t, g := before.Time, before.GUID
	if t.IsZero() {
		t, g = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), ""
	}
	var rows []MessageRow
	err := s.conn(ctx).Raw(`SELECT m.*, p.guid AS author_guid, p.diaspora_id AS author_diaspora_id,
		COALESCE(pr.first_name, '') AS author_first_name, COALESCE(pr.last_name, '') AS author_last_name,
		COALESCE(pr.image_url, '') AS author_image, COALESCE(pr.image_url_small, '') AS author_image_small,
		COALESCE(pr.image_url_medium, '') AS author_image_med
		FROM messages m JOIN people p ON p.id = m.author_id LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE m.conversation_id = @c AND (m.created_at, m.guid) < (@t, @g)
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @user AND b.person_id = m.author_id)
		ORDER BY m.created_at DESC, m.guid DESC LIMIT @limit`,
		map[string]any{"c": conversationID, "user": v.UserID, "t": t, "g": g, "limit": limit}).Scan(&rows).Error
	return rows, translate(err, "messages")
}

// MessageByGUID finds a message by GUID.
func (s *Store) MessageByGUID(ctx context.Context, guid string) (*Message, error) {
	var m Message
	err := s.conn(ctx).Where("guid = ?", guid).Take(&m).Error
	return &m, translate(err, "message")
}

// MessageByID finds a message by ID.
func (s *Store) MessageByID(ctx context.Context, id int64) (*Message, error) {
	var m Message
	err := s.conn(ctx).Where("id = ?", id).Take(&m).Error
	return &m, translate(err, "message")
}

// MessagesOfConversation lists a conversation's first messages by its
// author, oldest first (what a conversation entity carries), at most limit.
func (s *Store) MessagesOfConversation(ctx context.Context, c *Conversation, limit int) ([]Message, error) {
	var ms []Message
	err := s.conn(ctx).Where("conversation_id = ? AND author_id = ?", c.ID, c.AuthorID).
		Order("created_at, guid").Limit(limit).Find(&ms).Error
	return ms, translate(err, "messages of conversation")
}

// AddMessage inserts a message (a GUID taken already is ErrConflict) and
// moves the conversation up in its participants' lists: every participant
// who does not ignore the author sees it as their newest, and its local
// participants other than the author get one more unread message and see
// the conversation again if they had hidden it. It returns those local
// participants, who are to be notified.
func (s *Store) AddMessage(ctx context.Context, m *Message) ([]LocalParticipant, error) {
	if err := s.conn(ctx).Create(m).Error; err != nil {
		return nil, translate(err, "add message")
	}
	if err := s.conn(ctx).Exec(`UPDATE conversations SET last_message_at = GREATEST(last_message_at, ?) WHERE id = ?`,
		m.CreatedAt, m.ConversationID).Error; err != nil {
		return nil, translate(err, "add message")
	}
	notIgnoring := `NOT EXISTS (SELECT 1 FROM people o JOIN blocks b ON b.user_id = o.owner_id
		WHERE o.id = cv.person_id AND b.person_id = @author)`
	args := map[string]any{"c": m.ConversationID, "author": m.AuthorID, "at": m.CreatedAt}
	if err := s.conn(ctx).Exec(`UPDATE conversation_visibilities cv SET last_message_at = GREATEST(cv.last_message_at, @at)
		WHERE cv.conversation_id = @c AND `+notIgnoring, args).Error; err != nil {
		return nil, translate(err, "add message")
	}
	if err := s.conn(ctx).Exec(`UPDATE conversation_visibilities cv SET hidden = false
		WHERE cv.conversation_id = @c AND cv.person_id = @author`, args).Error; err != nil {
		return nil, translate(err, "add message")
	}
	var out []LocalParticipant
	err := s.conn(ctx).Raw(`UPDATE conversation_visibilities cv SET unread = cv.unread + 1, hidden = false
		FROM people p WHERE p.id = cv.person_id AND p.owner_id IS NOT NULL
		AND cv.conversation_id = @c AND cv.person_id <> @author AND `+notIgnoring+`
		RETURNING p.owner_id AS user_id, p.id AS person_id`, args).Scan(&out).Error
	return out, translate(err, "add message")
}

// ReadConversation marks a conversation read for a local participant: no
// unread messages, and their private_message notifications about it read.
func (s *Store) ReadConversation(ctx context.Context, v Viewer, conversationID int64) error {
	if err := s.conn(ctx).Exec(`UPDATE conversation_visibilities SET unread = 0 WHERE conversation_id = ? AND person_id = ? AND unread <> 0`,
		conversationID, v.PersonID).Error; err != nil {
		return translate(err, "read conversation")
	}
	return translate(s.conn(ctx).Exec(`UPDATE notifications SET unread = false WHERE user_id = ? AND conversation_id = ? AND unread`,
		v.UserID, conversationID).Error, "read conversation")
}

// HideConversation hides a conversation from a participant's list ("delete"
// on diaspora*): it shows again when someone writes in it.
func (s *Store) HideConversation(ctx context.Context, v Viewer, conversationID int64) error {
	res := s.conn(ctx).Exec(`UPDATE conversation_visibilities SET hidden = true, unread = 0 WHERE conversation_id = ? AND person_id = ?`,
		conversationID, v.PersonID)
	if err := rowsOrNotFound(res.Error, res.RowsAffected, "hide conversation"); err != nil {
		return err
	}
	return translate(s.conn(ctx).Exec(`UPDATE notifications SET unread = false WHERE user_id = ? AND conversation_id = ? AND unread`,
		v.UserID, conversationID).Error, "hide conversation")
}

// UnreadMessages counts a local participant's unread messages in the
// conversations they see: not hidden, not started by someone they ignore.
func (s *Store) UnreadMessages(ctx context.Context, v Viewer) (int, error) {
	var n int
	err := s.conn(ctx).Raw(`SELECT COALESCE(sum(cv.unread), 0) FROM conversation_visibilities cv JOIN conversations c ON c.id = cv.conversation_id
		WHERE cv.person_id = ? AND cv.unread > 0 AND NOT cv.hidden
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = ? AND b.person_id = c.author_id)`,
		v.PersonID, v.UserID).Row().Scan(&n)
	return n, translate(err, "unread messages")
}

// NotifyPrivateMessage records a private_message notification for a local
// user: one per sender, unread again with each new message, leading to the
// sender's newest conversation with the user.
func (s *Store) NotifyPrivateMessage(ctx context.Context, userID, senderID, conversationID int64) error {
	var id int64
	err := s.conn(ctx).Raw(`INSERT INTO notifications (user_id, type, post_id, person_id, conversation_id, unread, created_at, updated_at)
		VALUES (?, ?, NULL, ?, ?, true, now(), now())
		ON CONFLICT (user_id, type, COALESCE(post_id, 0), COALESCE(person_id, 0), COALESCE(comment_id, 0))
		DO UPDATE SET unread = true, updated_at = now(), conversation_id = EXCLUDED.conversation_id RETURNING id`,
		userID, NotifyPrivateMessage, senderID, conversationID).Row().Scan(&id)
	if err != nil {
		return translate(err, "notify private message")
	}
	return translate(s.conn(ctx).Exec(`INSERT INTO notification_actors (notification_id, person_id) VALUES (?, ?)
		ON CONFLICT (notification_id, person_id) DO UPDATE SET created_at = now()`, id, senderID).Error, "notify private message")
}

// MutualContacts returns which of the given people share with the user
// and the user shares with (mutual contacts).
func (s *Store) MutualContacts(ctx context.Context, userID int64, personIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(personIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT person_id FROM contacts WHERE user_id = ? AND sharing AND receiving AND person_id IN ?`,
		userID, personIDs).Scan(&ids).Error
	for _, id := range ids {
		out[id] = true
	}
	return out, translate(err, "mutual contacts")
}

// MutualContactPeople lists up to limit of the user's mutual contacts,
// by name (the new conversation form's choice of recipients).
func (s *Store) MutualContactPeople(ctx context.Context, userID int64, limit int) ([]PersonRow, error) {
	var rows []PersonRow
	err := s.conn(ctx).Raw(`SELECT `+personRowCols+` FROM contacts c JOIN people p ON p.id = c.person_id
		LEFT JOIN profiles pr ON pr.person_id = p.id
		WHERE c.user_id = ? AND c.sharing AND c.receiving AND NOT p.closed_account
		ORDER BY lower(COALESCE(NULLIF(trim(pr.first_name || ' ' || pr.last_name), ''), p.diaspora_id)), p.id LIMIT ?`,
		userID, limit).Scan(&rows).Error
	return rows, translate(err, "mutual contact people")
}

// LocalParticipants lists the local participants of a conversation.
func (s *Store) LocalParticipants(ctx context.Context, conversationID int64) ([]LocalParticipant, error) {
	var out []LocalParticipant
	err := s.conn(ctx).Raw(`SELECT p.owner_id AS user_id, p.id AS person_id FROM conversation_visibilities cv
		JOIN people p ON p.id = cv.person_id WHERE cv.conversation_id = ? AND p.owner_id IS NOT NULL`, conversationID).Scan(&out).Error
	return out, translate(err, "local participants")
}

// ParticipantIDs lists the person IDs of a conversation's participants.
func (s *Store) ParticipantIDs(ctx context.Context, conversationID int64) ([]int64, error) {
	var ids []int64
	err := s.conn(ctx).Raw(`SELECT person_id FROM conversation_visibilities WHERE conversation_id = ? ORDER BY person_id`, conversationID).Scan(&ids).Error
	if err == nil && len(ids) == 0 {
		return nil, fmt.Errorf("participants of conversation %d: %w", conversationID, ErrNotFound)
	}
	return ids, translate(err, "participant ids")
}
