package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/models/modeltest"
)

// receivedPostWorld: a remote author and four local users: one with the
// author in an aspect, one following the post's tag, one with the author
// in an aspect who ignores them, one with no tie to the post.
type receivedPostWorld struct {
	st                               *models.Store
	author                           int64
	alice                            *models.Person
	inAspect, follower, ignorer, far int64
}

// receivedKey stands for the remote author's stored key (PEM): the fast
// path stores a post only when it was verified with the stored key.
const receivedKey = "alice's key"

func receivedPostSetup(t *testing.T) *receivedPostWorld {
	t.Helper()
	ctx := context.Background()
	st := modeltest.New(t)
	w := &receivedPostWorld{st: st}
	alice := &models.Person{GUID: guid(), DiasporaID: "alice@remote.test", PodHost: "remote.test", SerializedPublicKey: receivedKey}
	if err := st.CreatePerson(ctx, alice); err != nil {
		t.Fatal(err)
	}
	w.author, w.alice = alice.ID, alice
	user := func(name string) int64 {
		u := &models.User{Username: name, Email: name + "@example.org", EncryptedPassword: "x", SerializedPrivateKey: "x"}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		p := &models.Person{GUID: guid(), DiasporaID: name + "@received.test", PodHost: "received.test", OwnerID: &u.ID}
		if err := st.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	follow := func(userID int64) {
		a := &models.Aspect{UserID: userID, Name: "Friends"}
		if err := st.CreateAspect(ctx, a); err != nil {
			t.Fatal(err)
		}
		c, err := st.EnsureContact(ctx, userID, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddMembership(ctx, a.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.SetContactFlags(ctx, c.ID, true, true); err != nil {
			t.Fatal(err)
		}
	}
	w.inAspect, w.follower, w.ignorer, w.far = user("inaspect"), user("follower"), user("ignorer"), user("far")
	follow(w.inAspect)
	follow(w.ignorer)
	if _, err := st.CreateBlock(ctx, w.ignorer, alice.ID); err != nil {
		t.Fatal(err)
	}
	tags, err := st.EnsureTags(ctx, []string{"fastpath"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.FollowTag(ctx, w.follower, tags[0]); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *receivedPostWorld) post(text string) *models.Post {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &models.Post{GUID: guid(), AuthorID: w.author, Type: models.TypeStatusMessage, Public: true, Text: text,
		TextHTML: "<p>" + text + "</p>", NSFW: true, CreatedAt: now, UpdatedAt: now, InteractedAt: now}
}

// stored describes what the database holds about a post, IDs left out.
func (w *receivedPostWorld) stored(t *testing.T, p *models.Post) string {
	t.Helper()
	ctx := context.Background()
	var row, entries, tags string
	if err := w.st.Scalar(ctx, &row, `SELECT concat_ws('|', author_id, type, public, text, text_html, provider_display_name, nsfw,
		comments_count, likes_count, reshares_count, pod_state, root_id, root_guid) FROM posts WHERE id = ?`, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.st.Scalar(ctx, &entries, `SELECT COALESCE(string_agg(user_id || ':' || reasons || ':' || (author_id = ?) || ':' || (created_at = ?),
		',' ORDER BY user_id), '') FROM stream_entries WHERE post_id = ?`, p.AuthorID, p.CreatedAt, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.st.Scalar(ctx, &tags, `SELECT COALESCE(string_agg(t.name || ':' || (tg.created_at = ?) || ':' || tg.public, ',' ORDER BY t.name), '')
		FROM taggings tg JOIN tags t ON t.id = tg.tag_id WHERE tg.post_id = ?`, p.CreatedAt, p.ID); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("post %s\nentries %s\ntags %s", row, entries, tags)
}

// TestStoreReceivedPublicPostAsTheGeneralPath: the receive job's one-round-
// trip store of a public post leaves the same rows as the general path
// (CreatePost, EnsureTags, AddTaggings, FanOut): the post, its taggings,
// and stream entries for exactly the users the stream rules name (the
// author in an aspect, a followed tag; not someone who ignores the author
// or has no tie), and it reports the same change.
func TestStoreReceivedPublicPostAsTheGeneralPath(t *testing.T) {
	ctx := context.Background()
	w := receivedPostSetup(t)
	var mu sync.Mutex
	var changes []models.Change
	w.st.OnChange(func(_ context.Context, c models.Change) {
		mu.Lock()
		changes = append(changes, c)
		mu.Unlock()
	})
	t.Cleanup(func() { w.st.OnChange(nil) })
	tags := []string{"fastpath", "nsfw", "newtag" + guid()[:8]}

	fast := w.post("fast #fastpath #nsfw")
	ok, err := w.st.StoreReceivedPublicPost(ctx, fast, tags, w.alice)
	if err != nil || !ok || fast.ID == 0 {
		t.Fatalf("StoreReceivedPublicPost = %v, %v (id %d), want stored", ok, err, fast.ID)
	}
	fastChange := changes

	changes = nil
	general := w.post("fast #fastpath #nsfw")
	err = w.st.Tx(ctx, func(tx *models.Store) error {
		if err := tx.CreatePost(ctx, general); err != nil {
			return err
		}
		ids, err := tx.EnsureTags(ctx, tags)
		if err != nil {
			return err
		}
		if err := tx.AddTaggings(ctx, general, ids); err != nil {
			return err
		}
		return tx.FanOut(ctx, general)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, want := w.stored(t, fast), w.stored(t, general)
	if got != want {
		t.Errorf("stored by the fast path:\n%s\nby the general path:\n%s", got, want)
	}
	wantEntries := fmt.Sprintf("entries %d:%d:true:true,%d:%d:true:true", w.inAspect, aspects.ReasonAspect, w.follower, aspects.ReasonTag)
	if w.inAspect > w.follower {
		wantEntries = fmt.Sprintf("entries %d:%d:true:true,%d:%d:true:true", w.follower, aspects.ReasonTag, w.inAspect, aspects.ReasonAspect)
	}
	if !slices.Contains(strings.Split(got, "\n"), wantEntries) {
		t.Errorf("fast path stored\n%s\nwant %q", got, wantEntries)
	}
	if len(fastChange) != 1 || len(changes) != 1 {
		t.Fatalf("changes reported: fast %+v, general %+v; want one each", fastChange, changes)
	}
	if !slices.Equal(fastChange[0].Users, changes[0].Users) || !slices.Equal(fastChange[0].Posts, []int64{fast.ID}) {
		t.Errorf("fast path reported %+v, general path %+v", fastChange[0], changes[0])
	}
}

// TestStoreReceivedPublicPostLeavesTheRestToTheGeneralPath: a GUID stored
// already, an author no local user has a contact with, a post verified
// with another key than the author's stored one, or an author whose
// account is closed, stores nothing (no post, tag, tagging or entry) and
// says so, for the general path to handle.
func TestStoreReceivedPublicPostLeavesTheRestToTheGeneralPath(t *testing.T) {
	ctx := context.Background()
	w := receivedPostSetup(t)
	first := w.post("first #fastpath")
	if ok, err := w.st.StoreReceivedPublicPost(ctx, first, []string{"fastpath"}, w.alice); err != nil || !ok {
		t.Fatalf("first delivery: %v, %v", ok, err)
	}
	counts := func() string {
		var s string
		if err := w.st.Scalar(ctx, &s, `SELECT concat_ws(' ', (SELECT count(*) FROM posts), (SELECT count(*) FROM tags),
			(SELECT count(*) FROM taggings), (SELECT count(*) FROM stream_entries))`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := counts()

	again := w.post("again #fastpath #" + "unseen" + guid()[:6])
	again.GUID = first.GUID
	if ok, err := w.st.StoreReceivedPublicPost(ctx, again, []string{"fastpath", "unseen"}, w.alice); err != nil || ok || again.ID != 0 {
		t.Errorf("repeated GUID: stored %v, %v, id %d; want nothing stored", ok, err, again.ID)
	}
	stranger := &models.Person{GUID: guid(), DiasporaID: "stranger@remote.test", PodHost: "remote.test"}
	if err := w.st.CreatePerson(ctx, stranger); err != nil {
		t.Fatal(err)
	}
	lone := w.post("lone #fastpath #" + "lonetag")
	lone.AuthorID = stranger.ID
	if ok, err := w.st.StoreReceivedPublicPost(ctx, lone, []string{"fastpath", "lonetag"}, stranger); err != nil || ok {
		t.Errorf("author without local contact: stored %v, %v; want nothing stored", ok, err)
	}
	oldKey := w.post("signed with a key alice no longer has #fastpath")
	movedAlice := *w.alice
	movedAlice.SerializedPublicKey = "alice's old key"
	if ok, err := w.st.StoreReceivedPublicPost(ctx, oldKey, []string{"fastpath"}, &movedAlice); err != nil || ok {
		t.Errorf("another key than the stored one: stored %v, %v; want nothing stored", ok, err)
	}
	if err := w.st.Exec(ctx, `UPDATE people SET closed_account = true WHERE id = ?`, w.author); err != nil {
		t.Fatal(err)
	}
	closed := w.post("after alice closed her account #fastpath")
	if ok, err := w.st.StoreReceivedPublicPost(ctx, closed, []string{"fastpath"}, w.alice); err != nil || ok {
		t.Errorf("closed account: stored %v, %v; want nothing stored", ok, err)
	}
	if after := counts(); after != before {
		t.Errorf("posts, tags, taggings, entries: %s before, %s after", before, after)
	}
	for _, p := range []*models.Post{lone, oldKey, closed} {
		if _, err := w.st.PostByGUID(ctx, p.GUID); err == nil {
			t.Errorf("post %q was stored", p.Text)
		}
	}
}

// TestStoreReceivedPublicPostRefusesRetracted: a post deleted here, or
// retracted by its author before it came, is not stored by the fast path
// (RetractedBefore says the same for the general path); a retraction sent
// by someone else than the author does not keep the post out, and neither
// does an expired one.
func TestStoreReceivedPublicPostRefusesRetracted(t *testing.T) {
	ctx := context.Background()
	w := receivedPostSetup(t)
	later := time.Now().Add(time.Hour)
	deleted, byAuthor, byOther, expired := w.post("deleted here"), w.post("retracted by alice"), w.post("retracted by mallory"), w.post("retracted long ago")
	if err := w.st.MarkRetracted(ctx, later, strings.ToUpper(deleted.GUID)); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		p              *models.Post
		sender         string
		until          time.Time
		wantRetracted  bool
		wantStoredFast bool
	}{
		{deleted, "", later, true, false},
		{byAuthor, "ALICE@remote.test", later, true, false},
		{byOther, "mallory@remote.test", later, false, true},
		{expired, "alice@remote.test", time.Now().Add(-time.Minute), false, true},
	} {
		if r.sender != "" {
			if err := w.st.RememberRetraction(ctx, r.p.GUID, "alice@remote.test", r.sender, r.until); err != nil {
				t.Fatal(err)
			}
		}
		got, err := w.st.RetractedBefore(ctx, r.p.GUID, "Alice@remote.test", "")
		if err != nil || got != r.wantRetracted {
			t.Errorf("%q: RetractedBefore = %v, %v; want %v", r.p.Text, got, err, r.wantRetracted)
		}
		ok, err := w.st.StoreReceivedPublicPost(ctx, r.p, nil, w.alice)
		if err != nil || ok != r.wantStoredFast {
			t.Errorf("%q: stored %v, %v; want %v", r.p.Text, ok, err, r.wantStoredFast)
		}
	}
	if ok, err := w.st.Retracted(ctx, deleted.GUID); err != nil || !ok {
		t.Errorf("Retracted(deleted) = %v, %v", ok, err)
	}
	if ok, err := w.st.Retracted(ctx, byAuthor.GUID); err != nil || ok {
		t.Errorf("Retracted(a GUID only retracted, never deleted here) = %v, %v", ok, err)
	}
	// A comment's retraction sent by the post's author counts for the
	// comment when that author is given as the root author.
	if err := w.st.RememberRetraction(ctx, "comment-guid", "carol@remote.test", "alice@remote.test", later); err != nil {
		t.Fatal(err)
	}
	if ok, _ := w.st.RetractedBefore(ctx, "comment-guid", "carol@remote.test", ""); ok {
		t.Error("a comment retracted by someone else counts without a root author")
	}
	if ok, _ := w.st.RetractedBefore(ctx, "comment-guid", "carol@remote.test", "alice@remote.test"); !ok {
		t.Error("a comment retracted by the post's author does not count")
	}
	// Remembering forgets expired rows on the way.
	var left int64
	if err := w.st.Scalar(ctx, &left, `SELECT count(*) FROM retractions WHERE expires_at <= now()`); err != nil || left != 0 {
		t.Errorf("%d expired retractions left (%v)", left, err)
	}
}

// TestFanOutPlanReadsPostsByKey: the fan-out statement, as a connection
// prepares it once for every post ID (PostgreSQL's generic plan, which a
// prepared statement gets after five runs), reads posts only by their key:
// no part of it scans the posts table. It once joined its candidates back
// to every post with a hash join, so writing one post's entries cost time
// in proportion to all the posts stored.
func TestFanOutPlanReadsPostsByKey(t *testing.T) {
	ctx := context.Background()
	st := modeltest.New(t)
	author := &models.Person{GUID: guid(), DiasporaID: "many@posts.test", PodHost: "posts.test"}
	if err := st.CreatePerson(ctx, author); err != nil {
		t.Fatal(err)
	}
	// Enough posts for the planner to weigh a scan against the key.
	if err := st.Exec(ctx, `INSERT INTO posts (guid, author_id, type, public, text, created_at, updated_at, interacted_at)
		SELECT 'plan' || i, ?, 'StatusMessage', true, 'x', now(), now(), now() FROM generate_series(1, 2000) i`, author.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(ctx, `ANALYZE posts`); err != nil {
		t.Fatal(err)
	}
	var plan string
	err := st.Tx(ctx, func(tx *models.Store) error {
		if err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
			return err
		}
		if err := tx.Exec(ctx, `PREPARE fanout_plan(bigint) AS `+models.StreamEntriesSQL("p.id = $1", "", models.EntriesMerge)); err != nil {
			return err
		}
		defer tx.Exec(ctx, `DEALLOCATE fanout_plan`)
		return tx.Scalar(ctx, &plan, `EXPLAIN (FORMAT JSON) EXECUTE fanout_plan(1)`)
	})
	if err != nil {
		t.Fatal(err)
	}
	var doc []map[string]any
	if err := json.Unmarshal([]byte(plan), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("EXPLAIN output %q: %v", plan, err)
	}
	var scans int
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if n["Node Type"] == "Seq Scan" && n["Relation Name"] == "posts" {
			scans++
		}
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				walk(m)
			}
		}
	}
	walk(doc[0]["Plan"].(map[string]any))
	if scans > 0 {
		t.Errorf("the generic plan of the fan-out scans the posts table %d time(s):\n%s", scans, plan)
	}
}
