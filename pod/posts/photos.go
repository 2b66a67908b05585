package posts

import (
	"context"
	"errors"
	"fmt"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// attachPhotos makes the author's pending photos part of a new post (they
// take its public flag and, from then on, its audience). An ID that is not
// one of the author's pending photos (someone else's, posted already,
// unknown) refuses the whole post, naming the field.
func attachPhotos(ctx context.Context, tx *models.Store, s *pod.Session, post *models.Post, ids []int64) error {
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			return &pod.InvalidError{Fields: map[string]string{"photos": fmt.Sprintf("photo %d is listed twice", id)}}
		}
		seen[id] = true
	}
	err := tx.AttachPhotos(ctx, s.PersonID, post, ids)
	if errors.Is(err, models.ErrNotFound) {
		return &pod.InvalidError{Fields: map[string]string{"photos": "a photo is not one of your photos waiting for a post (it may have been posted or removed already)"}}
	}
	return err
}
