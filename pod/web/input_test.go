package web_test

import (
	"bytes"
	"context"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aspenpod/aspen/pod/podtest"
	"github.com/aspenpod/aspen/pod/web"
)

// tableDigests returns a digest of every table's rows, by table name.
func tableDigests(t *testing.T, p *podtest.Pod) map[string]string {
	t.Helper()
	var out string
	err := p.Store.Scalar(context.Background(), &out, `
		SELECT string_agg(table_name || '=' || (xpath('/row/d/text()', query_to_xml(format(
			'SELECT md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) AS d FROM %I.%I t',
			table_schema, table_name), false, true, '')))[1]::text, ',' ORDER BY table_name)
		FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, kv := range strings.Split(out, ",") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func changedTables(before, after map[string]string) []string {
	var changed []string
	for k, v := range after {
		if before[k] != v {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed
}

var routeParam = regexp.MustCompile(`[:*][a-z_]+`)

// TestHostileTextIsRefusedAtTheEdge sends text PostgreSQL cannot store (a
// NUL byte, invalid UTF-8, an overlong form, a lone surrogate) to every
// registered route, signed out and signed in, in a path parameter, a query
// parameter, a urlencoded and a multipart form field and a JSON string.
// Every answer must be a 404 (path) or a 422 naming the parameter, never a
// 5xx, and no row may change.
func TestHostileTextIsRefusedAtTheEdge(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	guid := post(t, w.alice, "hello #world", "public")
	var commentID int64
	mustStatus(t, w.alice.Post("/posts/"+guid+"/comments", url.Values{"text": {"a comment"}}), http.StatusSeeOther)
	if err := w.p.Store.Scalar(ctx, &commentID, `SELECT max(id) FROM comments`); err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(w.p.App, w.p.Web, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A real value for each route parameter, so that only the hostile
	// text stands between the request and a change.
	value := func(path, param string) string {
		switch {
		case param == ":cid":
			return itoa(commentID)
		case strings.HasPrefix(path, "/posts/") || strings.HasPrefix(path, "/p/"):
			return guid
		case strings.HasPrefix(path, "/aspects/"):
			return itoa(w.friends)
		case strings.HasPrefix(path, "/comments/"):
			return itoa(commentID)
		case param == ":guid":
			return w.aliceGUID
		case param == ":username":
			return "alice"
		case param == ":name":
			return "world"
		case param == ":type":
			return "post"
		case param == ":version":
			return "2.0"
		case param[0] == '*':
			return "/x"
		}
		return "1"
	}
	bad := map[string]string{"NUL": "a\x00b", "0xff": "a\xffb", "overlong": "a\xc0\xafb", "surrogate": "a\xed\xa0\x80b"}
	badJSON := map[string]string{"NUL": `"a\u0000b"`, "0xff": "\"a\xffb\"", "overlong": "\"a\xc0\xafb\"",
		"surrogate": "\"a\xed\xa0\x80b\"", "escaped surrogate": `"a\ud800b"`, "escaped low surrogate": `"\udc00"`}

	clients := map[string]*podtest.Client{"signed out": w.anon, "signed in": w.alice}
	for _, c := range clients {
		c.CSRF()
	}
	before := tableDigests(t, w.p)
	requests := 0
	send := func(who string, c *podtest.Client, method, path, contentType string, body []byte) *podtest.Response {
		t.Helper()
		req, err := http.NewRequest(method, c.Pod.Server.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("X-CSRF-Token", c.CSRF())
		requests++
		r := c.Do(req)
		if r.StatusCode >= 500 {
			t.Errorf("%s: %s %q: %d\n%s", who, method, path, r.StatusCode, trim(r.Body))
		}
		return r
	}
	want := func(r *podtest.Response, what string, code int, field string) {
		t.Helper()
		if r.StatusCode != code {
			t.Errorf("%s: status %d, want %d\n%s", what, r.StatusCode, code, trim(r.Body))
		} else if field != "" && !strings.Contains(r.Body, field) {
			t.Errorf("%s: the answer does not name %q\n%s", what, field, trim(r.Body))
		}
	}
	routes := srv.Routes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, rt := range routes {
		receive := strings.HasPrefix(rt.Path, "/receive/")
		good := routeParam.ReplaceAllStringFunc(rt.Path, func(p string) string { return value(rt.Path, p) })
		for who, c := range clients {
			for kind, v := range bad {
				what := who + " " + rt.Method + " " + rt.Path + " " + kind
				// In a path parameter.
				if routeParam.MatchString(rt.Path) && !receive {
					path := routeParam.ReplaceAllStringFunc(rt.Path, func(p string) string {
						return url.PathEscape(value(rt.Path, p) + v)
					})
					want(send(who, c, rt.Method, path, "", nil), what+" in the path", http.StatusNotFound, "")
				}
				// In a query parameter.
				r := send(who, c, rt.Method, good+"?q="+url.QueryEscape(v), "", nil)
				if receive {
					if r.StatusCode != http.StatusAccepted && r.StatusCode != http.StatusNotFound {
						t.Errorf("%s in the query: %d", what, r.StatusCode)
					}
				} else {
					want(r, what+" in the query", http.StatusUnprocessableEntity, "q ")
				}
				if receive {
					continue
				}
				// In a urlencoded form field.
				form := url.Values{"authenticity_token": {c.CSRF()}, "text": {v}, "status_message[text]": {"fine"}}
				r = send(who, c, rt.Method, good, "application/x-www-form-urlencoded", []byte(form.Encode()))
				want(r, what+" in a form", http.StatusUnprocessableEntity, "text ")
				// In a name.
				form = url.Values{"authenticity_token": {c.CSRF()}, "x" + v: {"fine"}}
				r = send(who, c, rt.Method, good, "application/x-www-form-urlencoded", []byte(form.Encode()))
				want(r, what+" in a form field's name", http.StatusUnprocessableEntity, "xa\uFFFD")
				// In a multipart text field, next to a binary file part
				// (which is not text and not checked).
				var mp bytes.Buffer
				mw := multipart.NewWriter(&mp)
				mw.WriteField("authenticity_token", c.CSRF())
				mw.WriteField("profile[bio]", v)
				fw, _ := mw.CreateFormFile("profile[avatar]", "x.png")
				fw.Write([]byte("\x89PNG\x00\xff\xfe\x00"))
				mw.Close()
				r = send(who, c, rt.Method, good, mw.FormDataContentType(), mp.Bytes())
				want(r, what+" in a multipart field", http.StatusUnprocessableEntity, "profile[bio]")
			}
			if receive {
				continue
			}
			for kind, v := range badJSON {
				what := who + " " + rt.Method + " " + rt.Path + " JSON " + kind
				body := `{"aspect_ids":"public","status_message":{"text":` + v + `}}`
				r := send(who, c, rt.Method, good, "application/json", []byte(body))
				want(r, what, http.StatusUnprocessableEntity, "status_message[text]")
				body = `{"aspect_ids":["public",` + v + `]}`
				r = send(who, c, rt.Method, good, "application/json; charset=utf-8", []byte(body))
				want(r, what+" in an array", http.StatusUnprocessableEntity, "aspect_ids[]")
			}
		}
	}
	if changed := changedTables(before, tableDigests(t, w.p)); len(changed) > 0 {
		t.Errorf("%d hostile requests changed rows in %v", requests, changed)
	}
	t.Logf("%d routes, %d requests", len(routes), requests)
}

// TestHostileTextCases are the requests of issue 10 that answered 500,
// one by one, and text that is fine (non-ASCII, surrogate pairs).
func TestHostileTextCases(t *testing.T) {
	w := newWorld(t)
	for _, path := range []string{"/u/%00", "/people/%00", "/people/%00.json", "/posts/a%00aaaaaaaaaaaaaaaaaaa",
		"/posts/a%ffaaaaaaaaaaaaaaaaaaa.json", "/tags/%c0%af", "/people/a%ed%a0%80"} {
		for _, c := range []*podtest.Client{w.anon, w.alice} {
			if r := c.Get(path); r.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, r.StatusCode)
			}
		}
	}
	if r := w.anon.Get("/people.json?q=a%00"); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"q `) {
		t.Errorf("people search with NUL: %d %s", r.StatusCode, r.Body)
	}
	for _, login := range []string{"a\x00b", "\xff\xfe"} {
		r := w.anon.Post("/users/sign_in", url.Values{"user[username]": {login}, "user[password]": {"password1"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "user[username]") {
			t.Errorf("sign in as %q: %d", login, r.StatusCode)
		}
	}
	// Text that is fine passes: accents, emoji written raw and as a JSON
	// surrogate pair, escaped quotes and backslashes.
	mustStatus(t, w.alice.Post("/status_messages", url.Values{"status_message[text]": {"Grüße 🌻"}, "aspect_ids[]": {"public"}}), http.StatusSeeOther)
	req, _ := http.NewRequest(http.MethodPost, w.p.Server.URL+"/status_messages",
		strings.NewReader(`{"status_message":{"text":"sun \ud83c\udf3b \"quoted\" \\ back\u00e9"},"aspect_ids":"public"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", w.alice.CSRF())
	r := mustStatus(t, w.alice.Do(req), http.StatusCreated)
	if !strings.Contains(r.Body, "sun 🌻 \\\"quoted\\\" \\\\ backé") {
		t.Errorf("post text garbled: %s", r.Body)
	}
}

// TestContentTypeCaseDoesNotSkipTheCheck: Go's form parsers read the media
// type case-insensitively, so the edge check must too: a form sent as
// "Application/X-WWW-Form-Urlencoded" or "Multipart/Form-Data" with a NUL
// is refused like any other, and changes nothing.
func TestContentTypeCaseDoesNotSkipTheCheck(t *testing.T) {
	w := newWorld(t)
	before := tableDigests(t, w.p)
	send := func(ct string, body string) *podtest.Response {
		req, _ := http.NewRequest(http.MethodPost, w.p.Server.URL+"/status_messages", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-CSRF-Token", w.alice.CSRF())
		return w.alice.Do(req)
	}
	if r := send("Application/X-WWW-Form-Urlencoded; Charset=UTF-8", "status_message%5Btext%5D=a%00b&aspect_ids%5B%5D=public"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("form with a NUL, mixed-case type: %d %s", r.StatusCode, r.Body)
	}
	mp := "--XyZ\r\nContent-Disposition: form-data; name=\"status_message[text]\"\r\n\r\na\x00b\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"aspect_ids[]\"\r\n\r\npublic\r\n--XyZ--\r\n"
	if r := send("Multipart/Form-Data; boundary=XyZ", mp); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("multipart with a NUL, mixed-case type: %d %s", r.StatusCode, r.Body)
	}
	if changed := changedTables(before, tableDigests(t, w.p)); len(changed) > 0 {
		t.Errorf("rows changed in %v", changed)
	}
}

// TestReceiveKeepsAnsweringOtherPods: federation deliveries are not
// browser input. A body with a NUL byte or invalid UTF-8 is still
// answered 202, as diaspora* answers every delivery, and the receive job
// drops it with a log line.
func TestReceiveKeepsAnsweringOtherPods(t *testing.T) {
	p := podtest.NewFedPod(t, "webrecv", 9, podtest.FedOptions{RetryUnit: time.Millisecond})
	c := p.Client()
	bodies := []string{"<me:env>\x00</me:env>", "\xff\xfe<xml/>", `{"aes_key":"\u0000","encrypted_magic_envelope":"\ud800"}`}
	for _, body := range bodies {
		for _, ct := range []string{"application/magic-envelope+xml", "application/json", "application/x-www-form-urlencoded"} {
			req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/receive/public?x=%00", strings.NewReader(body))
			req.Header.Set("Content-Type", ct)
			if r := c.Do(req); r.StatusCode != http.StatusAccepted {
				t.Errorf("receive %q as %s: %d", body, ct, r.StatusCode)
			}
		}
	}
	podtest.Eventually(t, 10*time.Second, func() bool {
		return strings.Count(p.Log.String(), "delivery dropped") >= len(bodies)
	}, "the bad deliveries are dropped with a log line:\n%s", p.Log)
}

// TestCSRFEitherTokenIsEnough: as on diaspora*, a request is accepted when
// either its X-CSRF-Token header or its authenticity_token field is valid
// (diaspy keeps a stale header while sending a fresh form token); with no
// valid token it is refused.
func TestCSRFEitherTokenIsEnough(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("alice")
	other := p.Client()
	stale := other.CSRF() // valid, but for another browser
	valid := c.CSRF()
	cases := []struct {
		name         string
		header, form string
		want         int
	}{
		{"stale header, valid form token", stale, valid, http.StatusOK},
		{"valid header, bad form token", valid, "bad", http.StatusOK},
		{"valid header, no form token", valid, "", http.StatusOK},
		{"both bad", stale, "bad", http.StatusUnprocessableEntity},
		{"bad header, no form token", "bad", "", http.StatusUnprocessableEntity},
		{"none", "", "", http.StatusUnprocessableEntity},
	}
	for i, tc := range cases {
		name := "csrf" + itoa(int64(i))
		form := url.Values{"aspect[name]": {name}}
		if tc.form != "" {
			form.Set("authenticity_token", tc.form)
		}
		req, _ := http.NewRequest(http.MethodPost, p.Server.URL+"/aspects", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		if tc.header != "" {
			req.Header.Set("X-CSRF-Token", tc.header)
		}
		r := c.Do(req)
		if r.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, r.StatusCode, tc.want, trim(r.Body))
		}
		created := strings.Contains(c.Get("/contacts").Body, name)
		if created != (tc.want == http.StatusOK) {
			t.Errorf("%s: aspect created: %v", tc.name, created)
		}
	}
}

// profileForm posts the profile form as multipart, with an optional file.
func profileForm(t *testing.T, c *podtest.Client, fields map[string]string, avatar []byte) *podtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("authenticity_token", c.CSRF())
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if avatar != nil {
		fw, _ := mw.CreateFormFile("profile[avatar]", "me.png")
		fw.Write(avatar)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.Pod.Server.URL+"/profile", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

// mediaFiles lists the files in a pod's media store.
func mediaFiles(t *testing.T, p *podtest.Pod) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(p.Media.Dir(), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRefusedProfileFormChangesNothing: the profile form is all or
// nothing. A bad picture keeps the bio and gender from being saved, bad
// fields keep a good picture from being stored, and no file is left.
func TestRefusedProfileFormChangesNothing(t *testing.T) {
	p := podtest.New(t)
	c := p.Client()
	c.SignUp("grace")
	ctx := context.Background()
	person, _ := p.Store.PersonByDiasporaID(ctx, "grace@pod.test")
	mustStatus(t, profileForm(t, c, map[string]string{"profile[first_name]": "Grace", "profile[bio]": "old bio", "profile[gender]": "old gender"}, nil), http.StatusFound)
	before, _ := p.Store.ProfileOf(ctx, person.ID)
	files := len(mediaFiles(t, p))

	check := func(what string, r *podtest.Response, msg string) {
		t.Helper()
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, msg) {
			t.Errorf("%s: status %d, want 422 with %q", what, r.StatusCode, msg)
		}
		after, _ := p.Store.ProfileOf(ctx, person.ID)
		if after.Bio != before.Bio || after.Gender != before.Gender || after.FirstName != before.FirstName || after.ImageURL != before.ImageURL {
			t.Errorf("%s: profile changed: bio %q gender %q name %q image %q", what, after.Bio, after.Gender, after.FirstName, after.ImageURL)
		}
		if n := len(mediaFiles(t, p)); n != files {
			t.Errorf("%s: %d files in the media store, want %d", what, n, files)
		}
	}
	newFields := map[string]string{"profile[first_name]": "Grace", "profile[bio]": "new bio", "profile[gender]": "new gender"}
	check("bad picture", profileForm(t, c, newFields, []byte("#!/bin/sh\necho not a picture\n")), "not a JPEG, PNG, WebP or GIF image")
	badFields := map[string]string{"profile[first_name]": strings.Repeat("x", 40), "profile[bio]": "new bio", "profile[gender]": "new gender"}
	check("bad field, good picture", profileForm(t, c, badFields, pngBytes(t, 64, 64)), "too long")
	badDate := map[string]string{"profile[first_name]": "Grace", "profile[bio]": "new bio", "profile[date][year]": "1800", "profile[date][month]": "1", "profile[date][day]": "1"}
	check("bad birthday, good picture", profileForm(t, c, badDate, pngBytes(t, 64, 64)), "not a valid date")

	// A good form with a good picture saves both.
	mustStatus(t, profileForm(t, c, newFields, pngBytes(t, 64, 64)), http.StatusFound)
	after, _ := p.Store.ProfileOf(ctx, person.ID)
	if after.Bio != "new bio" || after.Gender != "new gender" || !strings.HasPrefix(after.ImageURL, "/uploads/avatars/") {
		t.Errorf("good form: bio %q gender %q image %q", after.Bio, after.Gender, after.ImageURL)
	}
}

// sendJSON sends a JSON body as a script would (X-CSRF-Token header).
func sendJSON(t *testing.T, c *podtest.Client, method, path, body string) *podtest.Response {
	t.Helper()
	req, err := http.NewRequest(method, c.Pod.Server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.CSRF())
	return c.Do(req)
}

// TestJSONOfTheWrongTypeIsRefused: JSON bodies are decoded into typed
// fields. A list or an object where text is wanted, text where an ID is,
// or an audience of another shape is a 422 naming the field, and nothing
// is stored.
func TestJSONOfTheWrongTypeIsRefused(t *testing.T) {
	w := newWorld(t)
	guid := post(t, w.alice, "hello", "public")
	before := tableDigests(t, w.p)
	friends := itoa(w.friends)
	cases := []struct {
		method, path, body, field string
	}{
		{"POST", "/status_messages", `{"status_message":{"text":["x"]},"aspect_ids":"public"}`, "status_message[text]"},
		{"POST", "/status_messages", `{"status_message":{"text":{"a":"x"}},"aspect_ids":"public"}`, "status_message[text]"},
		{"POST", "/status_messages", `{"status_message":"x","aspect_ids":"public"}`, "status_message"},
		{"POST", "/status_messages", `{"status_message":{"text":"x","provider_display_name":7},"aspect_ids":"public"}`, "status_message[provider_display_name]"},
		{"POST", "/status_messages", `{"text":true,"aspect_ids":"public"}`, "text"},
		{"POST", "/status_messages", `{"status_message":{"text":"x"},"aspect_ids":"everyone"}`, "aspect_ids"},
		{"POST", "/status_messages", `{"status_message":{"text":"x"},"aspect_ids":{"public":true}}`, "aspect_ids"},
		{"POST", "/status_messages", `{"status_message":{"text":"x"},"aspect_ids":[[` + friends + `]]}`, "aspect_ids"},
		{"POST", "/status_messages", `{"status_message":{"text":"x"},"aspect_ids":[1.5]}`, "aspect_ids"},
		{"POST", "/status_messages", `{"status_message":{"text":"x"},"aspect_ids":true}`, "aspect_ids"},
		{"POST", "/status_messages", `{"status_message":{"text":"x"},"aspect_ids":"public","preview":[]}`, "preview"},
		{"POST", "/status_messages", `["x"]`, "body"},
		{"POST", "/posts/" + guid + "/comments", `{"text":["x"]}`, "text"},
		{"POST", "/posts/" + guid + "/comments", `{"comment":{"text":{"x":1}}}`, "comment[text]"},
		{"POST", "/aspects", `{"aspect":{"name":5}}`, "aspect[name]"},
		{"POST", "/aspects", `{"name":["x"]}`, "name"},
		{"POST", "/aspects", `{"name":"x","person_id":{"id":1}}`, "person_id"},
		{"PUT", "/aspects/" + friends, `{"aspect":{"name":["x"]}}`, "aspect[name]"},
		{"PUT", "/aspects/order", `{"ordered_aspect_ids":"x"}`, "ordered_aspect_ids"},
		{"PUT", "/aspects/order", `{"ordered_aspect_ids":[{"id":1}]}`, "ordered_aspect_ids"},
		{"POST", "/aspect_memberships", `{"aspect_id":{},"person_id":` + itoa(w.daveID) + `}`, "aspect_id"},
		{"POST", "/aspect_memberships", `{"aspect_id":"abc","person_id":` + itoa(w.daveID) + `}`, "aspect_id"},
		{"DELETE", "/aspect_memberships", `{"aspect_id":` + friends + `,"person_id":[` + itoa(w.bobID) + `]}`, "person_id"},
		{"POST", "/blocks", `{"block":{"person_id":[` + itoa(w.daveID) + `]}}`, "block[person_id]"},
		{"POST", "/tag_followings", `{"name":1}`, "name"},
		{"POST", "/reshares", `{"root_guid":{"guid":"` + guid + `"}}`, "root_guid"},
		{"PUT", "/share_visibilities/1", `{"post_id":["` + guid + `"]}`, "post_id"},
		{"PUT", "/share_visibilities/1", `{"post_id":"` + guid + `","conversation":false}`, "conversation"},
	}
	for _, tc := range cases {
		r := sendJSON(t, w.alice, tc.method, tc.path, tc.body)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"`+tc.field+" ") {
			t.Errorf("%s %s %s: %d, want 422 naming %s: %s", tc.method, tc.path, tc.body, r.StatusCode, tc.field, trim(r.Body))
		}
	}
	if changed := changedTables(before, tableDigests(t, w.p)); len(changed) > 0 {
		t.Errorf("refused JSON changed rows in %v", changed)
	}
	// The shapes diaspora*'s clients send are accepted.
	for _, body := range []string{
		`{"status_message":{"text":"public"},"aspect_ids":"public"}`,
		`{"status_message":{"text":"all"},"aspect_ids":"all_aspects"}`,
		`{"status_message":{"text":"ids"},"aspect_ids":[` + friends + `]}`,
		`{"status_message":{"text":"strings"},"aspect_ids":["` + friends + `"]}`,
		`{"text":"flat","aspect_ids":["public"]}`,
	} {
		if r := sendJSON(t, w.alice, "POST", "/status_messages", body); r.StatusCode != http.StatusCreated {
			t.Errorf("%s: %d %s", body, r.StatusCode, trim(r.Body))
		}
	}
	if r := sendJSON(t, w.alice, "POST", "/aspects", `{"aspect":{"name":"Typed","person_id":"`+itoa(w.daveID)+`"}}`); r.StatusCode != http.StatusOK {
		t.Errorf("aspect with a person ID as a string: %d %s", r.StatusCode, r.Body)
	}
	if r := sendJSON(t, w.alice, "PUT", "/share_visibilities/1", `{"post_id":"`+guid+`"}`); r.StatusCode != http.StatusOK {
		t.Errorf("hide: %d %s", r.StatusCode, r.Body)
	}
}
