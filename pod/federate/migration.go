package federate

import (
	"context"
	"strings"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Sending account_migration (§4.19) after an archive import: the entity is
// authored by the new identity, the local user, and goes in a magic
// envelope signed with the user's key; old_identity names the identity it
// replaces, and its signature over "AccountMigration:<old>:<new>" was made
// at import with the private key of the archive (the old identity's, kept
// nowhere), so a receiver checks it against the old identity's public key.
// The nested profile is the new identity's public profile. It goes on the
// public route to the pods of the user's contacts and of the old
// identity, so that they move their contacts over.

// DispatchAccountMigration federates an imported account's migration.
func (a *Service) DispatchAccountMigration(ctx context.Context, e *tasks.AccountMigrated) error {
	return a.dispatched(e, a.dispatchAccountMigration(ctx, e))
}

func (a *Service) dispatchAccountMigration(ctx context.Context, d *tasks.AccountMigrated) error {
	imp, err := a.store.ArchiveImportByID(ctx, d.ImportID)
	if err != nil {
		return err
	}
	person, err := a.store.PersonOfUser(ctx, d.UserID)
	if err != nil {
		return err
	}
	profile, err := a.store.ProfileOf(ctx, person.ID)
	if err != nil {
		return err
	}
	m, err := MigrationEntity(person, profile, a.opt.BaseURL, imp)
	if err != nil {
		return err
	}
	payload, err := marshalValid(m)
	if err != nil {
		return err
	}
	var ids []int64
	if imp.OldPersonID != nil {
		ids = append(ids, *imp.OldPersonID)
	}
	rcpts, err := a.store.RecipientsByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, receiving := range []bool{true, false} {
		more, err := a.store.ContactRecipients(ctx, d.UserID, receiving)
		if err != nil {
			return err
		}
		rcpts = append(rcpts, more...)
	}
	return a.send(ctx, outgoing{key: d.Key, entityType: m.EntityName(), payload: payload, sender: person, public: true,
		recipients: rcpts, maxRetry: tasks.MaxDeliveryRetries * 2})
}

// MigrationEntity builds the account_migration of an import: by the new
// identity (person), with its public profile, old_identity and the
// signature the import made.
func MigrationEntity(person *models.Person, profile *models.Profile, baseURL string, imp *models.ArchiveImport) (*entity.AccountMigration, error) {
	return &entity.AccountMigration{
		Author:      strings.ToLower(person.DiasporaID),
		Profile:     fedhost.Profile(person, profile, baseURL, false),
		Signature:   imp.Signature,
		OldIdentity: strings.ToLower(imp.OldDiasporaID),
	}, nil
}
