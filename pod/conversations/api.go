package conversations

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// The use cases of diaspora*'s API v1 for conversations (issue 16): the
// API names conversations by GUID and shows a conversation the user hid
// ("deleted") as gone, as diaspora* does after destroying the user's
// visibility (here it shows again when someone writes in it, as on the
// web).

// APIQuery selects a page of the API's conversation list.
type APIQuery struct {
	UnreadOnly bool
	// Since keeps conversations created at or after it (zero: all).
	Since time.Time
	// The page: conversations created strictly before (Descending) or
	// after Time, at most Limit (1 to 100; else PageSize).
	Time       time.Time
	Descending bool
	Limit      int
	// GUID places the bound among the conversations created at Time
	// (which has whole seconds): "" is before (Descending) or after all
	// of them.
	GUID string
}

// APIList lists the viewer's conversations, paged on their creation time.
func (a *Service) APIList(ctx context.Context, s *pod.Session, q APIQuery) ([]ConversationView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	w := models.TimeWindow{Time: q.Time, GUID: q.GUID, Descending: q.Descending, Limit: q.Limit}
	if w.Limit <= 0 || w.Limit > 100 {
		w.Limit = PageSize
	}
	rows, err := a.store.APIConversations(ctx, pod.Viewer(s), models.ConversationFilter{UnreadOnly: q.UnreadOnly, CreatedSince: q.Since}, w)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	parts, err := a.store.ConversationParticipants(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ConversationView, 0, len(rows))
	for _, r := range rows {
		cv := conversationView(r.Conversation, parts[r.ID])
		cv.Unread = r.Unread
		out = append(out, cv)
	}
	return out, nil
}

// APIConversationID finds the ID of a conversation the viewer takes part
// in, has not hidden and may see; anything else is ErrNotFound.
func (a *Service) APIConversationID(ctx context.Context, s *pod.Session, guid string) (int64, error) {
	if err := pod.RequireUser(s); err != nil {
		return 0, err
	}
	id, err := a.store.APIConversationID(ctx, pod.Viewer(s), guid)
	return id, pod.NotFoundAs(err, pod.ErrNotFound)
}

// APIConversation shows a conversation by GUID without its messages and
// without marking it read (diaspora*'s API show).
func (a *Service) APIConversation(ctx context.Context, s *pod.Session, guid string) (*ConversationView, error) {
	id, err := a.APIConversationID(ctx, s, guid)
	if err != nil {
		return nil, err
	}
	return a.apiView(ctx, s, id)
}

func (a *Service) apiView(ctx context.Context, s *pod.Session, id int64) (*ConversationView, error) {
	c, vis, err := a.store.ConversationFor(ctx, pod.Viewer(s), id)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	parts, err := a.store.ConversationParticipants(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	cv := conversationView(*c, parts[id])
	cv.Unread = vis.Unread
	return &cv, nil
}

// APIMarkRead marks a conversation (by GUID) read (no unread messages,
// its message notifications read) or unread (one unread message at
// least), and shows it.
func (a *Service) APIMarkRead(ctx context.Context, s *pod.Session, guid string, read bool) (*ConversationView, error) {
	id, err := a.APIConversationID(ctx, s, guid)
	if err != nil {
		return nil, err
	}
	v := pod.Viewer(s)
	if read {
		err = a.store.ReadConversation(ctx, v, id)
	} else {
		err = a.store.SetConversationUnread(ctx, v, id)
	}
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return a.apiView(ctx, s, id)
}

// APIHide hides a conversation (by GUID) for the viewer (Hide).
func (a *Service) APIHide(ctx context.Context, s *pod.Session, guid string) error {
	id, err := a.APIConversationID(ctx, s, guid)
	if err != nil {
		return err
	}
	return a.Hide(ctx, s, id)
}

// APIMessages lists a page of a conversation's messages (by GUID), oldest
// first, as diaspora*'s API pages them (offset and limit, bounded by the
// caller); it does not mark the conversation read, as diaspora*'s does
// not.
func (a *Service) APIMessages(ctx context.Context, s *pod.Session, guid string, offset, limit int) ([]MessageView, error) {
	id, err := a.APIConversationID(ctx, s, guid)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.MessagesPage(ctx, pod.Viewer(s), id, offset, limit)
	if err != nil {
		return nil, err
	}
	out := make([]MessageView, len(rows))
	for i, r := range rows {
		out[i] = messageView(r)
	}
	return out, nil
}

// APIReply adds the viewer's message to a conversation (by GUID), as Reply.
func (a *Service) APIReply(ctx context.Context, s *pod.Session, guid, text string) (*MessageView, error) {
	id, err := a.APIConversationID(ctx, s, guid)
	if err != nil {
		return nil, err
	}
	return a.Reply(ctx, s, id, text)
}

// APICreate starts a conversation as Create does, with the recipients
// named by person GUID or diaspora ID (diaspora*'s API recipients). A
// subject is required; an unknown recipient is an InvalidError like one
// who is not a mutual contact, so the answer tells nothing about who
// exists.
func (a *Service) APICreate(ctx context.Context, s *pod.Session, subject, text string, recipients []string) (*ConversationView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	inv := pod.Invalid()
	if strings.TrimSpace(subject) == "" {
		inv.Add("subject", "can't be blank")
	}
	if len(recipients) == 0 {
		inv.Add("recipients", "choose at least one recipient")
	}
	if len(recipients) > MaxParticipants {
		inv.Add("recipients", "too many recipients")
	}
	checkText(inv, "body", text)
	if !inv.Empty() {
		return nil, inv
	}
	ids := make([]int64, 0, len(recipients))
	for _, r := range recipients {
		var p *models.Person
		var err error
		if strings.Contains(r, "@") {
			p, err = a.store.PersonByDiasporaID(ctx, strings.ToLower(strings.TrimSpace(r)))
		} else {
			p, err = a.store.PersonByGUID(ctx, strings.TrimSpace(r))
		}
		if errors.Is(err, models.ErrNotFound) {
			return nil, &pod.InvalidError{Fields: map[string]string{"recipients": r + " is not one of your mutual contacts"}}
		} else if err != nil {
			return nil, err
		}
		ids = append(ids, p.ID)
	}
	cv, err := a.Create(ctx, s, Input{Subject: subject, Text: text, Recipients: ids})
	var inv2 *pod.InvalidError
	if errors.As(err, &inv2) && inv2.Fields["person_ids"] != "" {
		// The web's message names the person by internal ID; the API's
		// clients know people by GUID.
		return nil, &pod.InvalidError{Fields: map[string]string{"recipients": "every recipient must be one of your mutual contacts (who share with you and with whom you share) and accept messages from you"}}
	}
	return cv, err
}
