package posts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// ErrIgnored: the post's author ignores the viewer, who may not interact.
var ErrIgnored = errors.New("the author of this post does not accept your comments or likes")

// checkInteract verifies that the viewer may comment on or like a post they
// can see: its author must not ignore them.
func (a *Service) checkInteract(ctx context.Context, tx *models.Store, s *pod.Session, p *models.Post) error {
	ignored, err := tx.BlockedByOwner(ctx, p.AuthorID, s.PersonID)
	if err != nil {
		return err
	}
	if ignored {
		return ErrIgnored
	}
	return nil
}

// Comment adds a comment to a post the viewer may see. Commenting
// subscribes the commenter; the post's author and other participants are
// notified.
func (a *Service) Comment(ctx context.Context, s *pod.Session, postKey, text string) (*pod.CommentView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, &pod.InvalidError{Fields: map[string]string{"text": "can't be blank"}}
	case utf8.RuneCountInString(text) > pod.CommentMaxLen:
		return nil, &pod.InvalidError{Fields: map[string]string{"text": fmt.Sprintf("is too long (at most %d characters)", pod.CommentMaxLen)}}
	}
	var c *models.Comment
	var post *models.Post
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		p, err := a.visiblePost(ctx, tx, s, postKey)
		if err != nil {
			return err
		}
		post = p
		if err := a.checkInteract(ctx, tx, s, p); err != nil {
			return err
		}
		now := time.Now().UTC()
		c = &models.Comment{GUID: pod.NewGUID(), PostID: p.ID, AuthorID: s.PersonID, Text: text, CreatedAt: now, UpdatedAt: now}
		if err := a.AddComment(ctx, tx, p, c); err != nil {
			return err
		}
		out.Add(&tasks.CommentAdded{CommentID: c.ID})
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err := a.store.CommentsOf(ctx, pod.Viewer(s), post.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.ID == c.ID {
			cv := pod.CommentViewOf(r, pod.Viewer(s), post.AuthorID)
			return &cv, nil
		}
	}
	return nil, pod.ErrNotFound
}

// AddComment stores a comment (local, or received with its signed XML),
// renders its text, counts it, subscribes its author and notifies the
// post's author and the other participants.
func (a *Service) AddComment(ctx context.Context, tx *models.Store, p *models.Post, c *models.Comment) error {
	mentioned, targets, err := a.core.ResolveMentions(ctx, tx, c.Text)
	if err != nil {
		return err
	}
	c.TextHTML = string(pod.RenderText(c.Text, targets))
	if err := tx.CreateComment(ctx, c); err != nil {
		return err
	}
	if err := tx.AddCounters(ctx, p.ID, 1, 0, 0); err != nil {
		return err
	}
	participants, err := tx.ParticipantsOf(ctx, p.ID, c.AuthorID)
	if err != nil {
		return err
	}
	if err := tx.AddParticipation(ctx, p.ID, c.AuthorID); err != nil {
		return err
	}
	// As diaspora*: a local person mentioned in the comment who may read
	// the post hears of it as a mention, not also as a comment.
	told := map[int64]bool{}
	for _, m := range mentioned {
		if m.OwnerID == nil || m.ID == c.AuthorID || told[m.ID] {
			continue
		}
		told[m.ID] = true
		if err := a.core.NotifyOf(ctx, tx, pod.NotifyEvent{UserID: *m.OwnerID, PersonID: m.ID, Type: models.NotifyMentionedInComment,
			PostID: p.ID, CommentID: c.ID, Actor: c.AuthorID}); err != nil {
			return err
		}
	}
	if !told[p.AuthorID] {
		if err := a.core.NotifyAuthorOf(ctx, tx, p, models.NotifyCommentOnPost, c.ID, c.AuthorID); err != nil {
			return err
		}
	}
	for _, pt := range participants {
		if pt.PersonID == p.AuthorID || told[pt.PersonID] {
			continue
		}
		if err := a.core.NotifyOf(ctx, tx, pod.NotifyEvent{UserID: pt.UserID, PersonID: pt.PersonID, Type: models.NotifyAlsoCommented,
			PostID: p.ID, CommentID: c.ID, Actor: c.AuthorID}); err != nil {
			return err
		}
	}
	return nil
}

