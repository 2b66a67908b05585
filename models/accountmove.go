package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Accounts that move (a received account_migration) or close (a local
// user's deletion, a received account_deletion). Tables: migration 00014.

// AccountMigration records that OldPersonID moved to NewPersonID.
type AccountMigration struct {
	OldPersonID     int64
	NewPersonID     int64
	RemotePhotoPath string
	CreatedAt       time.Time
}

// MigrationOf returns the move of a person, ErrNotFound if they never moved.
func (s *Store) MigrationOf(ctx context.Context, oldPersonID int64) (*AccountMigration, error) {
	var m AccountMigration
	err := s.conn(ctx).Where("old_person_id = ?", oldPersonID).Take(&m).Error
	return &m, translate(err, "account migration")
}

// maxMigrationChain bounds how many moves NewestPerson follows.
const maxMigrationChain = 16

// NewestPerson follows a person's moves to the identity they use now: the
// person itself when they never moved.
func (s *Store) NewestPerson(ctx context.Context, personID int64) (*Person, error) {
	id := personID
	for i := 0; i < maxMigrationChain; i++ {
		m, err := s.MigrationOf(ctx, id)
		if errors.Is(err, ErrNotFound) {
			break
		} else if err != nil {
			return nil, err
		}
		id = m.NewPersonID
	}
	return s.PersonByID(ctx, id)
}

// RecordMigration stores a move and closes the old person: their account is
// marked closed and their profile emptied (diaspora*'s tombstone), so their
// pages and discovery lead to the new identity. A second move of the same
// person is ErrConflict.
func (s *Store) RecordMigration(ctx context.Context, m *AccountMigration) error {
	if err := s.conn(ctx).Create(m).Error; err != nil {
		return translate(err, "record account migration")
	}
	return s.tombstonePerson(ctx, m.OldPersonID)
}

// tombstonePerson closes a person and empties their profile.
func (s *Store) tombstonePerson(ctx context.Context, id int64) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	if err := s.conn(ctx).Exec(`UPDATE people SET closed_account = true, updated_at = now() WHERE id = ?`, id).Error; err != nil {
		return translate(err, "close person")
	}
	return translate(s.conn(ctx).Exec(`UPDATE profiles SET first_name = '', last_name = '', bio = '', location = '', gender = '',
		birthday = NULL, image_url = '', image_url_medium = '', image_url_small = '', searchable = false,
		public_details = false, nsfw = false, updated_at = now()
		WHERE person_id = ?`, id).Error, "empty profile")
}

// RepointContacts moves the local users' contacts with oldID (their flags
// and aspect memberships) and their blocks to newID, as diaspora* does on a
// migration: where a user already has a contact with newID the two merge
// (sharing and receiving are or-ed, memberships joined). A contact of the
// new person's own user (a local newID) with oldID is dropped: nobody is
// their own contact.
func (s *Store) RepointContacts(ctx context.Context, oldID, newID int64) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	args := map[string]any{"old": oldID, "new": newID}
	for _, q := range []string{
		`DELETE FROM contacts WHERE person_id = @old AND user_id = (SELECT owner_id FROM people WHERE id = @new)`,
		`DELETE FROM blocks WHERE person_id = @old AND user_id = (SELECT owner_id FROM people WHERE id = @new)`,
		`INSERT INTO aspect_memberships (aspect_id, contact_id)
			SELECT am.aspect_id, cn.id FROM contacts co
			JOIN contacts cn ON cn.user_id = co.user_id AND cn.person_id = @new
			JOIN aspect_memberships am ON am.contact_id = co.id
			WHERE co.person_id = @old
			ON CONFLICT DO NOTHING`,
		`UPDATE contacts cn SET sharing = cn.sharing OR co.sharing, receiving = cn.receiving OR co.receiving, updated_at = now()
			FROM contacts co WHERE co.person_id = @old AND cn.user_id = co.user_id AND cn.person_id = @new`,
		`DELETE FROM contacts co USING contacts cn WHERE co.person_id = @old AND cn.user_id = co.user_id AND cn.person_id = @new`,
		`UPDATE contacts SET person_id = @new, updated_at = now() WHERE person_id = @old`,
		`DELETE FROM blocks b USING blocks b2 WHERE b.person_id = @old AND b2.user_id = b.user_id AND b2.person_id = @new`,
		`UPDATE blocks SET person_id = @new WHERE person_id = @old`,
	} {
		if err := s.conn(ctx).Exec(q, args).Error; err != nil {
			return translate(err, "repoint contacts")
		}
	}
	return nil
}

