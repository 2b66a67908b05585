package pod_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/conversations"
)

// Private conversations in the privacy model: random users start
// conversations with random recipients (allowed exactly when every
// recipient is a mutual contact now), random participants and
// non-participants reply, read and hide them, and the blocks of the walk
// cut in. After every step each user's list, unread counter, messages
// and notifications are compared with the model's rules:
//
//   - only participants see a conversation, and not when its author is
//     someone they ignore;
//   - a participant sees every message except those by people they
//     ignore, and counts as unread the messages by others (whom they did
//     not ignore when the message came) since they last opened it;
//   - hiding takes a conversation out of one's list and unread count; a
//     new message (by someone one does not ignore) brings it back;
//   - each message notifies its other participants (private_message by
//     its author), unless they ignore the author.

// mConv is a conversation in the model.
type mConv struct {
	id     int64
	author int
	parts  map[int]bool
	msgs   []mMsg
	unread map[int]int
	hidden map[int]bool
}

// mMsg is one message.
type mMsg struct {
	author int
	text   string
}

// mutual: u and x share with each other.
func (m *model) mutual(u, x int) bool { return m.inAnyAspect(u, x) && m.inAnyAspect(x, u) }

// convVisible: v may open the conversation.
func (m *model) convVisible(v int, c *mConv) bool {
	return v != signedOut && c.parts[v] && !m.blocked(v, c.author)
}

func (m *model) convDesc(c *mConv) string {
	var names []string
	for x := range m.users {
		if c.parts[x] {
			names = append(names, m.users[x].name)
		}
	}
	return fmt.Sprintf("conversation %d (by %s, with %s)", c.id, m.users[c.author].name, strings.Join(names, ", "))
}

// pickConv picks a conversation, mostly one u takes part in.
func (m *model) pickConv(u int) *mConv {
	if len(m.convs) == 0 {
		return nil
	}
	if m.chance(75) {
		var mine []*mConv
		for _, c := range m.convs {
			if c.parts[u] {
				mine = append(mine, c)
			}
		}
		if len(mine) > 0 {
			return mine[m.pick(len(mine))]
		}
	}
	return m.convs[m.pick(len(m.convs))]
}

// delivered applies a new message by a to the model: the other
// participants who do not ignore a get it unread (and see the
// conversation again) and are notified.
func (m *model) delivered(c *mConv, a int, text string) {
	c.msgs = append(c.msgs, mMsg{author: a, text: text})
	c.hidden[a] = false
	for x := range c.parts {
		if x == a || m.blocked(x, a) {
			continue
		}
		c.unread[x]++
		c.hidden[x] = false
		m.users[x].notes[noteKey{typ: models.NotifyPrivateMessage, target: -1 - a}] = true
	}
}

// opStartConversation: a user writes to one to three others, mostly
// mutual contacts; now and then to someone else, or to nobody.
func (m *model) opStartConversation() {
	ctx := context.Background()
	u := m.pick(len(m.users))
	var mutual []int
	for x := range m.users {
		if x != u && m.mutual(u, x) {
			mutual = append(mutual, x)
		}
	}
	rcpts := map[int]bool{}
	switch {
	case m.chance(5):
	case m.chance(20) || len(mutual) == 0:
		rcpts[m.otherUser(u)] = true
	default:
		for range 1 + m.pick(3) {
			rcpts[mutual[m.pick(len(mutual))]] = true
		}
	}
	ok := len(rcpts) > 0
	var ids []int64
	var names []string
	for x := range m.users {
		if rcpts[x] {
			ok = ok && m.mutual(u, x)
			ids = append(ids, m.users[x].person)
			names = append(names, m.users[x].name)
		}
	}
	text := fmt.Sprintf("%s starts conversation %d", m.users[u].name, len(m.convs))
	what := fmt.Sprintf("%s writes to [%s]", m.users[u].name, strings.Join(names, ", "))
	cv, err := m.p.App.Conversations.Create(ctx, m.users[u].s, conversations.Input{Subject: "subject", Text: text, Recipients: ids})
	if !ok {
		m.expect(what, err, "invalid")
		return
	}
	m.expect(what, err, "ok")
	c := &mConv{id: cv.ID, author: u, parts: map[int]bool{u: true}, unread: map[int]int{}, hidden: map[int]bool{}}
	for x := range rcpts {
		c.parts[x] = true
	}
	m.convs = append(m.convs, c)
	m.delivered(c, u, text)
	m.logf("  = %s", m.convDesc(c))
}

// opReply: a user writes in a conversation, mostly one they are in; now
// and then an empty message.
func (m *model) opReply() {
	ctx := context.Background()
	u := m.pick(len(m.users))
	c := m.pickConv(u)
	if c == nil {
		return
	}
	text := fmt.Sprintf("%s replies, message %d", m.users[u].name, len(c.msgs))
	empty := m.chance(10)
	if empty {
		text = " "
	}
	what := fmt.Sprintf("%s replies in %s", m.users[u].name, m.convDesc(c))
	_, err := m.p.App.Conversations.Reply(ctx, m.users[u].s, c.id, text)
	switch {
	case !m.convVisible(u, c):
		m.expect(what, err, "not found")
	case empty:
		m.expect(what+" (empty)", err, "invalid")
	default:
		m.expect(what, err, "ok")
		m.delivered(c, u, text)
	}
}

