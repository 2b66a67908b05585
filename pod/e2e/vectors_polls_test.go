package e2e

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate/fedhost"
	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
)

// The vectors about polls, locations and events: the poll and event
// participations (07, 08) under the posts they name, the status message
// with a location and a poll (17) and the docs' event, received through
// the real endpoints and shown on the post.

const (
	pollGUID        = "7f2e3d4c5b6a79880123456789abcdef" // 07's parent
	pollAnswerGUID  = "7b3b3c3d3e3f40414243444546474849" // 07's answer
	pollVoteGUID    = "7a3b3c3d3e3f40414243444546474849" // 07
	eventGUID       = "8f2e3d4c5b6a79880123456789abcdef" // 08's parent
	eventAnswerGUID = "8a3b3c3d3e3f40414243444546474849" // 08
	pollPostGUID    = "7e2e3d4c5b6a79880123456789abcdef" // made up: the post holding 07's poll
	eventPostGUID   = "8e2e3d4c5b6a79880123456789abcdef" // made up: the post holding 08's event
)

// alicePollPost is alice's public status message with the poll 07 votes
// in, as her pod would send it.
func alicePollPost() *entity.StatusMessage {
	return &entity.StatusMessage{Author: "alice@pod-a.org", GUID: pollPostGUID, CreatedAt: created, Public: true, Text: "vote please",
		Poll: &entity.Poll{GUID: pollGUID, Question: "Coffee or tea?", Answers: []*entity.PollAnswer{
			{GUID: pollAnswerGUID, Answer: "Coffee"}, {GUID: "7c3b3c3d3e3f40414243444546474849", Answer: "Tea"}}}}
}

// aliceEventPost is alice's public status message with the event 08
// answers, as the docs' event_1 (Friendica and diaspora* send it so).
func aliceEventPost() *entity.StatusMessage {
	return &entity.StatusMessage{Author: "alice@pod-a.org", GUID: eventPostGUID, CreatedAt: created, Public: true, Text: "come along",
		Event: &entity.Event{Author: "alice@pod-a.org", GUID: eventGUID, Summary: "Cool event", Description: "You need to see this!",
			Start: time.Date(2016, 12, 27, 12, 0, 0, 0, time.UTC), End: time.Date(2016, 12, 27, 13, 0, 0, 0, time.UTC),
			Timezone: "Europe/Berlin", Location: &entity.Location{Address: "Vienna, Austria", Lat: "48.208174", Lng: "16.373819"}}}
}

// withLocalPoll gives local alice (root role) a public post whose poll
// has 07's GUIDs; limited makes it a post to an empty aspect.
func withLocalPoll(limited bool) func(e *vecEnv) {
	return func(e *vecEnv) {
		ctx := context.Background()
		sel := aspects.Selection{Public: true}
		if limited {
			sel = aspects.Selection{Aspects: []int64{e.local.aspects["Family"]}}
		}
		pv, err := e.p.App.Posts.CreatePost(ctx, e.local.s, posts.PostInput{Text: "vote please", Audience: sel,
			Poll: polls.Input{Question: "Coffee or tea?", Answers: []string{"Coffee", "Tea"}}})
		if err != nil {
			e.t.Fatal(err)
		}
		settled(e.t, e.p)
		if err := e.p.Store.Exec(ctx, "UPDATE polls SET guid = ? WHERE id = ?", pollGUID, pv.Poll.ID); err != nil {
			e.t.Fatal(err)
		}
		if err := e.p.Store.Exec(ctx, "UPDATE poll_answers SET guid = ? WHERE id = ?", pollAnswerGUID, pv.Poll.Answers[0].ID); err != nil {
			e.t.Fatal(err)
		}
	}
}

// checkVoteCounted: 07 is stored with its signature and counted once on
// the answer it names, and a reader who voted sees it.
func checkVoteCounted(t *testing.T, e *vecEnv) {
	ctx := context.Background()
	v, err := e.p.Store.PollParticipationByGUID(ctx, pollVoteGUID)
	if err != nil || v.AuthorID != e.people["bob@pod-b.org"].ID {
		t.Fatalf("stored vote: %+v %v", v, err)
	}
	if v.SignedXML == nil || *v.SignedXML != string(vectorPayload(t, "07_poll_participation_by_bob")) {
		t.Errorf("signed XML kept: %v", strPtr(v.SignedXML))
	}
	if n := e.count("SELECT vote_count FROM poll_answers WHERE guid = ?", pollAnswerGUID); n != 1 {
		t.Errorf("vote_count %d, want 1", n)
	}
	if n := e.count("SELECT sum(vote_count) FROM poll_answers a JOIN polls p ON p.id = a.poll_id WHERE p.guid = ?", pollGUID); n != 1 {
		t.Errorf("%d votes in the poll, want 1", n)
	}
}

