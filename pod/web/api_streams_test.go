package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
)

// streamsWorld is diaspora*'s streams_controller_spec in small: alice
// and bob share with each other (Friends); each writes a public and a
// limited post with #test, mentioning themselves, and likes and comments
// on them; alice follows #test. eve shares with nobody and follows #test.
type streamsWorld struct {
	p                          *podtest.Pod
	alice, bob, eve            *podtest.User
	aPub, aLim, bPub, bLim     string // post GUIDs
	aliceFull, alicePub, eveTk string // tokens
	aliceBare                  string // public:read only
}

func newStreamsWorld(t *testing.T) *streamsWorld {
	t.Helper()
	p := podtest.NewReachable(t)
	ctx := context.Background()
	w := &streamsWorld{p: p, alice: p.NewUser(t, "alice"), bob: p.NewUser(t, "bob"), eve: p.NewUser(t, "eve")}
	for _, pair := range [][2]*podtest.User{{w.alice, w.bob}, {w.bob, w.alice}} {
		if _, err := p.App.Contacts.AddToAspect(ctx, pair[0].Session, pair[0].Aspects["Friends"], pair[1].Session.PersonID); err != nil {
			t.Fatal(err)
		}
	}
	post := func(u *podtest.User, public bool) string {
		t.Helper()
		sel := aspects.Selection{Public: public}
		if !public {
			sel.Aspects = []int64{u.Aspects["Friends"]}
		}
		text := fmt.Sprintf("a status message of %s, public %v #test @{%s; %s@%s}", u.Name, public, u.Name, u.Name, p.Opt.Host)
		pv, err := p.App.Posts.CreatePost(ctx, u.Session, posts.PostInput{Text: text, Audience: sel})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.App.Posts.Comment(ctx, u.Session, pv.GUID, "Comment"); err != nil {
			t.Fatal(err)
		}
		if _, err := p.App.Posts.Like(ctx, u.Session, pv.GUID, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct times for the paging checks
		return pv.GUID
	}
	w.aPub, w.aLim, w.bPub, w.bLim = post(w.alice, true), post(w.alice, false), post(w.bob, true), post(w.bob, false)
	for _, u := range []*podtest.User{w.alice, w.eve} {
		if _, _, err := p.App.Streams.FollowTag(ctx, u.Session, "test"); err != nil {
			t.Fatal(err)
		}
	}
	w.aliceFull = apiTokenFor(t, p, "alice", "openid", "public:read", "private:read", "contacts:read", "tags:read")
	w.alicePub = apiTokenFor(t, p, "alice", "openid", "public:read", "tags:read")
	w.aliceBare = apiTokenFor(t, p, "alice", "openid", "public:read")
	w.eveTk = apiTokenFor(t, p, "eve", "openid", "public:read", "private:read", "contacts:read", "tags:read")
	return w
}

// sortedGUIDs is the sorted GUIDs of an answer that is a list of posts.
func sortedGUIDs(t *testing.T, body any) []string {
	t.Helper()
	list, ok := body.([]any)
	if !ok {
		t.Fatalf("not a list: %v", body)
	}
	out := []string{}
	for _, x := range list {
		out = append(out, x.(map[string]any)["guid"].(string))
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestAPIStreams reads every stream kind with and without private:read
// (diaspora*'s streams_controller_spec): the token without it never sees
// a limited post, the user's own included; the shapes are the
// documented ones; the scopes are checked.
func TestAPIStreams(t *testing.T) {
	w := newStreamsWorld(t)
	friends := strconv.FormatInt(w.alice.Aspects["Friends"], 10)
	work := strconv.FormatInt(w.alice.Aspects["Work"], 10)
	all := sorted(w.aPub, w.aLim, w.bPub, w.bLim)
	pubs := sorted(w.aPub, w.bPub)
	mine := sorted(w.aPub, w.aLim)
	for _, tc := range []struct {
		name, token, path string
		want              []string
	}{
		{"main", w.aliceFull, "/api/v1/streams/main", all},
		{"main without private:read", w.alicePub, "/api/v1/streams/main", pubs},
		{"activity", w.aliceFull, "/api/v1/streams/activity", mine},
		{"activity without private:read", w.alicePub, "/api/v1/streams/activity", []string{w.aPub}},
		{"aspects, all", w.aliceFull, "/api/v1/streams/aspects", all},
		{"aspects, Friends", w.aliceFull, "/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape("["+friends+"]"), all},
		{"aspects, [] is all", w.aliceFull, "/api/v1/streams/aspects?aspect_ids=%5B%5D", all},
		{"aspects, Work (nobody; alice's public post)", w.aliceFull, "/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape("["+work+"]"), []string{w.aPub}},
		{"tags", w.aliceFull, "/api/v1/streams/tags", all},
		{"tags without private:read", w.alicePub, "/api/v1/streams/tags", pubs},
		{"tags of someone outside the audiences", w.eveTk, "/api/v1/streams/tags", pubs},
		{"mentions", w.aliceFull, "/api/v1/streams/mentions", mine},
		{"mentions without private:read", w.alicePub, "/api/v1/streams/mentions", []string{w.aPub}},
		{"liked", w.aliceFull, "/api/v1/streams/liked", mine},
		{"liked without private:read", w.alicePub, "/api/v1/streams/liked", []string{w.aPub}},
		{"commented", w.aliceFull, "/api/v1/streams/commented", mine},
		{"commented without private:read", w.alicePub, "/api/v1/streams/commented", []string{w.aPub}},
		{"main of someone outside the audiences", w.eveTk, "/api/v1/streams/main", pubs},
		{"search posts", w.aliceFull, "/api/v1/search/posts?tag=test", all},
		{"search posts, #Test", w.aliceFull, "/api/v1/search/posts?tag=%23Test", all},
		{"search posts without private:read", w.alicePub, "/api/v1/search/posts?tag=test", pubs},
		{"search posts outside the audiences", w.eveTk, "/api/v1/search/posts?tag=test", pubs},
		{"search posts, unknown tag", w.aliceFull, "/api/v1/search/posts?tag=nothingsotagged", []string{}},
	} {
		code, h, body := apiDo(t, w.p, tc.token, "GET", tc.path, nil)
		if code != http.StatusOK {
			t.Errorf("%s: %d %v", tc.name, code, body)
			continue
		}
		if got := sortedGUIDs(t, body); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		sameShape(t, tc.name, example(t, "streams.md", "Get the main stream").Response, body,
			"provider_display_name", "own_interaction_state.reshated")
		if strings.Contains(h.Get("Link"), `rel="previous"`) && strings.HasPrefix(tc.path, "/api/v1/streams/") {
			t.Errorf("%s: a stream has a previous link: %s", tc.name, h.Get("Link"))
		}
	}
	_, _, body := apiDo(t, w.p, w.aliceFull, "GET", "/api/v1/search/posts?tag=test", nil)
	sameShape(t, "search posts", example(t, "search.md", "Search for posts").Response, body,
		"provider_display_name", "own_interaction_state.reshated")

	// Scopes: the aspects stream needs contacts:read and private:read,
	// the tags stream tags:read; a bad token is a 401.
	for _, tc := range []struct{ token, path string }{
		{w.alicePub, "/api/v1/streams/aspects"},
		{w.aliceBare, "/api/v1/streams/tags"},
	} {
		code, _, body := apiDo(t, w.p, tc.token, "GET", tc.path, nil)
		wantAPIError(t, tc.path+" without its scope", code, body, http.StatusForbidden, "insufficient_scope")
	}
	for _, kind := range []string{"main", "activity", "aspects", "tags", "mentions", "liked", "commented"} {
		if code, _, _ := apiDo(t, w.p, strings.Repeat("ab", 32), "GET", "/api/v1/streams/"+kind, nil); code != http.StatusUnauthorized {
			t.Errorf("%s with an unknown token: %d", kind, code)
		}
	}
}

// TestAPIStreamErrors: bad aspect_ids, another user's aspect and bad
// paging parameters are 422s.
func TestAPIStreamErrors(t *testing.T) {
	w := newStreamsWorld(t)
	bobs := strconv.FormatInt(w.bob.Aspects["Friends"], 10)
	mine := strconv.FormatInt(w.alice.Aspects["Friends"], 10)
	for _, path := range []string{
		"/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape("[1,"),
		"/api/v1/streams/aspects?aspect_ids=abc",
		"/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape(`["a"]`),
		"/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape(`{"id":1}`),
		"/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape("["+bobs+"]"),
		"/api/v1/streams/aspects?aspect_ids=" + url.QueryEscape("["+mine+","+bobs+"]"),
		"/api/v1/streams/main?before=yesterday",
		"/api/v1/streams/main?per_page=many",
		"/api/v1/streams/activity?after=2020-01-01T00:00:00.000Z",
		"/api/v1/search/posts?tag=test&before=soon",
		"/api/v1/search/posts?tag=" + url.QueryEscape("no spaces"),
	} {
		code, _, body := apiDo(t, w.p, w.aliceFull, "GET", path, nil)
		wantAPIError(t, path, code, body, http.StatusUnprocessableEntity, "")
	}
	code, _, body := apiDo(t, w.p, w.aliceFull, "GET", "/api/v1/search/posts", nil)
	wantAPIError(t, "search posts without tag", code, body, http.StatusUnprocessableEntity, "param is missing or the value is empty: tag")
}

var nextLinkRE = regexp.MustCompile(`<([^>]+)>; rel="next"`)

// TestAPIStreamPaging follows the next links of the main stream one post
// a page: every post once, newest first, and before= takes an ISO time.
func TestAPIStreamPaging(t *testing.T) {
	w := newStreamsWorld(t)
	if got := followNext(t, w, "/api/v1/streams/main?per_page=1"); !slices.Equal(got, []string{w.bLim, w.bPub, w.aLim, w.aPub}) {
		t.Errorf("main pages: %v, want newest first %v", got, []string{w.bLim, w.bPub, w.aLim, w.aPub})
	}
	// The activity stream pages by last interaction: bob's comment on
	// alice's public post brings it first.
	if _, err := w.p.App.Posts.Comment(context.Background(), w.bob.Session, w.aPub, "late"); err != nil {
		t.Fatal(err)
	}
	if got := followNext(t, w, "/api/v1/streams/activity?per_page=1"); !slices.Equal(got, []string{w.aPub, w.aLim}) {
		t.Errorf("activity pages: %v, want %v", got, []string{w.aPub, w.aLim})
	}
	if got := followNext(t, w, "/api/v1/search/posts?tag=test&per_page=3"); len(got) != 4 || len(sorted(got...)) != 4 {
		t.Errorf("post search pages: %v", got)
	}
	// before= in diaspora*'s format (milliseconds): what is older.
	pv, err := w.p.App.Posts.Post(context.Background(), w.alice.Session, w.bPub)
	if err != nil {
		t.Fatal(err)
	}
	before := pv.Post.CreatedAt.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	_, _, body := apiDo(t, w.p, w.aliceFull, "GET", "/api/v1/streams/main?before="+before, nil)
	if g := sortedGUIDs(t, body); !slices.Equal(g, sorted(w.aPub, w.aLim)) {
		t.Errorf("before %s: %v", before, g)
	}
}

// followNext reads path as alice (with private:read) and follows the
// next links to the end: the GUIDs in the order read, none twice.
func followNext(t *testing.T, w *streamsWorld, path string) []string {
	t.Helper()
	var got []string
	for range 10 {
		code, h, body := apiDo(t, w.p, w.aliceFull, "GET", path, nil)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %v", path, code, body)
		}
		page := body.([]any)
		if len(page) == 0 {
			return got
		}
		for _, x := range page {
			g := x.(map[string]any)["guid"].(string)
			if slices.Contains(got, g) {
				t.Fatalf("%s repeats %s", path, g)
			}
			got = append(got, g)
		}
		m := nextLinkRE.FindStringSubmatch(h.Get("Link"))
		if m == nil || strings.Contains(h.Get("Link"), "previous") || strings.Contains(m[1], "access_token") {
			t.Fatalf("%s: Link %q", path, h.Get("Link"))
		}
		u, _ := url.Parse(m[1])
		if u.Query().Get("per_page") == "" || u.Query().Get("before") == "" {
			t.Fatalf("next link %s", m[1])
		}
		path = u.RequestURI()
	}
	t.Fatalf("%s: more than 10 pages", path)
	return nil
}

// TestAPISearchUsers is diaspora*'s search_controller_spec for users:
// by name or handle, hidden profiles only for contacts with
// contacts:read, the contact and aspect filters, and the 422s and 403s.
func TestAPISearchUsers(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	me := p.NewUser(t, "searcher")
	// Contacts: recv1/recv2 the user shares with, shar1 shares with the
	// user, mutual both; all named "findme".
	users := map[string]*podtest.User{}
	for _, n := range []string{"findmerecv", "findmeshar", "findmemutual", "findmestranger", "findmehidden"} {
		users[n] = p.NewUser(t, n)
	}
	add := func(who, whom *podtest.User, aspect string) {
		t.Helper()
		if _, err := p.App.Contacts.AddToAspect(ctx, who.Session, who.Aspects[aspect], whom.Session.PersonID); err != nil {
			t.Fatal(err)
		}
	}
	add(me, users["findmerecv"], "Friends")
	add(me, users["findmemutual"], "Friends")
	add(me, users["findmemutual"], "Work")
	add(users["findmemutual"], me, "Friends")
	add(users["findmeshar"], me, "Friends")
	add(me, users["findmehidden"], "Work")
	if err := p.Store.Exec(ctx, `UPDATE profiles SET searchable = false WHERE person_id = ?`, users["findmehidden"].Session.PersonID); err != nil {
		t.Fatal(err)
	}
	full := apiTokenFor(t, p, "searcher", "openid", "public:read", "contacts:read")
	public := apiTokenFor(t, p, "searcher", "openid", "public:read")
	other := p.NewUser(t, "other")
	handles := func(body any) []string {
		out := []string{}
		for _, x := range body.([]any) {
			id := x.(map[string]any)["diaspora_id"].(string)
			out = append(out, strings.TrimSuffix(id, "@"+p.Opt.Host))
		}
		slices.Sort(out)
		return out
	}
	friends, work := me.Aspects["Friends"], me.Aspects["Work"]
	for _, tc := range []struct {
		name, token, query string
		want               []string
	}{
		{"by name", public, "name_or_handle=findme", []string{"findmemutual", "findmerecv", "findmeshar", "findmestranger"}},
		{"hidden found by a contact with contacts:read", full, "name_or_handle=findme", []string{"findmehidden", "findmemutual", "findmerecv", "findmeshar", "findmestranger"}},
		{"hidden not found by handle without contacts:read", public, "name_or_handle=" + url.QueryEscape("findmehidden@"+p.Opt.Host), []string{}},
		{"one character finds nobody", public, "name_or_handle=f", []string{}},
		{"contacts", full, "name_or_handle=findme&filter=contacts", []string{"findmehidden", "findmemutual", "findmerecv", "findmeshar"}},
		{"receiving", full, "name_or_handle=findme&filter=contacts:receiving", []string{"findmehidden", "findmemutual", "findmerecv"}},
		{"sharing", full, "name_or_handle=findme&filter[]=contacts:sharing", []string{"findmemutual", "findmeshar"}},
		{"mutual", full, "name_or_handle=findme&filter[]=contacts:sharing&filter[]=contacts:receiving", []string{"findmemutual"}},
		{"one aspect", full, fmt.Sprintf("name_or_handle=findme&filter=aspect:%d", friends), []string{"findmemutual", "findmerecv"}},
		{"either aspect", full, fmt.Sprintf("name_or_handle=findme&filter=aspect:%d,%d", friends, work), []string{"findmehidden", "findmemutual", "findmerecv"}},
		{"both aspects", full, fmt.Sprintf("name_or_handle=findme&filter[]=aspect:%d&filter[]=aspect:%d", friends, work), []string{"findmemutual"}},
		{"by tag: no profile tags here", public, "tag=findme", []string{}},
	} {
		code, _, body := apiDo(t, p, tc.token, "GET", "/api/v1/search/users?"+tc.query, nil)
		if code != http.StatusOK {
			t.Errorf("%s: %d %v", tc.name, code, body)
			continue
		}
		if got := handles(body); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		sameShape(t, tc.name, example(t, "search.md", "Search for users").Response, body)
	}
	for _, tc := range []struct {
		name, token, query string
		code               int
		msg                string
	}{
		{"both", public, "name_or_handle=a&tag=b", 422, "Parameters tag and name_or_handle are exclusive"},
		{"neither", public, "", 422, "Missing parameter tag or name_or_handle"},
		{"invalid filter", full, "name_or_handle=findme&filter=contacts:thingsiwant", 422, "Invalid filter"},
		{"aspect 0", full, "name_or_handle=findme&filter=aspect:0", 422, "Invalid aspect filter"},
		{"one bad aspect", full, fmt.Sprintf("name_or_handle=findme&filter=aspect:%d,0", friends), 422, "Invalid aspect filter"},
		{"not a number", full, "name_or_handle=findme&filter=aspect:x", 422, "Invalid aspect filter"},
		{"another user's aspect", full, fmt.Sprintf("name_or_handle=findme&filter=aspect:%d", other.Aspects["Friends"]), 422, "Invalid aspect filter"},
		{"contacts filter without contacts:read", public, "name_or_handle=findme&filter=contacts", 403, "insufficient_scope"},
		{"aspect filter without contacts:read", public, fmt.Sprintf("name_or_handle=findme&filter=aspect:%d", friends), 403, "insufficient_scope"},
		{"bad page", public, "name_or_handle=findme&page=x", 422, ""},
	} {
		code, _, body := apiDo(t, p, tc.token, "GET", "/api/v1/search/users?"+tc.query, nil)
		wantAPIError(t, tc.name, code, body, tc.code, tc.msg)
	}
	// Index paging: two a page, a next link to page 2, a previous back.
	code, h, body := apiDo(t, p, public, "GET", "/api/v1/search/users?name_or_handle=findme&per_page=2", nil)
	if code != http.StatusOK || len(body.([]any)) != 2 || !strings.Contains(h.Get("Link"), `page=2>; rel="next"`) {
		t.Errorf("page 1: %d %v, Link %q", code, body, h.Get("Link"))
	}
	code, h, body = apiDo(t, p, public, "GET", "/api/v1/search/users?name_or_handle=findme&per_page=2&page=2", nil)
	if code != http.StatusOK || len(body.([]any)) != 2 || strings.Contains(h.Get("Link"), "next") || !strings.Contains(h.Get("Link"), "previous") {
		t.Errorf("page 2: %d %v, Link %q", code, body, h.Get("Link"))
	}
}

// TestAPISearchTags: a prefix search over the tags the user may know
// of; a tag only on a limited post is unknown outside its audience, and
// to the author's token without private:read.
func TestAPISearchTags(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	for _, tag := range []string{"apipartyone", "apipartytwo", "apipartythree"} {
		if _, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "#" + tag, Audience: aspects.Selection{Public: true}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "#apipartysecret",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Family"]}}}); err != nil {
		t.Fatal(err)
	}
	aliceFull := apiTokenFor(t, p, "alice", "openid", "public:read", "private:read", "contacts:read")
	alicePub := apiTokenFor(t, p, "alice", "openid", "public:read")
	bobTk := apiTokenFor(t, p, "bob", "openid", "public:read", "private:read", "contacts:read")
	_ = bob
	for _, tc := range []struct {
		name, token, query string
		want               []string
	}{
		{"all", aliceFull, "apiparty", []string{"apipartyone", "apipartysecret", "apipartythree", "apipartytwo"}},
		{"prefix", aliceFull, "apipartyt", []string{"apipartythree", "apipartytwo"}},
		{"without private:read", alicePub, "apiparty", []string{"apipartyone", "apipartythree", "apipartytwo"}},
		{"outside the audience", bobTk, "APIPARTY", []string{"apipartyone", "apipartythree", "apipartytwo"}},
		{"nothing", bobTk, "zzz", []string{}},
	} {
		code, _, body := apiDo(t, p, tc.token, "GET", "/api/v1/search/tags?query="+tc.query, nil)
		if code != http.StatusOK {
			t.Errorf("%s: %d %v", tc.name, code, body)
			continue
		}
		got := []string{}
		for _, x := range body.([]any) {
			got = append(got, x.(string))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		sameShape(t, tc.name, example(t, "search.md", "Search for tags").Response, body)
	}
	code, h, body := apiDo(t, p, aliceFull, "GET", "/api/v1/search/tags?query=apiparty&per_page=3", nil)
	if code != http.StatusOK || len(body.([]any)) != 3 || !strings.Contains(h.Get("Link"), `rel="next"`) {
		t.Errorf("paged: %d %v %q", code, body, h.Get("Link"))
	}
	code, _, body = apiDo(t, p, aliceFull, "GET", "/api/v1/search/tags", nil)
	wantAPIError(t, "no query", code, body, http.StatusUnprocessableEntity, "param is missing or the value is empty: query")
	code, _, body = apiDo(t, p, aliceFull, "GET", "/api/v1/search/tags?query="+url.QueryEscape("a b"), nil)
	wantAPIError(t, "bad query", code, body, http.StatusUnprocessableEntity, "")
}

// TestAPITagFollowings is diaspora*'s tag_followings_controller_spec:
// list, follow (409 twice, 422 for a bad name), unfollow (410 when not
// followed), with their scopes; a refused request changes nothing.
func TestAPITagFollowings(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	u := p.NewUser(t, "tagger")
	for _, tag := range []string{"tag1", "tag2", "tag3"} {
		if _, _, err := p.App.Streams.FollowTag(ctx, u.Session, tag); err != nil {
			t.Fatal(err)
		}
	}
	rw := apiTokenFor(t, p, "tagger", "openid", "tags:read", "tags:modify")
	ro := apiTokenFor(t, p, "tagger", "openid", "tags:read")
	bare := apiTokenFor(t, p, "tagger", "openid")
	list := func() []string {
		t.Helper()
		code, _, body := apiDo(t, p, ro, "GET", "/api/v1/tag_followings", nil)
		if code != http.StatusOK {
			t.Fatalf("list: %d %v", code, body)
		}
		sameShape(t, "tag followings", example(t, "tag_followings.md", "Get list of followed tags").Response, body)
		out := []string{}
		for _, x := range body.([]any) {
			out = append(out, x.(string))
		}
		return out
	}
	if got := list(); !slices.Equal(got, []string{"tag1", "tag2", "tag3"}) {
		t.Fatalf("list = %v", got)
	}
	ex := example(t, "tag_followings.md", "Follow a tag")
	if code, _, body := apiDo(t, p, rw, ex.Method, "/api/v1/tag_followings", ex.Request); code != http.StatusNoContent || body != nil {
		t.Errorf("follow cats: %d %v", code, body)
	}
	if code, _, body := apiDo(t, p, rw, "POST", "/api/v1/tag_followings", map[string]any{"name": "#Tag4"}); code != http.StatusNoContent {
		t.Errorf("follow #Tag4: %d %v", code, body)
	}
	want := []string{"cats", "tag1", "tag2", "tag3", "tag4"}
	if got := list(); !slices.Equal(got, want) {
		t.Fatalf("after following: %v", got)
	}
	for _, tc := range []struct {
		name, token, method, path string
		body                      any
		code                      int
		msg                       string
	}{
		{"follow twice", rw, "POST", "/api/v1/tag_followings", map[string]any{"name": "tag3"}, 409, "Already following this tag"},
		{"no name", rw, "POST", "/api/v1/tag_followings", map[string]any{}, 422, "Failed to process the tag followings request"},
		{"bad name", rw, "POST", "/api/v1/tag_followings", map[string]any{"name": "no spaces"}, 422, "Failed to process the tag followings request"},
		{"a name that is not text", rw, "POST", "/api/v1/tag_followings", map[string]any{"name": 5}, 400, ""},
		{"a list for a name", rw, "POST", "/api/v1/tag_followings", map[string]any{"name": []string{"a", "b"}}, 400, ""},
		{"follow without tags:modify", ro, "POST", "/api/v1/tag_followings", map[string]any{"name": "tag9"}, 403, "insufficient_scope"},
		{"unfollow not followed", rw, "DELETE", "/api/v1/tag_followings/never", nil, 410, "Not following this tag"},
		{"unfollow unknown", rw, "DELETE", "/api/v1/tag_followings/" + fmt.Sprint(time.Now().UnixNano()), nil, 410, "Not following this tag"},
		{"unfollow without tags:modify", ro, "DELETE", "/api/v1/tag_followings/tag1", nil, 403, "insufficient_scope"},
		{"list without tags:read", bare, "GET", "/api/v1/tag_followings", nil, 403, "insufficient_scope"},
		{"bad token", strings.Repeat("cd", 32), "GET", "/api/v1/tag_followings", nil, 401, ""},
	} {
		code, _, body := apiDo(t, p, tc.token, tc.method, tc.path, tc.body)
		wantAPIError(t, tc.name, code, body, tc.code, tc.msg)
	}
	if got := list(); !slices.Equal(got, want) {
		t.Fatalf("refused requests changed the list: %v", got)
	}
	if code, _, body := apiDo(t, p, rw, "DELETE", "/api/v1/tag_followings/tag1", nil); code != http.StatusNoContent {
		t.Errorf("unfollow tag1: %d %v", code, body)
	}
	if got := list(); !slices.Equal(got, []string{"cats", "tag2", "tag3", "tag4"}) {
		t.Errorf("after unfollowing: %v", got)
	}
	code, _, body := apiDo(t, p, rw, "DELETE", "/api/v1/tag_followings/tag1", nil)
	wantAPIError(t, "unfollow twice", code, body, http.StatusGone, "Not following this tag")
}

// TestAPITokenCheckStatements: a token checked once is checked again
// from the cache without any SQL statement (issue 16).
func TestAPITokenCheckStatements(t *testing.T) {
	p := podtest.NewReachable(t)
	p.NewUser(t, "alice")
	tok := apiTokenFor(t, p, "alice", "openid", "public:read")
	ctx := context.Background()
	apiLimit := pod.RateLimit{Count: 300, Window: 5 * time.Minute} // counted, as a pod's default
	cold, n := models.CountStatements(ctx)
	if _, err := p.App.OIDC.Authenticate(cold, tok, apiLimit); err != nil {
		t.Fatal(err)
	}
	if n.Load() == 0 {
		t.Log("the first check was warm already (the consent flow's check cached it)")
	}
	warm, n := models.CountStatements(ctx)
	g, err := p.App.OIDC.Authenticate(warm, tok, apiLimit)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 0 {
		t.Errorf("a warm token check took %d SQL statements, want 0", got)
	}
	if g.Session == nil || g.Session.UserID == 0 || !g.Has("public:read") {
		t.Errorf("grant = %+v", g)
	}
}
