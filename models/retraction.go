package models

import (
	"context"
	"strings"
	"time"
)

// Retractions remembered (table retractions, migration 00021): a GUID
// deleted here, or a retraction received for a GUID not stored here yet,
// each until its expiry. GUIDs and diaspora IDs are kept in lower case.

// retractionSweep is how many expired rows each remembering statement
// deletes on the way, which keeps the table at what is remembered without
// a periodic job.
const retractionSweep = 100

// retractedBefore is the condition, on table r, that a GUID was deleted
// here or retracted before it came by author with a sender allowed to: the
// author, or rootAuthor unless it is empty; not expired. Its arguments are
// SQL expressions (placeholders) for the three; RetractedBefore and
// insertReceivedPostSQL both use it.
func retractedBefore(guid, author, rootAuthor string) string {
	return `r.guid = lower(` + guid + `) AND r.expires_at > now() AND
	(r.author = '' OR r.author = lower(` + author + `) AND (r.sender = lower(` + author + `) OR ` + rootAuthor + ` <> '' AND r.sender = lower(` + rootAuthor + `)))`
}

// MarkRetracted remembers that objects with these GUIDs were deleted here,
// until the given time.
func (s *Store) MarkRetracted(ctx context.Context, until time.Time, guids ...string) error {
	if len(guids) == 0 {
		return nil
	}
	lower := make([]string, len(guids))
	for i, g := range guids {
		lower[i] = strings.ToLower(g)
	}
	return s.remember(ctx, `INSERT INTO retractions (guid, expires_at) SELECT DISTINCT unnest(?::text[]), ?::timestamptz
		ON CONFLICT (guid, author, sender) DO UPDATE SET expires_at = greatest(retractions.expires_at, EXCLUDED.expires_at)`,
		"remember deleted objects", textArray(lower), until)
}

// RememberRetraction remembers a retraction of guid, a GUID not stored
// here, by author, sent by sender, until the given time.
func (s *Store) RememberRetraction(ctx context.Context, guid, author, sender string, until time.Time) error {
	return s.remember(ctx, `INSERT INTO retractions (guid, author, sender, expires_at) VALUES (lower(?), lower(?), lower(?), ?)
		ON CONFLICT (guid, author, sender) DO UPDATE SET expires_at = greatest(retractions.expires_at, EXCLUDED.expires_at)`,
		"remember a retraction", guid, author, sender, until)
}

// remember runs an insert into retractions, and deletes a few expired rows.
func (s *Store) remember(ctx context.Context, insert, what string, args ...any) error {
	if err := s.conn(ctx).Exec(insert, args...).Error; err != nil {
		return translate(err, what)
	}
	err := s.conn(ctx).Exec(`DELETE FROM retractions WHERE ctid IN
		(SELECT ctid FROM retractions WHERE expires_at <= now() LIMIT ?)`, retractionSweep).Error
	return translate(err, "forget expired retractions")
}

// Retracted reports whether an object with the GUID was deleted here and
// is still remembered.
func (s *Store) Retracted(ctx context.Context, guid string) (bool, error) {
	var ok bool
	err := s.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM retractions WHERE guid = lower(?) AND author = '' AND expires_at > now())`, guid).
		Scan(&ok).Error
	return ok, translate(err, "retracted")
}

// RetractedBefore reports whether an object arriving now was retracted
// before it came: deleted here, or named by a remembered retraction by its
// author whose sender was allowed to retract it, the author or, for a
// comment or like, the post's author rootAuthor ("" for a post).
func (s *Store) RetractedBefore(ctx context.Context, guid, author, rootAuthor string) (bool, error) {
	var ok bool
	err := s.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM retractions r WHERE `+retractedBefore("@guid", "@author", "@root_author")+`)`,
		map[string]any{"guid": guid, "author": author, "root_author": rootAuthor}).Scan(&ok).Error
	return ok, translate(err, "retracted before")
}
