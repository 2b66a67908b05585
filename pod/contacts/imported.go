package contacts

import (
	"context"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// ShareAsImported makes the user share with person, as an imported
// archive says the old account did, inside the import's transaction: the
// contact becomes receiving and the user's stream gets the person's posts.
// A local person learns it as from any start of sharing (their side of
// the contact, a notification, their follow-back). A remote person's pod
// is sent no contact entity: the account_migration the import sends tells
// it that this account replaces the old one, whose contacts it moves over
// (diaspora*'s import does the same).
func (a *Service) ShareAsImported(ctx context.Context, tx *models.Store, out *pod.Outbox, userID, userPerson int64, c *models.Contact, person *models.Person) error {
	if c.Receiving {
		return nil
	}
	if person.OwnerID != nil {
		return a.startSharing(ctx, tx, out, userID, userPerson, c, person)
	}
	if err := tx.SetContactFlags(ctx, c.ID, c.Sharing, true); err != nil {
		return err
	}
	return tx.BackfillAuthor(ctx, userID, person.ID)
}
