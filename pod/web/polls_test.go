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

// pollJSON is the poll part of a post's JSON (diaspora*'s shape).
type pollJSON struct {
	Poll *struct {
		ID       int64  `json:"poll_id"`
		Question string `json:"question"`
		Answers  []struct {
			ID        int64  `json:"id"`
			Answer    string `json:"answer"`
			VoteCount *int   `json:"vote_count"`
		} `json:"poll_answers"`
		Participations *int `json:"participation_count"`
		Voted          bool `json:"already_participated?"`
	} `json:"poll"`
	Location *struct {
		Address string   `json:"address"`
		Lat     *float64 `json:"lat"`
		Lng     *float64 `json:"lng"`
	} `json:"location"`
	PollAnswerID *int64 `json:"poll_participation_answer_id"`
}

func getPollJSON(t *testing.T, c *podtest.Client, guid string) pollJSON {
	t.Helper()
	r := mustStatus(t, c.Get("/posts/"+guid+".json"), http.StatusOK)
	var out pollJSON
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("post JSON: %v\n%s", err, r.Body)
	}
	return out
}

var voteRadio = regexp.MustCompile(`name="poll_answer_id" value="(\d+)"`)

// TestPollAndLocationThroughTheWeb: the publisher works without
// JavaScript (question, answer rows, address, coordinates), the post page
// shows a vote form before voting and the results after, the OSM link, and
// nothing of the poll to people who may not read the post.
func TestPollAndLocationThroughTheWeb(t *testing.T) {
	w := newWorld(t)
	page := mustStatus(t, w.alice.Get("/stream"), http.StatusOK).Body
	for _, field := range []string{`name="poll_question"`, `name="poll_answers[]"`, `name="location_address"`, `name="location_lat"`, `name="location_lng"`} {
		if !strings.Contains(page, field) {
			t.Errorf("the publisher has no %s", field)
		}
	}
	if n := strings.Count(page, `name="poll_answers[]"`); n < 2 {
		t.Errorf("the publisher shows %d answer rows without JavaScript, want at least 2", n)
	}
	r := mustStatus(t, w.alice.Post("/status_messages", url.Values{"status_message[text]": {"lunch plans"}, "aspect_ids[]": {itoa(w.friends)},
		"poll_question": {"Where shall we eat?"}, "poll_answers[]": {"Pizzeria", "Noodle bar", "", ""},
		"location_address": {"Stephansplatz, Vienna"}, "location_lat": {"48.2085"}, "location_lng": {"16.3721"}}), http.StatusSeeOther)
	guid := strings.TrimPrefix(r.Location(), "/posts/")

	// bob (audience) sees a vote form, no results.
	body := mustStatus(t, w.bob.Get("/posts/"+guid), http.StatusOK).Body
	if !strings.Contains(body, "Where shall we eat?") || !strings.Contains(body, `action="/posts/`+guid+`/poll_participations"`) {
		t.Fatalf("bob's page has no vote form:\n%s", trim(body))
	}
	if strings.Contains(body, "<progress") {
		t.Error("bob sees the results before voting")
	}
	if !strings.Contains(body, "Stephansplatz, Vienna") || !strings.Contains(body, `href="https://www.openstreetmap.org/?mlat=48.2085&amp;mlon=16.3721#map=15/48.2085/16.3721"`) {
		t.Errorf("the location or its OpenStreetMap link is missing:\n%s", trim(body))
	}
	if strings.Contains(body, "tile.openstreetmap") || strings.Contains(body, `<script src="http`) || strings.Contains(body, `<iframe`) {
		t.Error("the post page loads something from another site")
	}
	js := getPollJSON(t, w.bob, guid)
	if js.Poll == nil || len(js.Poll.Answers) != 2 || js.Poll.Voted || js.Poll.Answers[0].VoteCount != nil || js.Poll.Participations != nil {
		t.Fatalf("bob's JSON before voting: %+v", js.Poll)
	}
	if js.Location == nil || js.Location.Lat == nil || *js.Location.Lat != 48.2085 {
		t.Errorf("location JSON %+v", js.Location)
	}
	ids := voteRadio.FindAllStringSubmatch(body, -1)
	if len(ids) != 2 {
		t.Fatalf("%d answers in the vote form", len(ids))
	}

	// carol (outsider) and a visitor learn nothing, and cannot vote.
	for _, c := range []*podtest.Client{w.carol, w.anon} {
		for _, path := range []string{"/posts/" + guid, "/posts/" + guid + ".json", "/stream.json", "/public.json", "/people/" + w.aliceGUID} {
			r := c.Get(path)
			if strings.Contains(r.Body, "Where shall we eat?") || strings.Contains(r.Body, "Pizzeria") || strings.Contains(r.Body, "Stephansplatz") {
				t.Errorf("GET %s shows the limited post's poll or location to an outsider", path)
			}
		}
	}
	if r := w.carol.Post("/posts/"+guid+"/poll_participations", url.Values{"poll_answer_id": {ids[0][1]}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("outsider's vote: %d, want 404", r.StatusCode)
	}

	// bob votes by form and sees the results.
	mustStatus(t, w.bob.Post("/posts/"+guid+"/poll_participations", url.Values{"poll_answer_id": {ids[0][1]}}), http.StatusSeeOther)
	body = mustStatus(t, w.bob.Get("/posts/"+guid), http.StatusOK).Body
	if !strings.Contains(body, "<progress") || !strings.Contains(body, "100% · 1 vote") || !strings.Contains(body, "(your vote)") {
		t.Errorf("bob's results after voting:\n%s", trim(body))
	}
	if strings.Contains(body, `name="poll_answer_id"`) {
		t.Error("bob is offered the vote form again")
	}
	// A second vote is refused with a message.
	r = w.bob.Post("/posts/"+guid+"/poll_participations", url.Values{"poll_answer_id": {ids[1][1]}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already voted") {
		t.Errorf("second vote: %d\n%s", r.StatusCode, trim(r.Body))
	}
	// dave votes by JSON and gets the results.
	r = mustStatus(t, sendJSON(t, w.dave, http.MethodPost, "/posts/"+guid+"/poll_participations", `{"poll_answer_id": `+ids[1][1]+`}`), http.StatusCreated)
	if !strings.Contains(r.Body, `"vote_count":1`) || !strings.Contains(r.Body, `"participation_count":2`) {
		t.Errorf("JSON vote answer: %s", r.Body)
	}
	js = getPollJSON(t, w.alice, guid)
	if js.Poll == nil || js.Poll.Participations == nil || *js.Poll.Participations != 2 || *js.Poll.Answers[0].VoteCount != 1 {
		t.Errorf("the author's JSON: %+v", js.Poll)
	}
	js = getPollJSON(t, w.dave, guid)
	if js.PollAnswerID == nil || itoa(*js.PollAnswerID) != ids[1][1] || !js.Poll.Voted {
		t.Errorf("dave's JSON does not say what he voted: %+v", js)
	}
	if n, _ := w.p.Store.Count(context.Background(), "SELECT count(*) FROM poll_participations"); n != 2 {
		t.Errorf("%d votes stored, want 2", n)
	}
}

// TestPollAndLocationBadInput: malformed poll and location fields, in a
// form or in JSON, are a 422 naming the field and store nothing; a vote
// for an answer of another poll or not a number is a 422.
func TestPollAndLocationBadInput(t *testing.T) {
	w := newWorld(t)
	other := post(t, w.alice, "other", "public")
	r0 := mustStatus(t, sendJSON(t, w.alice, http.MethodPost, "/status_messages",
		`{"status_message": {"text": "another poll"}, "aspect_ids": "public", "poll_question": "Other?", "poll_answers": ["X", "Y"]}`), http.StatusCreated)
	var another pollJSON
	if err := json.Unmarshal([]byte(r0.Body), &another); err != nil || another.Poll == nil {
		t.Fatalf("second poll: %v %s", err, r0.Body)
	}
	r := mustStatus(t, sendJSON(t, w.alice, http.MethodPost, "/status_messages",
		`{"status_message": {"text": "poll"}, "aspect_ids": "public", "poll_question": "Q?", "poll_answers": ["A", "B"]}`), http.StatusCreated)
	var created struct {
		GUID string `json:"guid"`
		pollJSON
	}
	if err := json.Unmarshal([]byte(r.Body), &created); err != nil || created.Poll == nil {
		t.Fatalf("JSON post with poll: %v %s", err, r.Body)
	}
	before := tableDigests(t, w.p)
	forms := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"one answer", url.Values{"poll_question": {"Q"}, "poll_answers[]": {"A"}}, "poll_answers"},
		{"21 answers", url.Values{"poll_question": {"Q"}, "poll_answers[]": strings.Split("a b c d e f g h i j k l m n o p q r s t u", " ")}, "poll_answers"},
		{"empty answer", url.Values{"poll_question": {"Q"}, "poll_answers[]": {"A", "", "C"}}, "poll_answers"},
		{"question too long", url.Values{"poll_question": {strings.Repeat("q", 256)}, "poll_answers[]": {"A", "B"}}, "poll_question"},
		{"answers without question", url.Values{"poll_answers[]": {"A", "B"}}, "poll_question"},
		{"latitude out of range", url.Values{"location_address": {"x"}, "location_lat": {"90.01"}, "location_lng": {"0"}}, "location_lat"},
		{"longitude out of range", url.Values{"location_lat": {"0"}, "location_lng": {"-180.5"}}, "location_lng"},
		{"coordinates not numbers", url.Values{"location_coords": {"north, east"}}, "location_lat"},
		{"coordinates one number", url.Values{"location_coords": {"48.2"}}, "location_coords"},
	}
	for _, c := range forms {
		c.form.Set("status_message[text]", "bad "+c.name)
		c.form.Set("aspect_ids[]", "public")
		r := w.alice.Post("/status_messages", c.form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `class="field-error"`) {
			t.Errorf("form %s: %d, want 422 with the field's error\n%s", c.name, r.StatusCode, trim(r.Body))
		}
		// The same as JSON names the field.
		b, _ := json.Marshal(map[string]any{"status_message": map[string]string{"text": "bad"}, "aspect_ids": "public"})
		m := map[string]any{}
		_ = json.Unmarshal(b, &m)
		for k, v := range c.form {
			switch k {
			case "poll_answers[]":
				m["poll_answers"] = v
			case "status_message[text]", "aspect_ids[]":
			default:
				m[k] = v[0]
			}
		}
		body, _ := json.Marshal(m)
		r = sendJSON(t, w.alice, http.MethodPost, "/status_messages", string(body))
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.field) {
			t.Errorf("JSON %s: %d %s, want 422 naming %s", c.name, r.StatusCode, r.Body, c.field)
		}
	}
	for _, c := range []struct{ body, field string }{
		{`{"status_message": {"text": "x"}, "aspect_ids": "public", "poll_question": "Q", "poll_answers": "A, B"}`, "poll_answers"},
		{`{"status_message": {"text": "x"}, "aspect_ids": "public", "poll_question": "Q", "poll_answers": [1, 2]}`, "poll_answers"},
		{`{"status_message": {"text": "x"}, "aspect_ids": "public", "poll_question": ["Q"], "poll_answers": ["A", "B"]}`, "poll_question"},
		{`{"status_message": {"text": "x"}, "aspect_ids": "public", "location_coords": [48.2, 16.3]}`, "location_coords"},
		{`{"status_message": {"text": "x"}, "aspect_ids": "public", "location_coords": "48.2, 200"}`, "location_lng"},
	} {
		r := sendJSON(t, w.alice, http.MethodPost, "/status_messages", c.body)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.field) {
			t.Errorf("JSON %s: %d %s, want 422 naming %s", c.body, r.StatusCode, r.Body, c.field)
		}
	}
	// Votes: not a number, an answer of another poll, no answer.
	for _, c := range []struct{ body, says string }{
		{`{"poll_answer_id": "abc"}`, "poll_answer_id"},
		{`{"poll_answer_id": ` + itoa(another.Poll.Answers[0].ID) + `}`, "not an answer of this poll"},
		{`{}`, "poll_answer_id"},
	} {
		r := sendJSON(t, w.bob, http.MethodPost, "/posts/"+created.GUID+"/poll_participations", c.body)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.says) {
			t.Errorf("vote %s: %d %s", c.body, r.StatusCode, r.Body)
		}
	}
	if r := w.bob.Post("/posts/"+other+"/poll_participations", url.Values{"poll_answer_id": {itoa(created.Poll.Answers[0].ID)}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("vote on a post without poll: %d, want 404", r.StatusCode)
	}
	if diff := changedTables(before, tableDigests(t, w.p)); len(diff) > 0 {
		t.Errorf("bad input changed tables: %v", diff)
	}
}
