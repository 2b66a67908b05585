package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/media/mediatest"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
)

// votesOn sums the votes stored for a poll (by the post's GUID) on a pod;
// -1 when the pod has no such poll.
func votesOn(t *testing.T, p *podtest.FedPod, postGUID string) int64 {
	t.Helper()
	if count(t, p, `SELECT count(*) FROM polls pl JOIN posts ps ON ps.id = pl.post_id WHERE ps.guid = ?`, postGUID) == 0 {
		return -1
	}
	return count(t, p, `SELECT coalesce(sum(a.vote_count), 0) FROM poll_answers a JOIN polls pl ON pl.id = a.poll_id
		JOIN posts ps ON ps.id = pl.post_id WHERE ps.guid = ?`, postGUID)
}

// TestThreePodsPhotosPollAndLocation: alice (pod1) writes a limited post
// with two photos, a poll and a location to bob (pod2) and carol (pod3).
// It reaches exactly them, all of it included, and each receiving pod
// serves the photos itself; dave on pod3, who follows alice but is not in
// the audience, gets nothing, photo files included. bob's vote goes to
// pod1, which counts it and relays it to carol on pod3, where it is
// counted once; carol's vote comes back to bob the same way.
func TestThreePodsPhotosPollAndLocation(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "poll1", 11, fast)
	pod2 := podtest.NewFedPod(t, "poll2", 12, fast)
	pod3 := podtest.NewFedPod(t, "poll3", 13, fast)
	alice := newUser(t, pod1, "alice")
	bob := newUser(t, pod2, "bob")
	carol, dave := newUser(t, pod3, "carol"), newUser(t, pod3, "dave")
	alice.share(t, "Friends", bob)
	alice.share(t, "Friends", carol)
	dave.share(t, "Friends", alice)
	settled(t, pod1, pod2, pod3)

	var photoIDs []int64
	for _, size := range [][2]int{{80, 60}, {60, 90}} {
		v, err := pod1.App.Photos.Upload(ctx, alice.s, bytes.NewReader(mediatest.JPEG(t, size[0], size[1])))
		if err != nil {
			t.Fatal(err)
		}
		photoIDs = append(photoIDs, v.ID)
	}
	settled(t, pod1) // the renditions are made
	before2, before3 := len(pod2.Requests()), len(pod3.Requests())
	lim, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "where do we meet?",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}, Photos: photoIDs,
		Poll:     polls.Input{Question: "Which day?", Answers: []string{"Saturday", "Sunday"}},
		Location: posts.LocationInput{Address: "Prater, Vienna", Lat: "48.2167", Lng: "16.3958"}})
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		_, err2 := pod2.App.Posts.Post(ctx, bob.s, lim.GUID)
		_, err3 := pod3.App.Posts.Post(ctx, carol.s, lim.GUID)
		return err2 == nil && err3 == nil
	}, "bob and carol to see alice's post")
	settled(t, pod1, pod2, pod3)

	carolGUID := personGUID(t, pod1, carol.id())
	t.Run("the post reaches exactly its audience, poll and location included", func(t *testing.T) {
		for _, r := range []struct {
			p *podtest.FedPod
			u *user
		}{{pod2, bob}, {pod3, carol}} {
			pg, err := r.p.App.Posts.Post(ctx, r.u.s, lim.GUID)
			if err != nil {
				t.Fatalf("%s: %v", r.u.name, err)
			}
			pl := pg.Post.Poll
			if pl == nil || pl.Question != "Which day?" || len(pl.Answers) != 2 || pl.Answers[1].Answer != "Sunday" || !pl.CanVote || pl.ShowResults {
				t.Errorf("%s sees the poll as %+v", r.u.name, pl)
			}
			l := pg.Post.Location
			if l == nil || l.Address != "Prater, Vienna" || l.Lat == nil || *l.Lat != 48.2167 || *l.Lng != 16.3958 {
				t.Errorf("%s sees the location as %+v", r.u.name, l)
			}
		}
		for _, r := range receivePosts(pod3, before3) {
			if r.Path != "/receive/users/"+carolGUID {
				t.Errorf("pod3 received %s: only carol's inbox may get the post", r.Path)
			}
		}
		if got := receivePosts(pod2, before2); len(got) != 1 {
			t.Errorf("pod2 received %d deliveries, want 1 (bob)", len(got))
		}
		if _, err := pod3.App.Posts.Post(ctx, dave.s, lim.GUID); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("dave reads the post: %v", err)
		}
		if _, err := pod3.App.Polls.Vote(ctx, dave.s, lim.GUID, 1); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("dave's vote: %v, want ErrNotFound", err)
		}
		if streamHas(t, pod3, dave, lim.GUID) {
			t.Error("the post is in dave's stream")
		}
	})

	t.Run("each receiving pod serves the photos, to the audience only", func(t *testing.T) {
		for _, p := range []*podtest.FedPod{pod2, pod3} {
			if n := count(t, p, "SELECT count(*) FROM photos WHERE status_message_guid = ? AND state = 'ready'", lim.GUID); n != 2 {
				t.Fatalf("%s has %d of the 2 photos ready", p.Name, n)
			}
		}
		if n := photoFileRequests(pod1); n != 4 {
			t.Errorf("pod1 served %d photo files, want 4 (each photo once to each pod)", n)
		}
		daveC := pod3.Client()
		mustOK(t, daveC.SignIn("dave", "password1", false))
		for _, r := range []struct {
			p *podtest.FedPod
			u *user
		}{{pod2, bob}, {pod3, carol}} {
			c := r.p.Client()
			mustOK(t, c.SignIn(r.u.name, "password1", false))
			pg, err := r.p.App.Posts.Post(ctx, r.u.s, lim.GUID)
			if err != nil || len(pg.Post.Photos) != 2 {
				t.Fatalf("%s sees %d photos (%v)", r.u.name, len(pg.Post.Photos), err)
			}
			for _, ph := range pg.Post.Photos {
				if !strings.HasPrefix(ph.Sizes.Large, r.p.Opt.BaseURL+"/photos/") {
					t.Errorf("%s links a photo at %s, not at itself", r.p.Name, ph.Sizes.Large)
				}
				for _, size := range pod.PhotoSizes {
					path := "/photos/" + itoa(ph.ID) + "/" + size
					if resp := c.Get(path); resp.StatusCode != http.StatusOK {
						t.Errorf("%s GET %s on %s: %d", r.u.name, path, r.p.Name, resp.StatusCode)
					}
					if r.p == pod3 {
						if resp := daveC.Get(path); resp.StatusCode != http.StatusNotFound {
							t.Errorf("dave GET %s on pod3: %d, want 404", path, resp.StatusCode)
						}
					}
				}
			}
		}
	})

	// bob votes on pod2.
	before2, before3 = len(pod2.Requests()), len(pod3.Requests())
	pg, _ := pod2.App.Posts.Post(ctx, bob.s, lim.GUID)
	res, err := pod2.App.Polls.Vote(ctx, bob.s, lim.GUID, pg.Post.Poll.Answers[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total() != 1 {
		t.Errorf("bob's results: %+v", res)
	}
	podtest.Eventually(t, wait, func() bool { return votesOn(t, pod3, lim.GUID) == 1 }, "bob's vote to reach pod3")
	settled(t, pod1, pod2, pod3)
	t.Run("a vote is relayed to the audience and counted once", func(t *testing.T) {
		for _, p := range []*podtest.FedPod{pod1, pod2, pod3} {
			if n := votesOn(t, p, lim.GUID); n != 1 {
				t.Errorf("%s counts %d votes, want 1", p.Name, n)
			}
			if n := count(t, p, "SELECT count(*) FROM poll_participations"); n != 1 {
				t.Errorf("%s stores %d votes, want 1", p.Name, n)
			}
		}
		// The stored vote on pod3 carries bob's signature, as relayed.
		var xml string
		if err := pod3.Store.Scalar(ctx, &xml, "SELECT signed_xml FROM poll_participations"); err != nil || !strings.Contains(xml, "<author_signature>") || !strings.Contains(xml, bob.id()) {
			t.Errorf("pod3's vote: %q %v", xml, err)
		}
		for _, r := range receivePosts(pod3, before3) {
			if r.Path != "/receive/users/"+carolGUID {
				t.Errorf("pod3 received %s about the vote: only carol's inbox may", r.Path)
			}
		}
		if got := receivePosts(pod2, before2); len(got) != 0 {
			t.Errorf("pod2 got %d deliveries: bob's own vote came back", len(got))
		}
		// alice sees the count; carol, who has not voted, does not yet.
		a, _ := pod1.App.Posts.Post(ctx, alice.s, lim.GUID)
		if a.Post.Poll.Total() != 1 || a.Post.Poll.Answers[0].Votes() != 1 {
			t.Errorf("alice's results: %+v", a.Post.Poll)
		}
		c, _ := pod3.App.Posts.Post(ctx, carol.s, lim.GUID)
		if c.Post.Poll.ShowResults || c.Post.Poll.Total() != 0 {
			t.Errorf("carol sees results before voting: %+v", c.Post.Poll)
		}
		if n := count(t, pod3, "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'dave'"); n != 0 {
			t.Errorf("dave got %d notifications", n)
		}
	})

	// carol votes on pod3: pod1 relays her vote to bob.
	c, _ := pod3.App.Posts.Post(ctx, carol.s, lim.GUID)
	if _, err := pod3.App.Polls.Vote(ctx, carol.s, lim.GUID, c.Post.Poll.Answers[1].ID); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool { return votesOn(t, pod2, lim.GUID) == 2 }, "carol's vote to reach pod2")
	settled(t, pod1, pod2, pod3)
	t.Run("the second vote reaches the others", func(t *testing.T) {
		for _, p := range []*podtest.FedPod{pod1, pod2, pod3} {
			if n := votesOn(t, p, lim.GUID); n != 2 {
				t.Errorf("%s counts %d votes, want 2", p.Name, n)
			}
		}
		b, _ := pod2.App.Posts.Post(ctx, bob.s, lim.GUID)
		if b.Post.Poll.Answers[0].Votes() != 1 || b.Post.Poll.Answers[1].Votes() != 1 || b.Post.Poll.Answers[0].Percent != 50 {
			t.Errorf("bob's results: %+v", b.Post.Poll.Answers)
		}
	})
}
