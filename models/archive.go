package models

import (
	"context"
	"time"
)

// Data exports and archive imports (migration 00013): the export rows and
// the batched reads that stream a user's data into an archive, and the
// record of imported archives.

// Export states.
const (
	ExportQueued  = "queued"
	ExportRunning = "running"
	ExportReady   = "ready"
	ExportFailed  = "failed"
)

// ArchiveExport is a user's data export: its progress and, once ready,
// the media keys of its files.
type ArchiveExport struct {
	ID          int64
	UserID      int64
	State       string
	Done        int
	Total       int
	ArchiveKey  string
	ArchiveSize int64
	PhotosKey   string
	PhotosSize  int64
	PhotosCount int
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  *time.Time
}

// TableName implements gorm's tabler.
func (ArchiveExport) TableName() string { return "archive_exports" }

// ExportOf returns a user's export (ErrNotFound when there is none).
func (s *Store) ExportOf(ctx context.Context, userID int64) (*ArchiveExport, error) {
	var e ArchiveExport
	err := s.conn(ctx).Where("user_id = ?", userID).Take(&e).Error
	return &e, translate(err, "export")
}

// ExportByID returns an export by ID.
func (s *Store) ExportByID(ctx context.Context, id int64) (*ArchiveExport, error) {
	var e ArchiveExport
	err := s.conn(ctx).Where("id = ?", id).Take(&e).Error
	return &e, translate(err, "export")
}

// QueueExport makes the user's export row queued afresh and returns it
// with the previous row (nil when there was none), whose files the caller
// deletes. The row is locked for the caller's transaction.
func (s *Store) QueueExport(ctx context.Context, userID int64) (fresh, previous *ArchiveExport, err error) {
	var old ArchiveExport
	err = s.conn(ctx).Raw(`SELECT * FROM archive_exports WHERE user_id = ? FOR UPDATE`, userID).Scan(&old).Error
	if err != nil {
		return nil, nil, translate(err, "export")
	}
	if old.ID != 0 {
		previous = &old
		if err := s.conn(ctx).Exec(`DELETE FROM archive_exports WHERE id = ?`, old.ID).Error; err != nil {
			return nil, nil, translate(err, "export")
		}
	}
	fresh = &ArchiveExport{UserID: userID, State: ExportQueued}
	if err := s.conn(ctx).Omit("ID", "FinishedAt").Create(fresh).Error; err != nil {
		return nil, nil, translate(err, "queue export")
	}
	return fresh, previous, nil
}

// SetExportProgress records how far an export got.
func (s *Store) SetExportProgress(ctx context.Context, id int64, state string, done, total int) error {
	return translate(s.conn(ctx).Exec(`UPDATE archive_exports SET state = ?, done = ?, total = ?, updated_at = now() WHERE id = ?`,
		state, done, total, id).Error, "export progress")
}

// FinishExport marks an export ready with its files.
func (s *Store) FinishExport(ctx context.Context, e *ArchiveExport) error {
	return translate(s.conn(ctx).Exec(`UPDATE archive_exports SET state = 'ready', done = total, archive_key = ?, archive_size = ?,
		photos_key = ?, photos_size = ?, photos_count = ?, error = '', updated_at = now(), finished_at = now() WHERE id = ?`,
		e.ArchiveKey, e.ArchiveSize, e.PhotosKey, e.PhotosSize, e.PhotosCount, e.ID).Error, "finish export")
}

// FailExport marks an export failed with a message for its user.
func (s *Store) FailExport(ctx context.Context, id int64, msg string) error {
	return translate(s.conn(ctx).Exec(`UPDATE archive_exports SET state = 'failed', error = ?, updated_at = now(), finished_at = now() WHERE id = ?`,
		msg, id).Error, "fail export")
}

// ExpiredExports lists exports to delete with their files: those finished
// before t, and every export of a closed account (its data is being
// deleted), oldest first.
func (s *Store) ExpiredExports(ctx context.Context, t time.Time, limit int) ([]ArchiveExport, error) {
	var rows []ArchiveExport
	err := s.conn(ctx).Raw(`SELECT e.* FROM archive_exports e WHERE e.finished_at IS NOT NULL AND e.finished_at < ?
		UNION ALL
		SELECT e.* FROM archive_exports e JOIN people p ON p.owner_id = e.user_id
		WHERE p.closed_account AND NOT (e.finished_at IS NOT NULL AND e.finished_at < ?)
		ORDER BY finished_at NULLS FIRST LIMIT ?`, t, t, limit).Scan(&rows).Error
	return rows, translate(err, "expired exports")
}

