package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
	"github.com/aspenpod/aspen/pod/federate"
	"github.com/aspenpod/aspen/templates"
)

// renderer holds every page template, parsed once at start: each page is
// the base layout plus its own file.
type renderer struct {
	pages map[string]*template.Template
}

func newRenderer() (*renderer, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templates.FS, "layouts/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layouts: %w", err)
	}
	files, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]*template.Template{}}
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templates.FS, f); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		r.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return r, nil
}

// html renders a page into a buffer first, so a template error never sends
// half a page.
func (r *renderer) html(c *gin.Context, status int, page string, data any) error {
	t, ok := r.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	return nil
}

// wantsJSON reports whether the client asked for JSON: a .json path, an
// Accept header that prefers it, or a script's write (a JSON body, or the
// X-CSRF-Token header, which browser forms never send) that wants a status
// rather than a redirect.
func wantsJSON(c *gin.Context) bool {
	if strings.HasSuffix(c.Request.URL.Path, ".json") {
		return true
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead &&
		(strings.HasPrefix(c.ContentType(), "application/json") || c.GetHeader("X-CSRF-Token") != "") {
		return true
	}
	accept := c.GetHeader("Accept")
	return strings.HasPrefix(accept, "application/json") || (strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html"))
}

var relationshipNames = map[string]string{
	"mutual": "Sharing with each other", "sharing": "Shares with you", "receiving": "You share with them", "not_sharing": "Not sharing",
}

var notificationTypeNames = map[string]string{
	"also_commented": "Also commented", "comment_on_post": "Comments", "liked": "Likes",
	"mentioned": "Mentions", "private_message": "Private messages", "reshared": "Reshares", "started_sharing": "Started sharing",
	"mentioned_in_comment": "Mentions in comments", "liked_comment": "Comment likes",
}

var podStateNames = map[string]string{
	federate.PodUp: "up", federate.PodFailing: "failing", federate.PodGivenUp: "given up", federate.PodUnknown: "not contacted yet",
}

// when shows a moment in UTC, whatever the server's time zone.
func when(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// funcs are the helpers templates may call.
var funcs = template.FuncMap{
	"postCtx": func(p pod.PostView, b BasePage) postCtx {
		return postCtx{PostView: p, CSRF: b.CSRFToken, ReturnTo: b.Here}
	},
	"relationship":     func(r string) string { return relationshipNames[r] },
	"notificationType": func(t string) string { return notificationTypeNames[t] },
	"when":             when,
	"podState":         func(state string) string { return podStateNames[state] },
	"commentLikeCtx":   commentLikeCtx,
	"bytes":            humanBytes,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	},
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// humanBytes shows a size in bytes as B, KB, MB or GB (powers of 1024).
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, suffix := float64(n)/unit, "KB"
	for _, s := range []string{"MB", "GB", "TB"} {
		if f < unit {
			break
		}
		f, suffix = f/unit, s
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + suffix
}