// RepointContent moves everything else that names oldID to newID, as
// diaspora*'s AccountMigration#update_person_references does: posts (and
// their stream entries), photos, comments, likes, participations, poll and
// event answers, events, mentions, the audience snapshots of limited posts
// (so relays and retractions reach the new identity) and notification
// actors. Where newID already has the same row (a like of the same post, a
// vote in the same poll, ...) the old one is deleted and its counters
// adjusted, as diaspora*'s eliminate_person_duplicates does.
// remotePhotoPath, if set, is where the photos of oldID now live.
func (s *Store) RepointContent(ctx context.Context, oldID, newID int64, remotePhotoPath string) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	args := map[string]any{"old": oldID, "new": newID, "path": remotePhotoPath}
	for _, q := range []string{
		// One reshare per person and post.
		`WITH d AS (DELETE FROM posts p USING posts p2 WHERE p.author_id = @old AND p.type = 'Reshare'
				AND p2.author_id = @new AND p2.type = 'Reshare' AND p2.root_id = p.root_id RETURNING p.root_id)
			UPDATE posts r SET reshares_count = GREATEST(r.reshares_count - 1, 0) FROM d WHERE r.id = d.root_id AND r.author_id <> @old`,
		`UPDATE stream_entries SET author_id = @new WHERE post_id IN (SELECT id FROM posts WHERE author_id = @old)`,
		`UPDATE posts SET author_id = @new, updated_at = now() WHERE author_id = @old`,
		`UPDATE photos SET remote_photo_path = @path WHERE author_id = @old AND remote_photo_path <> '' AND @path <> ''`,
		`UPDATE photos SET author_id = @new WHERE author_id = @old`,
		`UPDATE comments SET author_id = @new, updated_at = now() WHERE author_id = @old`,
		// One like per person and post (or comment).
		`WITH d AS (DELETE FROM likes l USING likes l2 WHERE l.author_id = @old AND l2.author_id = @new
				AND l2.post_id = l.post_id AND l2.comment_id IS NOT DISTINCT FROM l.comment_id
				RETURNING l.post_id, l.comment_id, l.positive),
			c AS (UPDATE comments x SET likes_count = GREATEST(x.likes_count - 1, 0) FROM d
				WHERE d.comment_id = x.id AND d.positive)
			UPDATE posts x SET likes_count = GREATEST(x.likes_count - 1, 0) FROM d
				WHERE d.comment_id IS NULL AND d.post_id = x.id AND d.positive`,
		`UPDATE likes SET author_id = @new WHERE author_id = @old`,
		`DELETE FROM participations p USING participations p2 WHERE p.person_id = @old AND p2.person_id = @new AND p2.post_id = p.post_id`,
		`UPDATE participations SET person_id = @new WHERE person_id = @old`,
		// One vote per person and poll.
		`WITH d AS (DELETE FROM poll_participations v USING poll_participations v2 WHERE v.author_id = @old
				AND v2.author_id = @new AND v2.poll_id = v.poll_id RETURNING v.poll_answer_id)
			UPDATE poll_answers a SET vote_count = GREATEST(a.vote_count - 1, 0) FROM d WHERE a.id = d.poll_answer_id`,
		`UPDATE poll_participations SET author_id = @new WHERE author_id = @old`,
		`DELETE FROM event_participations e USING event_participations e2 WHERE e.author_id = @old AND e2.author_id = @new AND e2.event_id = e.event_id`,
		`UPDATE event_participations SET author_id = @new WHERE author_id = @old`,
		`UPDATE events SET author_id = @new WHERE author_id = @old`,
		`DELETE FROM mentions m USING mentions m2 WHERE m.person_id = @old AND m2.person_id = @new AND m2.post_id = m.post_id`,
		`UPDATE mentions SET person_id = @new WHERE person_id = @old`,
		`DELETE FROM post_audiences a USING post_audiences a2 WHERE a.person_id = @old AND a2.person_id = @new AND a2.post_id = a.post_id`,
		`UPDATE post_audiences SET person_id = @new WHERE person_id = @old`,
		`DELETE FROM notification_actors n USING notification_actors n2 WHERE n.person_id = @old AND n2.person_id = @new
			AND n2.notification_id = n.notification_id`,
		`UPDATE notification_actors SET person_id = @new WHERE person_id = @old`,
		`DELETE FROM notifications n USING notifications n2 WHERE n.person_id = @old AND n2.person_id = @new
			AND n2.user_id = n.user_id AND n2.type = n.type AND n2.post_id IS NOT DISTINCT FROM n.post_id
			AND n2.comment_id IS NOT DISTINCT FROM n.comment_id`,
		`UPDATE notifications SET person_id = @new WHERE person_id = @old`,
		// Conversations: the new identity takes the old one's place among
		// the participants (keeping the larger unread count where it was
		// in the conversation already) and authorship.
		`WITH d AS (DELETE FROM conversation_visibilities v USING conversation_visibilities v2 WHERE v.person_id = @old
				AND v2.person_id = @new AND v2.conversation_id = v.conversation_id RETURNING v.conversation_id, v.unread)
			UPDATE conversation_visibilities v SET unread = GREATEST(v.unread, d.unread) FROM d
			WHERE v.conversation_id = d.conversation_id AND v.person_id = @new`,
		`UPDATE conversation_visibilities SET person_id = @new WHERE person_id = @old`,
		`UPDATE conversations SET author_id = @new WHERE author_id = @old`,
		`UPDATE messages SET author_id = @new WHERE author_id = @old`,
	} {
		if err := s.conn(ctx).Exec(q, args).Error; err != nil {
			return translate(err, fmt.Sprintf("repoint content of person %d", oldID))
		}
	}
	return nil
}

