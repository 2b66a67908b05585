package pod

import (
	"context"
	"errors"

	"github.com/aspenpod/aspen/models"
)

// NotifyMentioned tells mentioned local users about a post they may read,
// unless they ignore its author.
func (a *Core) NotifyMentioned(ctx context.Context, tx *models.Store, post *models.Post, mentioned []models.PersonRow) error {
	for _, m := range mentioned {
		if m.OwnerID == nil || m.ID == post.AuthorID {
			continue
		}
		if err := a.Notify(ctx, tx, *m.OwnerID, m.ID, models.NotifyMentioned, post.ID, post.AuthorID); err != nil {
			return err
		}
	}
	return nil
}

// Notify records a notification for a local user (person recipientPerson)
// about a post, if they may see the post and do not ignore the actor.
func (a *Core) Notify(ctx context.Context, tx *models.Store, userID, recipientPerson int64, typ string, postID, actor int64) error {
	v := models.Viewer{UserID: userID, PersonID: recipientPerson}
	if ok, err := tx.CanSeePost(ctx, v, postID); err != nil || !ok {
		return err
	}
	if blocked, err := tx.Blocked(ctx, userID, actor); err != nil || blocked {
		return err
	}
	return tx.Notify(ctx, userID, typ, &postID, nil, actor)
}

// NotifyAuthor notifies a post's local author about something another
// person did to the post.
func (a *Core) NotifyAuthor(ctx context.Context, tx *models.Store, p *models.Post, typ string, actor int64) error {
	if p.AuthorID == actor {
		return nil
	}
	uid, err := tx.UserIDOfPerson(ctx, p.AuthorID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // a remote author: their pod notifies them
	} else if err != nil {
		return err
	}
	return a.Notify(ctx, tx, uid, p.AuthorID, typ, p.ID, actor)
}
