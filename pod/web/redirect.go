package web

import (
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Redirect targets that a visitor supplies (return_to after sign-in or in
// a no-JS form, a Referer for "back") are checked here, in one place.

// maxRedirectPath bounds a supplied redirect target.
const maxRedirectPath = 2048

// sameSitePath reports whether p is safe as a redirect target supplied by a
// visitor: a path on this site. A browser strips tabs and newlines from a
// Location and reads a backslash as a slash, so "/\t/evil.example" or
// "/\\evil.example" would take it to another host: p must be an absolute
// path without a scheme, host, leading "//", backslash, control character
// or white space, raw or percent-encoded in the path, and not absurdly
// long.
func sameSitePath(p string) bool {
	if len(p) == 0 || len(p) > maxRedirectPath || p[0] != '/' || len(p) > 1 && (p[1] == '/' || p[1] == '\\') || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			return false
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	if strings.HasPrefix(u.Path, "//") {
		return false
	}
	for _, r := range u.Path {
		if r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// safeReturnTo is p when it is a same-site path, else "/".
func safeReturnTo(p string) string {
	if !sameSitePath(p) {
		return "/"
	}
	return p
}

// safeRedirectPath is sameSitePath returning the path (with its query and
// fragment) and whether it is safe.
func safeRedirectPath(raw string) (string, bool) {
	if !sameSitePath(raw) {
		return "", false
	}
	return raw, true
}

// signInReturnTo is the sign-in target a request carries: the form's hidden
// return_to field, else the query's, when it is a same-site path.
func signInReturnTo(c *gin.Context) string {
	p := c.PostForm("return_to")
	if p == "" {
		p = c.Query("return_to")
	}
	if !sameSitePath(p) {
		return ""
	}
	return p
}

// back redirects a browser form to the page it came from (its Referer,
// when that is a page of this site) or else to fallback.
func back(c *gin.Context, fallback string) {
	ref := c.GetHeader("Referer")
	if i := strings.Index(ref, "://"); i >= 0 {
		rest := ref[i+3:]
		if j := strings.Index(rest, "/"); j >= 0 && rest[:j] == c.Request.Host && sameSitePath(rest[j:]) {
			c.Redirect(http.StatusSeeOther, rest[j:])
			return
		}
	}
	c.Redirect(http.StatusSeeOther, fallback)
}

// backToPost redirects a no-JS form back to the return_to it carries (the
// page it was on, with the post's anchor), when that is a path on this
// site; otherwise to the page it came from or fallback, as back does.
func backToPost(c *gin.Context, fallback string) {
	if to, ok := safeRedirectPath(c.PostForm("return_to")); ok {
		c.Redirect(http.StatusSeeOther, to)
		return
	}
	back(c, fallback)
}
