package web_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/conversations"
	"github.com/aspenpod/aspen/pod/podtest"
)

// TestDiaspyConversation: diaspy's conversation calls work here as on
// diaspora*: the mailbox (GET /conversations.json) lists the conversation
// bob started with alice, models.Conversation reads its subject (JSON),
// answers it (POST /conversations/:id/messages) and reads its messages from
// the HTML page; the answer is stored as alice's.
func TestDiaspyConversation(t *testing.T) {
	requireDiaspy(t)
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, bob.Session, bob.Aspects["Friends"], alice.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	cv, err := p.App.Conversations.Create(ctx, bob.Session, conversations.Input{Subject: "Dinner on Friday", Text: "Are you free?",
		Recipients: []int64{alice.Session.PersonID}})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(cv.ID, 10)

	var got struct {
		Login        bool     `json:"login"`
		Mailbox      []string `json:"mailbox"`
		Conversation struct {
			Subject  string         `json:"subject"`
			Answer   map[string]any `json:"answer"`
			Messages []string       `json:"messages"`
		} `json:"conversation"`
	}
	runDiaspy(t, p, &got, "alice", "password1", "--conversation", id)
	if !got.Login || !slices.Equal(got.Mailbox, []string{id}) {
		t.Errorf("diaspy's mailbox for alice = %v (signed in %v), want [%s]", got.Mailbox, got.Login, id)
	}
	if got.Conversation.Subject != "Dinner on Friday" {
		t.Errorf("diaspy read the subject %q", got.Conversation.Subject)
	}
	if _, ok := got.Conversation.Answer["message"]; !ok {
		t.Errorf("diaspy's answer got %v, want diaspora*'s {\"message\": ...}", got.Conversation.Answer)
	}
	msgs := strings.Join(got.Conversation.Messages, "\n")
	if len(got.Conversation.Messages) != 2 || !strings.Contains(msgs, "Are you free?") || !strings.Contains(msgs, "An answer from diaspy") {
		t.Errorf("diaspy read the messages %q, want bob's and its answer", got.Conversation.Messages)
	}
	page, err := p.App.Conversations.Show(ctx, bob.Session, cv.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	// Messages carry whole seconds (as the protocol does), so the answer
	// may sort before bob's message of the same second: look for it.
	var answer bool
	for _, m := range page.Messages {
		answer = answer || m.Author.GUID == alice.Session.GUID && strings.Contains(string(m.HTML), "An answer from diaspy")
	}
	if len(page.Messages) != 2 || !answer {
		t.Errorf("bob sees %d messages (alice's answer among them: %v); want 2 with it", len(page.Messages), answer)
	}

}