// Comments lists a visible post's comments.
func (a *Service) Comments(ctx context.Context, s *pod.Session, postKey string) ([]pod.CommentView, error) {
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.CommentsOf(ctx, pod.Viewer(s), p.ID)
	if err != nil {
		return nil, err
	}
	out := make([]pod.CommentView, 0, len(rows))
	for _, r := range rows {
		out = append(out, pod.CommentViewOf(r, pod.Viewer(s), p.AuthorID))
	}
	return out, nil
}

// DeleteComment deletes a comment; its author or the post's author may.
func (a *Service) DeleteComment(ctx context.Context, s *pod.Session, commentID int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		c, err := tx.CommentByID(ctx, commentID)
		if err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		p, err := a.visiblePost(ctx, tx, s, fmt.Sprint(c.PostID))
		if err != nil {
			return err
		}
		if c.AuthorID != s.PersonID && p.AuthorID != s.PersonID {
			return pod.ErrForbidden
		}
		author, err := tx.PersonByID(ctx, c.AuthorID)
		if err != nil {
			return err
		}
		if err := tx.DeleteComment(ctx, c.ID); err != nil {
			return err
		}
		out.Add(&tasks.Retracted{SenderID: s.PersonID, PostID: p.ID, PersonID: c.AuthorID,
			TargetType: "Comment", TargetGUID: c.GUID, TargetAuthor: author.DiasporaID})
		return tx.AddCounters(ctx, p.ID, -1, 0, 0)
	})
}

// Like likes a visible post (commentID 0) or one of its comments. Liking
// twice is pod.AlreadyDone (the web's 422, the API's 409).
func (a *Service) Like(ctx context.Context, s *pod.Session, postKey string, commentID int64) (*pod.LikeView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	var like *models.Like
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		p, err := a.visiblePost(ctx, tx, s, postKey)
		if err != nil {
			return err
		}
		if err := a.checkInteract(ctx, tx, s, p); err != nil {
			return err
		}
		var cid *int64
		var comment *models.Comment
		if commentID != 0 {
			c, err := tx.CommentByID(ctx, commentID)
			if err != nil || c.PostID != p.ID {
				return pod.ErrNotFound
			}
			cid, comment = &c.ID, c
		}
		like = &models.Like{GUID: pod.NewGUID(), PostID: p.ID, CommentID: cid, AuthorID: s.PersonID, Positive: true, CreatedAt: time.Now().UTC()}
		if err := tx.CreateLike(ctx, like); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return pod.AlreadyDone("you already like this")
			}
			return err
		}
		out.Add(&tasks.LikeAdded{LikeID: like.ID})
		if cid != nil {
			if err := tx.AddCommentLikes(ctx, *cid, 1); err != nil {
				return err
			}
			return a.core.NotifyCommentLiked(ctx, tx, comment, s.PersonID)
		}
		if err := tx.AddCounters(ctx, p.ID, 0, 1, 0); err != nil {
			return err
		}
		if err := tx.AddParticipation(ctx, p.ID, s.PersonID); err != nil {
			return err
		}
		return a.core.NotifyAuthor(ctx, tx, p, models.NotifyLiked, s.PersonID)
	})
	if err != nil {
		return nil, err
	}
	return &pod.LikeView{ID: like.ID, GUID: like.GUID, Author: pod.PersonView{ID: s.PersonID, GUID: s.GUID, DiasporaID: s.Username + "@" + a.opt.Host, Name: s.Username}}, nil
}

