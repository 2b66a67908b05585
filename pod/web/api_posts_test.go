package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/polls"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/streams"
	"github.com/aspenpod/aspen/pod/tasks"
)

// postsWorld is a pod where alice shares with bob (her Family aspect) and
// eve knows nobody: alice has a public post and a post for Family, which
// bob may read and eve may not. bob and eve have tokens with every post
// scope (full); bob also has one without private:read and private:modify
// (public) and one that may only read public posts (read).
type postsWorld struct {
	p                  *podtest.Pod
	alice, bob, eve    *podtest.User
	pub, limited       *pod.PostView
	aliceFull          string
	bobFull, bobPublic string
	bobRead, eveFull   string
}

var allPostScopes = []string{"openid", "public:read", "public:modify", "private:read", "private:modify", "contacts:read", "interactions"}

func newPostsWorld(t *testing.T) *postsWorld {
	t.Helper()
	p := podtest.NewReachable(t)
	ctx := context.Background()
	w := &postsWorld{p: p, alice: p.NewUser(t, "alice"), bob: p.NewUser(t, "bob"), eve: p.NewUser(t, "eve")}
	if _, err := p.App.Contacts.AddToAspect(ctx, w.alice.Session, w.alice.Aspects["Family"], w.bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	var err error
	if w.pub, err = p.App.Posts.CreatePost(ctx, w.alice.Session, posts.PostInput{Text: "Hello world", Audience: aspects.Selection{Public: true}}); err != nil {
		t.Fatal(err)
	}
	if w.limited, err = p.App.Posts.CreatePost(ctx, w.alice.Session, posts.PostInput{Text: "Family only",
		Audience: aspects.Selection{Aspects: []int64{w.alice.Aspects["Family"]}}}); err != nil {
		t.Fatal(err)
	}
	w.aliceFull = apiTokenFor(t, p, "alice", allPostScopes...)
	w.bobFull = apiTokenFor(t, p, "bob", allPostScopes...)
	w.bobPublic = apiTokenFor(t, p, "bob", "openid", "public:read", "public:modify", "interactions")
	w.bobRead = apiTokenFor(t, p, "bob", "openid", "public:read")
	w.eveFull = apiTokenFor(t, p, "eve", allPostScopes...)
	return w
}

// do calls the API and fails the test unless the answer has this status
// (and, for an error, diaspora*'s shape with this message, unless "").
func (w *postsWorld) do(t *testing.T, token, method, path string, body any, want int, message string) any {
	t.Helper()
	code, _, got := apiDo(t, w.p, token, method, path, body)
	if want >= 400 {
		wantAPIError(t, method+" "+path, code, got, want, message)
		return got
	}
	if code != want {
		t.Errorf("%s %s: %d %v, want %d", method, path, code, got, want)
	}
	return got
}

// postsNextLink is the path and query of the Link header's rel="next".
func postsNextLink(h http.Header) string {
	m := regexp.MustCompile(`<([^>]+)>; rel="next"`).FindStringSubmatch(h.Get("Link"))
	if m == nil {
		return ""
	}
	u, _ := url.Parse(m[1])
	return u.RequestURI()
}

// postShapeOptional: the documentation's example has a typo
// ("reshated") and a provider name that posts made on the web lack.
var postShapeOptional = []string{"provider_display_name", "own_interaction_state.reshated"}

func TestAPIShowPost(t *testing.T) {
	w := newPostsWorld(t)
	ex := example(t, "posts.md", "Get information about a single post")
	got := w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.pub.GUID, nil, 200, "")
	sameShape(t, "GET post", ex.Response, got, postShapeOptional...)
	if m := got.(map[string]any); m["body"] != "Hello world" || m["public"] != true ||
		m["own_interaction_state"].(map[string]any)["reported"] != false || m["author"].(map[string]any)["diaspora_id"] != w.alice.Name+"@"+w.p.Opt.Host {
		t.Errorf("post: %v", got)
	}
	// A limited post: its reader with private:read sees it; the same
	// reader's token without private:read, someone outside its audience
	// and an unknown GUID get the same 404.
	w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.limited.GUID, nil, 200, "")
	w.do(t, w.bobPublic, "GET", "/api/v1/posts/"+w.limited.GUID, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "GET", "/api/v1/posts/"+w.limited.GUID, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobFull, "GET", "/api/v1/posts/0123456789abcdef0123", nil, 404, "Post with provided guid could not be found")
	w.do(t, "", "GET", "/api/v1/posts/"+w.pub.GUID, nil, 401, "")
	// The user's report and subscription show in own_interaction_state.
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.pub.GUID+"/report", map[string]any{"reason": "spam"}, 204, "")
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.pub.GUID+"/subscribe", nil, 204, "")
	got = w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.pub.GUID, nil, 200, "")
	if st := got.(map[string]any)["own_interaction_state"].(map[string]any); st["reported"] != true || st["subscribed"] != true {
		t.Errorf("own_interaction_state after report and subscribe: %v", st)
	}
}

