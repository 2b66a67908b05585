package pod_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
)

type actor struct {
	s       *pod.Session
	aspects map[string]int64
}

func newActor(t *testing.T, p *podtest.Pod, name string) *actor {
	t.Helper()
	ctx := context.Background()
	if _, err := p.App.SignUp(ctx, pod.SignUpInput{Username: name, Email: name + "@example.org", Password: "password1", PasswordConfirmation: "password1"}); err != nil {
		t.Fatal(err)
	}
	s, _, err := p.App.SignIn(ctx, pod.SignInInput{Login: name, Password: "password1", ClientIP: "10.0.0." + name[:1]})
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.App.Aspects(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	a := &actor{s: s, aspects: map[string]int64{}}
	for _, x := range as {
		a.aspects[x.Name] = x.ID
	}
	return a
}

func streamGUIDs(t *testing.T, p *podtest.Pod, s *pod.Session, q pod.StreamQuery) []string {
	t.Helper()
	page, err := p.App.Stream(context.Background(), s, q)
	if err != nil {
		t.Fatalf("stream %s: %v", q.Kind, err)
	}
	var out []string
	for _, pv := range page.Posts {
		out = append(out, pv.GUID)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestLimitedPostReachesOnlyItsAudience(t *testing.T) {
	p := podtest.New(t)
	ctx := context.Background()
	alice, bob, carol := newActor(t, p, "alice"), newActor(t, p, "bob"), newActor(t, p, "carol")

	if _, err := p.App.AddToAspect(ctx, alice.s, alice.aspects["Friends"], bob.s.PersonID); err != nil {
		t.Fatal(err)
	}
	// carol is in alice's Work aspect, not Friends.
	if _, err := p.App.AddToAspect(ctx, alice.s, alice.aspects["Work"], carol.s.PersonID); err != nil {
		t.Fatal(err)
	}
	// bob and carol both share back, so alice's posts would show in their streams.
	p.App.AddToAspect(ctx, bob.s, bob.aspects["Friends"], alice.s.PersonID)
	p.App.AddToAspect(ctx, carol.s, carol.aspects["Friends"], alice.s.PersonID)

	preview, err := p.App.AudiencePreview(ctx, alice.s, aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}})
	if err != nil || len(preview) != 1 || preview[0].ID != bob.s.PersonID {
		t.Fatalf("audience preview = %+v, %v; want only bob", preview, err)
	}

	post, err := p.App.CreatePost(ctx, alice.s, pod.PostInput{
		Text:     "secret plans #party @{Bob; bob@pod.test} @{Carol; carol@pod.test}",
		Audience: aspects.Selection{Aspects: []int64{alice.aspects["Friends"]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(post.Text, "carol@pod.test") || !strings.Contains(post.Text, "bob@pod.test") {
		t.Errorf("mentions not limited to the audience: %q", post.Text)
	}

	for _, who := range []*actor{alice, bob} {
		if !contains(streamGUIDs(t, p, who.s, pod.StreamQuery{Kind: pod.StreamMain}), post.GUID) {
			t.Errorf("%s does not see the post in the stream", who.s.Username)
		}
		if _, err := p.App.Post(ctx, who.s, post.GUID); err != nil {
			t.Errorf("%s cannot open the post: %v", who.s.Username, err)
		}
	}
	for _, s := range []*pod.Session{carol.s, nil} {
		name := "signed out"
		if s != nil {
			name = s.Username
		}
		if _, err := p.App.Post(ctx, s, post.GUID); !errors.Is(err, pod.ErrNotFound) {
			t.Errorf("%s opens the post: %v", name, err)
		}
		for _, q := range []pod.StreamQuery{{Kind: pod.StreamPublic}, {Kind: pod.StreamTag, Tag: "party"}, {Kind: pod.StreamPerson, PersonGUID: alice.s.GUID}} {
			if contains(streamGUIDs(t, p, s, q), post.GUID) {
				t.Errorf("%s sees the post in %s", name, q.Kind)
			}
		}
		if s != nil {
			for _, k := range []string{pod.StreamMain, pod.StreamMentions, pod.StreamActivity} {
				if contains(streamGUIDs(t, p, s, pod.StreamQuery{Kind: k}), post.GUID) {
					t.Errorf("%s sees the post in %s", name, k)
				}
			}
			if _, err := p.App.Comment(ctx, s, post.GUID, "let me in"); !errors.Is(err, pod.ErrNotFound) {
				t.Errorf("%s comments: %v", name, err)
			}
			if _, err := p.App.Like(ctx, s, post.GUID, 0); !errors.Is(err, pod.ErrNotFound) {
				t.Errorf("%s likes: %v", name, err)
			}
			if _, err := p.App.Reshare(ctx, s, post.GUID); !errors.Is(err, pod.ErrNotFound) {
				t.Errorf("%s reshares: %v", name, err)
			}
			list, _ := p.App.Notifications(ctx, s, false, "", 1, 50)
			for _, n := range list.Items {
				if n.TargetGUID == post.GUID {
					t.Errorf("%s has a notification about the post: %+v", name, n)
				}
			}
		}
	}

	// bob comments; alice is notified; a later aspect member does not get the post.
	if _, err := p.App.Comment(ctx, bob.s, post.GUID, "count me in"); err != nil {
		t.Fatal(err)
	}
	list, _ := p.App.Notifications(ctx, alice.s, true, "", 1, 50)
	if len(list.Items) == 0 || list.Items[0].Type != "comment_on_post" {
		t.Errorf("alice's notifications: %+v", list.Items)
	}
	if _, err := p.App.AddToAspect(ctx, alice.s, alice.aspects["Friends"], carol.s.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Post(ctx, carol.s, post.GUID); !errors.Is(err, pod.ErrNotFound) {
		t.Errorf("carol sees an old post after joining the aspect: %v", err)
	}
	// Reshare of a limited post is refused even for a reader.
	if _, err := p.App.Reshare(ctx, bob.s, post.GUID); err == nil {
		t.Error("bob reshared a limited post")
	}
	// The author sees the audience.
	page, err := p.App.Post(ctx, alice.s, post.GUID)
	if err != nil || !page.ShowAudience || len(page.Audience) != 1 || page.Audience[0].ID != bob.s.PersonID {
		t.Errorf("audience shown to author: %+v %v", page, err)
	}
	page, _ = p.App.Post(ctx, bob.s, post.GUID)
	if page.ShowAudience {
		t.Error("audience shown to a reader")
	}
}
