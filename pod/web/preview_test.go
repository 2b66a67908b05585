package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/pod/podtest"
)

// previewJSON asks for the publisher's live preview as its script does.
func previewJSON(t *testing.T, c *podtest.Client, form url.Values) (int, string) {
	t.Helper()
	form = cloneForm(form)
	req, err := http.NewRequest(http.MethodPost, c.Pod.Server.URL+"/posts/preview", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", c.CSRF())
	r := c.Do(req)
	var out struct {
		HTML  string `json:"html"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("preview: %d %v\n%s", r.StatusCode, err, trim(r.Body))
	}
	if r.StatusCode != http.StatusOK {
		return r.StatusCode, out.Error
	}
	return r.StatusCode, out.HTML
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestPreviewRendersLikeThePostPage: the preview is the post page's
// rendering of the same text (markdown, tags, mentions), sanitised; in a
// limited post a mention of someone outside its audience is plain text,
// as it will be when shared.
func TestPreviewRendersLikeThePostPage(t *testing.T) {
	w := newWorld(t)
	text := "**bold** and #gardening with @{Bob; bob@pod.test}\n\n<script>alert(1)</script> [x](javascript:alert(2))"
	code, html := previewJSON(t, w.alice, url.Values{"status_message[text]": {text}, "aspect_ids[]": {"public"}})
	if code != http.StatusOK {
		t.Fatalf("preview: %d %s", code, html)
	}
	for _, want := range []string{"<strong>bold</strong>", `href="/tags/gardening"`, `href="/people/`} {
		if !strings.Contains(html, want) {
			t.Errorf("preview lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "javascript:") {
		t.Errorf("preview is not sanitised:\n%s", html)
	}
	guid := post(t, w.alice, text, "public")
	if page := mustStatus(t, w.alice.Get("/posts/"+guid), http.StatusOK).Body; !strings.Contains(page, html) {
		t.Errorf("the post page renders the text otherwise than the preview %q", html)
	}

	// Limited to Friends: carol is not in it, so her mention is plain text.
	_, html = previewJSON(t, w.alice, url.Values{"status_message[text]": {"hi @{Carol; carol@pod.test} and @{Bob; bob@pod.test}"}, "aspect_ids[]": {itoa(w.friends)}})
	if strings.Count(html, `href="/people/`) != 1 || !strings.Contains(html, "Carol") {
		t.Errorf("limited preview should link bob only and name Carol as text:\n%s", html)
	}

	// Bad input: clear 4xx messages.
	if code, msg := previewJSON(t, w.alice, url.Values{"status_message[text]": {"  "}}); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "text can't be blank") {
		t.Errorf("blank: %d %q", code, msg)
	}
	long := strings.Repeat("é", 65536)
	if code, msg := previewJSON(t, w.alice, url.Values{"status_message[text]": {long}}); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "at most 65535 characters") {
		t.Errorf("too long: %d %q", code, msg)
	}
	// Signed out: sign in first.
	if r := w.anon.Post("/posts/preview", url.Values{"status_message[text]": {"x"}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out: %d", r.StatusCode)
	}
}

// TestPreviewWithoutJavaScript: the publisher's Preview button re-renders
// the stream with the text kept, its preview and who will see it, and
// shares nothing.
func TestPreviewWithoutJavaScript(t *testing.T) {
	w := newWorld(t)
	text := "Seeds for **everyone** <b>x</b>"
	r := mustStatus(t, w.alice.Post("/posts/preview", url.Values{"status_message[text]": {text}, "aspect_ids[]": {itoa(w.friends)}, "preview_text": {"1"}}), http.StatusOK)
	for _, want := range []string{
		`formaction="/posts/preview"`,                             // the button is there
		">Seeds for **everyone** &lt;b&gt;x&lt;/b&gt;</textarea>", // the text is kept
		"<strong>everyone</strong>",                               // its preview
		"bob@pod.test",                                            // who will see it
		`value="` + itoa(w.friends) + `" checked`,                 // and the audience kept
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the preview page lacks %s", want)
		}
	}
	if strings.Contains(r.Body, "<b>x</b>") {
		t.Errorf("raw HTML came through the preview")
	}
	if body := w.alice.Get("/activity.json").Body; strings.Contains(body, "Seeds") {
		t.Errorf("previewing shared the post")
	}
	// Bad input re-renders the form with the message and the text.
	r = mustStatus(t, w.alice.Post("/posts/preview", url.Values{"status_message[text]": {strings.Repeat("a", 65536)}, "aspect_ids[]": {"public"}, "preview_text": {"1"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, "is too long (at most 65535 characters)") || !strings.Contains(r.Body, strings.Repeat("a", 100)) {
		t.Errorf("too long: the page lacks the message or the text")
	}
}

// TestPostLengthLimit: the server refuses a post over 65,535 characters
// with a message saying so, and takes one of exactly that length.
func TestPostLengthLimit(t *testing.T) {
	w := newWorld(t)
	r := mustStatus(t, w.alice.Post("/status_messages", url.Values{"status_message[text]": {strings.Repeat("ü", 65536)}, "aspect_ids[]": {"public"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body, "is too long (at most 65535 characters)") {
		t.Errorf("too long: no message")
	}
	post(t, w.alice, strings.Repeat("ü", 65535), "public")
}
