package fedhost_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
)

// TestConversationEntitiesReproduceVector19: the conversation (with its
// first message) and the reply this pod builds for vector 19's data are
// the reference's payloads byte for byte, and a received vector 19 maps
// back onto the same rows.
func TestConversationEntitiesReproduceVector19(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &models.Conversation{GUID: "19a3b3c3d3e3f4041424344454647484", AuthorID: alice.ID, Subject: "Hi Bob", CreatedAt: at}
	first := models.Message{GUID: "19b3b3c3d3e3f4041424344454647484", AuthorID: alice.ID, Text: "How are you?", CreatedAt: at.Add(123 * time.Millisecond)}
	conv := fedhost.Conversation(c, alice, []string{"alice@pod-a.org", "bob@pod-b.org"}, []models.Message{first})
	if err := conv.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := entity.MarshalXML(conv)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.TrimSpace(vector(t, "generated/19_conversation.payload.xml"))
	if !bytes.Equal(got, want) {
		t.Errorf("conversation payload\n got: %s\nwant: %s", got, want)
	}
	reply := &models.Message{GUID: "19c3b3c3d3e3f4041424344454647484", AuthorID: bob.ID, Text: "Fine, thanks", CreatedAt: time.Date(2024, 1, 2, 8, 0, 0, 0, time.FixedZone("CET", 3600))}
	m := fedhost.Message(reply, bob, c)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err = entity.MarshalXML(m)
	if err != nil {
		t.Fatal(err)
	}
	wantReply := bytes.TrimSpace(vector(t, "generated/19_message_reply.payload.xml"))
	if !bytes.Equal(got, wantReply) {
		t.Errorf("message payload\n got: %s\nwant: %s", got, wantReply)
	}

	// Received, the vector gives back the rows it was built from.
	parsed, err := entity.ParseXML(wantReply)
	if err != nil {
		t.Fatal(err)
	}
	rm := fedhost.ReceivedMessage(parsed.(*entity.Message), bob.ID)
	if rm.GUID != reply.GUID || rm.Text != reply.Text || !rm.CreatedAt.Equal(reply.CreatedAt) || rm.AuthorID != bob.ID {
		t.Errorf("received message %+v", rm)
	}
	pc, err := entity.ParseXML(bytes.TrimSpace(vector(t, "generated/19_conversation.payload.xml")))
	if err != nil {
		t.Fatal(err)
	}
	rc := fedhost.ReceivedConversation(pc.(*entity.Conversation), alice.ID)
	if rc.GUID != c.GUID || rc.Subject != "Hi Bob" || !rc.CreatedAt.Equal(at) {
		t.Errorf("received conversation %+v", rc)
	}
}
