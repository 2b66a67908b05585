package pod

import (
	"context"
	"errors"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/tasks"
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
	return a.NotifyOf(ctx, tx, NotifyEvent{UserID: userID, PersonID: recipientPerson, Type: typ, PostID: postID, Actor: actor})
}

// NotifyEvent is something a person did that a local user hears of.
type NotifyEvent struct {
	// UserID and PersonID are the recipient.
	UserID, PersonID int64
	// Type is a notification type of models (models.NotifyLiked, ...).
	Type string
	// PostID is the post it is about; CommentID the comment, for the
	// comment types (0 otherwise).
	PostID, CommentID int64
	// Actor is the person who did it.
	Actor int64
}

// NotifyOf records a notification about a post (and comment), if the
// recipient may see the post and does not ignore the actor, and queues
// its mail (QueueNotificationMail) when the event is news to them.
func (a *Core) NotifyOf(ctx context.Context, tx *models.Store, e NotifyEvent) error {
	v := models.Viewer{UserID: e.UserID, PersonID: e.PersonID}
	if ok, err := tx.CanSeePost(ctx, v, e.PostID); err != nil || !ok {
		return err
	}
	if blocked, err := tx.Blocked(ctx, e.UserID, e.Actor); err != nil || blocked {
		return err
	}
	var groupComment *int64
	if e.Type == models.NotifyLikedComment && e.CommentID != 0 {
		groupComment = &e.CommentID
	}
	news, err := tx.NotifyEvent(ctx, e.UserID, e.Type, &e.PostID, groupComment, nil, e.Actor)
	if err != nil || !news {
		return err
	}
	return a.QueueNotificationMail(ctx, tx, tasks.NotificationMail{UserID: e.UserID, Type: e.Type, ActorID: e.Actor,
		PostID: e.PostID, CommentID: e.CommentID})
}

// NotifyAuthor notifies a post's local author about something another
// person did to the post.
func (a *Core) NotifyAuthor(ctx context.Context, tx *models.Store, p *models.Post, typ string, actor int64) error {
	return a.NotifyAuthorOf(ctx, tx, p, typ, 0, actor)
}

// NotifyAuthorOf is NotifyAuthor for an event with a comment (a comment
// on the post: comment_on_post).
func (a *Core) NotifyAuthorOf(ctx context.Context, tx *models.Store, p *models.Post, typ string, commentID, actor int64) error {
	if p.AuthorID == actor {
		return nil
	}
	uid, err := tx.UserIDOfPerson(ctx, p.AuthorID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // a remote author: their pod notifies them
	} else if err != nil {
		return err
	}
	return a.NotifyOf(ctx, tx, NotifyEvent{UserID: uid, PersonID: p.AuthorID, Type: typ, PostID: p.ID, CommentID: commentID, Actor: actor})
}

// NotifyCommentLiked notifies a comment's local author that actor liked
// it (liked_comment, grouped per comment).
func (a *Core) NotifyCommentLiked(ctx context.Context, tx *models.Store, c *models.Comment, actor int64) error {
	if c.AuthorID == actor {
		return nil
	}
	uid, err := tx.UserIDOfPerson(ctx, c.AuthorID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // a remote commenter: their pod notifies them
	} else if err != nil {
		return err
	}
	return a.NotifyOf(ctx, tx, NotifyEvent{UserID: uid, PersonID: c.AuthorID, Type: models.NotifyLikedComment, PostID: c.PostID, CommentID: c.ID, Actor: actor})
}

// NotifyStartedSharing tells a local user that actor started sharing with
// them, unless they ignore actor, and mails it when it is news.
func (a *Core) NotifyStartedSharing(ctx context.Context, tx *models.Store, userID, actor int64) error {
	if blocked, err := tx.Blocked(ctx, userID, actor); err != nil || blocked {
		return err
	}
	news, err := tx.NotifyEvent(ctx, userID, models.NotifyStartedSharing, nil, nil, &actor, actor)
	if err != nil || !news {
		return err
	}
	return a.QueueNotificationMail(ctx, tx, tasks.NotificationMail{UserID: userID, Type: models.NotifyStartedSharing, ActorID: actor})
}
