package contacts

import (
	"context"
	"errors"

	"github.com/aspenpod/aspen/models"
)

// movedID turns the diaspora ID of someone who moved (a received
// account_migration) into the ID they use now, so that looking for their
// old address finds them; any other query is returned as it is.
func (a *Service) movedID(ctx context.Context, q string) (string, error) {
	p, err := a.store.PersonByDiasporaID(ctx, q)
	if errors.Is(err, models.ErrNotFound) || err == nil && !p.ClosedAccount {
		return q, nil
	} else if err != nil {
		return "", err
	}
	if _, err := a.store.MigrationOf(ctx, p.ID); errors.Is(err, models.ErrNotFound) {
		return q, nil
	} else if err != nil {
		return "", err
	}
	to, err := a.store.NewestPerson(ctx, p.ID)
	if err != nil {
		return "", err
	}
	return to.DiasporaID, nil
}
