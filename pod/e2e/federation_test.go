package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/profiles"
	"github.com/aspenpod/aspen/pod/streams"
)

const wait = 30 * time.Second

// fast is the worker setup of these tests: retries after 0.26 s, 0.6 s, …
var fast = podtest.FedOptions{RetryUnit: time.Millisecond}

type user struct {
	name    string
	s       *pod.Session
	aspects map[string]int64
	p       *podtest.FedPod
}

func newUser(t *testing.T, p *podtest.FedPod, name string) *user {
	t.Helper()
	u := p.NewUser(t, name)
	return &user{name: name, s: u.Session, aspects: u.Aspects, p: p}
}

func (u *user) id() string { return u.p.DiasporaID(u.name) }

// find searches for someone by diaspora ID, as a user would, which
// discovers them on their pod; it returns their person ID here.
func (u *user) find(t *testing.T, other *user) int64 {
	t.Helper()
	res, err := u.p.App.Contacts.SearchPeople(context.Background(), u.s, other.id())
	if err != nil || len(res) != 1 {
		t.Fatalf("%s searching %s: %v %+v", u.name, other.id(), err, res)
	}
	return res[0].ID
}

func (u *user) share(t *testing.T, aspect string, other *user) {
	t.Helper()
	if _, err := u.p.App.Contacts.AddToAspect(context.Background(), u.s, u.aspects[aspect], u.find(t, other)); err != nil {
		t.Fatalf("%s adding %s to %s: %v", u.name, other.name, aspect, err)
	}
}

// settled waits until every pod's job queues and outbox are empty
// (podtest.Settled).
func settled(t *testing.T, pods ...*podtest.FedPod) {
	t.Helper()
	podtest.Settled(t, wait, pods...)
}

func receivePosts(p *podtest.FedPod, from int) []podtest.Request {
	var out []podtest.Request
	for _, r := range p.Requests()[from:] {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/receive/") {
			out = append(out, r)
		}
	}
	return out
}

func postOn(p *podtest.FedPod, guid string) (*models.Post, error) {
	return p.Store.PostByGUID(context.Background(), guid)
}