func TestAPICreatePost(t *testing.T) {
	w := newPostsWorld(t)
	ctx := context.Background()
	bobsPosts := func() []string {
		return w.p.StreamGUIDs(t, w.bob.Session, streams.StreamQuery{Kind: streams.StreamMain, Limit: 100})
	}
	before := bobsPosts()
	family := strconv.FormatInt(w.bob.Aspects["Family"], 10)
	bad := []struct {
		name string
		body map[string]any
	}{
		{"no public field", map[string]any{"body": "hello"}},
		{"no public field but aspects", map[string]any{"body": "hello", "aspects": []any{family}}},
		{"no body", map[string]any{"public": true}},
		{"limited without aspects", map[string]any{"body": "hello", "public": false}},
		{"unknown aspect", map[string]any{"body": "hello", "public": false, "aspects": []any{"-1"}}},
		{"someone else's aspect", map[string]any{"body": "hello", "public": false, "aspects": []any{w.alice.Aspects["Family"]}}},
		{"aspects not IDs", map[string]any{"body": "hello", "public": false, "aspects": []any{"family"}}},
		{"poll without answers", map[string]any{"body": "poll", "public": true, "poll": map[string]any{"question": "q?", "poll_answers": []any{}}}},
		{"poll with a blank answer", map[string]any{"body": "poll", "public": true, "poll": map[string]any{"question": "q?", "poll_answers": []any{"yes", ""}}}},
		{"poll without question", map[string]any{"body": "poll", "public": true, "poll": map[string]any{"question": "", "poll_answers": []any{"yes", "no"}}}},
		{"location out of range", map[string]any{"body": "here", "public": true, "location": map[string]any{"address": "x", "lat": 91, "lng": 2}}},
		{"unknown photo", map[string]any{"body": "photo", "public": true, "photos": []any{"999_999_999"}}},
		{"public not a flag", map[string]any{"body": "hello", "public": map[string]any{}}},
	}
	for _, tc := range bad {
		code, _, got := apiDo(t, w.p, w.bobFull, "POST", "/api/v1/posts", tc.body)
		if m, _ := got.(map[string]any); code != 422 || m["code"] != 422.0 {
			t.Errorf("%s: %d %v, want 422", tc.name, code, got)
		}
	}
	// A limited post needs private:modify; a read-only token may not post.
	w.do(t, w.bobPublic, "POST", "/api/v1/posts", map[string]any{"body": "secret", "public": false, "aspects": []any{family}}, 422, "")
	w.do(t, w.bobRead, "POST", "/api/v1/posts", map[string]any{"body": "hello", "public": true}, 403, "insufficient_scope")
	if after := bobsPosts(); !slices.Equal(before, after) {
		t.Fatalf("refused posts changed bob's stream: %v -> %v", before, after)
	}

	// Someone else's pending photo is refused too.
	alicePhoto, err := w.p.App.Photos.Upload(ctx, w.alice.Session, bytes.NewReader(pngBytes(t, 20, 10)))
	if err != nil {
		t.Fatal(err)
	}
	w.do(t, w.bobFull, "POST", "/api/v1/posts", map[string]any{"body": "photo", "public": true, "photos": []any{alicePhoto.GUID}}, 422, "")

	ex := example(t, "posts.md", "Publish a post")
	photo, err := w.p.App.Photos.Upload(ctx, w.bob.Session, bytes.NewReader(pngBytes(t, 20, 10)))
	if err != nil {
		t.Fatal(err)
	}
	got := w.do(t, w.bobFull, "POST", "/api/v1/posts", map[string]any{"body": "Hello @{alice@" + w.p.Opt.Host + "} #test", "public": true,
		"photos":   []any{photo.GUID},
		"poll":     map[string]any{"question": "Tea?", "poll_answers": []any{"Yes", "No"}},
		"location": map[string]any{"address": "Somewhere", "lat": 48.77, "lng": 9.17}}, 200, "")
	sameShape(t, "created post", ex.Response, got, postShapeOptional...)
	m := got.(map[string]any)
	if m["public"] != true || m["body"] != "Hello @{alice@"+w.p.Opt.Host+"} #test" {
		t.Errorf("created post: %v", got)
	}
	if ph, _ := m["photos"].([]any); len(ph) != 1 {
		t.Errorf("photos: %v", m["photos"])
	}
	if poll, _ := m["poll"].(map[string]any); poll == nil || poll["question"] != "Tea?" || len(poll["poll_answers"].([]any)) != 2 {
		t.Errorf("poll: %v", m["poll"])
	}
	if loc, _ := m["location"].(map[string]any); loc == nil || loc["address"] != "Somewhere" || loc["lat"] != 48.77 || loc["lng"] != 9.17 {
		t.Errorf("location: %v", m["location"])
	}
	if mp, _ := m["mentioned_people"].([]any); len(mp) != 1 {
		t.Errorf("mentioned_people: %v", m["mentioned_people"])
	}
	// The same post through the web's use case: GET answers the same.
	again := w.do(t, w.bobFull, "GET", "/api/v1/posts/"+m["guid"].(string), nil, 200, "")
	if again.(map[string]any)["body"] != m["body"] {
		t.Errorf("GET after create: %v", again)
	}
	// The photo is no longer pending: it cannot go into a second post.
	w.do(t, w.bobFull, "POST", "/api/v1/posts", map[string]any{"body": "again", "public": true, "photos": []any{photo.GUID}}, 422, "")

	// diaspora*'s own specs post forms, the token among the fields.
	resp, err := http.PostForm(w.p.Server.URL+"/api/v1/posts", url.Values{"access_token": {w.bobFull}, "body": {"From a form"},
		"public": {"true"}, "poll[question]": {"Form?"}, "poll[poll_answers][]": {"Yes", "No"},
		"location[address]": {"Here"}, "location[lat]": {"1"}, "location[lng]": {"2"}})
	if err != nil {
		t.Fatal(err)
	}
	var form map[string]any
	json.NewDecoder(resp.Body).Decode(&form)
	resp.Body.Close()
	if poll, _ := form["poll"].(map[string]any); resp.StatusCode != 200 || form["body"] != "From a form" || poll == nil || len(poll["poll_answers"].([]any)) != 2 ||
		form["location"].(map[string]any)["lng"] != 2.0 {
		t.Errorf("form post: %d %v", resp.StatusCode, form)
	}

	// A limited post, with private:modify; alice is not in bob's Family,
	// so she cannot read it; bob's own stream has it.
	if _, err := w.p.App.Contacts.AddToAspect(ctx, w.bob.Session, w.bob.Aspects["Family"], w.eve.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	got = w.do(t, w.bobFull, "POST", "/api/v1/posts", map[string]any{"body": "For family", "public": false, "aspects": []any{w.bob.Aspects["Family"]}}, 200, "")
	lim := got.(map[string]any)
	if lim["public"] != false {
		t.Errorf("limited post: %v", got)
	}
	w.do(t, w.eveFull, "GET", "/api/v1/posts/"+lim["guid"].(string), nil, 200, "")
	w.do(t, w.aliceFull, "GET", "/api/v1/posts/"+lim["guid"].(string), nil, 404, "")
	if !slices.Contains(bobsPosts(), lim["guid"].(string)) {
		t.Error("the limited post is not in its author's stream")
	}
}

func TestAPIDeletePost(t *testing.T) {
	w := newPostsWorld(t)
	ctx := context.Background()
	const notAllowed = "Not allowed to delete the post"
	// Someone else's post: 403 when the token sees it, 404 otherwise.
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/"+w.pub.GUID, nil, 403, notAllowed)
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/"+w.limited.GUID, nil, 403, notAllowed)
	w.do(t, w.bobPublic, "DELETE", "/api/v1/posts/"+w.limited.GUID, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "DELETE", "/api/v1/posts/"+w.limited.GUID, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/0123456789abcdef0123", nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.limited.GUID, nil, 200, "")

	own, err := w.p.App.Posts.CreatePost(ctx, w.bob.Session, posts.PostInput{Text: "mine", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	ownLimited, err := w.p.App.Posts.CreatePost(ctx, w.bob.Session, posts.PostInput{Text: "mine, limited", Audience: aspects.Selection{AllAspects: true}})
	if err != nil {
		t.Fatal(err)
	}
	w.do(t, w.bobRead, "DELETE", "/api/v1/posts/"+own.GUID, nil, 403, "insufficient_scope")
	// A limited post needs private:modify.
	w.do(t, w.bobPublic, "DELETE", "/api/v1/posts/"+ownLimited.GUID, nil, 403, notAllowed)
	w.do(t, w.bobFull, "GET", "/api/v1/posts/"+ownLimited.GUID, nil, 200, "")
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/"+ownLimited.GUID, nil, 204, "")
	w.do(t, w.bobFull, "GET", "/api/v1/posts/"+ownLimited.GUID, nil, 404, "")
	w.do(t, w.bobPublic, "DELETE", "/api/v1/posts/"+own.GUID, nil, 204, "")
	w.do(t, w.bobFull, "GET", "/api/v1/posts/"+own.GUID, nil, 404, "")
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/"+own.GUID, nil, 404, "")
}

func TestAPIComments(t *testing.T) {
	w := newPostsWorld(t)
	ctx := context.Background()
	base := "/api/v1/posts/" + w.pub.GUID + "/comments"
	got := w.do(t, w.bobFull, "POST", base, map[string]any{"body": "First, @{alice@" + w.p.Opt.Host + "}!"}, 201, "")
	sameShape(t, "new comment", example(t, "comments.md", "Add a comment to a post").Response, got)
	first := got.(map[string]any)
	if mp := first["mentioned_people"].([]any); len(mp) != 1 || mp[0].(map[string]any)["guid"] != w.alice.Session.GUID {
		t.Errorf("mentioned_people: %v", first["mentioned_people"])
	}
	second := w.do(t, w.aliceFull, "POST", base, map[string]any{"body": "Second"}, 201, "").(map[string]any)

	// Bad input and scopes change nothing.
	w.do(t, w.bobFull, "POST", base, map[string]any{"body": "  "}, 422, "")
	w.do(t, w.bobRead, "POST", base, map[string]any{"body": "no scope"}, 403, "insufficient_scope")
	w.do(t, w.bobFull, "POST", "/api/v1/posts/0123456789abcdef0123/comments", map[string]any{"body": "x"}, 404, "Post with provided guid could not be found")
	// The limited post: its reader comments with private:read only.
	lim := "/api/v1/posts/" + w.limited.GUID + "/comments"
	w.do(t, w.bobPublic, "POST", lim, map[string]any{"body": "no private:read"}, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "POST", lim, map[string]any{"body": "outsider"}, 404, "Post with provided guid could not be found")
	w.do(t, w.bobPublic, "GET", lim, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "GET", lim, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobFull, "POST", lim, map[string]any{"body": "family comment"}, 201, "")
	if got := apiGUIDs(t, w.do(t, w.bobFull, "GET", lim, nil, 200, "")); len(got) != 1 {
		t.Errorf("limited post's comments: %v", got)
	}
	// The list: oldest first by default, time-paged with Link headers.
	got = w.do(t, w.eveFull, "GET", base, nil, 200, "")
	sameShape(t, "comments", example(t, "comments.md", "Get comments for a post").Response, got)
	if g := apiGUIDs(t, got); !slices.Equal(g, []string{first["guid"].(string), second["guid"].(string)}) {
		t.Errorf("comments: %v", g)
	}
	code, h, got := apiDo(t, w.p, w.eveFull, "GET", base+"?per_page=1", nil)
	if g := apiGUIDs(t, got); code != 200 || !slices.Equal(g, []string{first["guid"].(string)}) {
		t.Fatalf("page 1: %d %v", code, g)
	}
	next := postsNextLink(h)
	if next == "" {
		t.Fatalf("no next link: %q", h.Get("Link"))
	}
	if _, _, got = apiDo(t, w.p, w.eveFull, "GET", next, nil); !slices.Equal(apiGUIDs(t, got), []string{second["guid"].(string)}) {
		t.Errorf("page 2 (%s): %v", next, got)
	}
	if _, _, got = apiDo(t, w.p, w.eveFull, "GET", base+"?before=2999-01-01T00:00:00.000Z&per_page=1", nil); !slices.Equal(apiGUIDs(t, got), []string{second["guid"].(string)}) {
		t.Errorf("before=: %v, want the newest", got)
	}
	w.do(t, w.eveFull, "GET", base+"?after=yesterday", nil, 422, "")

	// Reports: once per user; a comment of another post is not found.
	rep := base + "/" + first["guid"].(string) + "/report"
	w.do(t, w.eveFull, "POST", rep, map[string]any{"reason": ""}, 422, "")
	w.do(t, w.eveFull, "POST", rep, map[string]any{"reason": "rude"}, 204, "")
	w.do(t, w.eveFull, "POST", rep, map[string]any{"reason": "rude"}, 409, "This item already has been reported by this user")
	w.do(t, w.bobFull, "POST", lim+"/"+first["guid"].(string)+"/report", map[string]any{"reason": "x"}, 404, "Comment not found for the given post")
	w.do(t, w.bobRead, "POST", rep, map[string]any{"reason": "rude"}, 403, "insufficient_scope")
	got = w.do(t, w.eveFull, "GET", base, nil, 200, "")
	if r := got.([]any)[0].(map[string]any)["reported"]; r != true {
		t.Errorf("reported comment shows reported %v", r)
	}

	// Deleting: not someone else's comment on someone else's post; the
	// post's author may; unknown comments are 404.
	del := base + "/" + first["guid"].(string)
	w.do(t, w.eveFull, "DELETE", del, nil, 403, "User not allowed to delete the comment")
	w.do(t, w.bobFull, "DELETE", base+"/0123456789abcdef0123", nil, 404, "Comment not found for the given post")
	w.do(t, w.bobRead, "DELETE", del, nil, 403, "insufficient_scope")
	w.do(t, w.aliceFull, "DELETE", del, nil, 204, "")
	w.do(t, w.aliceFull, "DELETE", del, nil, 404, "Comment not found for the given post")
	w.do(t, w.aliceFull, "DELETE", base+"/"+second["guid"].(string), nil, 204, "")
	if got := apiGUIDs(t, w.do(t, w.eveFull, "GET", base, nil, 200, "")); len(got) != 0 {
		t.Errorf("comments after deleting: %v", got)
	}
	// An author who ignores bob: 422, as diaspora*.
	if _, err := w.p.App.Contacts.Block(ctx, w.eve.Session, w.bob.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	evePost, err := w.p.App.Posts.CreatePost(ctx, w.eve.Session, posts.PostInput{Text: "eve's", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+evePost.GUID+"/comments", map[string]any{"body": "hi"}, 422, "User is not allowed to comment")

}

func TestAPILikes(t *testing.T) {
	w := newPostsWorld(t)
	ctx := context.Background()
	likes := "/api/v1/posts/" + w.pub.GUID + "/likes"
	w.do(t, w.eveFull, "POST", likes, nil, 204, "")
	w.do(t, w.bobFull, "POST", likes, nil, 204, "")
	w.do(t, w.bobFull, "POST", likes, nil, 409, "Like already exists")
	w.do(t, w.bobRead, "POST", likes, nil, 403, "insufficient_scope")
	ex := example(t, "likes.md", "Get likes for a post")
	got := w.do(t, w.bobFull, "GET", likes, nil, 200, "")
	sameShape(t, "likes", ex.Response, got)
	// The user's own like comes first, as on diaspora*.
	if a := got.([]any); len(a) != 2 || a[0].(map[string]any)["author"].(map[string]any)["guid"] != w.bob.Session.GUID {
		t.Errorf("likes: %v", got)
	}
	code, h, got := apiDo(t, w.p, w.aliceFull, "GET", likes+"?per_page=1", nil)
	if code != 200 || len(got.([]any)) != 1 || postsNextLink(h) == "" {
		t.Errorf("per_page=1: %d %v, Link %q", code, got, h.Get("Link"))
	}
	if _, _, got := apiDo(t, w.p, w.aliceFull, "GET", postsNextLink(h), nil); len(got.([]any)) != 1 {
		t.Errorf("page 2: %v", got)
	}
	w.do(t, w.bobFull, "DELETE", likes, nil, 204, "")
	w.do(t, w.bobFull, "DELETE", likes, nil, 410, "Like doesn’t exist")
	if got := w.do(t, w.bobFull, "GET", likes, nil, 200, ""); len(got.([]any)) != 1 {
		t.Errorf("likes after unliking: %v", got)
	}
	w.do(t, w.bobFull, "POST", "/api/v1/posts/0123456789abcdef0123/likes", nil, 404, "Post with provided guid could not be found")

	// The limited post: private:read needed, outsiders get 404.
	lim := "/api/v1/posts/" + w.limited.GUID + "/likes"
	w.do(t, w.bobPublic, "POST", lim, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobPublic, "GET", lim, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "POST", lim, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "GET", lim, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobFull, "POST", lim, nil, 204, "")
	w.do(t, w.bobPublic, "DELETE", lim, nil, 404, "Post with provided guid could not be found")
	if got := w.do(t, w.bobFull, "GET", lim, nil, 200, ""); len(got.([]any)) != 1 {
		t.Errorf("limited post's likes: %v", got)
	}

	// Comments' likes.
	cv, err := w.p.App.Posts.Comment(ctx, w.alice.Session, w.pub.GUID, "a comment")
	if err != nil {
		t.Fatal(err)
	}
	clikes := "/api/v1/posts/" + w.pub.GUID + "/comments/" + cv.GUID + "/likes"
	w.do(t, w.bobFull, "POST", clikes, nil, 204, "")
	w.do(t, w.bobFull, "POST", clikes, nil, 409, "Like already exists")
	exc := example(t, "likes.md", "Get likes for a comment")
	got = w.do(t, w.eveFull, "GET", clikes, nil, 200, "")
	sameShape(t, "comment likes", exc.Response, got)
	if len(got.([]any)) != 1 {
		t.Errorf("comment likes: %v", got)
	}
	comments := w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.pub.GUID+"/comments", nil, 200, "")
	if in := comments.([]any)[0].(map[string]any)["interactions"].(map[string]any); in["liked"] != true || in["likes_count"] != 1.0 {
		t.Errorf("comment interactions: %v", in)
	}
	w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.pub.GUID+"/comments/badguid/likes", nil, 404, "Comment not found for the given post")
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.limited.GUID+"/comments/"+cv.GUID+"/likes", nil, 404, "Comment not found for the given post")
	w.do(t, w.bobFull, "DELETE", clikes, nil, 204, "")
	w.do(t, w.bobFull, "DELETE", clikes, nil, 410, "Like doesn’t exist")
	// A limited post's comment.
	lc, err := w.p.App.Posts.Comment(ctx, w.alice.Session, w.limited.GUID, "family")
	if err != nil {
		t.Fatal(err)
	}
	lcl := "/api/v1/posts/" + w.limited.GUID + "/comments/" + lc.GUID + "/likes"
	w.do(t, w.bobPublic, "POST", lcl, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobPublic, "GET", lcl, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "GET", lcl, nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobFull, "POST", lcl, nil, 204, "")
}

func TestAPIReshares(t *testing.T) {
	w := newPostsWorld(t)
	reshares := "/api/v1/posts/" + w.pub.GUID + "/reshares"
	ex := example(t, "reshares.md", "Reshare a post")
	got := w.do(t, w.eveFull, "POST", reshares, nil, 200, "")
	sameShape(t, "reshare", ex.Response, got, postShapeOptional...)
	if m := got.(map[string]any); m["post_type"] != "Reshare" || m["root"].(map[string]any)["guid"] != w.pub.GUID {
		t.Errorf("reshare: %v", got)
	}
	w.do(t, w.eveFull, "POST", reshares, nil, 409, "Reshare already exists")
	w.do(t, w.aliceFull, "POST", reshares, nil, 422, "")
	w.do(t, w.bobRead, "POST", reshares, nil, 403, "insufficient_scope")
	w.do(t, w.bobFull, "POST", "/api/v1/posts/0123456789abcdef0123/reshares", nil, 404, "Post with provided guid could not be found")
	// A limited post cannot be reshared, and its outsiders learn nothing.
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.limited.GUID+"/reshares", nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "POST", "/api/v1/posts/"+w.limited.GUID+"/reshares", nil, 404, "Post with provided guid could not be found")
	w.do(t, w.bobFull, "POST", reshares, nil, 200, "")

	exList := example(t, "reshares.md", "Get reshares for a single post")
	got = w.do(t, w.bobFull, "GET", reshares, nil, 200, "")
	sameShape(t, "reshares", exList.Response, got)
	if a := got.([]any); len(a) != 2 || a[0].(map[string]any)["author"].(map[string]any)["guid"] != w.bob.Session.GUID {
		t.Errorf("reshares (own first): %v", got)
	}
	code, h, got := apiDo(t, w.p, w.aliceFull, "GET", reshares+"?per_page=1&page=2", nil)
	if code != 200 || len(got.([]any)) != 1 || !regexp.MustCompile(`rel="previous"`).MatchString(h.Get("Link")) || postsNextLink(h) != "" {
		t.Errorf("page 2 of 2: %d %v, Link %q", code, got, h.Get("Link"))
	}
	w.do(t, w.bobFull, "GET", reshares+"?page=x", nil, 422, "")
	for _, path := range []string{reshares, "/api/v1/posts/" + w.pub.GUID + "/likes"} {
		if got := w.do(t, w.bobFull, "GET", path+"?page=922337203685477581&per_page=100", nil, 200, ""); len(got.([]any)) != 0 {
			t.Errorf("a page far beyond the end: %v", got)
		}
	}
	w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.limited.GUID+"/reshares", nil, 200, "")
	w.do(t, w.bobPublic, "GET", "/api/v1/posts/"+w.limited.GUID+"/reshares", nil, 404, "Post with provided guid could not be found")
	w.do(t, w.eveFull, "GET", "/api/v1/posts/"+w.limited.GUID+"/reshares", nil, 404, "Post with provided guid could not be found")
	if got := w.do(t, w.bobFull, "GET", "/api/v1/posts/"+w.pub.GUID, nil, 200, ""); got.(map[string]any)["interaction_counters"].(map[string]any)["reshares"] != 2.0 {
		t.Errorf("reshare counter: %v", got)
	}
}

func TestAPIPostInteractions(t *testing.T) {
	w := newPostsWorld(t)
	ctx := context.Background()
	post := "/api/v1/posts/" + w.pub.GUID
	lim := "/api/v1/posts/" + w.limited.GUID
	const notFound = "Post with provided guid could not be found"

	// Every interaction: the scope, the limited post's privacy, an
	// unknown post.
	for _, action := range []string{"subscribe", "mute", "hide", "report", "vote"} {
		body := map[string]any{"hide": true, "reason": "why", "poll_answer": 1}
		w.do(t, w.bobRead, "POST", post+"/"+action, body, 403, "insufficient_scope")
		w.do(t, w.bobPublic, "POST", lim+"/"+action, body, 404, notFound)
		w.do(t, w.eveFull, "POST", lim+"/"+action, body, 404, notFound)
		w.do(t, w.bobFull, "POST", "/api/v1/posts/0123456789abcdef0123/"+action, body, 404, notFound)
	}

	w.do(t, w.bobFull, "POST", post+"/subscribe", nil, 204, "")
	w.do(t, w.bobFull, "POST", post+"/subscribe", nil, 409, "")
	w.do(t, w.bobFull, "POST", post+"/mute", nil, 204, "")
	w.do(t, w.bobFull, "POST", post+"/mute", nil, 410, "")
	w.do(t, w.bobFull, "POST", lim+"/subscribe", nil, 204, "")

	// Hiding: the limited post alice shared with bob is in his stream.
	inStream := func() bool {
		return slices.Contains(w.p.StreamGUIDs(t, w.bob.Session, streams.StreamQuery{Kind: streams.StreamMain}), w.limited.GUID)
	}
	if !inStream() {
		t.Fatal("the limited post is not in bob's stream")
	}
	w.do(t, w.bobFull, "POST", lim+"/hide", map[string]any{}, 422, "Missing parameter")
	w.do(t, w.bobFull, "POST", lim+"/hide", map[string]any{"hide": false}, 410, "Post not hidden")
	w.do(t, w.bobFull, "POST", lim+"/hide", map[string]any{"hide": true}, 204, "")
	w.do(t, w.bobFull, "POST", lim+"/hide", map[string]any{"hide": true}, 409, "Post already hidden")
	if inStream() {
		t.Error("a hidden post is in the stream")
	}
	w.do(t, w.bobFull, "POST", lim+"/hide", map[string]any{"hide": false}, 204, "")
	if !inStream() {
		t.Error("an unhidden post is not back in the stream")
	}

	w.do(t, w.bobFull, "POST", post+"/report", map[string]any{}, 422, "")
	w.do(t, w.bobFull, "POST", post+"/report", map[string]any{"reason": "spam"}, 204, "")
	w.do(t, w.bobFull, "POST", post+"/report", map[string]any{"reason": "spam"}, 409, "Failed to create report on this post")
	w.do(t, w.bobFull, "POST", lim+"/report", map[string]any{"reason": "leak"}, 204, "")

	// Votes: once; an answer of another poll is 422; a post without a
	// poll is 422.
	pollPost, err := w.p.App.Posts.CreatePost(ctx, w.alice.Session, posts.PostInput{Text: "Vote", Audience: aspects.Selection{Public: true},
		Poll: polls.Input{Question: "Tea?", Answers: []string{"Yes", "No"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := w.do(t, w.bobFull, "GET", "/api/v1/posts/"+pollPost.GUID, nil, 200, "")
	answers := got.(map[string]any)["poll"].(map[string]any)["poll_answers"].([]any)
	yes := answers[0].(map[string]any)["id"]
	vote := "/api/v1/posts/" + pollPost.GUID + "/vote"
	w.do(t, w.bobFull, "POST", vote, map[string]any{"poll_answer": 999999999}, 422, "")
	w.do(t, w.bobFull, "POST", vote, map[string]any{}, 422, "")
	w.do(t, w.bobFull, "POST", post+"/vote", map[string]any{"poll_answer": yes}, 422, "")
	w.do(t, w.bobFull, "POST", vote, map[string]any{"poll_answer": yes}, 204, "")
	w.do(t, w.bobFull, "POST", vote, map[string]any{"poll_answer": yes}, 422, "")
	w.do(t, w.eveFull, "POST", vote, map[string]any{"poll_answer_id": yes}, 204, "")
	got = w.do(t, w.bobFull, "GET", "/api/v1/posts/"+pollPost.GUID, nil, 200, "")
	poll := got.(map[string]any)["poll"].(map[string]any)
	if poll["participation_count"] != 2.0 || poll["already_participated"] != true || poll["poll_answers"].([]any)[0].(map[string]any)["vote_count"] != 2.0 {
		t.Errorf("poll after two votes: %v", poll)
	}
}

// TestAPIWritesFederate checks that the API's writes go through the web's
// use cases and so through the outbox: each leaves the federation event
// the web's would, and a refused write leaves none.
func TestAPIWritesFederate(t *testing.T) {
	w := newPostsWorld(t)
	count := func(typ string) int {
		t.Helper()
		var n int
		if err := w.p.Store.Scalar(context.Background(), &n, `SELECT count(*) FROM outbox WHERE task_type = '`+typ+`'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	check := func(what, typ string, before, want int) {
		t.Helper()
		if got := count(typ); got-before != want {
			t.Errorf("%s: %d new %s events, want %d", what, got-before, typ, want)
		}
	}
	n := count(tasks.TypePostPublished)
	got := w.do(t, w.bobFull, "POST", "/api/v1/posts", map[string]any{"body": "federated", "public": true}, 200, "")
	w.do(t, w.bobFull, "POST", "/api/v1/posts", map[string]any{"body": "refused", "public": false}, 422, "")
	check("create", tasks.TypePostPublished, n, 1)
	n = count(tasks.TypePostPublished)
	w.do(t, w.eveFull, "POST", "/api/v1/posts/"+w.pub.GUID+"/reshares", nil, 200, "")
	w.do(t, w.eveFull, "POST", "/api/v1/posts/"+w.pub.GUID+"/reshares", nil, 409, "")
	check("reshare", tasks.TypePostPublished, n, 1)
	n = count(tasks.TypeCommentAdded)
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.limited.GUID+"/comments", map[string]any{"body": "hi"}, 201, "")
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.limited.GUID+"/comments", map[string]any{"body": ""}, 422, "")
	check("comment", tasks.TypeCommentAdded, n, 1)
	n = count(tasks.TypeLikeAdded)
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.limited.GUID+"/likes", nil, 204, "")
	w.do(t, w.bobFull, "POST", "/api/v1/posts/"+w.limited.GUID+"/likes", nil, 409, "")
	check("like", tasks.TypeLikeAdded, n, 1)
	n = count(tasks.TypeRetracted)
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/"+w.limited.GUID+"/likes", nil, 204, "")
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/"+got.(map[string]any)["guid"].(string), nil, 204, "")
	w.do(t, w.bobFull, "DELETE", "/api/v1/posts/"+w.pub.GUID, nil, 403, "")
	check("unlike and delete", tasks.TypeRetracted, n, 2)
}