// DeleteExport deletes an export row.
func (s *Store) DeleteExport(ctx context.Context, id int64) error {
	return translate(s.conn(ctx).Exec(`DELETE FROM archive_exports WHERE id = ?`, id).Error, "delete export")
}

// ArchivePost is one of a user's posts as an archive carries it.
type ArchivePost struct {
	Post
	RootAuthor *string // a reshare's root author (diaspora ID)
}

// OwnPostsBefore returns up to limit posts of author older than the
// cursor (all from the newest when first), newest first: keyset batches
// over posts_author_created_idx.
func (s *Store) OwnPostsBefore(ctx context.Context, authorID int64, c Cursor, first bool, limit int) ([]ArchivePost, error) {
	var rows []ArchivePost
	err := s.conn(ctx).Raw(`SELECT p.*, rp.diaspora_id AS root_author FROM posts p
		LEFT JOIN posts r ON r.id = p.root_id LEFT JOIN people rp ON rp.id = r.author_id
		WHERE p.author_id = @author AND (@first OR (p.created_at, p.id) < (@t, @id))
		ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`,
		map[string]any{"author": authorID, "first": first, "t": c.Time, "id": c.ID, "limit": limit}).Scan(&rows).Error
	return rows, translate(err, "own posts")
}

// OwnPostIDsBefore is OwnPostsBefore for the IDs (and cursors) only.
func (s *Store) OwnPostIDsBefore(ctx context.Context, authorID int64, c Cursor, first bool, limit int) ([]Cursor, error) {
	var rows []struct {
		ID        int64
		CreatedAt time.Time
	}
	err := s.conn(ctx).Raw(`SELECT p.id, p.created_at FROM posts p
		WHERE p.author_id = @author AND (@first OR (p.created_at, p.id) < (@t, @id))
		ORDER BY p.created_at DESC, p.id DESC LIMIT @limit`,
		map[string]any{"author": authorID, "first": first, "t": c.Time, "id": c.ID, "limit": limit}).Scan(&rows).Error
	out := make([]Cursor, len(rows))
	for i, r := range rows {
		out[i] = Cursor{Time: r.CreatedAt, ID: r.ID}
	}
	return out, translate(err, "own post ids")
}

// CountOwnPosts counts a person's posts.
func (s *Store) CountOwnPosts(ctx context.Context, authorID int64) (int, error) {
	var n int
	err := s.conn(ctx).Raw(`SELECT count(*) FROM posts WHERE author_id = ?`, authorID).Scan(&n).Error
	return n, translate(err, "count posts")
}

// AudienceIDsOfPosts returns the diaspora IDs in the audience snapshot of
// each of the given posts.
func (s *Store) AudienceIDsOfPosts(ctx context.Context, postIDs []int64) (map[int64][]string, error) {
	var rows []struct {
		PostID     int64
		DiasporaID string
	}
	err := s.conn(ctx).Raw(`SELECT a.post_id, pe.diaspora_id FROM post_audiences a JOIN people pe ON pe.id = a.person_id
		WHERE a.post_id IN ? ORDER BY a.post_id, pe.diaspora_id`, postIDs).Scan(&rows).Error
	out := make(map[int64][]string, len(postIDs))
	for _, r := range rows {
		out[r.PostID] = append(out[r.PostID], r.DiasporaID)
	}
	return out, translate(err, "audience ids")
}

// ContactPodURLs returns the URLs of the pods of a user's remote contacts.
func (s *Store) ContactPodURLs(ctx context.Context, userID int64) ([]string, error) {
	var urls []string
	err := s.conn(ctx).Raw(`SELECT DISTINCT po.url FROM contacts c JOIN people pe ON pe.id = c.person_id
		JOIN pods po ON lower(po.host) = lower(pe.pod_host) WHERE c.user_id = ? AND pe.owner_id IS NULL ORDER BY po.url`, userID).Scan(&urls).Error
	return urls, translate(err, "contact pods")
}

// ArchiveContact is a contact as an archive carries it.
type ArchiveContact struct {
	ContactID  int64
	Sharing    bool
	Receiving  bool
	GUID       string `gorm:"column:guid"`
	DiasporaID string
	PublicKey  string
	FirstName  string
	LastName   string
}

