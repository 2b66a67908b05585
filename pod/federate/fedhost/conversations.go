package fedhost

import (
	"strings"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
)

// Conversation returns the conversation entity of a conversation started
// by author with its first messages (by author too, §4.17); participants
// are the diaspora IDs of every participant, the author included.
func Conversation(c *models.Conversation, author *models.Person, participants []string, msgs []models.Message) *entity.Conversation {
	e := &entity.Conversation{Author: diasporaID(author), GUID: c.GUID, Subject: c.Subject, CreatedAt: timestamp(c.CreatedAt),
		Participants: strings.ToLower(strings.Join(participants, ";"))}
	for i := range msgs {
		e.Messages = append(e.Messages, Message(&msgs[i], author, c))
	}
	return e
}

// Message returns the message entity of a message in conversation c.
func Message(m *models.Message, author *models.Person, c *models.Conversation) *entity.Message {
	return &entity.Message{Author: diasporaID(author), GUID: m.GUID, Text: m.Text, CreatedAt: timestamp(m.CreatedAt), ConversationGUID: c.GUID}
}

// ReceivedConversation is the conversation row of a received entity.
func ReceivedConversation(e *entity.Conversation, authorID int64) *models.Conversation {
	at := timestamp(e.CreatedAt)
	return &models.Conversation{GUID: strings.ToLower(e.GUID), AuthorID: authorID, Subject: e.Subject, CreatedAt: at, LastMessageAt: at}
}

// ReceivedMessage is the message row of a received entity (its
// conversation is set when stored).
func ReceivedMessage(e *entity.Message, authorID int64) *models.Message {
	return &models.Message{GUID: strings.ToLower(e.GUID), AuthorID: authorID, Text: e.Text, CreatedAt: timestamp(e.CreatedAt)}
}
