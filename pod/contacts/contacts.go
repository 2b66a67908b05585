package contacts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// AspectNameMaxLen is the longest aspect name, as on diaspora*.
const AspectNameMaxLen = 20

// AspectView is one of the user's aspects.
type AspectView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Order    int    `json:"order"`
	Selected bool   `json:"selected"`
}

// Aspects lists the user's aspects in their order.
func (a *Service) Aspects(ctx context.Context, s *pod.Session) ([]AspectView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	as, err := a.store.AspectsOf(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]AspectView, len(as))
	for i, x := range as {
		out[i] = AspectView{ID: x.ID, Name: x.Name, Order: x.OrderID}
	}
	return out, nil
}

func checkAspectName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", &pod.InvalidError{Fields: map[string]string{"name": "can't be blank"}}
	case utf8.RuneCountInString(name) > AspectNameMaxLen:
		return "", &pod.InvalidError{Fields: map[string]string{"name": fmt.Sprintf("is too long (at most %d characters)", AspectNameMaxLen)}}
	}
	return name, nil
}

// CreateAspect adds an aspect; with personID set, that person goes into it.
func (a *Service) CreateAspect(ctx context.Context, s *pod.Session, name string, personID int64) (*AspectView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	name, err := checkAspectName(name)
	if err != nil {
		return nil, err
	}
	as := &models.Aspect{UserID: s.UserID, Name: name}
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.CreateAspect(ctx, as); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return &pod.InvalidError{Fields: map[string]string{"name": "is already the name of one of your aspects"}}
			}
			return err
		}
		if personID != 0 {
			_, err := a.addToAspect(ctx, tx, out, s, as.ID, personID)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &AspectView{ID: as.ID, Name: as.Name, Order: as.OrderID}, nil
}

// RenameAspect renames one of the user's aspects.
func (a *Service) RenameAspect(ctx context.Context, s *pod.Session, id int64, name string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	name, err := checkAspectName(name)
	if err != nil {
		return err
	}
	err = a.store.RenameAspect(ctx, s.UserID, id, name)
	if errors.Is(err, models.ErrConflict) {
		return &pod.InvalidError{Fields: map[string]string{"name": "is already the name of one of your aspects"}}
	}
	return pod.NotFoundAs(err, pod.ErrNotFound)
}

// DeleteAspect deletes one of the user's aspects. People left in no aspect
// stop receiving the user's posts (stop sharing).
func (a *Service) DeleteAspect(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.DeleteAspect(ctx, s.UserID, id); err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		orphans, err := tx.ReceivingWithoutMembership(ctx, s.UserID)
		if err != nil {
			return err
		}
		for _, c := range orphans {
			if err := a.stopSharing(ctx, tx, out, s.UserID, s.PersonID, &c); err != nil {
				return err
			}
		}
		return nil
	})
}

// OrderAspects stores the order of the user's aspects (IDs first to last).
func (a *Service) OrderAspects(ctx context.Context, s *pod.Session, ids []int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		for _, id := range ids {
			if _, err := tx.AspectOf(ctx, s.UserID, id); err != nil {
				return pod.NotFoundAs(err, &pod.InvalidError{Message: fmt.Sprintf("aspect %d is not one of yours", id)})
			}
		}
		return tx.SetAspectOrder(ctx, s.UserID, ids)
	})
}

// MembershipView is a person's place in one aspect.
type MembershipView struct {
	ID       int64      `json:"id"`
	AspectID int64      `json:"aspect_id"`
	PersonID int64      `json:"person_id"`
	Aspect   AspectView `json:"aspect"`
}

// AddToAspect puts a person in one of the user's aspects. The first aspect
// a person enters starts sharing with them: they receive the user's posts
// to that aspect from now on, are told the user started sharing, and the
// user's stream fills with their visible posts.
func (a *Service) AddToAspect(ctx context.Context, s *pod.Session, aspectID, personID int64) (*MembershipView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	var mv *MembershipView
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		var err error
		mv, err = a.addToAspect(ctx, tx, out, s, aspectID, personID)
		return err
	})
	return mv, err
}

