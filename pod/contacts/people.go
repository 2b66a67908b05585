package contacts

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// PersonResult is a person found by search, with the searcher's relation.
type PersonResult struct {
	pod.PersonView
	Relationship      string           `json:"relationship"`
	Blocked           bool             `json:"block"`
	IsOwnProfile      bool             `json:"is_own_profile"`
	AspectMemberships []MembershipView `json:"aspect_memberships"`
}

// SearchPeople finds people by name or diaspora ID. Name matches respect
// the "searchable" flag; an exact diaspora ID always finds its person, and
// for signed-in users a diaspora ID of another pod is discovered there
// (WebFinger, hCard) and stored. A failed discovery is a *DiscoveryError.
// Signed-out visitors search only the people known here: they must not be
// able to make the pod call arbitrary hosts.
func (a *Service) SearchPeople(ctx context.Context, s *pod.Session, q string) ([]PersonResult, error) {
	q = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	if q == "" {
		return []PersonResult{}, nil
	}
	if utf8.RuneCountInString(q) > 255 {
		return nil, &pod.InvalidError{Fields: map[string]string{"q": "is too long"}}
	}
	if s != nil && a.discover.IsRemoteID(q) {
		// user@otherpod: discover them (or refresh what we know) first, so
		// that the search finds them. A failure is a *DiscoveryError with a
		// message for the user.
		if _, err := a.discover.RemotePerson(ctx, q, true); err != nil {
			return nil, err
		}
	}
	q, err := a.movedID(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.SearchPeople(ctx, q, 50)
	if err != nil {
		return nil, err
	}
	out := make([]PersonResult, 0, len(rows))
	for _, r := range rows {
		pr := PersonResult{PersonView: pod.PersonViewOf(r), Relationship: string(aspects.NotSharing), AspectMemberships: []MembershipView{}}
		if s != nil {
			pr.IsOwnProfile = r.ID == s.PersonID
			if rel, err := a.relationship(ctx, s, r.ID); err != nil {
				return nil, err
			} else {
				pr.Relationship, pr.Blocked, pr.AspectMemberships = rel.Relationship, rel.Blocked, rel.Memberships
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

// Relation is how the viewer relates to a person.
type Relation struct {
	Relationship string
	Blocked      bool
	BlockID      int64
	ContactID    int64
	Memberships  []MembershipView
}

func (a *Service) relationship(ctx context.Context, s *pod.Session, personID int64) (*Relation, error) {
	rel := &Relation{Relationship: string(aspects.NotSharing), Memberships: []MembershipView{}}
	c, err := a.store.ContactOf(ctx, s.UserID, personID)
	if err == nil {
		rel.Relationship = string(aspects.RelationshipOf(c.Sharing, c.Receiving))
		rel.ContactID = c.ID
		ms, err := a.store.MembershipsOfContacts(ctx, []int64{c.ID})
		if err != nil {
			return nil, err
		}
		for _, m := range ms[c.ID] {
			rel.Memberships = append(rel.Memberships, MembershipView{ID: m.ID, AspectID: m.AspectID, PersonID: personID, Aspect: AspectView{ID: m.AspectID, Name: m.AspectName}})
		}
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	blocks, err := a.store.BlocksOf(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if b.PersonID == personID {
			rel.Blocked, rel.BlockID = true, b.ID
		}
	}
	return rel, nil
}

// Relationship tells how the viewer relates to the person with guid.
func (a *Service) Relationship(ctx context.Context, s *pod.Session, personGUID string) (*Relation, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	p, err := a.store.PersonByGUID(ctx, personGUID)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return a.relationship(ctx, s, p.ID)
}
