package contacts

import (
	"context"
	"errors"
	"slices"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// The API (diaspora*'s API v1) names people by GUID and tells "already
// done" and "nothing to undo" apart from bad input; these use cases wrap
// the ones the web calls by ID, with the same effects (sharing starts and
// stops, federation) and these answers.

// personByGUID finds a person by GUID; unknown is notFound.
func personByGUID(ctx context.Context, tx *models.Store, guid string, notFound error) (*models.Person, error) {
	if guid == "" {
		return nil, notFound
	}
	p, err := tx.PersonByGUID(ctx, guid)
	if err != nil {
		return nil, pod.NotFoundAs(err, notFound)
	}
	return p, nil
}

// BlockByGUID ignores the person with guid, as Block: an unknown person
// is pod.ErrNotFound, one already ignored pod.AlreadyDone.
func (a *Service) BlockByGUID(ctx context.Context, s *pod.Session, guid string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	p, err := personByGUID(ctx, a.store, guid, pod.ErrNotFound)
	if err != nil {
		return err
	}
	if blocked, err := a.store.Blocked(ctx, s.UserID, p.ID); err != nil {
		return err
	} else if blocked {
		return pod.AlreadyDone("user is already blocked")
	}
	_, err = a.Block(ctx, s, p.ID)
	return err
}

// UnblockByGUID stops ignoring the person with guid, as Unblock: an
// unknown person is pod.ErrNotFound, one not ignored pod.NothingToUndo.
func (a *Service) UnblockByGUID(ctx context.Context, s *pod.Session, guid string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	p, err := personByGUID(ctx, a.store, guid, pod.ErrNotFound)
	if err != nil {
		return err
	}
	blocks, err := a.store.BlocksOf(ctx, s.UserID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(blocks, func(b models.BlockRow) bool { return b.PersonID == p.ID })
	if i < 0 {
		return pod.NothingToUndo("user is not blocked")
	}
	err = a.Unblock(ctx, s, blocks[i].ID)
	if errors.Is(err, pod.ErrNotFound) { // unblocked meanwhile
		return pod.NothingToUndo("user is not blocked")
	}
	return err
}

// Aspect returns one of the user's aspects; another user's (or no) aspect
// is pod.ErrNotFound.
func (a *Service) Aspect(ctx context.Context, s *pod.Session, id int64) (*AspectView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	as, err := a.store.AspectOf(ctx, s.UserID, id)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return &AspectView{ID: as.ID, Name: as.Name, Order: as.OrderID}, nil
}

// AspectUpdate is a change to an aspect: the fields not nil change.
type AspectUpdate struct {
	Name *string
	// Order is the aspect's new position (0 first, as its order); the
	// other aspects move to make room, as on diaspora*. A position past
	// the end is the end.
	Order *int
}

// UpdateAspect renames and/or moves one of the user's aspects, all or
// nothing: a bad name is an InvalidError, another user's aspect
// pod.ErrNotFound.
func (a *Service) UpdateAspect(ctx context.Context, s *pod.Session, id int64, u AspectUpdate) (*AspectView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	var name string
	if u.Name != nil {
		n, err := checkAspectName(*u.Name)
		if err != nil {
			return nil, err
		}
		name = n
	}
	if u.Order != nil && *u.Order < 0 {
		return nil, &pod.InvalidError{Fields: map[string]string{"order": "must be 0 or more"}}
	}
	var out *AspectView
	err := a.core.TxOut(ctx, func(tx *models.Store, _ *pod.Outbox) error {
		if _, err := tx.AspectOf(ctx, s.UserID, id); err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		if u.Name != nil {
			if err := tx.RenameAspect(ctx, s.UserID, id, name); errors.Is(err, models.ErrConflict) {
				return &pod.InvalidError{Fields: map[string]string{"name": "is already the name of one of your aspects"}}
			} else if err != nil {
				return err
			}
		}
		if u.Order != nil {
			all, err := tx.AspectsOf(ctx, s.UserID)
			if err != nil {
				return err
			}
			ids := make([]int64, 0, len(all))
			for _, x := range all {
				if x.ID != id {
					ids = append(ids, x.ID)
				}
			}
			ids = slices.Insert(ids, min(*u.Order, len(ids)), id)
			if err := tx.SetAspectOrder(ctx, s.UserID, ids); err != nil {
				return err
			}
		}
		as, err := tx.AspectOf(ctx, s.UserID, id)
		if err != nil {
			return err
		}
		out = &AspectView{ID: as.ID, Name: as.Name, Order: as.OrderID}
		return nil
	})
	return out, err
}

// AddToAspectByGUID puts the person with guid in one of the user's
// aspects, as AddToAspect (the first aspect starts sharing, which
// federates). Another user's (or no) aspect is pod.ErrNotFound; an unknown
// person, or one already in the aspect, is an InvalidError (diaspora*
// answers both alike).
func (a *Service) AddToAspectByGUID(ctx context.Context, s *pod.Session, aspectID int64, guid string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if _, err := tx.AspectOf(ctx, s.UserID, aspectID); err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		p, err := personByGUID(ctx, tx, guid, &pod.InvalidError{Fields: map[string]string{"person_guid": "is not a person this pod knows"}})
		if err != nil {
			return err
		}
		if c, err := tx.ContactOf(ctx, s.UserID, p.ID); err == nil {
			if _, err := tx.MembershipIn(ctx, aspectID, c.ID); err == nil {
				return &pod.InvalidError{Fields: map[string]string{"person_guid": "is already in this aspect"}}
			} else if !errors.Is(err, models.ErrNotFound) {
				return err
			}
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		_, err = a.addToAspect(ctx, tx, out, s, aspectID, p.ID)
		return err
	})
}

// RemoveFromAspectByGUID takes the person with guid out of one of the
// user's aspects, as RemoveFromAspect (leaving the last aspect stops
// sharing). Another user's (or no) aspect is pod.ErrNotFound, an unknown
// person an InvalidError, a person not in the aspect pod.NothingToUndo.
func (a *Service) RemoveFromAspectByGUID(ctx context.Context, s *pod.Session, aspectID int64, guid string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	if _, err := a.store.AspectOf(ctx, s.UserID, aspectID); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	p, err := personByGUID(ctx, a.store, guid, &pod.InvalidError{Fields: map[string]string{"person_guid": "is not a person this pod knows"}})
	if err != nil {
		return err
	}
	_, err = a.RemoveFromAspect(ctx, s, 0, aspectID, p.ID)
	if errors.Is(err, pod.ErrNotFound) { // the aspect is the user's: the person is not in it
		return pod.NothingToUndo("the person is not in this aspect")
	}
	return err
}