// opReadConversation: a user opens a conversation.
func (m *model) opReadConversation() {
	ctx := context.Background()
	u := m.pick(len(m.users))
	c := m.pickConv(u)
	if c == nil {
		return
	}
	what := fmt.Sprintf("%s opens %s", m.users[u].name, m.convDesc(c))
	_, err := m.p.App.Conversations.Show(ctx, m.users[u].s, c.id, "")
	if !m.convVisible(u, c) {
		m.expect(what, err, "not found")
		return
	}
	m.expect(what, err, "ok")
	c.unread[u] = 0
}

// opHideConversation: a user hides ("deletes") a conversation.
func (m *model) opHideConversation() {
	ctx := context.Background()
	u := m.pick(len(m.users))
	c := m.pickConv(u)
	if c == nil {
		return
	}
	what := fmt.Sprintf("%s hides %s", m.users[u].name, m.convDesc(c))
	err := m.p.App.Conversations.Hide(ctx, m.users[u].s, c.id)
	if !m.convVisible(u, c) {
		m.expect(what, err, "not found")
		return
	}
	m.expect(what, err, "ok")
	c.hidden[u], c.unread[u] = true, 0
}

// checkConversations compares what v sees of the conversations with the
// model: the list, the unread counter, every conversation's messages, and
// not found for every conversation v may not open. Nothing here marks
// anything read.
func (m *model) checkConversations(v int) {
	ctx := context.Background()
	s := m.session(v)
	if v == signedOut {
		if _, err := m.p.App.Conversations.List(ctx, nil, ""); err != pod.ErrUnauthenticated {
			m.failf("a visitor lists conversations: %v", err)
		}
		for _, c := range m.convs {
			if _, err := m.p.App.Conversations.Show(ctx, nil, c.id, ""); err != pod.ErrUnauthenticated {
				m.failf("a visitor opens %s: %v", m.convDesc(c), err)
			}
		}
		return
	}
	wantList := map[int64]int{}
	unread := 0
	for _, c := range m.convs {
		if m.convVisible(v, c) && !c.hidden[v] {
			wantList[c.id] = c.unread[v]
			unread += c.unread[v]
		}
	}
	got := map[int64]int{}
	before := ""
	for range 100 {
		list, err := m.p.App.Conversations.List(ctx, s, before)
		if err != nil {
			m.failf("%s lists conversations: %v", m.viewerName(v), err)
			return
		}
		for _, cv := range list.Items {
			got[cv.ID] = cv.Unread
		}
		if before = list.Next; before == "" {
			break
		}
	}
	for id, n := range got {
		if want, ok := wantList[id]; !ok {
			m.failf("LEAK: %s lists conversation %d", m.viewerName(v), id)
		} else if n != want {
			m.failf("%s's list counts %d unread in conversation %d, want %d", m.viewerName(v), n, id, want)
		}
	}
	for id := range wantList {
		if _, ok := got[id]; !ok {
			m.failf("%s's list lacks conversation %d", m.viewerName(v), id)
		}
	}
	if n, err := m.p.App.Conversations.UnreadCount(ctx, s); err != nil || n != unread {
		m.failf("%s's unread counter %d (%v), want %d", m.viewerName(v), n, err, unread)
	}
	viewer := pod.Viewer(s)
	for _, c := range m.convs {
		if !m.convVisible(v, c) {
			if _, err := m.p.App.Conversations.Show(ctx, s, c.id, ""); !pod.IsNotFound(err) {
				m.failf("LEAK: %s opens %s: %v, want not found", m.viewerName(v), m.convDesc(c), err)
			}
			continue
		}
		if _, _, err := m.p.Store.ConversationFor(ctx, viewer, c.id); err != nil {
			m.failf("%s cannot open %s: %v", m.viewerName(v), m.convDesc(c), err)
			continue
		}
		rows, err := m.p.Store.MessagesFor(ctx, viewer, c.id, models.MessageCursor{}, conversations.MessagePage)
		if err != nil {
			m.failf("messages of %s: %v", m.convDesc(c), err)
			continue
		}
		var gotTexts, wantTexts []string
		for _, r := range rows {
			gotTexts = append(gotTexts, r.Text)
		}
		for _, msg := range c.msgs {
			if !m.blocked(v, msg.author) {
				wantTexts = append(wantTexts, msg.text)
			}
		}
		slices.Sort(gotTexts)
		slices.Sort(wantTexts)
		if !slices.Equal(gotTexts, wantTexts) {
			m.failf("%s sees in %s %q, want %q", m.viewerName(v), m.convDesc(c), gotTexts, wantTexts)
		}
	}
}

// opBlockInConversation: a participant ignores another participant of one
// of their conversations (its author or not), as opBlock does, so that
// the walks often reach messages by ignored people.
func (m *model) opBlockInConversation() {
	ctx := context.Background()
	type pair struct{ v, x int }
	var cands []pair
	for _, c := range m.convs {
		for v := range m.users {
			for x := range m.users {
				if v != x && c.parts[v] && c.parts[x] && !m.blocked(v, x) {
					cands = append(cands, pair{v, x})
				}
			}
		}
	}
	if len(cands) == 0 {
		return
	}
	p := cands[m.pick(len(cands))]
	U := m.users[p.v]
	id, err := m.p.App.Contacts.Block(ctx, U.s, m.users[p.x].person)
	m.expect(fmt.Sprintf("%s blocks %s, who is in a conversation with them", U.name, m.users[p.x].name), err, "ok")
	U.blocks[p.x] = id
	for a, set := range U.members {
		delete(set, p.x)
		delete(U.memIDs[a], p.x)
	}
}
