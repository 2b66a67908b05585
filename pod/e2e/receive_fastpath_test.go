package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/tasks"
)

// fastPathStored describes what the pod holds about a received post, as
// far as both receive paths must agree: its flags, its stream entries
// (user: reasons), its tags, its mentions and notifications.
func fastPathStored(t *testing.T, st *models.Store, guid string) string {
	t.Helper()
	ctx := context.Background()
	var s string
	err := st.Scalar(ctx, &s, `SELECT concat_ws(' | ', p.public, p.nsfw, p.pod_state,
		(SELECT COALESCE(string_agg(u.username || ':' || se.reasons, ',' ORDER BY u.username), '')
			FROM stream_entries se JOIN users u ON u.id = se.user_id WHERE se.post_id = p.id),
		(SELECT COALESCE(string_agg(t.name, ',' ORDER BY t.name), '') FROM taggings tg JOIN tags t ON t.id = tg.tag_id
			WHERE tg.post_id = p.id AND tg.public = p.public AND tg.created_at = p.created_at),
		(SELECT count(*) FROM mentions WHERE post_id = p.id),
		(SELECT count(*) FROM notifications WHERE post_id = p.id))
		FROM posts p WHERE p.guid = ?`, guid)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestReceivedPublicPostFastPathAsGeneral: a new public post by someone
// local users follow is stored by the receive job's one-round-trip path
// (fewer statements than the general path, which a post with a mention
// takes), and it ends up exactly as the general path leaves a post: in the
// main stream of the user with its author in an aspect and of the user
// following its tag, not of the user who ignores the author; tagged, NSFW
// by its #nsfw, no outbox task (a local contact relays the thread).
func TestReceivedPublicPostFastPathAsGeneral(t *testing.T) {
	p := newLanePod(t)
	ctx := context.Background()
	alice := newIdentity(t, "alice", "pod-fastpath.example")
	person := seedRemote(t, p, alice, "https://pod-fastpath.example/")
	bob, carol, dan := benchUser(t, p, "bob"), benchUser(t, p, "carol"), benchUser(t, p, "dan")
	for _, u := range []*user{bob, dan} {
		c, err := p.Store.EnsureContact(ctx, u.s.UserID, person.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Store.AddMembership(ctx, u.aspects["Friends"], c.ID); err != nil {
			t.Fatal(err)
		}
		if err := p.Store.SetContactFlags(ctx, c.ID, true, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Store.CreateBlock(ctx, dan.s.UserID, person.ID); err != nil {
		t.Fatal(err)
	}
	tags, err := p.Store.EnsureTags(ctx, []string{"fastpathtag"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store.FollowTag(ctx, carol.s.UserID, tags[0]); err != nil {
		t.Fatal(err)
	}
	outbox := func() int64 { return count(t, p, `SELECT count(*) FROM outbox`) }
	outboxBefore := outbox()

	receive := func(text string) (guid string, statements int64) {
		guid = pod.NewGUID()
		payload, err := entity.MarshalXML(&entity.StatusMessage{Author: alice.ID, GUID: guid, CreatedAt: time.Now().UTC(), Public: true, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		cctx, n := models.CountStatements(ctx)
		if err := p.App.Federate.Receive(cctx, tasks.Receive{Body: signed(t, payload, alice)}); err != nil {
			t.Fatalf("receive %q: %v", text, err)
		}
		return guid, n.Load()
	}
	fast, fastN := receive("A post #fastpathtag #nsfw")
	general, generalN := receive("A post #fastpathtag #nsfw for @{Nobody; nobody@nowhere.example}")
	if fastN >= generalN {
		t.Errorf("the post without mentions took %d statements, the one with a mention %d: no fast path", fastN, generalN)
	}
	got, want := fastPathStored(t, p.Store, fast), fastPathStored(t, p.Store, general)
	if got != want {
		t.Errorf("stored by the fast path:    %s\nstored by the general path: %s", got, want)
	}
	wantFast := fmt.Sprintf("t | t | 0 | bob:%d,carol:%d | fastpathtag,nsfw | 0 | 0", aspects.ReasonAspect, aspects.ReasonTag)
	if got != wantFast {
		t.Errorf("stored by the fast path: %s\nwant                     %s", got, wantFast)
	}
	if n := outbox(); n != outboxBefore {
		t.Errorf("%d outbox rows written for posts by someone local users follow", n-outboxBefore)
	}
	if !streamHas(t, p, bob, fast) || streamHas(t, p, dan, fast) {
		t.Error("bob's main stream lacks the post, or dan's (who ignores alice) has it")
	}
}