func pollVectorCases() []vecCase {
	return []vecCase{
		{name: "07 poll participation relayed by the root author", role: roleThird,
			setup: func(e *vecEnv) {
				e.accepted(e.publicBytes("alice's post with 07's poll", xmlOf(e.t, alicePollPost()), e.alice))
			},
			send:  func(e *vecEnv) delivery { return e.public("07_poll_participation_by_bob", e.alice) },
			check: checkVoteCounted},
		{name: "07 poll participation on our post", role: roleRoot, setup: withLocalPoll(false),
			send: func(e *vecEnv) delivery { return e.public("07_poll_participation_by_bob", e.bob) },
			check: func(t *testing.T, e *vecEnv) {
				checkVoteCounted(t, e)
				if n := e.count("SELECT count(*) FROM outbox WHERE task_type = 'federation:poll-voted'"); n != 1 {
					t.Errorf("%d relays of the vote queued, want 1", n)
				}
				pg, err := e.p.App.Posts.Post(context.Background(), e.local.s, pollPostGUIDOf(t, e))
				if err != nil || pg.Post.Poll == nil || pg.Post.Poll.Answers[0].Votes() != 1 {
					t.Errorf("alice's results: %+v %v", pg, err)
				}
			}},
		{name: "07 poll participation on our limited post from outside its audience", role: roleRoot, setup: withLocalPoll(true),
			drop: "not in its audience",
			send: func(e *vecEnv) delivery { return e.public("07_poll_participation_by_bob", e.bob) }},
		{name: "07 poll participation for an answer of another poll", role: roleThird,
			setup: func(e *vecEnv) {
				e.accepted(e.publicBytes("alice's post with 07's poll", xmlOf(e.t, alicePollPost()), e.alice))
				other := alicePollPost()
				other.GUID, other.Poll.GUID = pod.NewGUID(), pod.NewGUID()
				other.Poll.Answers = []*entity.PollAnswer{{GUID: pod.NewGUID(), Answer: "A"}, {GUID: pod.NewGUID(), Answer: "B"}}
				e.accepted(e.publicBytes("alice's other poll", xmlOf(e.t, other), e.alice))
				// 07's answer GUID moved to the other poll.
				if err := e.p.Store.Exec(context.Background(), `UPDATE poll_answers SET guid = 'x' || guid WHERE guid = ?`, pollAnswerGUID); err != nil {
					e.t.Fatal(err)
				}
				if err := e.p.Store.Exec(context.Background(), `UPDATE poll_answers SET guid = ? WHERE answer = 'A'`, pollAnswerGUID); err != nil {
					e.t.Fatal(err)
				}
			},
			drop: "is not an answer of poll",
			send: func(e *vecEnv) delivery { return e.public("07_poll_participation_by_bob", e.alice) }},
		{name: "08 event participation relayed by the event's author", role: roleThird,
			setup: func(e *vecEnv) {
				e.accepted(e.publicBytes("alice's post with 08's event", xmlOf(e.t, aliceEventPost()), e.alice))
			},
			send: func(e *vecEnv) delivery { return e.public("08_event_participation_by_bob", e.alice) },
			check: func(t *testing.T, e *vecEnv) {
				ctx := context.Background()
				p, err := e.p.Store.EventParticipationByGUID(ctx, eventAnswerGUID)
				if err != nil || p.Status != "accepted" || p.AuthorID != e.people["bob@pod-b.org"].ID {
					t.Fatalf("stored answer: %+v %v", p, err)
				}
				if p.SignedXML == nil || *p.SignedXML != string(vectorPayload(t, "08_event_participation_by_bob")) {
					t.Errorf("signed XML kept: %v", strPtr(p.SignedXML))
				}
				pg, err := e.p.App.Posts.Post(ctx, nil, eventPostGUID)
				if err != nil || pg.Post.Event == nil {
					t.Fatalf("a visitor does not see the event: %v", err)
				}
				ev := pg.Post.Event
				if ev.Accepted != 1 || ev.Participations != 1 || ev.Summary != "Cool event" || ev.Timezone != "Europe/Berlin" ||
					ev.StartText != "Tue 27 Dec 2016 13:00 CET" || ev.EndText != "Tue 27 Dec 2016 14:00 CET" ||
					ev.Location == nil || ev.Location.Address != "Vienna, Austria" || ev.Location.MapURL == "" {
					t.Errorf("event shown as %+v", ev)
				}
				// The page shows it to a visitor, without JavaScript.
				r := e.p.Client().Get("/posts/" + eventPostGUID)
				for _, want := range []string{"Cool event", "Tue 27 Dec 2016 13:00 CET – Tue 27 Dec 2016 14:00 CET", "Europe/Berlin",
					"Vienna, Austria", "You need to see this!", "1 going · 0 maybe · 0 not going", "https://www.openstreetmap.org/?mlat=48.208174"} {
					if !strings.Contains(r.Body, want) {
						t.Errorf("the post page lacks %q", want)
					}
				}
			}},
		{name: "08 event participation with an unknown status", role: roleThird, drop: "is not accepted, declined or tentative",
			setup: func(e *vecEnv) {
				e.accepted(e.publicBytes("alice's post with 08's event", xmlOf(e.t, aliceEventPost()), e.alice))
			},
			send: func(e *vecEnv) delivery {
				b := strings.Replace(string(vectorPayload(e.t, "08_event_participation_by_bob")), "<status>accepted</status>", "<status>maybe</status>", 1)
				return e.publicBytes("08 with status maybe", []byte(b), e.alice)
			}},
		{name: "17 status message with location and poll shown", role: roleThird,
			send: func(e *vecEnv) delivery { return e.public("17_status_message_with_photo_location_poll", e.alice) },
			check: func(t *testing.T, e *vecEnv) {
				pg, err := e.p.App.Posts.Post(context.Background(), nil, "17f2e3d4c5b6a79880123456789abcde")
				if err != nil {
					t.Fatal(err)
				}
				pl, l := pg.Post.Poll, pg.Post.Location
				if pl == nil || pl.GUID != "17b2e3d4c5b6a79880123456789abcde" || pl.Question != "Yes or no?" || len(pl.Answers) != 2 ||
					pl.Answers[0].Answer != "Yes" || pl.Answers[1].Answer != "No" {
					t.Errorf("poll shown as %+v", pl)
				}
				if l == nil || l.Address != "Vienna, Austria" || l.Lat == nil || *l.Lat != 48.208174 || *l.Lng != 16.373819 {
					t.Errorf("location shown as %+v", l)
				}
			}},
		{name: "status message with an event and an address only location", role: roleThird,
			send: func(e *vecEnv) delivery {
				sm := aliceEventPost()
				sm.Event.End, sm.Event.AllDay, sm.Event.Timezone = time.Time{}, true, "Not/AZone"
				sm.Location = &entity.Location{Address: "Somewhere", Lat: "1000", Lng: "x"}
				return e.publicBytes("event post", xmlOf(e.t, sm), e.alice)
			},
			check: func(t *testing.T, e *vecEnv) {
				pg, err := e.p.App.Posts.Post(context.Background(), nil, eventPostGUID)
				if err != nil || pg.Post.Event == nil {
					t.Fatalf("event not shown: %v", err)
				}
				if ev := pg.Post.Event; ev.Timezone != "" || ev.End != nil || !ev.AllDay || ev.StartText != "Tue 27 Dec 2016" {
					t.Errorf("event shown as %+v", ev)
				}
				if l := pg.Post.Location; l == nil || l.Address != "Somewhere" || l.Lat != nil || l.MapURL != "" {
					t.Errorf("a location with impossible coordinates shown as %+v", l)
				}
			}},
		{name: "status message whose event is by someone else", role: roleThird, drop: "carries an event by",
			send: func(e *vecEnv) delivery {
				sm := aliceEventPost()
				sm.Event.Author = "bob@pod-b.org"
				return e.publicBytes("event post", xmlOf(e.t, sm), e.alice)
			}},
	}
}

