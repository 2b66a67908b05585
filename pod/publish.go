package pod

import (
	"context"

	"github.com/aspenpod/aspen/models"
)

// Publish finishes storing a new post, written here or received: its tags
// and mentions, its entries in the readers' main streams, and the
// notifications of the mentioned people who may read it.
func (a *Core) Publish(ctx context.Context, tx *models.Store, post *models.Post, mentioned []models.PersonRow) error {
	tagIDs, err := tx.EnsureTags(ctx, ExtractTags(post.Text))
	if err != nil {
		return err
	}
	if err := tx.AddTaggings(ctx, post, tagIDs); err != nil {
		return err
	}
	mentionIDs := make([]int64, 0, len(mentioned))
	for _, m := range mentioned {
		mentionIDs = append(mentionIDs, m.ID)
	}
	if err := tx.AddMentions(ctx, post, mentionIDs); err != nil {
		return err
	}
	if err := tx.FanOut(ctx, post); err != nil {
		return err
	}
	return a.NotifyMentioned(ctx, tx, post, mentioned)
}

// ContainsTag reports whether text carries #tag.
func ContainsTag(text, tag string) bool {
	for _, t := range ExtractTags(text) {
		if t == tag {
			return true
		}
	}
	return false
}

// ResolveMentions finds the known people a text mentions.
func (a *Core) ResolveMentions(ctx context.Context, tx *models.Store, text string) ([]models.PersonRow, map[string]MentionTarget, error) {
	ms := ExtractMentions(text)
	targets := map[string]MentionTarget{}
	if len(ms) == 0 {
		return nil, targets, nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.DiasporaID
	}
	known, err := tx.PeopleByDiasporaIDs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var out []models.PersonRow
	for _, m := range ms {
		if p, ok := known[m.DiasporaID]; ok {
			out = append(out, p)
			targets[m.DiasporaID] = MentionTarget{GUID: p.GUID, Name: PersonName(p.FirstName, p.LastName, p.DiasporaID)}
		}
	}
	return out, targets, nil
}

// PostAudience resolves who gets what happens under a post of a local
// author: a public post's subscribers (pods), a limited post's snapshot.
func (a *Core) PostAudience(ctx context.Context, post *models.Post) ([]models.RemoteRecipient, error) {
	if post.Public {
		return a.store.PublicPostRecipients(ctx, post.AuthorID, post.ID)
	}
	return a.store.AudienceRecipients(ctx, post.ID)
}
