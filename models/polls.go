package models

import (
	"context"
	"time"
)

// Poll is the poll of a post (migration 00008).
type Poll struct {
	ID        int64
	GUID      string `gorm:"column:guid"`
	PostID    int64
	Question  string
	CreatedAt time.Time
}

// PollAnswer is one answer of a poll, with its vote count.
type PollAnswer struct {
	ID        int64
	GUID      string `gorm:"column:guid"`
	PollID    int64
	Position  int
	Answer    string
	VoteCount int
}

// PollParticipation is one person's vote in a poll.
type PollParticipation struct {
	ID           int64
	GUID         string `gorm:"column:guid"`
	PollID       int64
	PollAnswerID int64
	AuthorID     int64
	// SignedXML is the poll_participation entity as signed by its author.
	SignedXML *string `gorm:"column:signed_xml"`
	CreatedAt time.Time
}

// Location is where a post was written: an address and, optionally,
// coordinates as decimal text ("" when not given).
type Location struct {
	ID      int64
	PostID  int64
	Address string
	Lat     string
	Lng     string
}

// Event is an event received in a status message.
type Event struct {
	ID              int64
	GUID            string `gorm:"column:guid"`
	PostID          int64
	AuthorID        int64
	Summary         string
	Description     string
	StartsAt        time.Time
	EndsAt          *time.Time
	AllDay          bool
	Timezone        string
	LocationAddress string
	LocationLat     string
	LocationLng     string
}

// EventParticipation is one person's answer to an event.
type EventParticipation struct {
	ID        int64
	GUID      string `gorm:"column:guid"`
	EventID   int64
	AuthorID  int64
	Status    string
	SignedXML *string `gorm:"column:signed_xml"`
	CreatedAt time.Time
}

// CreatePoll inserts a poll and its answers (in the order given; their
// Position and PollID are set here).
func (s *Store) CreatePoll(ctx context.Context, p *Poll, answers []*PollAnswer) error {
	if err := s.conn(ctx).Create(p).Error; err != nil {
		return translate(err, "create poll")
	}
	for i, a := range answers {
		a.PollID, a.Position = p.ID, i
	}
	if len(answers) == 0 {
		return nil
	}
	return translate(s.conn(ctx).Create(answers).Error, "create poll answers")
}

// PollOfPost finds the poll of a post.
func (s *Store) PollOfPost(ctx context.Context, postID int64) (*Poll, error) {
	var p Poll
	err := s.conn(ctx).Where("post_id = ?", postID).Take(&p).Error
	return &p, translate(err, "poll")
}

// PollByID finds a poll, whoever may see its post (callers check).
func (s *Store) PollByID(ctx context.Context, id int64) (*Poll, error) {
	var p Poll
	err := s.conn(ctx).Where("id = ?", id).Take(&p).Error
	return &p, translate(err, "poll")
}

// PollByGUID finds a poll by GUID, whoever may see its post (callers check).
func (s *Store) PollByGUID(ctx context.Context, guid string) (*Poll, error) {
	var p Poll
	err := s.conn(ctx).Where("guid = ?", guid).Take(&p).Error
	return &p, translate(err, "poll")
}

// PollAnswerByID finds a poll answer.
func (s *Store) PollAnswerByID(ctx context.Context, id int64) (*PollAnswer, error) {
	var a PollAnswer
	err := s.conn(ctx).Where("id = ?", id).Take(&a).Error
	return &a, translate(err, "poll answer")
}

// PollAnswerByGUID finds a poll answer by GUID.
func (s *Store) PollAnswerByGUID(ctx context.Context, guid string) (*PollAnswer, error) {
	var a PollAnswer
	err := s.conn(ctx).Where("guid = ?", guid).Take(&a).Error
	return &a, translate(err, "poll answer")
}

// PollAnswers lists a poll's answers in order.
func (s *Store) PollAnswers(ctx context.Context, pollID int64) ([]PollAnswer, error) {
	var out []PollAnswer
	err := s.conn(ctx).Where("poll_id = ?", pollID).Order("position").Find(&out).Error
	return out, translate(err, "poll answers")
}