// ArchiveContacts returns a user's contacts with their people.
func (s *Store) ArchiveContacts(ctx context.Context, userID int64) ([]ArchiveContact, error) {
	var rows []ArchiveContact
	err := s.conn(ctx).Raw(`SELECT c.id AS contact_id, c.sharing, c.receiving, pe.guid, pe.diaspora_id,
		pe.serialized_public_key AS public_key, COALESCE(pr.first_name, '') AS first_name, COALESCE(pr.last_name, '') AS last_name
		FROM contacts c JOIN people pe ON pe.id = c.person_id LEFT JOIN profiles pr ON pr.person_id = pe.id
		WHERE c.user_id = ? ORDER BY c.id`, userID).Scan(&rows).Error
	return rows, translate(err, "archive contacts")
}

// ArchiveMemberships returns the aspect names of each of a user's contacts.
func (s *Store) ArchiveMemberships(ctx context.Context, userID int64) (map[int64][]string, error) {
	var rows []struct {
		ContactID int64
		Name      string
	}
	err := s.conn(ctx).Raw(`SELECT m.contact_id, a.name FROM aspect_memberships m JOIN aspects a ON a.id = m.aspect_id
		WHERE a.user_id = ? ORDER BY m.contact_id, a.order_id, a.id`, userID).Scan(&rows).Error
	out := map[int64][]string{}
	for _, r := range rows {
		out[r.ContactID] = append(out[r.ContactID], r.Name)
	}
	return out, translate(err, "archive memberships")
}

// ArchiveRelayable is a comment, like or poll vote as an archive carries
// it: its own fields and the GUIDs of what it belongs to.
type ArchiveRelayable struct {
	ID             int64
	Kind           string // "comment", "like", "poll_participation"
	GUID           string `gorm:"column:guid"`
	AuthorID       string // diaspora ID
	ParentGUID     string `gorm:"column:parent_guid"`
	ParentType     string // likes: "Post" or "Comment"
	Text           string
	Positive       bool
	PollAnswerGUID string  `gorm:"column:poll_answer_guid"`
	SignedXML      *string `gorm:"column:signed_xml"`
	CreatedAt      time.Time
}

// OwnRelayablesAfter returns up to limit of the person's own comments,
// likes or poll votes (kind) with IDs above afterID, on posts the user may
// still see (visibleSQL), in ID order.
func (s *Store) OwnRelayablesAfter(ctx context.Context, v Viewer, kind string, afterID int64, limit int) ([]ArchiveRelayable, error) {
	return s.relayablesAfter(ctx, kind, `x.author_id = @vperson AND `+visibleSQL, v.args(map[string]any{"after": afterID, "limit": limit}))
}

// OthersRelayablesOfPosts returns the comments, likes or poll votes
// (kind) by other people than personID on the given posts (the person's
// own), in ID order.
func (s *Store) OthersRelayablesOfPosts(ctx context.Context, personID int64, kind string, postIDs []int64) ([]ArchiveRelayable, error) {
	args := map[string]any{"vperson": personID, "posts": postIDs, "after": 0, "limit": 1 << 30}
	// Each form reaches its rows through an index on the parent:
	// comments_post_idx, likes_post_author_idx (likes of posts),
	// likes_comment_author_idx (likes of comments), polls by post.
	switch kind {
	case "comment":
		return s.relayablesAfter(ctx, kind, `x.post_id IN @posts AND x.author_id <> @vperson`, args)
	case "like":
		onPosts, err := s.relayablesAfter(ctx, kind, `x.comment_id IS NULL AND x.post_id IN @posts AND x.author_id <> @vperson`, args)
		if err != nil {
			return nil, err
		}
		onComments, err := s.relayablesAfter(ctx, kind, `x.comment_id IN (SELECT c2.id FROM comments c2 WHERE c2.post_id IN @posts)
			AND x.author_id <> @vperson`, args)
		return append(onPosts, onComments...), err
	}
	return s.relayablesAfter(ctx, kind, `pl.post_id IN @posts AND x.author_id <> @vperson`, args)
}

