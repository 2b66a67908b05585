package federate

import (
	"context"
	"errors"
	"strings"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/conversations"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Private conversations over federation (§4.17, migration 00011). A
// conversation goes out with its first message, a message on its own;
// both privately (sealed per recipient) from the author's pod to every
// remote participant. Messages are not relayables: every participant's
// pod sends its users' messages to all the other participants itself,
// so each participant receives each message exactly once, from its
// author's pod. Received, a conversation must name the recipient among
// its participants, and a message must come from a participant of a
// conversation the recipient takes part in; a recipient who ignores the
// author refuses both.

// maxConversationParticipants bounds the work one received conversation
// may cause (each unknown participant is discovered).
const maxConversationParticipants = conversations.MaxParticipants

// maxFirstMessages bounds the messages a conversation entity carries.
const maxFirstMessages = 10

// SetConversations gives the federation layer the conversation use cases
// (pod/app wires it).
func (a *Service) SetConversations(c *conversations.Service) { a.conversations = c }

// DispatchConversation sends a new conversation to its remote participants.
func (a *Service) DispatchConversation(ctx context.Context, e *tasks.ConversationStarted) error {
	return a.dispatched(e, a.dispatchConversation(ctx, e))
}

// DispatchMessage sends a message to the remote participants of its
// conversation.
func (a *Service) DispatchMessage(ctx context.Context, e *tasks.MessageSent) error {
	return a.dispatched(e, a.dispatchMessage(ctx, e))
}

// conversationRecipients loads a conversation's participants and the
// remote ones among them, except skip.
func (a *Service) conversationRecipients(ctx context.Context, c *models.Conversation, skip int64) ([]string, []models.RemoteRecipient, error) {
	ids, err := a.store.ParticipantIDs(ctx, c.ID)
	if err != nil {
		return nil, nil, err
	}
	people, err := a.store.PeopleByIDs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var handles []string
	var remote []int64
	for _, id := range ids {
		p := people[id]
		handles = append(handles, p.DiasporaID)
		if p.OwnerID == nil && id != skip {
			remote = append(remote, id)
		}
	}
	rcpts, err := a.store.RecipientsByID(ctx, remote)
	return handles, rcpts, err
}

func (a *Service) dispatchConversation(ctx context.Context, d *tasks.ConversationStarted) error {
	c, err := a.store.ConversationByID(ctx, d.ConversationID)
	if err != nil {
		return err
	}
	author, err := a.store.PersonByID(ctx, c.AuthorID)
	if err != nil || !author.Local() {
		return err
	}
	msgs, err := a.store.MessagesOfConversation(ctx, c, 1)
	if err != nil {
		return err
	}
	handles, rcpts, err := a.conversationRecipients(ctx, c, author.ID)
	if err != nil {
		return err
	}
	payload, err := marshalValid(fedhost.Conversation(c, author, handles, msgs))
	if err != nil {
		return err
	}
	return a.send(ctx, outgoing{key: d.Key, entityType: "conversation", payload: payload, sender: author, recipients: rcpts})
}

func (a *Service) dispatchMessage(ctx context.Context, d *tasks.MessageSent) error {
	m, err := a.store.MessageByID(ctx, d.MessageID)
	if err != nil {
		return err
	}
	c, err := a.store.ConversationByID(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	author, err := a.store.PersonByID(ctx, m.AuthorID)
	if err != nil || !author.Local() {
		return err
	}
	_, rcpts, err := a.conversationRecipients(ctx, c, author.ID)
	if err != nil {
		return err
	}
	payload, err := marshalValid(fedhost.Message(m, author, c))
	if err != nil {
		return err
	}
	return a.send(ctx, outgoing{key: d.Key, entityType: "message", payload: payload, sender: author, recipients: rcpts})
}

// receiveConversation stores a conversation delivered privately to rcpt.
func (a *Service) receiveConversation(ctx context.Context, e *entity.Conversation, author, rcpt *models.Person) error {
	if rcpt == nil {
		return dropped("conversation %s arrived on the public route", e.GUID)
	}
	guid := strings.ToLower(e.GUID)
	handles := map[string]bool{}
	var list []string
	for _, h := range e.ParticipantList() {
		h = strings.ToLower(strings.TrimSpace(h))
		if h != "" && !handles[h] {
			handles[h] = true
			list = append(list, h)
		}
	}
	if !handles[strings.ToLower(author.DiasporaID)] {
		return dropped("conversation %s: its author %s is not among its participants", guid, author.DiasporaID)
	}
	if !handles[strings.ToLower(rcpt.DiasporaID)] {
		return dropped("conversation %s was delivered to %s, who is not among its participants", guid, rcpt.DiasporaID)
	}
	if len(list) > maxConversationParticipants {
		return dropped("conversation %s has %d participants, more than %d", guid, len(list), maxConversationParticipants)
	}
	if blocked, err := a.store.BlockedByOwner(ctx, rcpt.ID, author.ID); err != nil {
		return err
	} else if blocked {
		return dropped("conversation %s by %s: %s ignores its author", guid, author.DiasporaID, rcpt.DiasporaID)
	}
	if existing, err := a.store.ConversationByGUID(ctx, guid); err == nil {
		if existing.AuthorID != author.ID {
			return dropped("conversation %s exists with another author", guid)
		}
		return nil // a repeated delivery, or the copy for another user here
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if len(e.Messages) > maxFirstMessages {
		return dropped("conversation %s carries %d messages, more than %d", guid, len(e.Messages), maxFirstMessages)
	}
	ids := make([]int64, 0, len(list))
	for _, h := range list {
		p, err := a.participant(ctx, h)
		if err != nil {
			return err
		}
		ids = append(ids, p.ID)
	}
	r := conversations.Received{Conversation: fedhost.ReceivedConversation(e, author.ID), Participants: ids}
	for _, m := range e.Messages {
		if !strings.EqualFold(m.ConversationGUID, guid) {
			return dropped("conversation %s carries message %s of conversation %s", guid, m.GUID, m.ConversationGUID)
		}
		r.Messages = append(r.Messages, fedhost.ReceivedMessage(m, author.ID))
	}
	err := a.conversations.StoreReceived(ctx, r)
	if errors.Is(err, models.ErrConflict) {
		// Stored meanwhile by the copy for another user here, or a message
		// GUID taken by another conversation.
		if c, gerr := a.store.ConversationByGUID(ctx, guid); gerr == nil && c.AuthorID == author.ID {
			return nil
		}
		return dropped("conversation %s: a GUID of it is taken", guid)
	}
	return err
}

// participant finds a participant of a received conversation, discovering
// an unknown remote one.
func (a *Service) participant(ctx context.Context, handle string) (*models.Person, error) {
	p, err := a.store.PersonByDiasporaID(ctx, handle)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	host := handle[strings.LastIndexByte(handle, '@')+1:]
	if a.core.OwnHost(host) {
		return nil, dropped("participant %s is no user of this pod", handle)
	}
	p, err = a.RemotePerson(ctx, handle, false)
	if err != nil {
		return nil, federation.Wrap(federation.ErrDiscovery, err, "participant %s", handle)
	}
	return p, nil
}

// receiveMessage stores a message delivered privately to rcpt.
func (a *Service) receiveMessage(ctx context.Context, e *entity.Message, author, rcpt *models.Person) error {
	if rcpt == nil {
		return dropped("message %s arrived on the public route", e.GUID)
	}
	guid := strings.ToLower(e.GUID)
	c, err := a.store.ConversationByGUID(ctx, strings.ToLower(e.ConversationGUID))
	if errors.Is(err, models.ErrNotFound) {
		// The conversation may still be on its way (it comes from its
		// author's pod, the message from its author's).
		return federation.Errorf(federation.ErrParentNotFound, "conversation %s of message %s", e.ConversationGUID, guid)
	} else if err != nil {
		return err
	}
	if in, err := a.store.IsParticipant(ctx, c.ID, rcpt.ID); err != nil {
		return err
	} else if !in {
		return dropped("message %s was delivered to %s, who is not a participant of conversation %s", guid, rcpt.DiasporaID, c.GUID)
	}
	if in, err := a.store.IsParticipant(ctx, c.ID, author.ID); err != nil {
		return err
	} else if !in {
		return dropped("message %s by %s: not a participant of conversation %s", guid, author.DiasporaID, c.GUID)
	}
	if blocked, err := a.store.BlockedByOwner(ctx, rcpt.ID, author.ID); err != nil {
		return err
	} else if blocked {
		return dropped("message %s by %s: %s ignores its author", guid, author.DiasporaID, rcpt.DiasporaID)
	}
	if _, err := a.store.MessageByGUID(ctx, guid); err == nil {
		return nil // a repeated delivery, or the copy for another user here
	}
	err = a.conversations.StoreReceived(ctx, conversations.Received{Conversation: c, Messages: []*models.Message{fedhost.ReceivedMessage(e, author.ID)}})
	if errors.Is(err, models.ErrConflict) {
		if m, gerr := a.store.MessageByGUID(ctx, guid); gerr == nil && m.ConversationID == c.ID && m.AuthorID == author.ID {
			return nil
		}
		return dropped("message %s: its GUID is taken", guid)
	}
	return err
}
