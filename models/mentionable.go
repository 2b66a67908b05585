package models

import (
	"context"
	"strings"
)

// MentionFilter says whom a user may mention (mention autocompletion).
type MentionFilter struct {
	// Query is matched, case-insensitively, anywhere in the name or the
	// diaspora ID.
	Query string
	// UserID is the searcher: their contacts come first, and the people
	// they ignore are left out. PersonID is their person, never listed.
	UserID, PersonID int64
	// Among, when not nil, allows only these people.
	Among []int64
	// Under, when set, allows only people under that post: its author,
	// the people who commented on or liked it, and with WithAudience its
	// audience snapshot.
	Under        int64
	WithAudience bool
	// ContactsOnly allows only the user's contacts (sharing with them or
	// receiving from them); Mutual only mutual ones. Otherwise people with a
	// searchable profile are allowed as well as contacts.
	ContactsOnly, Mutual bool
	Limit                int
}

// MentionCandidates lists the people a filter allows, contacts first, then
// by name.
func (s *Store) MentionCandidates(ctx context.Context, f MentionFilter) ([]PersonRow, error) {
	q := strings.ToLower(strings.TrimSpace(f.Query))
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	sql := `SELECT ` + personRowCols + ` FROM people p LEFT JOIN profiles pr ON pr.person_id = p.id
		LEFT JOIN contacts c ON c.user_id = @user AND c.person_id = p.id
		WHERE NOT p.closed_account AND p.id <> @me
		AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.user_id = @user AND b.person_id = p.id)
		AND (lower(p.diaspora_id) LIKE @like OR lower(COALESCE(pr.first_name, '') || ' ' || COALESCE(pr.last_name, '')) LIKE @like)`
	switch {
	case f.Mutual:
		sql += ` AND c.sharing AND c.receiving`
	case f.ContactsOnly:
		sql += ` AND (c.sharing OR c.receiving)`
	default:
		sql += ` AND ((c.sharing OR c.receiving) IS TRUE OR COALESCE(pr.searchable, true))`
	}
	if f.Among != nil {
		sql += ` AND p.id = ANY(CAST(@among AS bigint[]))`
	}
	if f.Under != 0 {
		under := `p.id = (SELECT author_id FROM posts WHERE id = @post)
			OR EXISTS (SELECT 1 FROM comments cm WHERE cm.post_id = @post AND cm.author_id = p.id)
			OR EXISTS (SELECT 1 FROM likes l WHERE l.post_id = @post AND l.author_id = p.id AND l.positive)`
		if f.WithAudience {
			under += ` OR EXISTS (SELECT 1 FROM post_audiences pa WHERE pa.post_id = @post AND pa.person_id = p.id)`
		}
		sql += ` AND (` + under + `)`
	}
	if f.Limit <= 0 {
		f.Limit = 15
	}
	sql += ` ORDER BY (c.sharing OR c.receiving) IS TRUE DESC, lower(COALESCE(NULLIF(pr.first_name, ''), p.diaspora_id)), p.id LIMIT @limit`
	var rows []PersonRow
	err := s.conn(ctx).Raw(sql, map[string]any{"user": f.UserID, "me": f.PersonID, "like": like,
		"among": int64Array(f.Among), "post": f.Under, "limit": f.Limit}).Scan(&rows).Error
	return rows, translate(err, "mention candidates")
}