// ContactsReceivingFrom lists the local users who share with a person
// (their contact with them is receiving), with those contacts.
func (s *Store) ContactsReceivingFrom(ctx context.Context, personID int64) ([]Contact, error) {
	var cs []Contact
	err := s.conn(ctx).Where("person_id = ? AND receiving", personID).Order("id").Find(&cs).Error
	return cs, translate(err, "contacts receiving")
}

// AccountDeletion is the progress of closing an account.
type AccountDeletion struct {
	PersonID     int64
	CreatedAt    time.Time
	DispatchedAt *time.Time
	PurgedAt     *time.Time
	CompletedAt  *time.Time
}

// AccountDeletionOf returns the deletion of a person, ErrNotFound if none.
func (s *Store) AccountDeletionOf(ctx context.Context, personID int64) (*AccountDeletion, error) {
	var d AccountDeletion
	err := s.conn(ctx).Where("person_id = ?", personID).Take(&d).Error
	return &d, translate(err, "account deletion")
}

// StartAccountDeletion records that a person's account closes: the person
// is closed at once (every page, search and delivery treats them as gone)
// and, for a local user, the account is locked. It reports false when the
// account was closed already (nothing is changed then).
func (s *Store) StartAccountDeletion(ctx context.Context, personID int64) (bool, error) {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	res := s.conn(ctx).Exec(`INSERT INTO account_deletions (person_id) VALUES (?) ON CONFLICT DO NOTHING`, personID)
	if res.Error != nil {
		return false, translate(res.Error, "start account deletion")
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	if err := s.conn(ctx).Exec(`UPDATE people SET closed_account = true, updated_at = now() WHERE id = ?`, personID).Error; err != nil {
		return false, translate(err, "close person")
	}
	err := s.conn(ctx).Exec(`UPDATE users SET locked = true, updated_at = now() WHERE id = (SELECT owner_id FROM people WHERE id = ?)`, personID).Error
	return true, translate(err, "lock user")
}

// AccountDeletionPods lists the remote pods that know a person, which the
// account_deletion goes to: the pods of the user's contacts (either
// direction), of everyone in the audience of, mentioned in, taking part in
// or resharing their posts, of the authors of the posts they commented on
// or liked, and every pod a post of theirs was delivered to (in the last
// month the delivery records are kept). One recipient per pod.
func (s *Store) AccountDeletionPods(ctx context.Context, personID int64) ([]int64, error) {
	var ids []int64
	err := s.conn(ctx).Raw(`
		WITH mine AS (SELECT id FROM posts WHERE author_id = @p),
		people_knowing AS (
			SELECT c.person_id AS id FROM contacts c JOIN people me ON me.owner_id = c.user_id WHERE me.id = @p
			UNION SELECT person_id FROM post_audiences WHERE post_id IN (SELECT id FROM mine)
			UNION SELECT person_id FROM mentions WHERE post_id IN (SELECT id FROM mine)
			UNION SELECT person_id FROM participations WHERE post_id IN (SELECT id FROM mine)
			UNION SELECT author_id FROM posts WHERE root_id IN (SELECT id FROM mine)
			UNION SELECT p.author_id FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.author_id = @p
			UNION SELECT p.author_id FROM likes l JOIN posts p ON p.id = l.post_id WHERE l.author_id = @p)
		SELECT po.id FROM pods po WHERE EXISTS (
				SELECT 1 FROM people pe JOIN people_knowing k ON k.id = pe.id
				WHERE pe.owner_id IS NULL AND lower(pe.pod_host) = lower(po.host))
			OR po.id IN (SELECT pod_id FROM deliveries WHERE post_id IN (SELECT id FROM mine))
		ORDER BY po.id`, map[string]any{"p": personID}).Scan(&ids).Error
	return ids, translate(err, "account deletion pods")
}

// PodRecipients lists one recipient per pod for pods by ID: enough for an
// entity sent on the public route, which goes to each pod once.
func (s *Store) PodRecipients(ctx context.Context, podIDs []int64) ([]RemoteRecipient, error) {
	if len(podIDs) == 0 {
		return nil, nil
	}
	var rows []RemoteRecipient
	err := s.conn(ctx).Raw(`SELECT po.id AS pod_id, po.host AS pod_host, po.url AS pod_url FROM pods po
		WHERE po.id IN @ids ORDER BY po.id`, map[string]any{"ids": podIDs}).Scan(&rows).Error
	return rows, translate(err, "pod recipients")
}

// DeletePostsOf deletes up to limit posts of a person with everything
// under them (comments, likes, photos, visibilities, stream entries: the
// foreign keys cascade) and returns how many it deleted. Posts they
// reshared lose the count.
func (s *Store) DeletePostsOf(ctx context.Context, personID int64, limit int) (int64, error) {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	var n int64
	err := s.conn(ctx).Raw(`
		WITH d AS (DELETE FROM posts WHERE id IN (SELECT id FROM posts WHERE author_id = @p ORDER BY id LIMIT @n)
				RETURNING root_id, type),
			r AS (SELECT root_id, count(*) AS n FROM d WHERE type = 'Reshare' AND root_id IS NOT NULL GROUP BY root_id),
			u AS (UPDATE posts x SET reshares_count = GREATEST(x.reshares_count - r.n, 0) FROM r
				WHERE x.id = r.root_id AND x.author_id <> @p RETURNING 1)
		SELECT count(*) FROM d`, map[string]any{"p": personID, "n": limit}).Row().Scan(&n)
	return n, translate(err, "delete posts of person")
}

// PurgePerson deletes what diaspora*'s AccountDeleter deletes of a closed
// person once their posts are gone (DeletePostsOf): their photos, the
// mentions of them, their participations, others' contacts with and
// blocks of them, their place in audience snapshots, and empties their
// profile. Comments, likes and poll votes stay (shown as a deleted
// account's), as on diaspora*.
func (s *Store) PurgePerson(ctx context.Context, personID int64) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	for _, q := range []string{
		`DELETE FROM photos WHERE author_id = @p`,
		`DELETE FROM mentions WHERE person_id = @p`,
		`DELETE FROM participations WHERE person_id = @p`,
		`DELETE FROM contacts WHERE person_id = @p`,
		`DELETE FROM blocks WHERE person_id = @p`,
		`DELETE FROM post_audiences WHERE person_id = @p`,
		// As diaspora*'s AccountDeleter: the person leaves their
		// conversations; the messages they wrote stay, from a closed account.
		`DELETE FROM conversation_visibilities WHERE person_id = @p`,
	} {
		if err := s.conn(ctx).Exec(q, map[string]any{"p": personID}).Error; err != nil {
			return translate(err, "purge person")
		}
	}
	return s.tombstonePerson(ctx, personID)
}