// AddPollParticipation stores a vote and counts it on its answer. A second
// vote by the same person in the same poll (or the same GUID) is
// ErrConflict, and nothing is counted.
func (s *Store) AddPollParticipation(ctx context.Context, v *PollParticipation) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.conn(ctx).Create(v).Error; err != nil {
			return translate(err, "create poll participation")
		}
		var posts []int64
		res := tx.conn(ctx).Raw(`UPDATE poll_answers SET vote_count = vote_count + 1 WHERE id = ? AND poll_id = ?
			RETURNING (SELECT post_id FROM polls WHERE id = poll_id)`, v.PollAnswerID, v.PollID).Scan(&posts)
		tx.touchPosts(ctx, posts...)
		return rowsOrNotFound(res.Error, int64(len(posts)), "count vote")
	})
}

// PollParticipationByID finds a vote.
func (s *Store) PollParticipationByID(ctx context.Context, id int64) (*PollParticipation, error) {
	var v PollParticipation
	err := s.conn(ctx).Where("id = ?", id).Take(&v).Error
	return &v, translate(err, "poll participation")
}

// PollParticipationByGUID finds a vote by GUID.
func (s *Store) PollParticipationByGUID(ctx context.Context, guid string) (*PollParticipation, error) {
	var v PollParticipation
	err := s.conn(ctx).Where("guid = ?", guid).Take(&v).Error
	return &v, translate(err, "poll participation")
}

// SetPollParticipationSignedXML stores a local vote's signed XML.
func (s *Store) SetPollParticipationSignedXML(ctx context.Context, id int64, xml string) error {
	return translate(s.conn(ctx).Exec(`UPDATE poll_participations SET signed_xml = ? WHERE id = ?`, xml, id).Error, "poll participation xml")
}

// PollRow is a poll as a post shows it: its answers with their counts and
// the answer the viewer chose (0 when they did not vote).
type PollRow struct {
	Poll
	Answers []PollAnswer
	// Voted is the viewer's answer ID, 0 if they have not voted.
	Voted int64
}

// PollsOfPosts loads the polls of posts (callers pass only posts the
// viewer may see), keyed by post ID, with the viewer's votes.
func (s *Store) PollsOfPosts(ctx context.Context, viewerPerson int64, postIDs []int64) (map[int64]*PollRow, error) {
	out := map[int64]*PollRow{}
	polls, err := ofPosts[Poll](ctx, s, "polls", postIDs)
	if err != nil || len(polls) == 0 {
		return out, err
	}
	byID := map[int64]*PollRow{}
	ids := make([]int64, len(polls))
	for i, p := range polls {
		r := &PollRow{Poll: p}
		out[p.PostID], byID[p.ID], ids[i] = r, r, p.ID
	}
	var answers []PollAnswer
	if err := s.conn(ctx).Raw(`SELECT * FROM poll_answers WHERE poll_id = ANY(?::bigint[]) ORDER BY poll_id, position`, int64Array(ids)).Scan(&answers).Error; err != nil {
		return nil, translate(err, "poll answers")
	}
	for _, a := range answers {
		byID[a.PollID].Answers = append(byID[a.PollID].Answers, a)
	}
	if viewerPerson != 0 {
		var votes []PollParticipation
		if err := s.conn(ctx).Raw(`SELECT * FROM poll_participations WHERE author_id = ? AND poll_id = ANY(?::bigint[])`,
			viewerPerson, int64Array(ids)).Scan(&votes).Error; err != nil {
			return nil, translate(err, "poll votes")
		}
		for _, v := range votes {
			byID[v.PollID].Voted = v.PollAnswerID
		}
	}
	return out, nil
}

// CreateLocation stores a post's location.
func (s *Store) CreateLocation(ctx context.Context, l *Location) error {
	return translate(s.conn(ctx).Create(l).Error, "create location")
}

// LocationOfPost finds a post's location.
func (s *Store) LocationOfPost(ctx context.Context, postID int64) (*Location, error) {
	var l Location
	err := s.conn(ctx).Where("post_id = ?", postID).Take(&l).Error
	return &l, translate(err, "location")
}

