package profiles

import (
	"context"
	"errors"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// closedProfile is the answer for a closed person's profile: a
// *pod.MovedError naming their newest identity when they moved (a received
// account_migration), else pod.ErrNotFound.
func (a *Service) closedProfile(ctx context.Context, person *models.Person) error {
	if _, err := a.store.MigrationOf(ctx, person.ID); errors.Is(err, models.ErrNotFound) {
		return pod.ErrNotFound
	} else if err != nil {
		return err
	}
	to, err := a.store.NewestPerson(ctx, person.ID)
	if err != nil {
		return err
	}
	if to.ClosedAccount {
		return pod.ErrNotFound
	}
	return &pod.MovedError{From: person.DiasporaID, GUID: to.GUID, DiasporaID: to.DiasporaID}
}
