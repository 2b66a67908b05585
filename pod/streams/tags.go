package streams

import (
	"context"
	"errors"
	"strings"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// FollowTag follows a tag: its visible posts join the user's stream.
// Following a tag again changes nothing.
func (a *Service) FollowTag(ctx context.Context, s *pod.Session, name string) (int64, string, error) {
	return a.followTag(ctx, s, name, false)
}

// FollowTagOnce is FollowTag for the API: following a tag the user
// already follows is a pod.AlreadyDone (409), and nothing changes.
func (a *Service) FollowTagOnce(ctx context.Context, s *pod.Session, name string) (string, error) {
	_, tag, err := a.followTag(ctx, s, name, true)
	return tag, err
}

func (a *Service) followTag(ctx context.Context, s *pod.Session, name string, once bool) (int64, string, error) {
	if err := pod.RequireUser(s); err != nil {
		return 0, "", err
	}
	tag, ok := pod.NormalizeTag(name)
	if !ok {
		return 0, "", &pod.InvalidError{Fields: map[string]string{"name": "may contain only letters, digits, '_' and '-'"}}
	}
	var id int64
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		ids, err := tx.EnsureTags(ctx, []string{tag})
		if err != nil {
			return err
		}
		if once {
			if followed, err := tx.FollowsTag(ctx, s.UserID, ids[0]); err != nil {
				return err
			} else if followed {
				return pod.AlreadyDone("already following this tag")
			}
		}
		if id, err = tx.FollowTag(ctx, s.UserID, ids[0]); err != nil {
			return err
		}
		return tx.BackfillTag(ctx, s.UserID, s.PersonID, ids[0])
	})
	return id, tag, err
}

// UnfollowTag stops following a tag (by name); a tag the user does not
// follow is a pod.NothingToUndo (API 410, web 404).
func (a *Service) UnfollowTag(ctx context.Context, s *pod.Session, name string) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	tag, ok := pod.NormalizeTag(name)
	if !ok {
		return &pod.InvalidError{Fields: map[string]string{"name": "may contain only letters, digits, '_' and '-'"}}
	}
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		id, err := tx.TagByName(ctx, tag)
		if err != nil {
			return pod.NotFoundAs(err, pod.NothingToUndo("not following this tag"))
		}
		if err := tx.UnfollowTag(ctx, s.UserID, id); err != nil {
			return pod.NotFoundAs(err, pod.NothingToUndo("not following this tag"))
		}
		return tx.RecomputeTagReason(ctx, s.UserID)
	})
}

// UnfollowTagByID stops following a tag by its following's ID.
func (a *Service) UnfollowTagByID(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	tf, err := a.store.TagFollowingByID(ctx, s.UserID, id)
	if err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return a.UnfollowTag(ctx, s, tf.Name)
}

// FollowedTags lists the tags the user follows.
func (a *Service) FollowedTags(ctx context.Context, s *pod.Session) ([]models.TagFollowing, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	return a.store.FollowedTags(ctx, s.UserID)
}

// FollowsTag reports whether the user follows a tag.
func (a *Service) FollowsTag(ctx context.Context, s *pod.Session, name string) (bool, error) {
	if s == nil {
		return false, nil
	}
	tag, ok := pod.NormalizeTag(name)
	if !ok {
		return false, nil
	}
	id, err := a.store.TagByName(ctx, tag)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return a.store.FollowsTag(ctx, s.UserID, id)
}

// SearchTags suggests tags that start with q (at most limit, 10 by default)
// among those the viewer may know of: tags on posts they may read and tags
// they follow. s is nil for a signed-out visitor.
func (a *Service) SearchTags(ctx context.Context, s *pod.Session, q string, limit int) ([]string, error) {
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "#"))
	if q == "" {
		return []string{}, nil
	}
	if _, ok := pod.NormalizeTag(q); !ok {
		return nil, &pod.InvalidError{Fields: map[string]string{"q": "may contain only letters, digits, '_' and '-'"}}
	}
	return a.store.SearchTags(ctx, pod.Viewer(s), q, 0, limit)
}

// SearchTagsPage is SearchTags for the API (diaspora*'s tag search): the
// tags starting with q, by name, from offset, at most limit (1..100).
// An empty q, or one that cannot start a tag name, is a
// *pod.InvalidError.
func (a *Service) SearchTagsPage(ctx context.Context, s *pod.Session, q string, offset, limit int) ([]string, error) {
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "#"))
	if _, ok := pod.NormalizeTag(q); !ok || q == "" {
		return nil, &pod.InvalidError{Fields: map[string]string{"query": "may contain only letters, digits, '_' and '-'"}}
	}
	return a.store.SearchTags(ctx, pod.Viewer(s), q, max(offset, 0), min(max(limit, 1), 100))
}
