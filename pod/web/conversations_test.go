package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// convWorld: alice shares with bob and carol and they with her (mutual);
// alice shares with dave, who does not share back; erin knows nobody.
type convWorld struct {
	p                               *podtest.Pod
	alice, bob, carol, dave, erin   *podtest.Client
	aliceID, bobID, carolID, daveID int64
	erinID                          int64
	anon                            *podtest.Client
}

func newConvWorld(t *testing.T) *convWorld {
	t.Helper()
	p := podtest.New(t)
	w := &convWorld{p: p, alice: p.Client(), bob: p.Client(), carol: p.Client(), dave: p.Client(), erin: p.Client(), anon: p.Client()}
	ctx := context.Background()
	ids := map[string]*int64{"alice": &w.aliceID, "bob": &w.bobID, "carol": &w.carolID, "dave": &w.daveID, "erin": &w.erinID}
	for name, c := range map[string]*podtest.Client{"alice": w.alice, "bob": w.bob, "carol": w.carol, "dave": w.dave, "erin": w.erin} {
		c.SignUp(name)
		person, err := p.Store.PersonByDiasporaID(ctx, name+"@pod.test")
		if err != nil {
			t.Fatal(err)
		}
		*ids[name] = person.ID
	}
	share := func(c *podtest.Client, username string, person int64) {
		t.Helper()
		u, err := p.Store.UserByUsername(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		as, err := p.Store.AspectsOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, c.Post("/aspect_memberships", url.Values{"aspect_id": {itoa(as[0].ID)}, "person_id": {itoa(person)}}), http.StatusSeeOther)
	}
	share(w.alice, "alice", w.bobID)
	share(w.bob, "bob", w.aliceID)
	share(w.alice, "alice", w.carolID)
	share(w.carol, "carol", w.aliceID)
	share(w.alice, "alice", w.daveID)
	return w
}