// LocationsOfPosts loads the locations of posts, keyed by post ID.
func (s *Store) LocationsOfPosts(ctx context.Context, postIDs []int64) (map[int64]Location, error) {
	out := map[int64]Location{}
	rows, err := ofPosts[Location](ctx, s, "locations", postIDs)
	if err != nil {
		return nil, err
	}
	for _, l := range rows {
		out[l.PostID] = l
	}
	return out, nil
}

// CreateEvent stores a received event.
func (s *Store) CreateEvent(ctx context.Context, e *Event) error {
	return translate(s.conn(ctx).Create(e).Error, "create event")
}

// EventByGUID finds an event by GUID, whoever may see its post.
func (s *Store) EventByGUID(ctx context.Context, guid string) (*Event, error) {
	var e Event
	err := s.conn(ctx).Where("guid = ?", guid).Take(&e).Error
	return &e, translate(err, "event")
}

// AddEventParticipation stores an answer to an event; a second one by the
// same person replaces the first (people change their minds), a repeated
// GUID changes nothing.
func (s *Store) AddEventParticipation(ctx context.Context, p *EventParticipation) error {
	defer s.touchEventPost(ctx, p.EventID)
	return translate(s.conn(ctx).Exec(`INSERT INTO event_participations (guid, event_id, author_id, status, signed_xml, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (event_id, author_id) DO UPDATE SET guid = EXCLUDED.guid, status = EXCLUDED.status,
			signed_xml = EXCLUDED.signed_xml, created_at = EXCLUDED.created_at`,
		p.GUID, p.EventID, p.AuthorID, p.Status, p.SignedXML, p.CreatedAt).Error, "event participation")
}

// EventParticipationByGUID finds an answer to an event by GUID.
func (s *Store) EventParticipationByGUID(ctx context.Context, guid string) (*EventParticipation, error) {
	var p EventParticipation
	err := s.conn(ctx).Where("guid = ?", guid).Take(&p).Error
	return &p, translate(err, "event participation")
}

// EventRow is an event as a post shows it, with its answers counted by
// status.
type EventRow struct {
	Event
	Counts map[string]int
}

// EventsOfPosts loads the events of posts (callers pass only posts the
// viewer may see), keyed by post ID.
func (s *Store) EventsOfPosts(ctx context.Context, postIDs []int64) (map[int64]*EventRow, error) {
	out := map[int64]*EventRow{}
	evs, err := ofPosts[Event](ctx, s, "events", postIDs)
	if err != nil || len(evs) == 0 {
		return out, err
	}
	byID := map[int64]*EventRow{}
	ids := make([]int64, len(evs))
	for i, e := range evs {
		r := &EventRow{Event: e, Counts: map[string]int{}}
		out[e.PostID], byID[e.ID], ids[i] = r, r, e.ID
	}
	var counts []struct {
		EventID int64
		Status  string
		N       int
	}
	if err := s.conn(ctx).Raw(`SELECT event_id, status, count(*) AS n FROM event_participations
		WHERE event_id = ANY(?::bigint[]) GROUP BY event_id, status`, int64Array(ids)).Scan(&counts).Error; err != nil {
		return nil, translate(err, "event participations")
	}
	for _, c := range counts {
		byID[c.EventID].Counts[c.Status] = c.N
	}
	return out, nil
}

// ofPosts loads the rows of table (polls, locations, events) that hang
// under the posts postIDs.
func ofPosts[T any](ctx context.Context, s *Store, table string, postIDs []int64) ([]T, error) {
	var rows []T
	if len(postIDs) == 0 {
		return rows, nil
	}
	err := s.conn(ctx).Raw(`SELECT * FROM `+table+` WHERE post_id = ANY(?::bigint[])`, int64Array(postIDs)).Scan(&rows).Error
	return rows, translate(err, table)
}

// touchEventPost reports a change to the post of event id.
func (s *Store) touchEventPost(ctx context.Context, id int64) {
	var posts []int64
	if err := s.conn(ctx).Raw(`SELECT post_id FROM events WHERE id = ?`, id).Scan(&posts).Error; err != nil {
		s.touchAll(ctx)
		return
	}
	s.touchPosts(ctx, posts...)
}
