package federate

import (
	"context"
	"errors"
	"strings"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/tasks"
)

// Polls, locations and events over federation (migration 00008). A vote
// (poll_participation) is a relayable like a comment: a local one is
// signed by the voter and sent to the post author's pod; one on our post
// is relayed to the post's audience, and only accepted from people in a
// limited post's audience. Events are received only (this pod does not
// create them); their answers (event_participation) are stored and counted.

// DispatchPollVote federates a vote, or relays a remote one.
func (a *Service) DispatchPollVote(ctx context.Context, e *tasks.PollVoted) error {
	return a.dispatched(e, a.dispatchPollVote(ctx, e))
}

func (a *Service) dispatchPollVote(ctx context.Context, e *tasks.PollVoted) error {
	v, err := a.store.PollParticipationByID(ctx, e.ParticipationID)
	if err != nil {
		return err
	}
	answer, err := a.store.PollAnswerByID(ctx, v.PollAnswerID)
	if err != nil {
		return err
	}
	poll, err := a.store.PollByID(ctx, v.PollID)
	if err != nil {
		return err
	}
	return a.sendRelayable(ctx, e.Key, relayable{kind: "poll participation", id: v.ID, postID: poll.PostID, authorID: v.AuthorID,
		signed: v.SignedXML,
		build: func(author *models.Person, _ *models.Post) (entity.Relayable, error) {
			return fedhost.PollParticipation(v, author, poll, answer), nil
		},
		save: func(xml string) error { return a.store.SetPollParticipationSignedXML(ctx, v.ID, xml) },
	})
}

