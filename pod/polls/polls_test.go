package polls_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
)

func answers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("answer %d", i+1)
	}
	return out
}

// count runs a count query on the pod's database.
func count(t *testing.T, p *podtest.Pod, q string, args ...any) int64 {
	t.Helper()
	n, err := p.Store.Count(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreatePollLimits: 2 and 20 answers make a poll; 1 or 21 answers, an
// empty answer between others, a blank or too long question are refused
// naming the field, and nothing (no post, no poll) is stored.
func TestCreatePollLimits(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	pub := aspects.Selection{Public: true}
	for _, n := range []int{2, 20} {
		pv, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "vote", Audience: pub,
			Poll: polls.Input{Question: "Which?", Answers: answers(n)}})
		if err != nil {
			t.Fatalf("%d answers: %v", n, err)
		}
		if pv.Poll == nil || len(pv.Poll.Answers) != n || pv.Poll.Question != "Which?" {
			t.Fatalf("%d answers: poll shown %+v", n, pv.Poll)
		}
		if pv.Poll.Answers[n-1].Answer != fmt.Sprintf("answer %d", n) {
			t.Errorf("answers out of order: %+v", pv.Poll.Answers)
		}
	}
	// Spare empty rows at the end (a publisher without JavaScript) are no answers.
	pv, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "spare", Audience: pub,
		Poll: polls.Input{Question: "Q", Answers: []string{"a", "b", "", " "}}})
	if err != nil || len(pv.Poll.Answers) != 2 {
		t.Fatalf("trailing empty rows: %v %+v", err, pv)
	}
	before := count(t, p, "SELECT count(*) FROM posts") + count(t, p, "SELECT count(*) FROM polls") + count(t, p, "SELECT count(*) FROM poll_answers")
	bad := []struct {
		name  string
		in    polls.Input
		field string
		says  string
	}{
		{"one answer", polls.Input{Question: "Q", Answers: []string{"only"}}, "poll_answers", "at least 2"},
		{"21 answers", polls.Input{Question: "Q", Answers: answers(21)}, "poll_answers", "at most 20"},
		{"empty answer", polls.Input{Question: "Q", Answers: []string{"a", "", "c"}}, "poll_answers", "answer 2 is empty"},
		{"no question", polls.Input{Answers: []string{"a", "b"}}, "poll_question", "blank"},
		{"long question", polls.Input{Question: strings.Repeat("q", 256), Answers: []string{"a", "b"}}, "poll_question", "too long"},
		{"long answer", polls.Input{Question: "Q", Answers: []string{"a", strings.Repeat("b", 256)}}, "poll_answers", "too long"},
		{"same answer twice", polls.Input{Question: "Q", Answers: []string{"Yes", "yes"}}, "poll_answers", "repeats"},
	}
	for _, c := range bad {
		_, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "bad poll", Audience: pub, Poll: c.in})
		var inv *pod.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields[c.field], c.says) {
			t.Errorf("%s: %v, want an InvalidError on %s saying %q", c.name, err, c.field, c.says)
		}
	}
	after := count(t, p, "SELECT count(*) FROM posts") + count(t, p, "SELECT count(*) FROM polls") + count(t, p, "SELECT count(*) FROM poll_answers")
	if after != before {
		t.Errorf("refused polls stored rows: %d before, %d after", before, after)
	}
	if n := count(t, p, "SELECT count(*) FROM outbox"); n != 3 {
		t.Errorf("%d outbox rows, want 3 (one per accepted post)", n)
	}
}

