package contacts

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// PeopleQuery is a user search with filters (diaspora*'s API user
// search): by name or diaspora ID, narrowed to the user's contacts.
type PeopleQuery struct {
	// Query is part of a name or diaspora ID (at least 2 characters; a
	// shorter one finds nobody, as on diaspora*).
	Query string
	// WithContacts also finds the user's contacts whose profile is not
	// searchable (the API's contacts:read scope).
	WithContacts bool
	// Contacts, Receiving, Sharing: only contacts; only those the user
	// shares with; only those sharing with the user.
	Contacts, Receiving, Sharing bool
	// AspectSets: only people in one of each set's aspects; every aspect
	// must be the user's, else a *pod.InvalidError.
	AspectSets [][]int64
	Offset     int
	Limit      int
}

// FindPeople runs a PeopleQuery for the user. Unlike SearchPeople it
// never discovers people on other pods, and an exact diaspora ID does not
// find a person who is not searchable.
func (a *Service) FindPeople(ctx context.Context, s *pod.Session, q PeopleQuery) ([]pod.PersonView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q.Query), "@"))
	if utf8.RuneCountInString(text) > 255 {
		return nil, &pod.InvalidError{Fields: map[string]string{"name_or_handle": "is too long"}}
	}
	sets := make([][]int64, 0, len(q.AspectSets))
	for _, set := range q.AspectSets {
		set = slices.Clone(set)
		slices.Sort(set)
		set = slices.Compact(set)
		n, err := a.store.CountOwnAspects(ctx, s.UserID, set)
		if err != nil {
			return nil, err
		}
		if len(set) == 0 || n != len(set) {
			return nil, &pod.InvalidError{Message: "Invalid aspect filter"}
		}
		sets = append(sets, set)
	}
	if utf8.RuneCountInString(text) < 2 {
		return []pod.PersonView{}, nil
	}
	rows, err := a.store.SearchPeopleFor(ctx, models.PeopleSearch{UserID: s.UserID, Query: text, WithContacts: q.WithContacts,
		Contacts: q.Contacts, Receiving: q.Receiving, Sharing: q.Sharing, AspectSets: sets,
		Offset: q.Offset, Limit: min(max(q.Limit, 1), 101)})
	if err != nil {
		return nil, err
	}
	out := make([]pod.PersonView, 0, len(rows))
	for _, r := range rows {
		out = append(out, pod.PersonViewOf(r))
	}
	return out, nil
}