// PurgeUser deletes a closed local user's own data (diaspora*'s
// AccountDeleter#close_user): what they could read (share visibilities,
// stream entries, hidden posts), their aspects, contacts, blocks,
// notifications, followed tags, invite code and mailed tokens, and
// tombstones the account: the username stays (reserved forever), the
// e-mail address and password are replaced, admin rights end.
// passwordHash is a hash of a random password nobody knows.
func (s *Store) PurgeUser(ctx context.Context, userID int64, passwordHash string) error {
	defer s.touchAll(ctx) // broad: every cached stream page is stale
	args := map[string]any{"u": userID, "pw": passwordHash, "email": fmt.Sprintf("deleted-%d@deleted.invalid", userID)}
	for _, q := range []string{
		`DELETE FROM share_visibilities WHERE user_id = @u`,
		`DELETE FROM stream_entries WHERE user_id = @u`,
		`DELETE FROM post_hides WHERE user_id = @u`,
		`UPDATE users SET auto_follow_back_aspect_id = NULL WHERE id = @u`,
		`DELETE FROM contacts WHERE user_id = @u`,
		`DELETE FROM aspects WHERE user_id = @u`,
		`DELETE FROM blocks WHERE user_id = @u`,
		`DELETE FROM notifications WHERE user_id = @u`,
		`DELETE FROM tag_followings WHERE user_id = @u`,
		`DELETE FROM invitation_codes WHERE user_id = @u`,
		`DELETE FROM account_tokens WHERE user_id = @u`,
		`UPDATE users SET email = @email, encrypted_password = @pw, admin = false, locked = true,
			auto_follow_back = false, last_seen_at = NULL, updated_at = now() WHERE id = @u`,
	} {
		if err := s.conn(ctx).Exec(q, args).Error; err != nil {
			return translate(err, "purge user")
		}
	}
	return nil
}