func count(t *testing.T, p *podtest.FedPod, query string, args ...any) int64 {
	t.Helper()
	n, err := p.Store.Count(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestThreePodsFederate runs three whole pods (own database, Redis
// database, HTTP server and worker each) that federate over loopback.
func TestThreePodsFederate(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "fed1", 11, fast)
	pod2 := podtest.NewFedPod(t, "fed2", 12, fast)
	pod3 := podtest.NewFedPod(t, "fed3", 13, fast)
	alice, frank := newUser(t, pod1, "alice"), newUser(t, pod1, "frank")
	bob, erin := newUser(t, pod2, "bob"), newUser(t, pod2, "erin")
	carol, dave := newUser(t, pod3, "carol"), newUser(t, pod3, "dave")

	// alice shares with bob, erin and frank ("Friends") and carol ("Work");
	// dave only follows alice.
	alice.share(t, "Friends", bob)
	alice.share(t, "Friends", erin)
	if _, err := pod1.App.Contacts.AddToAspect(ctx, alice.s, alice.aspects["Friends"], frank.s.PersonID); err != nil {
		t.Fatal(err)
	}
	alice.share(t, "Work", carol)
	dave.share(t, "Friends", alice)
	settled(t, pod1, pod2, pod3)

	t.Run("contacts arrive", func(t *testing.T) {
		bobSees, err := pod2.App.Contacts.Relationship(ctx, bob.s, personGUID(t, pod2, alice.id()))
		if err != nil || bobSees.Relationship != "sharing" {
			t.Errorf("bob's relationship with alice: %+v %v (want sharing: she shares with him)", bobSees, err)
		}
		daveOn1, err := pod1.Store.PersonByDiasporaID(ctx, dave.id())
		if err != nil {
			t.Fatalf("dave is unknown on pod1 after following alice: %v", err)
		}
		c, err := pod1.Store.ContactOf(ctx, alice.s.UserID, daveOn1.ID)
		if err != nil || !c.Sharing || c.Receiving {
			t.Errorf("alice's contact with dave: %+v %v (want sharing only)", c, err)
		}
	})

	// A limited post to Friends reaches bob and erin, and nothing of it
	// reaches pod3.
	before3 := len(pod3.Requests())
	before2 := len(pod2.Requests())
	limited, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "for friends only #secret",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		_, err := pod2.App.Posts.Post(ctx, bob.s, limited.GUID)
		return err == nil
	}, "bob to see alice's limited post on pod2")
	settled(t, pod1, pod2, pod3)
	t.Run("limited post reaches exactly its audience", func(t *testing.T) {
		if _, err := pod2.App.Posts.Post(ctx, erin.s, limited.GUID); err != nil {
			t.Errorf("erin cannot read the limited post: %v", err)
		}
		if got := receivePosts(pod2, before2); len(got) != 2 || !strings.HasPrefix(got[0].Path, "/receive/users/") {
			t.Errorf("pod2 received %d deliveries, want 2 private ones (bob, erin): %+v", len(got), got)
		}
		if got := receivePosts(pod3, before3); len(got) != 0 {
			t.Errorf("pod3 received %d deliveries for a post not meant for it", len(got))
		}
		if _, err := postOn(pod3, limited.GUID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("pod3 stores the limited post: %v", err)
		}
		if n := count(t, pod3, "SELECT count(*) FROM posts"); n != 0 {
			t.Errorf("pod3 has %d posts", n)
		}
		// Someone on pod2 outside the audience does not see it.
		mallory := newUser(t, pod2, "mallory")
		if _, err := pod2.App.Posts.Post(ctx, mallory.s, limited.GUID); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("mallory on pod2 reads the limited post: %v", err)
		}
		if _, err := pod2.App.Posts.Post(ctx, nil, limited.GUID); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("a visitor on pod2 reads the limited post: %v", err)
		}
	})

	// bob comments; pod1 stores it and relays it to the rest of the audience.
	before2 = len(pod2.Requests())
	before3 = len(pod3.Requests())
	comment, err := pod2.App.Posts.Comment(ctx, bob.s, limited.GUID, "hello from pod2")
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		cs, err := pod1.App.Posts.Comments(ctx, frank.s, limited.GUID)
		return err == nil && len(cs) == 1
	}, "frank on pod1 to see bob's comment")
	settled(t, pod1, pod2, pod3)
	t.Run("comment is relayed to the audience", func(t *testing.T) {
		cs, _ := pod1.App.Posts.Comments(ctx, alice.s, limited.GUID)
		if len(cs) != 1 || cs[0].GUID != comment.GUID || cs[0].Text != "hello from pod2" {
			t.Fatalf("pod1 comments: %+v", cs)
		}
		erinOn1, _ := pod1.Store.PersonByDiasporaID(ctx, erin.id())
		relays := receivePosts(pod2, before2)
		found := false
		for _, r := range relays {
			if r.Path == "/receive/users/"+erinOn1.GUID {
				found = true
			}
		}
		if !found {
			t.Errorf("pod1 did not relay bob's comment to erin: pod2 got %+v", relays)
		}
		if n := count(t, pod1, "SELECT count(*) FROM deliveries WHERE entity_type = 'comment' AND state = 'sent'"); n != 1 {
			t.Errorf("pod1 sent %d comment relays, want 1 (erin; not back to bob)", n)
		}
		if got := receivePosts(pod3, before3); len(got) != 0 {
			t.Errorf("pod3 received %d deliveries about the limited post", len(got))
		}
		// The stored comment keeps bob's signature for further relays.
		var signed string
		pod1.Store.Scalar(ctx, &signed, "SELECT signed_xml FROM comments WHERE guid = ?", comment.GUID)
		if !strings.Contains(signed, "<author_signature>") {
			t.Errorf("relayed comment stored without author_signature: %q", signed)
		}
	})

	t.Run("a repeated delivery is applied once", func(t *testing.T) {
		var delivery *podtest.Request
		for _, r := range pod1.Requests() {
			if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/receive/users/") {
				rr := r
				delivery = &rr // the last private delivery to pod1: bob's comment
			}
		}
		if delivery == nil {
			t.Fatal("no private delivery to pod1 recorded")
		}
		sentBefore := count(t, pod1, "SELECT count(*) FROM deliveries")
		for i := 0; i < 2; i++ {
			resp, err := http.Post("http://"+pod1.Addr+delivery.Path, "application/json", bytes.NewReader(delivery.Body))
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("re-post: %v %v", resp, err)
			}
			resp.Body.Close()
			settled(t, pod1, pod2)
		}
		if n := count(t, pod1, "SELECT count(*) FROM comments"); n != 1 {
			t.Errorf("pod1 has %d comments after a repeated delivery", n)
		}
		if n := count(t, pod1, "SELECT comments_count FROM posts WHERE guid = ?", limited.GUID); n != 1 {
			t.Errorf("comments_count %d after a repeated delivery", n)
		}
		if n := count(t, pod1, "SELECT count(*) FROM deliveries"); n != sentBefore {
			t.Errorf("a repeated delivery was relayed again: %d deliveries, had %d", n, sentBefore)
		}
	})

	// A public post goes once to each pod.
	before2, before3 = len(pod2.Requests()), len(pod3.Requests())
	public, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "hello world", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	t.Run("public post reaches each pod once", func(t *testing.T) {
		for _, c := range []struct {
			p      *podtest.FedPod
			before int
		}{{pod2, before2}, {pod3, before3}} {
			got := receivePosts(c.p, c.before)
			if len(got) != 1 || got[0].Path != "/receive/public" {
				t.Errorf("%s received %+v, want one POST /receive/public", c.p.Name, got)
			}
			if _, err := postOn(c.p, public.GUID); err != nil {
				t.Errorf("%s does not have the public post: %v", c.p.Name, err)
			}
		}
		if _, err := pod3.App.Posts.Post(ctx, nil, public.GUID); err != nil {
			t.Errorf("a visitor on pod3 cannot read the public post: %v", err)
		}
		if got := streamHas(t, pod3, dave, public.GUID); !got {
			t.Errorf("dave (who follows alice) does not have the public post in his stream")
		}
	})

	// erin leaves Friends; the retraction of the limited post still goes
	// to her (the audience snapshot) and removes the post on pod2.
	if _, err := pod1.App.Contacts.RemoveFromAspect(ctx, alice.s, 0, alice.aspects["Friends"], mustPerson(t, pod1, erin.id())); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	before2 = len(pod2.Requests())
	if err := pod1.App.Posts.DeletePost(ctx, alice.s, limited.GUID); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		_, err := postOn(pod2, limited.GUID)
		return errors.Is(err, models.ErrNotFound)
	}, "the retraction to remove the post on pod2")
	settled(t, pod1, pod2, pod3)
	t.Run("retraction reaches the whole snapshot", func(t *testing.T) {
		erinOn1, _ := pod1.Store.PersonByDiasporaID(ctx, erin.id())
		bobOn1, _ := pod1.Store.PersonByDiasporaID(ctx, bob.id())
		paths := map[string]bool{}
		for _, r := range receivePosts(pod2, before2) {
			paths[r.Path] = true
		}
		if !paths["/receive/users/"+erinOn1.GUID] || !paths["/receive/users/"+bobOn1.GUID] {
			t.Errorf("the retraction did not go to bob and to erin (removed from the aspect since): %v", paths)
		}
		if n := count(t, pod2, "SELECT count(*) FROM comments"); n != 0 {
			t.Errorf("pod2 kept %d comments of the deleted post", n)
		}
	})

	// Profile: private fields reach pod2 (alice shares with bob) but not
	// pod3 once alice stops sharing with carol (dave only follows her).
	if _, err := pod1.App.Contacts.RemoveFromAspect(ctx, alice.s, 0, alice.aspects["Work"], mustPerson(t, pod1, carol.id())); err != nil {
		t.Fatal(err)
	}
	settled(t, pod1, pod2, pod3)
	if err := pod1.App.Profiles.UpdateProfile(ctx, alice.s.UserID, profiles.ProfileInput{FirstName: "Alice", LastName: "Liddell",
		Bio: "my secret bio", Location: "Wonderland", Searchable: true}); err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		pr := profileOn(t, pod3, alice.id())
		return pr != nil && pr.FirstName == "Alice"
	}, "pod3 to get alice's new name")
	settled(t, pod1, pod2, pod3)
	t.Run("profile private fields only to people shared with", func(t *testing.T) {
		on2 := profileOn(t, pod2, alice.id())
		if on2 == nil || on2.FirstName != "Alice" || on2.Bio != "my secret bio" || on2.Location != "Wonderland" {
			t.Errorf("pod2's profile of alice: %+v", on2)
		}
		on3 := profileOn(t, pod3, alice.id())
		if on3.Bio != "" || on3.Location != "" {
			t.Errorf("pod3 (only following) got alice's private fields: bio %q location %q", on3.Bio, on3.Location)
		}
	})
}

