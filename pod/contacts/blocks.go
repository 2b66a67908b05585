package contacts

import (
	"context"
	"errors"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Block ignores a person: the user stops sharing with them, their posts
// leave every stream of the user, their comments and likes on the user's
// posts are refused, and notifications involving them are marked read.
func (a *Service) Block(ctx context.Context, s *pod.Session, personID int64) (int64, error) {
	if err := pod.RequireUser(s); err != nil {
		return 0, err
	}
	if personID == s.PersonID {
		return 0, &pod.InvalidError{Message: "you cannot ignore yourself"}
	}
	var blockID int64
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if _, err := tx.PersonByID(ctx, personID); err != nil {
			return pod.NotFoundAs(err, &pod.InvalidError{Fields: map[string]string{"person_id": "is not a person this pod knows"}})
		}
		b, err := tx.CreateBlock(ctx, s.UserID, personID)
		if err != nil {
			return err
		}
		blockID = b.ID
		if c, err := tx.ContactOf(ctx, s.UserID, personID); err == nil {
			memberships, err := tx.MembershipsOfContacts(ctx, []int64{c.ID})
			if err != nil {
				return err
			}
			for _, m := range memberships[c.ID] {
				if err := tx.DeleteMembership(ctx, m.ID); err != nil {
					return err
				}
			}
			if c.Receiving {
				if err := a.stopSharing(ctx, tx, out, s.UserID, s.PersonID, c); err != nil {
					return err
				}
			}
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err := tx.DropAuthorEntries(ctx, s.UserID, personID); err != nil {
			return err
		}
		out.SetContact(&tasks.ContactChanged{UserID: s.UserID, PersonID: personID, Blocking: true})
		return tx.ReadPersonNotifications(ctx, s.UserID, personID)
	})
	return blockID, err
}

// Unblock stops ignoring a person (by block ID).
func (a *Service) Unblock(ctx context.Context, s *pod.Session, blockID int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	blocks, err := a.store.BlocksOf(ctx, s.UserID)
	if err != nil {
		return err
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.DeleteBlock(ctx, s.UserID, blockID); err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		for _, b := range blocks {
			if b.ID == blockID {
				// Their posts come back to the user's main stream.
				if err := tx.RestoreAuthorEntries(ctx, s.UserID, s.PersonID, b.PersonID); err != nil {
					return err
				}
				// Tell a remote person's pod (§7.3: the same contact, blocking false).
				out.Add(&tasks.ContactChanged{UserID: s.UserID, PersonID: b.PersonID})
			}
		}
		return nil
	})
}

// BlockView is one ignored person.
type BlockView struct {
	ID     int64          `json:"id"`
	Person pod.PersonView `json:"person"`
}

// Blocks lists the people the user ignores.
func (a *Service) Blocks(ctx context.Context, s *pod.Session) ([]BlockView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	rows, err := a.store.BlocksOf(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]BlockView, len(rows))
	for i, r := range rows {
		out[i] = BlockView{ID: r.ID, Person: pod.PersonView{ID: r.PersonID, GUID: r.GUID, DiasporaID: r.DiasporaID,
			Name: pod.PersonName(r.FirstName, r.LastName, r.DiasporaID), Avatar: pod.AvatarOf("", "", "")}}
	}
	return out, nil
}