// Unlike removes the viewer's like of a visible post or comment. Without
// one it is pod.NothingToUndo (the web's 404, the API's 410).
func (a *Service) Unlike(ctx context.Context, s *pod.Session, postKey string, commentID int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		p, err := a.visiblePost(ctx, tx, s, postKey)
		if err != nil {
			return err
		}
		l, err := tx.LikeOf(ctx, p.ID, commentID, s.PersonID)
		if err != nil {
			return pod.NotFoundAs(err, pod.NothingToUndo("you do not like this"))
		}
		if err := tx.DeleteLike(ctx, l.ID); err != nil {
			return err
		}
		out.Add(&tasks.Retracted{SenderID: s.PersonID, PostID: p.ID, PersonID: s.PersonID,
			TargetType: "Like", TargetGUID: l.GUID, TargetAuthor: s.Username + "@" + a.opt.Host})
		if !l.Positive {
			return nil // never counted
		}
		if commentID != 0 {
			return tx.AddCommentLikes(ctx, commentID, -1)
		}
		return tx.AddCounters(ctx, p.ID, 0, -1, 0)
	})
}

// Likes lists the likes of a visible post.
func (a *Service) Likes(ctx context.Context, s *pod.Session, postKey string) ([]pod.LikeView, error) {
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.LikesOf(ctx, p.ID, 0)
	if err != nil {
		return nil, err
	}
	out := make([]pod.LikeView, 0, len(rows))
	for _, r := range rows {
		out = append(out, pod.LikeViewOf(r))
	}
	return out, nil
}

// Reshare reshares a public post; resharing a reshare reshares its
// original. Limited posts cannot be reshared (the answer does not tell a
// non-reader that the post exists), nor one's own (InvalidErrors), nor
// twice (pod.AlreadyDone).
func (a *Service) Reshare(ctx context.Context, s *pod.Session, rootKey string) (*pod.PostView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	var reshare *models.Post
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		root, err := a.visiblePost(ctx, tx, s, rootKey)
		if err != nil {
			return err
		}
		if root.Type == models.TypeReshare {
			if root.RootID == nil {
				return &pod.InvalidError{Message: "the original post was deleted"}
			}
			if root, err = tx.PostByID(ctx, *root.RootID); err != nil {
				return pod.NotFoundAs(err, pod.ErrNotFound)
			}
		}
		if !aspects.CanReshare(aspects.Post{Public: root.Public, Author: root.AuthorID}, aspects.Viewer{Person: s.PersonID}) {
			if !root.Public {
				return &pod.InvalidError{Message: "only public posts can be reshared"}
			}
			return &pod.InvalidError{Message: "you cannot reshare your own post"}
		}
		if _, err := tx.ReshareOf(ctx, root.ID, s.PersonID); err == nil {
			return pod.AlreadyDone("you already reshared this post")
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		now := time.Now().UTC()
		guid := root.GUID
		reshare = &models.Post{GUID: pod.NewGUID(), AuthorID: s.PersonID, Type: models.TypeReshare, Public: true,
			RootID: &root.ID, RootGUID: &guid, CreatedAt: now, UpdatedAt: now, InteractedAt: now}
		if err := tx.CreatePost(ctx, reshare); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return pod.AlreadyDone("you already reshared this post")
			}
			return err
		}
		if err := tx.AddCounters(ctx, root.ID, 0, 0, 1); err != nil {
			return err
		}
		if err := tx.AddParticipation(ctx, root.ID, s.PersonID); err != nil {
			return err
		}
		if err := tx.FanOut(ctx, reshare); err != nil {
			return err
		}
		out.Add(&tasks.PostPublished{PostID: reshare.ID})
		return a.core.NotifyAuthor(ctx, tx, root, models.NotifyReshared, s.PersonID)
	})
	if err != nil {
		return nil, err
	}
	return a.PostByID(ctx, s, reshare.ID)
}

// Participate subscribes the viewer to a visible post, or unsubscribes.
func (a *Service) Participate(ctx context.Context, s *pod.Session, postKey string, on bool) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return err
	}
	return a.participate(ctx, s, p, on)
}
