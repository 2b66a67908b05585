package web_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// apiExample is one documented call of diaspora*'s API documentation
// (testdata/api-documentation, see its ORIGIN): the section heading, the
// request line, the request body and the response body (nil when the
// section shows none).
type apiExample struct {
	Title    string
	Method   string
	Path     string
	Request  any
	Response any
}

// trailingComma is a comma before a closing bracket or brace.
var trailingComma = regexp.MustCompile(`,(\s*[}\]])`)

// apiExamples reads the documented examples of one file of the API
// documentation, keyed by their section heading ("Get likes for a post").
func apiExamples(t *testing.T, file string) map[string]*apiExample {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "api-documentation", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*apiExample{}
	var cur *apiExample
	var block *bytes.Buffer
	var blockJSON bool
	inResponse := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case block != nil && strings.HasPrefix(line, "~~~"):
			text := strings.TrimSpace(block.String())
			block = nil
			if cur == nil {
				continue
			}
			if !blockJSON {
				if m, p, ok := strings.Cut(text, " "); ok && !inResponse && cur.Method == "" {
					cur.Method, cur.Path = m, strings.TrimSpace(p)
				}
				continue
			}
			var v any
			err := json.Unmarshal([]byte(text), &v)
			if err != nil {
				// The documentation has a stray trailing comma or two.
				err = json.Unmarshal([]byte(trailingComma.ReplaceAllString(text, "$1")), &v)
			}
			if err != nil {
				t.Fatalf("%s, %q: example is not JSON: %v", file, cur.Title, err)
			}
			if inResponse {
				cur.Response = v
			} else {
				cur.Request = v
			}
		case block != nil:
			block.WriteString(line + "\n")
		case strings.HasPrefix(line, "~~~"):
			block, blockJSON = &bytes.Buffer{}, strings.TrimSpace(strings.TrimPrefix(line, "~~~")) == "json"
		case strings.HasPrefix(line, "## "):
			cur = &apiExample{Title: strings.TrimSpace(line[3:])}
			out[cur.Title] = cur
			inResponse = false
		case strings.HasPrefix(line, "### Response"):
			inResponse = true
		case strings.HasPrefix(line, "### "):
			inResponse = false
		}
	}
	return out
}

// example is the named example of a file; a missing one fails the test.
func example(t *testing.T, file, title string) *apiExample {
	t.Helper()
	ex := apiExamples(t, file)[title]
	if ex == nil {
		t.Fatalf("%s has no example %q", file, title)
	}
	return ex
}

// sameShape checks that got has the shape of the documented want: every
// key of every object in want is in got with a value of the same JSON
// type, recursively (array items are checked against want's first item;
// a null in want allows any value). optional lists the keys (as paths
// like "poll" or "author.avatar") that may be missing from got because the
// pod leaves out what is not set, as diaspora*'s presenters do.
func sameShape(t *testing.T, what string, want, got any, optional ...string) {
	t.Helper()
	var problems []string
	shapeDiff("", want, got, optional, &problems)
	sort.Strings(problems)
	for _, p := range problems {
		t.Errorf("%s: %s", what, p)
	}
}

func shapeDiff(path string, want, got any, optional []string, problems *[]string) {
	if want == nil {
		return
	}
	name := path
	if name == "" {
		name = "the answer"
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s is %s, documented as an object", name, jsonType(got)))
			return
		}
		for k, wv := range w {
			p := k
			if path != "" {
				p = path + "." + k
			}
			gv, ok := g[k]
			if !ok {
				if !contains(optional, p) {
					*problems = append(*problems, fmt.Sprintf("%s is missing", p))
				}
				continue
			}
			shapeDiff(p, wv, gv, optional, problems)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s is %s, documented as an array", name, jsonType(got)))
			return
		}
		if len(w) > 0 {
			for i, gv := range g {
				shapeDiff(fmt.Sprintf("%s[%d]", path, i), w[0], gv, optional, problems)
			}
		}
	default:
		if jsonType(want) != jsonType(got) && !(got == nil && contains(optional, path)) {
			*problems = append(*problems, fmt.Sprintf("%s is %s, documented as %s", name, jsonType(got), jsonType(want)))
		}
	}
}

func contains(list []string, path string) bool {
	for _, o := range list {
		if o == path || o == stripIndexes(path) {
			return true
		}
	}
	return false
}

