package federate

import (
	"context"
	"errors"
	"strings"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Accounts that move or close, over federation: receiving account_migration
// (§4.19, §7.6) and account_deletion (§4.18, §7.5), and sending the
// account_deletion of a local account that closed (pod/accounts).

// migrationPrecheck looks at a received account_migration before anything
// is verified: a copy of a migration applied already is done (its old
// identity is closed, so its key would no longer verify it: diaspora*
// answers the same way, "already performed"). It reports whether the body
// is done with.
func (a *Service) migrationPrecheck(ctx context.Context, payload []byte) (bool, error) {
	e, err := entity.ParseXML(payload)
	if err != nil {
		return false, nil // the processor says what is wrong with it
	}
	m, ok := e.(*entity.AccountMigration)
	if !ok {
		return false, nil
	}
	oldID, newID := m.Identities()
	old, err := a.store.PersonByDiasporaID(ctx, oldID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	done, err := a.store.MigrationOf(ctx, old.ID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	to, err := a.store.PersonByID(ctx, done.NewPersonID)
	if err != nil {
		return false, err
	}
	if strings.EqualFold(to.DiasporaID, newID) {
		a.log.Info("federation: account migration received again, already applied", "old", oldID, "new", newID)
		return true, nil
	}
	return true, dropped("account_migration of %s to %s: it moved to %s already", oldID, newID, to.DiasporaID)
}

// receiveMigration applies a verified account_migration (both signatures
// checked by the processor): the old person is closed and points to the
// new one; the local users' contacts (with their aspects and sharing) and
// blocks move to the new person, and, when the new person is remote,
// everything else that named the old one (posts, comments, likes,
// mentions, audiences, notification actors...), as diaspora* does. A new
// identity that is a user of this pod (someone who imported their account
// here) takes over the contacts only: the rest is theirs from the import.
// The local users who share with the new person tell them so again
// (diaspora*'s dispatch_contacts), so that their pod learns it from us.
// An old identity that is one of our users (who moved away: exported
// here, imported there) is locked, its sessions end, and its posts and
// contacts go to the new identity, as diaspora* does.
func (a *Service) receiveMigration(ctx context.Context, e *entity.AccountMigration) error {
	oldID, newID := e.Identities()
	if strings.EqualFold(oldID, newID) {
		return dropped("account_migration of %s to itself", oldID)
	}
	old, err := a.store.PersonByDiasporaID(ctx, oldID)
	if errors.Is(err, models.ErrNotFound) {
		return dropped("account_migration of unknown %s", oldID)
	} else if err != nil {
		return err
	}
	if old.ClosedAccount {
		return dropped("account_migration of %s, whose account is closed", oldID)
	}
	newP, err := a.RemotePerson(ctx, newID, false)
	if err != nil {
		return err
	}
	if newP.ClosedAccount {
		return dropped("account_migration of %s to %s, whose account is closed", oldID, newID)
	}
	var contacts int
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if m, err := tx.MigrationOf(ctx, old.ID); err == nil {
			if m.NewPersonID == newP.ID {
				return nil
			}
			return dropped("account_migration of %s to %s: it moved elsewhere already", oldID, newID)
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err := tx.RecordMigration(ctx, &models.AccountMigration{OldPersonID: old.ID, NewPersonID: newP.ID, RemotePhotoPath: e.RemotePhotoPath}); err != nil {
			return err
		}
		if old.Local() {
			// One of our users moved away (they exported their data and
			// imported it on the new pod, whose signature with their key
			// proves it): as diaspora* does, their account here is locked
			// and what was theirs is the new identity's.
			if err := tx.SetLocked(ctx, *old.OwnerID, true); err != nil {
				return err
			}
		}
		if err := tx.RepointContacts(ctx, old.ID, newP.ID); err != nil {
			return err
		}
		if newP.Local() {
			return nil
		}
		if err := tx.RepointContent(ctx, old.ID, newP.ID, e.RemotePhotoPath); err != nil {
			return err
		}
		cs, err := tx.ContactsReceivingFrom(ctx, newP.ID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			out.SetContact(&tasks.ContactChanged{UserID: c.UserID, PersonID: newP.ID, Sharing: true})
		}
		contacts = len(cs)
		return nil
	})
	if errors.Is(err, models.ErrConflict) {
		return nil // the same migration applied by another job meanwhile
	}
	if err != nil {
		return err
	}
	if old.Local() {
		if err := a.core.EndUserSessions(ctx, *old.OwnerID, ""); err != nil {
			return err
		}
	}
	if !newP.Local() && e.Profile != nil {
		if err := a.receiveProfile(ctx, e.Profile, newP, e.Profile.Public); err != nil {
			return err
		}
	}
	a.log.Info("federation: account migration applied", "old", oldID, "new", newID, "new_local", newP.Local(), "contacts_told", contacts)
	return nil
}

// receiveAccountDeletion closes a remote person (§7.5) as diaspora*'s
// AccountDeleter does: at once the person is closed, their profile emptied
// and every contact with them removed; a purge job then deletes their
// posts (with photos and everything under them), the mentions of them and
// their participations. Their comments and likes on other posts stay, as
// on diaspora*. A second copy changes nothing.
func (a *Service) receiveAccountDeletion(ctx context.Context, author *models.Person) error {
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		started, err := tx.StartAccountDeletion(ctx, author.ID)
		if err != nil || !started {
			return err
		}
		if err := tx.CloseRemotePerson(ctx, author.ID); err != nil {
			return err
		}
		out.AddTask(tasks.NewAccountPurge(tasks.AccountPurge{PersonID: author.ID}))
		return nil
	})
}

// DispatchAccountDeletion sends the account_deletion of a local account
// that closed to every pod that knew it (resolved when it closed), once
// per pod on the public route, then marks the sending half of the
// deletion done (the private key is wiped once both halves are).
func (a *Service) DispatchAccountDeletion(ctx context.Context, e *tasks.AccountDeleted) error {
	return a.dispatched(e, a.dispatchAccountDeletion(ctx, e))
}

func (a *Service) dispatchAccountDeletion(ctx context.Context, e *tasks.AccountDeleted) error {
	person, err := a.store.PersonByID(ctx, e.PersonID)
	if err != nil || !person.Local() {
		return err
	}
	d, err := a.store.AccountDeletionOf(ctx, person.ID)
	if err != nil {
		return err
	}
	if d.DispatchedAt != nil {
		return nil // sent by an earlier run
	}
	payload, err := marshalValid(&entity.AccountDeletion{Author: person.DiasporaID})
	if err != nil {
		return err
	}
	rcpts, err := a.store.PodRecipients(ctx, e.PodIDs)
	if err != nil {
		return err
	}
	if err := a.send(ctx, outgoing{key: e.Key, entityType: "account_deletion", payload: payload, sender: person,
		public: true, recipients: rcpts, closedSender: true}); err != nil {
		return err
	}
	return a.store.MarkAccountDeletion(ctx, person.ID, true)
}
