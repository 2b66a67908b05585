package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/streams"
	"github.com/aspenpod/aspen/pod/tasks"
	"github.com/aspenpod/aspen/pod/web"
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
// by its #nsfw, no outbox task (a local contact relays the thread); and
// the main-stream page the cache kept is built again with it.
func TestReceivedPublicPostFastPathAsGeneral(t *testing.T) {
	p := newLanePod(t, func(o *pod.Options, _ *web.Options) { o.PageCacheBytes = 1 << 20 })
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
	// bob's main stream, kept in the page cache before the posts arrive.
	cachedHead := func() (*streams.HeadPage, error) {
		return p.App.Streams.MainPageAs(ctx, bob.s, streams.StreamQuery{Kind: streams.StreamMain}, streams.HeadFormat{})
	}
	if _, err := cachedHead(); err != nil {
		t.Fatal(err)
	}
	if h, err := cachedHead(); err != nil || !h.Cached {
		t.Fatalf("bob's main stream was not kept in the page cache: %v", err)
	}

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
	// The fast path's change reaches the page cache (batched, so within
	// moments): bob's kept page is built again and shows the post.
	podtest.Eventually(t, 5*time.Second, func() bool {
		h, err := cachedHead()
		return err == nil && strings.Contains(string(h.JSON), fast)
	}, "bob's cached main stream to show the post the fast path stored")
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

// TestSenderHintsNeverOutliveTheStoredKey: once alice has sent something,
// her next message is verified without looking her up (fewer
// statements), but a hint never lets through what her stored row refuses. When
// another process changes her key (a migration) or closes her account,
// writing only to the database, a post or a like signed with the old key
// is refused, on the fast path and on the general one, and one signed
// with the new key is stored until the account is closed.
func TestSenderHintsNeverOutliveTheStoredKey(t *testing.T) {
	p := newLanePod(t)
	ctx := context.Background()
	alice := newIdentity(t, "alice", "pod-hints.example")
	person := seedRemote(t, p, alice, "https://pod-hints.example/")
	bob := benchUser(t, p, "bob")
	c, err := p.Store.EnsureContact(ctx, bob.s.UserID, person.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Store.SetContactFlags(ctx, c.ID, true, true); err != nil {
		t.Fatal(err)
	}
	receive := func(payload []byte, signer identity) int64 {
		t.Helper()
		cctx, n := models.CountStatements(ctx)
		_ = p.App.Federate.Receive(cctx, tasks.Receive{Body: signed(t, payload, signer)})
		return n.Load()
	}
	post := func(text string) (string, []byte) {
		guid := pod.NewGUID()
		payload, err := entity.MarshalXML(&entity.StatusMessage{Author: alice.ID, GUID: guid, CreatedAt: time.Now().UTC(), Public: true, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return guid, payload
	}
	like := func(parent string, signer identity) (string, []byte) {
		guid := pod.NewGUID()
		l := &entity.Like{Author: alice.ID, GUID: guid, ParentGUID: parent, ParentType: "Post", Positive: true}
		if err := entity.SignRelayable(l, signer.Key); err != nil {
			t.Fatal(err)
		}
		payload, err := entity.MarshalXML(l)
		if err != nil {
			t.Fatal(err)
		}
		return guid, payload
	}
	stored := func(table, guid string) bool {
		return count(t, p, `SELECT count(*) FROM `+table+` WHERE guid = ?`, guid) == 1
	}

	first, payload := post("the first post: alice's row is looked up")
	firstN := receive(payload, alice)
	second, payload := post("the second post: alice is hinted")
	secondN := receive(payload, alice)
	if !stored("posts", first) || !stored("posts", second) {
		t.Fatal("alice's posts were not stored")
	}
	if secondN >= firstN {
		t.Errorf("the second post took %d statements, the first %d: the sender hint was not used", secondN, firstN)
	}

	// Each refusal below drops the hint, so every check starts from a
	// fresh one: a post that is stored.
	hinted := func(signer identity) {
		t.Helper()
		guid, payload := post("a post that leaves a hint")
		if receive(payload, signer); !stored("posts", guid) {
			t.Fatal("a post signed with alice's stored key was refused")
		}
	}
	// Another process gives alice a new key, writing only to the database.
	newKey := func() identity {
		t.Helper()
		id := newIdentity(t, "alice", "pod-hints.example")
		id.GUID = alice.GUID
		if err := p.Store.Exec(ctx, `UPDATE people SET serialized_public_key = ? WHERE id = ?`, publicPEM(t, id.Key), person.ID); err != nil {
			t.Fatal(err)
		}
		return id
	}
	setClosed := func(closed bool) {
		t.Helper()
		if err := p.Store.Exec(ctx, `UPDATE people SET closed_account = ? WHERE id = ?`, closed, person.ID); err != nil {
			t.Fatal(err)
		}
	}

	// A new key: the general path (a like) and the fast path (a post)
	// each meet a hint with the old one.
	moved := newKey()
	if guid, payload := like(first, alice); receive(payload, alice) >= 0 && stored("likes", guid) {
		t.Error("a like signed with alice's old key was stored")
	}
	hinted(moved)
	old := moved
	moved = newKey()
	if guid, payload := post("signed with the old key"); receive(payload, old) >= 0 && stored("posts", guid) {
		t.Error("a post signed with alice's old key was stored")
	}
	liked, payload := like(first, moved)
	if receive(payload, moved); !stored("likes", liked) {
		t.Error("a like signed with alice's new key was refused")
	}

	// A closed account, the same way.
	hinted(moved)
	setClosed(true)
	if guid, payload := like(second, moved); receive(payload, moved) >= 0 && stored("likes", guid) {
		t.Error("a like by a closed account was stored")
	}
	setClosed(false)
	hinted(moved)
	setClosed(true)
	if guid, payload := post("after the account was closed"); receive(payload, moved) >= 0 && stored("posts", guid) {
		t.Error("a post by a closed account was stored")
	}
}