func personGUID(t *testing.T, p *podtest.FedPod, id string) string {
	t.Helper()
	pe, err := p.Store.PersonByDiasporaID(context.Background(), id)
	if err != nil {
		t.Fatalf("%s unknown on %s: %v", id, p.Name, err)
	}
	return pe.GUID
}

func mustPerson(t *testing.T, p *podtest.FedPod, id string) int64 {
	t.Helper()
	pe, err := p.Store.PersonByDiasporaID(context.Background(), id)
	if err != nil {
		t.Fatalf("%s unknown on %s: %v", id, p.Name, err)
	}
	return pe.ID
}

func profileOn(t *testing.T, p *podtest.FedPod, id string) *models.Profile {
	t.Helper()
	pe, err := p.Store.PersonByDiasporaID(context.Background(), id)
	if err != nil {
		return nil
	}
	pr, err := p.Store.ProfileOf(context.Background(), pe.ID)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func streamHas(t *testing.T, p *podtest.FedPod, u *user, guid string) bool {
	t.Helper()
	return streamKindHas(t, p, u, streams.StreamMain, guid)
}

// streamKindHas reports whether the first page of u's stream of a kind
// (main, public...) holds the post.
func streamKindHas(t *testing.T, p *podtest.FedPod, u *user, kind, guid string) bool {
	t.Helper()
	page, err := p.App.Streams.Stream(context.Background(), u.s, streams.StreamQuery{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	for _, pv := range page.Posts {
		if pv.GUID == guid {
			return true
		}
	}
	return false
}

// TestPodDownAndBack stops the recipient pod while a post is sent: the
// delivery is retried, and the post arrives once when the pod is back.
func TestPodDownAndBack(t *testing.T) {
	ctx := context.Background()
	pod1 := podtest.NewFedPod(t, "down1", 14, fast)
	pod2 := podtest.NewFedPod(t, "down2", 15, fast)
	alice, bob := newUser(t, pod1, "alice"), newUser(t, pod2, "bob")
	alice.share(t, "Friends", bob)
	settled(t, pod1, pod2)

	pod2.Stop()
	post, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "while you were away",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		st, err := pod1.Store.DeliveryStatusOfPost(ctx, post.ID)
		return err == nil && len(st) == 1 && st[0].Retrying == 1 && st[0].LastError != ""
	}, "the delivery to fail and wait for a retry")
	st, _ := pod1.Store.DeliveryStatusOfPost(ctx, post.ID)
	t.Logf("while pod2 is down: %+v", st)
	pd, err := pod1.Store.PodByHost(ctx, pod2.Addr)
	if err != nil || pd.OfflineSince == nil {
		t.Errorf("pod2 not marked offline on pod1: %+v %v", pd, err)
	}

	pod2.Restart(t, fast)
	podtest.Eventually(t, wait, func() bool {
		_, err := pod2.App.Posts.Post(ctx, bob.s, post.GUID)
		return err == nil
	}, "the post to arrive after pod2 is back")
	settled(t, pod1, pod2)
	if n := count(t, pod2, "SELECT count(*) FROM posts WHERE guid = ?", post.GUID); n != 1 {
		t.Errorf("pod2 has %d copies of the post", n)
	}
	if n := count(t, pod2, "SELECT count(*) FROM share_visibilities"); n != 1 {
		t.Errorf("pod2 has %d share visibilities, want 1", n)
	}
	st, _ = pod1.Store.DeliveryStatusOfPost(ctx, post.ID)
	if len(st) != 1 || st[0].Sent != 1 || st[0].Retrying != 0 || st[0].Failed != 0 {
		t.Errorf("delivery status after the retry: %+v", st)
	}
	pd, _ = pod1.Store.PodByHost(ctx, pod2.Addr)
	if pd.OfflineSince != nil || pd.LastSuccessAt == nil {
		t.Errorf("pod2 still marked offline on pod1: %+v", pd)
	}
}

func init() {
	podtest.DumpLogsOnFailure = true
}

// TestGiveUpOnDeadPod: deliveries to a pod that has failed for longer than
// PodGiveUpAfter (14 days in production, a second here) are given up, and
// the periodic check brings the pod back into delivery when it answers.
func TestGiveUpOnDeadPod(t *testing.T) {
	ctx := context.Background()
	giveUp := podtest.FedOptions{RetryUnit: time.Millisecond, PodGiveUpAfter: time.Second}
	pod1 := podtest.NewFedPod(t, "dead1", 14, giveUp)
	pod2 := podtest.NewFedPod(t, "dead2", 15, fast)
	alice, bob := newUser(t, pod1, "alice"), newUser(t, pod2, "bob")
	alice.share(t, "Friends", bob)
	settled(t, pod1, pod2)

	pod2.Stop()
	post, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "anyone there?",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		st, err := pod1.Store.DeliveryStatusOfPost(ctx, post.ID)
		return err == nil && len(st) == 1 && st[0].Failed == 1
	}, "the delivery to be given up")
	settled(t, pod1)
	page, err := pod1.App.Posts.Post(ctx, alice.s, post.GUID)
	if err != nil || len(page.Deliveries) != 1 || page.Deliveries[0].State != "failed" || !strings.Contains(page.Deliveries[0].LastError, "given up") {
		t.Fatalf("alice's delivery status: %+v %v", page, err)
	}
	if !strings.Contains(pod1.Log.String(), "federation: delivery given up") {
		t.Error("nothing logged about the failed delivery")
	}

	pod2.Restart(t, fast)
	if err := pod1.App.Federate.CheckPods(ctx); err != nil {
		t.Fatal(err)
	}
	pd, err := pod1.Store.PodByHost(ctx, pod2.Addr)
	if err != nil || pd.OfflineSince != nil || pd.Software != "aspen" {
		t.Fatalf("after the check pod2 is %+v (%v), want up, running aspen", pd, err)
	}
	again, err := pod1.App.Posts.CreatePost(ctx, alice.s, posts.PostInput{Text: "welcome back",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	podtest.Eventually(t, wait, func() bool {
		_, err := pod2.App.Posts.Post(ctx, bob.s, again.GUID)
		return err == nil
	}, "a new post to reach pod2 once it is up again")
}