// MarkAccountDeletion records that one half of a local account's deletion
// is done (dispatched: the account_deletion was sent; otherwise its data
// was deleted) and, when both are, wipes the user's private key and
// completes the deletion. The row is locked first, so that the two halves
// finishing at once agree on which is last. For a remote person (no user)
// purging completes it.
func (s *Store) MarkAccountDeletion(ctx context.Context, personID int64, dispatched bool) error {
	return s.Tx(ctx, func(tx *Store) error {
		var d AccountDeletion
		if err := tx.conn(ctx).Raw(`SELECT * FROM account_deletions WHERE person_id = ? FOR UPDATE`, personID).Scan(&d).Error; err != nil {
			return translate(err, "lock account deletion")
		}
		if d.PersonID == 0 {
			return translate(ErrNotFound, "account deletion")
		}
		now := time.Now()
		if dispatched {
			d.DispatchedAt = &now
		} else {
			d.PurgedAt = &now
		}
		p, err := tx.PersonByID(ctx, personID)
		if err != nil {
			return err
		}
		if d.PurgedAt != nil && (d.DispatchedAt != nil || !p.Local()) {
			d.CompletedAt = &now
			if p.Local() {
				if err := tx.conn(ctx).Exec(`UPDATE users SET serialized_private_key = '', updated_at = now() WHERE id = ?`, *p.OwnerID).Error; err != nil {
					return translate(err, "wipe private key")
				}
			}
		}
		return translate(tx.conn(ctx).Exec(`UPDATE account_deletions SET dispatched_at = ?, purged_at = ?, completed_at = ? WHERE person_id = ?`,
			d.DispatchedAt, d.PurgedAt, d.CompletedAt, personID).Error, "mark account deletion")
	})
}
