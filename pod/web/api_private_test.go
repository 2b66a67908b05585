package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/posts"
	"github.com/aspenpod/aspen/pod/web"
)

// befriend makes a and b mutual contacts (each adds the other to their
// first aspect, "Family").
func privBefriend(t *testing.T, p *podtest.Pod, a, b *podtest.User) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.App.Contacts.AddToAspect(ctx, a.Session, a.Aspects["Family"], b.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Contacts.AddToAspect(ctx, b.Session, b.Aspects["Family"], a.Session.PersonID); err != nil {
		t.Fatal(err)
	}
}

// apiUpload posts a multipart form: the file as "image" (none when nil)
// and the fields.
func privUpload(t *testing.T, p *podtest.Pod, token string, file []byte, fields url.Values) (int, any) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if file != nil {
		fw, err := w.CreateFormFile("image", "picture.png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	w.Close()
	code, _, body := apiSend(t, p, token, http.MethodPost, "/api/v1/photos", w.FormDataContentType(), buf.Bytes())
	return code, body
}

func privObj(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a JSON object: %v", v)
	}
	return m
}

func privList(t *testing.T, v any) []map[string]any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("not a JSON array: %v", v)
	}
	out := make([]map[string]any, len(l))
	for i, x := range l {
		out[i] = privObj(t, x)
	}
	return out
}

func privGUIDs(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i], _ = x["guid"].(string)
	}
	return out
}

