package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
	"github.com/hibiken/asynq"
)

// dislike is a like entity with positive false, signed by its author.
func (e *badEnv) dislike(author identity, guid, parent, parentType string) []byte {
	l := &entity.Like{Author: author.ID, GUID: guid, ParentGUID: parent, ParentType: parentType, Positive: false}
	if err := entity.SignRelayable(l, author.Key); err != nil {
		e.t.Fatal(err)
	}
	return xmlOf(e.t, l)
}

// TestReceivedDislikeIsNoLike: a like entity with positive=false is kept
// (and can be retracted) but neither counted nor listed as a like, nor
// notified as one, as diaspora* does.
func TestReceivedDislikeIsNoLike(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	post, err := e.p.App.Posts.CreatePost(ctx, e.au.s, posts.PostInput{Text: "rate me", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	cv, err := e.p.App.Posts.Comment(ctx, e.au.s, post.GUID, "and me")
	if err != nil {
		t.Fatal(err)
	}
	settled(t, e.p)
	postDislike, commentDislike := pod.NewGUID(), pod.NewGUID()
	e.applied("dislike of the post", publicPath, signed(t, e.dislike(e.rita, postDislike, post.GUID, "Post"), e.rita))
	e.applied("dislike of the comment", publicPath, signed(t, e.dislike(e.rita, commentDislike, cv.GUID, "Comment"), e.rita))

	if n := count(t, e.p, "SELECT count(*) FROM likes WHERE NOT positive"); n != 2 {
		t.Fatalf("%d dislikes stored, want 2", n)
	}
	if n := count(t, e.p, "SELECT likes_count FROM posts WHERE guid = ?", post.GUID); n != 0 {
		t.Errorf("post likes_count %d after a dislike", n)
	}
	if n := count(t, e.p, "SELECT likes_count FROM comments WHERE guid = ?", cv.GUID); n != 0 {
		t.Errorf("comment likes_count %d after a dislike", n)
	}
	if ls, err := e.p.App.Posts.Likes(ctx, e.au.s, post.GUID); err != nil || len(ls) != 0 {
		t.Errorf("likes of the post: %+v %v, want none", ls, err)
	}
	pv, err := e.p.App.Posts.Post(ctx, e.au.s, post.GUID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.Likes) != 0 || len(pv.Post.Interactions.Likes) != 0 || pv.Post.Interactions.LikesCount != 0 {
		t.Errorf("the post page shows the dislike as a like: %+v %+v", pv.Likes, pv.Post.Interactions)
	}
	if n := count(t, e.p, "SELECT count(*) FROM notifications WHERE type = ?", models.NotifyLiked); n != 0 {
		t.Errorf("%d 'liked' notifications for a dislike", n)
	}
	nl, err := e.p.App.Notifications.Notifications(ctx, e.au.s, false, "", 1, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range nl.Items {
		if strings.Contains(it.Text, "liked") {
			t.Errorf("notification %q for a dislike", it.Text)
		}
	}

	// Its retraction removes it without taking a like away.
	e.applied("retraction of the post dislike", publicPath, signed(t, e.retraction(e.rita, "Like", postDislike), e.rita))
	e.applied("retraction of the comment dislike", publicPath, signed(t, e.retraction(e.rita, "Like", commentDislike), e.rita))
	if n := count(t, e.p, "SELECT count(*) FROM likes"); n != 0 {
		t.Errorf("%d likes left after the retractions", n)
	}
	if n := count(t, e.p, "SELECT likes_count FROM posts WHERE guid = ?", post.GUID); n != 0 {
		t.Errorf("post likes_count %d after a dislike came and went", n)
	}
	if n := count(t, e.p, "SELECT likes_count FROM comments WHERE guid = ?", cv.GUID); n != 0 {
		t.Errorf("comment likes_count %d after a dislike came and went", n)
	}

	// A dislike row of a local person (none is made here, but the data
	// allows it) is not in their liked stream nor marks the post liked.
	if err := e.p.Store.Exec(ctx, `INSERT INTO likes (guid, post_id, author_id, positive, created_at)
		SELECT ?, id, ?, false, now() FROM posts WHERE guid = ?`, pod.NewGUID(), e.au.s.PersonID, post.GUID); err != nil {
		t.Fatal(err)
	}
	page, err := e.p.App.Streams.Stream(ctx, e.au.s, streams.StreamQuery{Kind: streams.StreamLiked})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Posts) != 0 {
		t.Errorf("the liked stream lists %d posts for a dislike", len(page.Posts))
	}
	main, err := e.p.App.Streams.Stream(ctx, e.au.s, streams.StreamQuery{Kind: streams.StreamMain})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range main.Posts {
		if p.GUID == post.GUID && (p.Liked || len(p.Interactions.Likes) != 0) {
			t.Errorf("the stream shows the post as liked by a dislike: %+v", p.Interactions)
		}
	}
}

// TestReceivedPostLeftOutIsLogged: a received status message with an embed
// (which this pod does not keep) is stored with the rest, and one log line
// names the post and what was left out; vector 17 (a photo, a location, a
// poll, all kept) logs no such line.
func TestReceivedPostLeftOutIsLogged(t *testing.T) {
	e := startVecPod(t, roleThird)
	off := len(e.p.Log.String())
	d := e.public("17_status_message_with_photo_location_poll", e.alice)
	deliver(t, e.p, d.path, d.body)
	e.post("17f2e3d4c5b6a79880123456789abcde")
	if l := logLines(e.p, off, "left_out"); len(l) != 0 {
		t.Errorf("vector 17 logged %q; its photo, location and poll are kept", l)
	}

	off = len(e.p.Log.String())
	guid := pod.NewGUID()
	deliver(t, e.p, publicPath, signed(t, xmlOf(t, &entity.StatusMessage{Author: e.alice.ID, GUID: guid,
		CreatedAt: created, Public: true, Text: "with an embed", Embed: &entity.Embed{URL: "https://example.org/page", Title: "Example"}}), e.alice))
	e.post(guid)
	lines := logLines(e.p, off, guid)
	var left []string
	for _, l := range lines {
		if strings.Contains(l, "left_out") {
			left = append(left, l)
		}
	}
	if len(left) != 1 || !strings.Contains(left[0], `left_out="1 embed"`) {
		t.Errorf("log lines about the post: %q, want one naming 1 embed", lines)
	}

	// A post with nothing left out logs no such line.
	off = len(e.p.Log.String())
	deliver(t, e.p, publicPath, signed(t, xmlOf(t, &entity.StatusMessage{Author: e.alice.ID, GUID: pod.NewGUID(),
		CreatedAt: created, Public: true, Text: "just text"}), e.alice))
	if l := logLines(e.p, off, "left_out"); len(l) != 0 {
		t.Errorf("a text-only post logged %q", l)
	}
}

// TestRetractionOfUnknownTarget: a retraction for something this pod never
// had is done at once (one log line, no retry, nothing left in the
// queues, one row remembering it and no other), and the target arriving later is not applied, whatever other
// retractions of it came meanwhile; a later target the retraction could
// not have been valid for is.
func TestRetractionOfUnknownTarget(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	postGUID, commentGUID, otherGUID := pod.NewGUID(), pod.NewGUID(), pod.NewGUID()
	for _, r := range []struct {
		label string
		body  []byte
	}{
		{"retraction of an unknown post", signed(t, e.retraction(e.rita, "Post", postGUID), e.rita)},
		{"retraction of an unknown comment", signed(t, e.retraction(e.rita, "Comment", commentGUID), e.rita)},
		// eve retracts a post she says is rita's: she could not have.
		{"retraction of an unknown post by someone else", signed(t, e.retraction(e.rita, "Post", otherGUID), e.eve)},
		// eve then retracts rita's post as her own: that must not undo
		// rita's retraction (found in review: one value per GUID was kept).
		{"a second retraction of the same post by someone else", signed(t, e.retraction(e.eve, "Post", postGUID), e.eve)},
	} {
		before := tableCounts(t, e.p)
		off := len(e.p.Log.String())
		deliver(t, e.p, publicPath, r.body) // waits until no job is pending, active, scheduled or retrying
		if l := logLines(e.p, off, "does not have"); len(l) != 1 {
			t.Errorf("%s: log lines %q, want one", r.label, logLines(e.p, off, "federation:"))
		}
		if l := logLines(e.p, off, "will be retried"); len(l) > 0 {
			t.Errorf("%s is retried: %s", r.label, l)
		}
		if drops := dropLines(e.p, off); len(drops) > 0 {
			t.Errorf("%s dropped: %s", r.label, drops)
		}
		// Remembered (one row), and nothing else changed.
		want := fmt.Sprintf("retractions %d→%d", before["retractions"], before["retractions"]+1)
		if diff := countsDiff(before, tableCounts(t, e.p)); diff != want {
			t.Errorf("%s changed rows: %s, want %s", r.label, diff, want)
		}
	}
	ins := asynq.NewInspector(asynq.RedisClientOpt{Addr: e.p.Redis.Options().Addr, DB: e.p.RedisDB})
	defer ins.Close()
	queues, err := ins.Queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		info, err := ins.GetQueueInfo(q)
		if err != nil {
			t.Fatal(err)
		}
		if info.Retry+info.Archived+info.Scheduled+info.Pending > 0 {
			t.Errorf("queue %s: %d retrying, %d archived, %d scheduled, %d pending", q, info.Retry, info.Archived, info.Scheduled, info.Pending)
		}
	}

	// The targets arrive late: the post and the comment under it are not
	// applied; the post eve could not retract is.
	off := len(e.p.Log.String())
	deliver(t, e.p, publicPath, signed(t, e.statusMessage(e.rita, postGUID, true, "too late"), e.rita))
	if _, err := e.p.Store.PostByGUID(ctx, postGUID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the post retracted before it came was stored: %v", err)
	}
	if l := logLines(e.p, off, "about a retracted object ignored"); len(l) != 1 {
		t.Errorf("the late post was not ignored as retracted: %q", logLines(e.p, off, "federation:"))
	}
	parent := pod.NewGUID()
	e.applied("a post for the late comment", publicPath, signed(t, e.statusMessage(e.rita, parent, true, "parent"), e.rita))
	deliver(t, e.p, publicPath, signed(t, e.comment(e.rita, commentGUID, parent, "too late", e.rita), e.rita))
	if _, err := e.p.Store.CommentByGUID(ctx, commentGUID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the comment retracted before it came was stored: %v", err)
	}
	e.applied("the post eve retracted", publicPath, signed(t, e.statusMessage(e.rita, otherGUID, true, "still mine"), e.rita))
	if _, err := e.p.Store.PostByGUID(ctx, otherGUID); err != nil {
		t.Errorf("a post was kept out by someone else's retraction: %v", err)
	}
}

// TestRetractedCommentNotResurrected: a comment deleted by its author's
// retraction does not come back when its delivery is repeated.
func TestRetractedCommentNotResurrected(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	parent, commentGUID, likeGUID := pod.NewGUID(), pod.NewGUID(), pod.NewGUID()
	e.applied("post", publicPath, signed(t, e.statusMessage(e.rita, parent, true, "parent"), e.rita))
	comment := signed(t, e.comment(e.eve, commentGUID, parent, "hi", e.eve), e.rita)
	like := signed(t, e.like(e.eve, likeGUID, parent), e.rita)
	e.applied("comment", publicPath, comment)
	e.applied("like", publicPath, like)
	e.applied("comment retraction", publicPath, signed(t, e.retraction(e.eve, "Comment", commentGUID), e.rita))
	e.applied("like retraction", publicPath, signed(t, e.retraction(e.eve, "Like", likeGUID), e.rita))
	deliver(t, e.p, publicPath, comment)
	deliver(t, e.p, publicPath, like)
	if _, err := e.p.Store.CommentByGUID(ctx, commentGUID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the retracted comment came back: %v", err)
	}
	if _, err := e.p.Store.LikeByGUID(ctx, likeGUID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the retracted like came back: %v", err)
	}
	if n := count(t, e.p, "SELECT comments_count + likes_count FROM posts WHERE guid = ?", parent); n != 0 {
		t.Errorf("counters %d", n)
	}
}

// TestReceivedNSFWProfileMarksPosts: a received profile's nsfw flag was
// stored but ignored; as in diaspora*, it marks all the person's posts
// NSFW (and reshares of them).
func TestReceivedNSFWProfileMarksPosts(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	postGUID := pod.NewGUID()
	e.applied("post", publicPath, signed(t, e.statusMessage(e.rita, postGUID, true, "nothing to see"), e.rita))
	pv, err := e.p.App.Posts.Post(ctx, nil, postGUID)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Post.NSFW {
		t.Fatal("a post without #nsfw by a safe profile is NSFW")
	}
	e.applied("nsfw profile", publicPath, signed(t, xmlOf(t, &entity.Profile{Author: e.rita.ID, FirstName: "Rita",
		Searchable: true, NSFW: true}), e.rita))
	if pv, err = e.p.App.Posts.Post(ctx, nil, postGUID); err != nil {
		t.Fatal(err)
	}
	if !pv.Post.NSFW {
		t.Error("a post by a person whose profile is NSFW is not marked NSFW")
	}
	reshare, err := e.p.App.Posts.Reshare(ctx, e.au.s, postGUID)
	if err != nil {
		t.Fatal(err)
	}
	if !reshare.NSFW {
		t.Error("a reshare of an NSFW post is not marked NSFW")
	}
}

// TestRetractionsMovedFromRedis: what a version before migration 00021
// remembered about retractions in Redis (a GUID deleted here; retractions
// of a GUID not seen yet) is moved to the database with its expiry, and
// keeps the objects out as before; the keys are gone and a second run
// moves nothing.
func TestRetractionsMovedFromRedis(t *testing.T) {
	p := newLanePod(t)
	ctx := context.Background()
	deleted, unseen := pod.NewGUID(), pod.NewGUID()
	if err := p.Redis.Set(ctx, "pod:retracted:"+deleted, "1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := p.Redis.SAdd(ctx, "pod:retracted-unseen:"+unseen, "alice@pod-a.example alice@pod-a.example", "carol@pod-c.example mallory@pod-m.example").Err(); err != nil {
		t.Fatal(err)
	}
	n, err := p.App.Federate.MoveRedisRetractions(ctx)
	if err != nil || n != 2 {
		t.Fatalf("moved %d keys (%v), want 2", n, err)
	}
	if ok, err := p.Store.Retracted(ctx, deleted); err != nil || !ok {
		t.Errorf("the GUID deleted here is not remembered: %v, %v", ok, err)
	}
	for _, c := range []struct {
		author string
		want   bool
	}{{"alice@pod-a.example", true}, {"carol@pod-c.example", false}} {
		if ok, err := p.Store.RetractedBefore(ctx, unseen, c.author, ""); err != nil || ok != c.want {
			t.Errorf("retracted before it came, by %s: %v, %v; want %v", c.author, ok, err, c.want)
		}
	}
	var expiry time.Time
	if err := p.Store.Scalar(ctx, &expiry, `SELECT expires_at FROM retractions WHERE guid = ?`, strings.ToLower(deleted)); err != nil ||
		expiry.Before(time.Now().Add(50*time.Minute)) || expiry.After(time.Now().Add(61*time.Minute)) {
		t.Errorf("the deleted GUID is remembered until %v (%v), want in about an hour, as its key", expiry, err)
	}
	if keys, _ := p.Redis.Keys(ctx, "pod:retracted*").Result(); len(keys) > 0 {
		t.Errorf("keys left in Redis: %v", keys)
	}
	if n, err := p.App.Federate.MoveRedisRetractions(ctx); err != nil || n != 0 {
		t.Errorf("the second run moved %d keys (%v)", n, err)
	}
}