func (w *convWorld) count(t *testing.T, table string) int64 {
	t.Helper()
	n, err := w.p.Store.Count(context.Background(), "SELECT count(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var convLocation = regexp.MustCompile(`^/conversations/(\d+)`)

// start starts a conversation as c and returns its ID.
func startConversation(t *testing.T, c *podtest.Client, subject, text string, to ...int64) string {
	t.Helper()
	form := url.Values{"conversation[subject]": {subject}, "conversation[text]": {text}}
	for _, id := range to {
		form.Add("person_ids[]", itoa(id))
	}
	r := mustStatus(t, c.Post("/conversations", form), http.StatusFound)
	m := convLocation.FindStringSubmatch(r.Location())
	if m == nil {
		t.Fatalf("created conversation redirects to %q", r.Location())
	}
	return m[1]
}

var headerCount = regexp.MustCompile(`href="/conversations">Conversations(?: <span class="count" title="unread messages">(\d+)</span>)?</a>`)

// unread is the header's unread message counter on c's stream page.
func unread(t *testing.T, c *podtest.Client) string {
	t.Helper()
	body := mustStatus(t, c.Get("/conversations"), http.StatusOK).Body
	m := headerCount.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no conversations link in the header:\n%s", trim(body))
	}
	if m[1] == "" {
		return "0"
	}
	return m[1]
}

type convJSON struct {
	Conversation struct {
		ID           int64  `json:"id"`
		GUID         string `json:"guid"`
		Subject      string `json:"subject"`
		Unread       int    `json:"unread"`
		Participants []struct {
			DiasporaID string `json:"diaspora_id"`
		} `json:"participants"`
		Messages []struct {
			Text string `json:"text"`
			HTML string `json:"text_html"`
		} `json:"messages"`
	} `json:"conversation"`
}

// TestConversationRoutes walks diaspora*'s conversation routes as a
// participant, a non-participant, a visitor and someone who ignores the
// author, without JavaScript.
func TestConversationRoutes(t *testing.T) {
	w := newConvWorld(t)

	// The form offers mutual contacts only.
	form := mustStatus(t, w.alice.Get("/conversations/new"), http.StatusOK).Body
	for id, want := range map[int64]bool{w.bobID: true, w.carolID: true, w.daveID: false, w.erinID: false} {
		if got := strings.Contains(form, `name="person_ids[]" value="`+itoa(id)+`"`); got != want {
			t.Errorf("recipient %d offered: %v, want %v", id, got, want)
		}
	}
	// A mutual contact's profile links to the form; others' do not.
	alicePerson, err := w.p.Store.PersonByID(context.Background(), w.aliceID)
	if err != nil {
		t.Fatal(err)
	}
	link := `href="/conversations/new?person_id=` + itoa(w.aliceID) + `"`
	if b := mustStatus(t, w.bob.Get("/people/"+alicePerson.GUID), http.StatusOK).Body; !strings.Contains(b, link) {
		t.Error("bob's view of alice's profile has no Send a message link")
	}
	if b := mustStatus(t, w.dave.Get("/people/"+alicePerson.GUID), http.StatusOK).Body; strings.Contains(b, link) {
		t.Error("dave (alice shares with him, he does not share back) is offered to write to her")
	}
	if b := mustStatus(t, w.bob.Get("/conversations/new?person_id="+itoa(w.aliceID)), http.StatusOK).Body; !strings.Contains(b, `value="`+itoa(w.aliceID)+`" checked`) {
		t.Error("the form does not tick the person asked for")
	}
	id := startConversation(t, w.alice, "Weekend trip", "**Shall we go?** ask @{bob@pod.test} and @{dave@pod.test}", w.bobID, w.carolID)

	// bob: one unread message in the header and a notification.
	if n := unread(t, w.bob); n != "1" {
		t.Errorf("bob's unread counter %s, want 1", n)
	}
	list := mustStatus(t, w.bob.Get("/conversations"), http.StatusOK).Body
	if !strings.Contains(list, "Weekend trip") || !strings.Contains(list, `href="/conversations/`+id+`"`) {
		t.Errorf("bob's list lacks the conversation:\n%s", trim(list))
	}
	notes := mustStatus(t, w.bob.Get("/notifications.json"), http.StatusOK).Body
	if !strings.Contains(notes, `"private_message"`) || !strings.Contains(notes, `"target_id":`+id+`,"target_type":"Conversation"`) {
		t.Errorf("bob has no private_message notification: %s", notes)
	}
	page := mustStatus(t, w.bob.Get("/conversations/"+id), http.StatusOK).Body
	if !strings.Contains(page, "<strong>Shall we go?</strong>") {
		t.Errorf("markdown not rendered:\n%s", trim(page))
	}
	if n := unread(t, w.bob); n != "0" {
		t.Errorf("after reading, bob's counter is %s", n)
	}
	var cj convJSON
	if err := json.Unmarshal([]byte(mustStatus(t, w.bob.Get("/conversations/"+id+".json"), http.StatusOK).Body), &cj); err != nil {
		t.Fatal(err)
	}
	if cj.Conversation.Subject != "Weekend trip" || len(cj.Conversation.Participants) != 3 || len(cj.Conversation.Messages) != 1 {
		t.Errorf("conversation JSON %+v", cj)
	}
	// Only participants are mentioned: dave's mention is plain text.
	if h := cj.Conversation.Messages[0].HTML; !strings.Contains(h, `>@bob</a>`) || strings.Contains(h, "@dave") || !strings.Contains(h, "dave") {
		t.Errorf("mentions rendered as %s", h)
	}
	var listJSON []convJSON
	if err := json.Unmarshal([]byte(mustStatus(t, w.carol.Get("/conversations.json"), http.StatusOK).Body), &listJSON); err != nil {
		t.Fatal(err)
	}
	if len(listJSON) != 1 || listJSON[0].Conversation.Unread != 1 {
		t.Errorf("carol's list JSON %+v", listJSON)
	}

	// bob replies; alice and carol get it.
	r := mustStatus(t, w.bob.Post("/conversations/"+id+"/messages", url.Values{"message[text]": {"Yes, _gladly_"}}), http.StatusFound)
	if !strings.HasPrefix(r.Location(), "/conversations/"+id) {
		t.Errorf("reply redirects to %s", r.Location())
	}
	if n := unread(t, w.alice); n != "1" {
		t.Errorf("alice's counter %s, want 1", n)
	}
	if n := unread(t, w.carol); n != "2" {
		t.Errorf("carol's counter %s, want 2", n)
	}
	if body := mustStatus(t, w.alice.Get("/conversations/"+id), http.StatusOK).Body; !strings.Contains(body, "<em>gladly</em>") {
		t.Errorf("alice does not see bob's reply:\n%s", trim(body))
	}

	// dave (not a participant) and erin get 404 everywhere and no trace.
	for _, c := range []*podtest.Client{w.dave, w.erin} {
		mustStatus(t, c.Get("/conversations/"+id), http.StatusNotFound)
		mustStatus(t, c.Get("/conversations/"+id+".json"), http.StatusNotFound)
		mustStatus(t, c.Post("/conversations/"+id+"/messages", url.Values{"message[text]": {"let me in"}}), http.StatusNotFound)
		mustStatus(t, c.Post("/conversations/"+id+"/visibility", url.Values{"_method": {"delete"}}), http.StatusNotFound)
		body := mustStatus(t, c.Get("/conversations"), http.StatusOK).Body
		if strings.Contains(body, "Weekend trip") || strings.Contains(body, "gladly") {
			t.Error("a non-participant's list shows the conversation")
		}
		if n := unread(t, c); n != "0" {
			t.Errorf("a non-participant's counter is %s", n)
		}
		for _, path := range []string{"/conversations.json", "/notifications.json", "/search?q=trip", "/stream"} {
			if b := mustStatus(t, c.Get(path), http.StatusOK).Body; strings.Contains(b, "Weekend trip") || strings.Contains(b, "/conversations/"+id) ||
				strings.Contains(b, "private_message") || strings.Contains(b, "Shall we go") {
				t.Errorf("%s shows a trace of the conversation to a non-participant", path)
			}
		}
	}
	// A visitor is sent to sign in; a script gets 401.
	if r := w.anon.Get("/conversations/" + id); r.StatusCode != http.StatusFound || !strings.HasPrefix(r.Location(), "/users/sign_in") {
		t.Errorf("visitor: %d %s", r.StatusCode, r.Location())
	}
	mustStatus(t, w.anon.Get("/conversations/"+id+".json"), http.StatusUnauthorized)
	mustStatus(t, w.anon.Get("/conversations.json"), http.StatusUnauthorized)

	// carol ignores alice: alice's further messages do not reach her, bob
	// gets them.
	mustStatus(t, w.carol.Post("/blocks", url.Values{"block[person_id]": {itoa(w.aliceID)}}), http.StatusSeeOther)
	mustStatus(t, w.carol.Get("/conversations/"+id), http.StatusNotFound) // started by alice: refused
	before := unread(t, w.carol)
	mustStatus(t, w.alice.Post("/conversations/"+id+"/messages", url.Values{"message[text]": {"carol, are you there?"}}), http.StatusFound)
	if n := unread(t, w.carol); n != before {
		t.Errorf("carol's counter moved from %s to %s on a message by someone she ignores", before, n)
	}
	if b := mustStatus(t, w.carol.Get("/conversations.json"), http.StatusOK).Body; strings.Contains(b, "are you there") || strings.Contains(b, "Weekend") {
		t.Errorf("carol sees the ignored author's conversation: %s", b)
	}
	if b := mustStatus(t, w.bob.Get("/conversations/"+id), http.StatusOK).Body; !strings.Contains(b, "carol, are you there?") {
		t.Error("bob does not get alice's message")
	}
	// bob hides ("deletes") it; alice keeps it; a new message brings it back.
	mustStatus(t, w.bob.Post("/conversations/"+id+"/visibility", url.Values{"_method": {"delete"}}), http.StatusFound)
	if b := mustStatus(t, w.bob.Get("/conversations"), http.StatusOK).Body; strings.Contains(b, "Weekend trip") {
		t.Error("the hidden conversation is still listed for bob")
	}
	if b := mustStatus(t, w.alice.Get("/conversations"), http.StatusOK).Body; !strings.Contains(b, "Weekend trip") {
		t.Error("bob's hiding hid it for alice too")
	}
	mustStatus(t, w.alice.Post("/conversations/"+id+"/messages", url.Values{"message[text]": {"one more thing"}}), http.StatusFound)
	if b := mustStatus(t, w.bob.Get("/conversations"), http.StatusOK).Body; !strings.Contains(b, "Weekend trip") {
		t.Error("a new message did not bring the conversation back for bob")
	}
	// Scripts: JSON in, JSON out (diaspy's calls).
	req, _ := http.NewRequest(http.MethodPost, w.p.Server.URL+"/conversations/"+id+"/messages", strings.NewReader(`{"message":{"text":"from a script"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", w.bob.CSRF())
	if r := w.bob.Do(req); r.StatusCode != http.StatusOK || !strings.Contains(r.Body, `"from a script"`) {
		t.Errorf("JSON reply: %d %s", r.StatusCode, r.Body)
	}
	req, _ = http.NewRequest(http.MethodDelete, w.p.Server.URL+"/conversations/"+id+"/visibility", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", w.bob.CSRF())
	if r := w.bob.Do(req); r.StatusCode != http.StatusNoContent {
		t.Errorf("JSON hide: %d %s", r.StatusCode, r.Body)
	}
}

// TestConversationBadInput: no recipients, a recipient who is not a mutual
// contact, an empty or too long message, a conversation one is not in:
// a clear 4xx naming the problem, and nothing stored or queued.
func TestConversationBadInput(t *testing.T) {
	w := newConvWorld(t)
	id := startConversation(t, w.alice, "ours", "hello", w.bobID)
	tables := []string{"conversations", "conversation_visibilities", "messages", "notifications", "outbox"}
	counts := func() map[string]int64 {
		out := map[string]int64{}
		for _, tb := range tables {
			out[tb] = w.count(t, tb)
		}
		return out
	}
	before := counts()
	long := strings.Repeat("a", 65536)
	for _, tc := range []struct {
		name   string
		c      *podtest.Client
		path   string
		form   url.Values
		status int
		says   string
	}{
		{"no recipients", w.alice, "/conversations", url.Values{"conversation[subject]": {"s"}, "conversation[text]": {"t"}}, 422, "choose at least one recipient"},
		{"not mutual", w.alice, "/conversations", url.Values{"conversation[text]": {"t"}, "person_ids[]": {itoa(w.daveID)}}, 422, "not one of your mutual contacts"},
		{"unknown person", w.alice, "/conversations", url.Values{"conversation[text]": {"t"}, "person_ids[]": {"123456789"}}, 422, "not one of your mutual contacts"},
		{"one of several not mutual", w.alice, "/conversations", url.Values{"conversation[text]": {"t"}, "person_ids[]": {itoa(w.bobID), itoa(w.erinID)}}, 422, "not one of your mutual contacts"},
		{"empty message", w.alice, "/conversations", url.Values{"conversation[text]": {"  \n "}, "person_ids[]": {itoa(w.bobID)}}, 422, "can&#39;t be blank"},
		{"65,536 characters", w.alice, "/conversations", url.Values{"conversation[text]": {long}, "person_ids[]": {itoa(w.bobID)}}, 422, "is too long (65536 characters; at most 65535)"},
		{"subject too long", w.alice, "/conversations", url.Values{"conversation[subject]": {strings.Repeat("s", 256)}, "conversation[text]": {"t"}, "person_ids[]": {itoa(w.bobID)}}, 422, "is too long"},
		{"someone else's contact", w.alice, "/conversations", url.Values{"conversation[text]": {"t"}, "contact_ids": {"1"}}, 422, "is not one of your contacts"},
		{"empty reply", w.bob, "/conversations/" + id + "/messages", url.Values{"message[text]": {""}}, 422, "can&#39;t be blank"},
		{"long reply", w.bob, "/conversations/" + id + "/messages", url.Values{"message[text]": {long}}, 422, "is too long"},
		{"not in it", w.carol, "/conversations/" + id + "/messages", url.Values{"message[text]": {"hi"}}, 404, ""},
		{"no such conversation", w.carol, "/conversations/999999999/messages", url.Values{"message[text]": {"hi"}}, 404, ""},
		{"not a number", w.carol, "/conversations/abc/messages", url.Values{"message[text]": {"hi"}}, 404, ""},
	} {
		r := tc.c.Post(tc.path, tc.form)
		if r.StatusCode != tc.status || !strings.Contains(r.Body, tc.says) {
			t.Errorf("%s: %d, want %d saying %q\n%s", tc.name, r.StatusCode, tc.status, tc.says, trim(r.Body))
		}
	}
	// The same as JSON.
	req, _ := http.NewRequest(http.MethodPost, w.p.Server.URL+"/conversations", strings.NewReader(`{"conversation":{"subject":"s","text":"t"},"person_ids":[]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", w.alice.CSRF())
	if r := w.alice.Do(req); r.StatusCode != 422 || !strings.Contains(r.Body, "choose at least one recipient") {
		t.Errorf("JSON without recipients: %d %s", r.StatusCode, r.Body)
	}
	after := counts()
	for _, tb := range tables {
		if before[tb] != after[tb] {
			t.Errorf("%s: %d rows before, %d after refused requests", tb, before[tb], after[tb])
		}
	}
}

// TestConversationByAdmin: the pod's admin may write to someone who is no
// contact (diaspora*'s welcome message); nobody else may.
func TestConversationByAdmin(t *testing.T) {
	w := newConvWorld(t)
	ctx := context.Background()
	u, err := w.p.Store.UserByUsername(ctx, "dave")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.p.Store.SetAdmin(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	admin := w.p.Client()
	mustStatus(t, admin.SignIn("dave", "password1", false), http.StatusFound)
	// The form offers the person asked for to the admin (not a contact).
	if b := mustStatus(t, admin.Get("/conversations/new?person_id="+itoa(w.erinID)), http.StatusOK).Body; !strings.Contains(b, `value="`+itoa(w.erinID)+`" checked`) {
		t.Error("the admin's form does not offer erin")
	}
	if b := mustStatus(t, w.bob.Get("/conversations/new?person_id="+itoa(w.erinID)), http.StatusOK).Body; strings.Contains(b, `value="`+itoa(w.erinID)+`"`) {
		t.Error("a non-admin's form offers someone who is not a mutual contact")
	}
	id := startConversation(t, admin, "Welcome", "Welcome to the pod!", w.erinID)
	if b := mustStatus(t, w.erin.Get("/conversations/"+id), http.StatusOK).Body; !strings.Contains(b, "Welcome to the pod!") {
		t.Errorf("erin does not get the welcome message:\n%s", trim(b))
	}
	if r := w.erin.Post("/conversations", url.Values{"conversation[text]": {"hi"}, "person_ids[]": {itoa(w.daveID)}}); r.StatusCode != 422 {
		t.Errorf("erin wrote to a non-contact: %d", r.StatusCode)
	}
}