func privHas(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// wantError checks an API error: the status and diaspora*'s {code, message}.
func privWantError(t *testing.T, what string, code int, body any, status int) {
	t.Helper()
	if code != status {
		t.Errorf("%s: %d %v, want %d", what, code, body, status)
		return
	}
	if m, ok := body.(map[string]any); !ok || m["code"] != float64(status) || m["message"] == "" {
		t.Errorf("%s: error body %v", what, body)
	}
}

var privNextLink = regexp.MustCompile(`<([^>]+)>; rel="next"`)

func TestAPINotifications(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	alice, bob, carol := p.NewUser(t, "alice"), p.NewUser(t, "bob"), p.NewUser(t, "carol")
	privBefriend(t, p, alice, bob)
	pub, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "public harvest", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "family secret",
		Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Family"]}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{pub.GUID, lim.GUID} {
		if _, err := p.App.Posts.Comment(ctx, bob.Session, g, "nice"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.App.Posts.Like(ctx, bob.Session, pub.GUID, 0); err != nil {
		t.Fatal(err)
	}
	carolPost, err := p.App.Posts.CreatePost(ctx, carol.Session, posts.PostInput{Text: "carol's", Audience: aspects.Selection{Public: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.Posts.Like(ctx, bob.Session, carolPost.GUID, 0); err != nil {
		t.Fatal(err)
	}

	full := apiTokenFor(t, p, "alice", "openid", "notifications", "contacts:read", "private:read")
	public := apiTokenFor(t, p, "alice", "openid", "notifications")
	noScope := apiTokenFor(t, p, "alice", "openid", "public:read", "contacts:read", "private:read")
	carolTok := apiTokenFor(t, p, "carol", "openid", "notifications", "contacts:read", "private:read")

	code, _, body := apiDo(t, p, full, "GET", "/api/v1/notifications", nil)
	if code != http.StatusOK {
		t.Fatalf("list: %d %v", code, body)
	}
	items := privList(t, body)
	sameShape(t, "list", example(t, "notifications.md", "Get list of all notifications").Response, body, "target")
	byTarget := map[string]map[string]any{}
	types := map[string]int{}
	for _, n := range items {
		types[n["type"].(string)]++
		if tg, ok := n["target"].(map[string]any); ok {
			byTarget[tg["guid"].(string)+" "+n["type"].(string)] = n
			if a := privObj(t, tg["author"]); a["guid"] != alice.Session.GUID {
				t.Errorf("target author %v, want alice", a)
			}
		}
	}
	if types["comment_on_post"] != 2 || types["liked"] != 1 || types["started_sharing"] != 1 || len(items) != 4 {
		t.Errorf("alice's notifications: %v (%d)", types, len(items))
	}
	onLimited := byTarget[lim.GUID+" comment_on_post"]
	if onLimited == nil || byTarget[pub.GUID+" comment_on_post"] == nil || byTarget[pub.GUID+" liked"] == nil {
		t.Fatalf("targets with private:read: %v", byTarget)
	}
	sameShape(t, "one with a target", example(t, "notifications.md", "Get list of all notifications").Response.([]any)[1], onLimited)

	// Privacy: without private:read the notification about the limited
	// post is listed (it is the user's) but names no post: neither its
	// GUID nor its author.
	code, _, body = apiDo(t, p, public, "GET", "/api/v1/notifications", nil)
	raw, _ := json.Marshal(body)
	if code != http.StatusOK || len(privList(t, body)) != 4 || strings.Contains(string(raw), lim.GUID) || !strings.Contains(string(raw), pub.GUID) {
		t.Errorf("public-only token: %d %s; want 4 notifications, %s never named", code, raw, lim.GUID)
	}
	code, _, body = apiDo(t, p, public, "GET", "/api/v1/notifications/"+onLimited["guid"].(string), nil)
	if m := privObj(t, body); code != http.StatusOK || m["target"] != nil {
		t.Errorf("public-only token, the limited post's notification: %d %v", code, body)
	}

	// Show, and someone else's or an unknown GUID.
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications/"+onLimited["guid"].(string), nil)
	if code != http.StatusOK || privObj(t, privObj(t, body)["target"])["guid"] != lim.GUID {
		t.Errorf("show: %d %v", code, body)
	}
	sameShape(t, "show", example(t, "notifications.md", "Get information about a single notification").Response, body)
	code, _, body = apiDo(t, p, carolTok, "GET", "/api/v1/notifications", nil)
	carolItems := privList(t, body)
	if code != http.StatusOK || len(carolItems) != 1 {
		t.Fatalf("carol's notifications: %d %v", code, body)
	}
	carolNote := carolItems[0]["guid"].(string)
	for _, g := range []string{carolNote, "999999999", "x"} {
		code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications/"+g, nil)
		privWantError(t, "show "+g, code, body, http.StatusNotFound)
		code, _, body = apiDo(t, p, full, "PATCH", "/api/v1/notifications/"+g, map[string]any{"read": true})
		privWantError(t, "patch "+g, code, body, http.StatusNotFound)
	}
	if code, _, body = apiDo(t, p, carolTok, "GET", "/api/v1/notifications/"+carolNote, nil); code != http.StatusOK || privObj(t, body)["read"] != false {
		t.Errorf("alice's PATCH changed carol's notification: %d %v", code, body)
	}

	// Filters.
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?type=liked", nil)
	if l := privList(t, body); code != http.StatusOK || len(l) != 1 || l[0]["type"] != "liked" {
		t.Errorf("type=liked: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?type=commented_on_post", nil)
	if l := privList(t, body); code != http.StatusOK || len(l) != 2 {
		t.Errorf("type=commented_on_post (the documentation's name): %d %v", code, body)
	}
	for _, q := range []string{"type=private_message", "type=bogus", "only_after=yesterday", "per_page=x", "before=soon"} {
		code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?"+q, nil)
		privWantError(t, q, code, body, http.StatusUnprocessableEntity)
	}
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?only_after=2999-01-01", nil)
	if code != http.StatusOK || len(privList(t, body)) != 0 {
		t.Errorf("only_after in the future: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?only_after=2000-01-01T00:00:00Z", nil)
	if code != http.StatusOK || len(privList(t, body)) != 4 {
		t.Errorf("only_after in the past: %d %v", code, body)
	}

	// PATCH read false/true; a missing read is a 422 that changes nothing.
	g := onLimited["guid"].(string)
	for _, read := range []bool{true, false} {
		code, _, body = apiDo(t, p, full, "PATCH", "/api/v1/notifications/"+g, map[string]any{"read": read})
		if code != http.StatusNoContent {
			t.Errorf("patch read=%v: %d %v", read, code, body)
		}
		_, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications/"+g, nil)
		if privObj(t, body)["read"] != read {
			t.Errorf("after patch read=%v: %v", read, body)
		}
	}
	code, _, body = apiSend(t, p, full, "PATCH", "/api/v1/notifications/"+g, "application/x-www-form-urlencoded", []byte("read=true"))
	if code != http.StatusNoContent {
		t.Errorf("form patch: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, full, "PATCH", "/api/v1/notifications/"+g, map[string]any{"unread": true})
	privWantError(t, "patch without read", code, body, http.StatusUnprocessableEntity)
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?only_unread=true", nil)
	if l := privGUIDs(privList(t, body)); code != http.StatusOK || len(l) != 3 || privHas(l, g) {
		t.Errorf("only_unread after reading one: %d %v", code, l)
	}
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?only_unread=false", nil)
	if code != http.StatusOK || len(privList(t, body)) != 4 {
		t.Errorf("only_unread=false: %d %v", code, body)
	}

	// Paging: one per page, the next link leads to the rest, also when
	// the notifications share their time (those of one event do).
	if err := p.Store.Exec(ctx, `UPDATE notifications SET updated_at = '2026-01-02 03:04:05.123456+00' WHERE user_id = (SELECT owner_id FROM people WHERE guid = ?)`, alice.Session.GUID); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	path := "/api/v1/notifications?per_page=1"
	for i := 0; path != "" && i < 10; i++ {
		code, hdr, body := apiDo(t, p, full, "GET", path, nil)
		l := privList(t, body)
		if code != http.StatusOK || len(l) > 1 {
			t.Fatalf("page %s: %d %v", path, code, body)
		}
		for _, x := range privGUIDs(l) {
			seen[x] = true
		}
		path = ""
		if m := privNextLink.FindStringSubmatch(hdr.Get("Link")); m != nil && len(l) == 1 {
			u, _ := url.Parse(m[1])
			path = u.RequestURI()
		}
	}
	if len(seen) != 4 {
		t.Errorf("paging one by one saw %d notifications, want 4", len(seen))
	}
	// Backwards from the oldest: after= pages go the other way.
	code, _, body = apiDo(t, p, full, "GET", "/api/v1/notifications?per_page=10&after=2000-01-01T00:00:00Z", nil)
	if l := privList(t, body); code != http.StatusOK || len(l) != 4 {
		t.Errorf("after=: %d %v", code, body)
	}

	// Scope: every endpoint needs notifications.
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/notifications"}, {"GET", "/api/v1/notifications/" + g},
		{"PATCH", "/api/v1/notifications/" + g}} {
		code, _, body := apiDo(t, p, noScope, c.method, c.path, map[string]any{"read": true})
		privWantError(t, c.method+" "+c.path+" without the scope", code, body, http.StatusForbidden)
	}
}

// convAPIWorld: alice and bob are mutual contacts; alice shares with
// dave, who does not share back; carol knows nobody.
type convAPIWorld struct {
	p                        *podtest.Pod
	alice, bob, carol, dave  *podtest.User
	aliceTok, bobTok, carTok string
}

func newConvAPIWorld(t *testing.T) *convAPIWorld {
	p := podtest.NewReachable(t)
	w := &convAPIWorld{p: p, alice: p.NewUser(t, "alice"), bob: p.NewUser(t, "bob"), carol: p.NewUser(t, "carol"), dave: p.NewUser(t, "dave")}
	privBefriend(t, p, w.alice, w.bob)
	if _, err := p.App.Contacts.AddToAspect(context.Background(), w.alice.Session, w.alice.Aspects["Family"], w.dave.Session.PersonID); err != nil {
		t.Fatal(err)
	}
	w.aliceTok = apiTokenFor(t, p, "alice", "openid", "conversations")
	w.bobTok = apiTokenFor(t, p, "bob", "openid", "conversations")
	w.carTok = apiTokenFor(t, p, "carol", "openid", "conversations", "contacts:read", "private:read")
	return w
}

func (w *convAPIWorld) count(t *testing.T, table string) int64 {
	t.Helper()
	n, err := w.p.Store.Count(context.Background(), "SELECT count(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAPIConversations(t *testing.T) {
	w := newConvAPIWorld(t)
	p := w.p
	create := example(t, "conversations.md", "Create new conversation")
	code, _, body := apiDo(t, p, w.aliceTok, "POST", "/api/v1/conversations",
		map[string]any{"subject": "Cake recipe", "body": "Hey bob, here it is", "recipients": []string{w.bob.Session.GUID}})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	sameShape(t, "create", create.Response, body)
	conv := privObj(t, body)
	guid := conv["guid"].(string)
	if parts := privGUIDs(privList(t, conv["participants"])); len(parts) != 2 || !privHas(parts, w.alice.Session.GUID) || !privHas(parts, w.bob.Session.GUID) {
		t.Errorf("participants %v", parts)
	}

	// 422, nothing stored: not a mutual contact, unknown, missing fields.
	before := w.count(t, "conversations")
	for name, req := range map[string]map[string]any{
		"not sharing back": {"subject": "s", "body": "b", "recipients": []string{w.dave.Session.GUID}},
		"a stranger":       {"subject": "s", "body": "b", "recipients": []string{w.carol.Session.GUID}},
		"one bad of two":   {"subject": "s", "body": "b", "recipients": []string{w.bob.Session.GUID, w.carol.Session.GUID}},
		"unknown":          {"subject": "s", "body": "b", "recipients": []string{"0123456789abcdef0123456789abcdef"}},
		"only oneself":     {"subject": "s", "body": "b", "recipients": []string{w.alice.Session.GUID}},
		"no subject":       {"body": "b", "recipients": []string{w.bob.Session.GUID}},
		"blank body":       {"subject": "s", "body": " ", "recipients": []string{w.bob.Session.GUID}},
		"no recipients":    {"subject": "s", "body": "b"},
		"recipients kind":  {"subject": "s", "body": "b", "recipients": []int{1}},
	} {
		code, _, body := apiDo(t, p, w.aliceTok, "POST", "/api/v1/conversations", req)
		privWantError(t, name, code, body, http.StatusUnprocessableEntity)
	}
	if n := w.count(t, "conversations"); n != before {
		t.Errorf("refused creations stored conversations: %d, was %d", n, before)
	}
	// A form body, as diaspora*'s own clients post.
	form := url.Values{"subject": {"By form"}, "body": {"hello"}, "recipients[]": {w.bob.Session.GUID}}
	code, _, body = apiSend(t, p, w.aliceTok, "POST", "/api/v1/conversations", "application/x-www-form-urlencoded", []byte(form.Encode()))
	if code != http.StatusCreated || privObj(t, body)["subject"] != "By form" {
		t.Errorf("form create: %d %v", code, body)
	}
	formGUID := privObj(t, body)["guid"].(string)

	// List and show; bob has two unread conversations.
	code, _, body = apiDo(t, p, w.bobTok, "GET", "/api/v1/conversations", nil)
	sameShape(t, "list", example(t, "conversations.md", "Get list of all conversations").Response, body)
	if l := privGUIDs(privList(t, body)); code != http.StatusOK || len(l) != 2 || !privHas(l, guid) {
		t.Errorf("bob's list: %d %v", code, l)
	}
	// Paging: one per page, newest first; the next link leads to the other.
	code, hdr, body := apiDo(t, p, w.bobTok, "GET", "/api/v1/conversations?per_page=1", nil)
	first := privGUIDs(privList(t, body))
	m := privNextLink.FindStringSubmatch(hdr.Get("Link"))
	if code != http.StatusOK || len(first) != 1 || m == nil {
		t.Fatalf("first page: %d %v %q", code, first, hdr.Get("Link"))
	}
	next, _ := url.Parse(m[1])
	// (Both were created in the same second: the link's GUID places the
	// bound between them.)
	code, hdr, body = apiDo(t, p, w.bobTok, "GET", next.RequestURI(), nil)
	if second := privGUIDs(privList(t, body)); code != http.StatusOK || len(second) != 1 || second[0] == first[0] {
		t.Errorf("second page: %d %v after %v", code, second, first)
	}
	prev := regexp.MustCompile(`<([^>]+)>; rel="previous"`).FindStringSubmatch(hdr.Get("Link"))
	if prev == nil {
		t.Fatalf("no previous link: %q", hdr.Get("Link"))
	}
	back, _ := url.Parse(prev[1])
	code, _, body = apiDo(t, p, w.bobTok, "GET", back.RequestURI(), nil)
	if again := privGUIDs(privList(t, body)); code != http.StatusOK || len(again) != 1 || again[0] != first[0] {
		t.Errorf("previous page: %d %v, want %v", code, again, first)
	}
	code, _, body = apiDo(t, p, w.bobTok, "GET", "/api/v1/conversations?before=2999-01-01T00:00:00Z&before_guid=a~b", nil)
	privWantError(t, "a bad before_guid", code, body, http.StatusUnprocessableEntity)
	code, _, body = apiDo(t, p, w.bobTok, "GET", "/api/v1/conversations/"+guid, nil)
	sameShape(t, "show", example(t, "conversations.md", "Get information about a single conversation").Response, body)
	if code != http.StatusOK || privObj(t, body)["read"] != false || privObj(t, body)["subject"] != "Cake recipe" {
		t.Errorf("bob's show: %d %v", code, body)
	}

	// Messages: bob replies, both see them oldest first; reading the
	// messages does not mark the conversation read (as diaspora*).
	code, _, body = apiDo(t, p, w.bobTok, "POST", "/api/v1/conversations/"+guid+"/messages", map[string]any{"body": "Thanks!"})
	if code != http.StatusCreated || privObj(t, body)["body"] != "Thanks!" || privObj(t, privObj(t, body)["author"])["guid"] != w.bob.Session.GUID {
		t.Errorf("reply: %d %v", code, body)
	}
	sameShape(t, "reply", example(t, "conversations.md", "Post new message to a conversation").Response, body)
	code, _, body = apiDo(t, p, w.aliceTok, "GET", "/api/v1/conversations/"+guid+"/messages", nil)
	sameShape(t, "messages", example(t, "conversations.md", "List messages in a conversation").Response, body)
	// Oldest first; messages of the same second in GUID order, the same
	// on every pod.
	l := privList(t, body)
	if code != http.StatusOK || len(l) != 2 || l[0]["created_at"].(string) > l[1]["created_at"].(string) ||
		l[0]["created_at"] == l[1]["created_at"] && l[0]["guid"].(string) > l[1]["guid"].(string) {
		t.Errorf("messages: %d %v", code, body)
	}
	bodies := map[any]bool{l[0]["body"]: true, l[1]["body"]: true}
	if !bodies["Hey bob, here it is"] || !bodies["Thanks!"] {
		t.Errorf("messages: %v", bodies)
	}
	code, hdr, body = apiDo(t, p, w.aliceTok, "GET", "/api/v1/conversations/"+guid+"/messages?per_page=1&page=2", nil)
	if l2 := privList(t, body); code != http.StatusOK || len(l2) != 1 || l2[0]["guid"] != l[1]["guid"] ||
		!strings.Contains(hdr.Get("Link"), `rel="previous"`) || strings.Contains(hdr.Get("Link"), `rel="next"`) {
		t.Errorf("messages page 2: %d %v %q", code, body, hdr.Get("Link"))
	}
	if _, _, body = apiDo(t, p, w.aliceTok, "GET", "/api/v1/conversations/"+guid, nil); privObj(t, body)["read"] != false {
		t.Errorf("alice's conversation after bob's reply and listing its messages: %v", body)
	}
	before = w.count(t, "messages")
	for name, req := range map[string]any{"blank": map[string]any{"body": "  "}, "missing": map[string]any{"text": "x"}, "a number": map[string]any{"body": []int{1}}} {
		code, _, body := apiDo(t, p, w.bobTok, "POST", "/api/v1/conversations/"+guid+"/messages", req)
		privWantError(t, "message "+name, code, body, http.StatusUnprocessableEntity)
	}
	if n := w.count(t, "messages"); n != before {
		t.Errorf("refused messages were stored: %d, was %d", n, before)
	}

	// PATCH read: true, then false; a missing read is a 422.
	for _, read := range []bool{true, false} {
		code, _, body := apiDo(t, p, w.bobTok, "PATCH", "/api/v1/conversations/"+guid, map[string]any{"read": read})
		if code != http.StatusOK || privObj(t, body)["read"] != read {
			t.Errorf("patch read=%v: %d %v", read, code, body)
		}
	}
	code, _, body = apiDo(t, p, w.bobTok, "PATCH", "/api/v1/conversations/"+guid, map[string]any{})
	privWantError(t, "patch without read", code, body, http.StatusUnprocessableEntity)
	apiDo(t, p, w.bobTok, "PATCH", "/api/v1/conversations/"+formGUID, map[string]any{"read": true})
	code, _, body = apiDo(t, p, w.bobTok, "GET", "/api/v1/conversations?only_unread=true", nil)
	if l := privGUIDs(privList(t, body)); code != http.StatusOK || len(l) != 1 || l[0] != guid {
		t.Errorf("only_unread: %d %v, want [%s]", code, l, guid)
	}
	code, _, body = apiDo(t, p, w.bobTok, "GET", "/api/v1/conversations?only_after=2999-01-01", nil)
	if code != http.StatusOK || len(privList(t, body)) != 0 {
		t.Errorf("only_after: %d %v", code, body)
	}
	code, _, body = apiDo(t, p, w.bobTok, "GET", "/api/v1/conversations?only_after=never", nil)
	privWantError(t, "bad only_after", code, body, http.StatusUnprocessableEntity)

	// Privacy: carol, not a participant, gets 404s and an empty list.
	code, _, body = apiDo(t, p, w.carTok, "GET", "/api/v1/conversations", nil)
	if code != http.StatusOK || len(privList(t, body)) != 0 {
		t.Errorf("carol's list: %d %v", code, body)
	}
	for _, c := range []struct{ method, path string }{{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"GET", "/messages"}, {"POST", "/messages"}} {
		for _, g := range []string{guid, "0123456789abcdef0123456789abcdef"} {
			code, _, body := apiDo(t, p, w.carTok, c.method, "/api/v1/conversations/"+g+c.path, map[string]any{"read": true, "body": "let me in"})
			privWantError(t, "carol "+c.method+" "+g+c.path, code, body, http.StatusNotFound)
		}
	}

	// DELETE hides it for bob only: then it is a 404 for him, not for alice.
	code, _, body = apiDo(t, p, w.bobTok, "DELETE", "/api/v1/conversations/"+guid, nil)
	if code != http.StatusNoContent {
		t.Errorf("delete: %d %v", code, body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		code, _, body = apiDo(t, p, w.bobTok, m, "/api/v1/conversations/"+guid, nil)
		privWantError(t, m+" after delete", code, body, http.StatusNotFound)
	}
	if code, _, _ = apiDo(t, p, w.aliceTok, "GET", "/api/v1/conversations/"+guid, nil); code != http.StatusOK {
		t.Errorf("alice after bob's delete: %d", code)
	}

	// Scope: every endpoint needs conversations.
	other := apiTokenFor(t, p, "alice", "openid", "public:read", "contacts:read", "private:read", "notifications")
	for _, c := range []struct{ method, path string }{{"GET", ""}, {"POST", ""}, {"GET", "/" + guid}, {"PATCH", "/" + guid},
		{"DELETE", "/" + guid}, {"GET", "/" + guid + "/messages"}, {"POST", "/" + guid + "/messages"}} {
		code, _, body := apiDo(t, p, other, c.method, "/api/v1/conversations"+c.path, map[string]any{"read": true, "body": "x"})
		privWantError(t, c.method+" "+c.path+" without the scope", code, body, http.StatusForbidden)
	}
}

func TestAPIPhotos(t *testing.T) {
	p := podtest.NewReachable(t)
	ctx := context.Background()
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	p.NewUser(t, "carol")
	privBefriend(t, p, alice, bob)
	img := pngBytes(t, 40, 30)
	all := apiTokenFor(t, p, "alice", "openid", "public:read", "public:modify", "contacts:read", "private:read", "private:modify")
	publicRW := apiTokenFor(t, p, "alice", "openid", "public:read", "public:modify")
	readOnly := apiTokenFor(t, p, "alice", "openid", "public:read", "contacts:read", "private:read")
	bobTok := apiTokenFor(t, p, "bob", "openid", "public:read", "public:modify", "contacts:read", "private:read", "private:modify")
	carolTok := apiTokenFor(t, p, "carol", "openid", "public:read", "contacts:read", "private:read")

	// Upload.
	code, body := privUpload(t, p, all, img, nil)
	if code != http.StatusOK {
		t.Fatalf("upload: %d %v", code, body)
	}
	sameShape(t, "upload", example(t, "photos.md", "Upload photo").Response, body, "post")
	pending := privObj(t, body)["guid"].(string)
	if d := privObj(t, privObj(t, body)["dimensions"]); d["width"] != 40.0 || d["height"] != 30.0 {
		t.Errorf("dimensions %v", d)
	}
	pendingCount := func() int {
		ps, err := p.App.Photos.Pending(ctx, alice.Session)
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	n := pendingCount()
	code, body = privUpload(t, p, publicRW, img, nil)
	privWantError(t, "upload of a private photo without private:modify", code, body, http.StatusForbidden)
	code, body = privUpload(t, p, readOnly, img, url.Values{"aspect_ids": {"public"}})
	privWantError(t, "upload without public:modify", code, body, http.StatusForbidden)
	code, body = privUpload(t, p, all, nil, nil)
	privWantError(t, "upload without an image", code, body, http.StatusUnprocessableEntity)
	code, body = privUpload(t, p, all, []byte("# README\nnot a picture"), nil)
	privWantError(t, "upload of a text file", code, body, http.StatusUnprocessableEntity)
	if pendingCount() != n {
		t.Errorf("refused uploads stored photos")
	}
	code, body = privUpload(t, p, publicRW, img, url.Values{"aspect_ids": {"public"}, "pending": {"true"}})
	if code != http.StatusOK {
		t.Errorf("upload for a public post with public:modify: %d %v", code, body)
	}
	code, body = privUpload(t, p, all, img, url.Values{"set_profile_photo": {"true"}})
	if code != http.StatusOK {
		t.Errorf("upload as profile photo: %d %v", code, body)
	}
	if _, view, err := p.App.Profiles.ProfileForm(ctx, alice.Session.UserID); err != nil || !strings.Contains(view.AvatarMedium, "/uploads/") {
		t.Errorf("the profile photo was not set: %v %+v", err, view)
	}

	// Photos of a public and of a limited post.
	upload := func(u *podtest.User) int64 {
		v, err := p.App.Photos.Upload(ctx, u.Session, bytes.NewReader(img))
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	pubPost, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "public", Audience: aspects.Selection{Public: true}, Photos: []int64{upload(alice)}})
	if err != nil {
		t.Fatal(err)
	}
	limPost, err := p.App.Posts.CreatePost(ctx, alice.Session, posts.PostInput{Text: "family", Audience: aspects.Selection{Aspects: []int64{alice.Aspects["Family"]}},
		Photos: []int64{upload(alice)}})
	if err != nil {
		t.Fatal(err)
	}
	photoOf := func(postGUID string) string {
		v, err := p.App.Posts.Post(ctx, alice.Session, postGUID)
		if err != nil || len(v.Post.Photos) != 1 {
			t.Fatalf("post %s: %v", postGUID, err)
		}
		return v.Post.Photos[0].GUID
	}
	pubPhoto, limPhoto := photoOf(pubPost.GUID), photoOf(limPost.GUID)

	// The list: everything with private:read, only the public post's
	// photo without.
	code, hdr, body := apiDo(t, p, all, "GET", "/api/v1/photos", nil)
	sameShape(t, "list", example(t, "photos.md", "Get photos uploaded by the current user").Response, body, "post")
	if l := privGUIDs(privList(t, body)); code != http.StatusOK || len(l) != 5 || !privHas(l, pending) || !privHas(l, limPhoto) || !privHas(l, pubPhoto) {
		t.Errorf("alice's photos: %d %v", code, l)
	}
	for _, x := range privList(t, body) {
		if x["guid"] == pubPhoto && x["post"] != pubPost.GUID {
			t.Errorf("the public photo's post: %v", x)
		}
	}
	if hdr.Get("Link") == "" {
		t.Errorf("no Link header")
	}
	code, _, body = apiDo(t, p, publicRW, "GET", "/api/v1/photos", nil)
	if l := privGUIDs(privList(t, body)); code != http.StatusOK || len(l) != 1 || l[0] != pubPhoto {
		t.Errorf("alice's photos without private:read: %d %v, want only %s", code, l, pubPhoto)
	}
	seen := map[string]bool{}
	path := "/api/v1/photos?per_page=2"
	for i := 0; path != "" && i < 10; i++ {
		code, hdr, body := apiDo(t, p, all, "GET", path, nil)
		l := privList(t, body)
		if code != http.StatusOK || len(l) > 2 {
			t.Fatalf("page %s: %d %v", path, code, body)
		}
		for _, g := range privGUIDs(l) {
			if seen[g] {
				t.Errorf("photo %s on two pages", g)
			}
			seen[g] = true
		}
		path = ""
		if m := privNextLink.FindStringSubmatch(hdr.Get("Link")); m != nil && len(l) > 0 {
			u, _ := url.Parse(m[1])
			path = u.RequestURI()
		}
	}
	if len(seen) != 5 {
		t.Errorf("paging saw %d photos, want 5", len(seen))
	}

	// Show: who may see the post sees the photo; a limited one only with
	// private:read; carol, outside its audience, gets a 404.
	for _, c := range []struct {
		tok, guid string
		want      int
	}{{all, pubPhoto, 200}, {all, limPhoto, 200}, {all, pending, 200}, {bobTok, limPhoto, 200}, {carolTok, pubPhoto, 200},
		{carolTok, limPhoto, 404}, {bobTok, pending, 404}, {publicRW, limPhoto, 404}, {publicRW, pending, 404}, {all, "nope", 404}} {
		code, _, body := apiDo(t, p, c.tok, "GET", "/api/v1/photos/"+c.guid, nil)
		if c.want == 200 {
			if code != 200 || privObj(t, body)["guid"] != c.guid {
				t.Errorf("show %s: %d %v", c.guid, code, body)
			}
			sameShape(t, "show", example(t, "photos.md", "Get information about a single photo").Response, body, "post")
		} else {
			privWantError(t, "show "+c.guid, code, body, c.want)
		}
	}
	// (GET needs public:read, which every token has, as on diaspora*.)

	// Delete: only one's own pending photos; a private one needs
	// private:modify; a post's photo goes with the post.
	code, _, body = apiDo(t, p, bobTok, "DELETE", "/api/v1/photos/"+pending, nil)
	privWantError(t, "bob deletes alice's photo", code, body, http.StatusNotFound)
	code, _, body = apiDo(t, p, publicRW, "DELETE", "/api/v1/photos/"+pending, nil)
	privWantError(t, "delete a private photo without private:modify", code, body, http.StatusForbidden)
	code, _, body = apiDo(t, p, readOnly, "DELETE", "/api/v1/photos/"+pending, nil)
	privWantError(t, "delete without public:modify", code, body, http.StatusForbidden)
	code, _, body = apiDo(t, p, all, "DELETE", "/api/v1/photos/"+pubPhoto, nil)
	privWantError(t, "delete a post's photo", code, body, http.StatusUnprocessableEntity)
	if code, _, _ = apiDo(t, p, all, "GET", "/api/v1/photos/"+pending, nil); code != http.StatusOK {
		t.Errorf("refused deletes removed the photo: %d", code)
	}
	code, _, body = apiDo(t, p, all, "DELETE", "/api/v1/photos/"+pending, nil)
	if code != http.StatusNoContent {
		t.Errorf("delete: %d %v", code, body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		code, _, body = apiDo(t, p, all, m, "/api/v1/photos/"+pending, nil)
		privWantError(t, m+" after delete", code, body, http.StatusNotFound)
	}
}

// TestAPIConversationRateLimit: the API's new conversations and messages
// count against the same limit as the web's: over it, a 429 with
// Retry-After and nothing stored.
func TestAPIConversationRateLimit(t *testing.T) {
	p := podtest.NewReachable(t, func(o *pod.Options, _ *web.Options) {
		o.RateLimits.Conversations = pod.RateLimit{Count: 2, Window: time.Minute}
	})
	alice, bob := p.NewUser(t, "alice"), p.NewUser(t, "bob")
	privBefriend(t, p, alice, bob)
	tok := apiTokenFor(t, p, "alice", "openid", "conversations")
	code, _, body := apiDo(t, p, tok, "POST", "/api/v1/conversations", map[string]any{"subject": "s", "body": "b", "recipients": []string{bob.Session.GUID}})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, body)
	}
	guid := privObj(t, body)["guid"].(string)
	if code, _, body = apiDo(t, p, tok, "POST", "/api/v1/conversations/"+guid+"/messages", map[string]any{"body": "again"}); code != http.StatusCreated {
		t.Fatalf("message: %d %v", code, body)
	}
	n, err := p.Store.Count(context.Background(), "SELECT count(*) FROM messages")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", p.Server.URL+"/api/v1/conversations/"+guid+"/messages", strings.NewReader(`{"body":"spam"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third action: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	code, _, body = apiDo(t, p, tok, "POST", "/api/v1/conversations", map[string]any{"subject": "s", "body": "b", "recipients": []string{bob.Session.GUID}})
	privWantError(t, "a new conversation over the limit", code, body, http.StatusTooManyRequests)
	if m, _ := p.Store.Count(context.Background(), "SELECT count(*) FROM messages"); m != n {
		t.Errorf("messages over the limit were stored: %d, was %d", m, n)
	}
}
