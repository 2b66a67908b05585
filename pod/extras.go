package pod

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
)

// What hangs under a post besides its text: a poll, a location, an event
// (migration 00008). Hydrate attaches them to posts the viewer may see, so
// they follow the posts' visibility: nobody learns anything of a poll or
// event on a post they cannot read.

// PollView is a post's poll in diaspora*'s JSON shape. Results (the counts)
// are given only to people who voted and to the post's author
// (ShowResults); everyone else sees the answers alone.
type PollView struct {
	ID       int64            `json:"poll_id"`
	GUID     string           `json:"guid"`
	PostID   int64            `json:"post_id"`
	Question string           `json:"question"`
	Answers  []PollAnswerView `json:"poll_answers"`
	// Participations is the number of votes, nil when results are hidden.
	Participations *int `json:"participation_count,omitempty"`
	Voted          bool `json:"already_participated?"`
	// For pages: show the counts, or the vote form (CanVote).
	ShowResults bool `json:"-"`
	CanVote     bool `json:"-"`
}

// PollAnswerView is one answer of a poll; VoteCount is nil when results
// are hidden.
type PollAnswerView struct {
	ID        int64  `json:"id"`
	Answer    string `json:"answer"`
	VoteCount *int   `json:"vote_count,omitempty"`
	// For pages: share of the votes in whole percent, and whether it is
	// the viewer's answer.
	Percent int  `json:"-"`
	Mine    bool `json:"-"`
}

// Votes is the answer's vote count (0 when results are hidden).
func (a PollAnswerView) Votes() int {
	if a.VoteCount == nil {
		return 0
	}
	return *a.VoteCount
}

// Total is the number of votes (0 when results are hidden).
func (p PollView) Total() int {
	if p.Participations == nil {
		return 0
	}
	return *p.Participations
}

// LocationView is where a post was written; Lat and Lng are nil when no
// coordinates were given.
type LocationView struct {
	Address string   `json:"address"`
	Lat     *float64 `json:"lat"`
	Lng     *float64 `json:"lng"`
	// MapURL is the OpenStreetMap link of the coordinates ("" without).
	MapURL string `json:"-"`
}

// EventView is an event received in a post, with its answers counted.
type EventView struct {
	GUID        string        `json:"guid"`
	Summary     string        `json:"summary"`
	Description string        `json:"description,omitempty"`
	Start       time.Time     `json:"start"`
	End         *time.Time    `json:"end,omitempty"`
	AllDay      bool          `json:"all_day"`
	Timezone    string        `json:"timezone,omitempty"`
	Location    *LocationView `json:"location,omitempty"`
	Accepted    int           `json:"accepted_count"`
	Tentative   int           `json:"tentative_count"`
	Declined    int           `json:"declined_count"`
	// Participations counts every answer.
	Participations int `json:"participation_count"`
	// For pages: start and end in the event's time zone when known.
	StartText string `json:"-"`
	EndText   string `json:"-"`
}

// LocationViewOf shows a stored location (nil for an empty one).
func LocationViewOf(address, lat, lng string) *LocationView {
	if address == "" && lat == "" && lng == "" {
		return nil
	}
	l := &LocationView{Address: address}
	la, err1 := strconv.ParseFloat(lat, 64)
	lo, err2 := strconv.ParseFloat(lng, 64)
	if err1 == nil && err2 == nil && ValidCoordinates(la, lo) {
		l.Lat, l.Lng = &la, &lo
		l.MapURL = OSMURL(lat, lng)
	}
	return l
}

