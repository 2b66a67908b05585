package posts

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// MentionCandidate is a person offered by mention autocompletion, in the
// shape diaspora*'s /contacts.json?q= and /posts/:id/mentionable answer.
type MentionCandidate struct {
	ID     int64  `json:"id"`
	GUID   string `json:"guid"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
	Handle string `json:"handle"`
	URL    string `json:"url"`
}

// mentionLimit is how many people one completion offers, as on diaspora*.
const mentionLimit = 15

// checkQuery checks a completion's query: empty means no candidates.
func checkQuery(q string) (string, error) {
	q = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	if utf8.RuneCountInString(q) > 255 {
		return "", &pod.InvalidError{Fields: map[string]string{"q": "is too long (at most 255 characters)"}}
	}
	return q, nil
}

func (a *Service) candidates(ctx context.Context, f models.MentionFilter) ([]MentionCandidate, error) {
	f.Limit = mentionLimit
	rows, err := a.store.MentionCandidates(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]MentionCandidate, 0, len(rows))
	for _, r := range rows {
		pv := pod.PersonViewOf(r)
		out = append(out, MentionCandidate{ID: pv.ID, GUID: pv.GUID, Name: pv.Name, Avatar: pv.Avatar.Medium, Handle: pv.DiasporaID, URL: "/people/" + pv.GUID})
	}
	return out, nil
}

// Mentionable lists the people matching q whom the user may mention in a
// new post: their contacts (only mutual ones with mutual set), or, when
// sel is a limited audience, only the people the post would reach, as
// mentions of anyone else become plain text when it is shared. sel nil is
// no audience chosen yet: the contacts.
func (a *Service) Mentionable(ctx context.Context, s *pod.Session, sel *aspects.Selection, q string, mutual bool) ([]MentionCandidate, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	q, err := checkQuery(q)
	if err != nil || q == "" {
		return []MentionCandidate{}, err
	}
	f := models.MentionFilter{Query: q, UserID: s.UserID, PersonID: s.PersonID, ContactsOnly: true, Mutual: mutual}
	if sel != nil && sel.Limited() {
		if err := a.checkSelection(ctx, a.store, s, *sel); err != nil {
			return nil, err
		}
		ids, err := a.recipients(ctx, a.store, s, *sel)
		if err != nil {
			return nil, err
		}
		f.Among = append([]int64{}, ids...)
	}
	return a.candidates(ctx, f)
}

// MentionableInComment lists the people matching q whom the viewer may
// mention in a comment on a post they can see (ErrNotFound otherwise). On
// a public post: their contacts and anyone with a searchable profile. On a
// limited post only people who can read it, and only those the viewer
// already knows to: its author and the people who commented on or liked
// it; its author also finds everyone the post reached (its audience
// snapshot), which nobody else is shown.
func (a *Service) MentionableInComment(ctx context.Context, s *pod.Session, postKey, q string) ([]MentionCandidate, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	p, err := a.visiblePost(ctx, a.store, s, postKey)
	if err != nil {
		return nil, err
	}
	q, err = checkQuery(q)
	if err != nil || q == "" {
		return []MentionCandidate{}, err
	}
	f := models.MentionFilter{Query: q, UserID: s.UserID, PersonID: s.PersonID}
	if !p.Public {
		f.Under, f.WithAudience = p.ID, p.AuthorID == s.PersonID
	}
	return a.candidates(ctx, f)
}

// checkPostText checks a post's text as the publisher sends it.
func checkPostText(text string) error {
	switch {
	case text == "":
		return &pod.InvalidError{Fields: map[string]string{"text": "can't be blank"}}
	case utf8.RuneCountInString(text) > pod.PostMaxLen:
		return &pod.InvalidError{Fields: map[string]string{"text": fmt.Sprintf("is too long (at most %d characters)", pod.PostMaxLen)}}
	}
	return nil
}

// keepAudienceMentions turns mentions of people outside a limited post's
// audience (recipients and the author) into plain text, and returns the
// text and the mentioned people that stay.
func keepAudienceMentions(text string, mentioned []models.PersonRow, author int64, recipients []int64) (string, []models.PersonRow) {
	inAudience := map[int64]bool{author: true}
	for _, r := range recipients {
		inAudience[r] = true
	}
	keep := map[string]bool{}
	var kept []models.PersonRow
	for _, m := range mentioned {
		if inAudience[m.ID] {
			keep[strings.ToLower(m.DiasporaID)] = true
			kept = append(kept, m)
		}
	}
	return pod.PlainMentions(text, keep), kept
}

// PreviewText renders a post's text as it would be shared with sel:
// the markdown and sanitising of the post page, mentions linked, and in a
// limited post the mentions of people outside its audience as plain text.
func (a *Service) PreviewText(ctx context.Context, s *pod.Session, text string, sel aspects.Selection) (template.HTML, error) {
	if err := pod.RequireUser(s); err != nil {
		return "", err
	}
	text = strings.TrimSpace(text)
	if err := checkPostText(text); err != nil {
		return "", err
	}
	mentioned, targets, err := a.core.ResolveMentions(ctx, a.store, text)
	if err != nil {
		return "", err
	}
	if sel.Limited() && (sel.AllAspects || len(sel.Aspects) > 0) {
		if err := a.checkSelection(ctx, a.store, s, sel); err != nil {
			return "", err
		}
		recipients, err := a.recipients(ctx, a.store, s, sel)
		if err != nil {
			return "", err
		}
		text, _ = keepAudienceMentions(text, mentioned, s.PersonID, recipients)
	}
	return pod.RenderText(text, targets), nil
}
