package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// The conversation vectors (19): alice's conversation with bob, with its
// first message, and bob's reply, received through the real private
// receive endpoint by bob's pod (recipient role) and alice's (root role),
// in TestVectorsReceived.
// That the pod builds the same payloads from the same data is
// TestConversationEntitiesReproduceVector19 (pod/federate/fedhost).

const (
	convGUID  = "19a3b3c3d3e3f4041424344454647484" // 19
	firstGUID = "19b3b3c3d3e3f4041424344454647484" // 19's first message
	replyGUID = "19c3b3c3d3e3f4041424344454647484" // 19_message_reply
)

// withLocalConversation stores alice's conversation 19 on her pod (root
// role), as if she had started it here.
func withLocalConversation(e *vecEnv) {
	ctx := context.Background()
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	err := e.p.Store.Tx(ctx, func(tx *models.Store) error {
		c := &models.Conversation{GUID: convGUID, AuthorID: e.local.s.PersonID, Subject: "Hi Bob", CreatedAt: at, LastMessageAt: at}
		if err := tx.CreateConversation(ctx, c, []int64{e.local.s.PersonID, e.people["bob@pod-b.org"].ID}); err != nil {
			return err
		}
		_, err := tx.AddMessage(ctx, &models.Message{GUID: firstGUID, ConversationID: c.ID, AuthorID: e.local.s.PersonID, Text: "How are you?", CreatedAt: at})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func conversationVectorCases() []vecCase {
	return []vecCase{
		{name: "19 conversation for bob", role: roleRecipient,
			send: func(e *vecEnv) delivery {
				return e.private("19_conversation", vectorPayload(e.t, "19_conversation"), e.alice, e.bob)
			},
			check: func(t *testing.T, e *vecEnv) {
				ctx := context.Background()
				c, err := e.p.Store.ConversationByGUID(ctx, convGUID)
				if err != nil {
					t.Fatal(err)
				}
				cv, err := e.p.App.Conversations.Show(ctx, e.local.s, c.ID, "")
				if err != nil {
					t.Fatal(err)
				}
				if cv.Subject != "Hi Bob" || len(cv.Participants) != 2 || len(cv.Messages) != 1 || cv.Messages[0].Text != "How are you?" ||
					cv.Messages[0].GUID != firstGUID || cv.Messages[0].Author.DiasporaID != "alice@pod-a.org" || cv.Unread != 1 ||
					!cv.Messages[0].CreatedAt.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("bob sees %+v", cv)
				}
				if _, err := e.p.App.Conversations.Show(ctx, e.carol.s, c.ID, ""); !pod.IsNotFound(err) {
					t.Errorf("carol opening it: %v", err)
				}
			}},
		{name: "19 conversation on the public route", role: roleRecipient, drop: "arrived on the public route",
			send: func(e *vecEnv) delivery { return e.public("19_conversation", e.alice) }},
		{name: "19 conversation for someone not among its participants", role: roleRecipient, drop: "who is not among its participants",
			send: func(e *vecEnv) delivery {
				pe, err := e.p.Store.PersonByID(context.Background(), e.carol.s.PersonID)
				if err != nil {
					e.t.Fatal(err)
				}
				carol := identity{ID: pe.DiasporaID, GUID: pe.GUID, Key: privateKeyOf(e.t, e.p, e.carol.s.Username)}
				return e.private("19_conversation", vectorPayload(e.t, "19_conversation"), e.alice, carol)
			}},
		{name: "19 conversation for bob, who ignores alice", role: roleRecipient, drop: "ignores its author",
			setup: func(e *vecEnv) {
				if _, err := e.p.Store.CreateBlock(context.Background(), e.local.s.UserID, e.people["alice@pod-a.org"].ID); err != nil {
					e.t.Fatal(err)
				}
			},
			send: func(e *vecEnv) delivery {
				return e.private("19_conversation", vectorPayload(e.t, "19_conversation"), e.alice, e.bob)
			}},
		{name: "19 message reply on alice's conversation", role: roleRoot, setup: withLocalConversation,
			send: func(e *vecEnv) delivery {
				return e.private("19_message_reply", vectorPayload(e.t, "19_message_reply"), e.bob, e.alice)
			},
			check: func(t *testing.T, e *vecEnv) {
				ctx := context.Background()
				m, err := e.p.Store.MessageByGUID(ctx, replyGUID)
				if err != nil || m.Text != "Fine, thanks" || m.AuthorID != e.people["bob@pod-b.org"].ID {
					t.Fatalf("stored reply %+v %v", m, err)
				}
				if n, err := e.p.App.Conversations.UnreadCount(ctx, e.local.s); err != nil || n != 1 {
					t.Errorf("alice's unread count %d %v", n, err)
				}
				if n := e.count("SELECT count(*) FROM outbox WHERE task_type = 'federation:message-sent'"); n != 0 {
					t.Errorf("a received message was queued for sending %d times; messages are not relayed", n)
				}
			}},
		{name: "19 message reply for a conversation that is not ours", role: roleRoot, drop: "not a participant",
			setup: func(e *vecEnv) {
				withLocalConversation(e)
				if err := e.p.Store.Exec(context.Background(), `DELETE FROM conversation_visibilities WHERE person_id = ?`, e.people["bob@pod-b.org"].ID); err != nil {
					e.t.Fatal(err)
				}
			},
			send: func(e *vecEnv) delivery {
				return e.private("19_message_reply", vectorPayload(e.t, "19_message_reply"), e.bob, e.alice)
			}},
		{name: "19 message reply on the public route", role: roleRoot, setup: withLocalConversation, drop: "arrived on the public route",
			send: func(e *vecEnv) delivery { return e.public("19_message_reply", e.bob) }},
	}
}