func (a *Service) addToAspect(ctx context.Context, tx *models.Store, out *pod.Outbox, s *pod.Session, aspectID, personID int64) (*MembershipView, error) {
	aspect, err := tx.AspectOf(ctx, s.UserID, aspectID)
	if err != nil {
		return nil, pod.NotFoundAs(err, &pod.InvalidError{Fields: map[string]string{"aspect_id": "is not one of your aspects"}})
	}
	if personID == s.PersonID {
		return nil, &pod.InvalidError{Fields: map[string]string{"person_id": "is you: you cannot add yourself to an aspect"}}
	}
	person, err := tx.PersonByID(ctx, personID)
	if err != nil || person.ClosedAccount {
		return nil, &pod.InvalidError{Fields: map[string]string{"person_id": "is not a person this pod knows"}}
	}
	if blocked, err := tx.Blocked(ctx, s.UserID, personID); err != nil {
		return nil, err
	} else if blocked {
		return nil, &pod.InvalidError{Message: "you ignore this person: stop ignoring them first"}
	}
	contact, err := tx.EnsureContact(ctx, s.UserID, personID)
	if err != nil {
		return nil, err
	}
	m, err := tx.AddMembership(ctx, aspect.ID, contact.ID)
	if err != nil {
		return nil, err
	}
	if !contact.Receiving {
		if err := a.startSharing(ctx, tx, out, s.UserID, s.PersonID, contact, person); err != nil {
			return nil, err
		}
	}
	return &MembershipView{ID: m.ID, AspectID: aspect.ID, PersonID: personID, Aspect: AspectView{ID: aspect.ID, Name: aspect.Name, Order: aspect.OrderID}}, nil
}

// startSharing marks a contact receiving, fills the user's stream with the
// person's posts and, for a local person, records on their side that the
// user shares with them, notifies them and follows back if they asked to.
func (a *Service) startSharing(ctx context.Context, tx *models.Store, out *pod.Outbox, userID, userPerson int64, c *models.Contact, person *models.Person) error {
	if err := tx.SetContactFlags(ctx, c.ID, c.Sharing, true); err != nil {
		return err
	}
	if err := tx.BackfillAuthor(ctx, userID, person.ID); err != nil {
		return err
	}
	if person.OwnerID == nil {
		// A remote person: their pod learns it from a contact entity (and
		// gets the user's full profile with it).
		out.Add(&tasks.ContactChanged{UserID: userID, PersonID: person.ID, Sharing: true})
		return nil
	}
	theirs, err := tx.EnsureContact(ctx, *person.OwnerID, userPerson)
	if err != nil {
		return err
	}
	if err := tx.SetContactFlags(ctx, theirs.ID, true, theirs.Receiving); err != nil {
		return err
	}
	if blocked, err := tx.Blocked(ctx, *person.OwnerID, userPerson); err != nil || blocked {
		return err
	}
	if err := a.core.NotifyStartedSharing(ctx, tx, *person.OwnerID, userPerson); err != nil {
		return err
	}
	if theirs.Receiving {
		return nil
	}
	owner, err := tx.UserByID(ctx, *person.OwnerID)
	if err != nil {
		return err
	}
	me, err := tx.PersonByID(ctx, userPerson)
	if err != nil {
		return err
	}
	theirs.Sharing = true
	return a.FollowBack(ctx, tx, out, owner, person.ID, theirs, me)
}

// FollowBack shares back with someone who started sharing with owner (whose
// person is ownerPerson), if owner asked for it: into the chosen aspect, or
// the first one. c is owner's contact with them.
func (a *Service) FollowBack(ctx context.Context, tx *models.Store, out *pod.Outbox, owner *models.User, ownerPerson int64, c *models.Contact, them *models.Person) error {
	if !owner.AutoFollowBack {
		return nil
	}
	target := int64(0)
	if owner.AutoFollowBackAspectID != nil {
		target = *owner.AutoFollowBackAspectID
	} else if as, err := tx.AspectsOf(ctx, owner.ID); err != nil {
		return err
	} else if len(as) > 0 {
		target = as[0].ID
	}
	if target == 0 {
		return nil
	}
	if _, err := tx.AddMembership(ctx, target, c.ID); err != nil {
		return err
	}
	return a.startSharing(ctx, tx, out, owner.ID, ownerPerson, c, them)
}

