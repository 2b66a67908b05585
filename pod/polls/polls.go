// Package polls owns the polls of posts: checking and storing the poll a
// post is written with (called from pod/posts when the post is created)
// and voting, one vote per person and poll that cannot be changed, as on
// diaspora*. A vote federates as a poll_participation, a relayable: it goes
// to the post author's pod, which relays it to the post's audience. Who
// may see the results is decided where posts are shown (pod.PollViewOf):
// voters and the post's author.
package polls

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Limits of a poll (diaspora* asks for at least two answers; the
// federation entity allows 255 characters per question and answer).
const (
	MinAnswers   = 2
	MaxAnswers   = 20
	MaxQuestion  = 255
	MaxAnswerLen = 255
)

// Service holds the poll use cases.
type Service struct {
	core  *pod.Core
	store *models.Store
}

// New builds the poll use cases over core.
func New(core *pod.Core) *Service {
	return &Service{core: core, store: core.Store()}
}

// Input is the poll of a new post: the publisher's poll_question and
// poll_answers[] fields.
type Input struct {
	Question string
	Answers  []string
}

// Empty reports whether the publisher's poll fields were left empty (no
// question, no non-blank answer): the post has no poll.
func (in Input) Empty() bool {
	if strings.TrimSpace(in.Question) != "" {
		return false
	}
	for _, a := range in.Answers {
		if strings.TrimSpace(a) != "" {
			return false
		}
	}
	return true
}

// Check validates a poll and returns it trimmed. Empty answer rows at the
// end of the form (a publisher without JavaScript shows spare ones) are
// left out; an empty row between answers is an error.
func Check(in Input) (Input, error) {
	inv := pod.Invalid()
	out := Input{Question: strings.TrimSpace(in.Question)}
	answers := make([]string, 0, len(in.Answers))
	for _, a := range in.Answers {
		answers = append(answers, strings.TrimSpace(a))
	}
	for len(answers) > 0 && answers[len(answers)-1] == "" {
		answers = answers[:len(answers)-1]
	}
	switch n := utf8.RuneCountInString(out.Question); {
	case n == 0:
		inv.Add("poll_question", "can't be blank when the post has a poll")
	case n > MaxQuestion:
		inv.Add("poll_question", fmt.Sprintf("is too long (at most %d characters)", MaxQuestion))
	}
	switch {
	case len(answers) < MinAnswers:
		inv.Add("poll_answers", fmt.Sprintf("a poll needs at least %d answers", MinAnswers))
	case len(answers) > MaxAnswers:
		inv.Add("poll_answers", fmt.Sprintf("a poll has at most %d answers, not %d", MaxAnswers, len(answers)))
	}
	seen := map[string]bool{}
	for i, a := range answers {
		switch n := utf8.RuneCountInString(a); {
		case n == 0:
			inv.Add("poll_answers", fmt.Sprintf("answer %d is empty", i+1))
		case n > MaxAnswerLen:
			inv.Add("poll_answers", fmt.Sprintf("answer %d is too long (at most %d characters)", i+1, MaxAnswerLen))
		case seen[strings.ToLower(a)]:
			inv.Add("poll_answers", fmt.Sprintf("answer %d repeats an earlier answer", i+1))
		}
		seen[strings.ToLower(a)] = true
	}
	out.Answers = answers
	return out, inv.OrNil()
}

// Create stores the poll of a new post in the post's transaction; in must
// have passed Check.
func Create(ctx context.Context, tx *models.Store, postID int64, in Input) error {
	p := &models.Poll{GUID: pod.NewGUID(), PostID: postID, Question: in.Question, CreatedAt: time.Now().UTC()}
	answers := make([]*models.PollAnswer, len(in.Answers))
	for i, a := range in.Answers {
		answers[i] = &models.PollAnswer{GUID: pod.NewGUID(), Answer: a}
	}
	return tx.CreatePoll(ctx, p, answers)
}

// AlreadyVoted is the message of a second vote: a person votes once per
// poll, and cannot change the vote.
const AlreadyVoted = "you already voted in this poll; a vote cannot be changed"

// Vote records the viewer's vote for answerID in the poll of a post they
// may see, and federates it. A post the viewer cannot see, or one without
// a poll, is ErrNotFound; an answer of another poll is an InvalidError
// naming poll_answer_id; a second vote is an InvalidError saying AlreadyVoted.
func (a *Service) Vote(ctx context.Context, s *pod.Session, postKey string, answerID int64) (*pod.PollView, error) {
	if err := pod.RequireUser(s); err != nil {
		return nil, err
	}
	var postID int64
	err := a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		p, err := tx.VisiblePost(ctx, pod.Viewer(s), postKey)
		if err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		postID = p.ID
		poll, err := tx.PollOfPost(ctx, p.ID)
		if err != nil {
			return pod.NotFoundAs(err, pod.ErrNotFound)
		}
		if ignored, err := tx.BlockedByOwner(ctx, p.AuthorID, s.PersonID); err != nil {
			return err
		} else if ignored {
			return &pod.InvalidError{Message: "the author of this post does not accept your votes"}
		}
		if answerID == 0 {
			return &pod.InvalidError{Fields: map[string]string{"poll_answer_id": "choose an answer"}}
		}
		ans, err := tx.PollAnswerByID(ctx, answerID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err != nil || ans.PollID != poll.ID {
			return &pod.InvalidError{Fields: map[string]string{"poll_answer_id": "is not an answer of this poll"}}
		}
		v := &models.PollParticipation{GUID: pod.NewGUID(), PollID: poll.ID, PollAnswerID: ans.ID, AuthorID: s.PersonID, CreatedAt: time.Now().UTC()}
		if err := tx.AddPollParticipation(ctx, v); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return &pod.InvalidError{Message: AlreadyVoted}
			}
			return err
		}
		out.Add(&tasks.PollVoted{ParticipationID: v.ID})
		return tx.AddParticipation(ctx, p.ID, s.PersonID)
	})
	if err != nil {
		return nil, err
	}
	return a.PollOf(ctx, s, postID)
}

// PollOf shows the poll of a post the viewer may see (ErrNotFound
// otherwise, or when the post has none).
func (a *Service) PollOf(ctx context.Context, s *pod.Session, postID int64) (*pod.PollView, error) {
	v := pod.Viewer(s)
	if ok, err := a.store.CanSeePost(ctx, v, postID); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, pod.ErrNotFound
	}
	p, err := a.store.PostByID(ctx, postID)
	if err != nil {
		return nil, pod.NotFoundAs(err, pod.ErrNotFound)
	}
	rows, err := a.store.PollsOfPosts(ctx, v.PersonID, []int64{postID})
	if err != nil {
		return nil, err
	}
	r, ok := rows[postID]
	if !ok {
		return nil, pod.ErrNotFound
	}
	return pod.PollViewOf(r, v.PersonID, v.PersonID != 0 && p.AuthorID == v.PersonID), nil
}