// TestVote: a reader votes once, sees the results after voting; before,
// they see the answers only; the author sees the results; a second vote,
// an answer of another poll and a post without poll are refused; a vote
// on a post the voter cannot see is a 404 and counts nothing.
func TestVote(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol, dave := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol"), p.NewUser(t, "dave")
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, alice.Session, alice.Aspects["Friends"], carol.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	lim, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "friends only", Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Friends"]}},
		Poll: polls.Input{Question: "Pizza?", Answers: []string{"Yes", "No", "Maybe"}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "public", Audience: aspects.Selection{Public: true},
		Poll: polls.Input{Question: "Tea?", Answers: []string{"Yes", "No"}}})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "no poll", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	yes, no := lim.Poll.Answers[0].ID, lim.Poll.Answers[1].ID

	// Before voting bob sees the answers without counts, and may vote.
	pv, err := p.App.Posts.PostByID(ctx, bob.Session, lim.ID)
	if err != nil || pv.Poll == nil {
		t.Fatalf("bob cannot see the poll: %v", err)
	}
	if pv.Poll.ShowResults || pv.Poll.Participations != nil || pv.Poll.Answers[0].VoteCount != nil || !pv.Poll.CanVote {
		t.Errorf("bob sees results before voting: %+v", pv.Poll)
	}
	// dave may not see the post: 404, and nothing counted.
	if _, err := p.App.Polls.Vote(ctx, dave.Session, lim.GUID, yes); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("outsider's vote: %v, want ErrNotFound", err)
	}
	if _, err := p.App.Polls.Vote(ctx, nil, lim.GUID, yes); !errors.Is(err, pod.ErrUnauthenticated) {
		t.Errorf("signed-out vote: %v", err)
	}
	// An answer of another poll.
	var inv *pod.InvalidError
	if _, err := p.App.Polls.Vote(ctx, bob.Session, lim.GUID, other.Poll.Answers[0].ID); !errors.As(err, &inv) || inv.Fields["poll_answer_id"] == "" {
		t.Errorf("answer of another poll: %v", err)
	}
	if _, err := p.App.Polls.Vote(ctx, bob.Session, plain.GUID, yes); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("vote on a post without poll: %v", err)
	}
	if n := count(t, p, "SELECT count(*) FROM poll_participations"); n != 0 {
		t.Fatalf("%d votes stored by refused votes", n)
	}
	// bob votes and sees the results.
	res, err := p.App.Polls.Vote(ctx, bob.Session, lim.GUID, yes)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Voted || !res.ShowResults || res.Total() != 1 || res.Answers[0].Votes() != 1 || res.Answers[0].Percent != 100 || !res.Answers[0].Mine {
		t.Errorf("bob's results after voting: %+v", res)
	}
	// A second vote, for the same or another answer, is refused.
	for _, a := range []int64{yes, no} {
		if _, err := p.App.Polls.Vote(ctx, bob.Session, lim.GUID, a); !errors.As(err, &inv) || inv.Message != polls.AlreadyVoted {
			t.Errorf("second vote: %v", err)
		}
	}
	if n := count(t, p, "SELECT sum(vote_count) FROM poll_answers WHERE poll_id = ?", lim.Poll.ID); n != 1 {
		t.Errorf("%d votes counted, want 1", n)
	}
	if n := count(t, p, "SELECT count(*) FROM outbox WHERE task_type = 'federation:poll-voted'"); n != 1 {
		t.Errorf("%d vote events in the outbox, want 1", n)
	}
	// carol (in the audience, has not voted) sees no counts; alice sees them.
	pv, _ = p.App.Posts.PostByID(ctx, carol.Session, lim.ID)
	if pv.Poll.ShowResults || pv.Poll.Total() != 0 {
		t.Errorf("carol sees results without voting: %+v", pv.Poll)
	}
	pv, _ = p.App.Posts.PostByID(ctx, alice.Session, lim.ID)
	if !pv.Poll.ShowResults || pv.Poll.Total() != 1 || pv.Poll.CanVote == false {
		t.Errorf("the author's view of her poll: %+v", pv.Poll)
	}
	// Streams carry the poll the same way.
	page, err := p.App.Streams.Stream(ctx, bob.Session, streams.StreamQuery{Kind: streams.StreamMain})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sp := range page.Posts {
		if sp.GUID == lim.GUID {
			found = true
			if sp.Poll == nil || sp.Poll.Total() != 1 || sp.PollAnswerID == nil || *sp.PollAnswerID != yes {
				t.Errorf("bob's stream shows the poll as %+v", sp.Poll)
			}
		}
	}
	if !found {
		t.Error("the limited post is not in bob's stream")
	}
	// dave learns nothing: not the post, not the poll.
	if _, err := p.App.Polls.PollOf(ctx, dave.Session, lim.ID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("outsider's PollOf: %v", err)
	}
	if _, err := p.App.Posts.Post(ctx, dave.Session, lim.GUID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("outsider reads the post: %v", err)
	}
}

// TestLocation: an address with or without coordinates is stored and
// shown with an OpenStreetMap link; coordinates out of range or not
// numbers are refused naming the field, and nothing is stored.
func TestLocation(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice := p.NewUser(t, "alice")
	pub := aspects.Selection{Public: true}
	pv, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "here", Audience: pub,
		Location: posts.LocationInput{Address: "Vienna, Austria", Lat: "48.208174", Lng: " 16.373819"}})
	if err != nil {
		t.Fatal(err)
	}
	l := pv.Location
	if l == nil || l.Address != "Vienna, Austria" || l.Lat == nil || *l.Lat != 48.208174 || *l.Lng != 16.373819 {
		t.Fatalf("location shown %+v", l)
	}
	if want := "https://www.openstreetmap.org/?mlat=48.208174&mlon=16.373819#map=15/48.208174/16.373819"; l.MapURL != want {
		t.Errorf("map link %q, want %q", l.MapURL, want)
	}
	pv, err = p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "somewhere", Audience: pub,
		Location: posts.LocationInput{Address: "Somewhere"}})
	if err != nil || pv.Location == nil || pv.Location.Lat != nil || pv.Location.MapURL != "" {
		t.Fatalf("address only: %v %+v", err, pv)
	}
	before := count(t, p, "SELECT count(*) FROM posts")
	for _, c := range []struct {
		lat, lng, field string
	}{
		{"91", "0", "location_lat"}, {"-90.5", "0", "location_lat"}, {"0", "180.1", "location_lng"},
		{"0", "-181", "location_lng"}, {"north", "0", "location_lat"}, {"NaN", "0", "location_lat"},
		{"1", "", "location_lng"}, {"", "Inf", "location_lat"},
	} {
		_, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "bad", Audience: pub,
			Location: posts.LocationInput{Address: "x", Lat: c.lat, Lng: c.lng}})
		var inv *pod.InvalidError
		if !errors.As(err, &inv) || inv.Fields[c.field] == "" {
			t.Errorf("lat %q lng %q: %v, want an error on %s", c.lat, c.lng, err, c.field)
		}
	}
	if n := count(t, p, "SELECT count(*) FROM posts"); n != before {
		t.Errorf("refused locations stored %d posts", n-before)
	}
	if n := count(t, p, "SELECT count(*) FROM locations"); n != 2 {
		t.Errorf("%d locations stored, want 2", n)
	}
}
