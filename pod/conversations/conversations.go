// Package conversations owns private conversations, as diaspora* has them:
// a subject, a first message and recipients chosen from the author's
// mutual contacts (the pod's admins may write to anyone, for a welcome
// message); the participant set is fixed at creation; every participant
// may reply; each has an unread count and may hide ("delete") the
// conversation for themself. Only participants ever see a conversation:
// for everyone else every use case answers pod.ErrNotFound.
//
// Someone who ignores a person refuses their messages: a conversation
// started by them is not shown to the ignoring user, their messages in
// other conversations are left out of what the user sees, counts and is
// notified of, and a delivery from them addressed to the user alone is
// dropped (pod/federate).
//
// Conversations and messages federate as diaspora*'s conversation (with
// its first message) and message entities, sent privately by the
// author's pod to every remote participant (tasks.ConversationStarted,
// tasks.MessageSent); messages are not relayed (§4.17).
package conversations

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Limits of a conversation (the federation entity's: a subject of at most
// 255 characters, messages of at most 65,535).
const (
	MaxSubject      = 255
	MaxText         = 65535
	MaxParticipants = 100
	// PageSize is how many conversations a list page shows (diaspora*: 15).
	PageSize = 15
	// MessagePage is how many messages a conversation page shows at once.
	MessagePage = 100
	// maxRecipientChoices bounds the new conversation form's list.
	maxRecipientChoices = 1000
)

// DefaultSubject is the subject of a conversation started without one
// (diaspora*'s "no subject").
const DefaultSubject = "no subject"

// Service holds the conversation use cases.
type Service struct {
	core  *pod.Core
	store *models.Store
}

// New builds the conversation use cases over core.
func New(core *pod.Core) *Service {
	return &Service{core: core, store: core.Store()}
}

// Input starts a conversation: diaspora*'s conversation[subject],
// conversation[text] and the recipients (person_ids, or contact_ids
// resolved by the caller to people).
type Input struct {
	Subject    string
	Text       string
	Recipients []int64
}

// MessageView is one message as pages and JSON show it.
type MessageView struct {
	ID             int64          `json:"id"`
	GUID           string         `json:"guid"`
	ConversationID int64          `json:"conversation_id"`
	AuthorID       int64          `json:"author_id"`
	Author         pod.PersonView `json:"author"`
	Text           string         `json:"text"`
	HTML           template.HTML  `json:"text_html"`
	CreatedAt      time.Time      `json:"created_at"`
}

// ConversationView is a conversation as its participants see it.
type ConversationView struct {
	ID           int64            `json:"id"`
	GUID         string           `json:"guid"`
	Subject      string           `json:"subject"`
	AuthorID     int64            `json:"author_id"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	Unread       int              `json:"unread"`
	Participants []pod.PersonView `json:"participants"`
	// LastMessage is the newest message the viewer may see (lists only).
	LastMessage *MessageView `json:"last_message,omitempty"`
	// Messages, oldest first (a conversation's page only).
	Messages []MessageView `json:"messages,omitempty"`
	// Older is the cursor of the messages before the first one shown,
	// empty when there are none.
	Older string `json:"-"`
}

// List is one page of a participant's conversations.
type List struct {
	Items []ConversationView
	// Next is the cursor of the next page, empty on the last one.
	Next string
}

// checkText validates the text of a message: not blank, at most MaxText
// characters. field names the form field for the error.
func checkText(inv *pod.InvalidError, field, text string) {
	switch n := utf8.RuneCountInString(text); {
	case strings.TrimSpace(text) == "":
		inv.Add(field, "can't be blank")
	case n > MaxText:
		inv.Add(field, fmt.Sprintf("is too long (%d characters; at most %d)", n, MaxText))
	}
}

// Create starts a conversation with a first message from the viewer to
// the recipients, who must be mutual contacts (an admin may write to
// anyone), and federates it. Nothing is stored unless all is well.
func (a *Service) Create(ctx context.Context, s *pod.Session, in Input) (*ConversationView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	inv := pod.Invalid()
	subject := strings.TrimSpace(in.Subject)
	if subject == "" {
		subject = DefaultSubject
	}
	if n := utf8.RuneCountInString(subject); n > MaxSubject {
		inv.Add("conversation[subject]", fmt.Sprintf("is too long (%d characters; at most %d)", n, MaxSubject))
	}
	checkText(inv, "conversation[text]", in.Text)
	var rcpts []int64
	seen := map[int64]bool{s.PersonID: true}
	for _, id := range in.Recipients {
		if !seen[id] {
			seen[id] = true
			rcpts = append(rcpts, id)
		}
	}
	switch {
	case len(rcpts) == 0:
		inv.Add("person_ids", "choose at least one recipient")
	case len(rcpts)+1 > MaxParticipants:
		inv.Add("person_ids", fmt.Sprintf("a conversation has at most %d participants", MaxParticipants))
	}
	if !inv.Empty() {
		return nil, inv
	}
	var convID int64
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := a.checkRecipients(ctx, tx, s, rcpts); err != nil {
			return err
		}
		now := now()
		c := &models.Conversation{GUID: pod.NewGUID(), AuthorID: s.PersonID, Subject: subject, CreatedAt: now, LastMessageAt: now}
		if err := tx.CreateConversation(ctx, c, append([]int64{s.PersonID}, rcpts...)); err != nil {
			return err
		}
		convID = c.ID
		m := &models.Message{GUID: pod.NewGUID(), ConversationID: c.ID, AuthorID: s.PersonID, Text: in.Text, CreatedAt: now}
		if err := a.addMessage(ctx, tx, out, m); err != nil {
			return err
		}
		out.Add(&tasks.ConversationStarted{ConversationID: c.ID})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a.Show(ctx, s, convID, "")
}

// checkRecipients refuses recipients who are not mutual contacts of the
// viewer (unless the viewer is an admin) or who ignore the viewer; an
// unknown person is "not a mutual contact" too, so the answer tells
// nothing about who exists.
func (a *Service) checkRecipients(ctx context.Context, tx *models.Store, s *pod.Session, rcpts []int64) error {
	people, err := tx.PeopleByIDs(ctx, rcpts)
	if err != nil {
		return err
	}
	mutual, err := tx.MutualContacts(ctx, s.UserID, rcpts)
	if err != nil {
		return err
	}
	for _, id := range rcpts {
		p, known := people[id]
		if !known || !s.Admin && !mutual[id] {
			return &pod.InvalidError{Fields: map[string]string{"person_ids": fmt.Sprintf("person %d is not one of your mutual contacts; you can write only to people who share with you and with whom you share", id)}}
		}
		if blocked, err := tx.BlockedByOwner(ctx, id, s.PersonID); err != nil {
			return err
		} else if blocked {
			return &pod.InvalidError{Fields: map[string]string{"person_ids": pod.PersonName(p.FirstName, p.LastName, p.DiasporaID) + " does not accept messages from you"}}
		}
		if closed, err := a.closed(ctx, tx, id); err != nil {
			return err
		} else if closed {
			return &pod.InvalidError{Fields: map[string]string{"person_ids": fmt.Sprintf("person %d is not one of your mutual contacts; you can write only to people who share with you and with whom you share", id)}}
		}
	}
	return nil
}

func (a *Service) closed(ctx context.Context, tx *models.Store, personID int64) (bool, error) {
	p, err := tx.PersonByID(ctx, personID)
	if err != nil {
		return false, err
	}
	return p.ClosedAccount, nil
}

// Reply adds the viewer's message to a conversation they take part in,
// and federates it. A conversation the viewer is not in is ErrNotFound.
func (a *Service) Reply(ctx context.Context, s *pod.Session, conversationID int64, text string) (*MessageView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	v := pod.Viewer(s)
	if _, _, err := a.store.ConversationFor(ctx, v, conversationID); err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	inv := pod.Invalid()
	checkText(inv, "message[text]", text)
	if !inv.Empty() {
		return nil, inv
	}
	var msgID int64
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		m := &models.Message{GUID: pod.NewGUID(), ConversationID: conversationID, AuthorID: s.PersonID, Text: text, CreatedAt: now()}
		if err := a.addMessage(ctx, tx, out, m); err != nil {
			return err
		}
		msgID = m.ID
		out.Add(&tasks.MessageSent{MessageID: m.ID})
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err := a.store.MessagesFor(ctx, v, conversationID, models.MessageCursor{}, MessagePage)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.ID == msgID {
			mv := messageView(r)
			return &mv, nil
		}
	}
	return nil, pod.ErrNotFound
}

// addMessage renders and stores a message (local or received) in tx and
// notifies the local participants it reaches (NotifyParticipant). Only
// participants may be mentioned: other mentions stay plain text.
func (a *Service) addMessage(ctx context.Context, tx *models.Store, out *pod.Outbox, m *models.Message) error {
	html, err := a.render(ctx, tx, m.ConversationID, m.Text)
	if err != nil {
		return err
	}
	m.TextHTML = string(html)
	reached, err := tx.AddMessage(ctx, m)
	if err != nil {
		return err
	}
	for _, p := range reached {
		if err := a.NotifyParticipant(ctx, tx, out, p, m); err != nil {
			return err
		}
	}
	return nil
}

// NotifyParticipant is the one step that tells a local participant about
// a new message (the first message of a new conversation included): the
// unread counter was raised by the store; here the private_message
// notification is recorded and, unless they switched it off, a mail is
// queued in the message's transaction; the mails of one conversation
// thread together.
func (a *Service) NotifyParticipant(ctx context.Context, tx *models.Store, out *pod.Outbox, p models.LocalParticipant, m *models.Message) error {
	if err := tx.NotifyPrivateMessage(ctx, p.UserID, m.AuthorID, m.ConversationID); err != nil {
		return err
	}
	if !a.core.MailEnabled() {
		return nil
	}
	c, err := tx.ConversationByID(ctx, m.ConversationID)
	if err != nil {
		return err
	}
	return a.core.QueueNotificationMail(ctx, tx, tasks.NotificationMail{UserID: p.UserID, Type: models.NotifyPrivateMessage,
		ActorID: m.AuthorID, Thread: "conversation-" + c.GUID, Subject: c.Subject, Excerpt: m.Text,
		Link: "/conversations/" + strconv.FormatInt(c.ID, 10)})
}

// render renders a message's markdown with the posts' renderer; mentions
// link only participants of the conversation.
func (a *Service) render(ctx context.Context, tx *models.Store, conversationID int64, text string) (template.HTML, error) {
	mentioned, targets, err := a.core.ResolveMentions(ctx, tx, text)
	if err != nil {
		return "", err
	}
	if len(mentioned) > 0 {
		ids, err := tx.ParticipantIDs(ctx, conversationID)
		if err != nil {
			return "", err
		}
		in := map[int64]bool{}
		for _, id := range ids {
			in[id] = true
		}
		keep := map[string]bool{}
		for _, p := range mentioned {
			id := strings.ToLower(p.DiasporaID)
			if in[p.ID] {
				keep[id] = true
			} else {
				delete(targets, id)
			}
		}
		text = pod.PlainMentions(text, keep)
	}
	return pod.RenderText(text, targets), nil
}

// List shows a page of the viewer's conversations (not hidden), newest
// last message first, before the cursor (empty: the first page).
func (a *Service) List(ctx context.Context, s *pod.Session, before string) (*List, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	var cur models.Cursor
	if before != "" {
		c, err := pod.DecodeCursor(before)
		if err != nil {
			return nil, err
		}
		cur = c
	}
	v := pod.Viewer(s)
	rows, err := a.store.ConversationsOf(ctx, v, cur, PageSize+1)
	if err != nil {
		return nil, err
	}
	list := &List{}
	if len(rows) > PageSize {
		rows = rows[:PageSize]
		last := rows[len(rows)-1]
		list.Next = pod.EncodeCursor(models.Cursor{Time: last.LastMessageAt, ID: last.ID})
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	parts, err := a.store.ConversationParticipants(ctx, ids)
	if err != nil {
		return nil, err
	}
	var authors []int64
	for _, r := range rows {
		if r.LastAuthorID != nil {
			authors = append(authors, *r.LastAuthorID)
		}
	}
	people, err := a.store.PeopleByIDs(ctx, authors)
	if err != nil {
		return nil, err
	}
	list.Items = make([]ConversationView, 0, len(rows))
	for _, r := range rows {
		cv := conversationView(r.Conversation, parts[r.ID])
		cv.Unread = r.Unread
		if r.LastText != nil && r.LastAuthorID != nil {
			cv.LastMessage = &MessageView{GUID: pod.Deref(r.LastMessageGUID), ConversationID: r.ID, AuthorID: *r.LastAuthorID,
				Author: pod.PersonViewOf(people[*r.LastAuthorID]), Text: preview(*r.LastText)}
		}
		list.Items = append(list.Items, cv)
	}
	return list, nil
}

// preview shortens a message's text for the list.
func preview(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= 120 {
		return s
	}
	r := []rune(s)
	return string(r[:119]) + "…"
}

func conversationView(c models.Conversation, parts []models.PersonRow) ConversationView {
	cv := ConversationView{ID: c.ID, GUID: c.GUID, Subject: c.Subject, AuthorID: c.AuthorID, CreatedAt: c.CreatedAt, UpdatedAt: c.LastMessageAt,
		Participants: make([]pod.PersonView, 0, len(parts))}
	for _, p := range parts {
		cv.Participants = append(cv.Participants, pod.PersonViewOf(p))
	}
	return cv
}

func messageView(r models.MessageRow) MessageView {
	return MessageView{ID: r.ID, GUID: r.GUID, ConversationID: r.ConversationID, AuthorID: r.AuthorID, Text: r.Text,
		HTML: template.HTML(r.TextHTML), CreatedAt: r.CreatedAt,
		Author: pod.PersonViewOf(models.PersonRow{ID: r.AuthorID, GUID: r.AuthorGUID, DiasporaID: r.AuthorDiasporaID,
			FirstName: r.AuthorFirstName, LastName: r.AuthorLastName, ImageURL: r.AuthorImage, ImageSmall: r.AuthorImageSmall, ImageMed: r.AuthorImageMed})}
}

// Show shows a conversation the viewer takes part in, with its newest
// messages (older ones before the cursor), and marks it read. Anyone
// else gets ErrNotFound.
func (a *Service) Show(ctx context.Context, s *pod.Session, id int64, before string) (*ConversationView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	cur, err := decodeMessageCursor(before)
	if err != nil {
		return nil, err
	}
	v := pod.Viewer(s)
	c, vis, err := a.store.ConversationFor(ctx, v, id)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	parts, err := a.store.ConversationParticipants(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	rows, err := a.store.MessagesFor(ctx, v, id, cur, MessagePage+1)
	if err != nil {
		return nil, err
	}
	cv := conversationView(*c, parts[id])
	if len(rows) > MessagePage {
		rows = rows[:MessagePage]
		last := rows[len(rows)-1]
		cv.Older = strconv.FormatInt(last.CreatedAt.Unix(), 10) + "_" + last.GUID
	}
	cv.Messages = make([]MessageView, len(rows))
	for i, r := range rows {
		cv.Messages[len(rows)-1-i] = messageView(r)
	}
	// Unread is what was unread before this visit, which marks it read.
	cv.Unread = vis.Unread
	if err := a.store.ReadConversation(ctx, v, id); err != nil {
		return nil, err
	}
	return &cv, nil
}

// now is the time of a new conversation or message, in whole seconds as
// the protocol carries it: every pod then orders the messages alike (by
// time, then GUID).
func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// decodeMessageCursor reads the "older messages" cursor: Unix seconds and
// a GUID; empty is the newest messages.
func decodeMessageCursor(s string) (models.MessageCursor, error) {
	if s == "" {
		return models.MessageCursor{}, nil
	}
	sec, guid, ok := strings.Cut(s, "_")
	n, err := strconv.ParseInt(sec, 10, 64)
	if !ok || err != nil || n < 0 || !pod.UsernameRE.MatchString(guid) {
		return models.MessageCursor{}, &pod.InvalidError{Message: "the page cursor is not valid"}
	}
	return models.MessageCursor{Time: time.Unix(n, 0).UTC(), GUID: guid}, nil
}

// Hide hides a conversation from the viewer's list ("delete" on
// diaspora*); the other participants keep it. It shows again when
// someone writes in it. A conversation the viewer is not in is
// ErrNotFound.
func (a *Service) Hide(ctx context.Context, s *pod.Session, id int64) error {
	if err := pod.RequireUser(s); err != nil {
		return err
	}
	v := pod.Viewer(s)
	if _, _, err := a.store.ConversationFor(ctx, v, id); err != nil {
		return pod.NotFoundAs(err, pod.ErrNotFound)
	}
	return pod.NotFoundAs(a.store.HideConversation(ctx, v, id), pod.ErrNotFound)
}

// UnreadCount counts the viewer's unread messages (the header's counter);
// 0 for visitors.
func (a *Service) UnreadCount(ctx context.Context, s *pod.Session) (int, error) {
	if s == nil {
		return 0, nil
	}
	return a.store.UnreadMessages(ctx, pod.Viewer(s))
}

// Recipients lists whom the viewer may start a conversation with: their
// mutual contacts, by name; for an admin, who may write to anyone, also
// the people asked for (chosen, e.g. from a profile's link).
func (a *Service) Recipients(ctx context.Context, s *pod.Session, chosen ...int64) ([]pod.PersonView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	rows, err := a.store.MutualContactPeople(ctx, s.UserID, maxRecipientChoices)
	if err != nil {
		return nil, err
	}
	out := make([]pod.PersonView, 0, len(rows)+len(chosen))
	listed := map[int64]bool{s.PersonID: true}
	for _, r := range rows {
		out = append(out, pod.PersonViewOf(r))
		listed[r.ID] = true
	}
	if !s.Admin {
		return out, nil
	}
	var extra []int64
	for _, id := range chosen {
		if !listed[id] {
			extra = append(extra, id)
		}
	}
	people, err := a.store.PeopleByIDs(ctx, extra)
	if err != nil {
		return nil, err
	}
	for _, id := range extra {
		if p, ok := people[id]; ok {
			out = append(out, pod.PersonViewOf(p))
		}
	}
	return out, nil
}

// PeopleOfContacts turns the viewer's contact IDs (diaspora*'s
// contact_ids) into person IDs; IDs of other users' contacts, or unknown
// ones, are an InvalidError.
func (a *Service) PeopleOfContacts(ctx context.Context, s *pod.Session, contactIDs []int64) ([]int64, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(contactIDs))
	for _, id := range contactIDs {
		c, err := a.store.ContactByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) || err == nil && c.UserID != s.UserID {
			return nil, &pod.InvalidError{Fields: map[string]string{"contact_ids": fmt.Sprintf("%d is not one of your contacts", id)}}
		} else if err != nil {
			return nil, err
		}
		out = append(out, c.PersonID)
	}
	return out, nil
}

// Received is a conversation or message received from another pod, for
// StoreReceived: the conversation (created when new, with its
// participants) and its new messages.
type Received struct {
	Conversation *models.Conversation
	// Participants are the conversation's participants (a new
	// conversation only).
	Participants []int64
	Messages     []*models.Message
}

// StoreReceived stores a received conversation (new: with its
// participants) and messages in one transaction; messages whose GUID is
// stored already are skipped (a repeated delivery). The local
// participants are notified as for local messages.
func (a *Service) StoreReceived(ctx context.Context, r Received) error {
	return a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		c := r.Conversation
		if c.ID == 0 {
			if err := tx.CreateConversation(ctx, c, r.Participants); err != nil {
				return err
			}
		}
		for _, m := range r.Messages {
			if _, err := tx.MessageByGUID(ctx, m.GUID); err == nil {
				continue
			} else if !errors.Is(err, models.ErrNotFound) {
				return err
			}
			m.ConversationID = c.ID
			if err := a.addMessage(ctx, tx, out, m); err != nil {
				return err
			}
		}
		return nil
	})
}