// pollPostGUIDOf is the GUID of local alice's post holding 07's poll.
func pollPostGUIDOf(t *testing.T, e *vecEnv) string {
	t.Helper()
	var guid string
	if err := e.p.Store.Scalar(context.Background(), &guid, "SELECT ps.guid FROM posts ps JOIN polls p ON p.post_id = ps.id WHERE p.guid = ?", pollGUID); err != nil {
		t.Fatal(err)
	}
	return guid
}

// elementPaths lists an XML document's elements as slash-joined paths in
// document order, leaving out the subtrees named in skip.
func elementPaths(t *testing.T, doc []byte, skip string) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack, out []string
	skipping := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			stack = append(stack, x.Name.Local)
			if skipping > 0 || x.Name.Local == skip {
				skipping++
				continue
			}
			out = append(out, strings.Join(stack, "/"))
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if skipping > 0 {
				skipping--
			}
		}
	}
}

// TestBuiltStatusMessageMatchesVector17: the status_message this pod
// sends for a post with a photo, a poll and a location (as dispatched and
// as served by /fetch) has the reference's shape: vector 17's elements in
// its order, with the post's values; and it passes the protocol's
// validation.
func TestBuiltStatusMessageMatchesVector17(t *testing.T) {
	e := startVecPod(t, roleRoot)
	ctx := context.Background()
	photo, err := e.p.App.Photos.Upload(ctx, e.local.s, bytes.NewReader(mediatest.JPEG(t, 64, 48)))
	if err != nil {
		t.Fatal(err)
	}
	pv, err := e.p.App.Posts.CreatePost(ctx, e.local.s, posts.PostInput{Text: "Look at this and vote", ProviderDisplayName: "mobile",
		Audience: aspects.Selection{Public: true}, Photos: []int64{photo.ID},
		Poll:     polls.Input{Question: "Yes or no?", Answers: []string{"Yes", "No"}},
		Location: posts.LocationInput{Address: "Vienna, Austria", Lat: "48.208174", Lng: "16.373819"}})
	if err != nil {
		t.Fatal(err)
	}
	post, err := e.p.Store.PostByID(ctx, pv.ID)
	if err != nil {
		t.Fatal(err)
	}
	author, err := e.p.Store.PersonByID(ctx, post.AuthorID)
	if err != nil {
		t.Fatal(err)
	}
	sm := fedhost.StatusMessage(post, author)
	if err := fedhost.WithExtras(ctx, e.p.Store, sm, post.ID); err != nil {
		t.Fatal(err)
	}
	photos, err := e.p.Store.PhotosOfPosts(ctx, []int64{post.ID})
	if err != nil || len(photos[post.ID]) != 1 {
		t.Fatalf("the post's photos: %v %v", photos, err)
	}
	fedhost.AddPhotos(sm, photos[post.ID], author, e.p.Opt.BaseURL)
	if err := sm.Validate(); err != nil {
		t.Fatalf("the built status message does not validate: %v", err)
	}
	got, err := entity.MarshalXML(sm)
	if err != nil {
		t.Fatal(err)
	}
	want := vectorPayload(t, "17_status_message_with_photo_location_poll")
	if g, w := elementPaths(t, got, ""), elementPaths(t, want, ""); !slices.Equal(g, w) {
		t.Errorf("elements differ from vector 17\n got: %v\nwant: %v\n%s", g, w, got)
	}
	for _, s := range []string{"<address>Vienna, Austria</address>", "<lat>48.208174</lat>", "<lng>16.373819</lng>",
		"<question>Yes or no?</question>", "<answer>Yes</answer>", "<answer>No</answer>", "<guid>" + pv.Poll.GUID + "</guid>",
		"<status_message_guid>" + post.GUID + "</status_message_guid>", "<width>64</width>", "<height>48</height>"} {
		if !strings.Contains(string(got), s) {
			t.Errorf("the built status message lacks %s:\n%s", s, got)
		}
	}
	// A location without coordinates is not sent (the protocol requires
	// them); the post still goes out.
	pv2, err := e.p.App.Posts.CreatePost(ctx, e.local.s, posts.PostInput{Text: "near", Audience: aspects.Selection{Public: true},
		Location: posts.LocationInput{Address: "Somewhere"}})
	if err != nil {
		t.Fatal(err)
	}
	post2, _ := e.p.Store.PostByID(ctx, pv2.ID)
	sm2 := fedhost.StatusMessage(post2, author)
	if err := fedhost.WithExtras(ctx, e.p.Store, sm2, post2.ID); err != nil || sm2.Location != nil || sm2.Validate() != nil {
		t.Errorf("address-only location: %v %+v", err, sm2.Location)
	}
}
