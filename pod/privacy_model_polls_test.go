package pod_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
)

// Polls in the privacy model: some posts are written with a poll, users
// vote (allowed exactly when they can see the post, its author does not
// ignore them and they have not voted yet), and every view of a post shows
// its poll as the model says: the counts only to voters and the author,
// and nothing at all to people who may not see the post.

// mPoll is a post's poll in the model.
type mPoll struct {
	answers []int64     // answer IDs in order
	votes   map[int]int // user index -> answer index
}

// count is the number of votes for answer i.
func (pl *mPoll) count(i int) int {
	n := 0
	for _, a := range pl.votes {
		if a == i {
			n++
		}
	}
	return n
}

// maybePoll gives about a third of new posts a poll of 2 to 4 answers.
func (m *model) maybePoll(in *posts.PostInput) {
	if !m.chance(35) {
		return
	}
	n := 2 + m.pick(3)
	in.Poll = polls.Input{Question: "Which one?"}
	for i := range n {
		in.Poll.Answers = append(in.Poll.Answers, fmt.Sprintf("choice %d", i+1))
	}
}

// pollCreated records the poll of a post just written.
func (m *model) pollCreated(pi int, in posts.PostInput, pv *pod.PostView) {
	if in.Poll.Empty() {
		if pv.Poll != nil {
			m.fatalf("%s has a poll it was not written with", m.desc(pi))
		}
		return
	}
	if pv.Poll == nil || len(pv.Poll.Answers) != len(in.Poll.Answers) {
		m.fatalf("%s was written with a poll of %d answers, shows %+v", m.desc(pi), len(in.Poll.Answers), pv.Poll)
	}
	pl := &mPoll{votes: map[int]int{}}
	for _, a := range pv.Poll.Answers {
		pl.answers = append(pl.answers, a.ID)
	}
	if m.polls == nil {
		m.polls = map[*mPost]*mPoll{}
	}
	m.polls[m.posts[pi]] = pl
	m.logf("  = with a poll of %d answers", len(pl.answers))
}

// opVote: a user votes in a post's poll, mostly one they can see; now and
// then for an answer of another poll, or in a post without poll.
func (m *model) opVote() {
	ctx := context.Background()
	u := m.pick(len(m.users))
	pi, ok := m.pickPostWhere(u, func(p *mPost) bool { return m.polls[p] != nil })
	if !ok {
		return
	}
	p := m.posts[pi]
	pl := m.polls[p]
	m.touched[pi] = true
	var answer int64 = 1
	idx, wrong := 0, false
	if pl != nil {
		idx = m.pick(len(pl.answers))
		answer = pl.answers[idx]
	}
	if m.chance(15) || pl == nil {
		for q, other := range m.polls {
			if q != p {
				answer, wrong = other.answers[0], true
				break
			}
		}
	}
	what := fmt.Sprintf("%s votes %d in %s", m.users[u].name, idx, m.desc(pi))
	_, err := m.p.App.Polls.Vote(ctx, m.users[u].s, p.guid, answer)
	_, voted := map[int]int{}[0]
	if pl != nil {
		_, voted = pl.votes[u]
	}
	switch {
	case !m.canSee(u, p) || pl == nil:
		m.expect(what, err, "not found")
		return
	case m.blocked(p.author, u):
		m.expect(what+" (ignored by the author)", err, "invalid")
		return
	case wrong:
		m.expect(what+" (an answer of another poll)", err, "invalid")
		return
	case voted:
		m.expect(what+" again", err, "invalid")
		return
	}
	m.expect(what, err, "ok")
	pl.votes[u] = idx
	p.participants[u] = true
}

// checkPollView checks the poll of a post view shown to a viewer who may
// see the post.
func (m *model) checkPollView(v, pi int, pv pod.PostView, where string) {
	p := m.posts[pi]
	pl := m.polls[p]
	if pl == nil {
		if pv.Poll != nil {
			m.failf("%s, %s: %s shows a poll it does not have", m.viewerName(v), where, m.desc(pi))
		}
		return
	}
	if pv.Poll == nil {
		m.failf("%s, %s: %s shows no poll", m.viewerName(v), where, m.desc(pi))
		return
	}
	_, voted := pl.votes[v]
	show := v != signedOut && (voted || p.author == v)
	if pv.Poll.Voted != voted || pv.Poll.ShowResults != show || (pv.Poll.Participations != nil) != show {
		m.failf("%s, %s: poll of %s: voted %v, results %v; want %v, %v", m.viewerName(v), where, m.desc(pi),
			pv.Poll.Voted, pv.Poll.ShowResults, voted, show)
		return
	}
	if show && *pv.Poll.Participations != len(pl.votes) {
		m.failf("%s, %s: poll of %s counts %d votes, want %d", m.viewerName(v), where, m.desc(pi), *pv.Poll.Participations, len(pl.votes))
		return
	}
	for i, a := range pv.Poll.Answers {
		if a.ID != pl.answers[i] || (a.VoteCount != nil) != show || show && *a.VoteCount != pl.count(i) {
			m.failf("%s, %s: answer %d of %s: %+v, want id %d, %d votes shown %v", m.viewerName(v), where, i, m.desc(pi),
				a, pl.answers[i], pl.count(i), show)
			return
		}
	}
	if voted && (pv.PollAnswerID == nil || *pv.PollAnswerID != pl.answers[pl.votes[v]]) {
		m.failf("%s, %s: %s does not say which answer they chose", m.viewerName(v), where, m.desc(pi))
	}
}

// checkPolls compares the stored polls and votes with the model, and asks
// for the poll of every post as every viewer who may not see it.
func (m *model) checkPolls(full bool) {
	ctx := context.Background()
	polls, votes := 0, 0
	for p, pl := range m.polls {
		if !p.deleted {
			polls++
			votes += len(pl.votes)
		}
	}
	for _, c := range []struct {
		table string
		want  int
	}{{"polls", polls}, {"poll_participations", votes}} {
		n, err := m.p.Store.Count(ctx, "SELECT count(*) FROM "+c.table)
		if err != nil || n != int64(c.want) {
			m.fatalf("%s holds %d rows, want %d (%v)", c.table, n, c.want, err)
		}
	}
	if !full {
		return
	}
	for pi, p := range m.posts {
		for v := signedOut; v < len(m.users); v++ {
			if m.canSee(v, p) {
				continue
			}
			if _, err := m.p.App.Polls.PollOf(ctx, m.session(v), p.id); !errors.Is(err, pod.ErrNotFound) {
				m.fatalf("%s asks for the poll of %s: %v, want not found", m.viewerName(v), m.desc(pi), err)
			}
		}
	}
}