// stopSharing marks a contact no longer receiving, takes the person's posts
// out of the user's stream (unless a tag or mention keeps them) and, for a
// local person, records on their side that the user stopped sharing.
func (a *Service) stopSharing(ctx context.Context, tx *models.Store, out *pod.Outbox, userID, userPerson int64, c *models.Contact) error {
	if err := tx.SetContactFlags(ctx, c.ID, c.Sharing, false); err != nil {
		return err
	}
	if err := tx.DropAuthorReason(ctx, userID, c.PersonID); err != nil {
		return err
	}
	ownerID, err := tx.UserIDOfPerson(ctx, c.PersonID)
	if errors.Is(err, models.ErrNotFound) {
		out.Add(&tasks.ContactChanged{UserID: userID, PersonID: c.PersonID})
		return tx.DeleteContactIfEmpty(ctx, c.ID)
	} else if err != nil {
		return err
	}
	if theirs, err := tx.ContactOf(ctx, ownerID, userPerson); err == nil {
		if err := tx.SetContactFlags(ctx, theirs.ID, false, theirs.Receiving); err != nil {
			return err
		}
		if err := tx.DeleteContactIfEmpty(ctx, theirs.ID); err != nil {
			return err
		}
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	return tx.DeleteContactIfEmpty(ctx, c.ID)
}

// RemoveFromAspect takes a person out of one aspect, by membership ID or by
// (aspect, person). Leaving the last aspect stops sharing with them; posts
// they already received stay readable to them.
func (a *Service) RemoveFromAspect(ctx context.Context, s *pod.Session, membershipID, aspectID, personID int64) (*MembershipView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	var mv *MembershipView
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		var m *models.AspectMembership
		var err error
		if membershipID != 0 {
			m, err = tx.MembershipOf(ctx, s.UserID, membershipID)
		} else {
			var c *models.Contact
			if _, err = tx.AspectOf(ctx, s.UserID, aspectID); err == nil {
				if c, err = tx.ContactOf(ctx, s.UserID, personID); err == nil {
					m, err = tx.MembershipIn(ctx, aspectID, c.ID)
				}
			}
		}
		if err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		aspect, err := tx.AspectOf(ctx, s.UserID, m.AspectID)
		if err != nil {
			return err
		}
		if err := tx.DeleteMembership(ctx, m.ID); err != nil {
			return err
		}
		c, err := tx.ContactByID(ctx, m.ContactID)
		if err != nil {
			return err
		}
		mv = &MembershipView{ID: m.ID, AspectID: aspect.ID, PersonID: c.PersonID, Aspect: AspectView{ID: aspect.ID, Name: aspect.Name, Order: aspect.OrderID}}
		left, err := tx.CountMemberships(ctx, m.ContactID)
		if err != nil || left > 0 || !c.Receiving {
			return err
		}
		return a.stopSharing(ctx, tx, out, s.UserID, s.PersonID, c)
	})
	return mv, err
}

// ContactView is one contact on the contacts page.
type ContactView struct {
	ID                int64            `json:"id"`
	PersonID          int64            `json:"person_id"`
	Person            pod.PersonView   `json:"person"`
	Relationship      string           `json:"relationship"`
	AspectMemberships []MembershipView `json:"aspect_memberships"`
}

// ContactFilter selects contacts for the contacts page.
type ContactFilter struct {
	// Set is "all" (default: people I share with or who share with me),
	// "receiving" (I share with them), "only_sharing" (they share with me,
	// I don't share back).
	Set string
	// AspectID limits to one aspect's members.
	AspectID int64
	// Limit and Offset page the list (no limit if 0).
	Limit, Offset int
}

// Contacts lists the user's contacts by filter.
func (a *Service) Contacts(ctx context.Context, s *pod.Session, cf ContactFilter) ([]ContactView, error) {
	f := models.ContactFilter{Set: cf.Set, AspectID: cf.AspectID, Limit: cf.Limit, Offset: cf.Offset}
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	if f.AspectID != 0 {
		if _, err := a.store.AspectOf(ctx, s.UserID, f.AspectID); err != nil {
			return nil, pod.NotFoundAs(err, pod.ErrNotFound)
		}
	}
	rows, err := a.store.Contacts(ctx, s.UserID, f)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	ms, err := a.store.MembershipsOfContacts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ContactView, len(rows))
	for i, r := range rows {
		cv := ContactView{ID: r.ID, PersonID: r.PersonID, Relationship: string(aspects.RelationshipOf(r.Sharing, r.Receiving)),
			Person: pod.PersonView{ID: r.PersonID, GUID: r.GUID, DiasporaID: r.DiasporaID, Name: pod.PersonName(r.FirstName, r.LastName, r.DiasporaID),
				Avatar: pod.AvatarOf(r.ImageURL, r.ImageMed, r.ImageSmall)},
			AspectMemberships: []MembershipView{}}
		for _, m := range ms[r.ID] {
			cv.AspectMemberships = append(cv.AspectMemberships, MembershipView{ID: m.ID, AspectID: m.AspectID, PersonID: r.PersonID,
				Aspect: AspectView{ID: m.AspectID, Name: m.AspectName}})
		}
		out[i] = cv
	}
	return out, nil
}
