package e2e

import (
	"context"
	"crypto/rsa"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/conversations"
	"github.com/aspenpod/aspen/pod/podtest"
)

// convOf is the conversation a user sees with the given GUID, or nil.
func convOf(t *testing.T, u *user, guid string) *conversations.ConversationView {
	t.Helper()
	ctx := context.Background()
	c, err := u.p.Store.ConversationByGUID(ctx, guid)
	if err != nil {
		return nil
	}
	cv, err := u.p.App.Conversations.Show(ctx, u.s, c.ID, "")
	if pod.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cv
}

func messageTexts(cv *conversations.ConversationView) []string {
	var out []string
	for _, m := range cv.Messages {
		out = append(out, m.Text)
	}
	return out
}

// privateDeliveries counts the private deliveries a pod received for a
// person since the request log's offset.
func privateDeliveries(p *podtest.FedPod, from int, guid string) int {
	n := 0
	for _, r := range receivePosts(p, from) {
		if r.Path == privatePath(guid) {
			n++
		}
	}
	return n
}

// TestConversationAcrossThreePods: alice (pod1) starts a conversation
// with bob (pod2) and erin (pod3); each replies; every participant sees
// every message exactly once, in the same order; frank (pod3's other
// user, alice's mutual contact) and dave (pod2, a fourth person) see
// nothing; a message forged by dave, a non-participant, correctly signed
// by him, is dropped with a log line and changes nothing.
func TestConversationAcrossThreePods(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "conv1", 11, fast)
	pod2 := podtest.NewFedPod(t, "conv2", 12, fast)
	pod3 := podtest.NewFedPod(t, "conv3", 13, fast)
	alice := newUser(t, pod1, "alice")
	bob, dave := newUser(t, pod2, "bob"), newUser(t, pod2, "dave")
	erin, frank := newUser(t, pod3, "erin"), newUser(t, pod3, "frank")
	for _, other := range []*user{bob, erin, frank} {
		alice.share(t, "Friends", other)
		other.share(t, "Friends", alice)
	}
	dave.share(t, "Friends", alice)
	settled(t, pod1, pod2, pod3)

	bobOn1, erinOn1 := alice.find(t, bob), alice.find(t, erin)
	off2, off3 := len(pod2.Requests()), len(pod3.Requests())
	cv, err := pod1.App.Conversations.Create(ctx, alice.s, conversations.Input{Subject: "Three pods", Text: "Hello **both**", Recipients: []int64{bobOn1, erinOn1}})
	if err != nil {
		t.Fatal(err)
	}
	guid := cv.GUID
	settled(t, pod1, pod2, pod3)
	if n := privateDeliveries(pod2, off2, personGUID(t, pod2, bob.id())); n != 1 {
		t.Errorf("bob's pod got the conversation %d times, want 1", n)
	}
	if n := privateDeliveries(pod3, off3, personGUID(t, pod3, erin.id())); n != 1 {
		t.Errorf("erin's pod got the conversation %d times, want 1", n)
	}
	for _, u := range []*user{bob, erin} {
		n, err := u.p.App.Conversations.UnreadCount(ctx, u.s)
		if err != nil || n != 1 {
			t.Errorf("%s's unread count %d %v, want 1", u.name, n, err)
		}
		got := convOf(t, u, guid)
		if got == nil {
			t.Fatalf("%s does not see the conversation", u.name)
		}
		if got.Subject != "Three pods" || len(got.Participants) != 3 || !slices.Equal(messageTexts(got), []string{"Hello **both**"}) {
			t.Errorf("%s sees %+v", u.name, got)
		}
		if !strings.Contains(string(got.Messages[0].HTML), "<strong>both</strong>") {
			t.Errorf("%s sees the message rendered as %s", u.name, got.Messages[0].HTML)
		}
		notes, err := u.p.App.Notifications.Notifications(ctx, u.s, false, "private_message", 1, 10)
		if err != nil || len(notes.Items) != 1 {
			t.Errorf("%s's private_message notifications: %+v %v", u.name, notes, err)
		}
	}

	// Each replies in turn; the others get each reply once.
	for i, w := range []*user{bob, erin, alice} {
		// Messages carry whole seconds; within one second every pod orders
		// them by GUID, which need not be the order they were written in.
		time.Sleep(time.Second)
		text := "reply " + string(rune('A'+i)) + " by " + w.name
		c, err := w.p.Store.ConversationByGUID(ctx, guid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.p.App.Conversations.Reply(ctx, w.s, c.ID, text); err != nil {
			t.Fatalf("%s replying: %v", w.name, err)
		}
		settled(t, pod1, pod2, pod3)
	}
	want := []string{"Hello **both**", "reply A by bob", "reply B by erin", "reply C by alice"}
	for _, u := range []*user{alice, bob, erin} {
		got := convOf(t, u, guid)
		if got == nil || !slices.Equal(messageTexts(got), want) {
			t.Errorf("%s sees %v, want %v", u.name, messageTexts(got), want)
		}
		if n := count(t, u.p, "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.guid = ?", guid); n != 4 {
			t.Errorf("%s's pod stores %d messages, want 4", u.name, n)
		}
		if n := count(t, u.p, "SELECT count(*) FROM conversations"); n != 1 {
			t.Errorf("%s's pod stores %d conversations, want 1", u.name, n)
		}
	}
	if n := privateDeliveries(pod3, off3, personGUID(t, pod3, erin.id())); n != 3 {
		t.Errorf("erin's pod got %d deliveries for her, want 3 (the conversation, bob's and alice's replies)", n)
	}
	if n := privateDeliveries(pod2, off2, personGUID(t, pod2, bob.id())); n != 3 {
		t.Errorf("bob's pod got %d deliveries for him, want 3", n)
	}

	// frank (pod3) and dave (pod2) see nothing, anywhere.
	for _, u := range []*user{frank, dave} {
		if convOf(t, u, guid) != nil {
			t.Errorf("%s sees the conversation", u.name)
		}
		list, err := u.p.App.Conversations.List(ctx, u.s, "")
		if err != nil || len(list.Items) != 0 {
			t.Errorf("%s's list: %+v %v", u.name, list, err)
		}
		if n, err := u.p.App.Conversations.UnreadCount(ctx, u.s); err != nil || n != 0 {
			t.Errorf("%s's unread count %d %v", u.name, n, err)
		}
		notes, err := u.p.App.Notifications.Notifications(ctx, u.s, false, "", 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes.Items {
			if n.Type == models.NotifyPrivateMessage {
				t.Errorf("%s has a private_message notification", u.name)
			}
		}
		c, err := u.p.Store.ConversationByGUID(ctx, guid)
		if err != nil {
			continue // dave's pod has it for bob; frank's for erin
		}
		if _, err := u.p.App.Conversations.Show(ctx, u.s, c.ID, ""); !pod.IsNotFound(err) {
			t.Errorf("%s opening the conversation: %v, want not found", u.name, err)
		}
		if _, err := u.p.App.Conversations.Reply(ctx, u.s, c.ID, "let me in"); !pod.IsNotFound(err) {
			t.Errorf("%s replying: %v, want not found", u.name, err)
		}
	}

	// dave forges a message into the conversation, signed with his own key,
	// sealed for alice: dropped on her pod, nothing changes.
	daveKey := privateKeyOf(t, pod2, dave.s.Username)
	aliceOn2 := publicKeyOf(t, pod1, alice)
	forged := xmlOf(t, &entity.Message{Author: dave.id(), GUID: pod.NewGUID(), Text: "forged", CreatedAt: time.Now().UTC().Truncate(time.Second), ConversationGUID: guid})
	env, err := envelope.Sign(forged, dave.id(), daveKey)
	if err != nil {
		t.Fatal(err)
	}
	body, err := envelope.Seal(env.Marshal(), aliceOn2)
	if err != nil {
		t.Fatal(err)
	}
	before := tableCounts(t, pod1)
	off := len(pod1.Log.String())
	if code := postReceive(t, pod1, privatePath(personGUID(t, pod1, alice.id())), body); code != http.StatusAccepted {
		t.Fatalf("forged message answered %d, want 202", code)
	}
	settled(t, pod1, pod2, pod3)
	drops := dropLines(pod1, off)
	if len(drops) != 1 || !strings.Contains(drops[0], "not a participant of conversation "+guid) {
		t.Errorf("drop lines %q, want one saying dave is not a participant", drops)
	}
	after := tableCounts(t, pod1)
	delete(before, "people") // dave may be discovered to check his signature
	delete(after, "people")
	delete(before, "profiles")
	delete(after, "profiles")
	if diff := countsDiff(before, after); diff != "" {
		t.Errorf("the forged message changed rows: %s", diff)
	}
	if got := convOf(t, alice, guid); got == nil || slices.Contains(messageTexts(got), "forged") {
		t.Errorf("alice sees %v", messageTexts(got))
	}

	// erin ignores bob: his next message is refused on her pod (a log
	// line), alice still gets it.
	bobOn3, err := pod3.Store.PersonByDiasporaID(ctx, bob.id())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pod3.App.Contacts.Block(ctx, erin.s, bobOn3.ID); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	off3log := len(pod3.Log.String())
	c2, err := pod2.Store.ConversationByGUID(ctx, guid)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := pod2.App.Conversations.Reply(ctx, bob.s, c2.ID, "erin will not see this"); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	if drops := dropLines(pod3, off3log); len(drops) != 1 || !strings.Contains(drops[0], "ignores its author") {
		t.Errorf("erin's pod: drop lines %q, want one saying she ignores bob", drops)
	}
	if n := count(t, pod3, "SELECT count(*) FROM messages WHERE text = 'erin will not see this'"); n != 0 {
		t.Errorf("erin's pod stored the message of someone she ignores")
	}
	if got := convOf(t, alice, guid); got == nil || !slices.Contains(messageTexts(got), "erin will not see this") {
		t.Errorf("alice does not get bob's message: %v", messageTexts(got))
	}
	noPanic(t, pod1)
}

// publicKeyOf is a local user's public key.
func publicKeyOf(t *testing.T, p *podtest.FedPod, u *user) *rsa.PublicKey {
	t.Helper()
	pe, err := p.Store.PersonByID(context.Background(), u.s.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	k, err := federation.ParsePublicKey([]byte(pe.SerializedPublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