// storeExtras stores the poll, location and event of a received status
// message with its post (in the post's transaction). GUIDs already used by
// another post's poll or event make the post a bad delivery.
func (a *Service) storeExtras(ctx context.Context, tx *models.Store, e *entity.StatusMessage, post *models.Post) error {
	if poll, answers := fedhost.ReceivedPoll(e.Poll); poll != nil {
		if _, err := tx.PollByGUID(ctx, poll.GUID); err == nil {
			return dropped("post %s: poll %s exists already", post.GUID, poll.GUID)
		}
		for _, ans := range answers {
			if _, err := tx.PollAnswerByGUID(ctx, ans.GUID); err == nil {
				return dropped("post %s: poll answer %s exists already", post.GUID, ans.GUID)
			}
		}
		poll.PostID = post.ID
		if err := tx.CreatePoll(ctx, poll, answers); err != nil {
			return err
		}
	}
	if l := fedhost.ReceivedLocation(e.Location); l != nil {
		l.PostID = post.ID
		if err := tx.CreateLocation(ctx, l); err != nil {
			return err
		}
	}
	if ev := fedhost.ReceivedEvent(e.Event, post.AuthorID); ev != nil {
		if !strings.EqualFold(e.Event.Author, e.Author) {
			return dropped("post %s by %s carries an event by %s", post.GUID, e.Author, e.Event.Author)
		}
		if _, err := tx.EventByGUID(ctx, ev.GUID); err == nil {
			return dropped("post %s: event %s exists already", post.GUID, ev.GUID)
		}
		ev.PostID = post.ID
		if err := tx.CreateEvent(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// extraObjectInfo describes a stored poll or event (the parents of votes
// and event answers) for the sender rules: the post it hangs under.
func (a *Service) extraObjectInfo(ctx context.Context, typ, guid string) (postID, authorID int64, err error) {
	switch typ {
	case "Poll":
		p, err := a.store.PollByGUID(ctx, guid)
		if err != nil {
			return 0, 0, err
		}
		post, err := a.store.PostByID(ctx, p.PostID)
		if err != nil {
			return 0, 0, err
		}
		return post.ID, post.AuthorID, nil
	case "Event":
		ev, err := a.store.EventByGUID(ctx, guid)
		if err != nil {
			return 0, 0, err
		}
		return ev.PostID, ev.AuthorID, nil
	case "PollParticipation":
		v, err := a.store.PollParticipationByGUID(ctx, guid)
		if err != nil {
			return 0, 0, err
		}
		p, err := a.store.PollByID(ctx, v.PollID)
		if err != nil {
			return 0, 0, err
		}
		return p.PostID, v.AuthorID, nil
	}
	return 0, 0, federation.Errorf(federation.ErrUnknownEntity, "this pod keeps no %s objects", typ)
}

// knownExtraGUID reports whether a vote or event answer with the entity's
// GUID is stored here (our own, relayed back to us).
func (a *Service) knownExtraGUID(ctx context.Context, e entity.Entity) bool {
	var err error
	switch e.(type) {
	case *entity.PollParticipation:
		_, err = a.store.PollParticipationByGUID(ctx, entity.GUIDOf(e))
	case *entity.EventParticipation:
		_, err = a.store.EventParticipationByGUID(ctx, entity.GUIDOf(e))
	default:
		return false
	}
	return err == nil
}

// receivePollParticipation stores a vote. On our post it must come from
// someone in a limited post's audience (relayableParent) and is relayed
// to the audience; a vote for an answer of another poll, or a second vote
// by the same person, is dropped.
func (a *Service) receivePollParticipation(ctx context.Context, e *entity.PollParticipation, author *models.Person) error {
	if _, err := a.store.PollParticipationByGUID(ctx, e.GUID); err == nil {
		return nil // a repeated delivery
	}
	poll, err := a.store.PollByGUID(ctx, strings.ToLower(e.ParentGUID))
	if err != nil {
		return err
	}
	post, ours, err := a.relayableParent(ctx, poll.PostID, author, "PollParticipation", e.GUID)
	if err != nil {
		return err
	}
	if a.retractedBefore(ctx, e.GUID, e.Author, a.authorOf(ctx, post)) {
		return errRetracted
	}
	answer, err := a.store.PollAnswerByGUID(ctx, strings.ToLower(e.PollAnswerGUID))
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if err != nil || answer.PollID != poll.ID {
		return dropped("poll participation %s by %s: %s is not an answer of poll %s", e.GUID, author.DiasporaID, e.PollAnswerGUID, e.ParentGUID)
	}
	v, err := fedhost.PollParticipationRow(e, poll.ID, answer.ID, author.ID)
	if err != nil {
		return err
	}
	err = a.core.TxOut(ctx, func(tx *models.Store, out *pod.Outbox) error {
		if err := tx.AddPollParticipation(ctx, v); err != nil {
			return err
		}
		if ours { // relayed to the post's audience
			out.Add(&tasks.PollVoted{ParticipationID: v.ID})
		}
		return tx.AddParticipation(ctx, post.ID, author.ID)
	})
	if errors.Is(err, models.ErrConflict) {
		if _, gerr := a.store.PollParticipationByGUID(ctx, e.GUID); gerr == nil {
			return nil // the same vote, stored meanwhile
		}
		return dropped("poll participation %s: %s already voted in poll %s", e.GUID, author.DiasporaID, e.ParentGUID)
	}
	return err
}

// receiveEventParticipation stores an answer to an event (a later answer
// by the same person replaces theirs). Events are never ours, so nothing
// is relayed.
func (a *Service) receiveEventParticipation(ctx context.Context, e *entity.EventParticipation, author *models.Person) error {
	if _, err := a.store.EventParticipationByGUID(ctx, e.GUID); err == nil {
		return nil // a repeated delivery
	}
	if !fedhost.EventStatuses[e.Status] {
		return dropped("event participation %s: unknown status %q", e.GUID, e.Status)
	}
	ev, err := a.store.EventByGUID(ctx, strings.ToLower(e.ParentGUID))
	if err != nil {
		return err
	}
	if _, _, err := a.relayableParent(ctx, ev.PostID, author, "EventParticipation", e.GUID); err != nil {
		return err
	}
	p, err := fedhost.EventParticipationRow(e, ev.ID, author.ID)
	if err != nil {
		return err
	}
	return a.store.AddEventParticipation(ctx, p)
}
