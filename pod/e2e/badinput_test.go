package e2e

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/envelope"
	"github.com/aspenpod/aspen/federation/fedtest"
	"github.com/aspenpod/aspen/federation/receive"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// Bad input through a pod's real receive endpoints. Every case must end
// in a 202 and a logged drop (or, for a missing parent, a clean retry),
// never a 500, a panic, a stored fragment or a job left in the queues.
//
// The remote people (rita, eve) are seeded with keys the test holds, on a
// stub pod on loopback that accepts every delivery and knows nothing else
// (WebFinger and fetches get 404), so nothing reaches the internet and a
// missing parent cannot be fetched.

// stubPod stands in for the remote people's pod.
type stubPod struct {
	host string
	mu   sync.Mutex
	got  []string
}

func newStubPod(t *testing.T) *stubPod {
	t.Helper()
	s := &stubPod{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		s.got = append(s.got, r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/receive/") {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	s.host = strings.TrimPrefix(srv.URL, "http://")
	return s
}

func (s *stubPod) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

// testKey returns a 2048-bit key per name, generated once per process.
func testKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	return fedtest.NamedKey(t, name, 2048)
}

// badEnv is a pod with a local user alice (whose key the test holds) and
// two remote people, rita and eve.
type badEnv struct {
	t     *testing.T
	p     *podtest.FedPod
	stub  *stubPod
	alice identity
	au    *user
	rita  identity
	eve   identity
	ids   map[string]int64 // person IDs by diaspora ID
	// replies is how many delivery rows a refusal may add: the author's
	// pod answers an ignored commenter with a retraction (§5.3).
	replies int64
}

func startBadPod(t *testing.T) *badEnv {
	t.Helper()
	t.Parallel()
	e := &badEnv{t: t, stub: newStubPod(t), ids: map[string]int64{}}
	e.p = newLanePod(t)
	e.alice = identity{ID: "alice@" + e.p.Addr, GUID: pod.NewGUID(), Key: testKey(t, "alice")}
	e.au = localUserAs(t, e.p, "alice", e.alice)
	e.ids[e.alice.ID] = e.au.s.PersonID
	e.rita = identity{ID: "rita@" + e.stub.host, GUID: pod.NewGUID(), Key: testKey(t, "rita")}
	e.eve = identity{ID: "eve@" + e.stub.host, GUID: pod.NewGUID(), Key: testKey(t, "eve")}
	for _, who := range []identity{e.rita, e.eve} {
		e.ids[who.ID] = seedRemote(t, e.p, who, "http://"+e.stub.host+"/").ID
	}
	settled(t, e.p)
	t.Cleanup(func() { noPanic(t, e.p) })
	return e
}

var created = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func xmlOf(t testing.TB, e entity.Entity) []byte {
	t.Helper()
	b, err := entity.MarshalXML(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *badEnv) statusMessage(author identity, guid string, public bool, text string) []byte {
	return xmlOf(e.t, &entity.StatusMessage{Author: author.ID, GUID: guid, CreatedAt: created, Public: public, Text: text})
}

// comment is a comment by author, author_signature made with signer's key.
func (e *badEnv) comment(author identity, guid, parent, text string, signer identity) []byte {
	c := &entity.Comment{Author: author.ID, GUID: guid, ParentGUID: parent, Text: text, CreatedAt: created}
	if err := entity.SignRelayable(c, signer.Key); err != nil {
		e.t.Fatal(err)
	}
	return xmlOf(e.t, c)
}

func (e *badEnv) like(author identity, guid, parent string) []byte {
	l := &entity.Like{Author: author.ID, GUID: guid, ParentGUID: parent, ParentType: "Post", Positive: true}
	if err := entity.SignRelayable(l, author.Key); err != nil {
		e.t.Fatal(err)
	}
	return xmlOf(e.t, l)
}

func (e *badEnv) retraction(author identity, typ, guid string) []byte {
	return xmlOf(e.t, &entity.Retraction{Author: author.ID, TargetType: typ, TargetGUID: guid})
}

// toAlice signs a payload by who and seals it for alice.
func (e *badEnv) toAlice(payload []byte, who identity) (string, []byte) {
	return privatePath(e.alice.GUID), sealedFor(e.t, signed(e.t, payload, who), e.alice)
}

// refused POSTs a body, expects 202, one drop line naming reason (any if
// ""), no row changed, the queues empty.
func (e *badEnv) refused(label, path string, body []byte, reason string) {
	e.t.Helper()
	e.refusedReader(label, path, bytes.NewReader(body), reason)
}

func (e *badEnv) refusedReader(label, path string, body io.Reader, reason string) {
	e.t.Helper()
	before := tableCounts(e.t, e.p)
	off := len(e.p.Log.String())
	ct := envelope.ContentType
	if path != publicPath {
		ct = envelope.PrivateContentType
	}
	if code := postReader(e.t, e.p, path, ct, body); code != http.StatusAccepted {
		e.t.Errorf("%s: POST %s answered %d, want 202", label, path, code)
	}
	settled(e.t, e.p)
	drops := dropLines(e.p, off)
	if len(drops) != 1 || !strings.Contains(drops[0], reason) {
		e.t.Errorf("%s: drop lines %q, want one naming %q", label, drops, reason)
	}
	if l := logLines(e.p, off, "will be retried"); len(l) > 0 {
		e.t.Errorf("%s: retried: %s", label, strings.Join(l, "\n"))
	}
	after := tableCounts(e.t, e.p)
	if n := after["deliveries"] - before["deliveries"]; n != e.replies {
		e.t.Errorf("%s: %d deliveries queued in answer, want %d", label, n, e.replies)
	}
	before["deliveries"] = after["deliveries"]
	if diff := countsDiff(before, after); diff != "" {
		e.t.Errorf("%s was refused but changed rows: %s", label, diff)
	}
}

// applied POSTs a body that must be applied.
func (e *badEnv) applied(label, path string, body []byte) {
	e.t.Helper()
	off := len(e.p.Log.String())
	deliver(e.t, e.p, path, body)
	if drops := dropLines(e.p, off); len(drops) > 0 {
		e.t.Fatalf("%s was dropped: %s", label, strings.Join(drops, "\n"))
	}
}

func TestBadInputOversized(t *testing.T) {
	e := startBadPod(t)
	big := bytes.Repeat([]byte("a"), receive.MaxBodySize+1)
	// With a Content-Length: refused by its length.
	e.refused("oversized public body", publicPath, big, "larger than the limit")
	// Chunked (no Content-Length): refused while reading.
	e.refusedReader("oversized chunked private body", privatePath(e.alice.GUID), io.MultiReader(bytes.NewReader(big)), "larger than the limit")
	e.refused("empty body", publicPath, nil, "empty body")
}

func TestBadInputMalformed(t *testing.T) {
	e := startBadPod(t)
	post := e.statusMessage(e.rita, pod.NewGUID(), true, "hello")
	for _, c := range []struct{ label, path, body, reason string }{
		{"not XML", publicPath, "this is not XML", "invalid envelope"},
		{"truncated envelope", publicPath, string(signed(t, post, e.rita))[:300], "invalid envelope"},
		{"envelope of another namespace", publicPath, `<env xmlns="urn:x"><data>eA==</data></env>`, "invalid envelope"},
		{"entity XML instead of an envelope", publicPath, string(post), "invalid envelope"},
		{"signed envelope, malformed payload", publicPath, string(signed(t, []byte("<status_message><author>"+e.rita.ID), e.rita)), "malformed"},
		{"signed envelope, unknown entity", publicPath, string(signed(t, []byte("<pony><author>"+e.rita.ID+"</author></pony>"), e.rita)), "unknown entity"},
		{"signed envelope, invalid entity", publicPath, string(signed(t, bytes.Replace(post, []byte("<text>hello</text>"), nil, 1), e.rita)), "validation"},
		{"entity expansion", publicPath, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` +
			string(signed(t, post, e.rita))[len(`<?xml version="1.0" encoding="UTF-8"?>`):], "invalid envelope"},
		{"deeply nested payload", publicPath, string(signed(t, []byte(strings.Repeat("<a>", 20000)+strings.Repeat("</a>", 20000)), e.rita)), "too large"},
		{"comment with 50,000 unknown elements", publicPath, string(signed(t, bytes.Replace(
			e.comment(e.rita, pod.NewGUID(), pod.NewGUID(), "x", e.rita), []byte("<text>"), []byte(strings.Repeat("<z/>", 50000)+"<text>"), 1), e.rita)), "too large"},
		{"invalid UTF-8 payload", publicPath, string(signed(t, bytes.Replace(post, []byte("hello"), []byte("hel\xfflo"), 1), e.rita)), "malformed"},
		{"not JSON", privatePath(e.alice.GUID), "{not json", "malformed"},
		{"JSON array", privatePath(e.alice.GUID), "[]", "malformed"},
		{"JSON without the fields", privatePath(e.alice.GUID), `{"foo":"bar"}`, "malformed"},
		{"JSON, undecryptable key", privatePath(e.alice.GUID), `{"aes_key":"AAAA","encrypted_magic_envelope":"AAAA"}`, "decryption"},
		{"sealed garbage", privatePath(e.alice.GUID), string(sealedFor(t, []byte("garbage"), e.alice)), "invalid envelope"},
		{"sealed for someone else", privatePath(e.alice.GUID), string(sealedFor(t, signed(t, post, e.rita), e.rita)), "decryption"},
	} {
		e.refused(c.label, c.path, []byte(c.body), c.reason)
	}
	if n := count(t, e.p, "SELECT count(*) FROM posts"); n != 0 {
		t.Errorf("%d posts stored", n)
	}
}

// sigElement is the me:sig element of an envelope.
var sigElement = regexp.MustCompile(`(?s)\s*<me:sig[^>]*>.*?</me:sig>`)

func TestBadInputSignature(t *testing.T) {
	e := startBadPod(t)
	guid := pod.NewGUID()
	post := e.statusMessage(e.rita, guid, true, "signed by rita")
	doc := signed(t, post, e.rita)
	noSig := sigElement.ReplaceAll(doc, nil)
	if bytes.Contains(noSig, []byte("me:sig")) {
		t.Fatalf("signature not removed: %s", noSig)
	}
	e.refused("envelope without signature", publicPath, noSig, "invalid envelope")
	e.refused("envelope with an empty signature", publicPath,
		regexp.MustCompile(`(<me:sig[^>]*>)[^<]*(</me:sig>)`).ReplaceAll(doc, []byte("$1$2")), "invalid envelope")
	env, err := envelope.Sign(post, e.rita.ID, e.eve.Key) // key_id rita, eve's key
	if err != nil {
		t.Fatal(err)
	}
	e.refused("envelope signed with another key", publicPath, env.Marshal(), "invalid signature")
	e.refused("private envelope signed with another key", privatePath(e.alice.GUID), sealedFor(t, env.Marshal(), e.alice), "invalid signature")
	// A relayable whose author_signature was made with another key, relayed
	// by the root author.
	e.applied("rita's post", publicPath, doc)
	forged := e.comment(e.eve, pod.NewGUID(), guid, "forged", e.rita)
	e.refused("comment with a forged author_signature", publicPath, signed(t, forged, e.rita), "signature verification failed")
	// The right post is there, and nothing else.
	if n := count(t, e.p, "SELECT count(*) FROM posts"); n != 1 {
		t.Errorf("%d posts", n)
	}
}

func TestBadInputReplay(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	guid := pod.NewGUID()
	doc := signed(t, e.statusMessage(e.rita, guid, true, "once"), e.rita)
	e.applied("public post", publicPath, doc)
	after := tableCounts(t, e.p)
	received := e.p.App.Federate.Stats().Received.Load()
	e.applied("the same public post again", publicPath, doc)
	// Twice at once, before the worker ran.
	for i := 0; i < 2; i++ {
		if code := postReceive(t, e.p, publicPath, doc); code != http.StatusAccepted {
			t.Errorf("POST answered %d", code)
		}
	}
	settled(t, e.p)
	if diff := countsDiff(after, tableCounts(t, e.p)); diff != "" {
		t.Errorf("a replayed public delivery changed rows: %s", diff)
	}
	if e.p.App.Federate.Stats().Received.Load() == received {
		t.Errorf("the replays were not processed at all")
	}

	lguid := pod.NewGUID()
	path, body := e.toAlice(e.statusMessage(e.rita, lguid, false, "for alice"), e.rita)
	e.applied("limited post", path, body)
	after = tableCounts(t, e.p)
	e.applied("the same limited post again", path, body)
	if diff := countsDiff(after, tableCounts(t, e.p)); diff != "" {
		t.Errorf("a replayed private delivery changed rows: %s", diff)
	}
	if _, err := e.p.App.Posts.Post(ctx, e.au.s, lguid); err != nil {
		t.Errorf("alice cannot read the limited post: %v", err)
	}
	if n := count(t, e.p, "SELECT count(*) FROM share_visibilities"); n != 1 {
		t.Errorf("%d share visibilities", n)
	}
	if n := count(t, e.p, "SELECT count(*) FROM posts"); n != 2 {
		t.Errorf("%d posts, want 2", n)
	}
}

func TestBadInputOutOfOrder(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	postGUID, commentGUID := pod.NewGUID(), pod.NewGUID()
	comment := signed(t, e.comment(e.rita, commentGUID, postGUID, "first!", e.rita), e.rita)
	off := len(e.p.Log.String())
	if code := postReceive(t, e.p, publicPath, comment); code != http.StatusAccepted {
		t.Fatalf("POST answered %d", code)
	}
	podtest.Eventually(t, wait, func() bool {
		for _, l := range logLines(e.p, off, "will be retried") {
			if strings.Contains(l, "parent not found") {
				return true
			}
		}
		return false
	}, "the comment before its post to be retried")
	if drops := dropLines(e.p, off); len(drops) > 0 {
		t.Fatalf("the early comment was dropped: %s", drops)
	}
	if n := count(t, e.p, "SELECT count(*) FROM comments"); n != 0 {
		t.Fatalf("%d comments stored before their post", n)
	}
	// The fetch of the missing parent asked rita's pod (which has nothing).
	if got := strings.Join(e.stub.requests(), "\n"); !strings.Contains(got, "/.well-known/webfinger") {
		t.Errorf("the missing parent was not looked for on rita's pod: %s", got)
	}

	if code := postReceive(t, e.p, publicPath, signed(t, e.statusMessage(e.rita, postGUID, true, "the post"), e.rita)); code != http.StatusAccepted {
		t.Fatalf("POST answered %d", code)
	}
	podtest.Eventually(t, wait, func() bool {
		_, err := e.p.Store.CommentByGUID(ctx, commentGUID)
		return err == nil
	}, "the comment to be applied once its post is there")
	settled(t, e.p)
	if n := count(t, e.p, "SELECT count(*) FROM comments"); n != 1 {
		t.Errorf("%d comments", n)
	}
	if n := count(t, e.p, "SELECT comments_count FROM posts WHERE guid = ?", postGUID); n != 1 {
		t.Errorf("comments_count %d", n)
	}
	if drops := dropLines(e.p, off); len(drops) > 0 {
		t.Errorf("dropped: %s", drops)
	}
}

func TestBadInputRetracted(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	postGUID := pod.NewGUID()
	post := signed(t, e.statusMessage(e.rita, postGUID, true, "soon gone"), e.rita)
	e.applied("post", publicPath, post)
	e.applied("its retraction", publicPath, signed(t, e.retraction(e.rita, "Post", postGUID), e.rita))
	if _, err := e.p.Store.PostByGUID(ctx, postGUID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("the retracted post is still there: %v", err)
	}
	before := tableCounts(t, e.p)
	for _, d := range []struct {
		label string
		body  []byte
	}{
		{"a comment on the retracted post", signed(t, e.comment(e.rita, pod.NewGUID(), postGUID, "too late", e.rita), e.rita)},
		{"a like of the retracted post", signed(t, e.like(e.rita, pod.NewGUID(), postGUID), e.rita)},
		{"the retracted post again", post},
		{"the retraction again", signed(t, e.retraction(e.rita, "Post", postGUID), e.rita)},
	} {
		off := len(e.p.Log.String())
		deliver(t, e.p, publicPath, d.body) // settled: no retry is waiting
		if l := logLines(e.p, off, "about a retracted object ignored"); len(l) != 1 {
			t.Errorf("%s: not ignored as about a retracted object: %q", d.label, logLines(e.p, off, "federation:"))
		}
		if l := logLines(e.p, off, "will be retried"); len(l) > 0 {
			t.Errorf("%s is retried: %s", d.label, l)
		}
	}
	if diff := countsDiff(before, tableCounts(t, e.p)); diff != "" {
		t.Errorf("deliveries about a retracted post changed rows: %s", diff)
	}
}

func TestBadInputUnknownRecipient(t *testing.T) {
	e := startBadPod(t)
	before := tableCounts(t, e.p)
	body := sealedFor(t, signed(t, e.statusMessage(e.rita, pod.NewGUID(), false, "for nobody"), e.rita), e.alice)
	for _, guid := range []string{pod.NewGUID(), e.rita.GUID, "../../public", "x"} {
		if code := postReceive(t, e.p, privatePath(guid), body); code != http.StatusNotFound {
			t.Errorf("private delivery to %q answered %d, want 404", guid, code)
		}
	}
	if ok, err := e.p.QueuesEmpty(); err != nil || !ok {
		t.Errorf("something was queued: %v %v", ok, err)
	}
	if diff := countsDiff(before, tableCounts(t, e.p)); diff != "" {
		t.Errorf("rows changed: %s", diff)
	}
}

// Entities claiming a local author are refused, even with a valid
// signature (the key could have leaked, or the sender relays a forgery).
func TestBadInputSpoofedLocalAuthor(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	e.refused("post by alice from outside", publicPath,
		signed(t, e.statusMessage(e.alice, pod.NewGUID(), true, "not me"), e.alice), "a user of this pod")
	path, body := e.toAlice(e.statusMessage(e.alice, pod.NewGUID(), false, "not me either"), e.alice)
	e.refused("limited post by alice from outside", path, body, "a user of this pod")

	ritaPost := pod.NewGUID()
	e.applied("rita's post", publicPath, signed(t, e.statusMessage(e.rita, ritaPost, true, "rita's"), e.rita))
	e.refused("comment by alice relayed by rita", publicPath,
		signed(t, e.comment(e.alice, pod.NewGUID(), ritaPost, "not me", e.alice), e.rita), "a user of this pod")

	mine, err := e.p.App.Posts.CreatePost(ctx, e.au.s, posts.PostInput{Text: "mine", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, e.p)
	e.refused("retraction of alice's post by rita", publicPath,
		signed(t, e.retraction(e.alice, "Post", mine.GUID), e.rita), "invalid sender")
	if _, err := e.p.App.Posts.Post(ctx, nil, mine.GUID); err != nil {
		t.Errorf("alice's post is gone: %v", err)
	}
}

// A comment or like on a limited post by someone outside its audience is
// dropped by the post author's pod; rita, in the audience, gets through.
func TestBadInputOutsideAudience(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	if _, err := e.p.App.Contacts.AddToAspect(ctx, e.au.s, e.au.aspects["Friends"], e.ids[e.rita.ID]); err != nil {
		t.Fatal(err)
	}
	limited, err := e.p.App.Posts.CreatePost(ctx, e.au.s, posts.PostInput{Text: "friends only",
		Audience: aspects.Selection{Aspects: []int64{e.au.aspects["Friends"]}}})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, e.p)
	if got := strings.Join(e.stub.requests(), "\n"); !strings.Contains(got, "POST /receive/users/"+e.rita.GUID) {
		t.Fatalf("the limited post did not go to rita: %s", got)
	}

	path, body := e.toAlice(e.comment(e.eve, pod.NewGUID(), limited.GUID, "let me in", e.eve), e.eve)
	e.refused("comment by eve (private route)", path, body, "not in its audience")
	e.refused("comment by eve (public route)", publicPath, signed(t, e.comment(e.eve, pod.NewGUID(), limited.GUID, "let me in", e.eve), e.eve), "not in its audience")
	path, body = e.toAlice(e.like(e.eve, pod.NewGUID(), limited.GUID), e.eve)
	e.refused("like by eve", path, body, "not in its audience")

	cguid := pod.NewGUID()
	path, body = e.toAlice(e.comment(e.rita, cguid, limited.GUID, "hi alice", e.rita), e.rita)
	e.applied("comment by rita", path, body)
	cs, err := e.p.App.Posts.Comments(ctx, e.au.s, limited.GUID)
	if err != nil || len(cs) != 1 || cs[0].GUID != cguid {
		t.Errorf("comments on the limited post: %+v %v", cs, err)
	}
}

// A comment or like by someone the post's author ignores is dropped, and
// the author's pod tells the commenter's pod to take it down.
func TestBadInputBlockedCommenter(t *testing.T) {
	e := startBadPod(t)
	ctx := context.Background()
	post, err := e.p.App.Posts.CreatePost(ctx, e.au.s, posts.PostInput{Text: "hello world", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.App.Contacts.Block(ctx, e.au.s, e.ids[e.eve.ID]); err != nil {
		t.Fatal(err)
	}
	settled(t, e.p)
	sentBefore := len(e.stub.requests())
	e.replies = 1 // a retraction back to eve's pod
	e.refused("comment by eve", publicPath, signed(t, e.comment(e.eve, pod.NewGUID(), post.GUID, "hey", e.eve), e.eve), "ignores them")
	e.refused("like by eve", publicPath, signed(t, e.like(e.eve, pod.NewGUID(), post.GUID), e.eve), "ignores them")
	e.replies = 0
	// The post is public, so its relayables' retractions take the public route.
	if got := e.stub.requests()[sentBefore:]; len(got) != 2 || got[0] != "POST /receive/public" || got[1] != "POST /receive/public" {
		t.Errorf("eve's pod got %q, want the two retractions of her comment and like", got)
	}

	cguid := pod.NewGUID()
	e.applied("comment by rita", publicPath, signed(t, e.comment(e.rita, cguid, post.GUID, "hey", e.rita), e.rita))
	cs, err := e.p.App.Posts.Comments(ctx, e.au.s, post.GUID)
	if err != nil || len(cs) != 1 || cs[0].GUID != cguid {
		t.Errorf("comments: %+v %v", cs, err)
	}
}