func stripIndexes(path string) string {
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// apiTokenFor registers an app on p, lets user approve it with these
// scopes (through the consent page, as a browser would) and returns the
// access token.
func apiTokenFor(t *testing.T, p *podtest.Pod, user string, scopes ...string) string {
	t.Helper()
	return registerApp(t, p, user, nil, scopes...).token().AccessToken
}

// apiDo calls the API with a bearer token (none when token is empty): a
// JSON body unless body is nil. It returns the status, the headers and
// the decoded JSON answer (nil for an empty body).
func apiDo(t *testing.T, p *podtest.Pod, token, method, path string, body any) (int, http.Header, any) {
	t.Helper()
	if body == nil {
		return apiSend(t, p, token, method, path, "", nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return apiSend(t, p, token, method, path, "application/json", b)
}

// apiSend calls the API with a raw body of the given content type (no
// body and no Content-Type when ctype is empty), with a bearer token
// unless token is empty, and decodes the JSON answer as apiDo.
func apiSend(t *testing.T, p *podtest.Pod, token, method, path, ctype string, body []byte) (int, http.Header, any) {
	t.Helper()
	var rd io.Reader
	if ctype != "" {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, p.Server.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// TestAPIExamplesParse checks the documentation copy reads: every file
// has examples, and a known one has its request line and response.
func TestAPIExamplesParse(t *testing.T) {
	ex := example(t, "likes.md", "Get likes for a post")
	if ex.Method != "GET" || ex.Path != "/api/v1/posts/:post_guid/likes" {
		t.Errorf("request line: %q %q", ex.Method, ex.Path)
	}
	arr, ok := ex.Response.([]any)
	if !ok || len(arr) != 2 {
		t.Fatalf("response: %v", ex.Response)
	}
	var problems []string
	shapeDiff("", ex.Response, []any{map[string]any{"guid": "x", "author": map[string]any{"guid": 1.0}}}, nil, &problems)
	var optional []string
	shapeDiff("", ex.Response, []any{map[string]any{"guid": "x", "author": map[string]any{"guid": "g", "diaspora_id": "a@b", "name": "A"}}}, []string{"author.avatar"}, &optional)
	if len(optional) != 0 {
		t.Errorf("an optional key inside an array item was reported: %v", optional)
	}
	if len(problems) != 4 { // author.guid's type, author.diaspora_id, author.name, author.avatar, and nothing else
		t.Errorf("shape check found %d problems: %v", len(problems), problems)
	}
	if ex := example(t, "comments.md", "Get comments for a post"); ex.Response == nil {
		t.Error("comments.md's example (with its trailing comma) was not read")
	}
	create := example(t, "aspects.md", "Create new aspect")
	if create.Method != "POST" || create.Request == nil || create.Response == nil {
		t.Errorf("create aspect: %+v", create)
	}
}

// apiGUIDs lists the guid of every object of an API list answer.
func apiGUIDs(t *testing.T, body any) []string {
	t.Helper()
	arr, ok := body.([]any)
	if !ok {
		t.Fatalf("not a list: %v", body)
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		out = append(out, x.(map[string]any)["guid"].(string))
	}
	return out
}

// TestAPIBadTextAnswersInTheAPIShape: text that is not valid UTF-8 in an
// API request's query, or a NUL byte in its JSON body, is refused at the edge with
// diaspora*'s {code, message}, not the web's HTML error page, and changes
// nothing.
func TestAPIBadTextAnswersInTheAPIShape(t *testing.T) {
	p := podtest.NewReachable(t)
	p.NewUser(t, "alice")
	tok := apiTokenFor(t, p, "alice", "openid", "public:read", "public:modify")
	code, _, body := apiDo(t, p, tok, "GET", "/api/v1/streams/main?x=%ff", nil)
	wantAPIError(t, "bad query", code, body, http.StatusUnprocessableEntity, "")
	before := countRows(t, p, "posts")
	code, _, body = apiDo(t, p, tok, "POST", "/api/v1/posts", map[string]any{"body": "a\x00b", "public": true})
	wantAPIError(t, "NUL in JSON text", code, body, http.StatusUnprocessableEntity, "")
	if after := countRows(t, p, "posts"); after != before {
		t.Errorf("posts went from %d to %d", before, after)
	}
}
