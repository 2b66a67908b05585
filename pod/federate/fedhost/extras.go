package fedhost

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Polls, locations and events of status messages (migration 00008), both
// ways: what a local post carries when it is sent or fetched, and the rows
// a received one is stored as.

// WithExtras adds the poll and location of a local post to its
// status_message (other entities are left as they are). A location without
// coordinates is not sent: the protocol requires lat and lng.
func WithExtras(ctx context.Context, st *models.Store, e entity.Entity, postID int64) error {
	sm, ok := e.(*entity.StatusMessage)
	if !ok {
		return nil
	}
	if l, err := st.LocationOfPost(ctx, postID); err == nil {
		if l.Lat != "" && l.Lng != "" {
			sm.Location = &entity.Location{Address: l.Address, Lat: l.Lat, Lng: l.Lng}
		}
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	p, err := st.PollOfPost(ctx, postID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	answers, err := st.PollAnswers(ctx, p.ID)
	if err != nil {
		return err
	}
	sm.Poll = &entity.Poll{GUID: p.GUID, Question: p.Question}
	for _, a := range answers {
		sm.Poll.Answers = append(sm.Poll.Answers, &entity.PollAnswer{GUID: a.GUID, Answer: a.Answer})
	}
	return nil
}

// PollParticipation returns the poll_participation entity of a vote. It is
// not signed yet.
func PollParticipation(v *models.PollParticipation, author *models.Person, poll *models.Poll, answer *models.PollAnswer) *entity.PollParticipation {
	return &entity.PollParticipation{Author: diasporaID(author), GUID: v.GUID, ParentGUID: poll.GUID, PollAnswerGUID: answer.GUID}
}

// Coordinate returns a received coordinate normalised (pod.Coordinate),
// or "" when it is not a number within ±limit degrees.
func Coordinate(s string, limit float64) string {
	c, _ := pod.Coordinate(s, limit)
	return c
}

// ReceivedLocation returns the row of a received post's location (nil for
// none). Coordinates that are no point on Earth are left out.
func ReceivedLocation(l *entity.Location) *models.Location {
	if l == nil {
		return nil
	}
	return &models.Location{Address: truncateRunes(l.Address, 255), Lat: Coordinate(l.Lat, 90), Lng: Coordinate(l.Lng, 180)}
}

// ReceivedPoll returns the rows of a received post's poll (nil for none).
func ReceivedPoll(p *entity.Poll) (*models.Poll, []*models.PollAnswer) {
	if p == nil {
		return nil, nil
	}
	poll := &models.Poll{GUID: strings.ToLower(p.GUID), Question: truncateRunes(p.Question, 255), CreatedAt: time.Now().UTC()}
	answers := make([]*models.PollAnswer, 0, len(p.Answers))
	for _, a := range p.Answers {
		answers = append(answers, &models.PollAnswer{GUID: strings.ToLower(a.GUID), Answer: truncateRunes(a.Answer, 255)})
	}
	return poll, answers
}

// ReceivedEvent returns the row of a received post's event (nil for none).
// A time zone that is not in the time zone database is left out.
func ReceivedEvent(e *entity.Event, authorID int64) *models.Event {
	if e == nil {
		return nil
	}
	ev := &models.Event{GUID: strings.ToLower(e.GUID), AuthorID: authorID, Summary: truncateRunes(e.Summary, 255),
		Description: e.Description, StartsAt: e.Start.UTC(), AllDay: e.AllDay}
	if !e.End.IsZero() {
		end := e.End.UTC()
		ev.EndsAt = &end
	}
	if tz := strings.TrimSpace(e.Timezone); tz != "" && tz != "Local" && len(tz) <= 255 {
		if _, err := time.LoadLocation(tz); err == nil {
			ev.Timezone = tz
		}
	}
	if l := ReceivedLocation(e.Location); l != nil {
		ev.LocationAddress, ev.LocationLat, ev.LocationLng = l.Address, l.Lat, l.Lng
	}
	return ev
}

// PollParticipationRow returns the row of a received vote, keeping its
// signed XML.
func PollParticipationRow(e *entity.PollParticipation, pollID, answerID, authorID int64) (*models.PollParticipation, error) {
	signed, err := SignedXML(e)
	if err != nil {
		return nil, err
	}
	return &models.PollParticipation{GUID: strings.ToLower(e.GUID), PollID: pollID, PollAnswerID: answerID, AuthorID: authorID,
		SignedXML: &signed, CreatedAt: time.Now().UTC()}, nil
}

// EventStatuses are the answers to an event diaspora* and Friendica send.
var EventStatuses = map[string]bool{"accepted": true, "tentative": true, "declined": true}

// EventParticipationRow returns the row of a received answer to an event,
// keeping its signed XML.
func EventParticipationRow(e *entity.EventParticipation, eventID, authorID int64) (*models.EventParticipation, error) {
	signed, err := SignedXML(e)
	if err != nil {
		return nil, err
	}
	return &models.EventParticipation{GUID: strings.ToLower(e.GUID), EventID: eventID, AuthorID: authorID,
		Status: e.Status, SignedXML: &signed, CreatedAt: time.Now().UTC()}, nil
}
