package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Closing an account, as diaspora*'s AccountDeleter does it: the account is
// locked and its person closed at once (in the request), every session
// ends, and two jobs do the rest. One signs an account_deletion and sends
// it to every pod that knew the person (pod/federate); the other deletes
// the data in bounded rounds (PurgeAccount). Posts, photos, aspects,
// contacts, visibilities, notifications, followed tags, invites, tokens
// and finally the private key go; comments, likes and poll votes on
// other people's posts stay, shown as a deleted account's (diaspora* keeps
// them too). The username stays reserved forever: the person row remains,
// closed, so sign-up finds the name taken and WebFinger answers 404.

// purgeBatch is how many posts one statement of a purge round deletes.
const purgeBatch = 200

// purgeRound is how long one purge task deletes posts before it queues
// the next round, so that no task runs long.
const purgeRound = 20 * time.Second

// CloseOwnAccount is the "close account" form: the user confirms with
// their current password (a wrong one is an InvalidError on
// current_password and changes nothing; attempts are limited as sign-ins
// are), then CloseAccount runs.
func (a *Service) CloseOwnAccount(ctx context.Context, s *pod.Session, password string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	// Someone with a stolen session cannot try passwords here faster than
	// at sign-in.
	if err := a.core.Allow(ctx, "close-account", fmt.Sprintf("user:%d", s.UserID), pod.SignInAttempts, pod.SignInWindow); err != nil {
		return err
	}
	user, err := a.store.UserByID(ctx, s.UserID)
	if err != nil {
		return err
	}
	if password == "" {
		return &pod.InvalidError{Fields: map[string]string{"current_password": "can't be blank: type your password to close your account"}}
	}
	if ok, _ := CheckPassword(user.EncryptedPassword, password); !ok || len(password) > PasswordMaxLen*4 {
		return &pod.InvalidError{Fields: map[string]string{"current_password": "is not correct"}}
	}
	return a.CloseAccount(ctx, s.UserID)
}

// CloseAccount closes a local user's account (the settings page, after
// the password check, and admins closing an account call it). It locks the
// user, closes their person, ends every session and queues the
// account_deletion for the pods that knew them and the purge of their
// data. Closing an account that is closed already changes nothing.
func (a *Service) CloseAccount(ctx context.Context, userID int64) error {
	user, err := a.store.UserByID(ctx, userID)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no user %d: %w", userID, pod.ErrNotFound)
	} else if err != nil {
		return err
	}
	person, err := a.store.PersonOfUser(ctx, userID)
	if err != nil {
		return err
	}
	var started bool
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		var err error
		if started, err = tx.StartAccountDeletion(ctx, person.ID); err != nil || !started {
			return err
		}
		// Resolved now: the purge deletes the contacts they come from.
		pods, err := tx.AccountDeletionPods(ctx, person.ID)
		if err != nil {
			return err
		}
		out.Add(&tasks.AccountDeleted{PersonID: person.ID, PodIDs: pods})
		out.AddTask(tasks.NewAccountPurge(tasks.AccountPurge{PersonID: person.ID}))
		return nil
	})
	if err != nil {
		return fmt.Errorf("close account of %s: %w", user.Username, err)
	}
	if err := a.core.EndUserSessions(ctx, userID, ""); err != nil {
		return fmt.Errorf("close account of %s: end sessions: %w", user.Username, err)
	}
	if started {
		a.log.Info("account closed", "username", user.Username, "user_id", userID, "person", person.DiasporaID)
	}
	return nil
}

// CloseAccountByUsername closes the account of a username (operator
// tool: pod admin close-account).
func (a *Service) CloseAccountByUsername(ctx context.Context, username string) error {
	user, err := a.store.UserByUsername(ctx, pod.NormalizeUsername(username))
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no user named %q: %w", username, pod.ErrNotFound)
	} else if err != nil {
		return err
	}
	return a.CloseAccount(ctx, user.ID)
}

// PurgeAccount is one round of the purge job of a closed person, local
// (CloseAccount) or remote (a received account_deletion): it deletes
// their posts for up to purgeRound and queues the next round if some are
// left; the last round deletes the rest (models.Store.PurgePerson and,
// for a local user, PurgeUser) and marks the purge done. Running a round
// again is harmless.
func (a *Service) PurgeAccount(ctx context.Context, p tasks.AccountPurge) error {
	person, err := a.store.PersonByID(ctx, p.PersonID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // gone entirely: nothing left to purge
	} else if err != nil {
		return err
	}
	if !person.ClosedAccount {
		a.log.Warn("account purge of an open account refused", "person", person.DiasporaID)
		return nil
	}
	if _, err := a.store.AccountDeletionOf(ctx, person.ID); errors.Is(err, models.ErrNotFound) {
		// A moved person is closed too, but their content moved: nothing
		// of it is deleted.
		a.log.Warn("account purge of a person who did not close their account refused", "person", person.DiasporaID)
		return nil
	} else if err != nil {
		return err
	}
	deadline := time.Now().Add(purgeRound)
	for {
		n, err := a.store.DeletePostsOf(ctx, person.ID, purgeBatch)
		if err != nil {
			return err
		}
		if n > 0 {
			a.core.EnqueueBestEffort(ctx, tasks.NewPhotosSweep()) // their files
		}
		if n < purgeBatch {
			break
		}
		if time.Now().After(deadline) {
			return a.core.TxOut(ctx, func(_ *models.Store, out *pod.Outbox) error {
				out.AddTask(tasks.NewAccountPurge(tasks.AccountPurge{PersonID: person.ID, Round: p.Round + 1}))
				return nil
			})
		}
	}
	var hash string
	if person.Local() {
		if hash, err = HashPassword(pod.NewSecret()); err != nil {
			return err
		}
	}
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.PurgePerson(ctx, person.ID); err != nil {
			return err
		}
		if person.Local() {
			if err := tx.PurgeUser(ctx, *person.OwnerID, hash); err != nil {
				return err
			}
			out.AddTask(tasks.NewArchivesSweep()) // their data exports
		}
		out.AddTask(tasks.NewPhotosSweep()) // pending uploads' files
		return tx.MarkAccountDeletion(ctx, person.ID, false)
	})
	if err != nil {
		return fmt.Errorf("purge %s: %w", person.DiasporaID, err)
	}
	if person.Local() {
		if err := a.core.EndUserSessions(ctx, *person.OwnerID, ""); err != nil {
			return err
		}
	}
	a.log.Info("closed account purged", "person", person.DiasporaID, "local", person.Local(), "rounds", p.Round+1)
	return nil
}