// Coordinate parses decimal degrees within ±limit (90 for a latitude, 180
// for a longitude) and returns them rounded to 8 decimals (about a
// millimetre) in the shortest decimal form, at most 13 characters.
func Coordinate(s string, limit float64) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.Trim(s, "0123456789.eE+-") != "" {
		return "", false // no hexadecimal, no "Inf" or "NaN"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < -limit || f > limit {
		return "", false
	}
	f = math.Round(f*1e8) / 1e8
	if f == 0 {
		f = 0 // no "-0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// ValidCoordinates reports whether lat and lng are a point on Earth.
func ValidCoordinates(lat, lng float64) bool {
	return lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180
}

// OSMURL is the OpenStreetMap page of a point (a link: the pod embeds no
// tiles or scripts of another site).
func OSMURL(lat, lng string) string {
	q := url.Values{"mlat": {lat}, "mlon": {lng}}
	return "https://www.openstreetmap.org/?" + q.Encode() + "#map=15/" + url.PathEscape(lat) + "/" + url.PathEscape(lng)
}

// PollViewOf shows a poll to a viewer (viewer 0: signed out); own says
// whether the viewer wrote the post.
func PollViewOf(r *models.PollRow, viewer int64, own bool) *PollView {
	pv := &PollView{ID: r.ID, GUID: r.GUID, PostID: r.PostID, Question: r.Question, Voted: r.Voted != 0,
		Answers: make([]PollAnswerView, 0, len(r.Answers))}
	pv.ShowResults = pv.Voted || own
	pv.CanVote = viewer != 0 && !pv.Voted
	total := 0
	for _, a := range r.Answers {
		total += a.VoteCount
	}
	for _, a := range r.Answers {
		av := PollAnswerView{ID: a.ID, Answer: a.Answer, Mine: a.ID == r.Voted}
		if pv.ShowResults {
			n := a.VoteCount
			av.VoteCount = &n
			if total > 0 {
				av.Percent = (100*n + total/2) / total
			}
		}
		pv.Answers = append(pv.Answers, av)
	}
	if pv.ShowResults {
		pv.Participations = &total
	}
	return pv
}

// EventViewOf shows an event.
func EventViewOf(r *models.EventRow) *EventView {
	ev := &EventView{GUID: r.GUID, Summary: r.Summary, Description: r.Description, Start: r.StartsAt, End: r.EndsAt,
		AllDay: r.AllDay, Timezone: r.Timezone, Location: LocationViewOf(r.LocationAddress, r.LocationLat, r.LocationLng),
		Accepted: r.Counts["accepted"], Tentative: r.Counts["tentative"], Declined: r.Counts["declined"]}
	for _, n := range r.Counts {
		ev.Participations += n
	}
	layout := "Mon 2 Jan 2006 15:04 MST"
	if ev.AllDay {
		layout = "Mon 2 Jan 2006"
	}
	loc := time.UTC
	if l, err := time.LoadLocation(r.Timezone); err == nil && r.Timezone != "" {
		loc = l
	}
	ev.StartText = r.StartsAt.In(loc).Format(layout)
	if r.EndsAt != nil {
		ev.EndText = r.EndsAt.In(loc).Format(layout)
	}
	return ev
}

// attachExtras adds the polls, locations and events of posts the viewer
// may see (Hydrate's rows, out their views), asking only for the kinds
// some of them have.
func (a *Core) attachExtras(ctx context.Context, v models.Viewer, rows []models.PostRow, out []PostView) error {
	var pollIDs, locIDs, eventIDs []int64
	for _, r := range rows {
		if r.HasPoll {
			pollIDs = append(pollIDs, r.ID)
		}
		if r.HasLocation {
			locIDs = append(locIDs, r.ID)
		}
		if r.HasEvent {
			eventIDs = append(eventIDs, r.ID)
		}
	}
	var (
		polls  map[int64]*models.PollRow
		locs   map[int64]models.Location
		events map[int64]*models.EventRow
		err    error
	)
	if len(pollIDs) > 0 {
		if polls, err = a.store.PollsOfPosts(ctx, v.PersonID, pollIDs); err != nil {
			return fmt.Errorf("polls: %w", err)
		}
	}
	if len(locIDs) > 0 {
		if locs, err = a.store.LocationsOfPosts(ctx, locIDs); err != nil {
			return err
		}
	}
	if len(eventIDs) > 0 {
		if events, err = a.store.EventsOfPosts(ctx, eventIDs); err != nil {
			return err
		}
	}
	for i := range out {
		pv := &out[i]
		if r, ok := polls[pv.ID]; ok {
			pv.Poll = PollViewOf(r, v.PersonID, pv.Own)
			if r.Voted != 0 {
				id := r.Voted
				pv.PollAnswerID = &id
			}
		}
		if l, ok := locs[pv.ID]; ok {
			pv.Location = LocationViewOf(l.Address, l.Lat, l.Lng)
		}
		if e, ok := events[pv.ID]; ok {
			pv.Event = EventViewOf(e)
		}
	}
	return nil
}