func (s *Store) relayablesAfter(ctx context.Context, kind, where string, args map[string]any) ([]ArchiveRelayable, error) {
	var q string
	switch kind {
	case "comment":
		q = `SELECT x.id, 'comment' AS kind, x.guid, a.diaspora_id AS author_id, p.guid AS parent_guid, 'Post' AS parent_type,
			x.text, true AS positive, '' AS poll_answer_guid, x.signed_xml, x.created_at
			FROM comments x JOIN posts p ON p.id = x.post_id JOIN people a ON a.id = x.author_id`
	case "like":
		q = `SELECT x.id, 'like' AS kind, x.guid, a.diaspora_id AS author_id, COALESCE(c.guid, p.guid) AS parent_guid,
			CASE WHEN x.comment_id IS NULL THEN 'Post' ELSE 'Comment' END AS parent_type, '' AS text, x.positive,
			'' AS poll_answer_guid, x.signed_xml, x.created_at
			FROM likes x JOIN posts p ON p.id = x.post_id LEFT JOIN comments c ON c.id = x.comment_id JOIN people a ON a.id = x.author_id`
	case "poll_participation":
		q = `SELECT x.id, 'poll_participation' AS kind, x.guid, a.diaspora_id AS author_id, pl.guid AS parent_guid, 'Poll' AS parent_type,
			'' AS text, true AS positive, pa.guid AS poll_answer_guid, x.signed_xml, x.created_at
			FROM poll_participations x JOIN polls pl ON pl.id = x.poll_id JOIN posts p ON p.id = pl.post_id
			JOIN poll_answers pa ON pa.id = x.poll_answer_id JOIN people a ON a.id = x.author_id`
	default:
		return nil, translate(ErrNotFound, "relayable kind "+kind)
	}
	var rows []ArchiveRelayable
	err := s.conn(ctx).Raw(q+` WHERE x.id > @after AND `+where+` ORDER BY x.id LIMIT @limit`, args).Scan(&rows).Error
	return rows, translate(err, "archive "+kind)
}

// SubscribedPostGUIDs returns the GUIDs of other people's posts the person
// takes part in (participations) that the user may still see.
func (s *Store) SubscribedPostGUIDs(ctx context.Context, v Viewer) ([]string, error) {
	var guids []string
	err := s.conn(ctx).Raw(`SELECT p.guid FROM participations pt JOIN posts p ON p.id = pt.post_id
		WHERE pt.person_id = @vperson AND p.author_id <> @vperson AND `+visibleSQL+` ORDER BY p.id`, v.args(nil)).Scan(&guids).Error
	return guids, translate(err, "subscriptions")
}

// FollowedTagNames returns the names of the tags a user follows.
func (s *Store) FollowedTagNames(ctx context.Context, userID int64) ([]string, error) {
	var names []string
	err := s.conn(ctx).Raw(`SELECT t.name FROM tag_followings f JOIN tags t ON t.id = f.tag_id WHERE f.user_id = ? ORDER BY t.name`,
		userID).Scan(&names).Error
	return names, translate(err, "followed tags")
}

// BlockedIDs returns the diaspora IDs of the people a user ignores.
func (s *Store) BlockedIDs(ctx context.Context, userID int64) ([]string, error) {
	var ids []string
	err := s.conn(ctx).Raw(`SELECT pe.diaspora_id FROM blocks b JOIN people pe ON pe.id = b.person_id WHERE b.user_id = ? ORDER BY b.id`,
		userID).Scan(&ids).Error
	return ids, translate(err, "blocked ids")
}

// ReadyPhotosAfter returns up to limit ready photos of a person with IDs
// above afterID, in ID order.
func (s *Store) ReadyPhotosAfter(ctx context.Context, authorID, afterID int64, limit int) ([]Photo, error) {
	var rows []Photo
	err := s.conn(ctx).Where("author_id = ? AND state = ? AND id > ?", authorID, PhotoReady, afterID).Order("id").Limit(limit).Find(&rows).Error
	return rows, translate(err, "ready photos")
}

// ArchiveImport records an archive imported into an account.
type ArchiveImport struct {
	ID            int64
	UserID        int64
	OldDiasporaID string
	OldPersonID   *int64
	Signature     string
	CreatedAt     time.Time
}

// TableName implements gorm's tabler.
func (ArchiveImport) TableName() string { return "archive_imports" }

// CreateArchiveImport records an import; a second import of the same old
// identity is ErrConflict.
func (s *Store) CreateArchiveImport(ctx context.Context, i *ArchiveImport) error {
	return translate(s.conn(ctx).Omit("ID", "CreatedAt").Create(i).Error, "archive import")
}

// ArchiveImportByID returns an import record.
func (s *Store) ArchiveImportByID(ctx context.Context, id int64) (*ArchiveImport, error) {
	var i ArchiveImport
	err := s.conn(ctx).Where("id = ?", id).Take(&i).Error
	return &i, translate(err, "archive import")
}

// ArchiveImported reports whether an archive of the identity was imported.
func (s *Store) ArchiveImported(ctx context.Context, oldDiasporaID string) (bool, error) {
	var n int64
	err := s.conn(ctx).Raw(`SELECT count(*) FROM archive_imports WHERE lower(old_diaspora_id) = lower(?)`, oldDiasporaID).Scan(&n).Error
	return n > 0, translate(err, "archive imported")
}
