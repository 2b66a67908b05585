package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
)

// Polls and locations in the publisher, and votes (diaspora*'s names:
// poll_question, poll_answers[], location_address, location_coords
// "lat, lng"; forms without JavaScript may send location_lat and
// location_lng instead of location_coords).

// extrasParams are the publisher's poll and location fields.
type extrasParams struct {
	PollQuestion    string          `json:"poll_question"`
	PollAnswers     stringListParam `json:"poll_answers"`
	LocationAddress string          `json:"location_address"`
	LocationCoords  string          `json:"location_coords"`
	LocationLat     string          `json:"location_lat"`
	LocationLng     string          `json:"location_lng"`
}

// input turns the fields into the post's poll and location.
func (p extrasParams) input() (polls.Input, posts.LocationInput, error) {
	loc := posts.LocationInput{Address: p.LocationAddress, Lat: p.LocationLat, Lng: p.LocationLng}
	if c := strings.TrimSpace(p.LocationCoords); c != "" {
		lat, lng, ok := strings.Cut(c, ",")
		if !ok || strings.Contains(lng, ",") {
			return polls.Input{}, loc, &pod.InvalidError{Fields: map[string]string{"location_coords": `must be "latitude, longitude"`}}
		}
		loc.Lat, loc.Lng = lat, lng
	}
	return polls.Input{Question: p.PollQuestion, Answers: p.PollAnswers}, loc, nil
}

// publisherExtras is what the publisher shows of a poll and location: the
// values sent back with the form's errors, and empty answer rows enough
// for a poll without JavaScript.
type publisherExtras struct {
	PollQuestion    string
	PollAnswers     []string
	LocationAddress string
	LocationLat     string
	LocationLng     string
}

// extrasView fills the publisher's poll and location fields again.
func extrasView(p extrasParams) publisherExtras {
	x := publisherExtras{PollQuestion: p.PollQuestion, LocationAddress: p.LocationAddress, LocationLat: p.LocationLat, LocationLng: p.LocationLng}
	if c := strings.TrimSpace(p.LocationCoords); c != "" {
		x.LocationLat, x.LocationLng, _ = strings.Cut(c, ",")
	}
	x.PollAnswers = append(x.PollAnswers, p.PollAnswers...)
	return x
}

// AnswerRows are the publisher's answer inputs: the answers given, and
// empty rows up to four (a poll needs two; a publisher without JavaScript
// cannot add rows, and sends empty ones, which are left out).
func (x publisherExtras) AnswerRows() []string {
	rows := append([]string(nil), x.PollAnswers...)
	for len(rows) < 4 {
		rows = append(rows, "")
	}
	return rows
}

// stringListParam is a list of texts: name[] form fields or a JSON array
// of strings.
type stringListParam []string

func (p *stringListParam) list() bool    { return true }
func (p *stringListParam) wants() string { return "must be a list of texts" }
func (p *stringListParam) fromForm(vals []string) error {
	*p = append((*p)[:0], vals...)
	return nil
}

// UnmarshalJSON reads a list of strings.
func (p *stringListParam) UnmarshalJSON(b []byte) error {
	if strings.TrimSpace(string(b)) == "null" {
		return nil
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return typeError(b, stringListParam(nil))
	}
	*p = out
	return nil
}

// voteParams is a vote: poll_answer_id.
type voteParams struct {
	PollAnswerID idParam `json:"poll_answer_id"`
}

// vote records the viewer's vote in a post's poll: POST
// /posts/:id/poll_participations. Scripts get 201 and the poll with its
// results; forms go back to the post.
func (s *Server) vote(c *gin.Context) {
	var p voteParams
	if err := bind(c, &p); err != nil {
		s.fail(c, err)
		return
	}
	pv, err := s.app.Polls.Vote(c.Request.Context(), session(c), postKey(c), int64(p.PollAnswerID))
	if err != nil {
		s.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, gin.H{"poll_participation": gin.H{"poll_id": pv.ID, "poll_answer_id": int64(p.PollAnswerID)}, "poll": pv})
		return
	}
	s.flash(c, "notice", "Thanks for voting.")
	backToPost(c, "/posts/"+postKey(c))
}
