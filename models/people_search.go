package models

import (
	"context"
	"fmt"
	"strings"
)

// PeopleSearch asks for people by name or diaspora ID for one user (the
// API's user search): the matching is SearchPeople's, the filters narrow
// it to the user's contacts. Every filter joins with AND.
type PeopleSearch struct {
	// UserID is the searching user.
	UserID int64
	// Query matches the diaspora ID or the full name (a substring,
	// case-insensitive).
	Query string
	// WithContacts also finds the user's contacts whose profile is not
	// searchable (diaspora*: with the contacts:read scope).
	WithContacts bool
	// Contacts, Receiving and Sharing keep the user's contacts only: any,
	// those the user shares with, those sharing with the user.
	Contacts, Receiving, Sharing bool
	// AspectSets keep the people in at least one aspect of every set (the
	// aspects must be the user's: callers check with CountOwnAspects).
	AspectSets [][]int64
	Offset     int
	Limit      int
}

// SearchPeopleFor runs a PeopleSearch: people of closed accounts and of
// blocked pods are left out; by diaspora ID, then ID.
func (s *Store) SearchPeopleFor(ctx context.Context, q PeopleSearch) ([]PersonRow, error) {
	text := strings.ToLower(strings.TrimSpace(q.Query))
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text) + "%"
	args := map[string]any{"user": q.UserID, "like": like, "withcontacts": q.WithContacts, "offset": max(q.Offset, 0), "limit": q.Limit}
	where := []string{"NOT p.closed_account", "p.pod_state < " + podStateBlockedSQL,
		"(lower(p.diaspora_id) LIKE @like OR lower(COALESCE(pr.first_name, '') || ' ' || COALESCE(pr.last_name, '')) LIKE @like)",
		"(COALESCE(pr.searchable, true) OR (@withcontacts AND c.id IS NOT NULL))"}
	if q.Contacts || q.Receiving || q.Sharing || len(q.AspectSets) > 0 {
		where = append(where, "c.id IS NOT NULL")
	}
	if q.Receiving {
		where = append(where, "c.receiving")
	}
	if q.Sharing {
		where = append(where, "c.sharing")
	}
	for i, set := range q.AspectSets {
		name := fmt.Sprintf("aspects%d", i)
		args[name] = int64Array(set)
		where = append(where, `EXISTS (SELECT 1 FROM aspect_memberships am WHERE am.contact_id = c.id AND am.aspect_id = ANY(CAST(@`+name+` AS bigint[])))`)
	}
	var rows []PersonRow
	err := s.conn(ctx).Raw(`SELECT `+personRowCols+` FROM people p LEFT JOIN profiles pr ON pr.person_id = p.id
		LEFT JOIN contacts c ON c.user_id = @user AND c.person_id = p.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY lower(p.diaspora_id), p.id OFFSET @offset LIMIT @limit`, args).Scan(&rows).Error
	return rows, translate(err, "search people")
}

// CountOwnAspects counts how many of ids are aspects of the user.
func (s *Store) CountOwnAspects(ctx context.Context, userID int64, ids []int64) (int, error) {
	var n int
	err := s.conn(ctx).Raw(`SELECT count(*) FROM aspects WHERE user_id = ? AND id = ANY(CAST(? AS bigint[]))`, userID, int64Array(ids)).Scan(&n).Error
	return n, translate(err, "count aspects")
}
