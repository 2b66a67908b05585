package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/pod"
)

// badText is the message for a value that is not clean text.
const badText = "contains a NUL byte or is not valid UTF-8"

// cleanText reports whether s is text the database can store: valid UTF-8
// (which excludes overlong forms and surrogates) without NUL bytes.
func cleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkInput checks every piece of text a request brings, once, at the
// edge, before any handler sees it: the path (a bad segment is a 404, as no
// page has such a name), the query parameters, the text fields of a form
// (urlencoded or multipart; file parts are binary and not checked) and the
// strings of a JSON body (a bad one is a 422 naming the parameter). Text
// that is not valid UTF-8 or holds a NUL byte cannot be stored by
// PostgreSQL and is no one's legitimate input.
//
// Bodies are read within the limit limitBody set and put back, so handlers
// read them as before. Federation deliveries (/receive/) are left to their
// handler, which answers other pods 202 and drops what it cannot use.
func (s *Server) checkInput(c *gin.Context) {
	r := c.Request
	if strings.HasPrefix(r.URL.Path, "/receive/") {
		c.Next()
		return
	}
	fail := s.fail
	if strings.HasPrefix(r.URL.Path, "/api/v1/") {
		fail = s.apiFail // API clients get diaspora*'s {code, message}
	}
	if !cleanText(r.URL.Path) {
		fail(c, pod.ErrNotFound)
		c.Abort()
		return
	}
	if err := checkValues(r.URL.Query()); err != nil {
		fail(c, err)
		c.Abort()
		return
	}
	if err := checkBody(c); err != nil {
		fail(c, err)
		c.Abort()
		return
	}
	c.Next()
}

// checkValues checks parameter names and values; the error names the
// first bad parameter (in name order, so that answers are stable).
func checkValues(vals url.Values) error {
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ok := cleanText(k)
		for _, v := range vals[k] {
			ok = ok && cleanText(v)
		}
		if !ok {
			return badField(k)
		}
	}
	return nil
}

// badField is the InvalidError for a parameter that is not clean text. The
// name itself may be the bad part, so it is shown cleaned.
func badField(name string) error {
	return &pod.InvalidError{Fields: map[string]string{printable(name): badText}}
}

// printable makes a parameter name safe to show: bad bytes become U+FFFD.
func printable(name string) string {
	name = strings.ReplaceAll(strings.ToValidUTF8(name, "\uFFFD"), "\x00", "\uFFFD")
	if name == "" {
		return "(empty name)"
	}
	return name
}

// mediaType is a Content-Type's media type in lower case, as Go's form
// parsers read it ("Application/X-WWW-Form-Urlencoded" is a form to them).
func mediaType(header string) string {
	if mt, _, err := mime.ParseMediaType(header); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(header, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// checkBody checks a form or JSON body and leaves it readable again.
func checkBody(c *gin.Context) error {
	r := c.Request
	ct := mediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/x-www-form-urlencoded":
		if r.PostForm != nil {
			// Handler parsed it already for Rails' method override.
			return checkValues(r.PostForm)
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		vals, _ := url.ParseQuery(string(body))
		return checkValues(vals)
	case strings.HasPrefix(ct, "multipart/"):
		if ct != "multipart/form-data" {
			return nil
		}
		// Parsed once here; handlers find the parsed form (and the files,
		// which are binary and not checked) on the request.
		if err := r.ParseMultipartForm(maxMultipartMemory); err != nil {
			var maxBytes *http.MaxBytesError
			if errors.As(err, &maxBytes) {
				return err
			}
			return errBadForm
		}
		if r.MultipartForm == nil {
			return nil
		}
		return checkValues(r.MultipartForm.Value)
	case strings.HasPrefix(ct, "application/json"):
		body, err := readBody(r)
		if err != nil {
			return err
		}
		return checkJSON(body)
	}
	return nil
}

// maxMultipartMemory is how much of a multipart form is kept in memory
// (the rest goes to temporary files, removed after the request).
const maxMultipartMemory = 8 << 20

var errBadForm = &pod.InvalidError{Message: "the form could not be read (a malformed multipart body)"}

// readBody reads the whole body (limitBody bounds it) and puts it back.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return nil, err
	} else if err != nil {
		return nil, errBadRequest
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// checkJSON checks every string (keys included) in a JSON body, naming a
// bad one by its Rails-style parameter name ("status_message[text]").
// encoding/json would silently turn invalid UTF-8 and lone surrogate
// escapes ("\ud800") into U+FFFD, so the raw text of each string is
// checked. A body that is not JSON at all is refused too.
func checkJSON(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// path holds the open containers: an object's current key, or "" for
	// an array; expectKey says an object's next string is a key.
	type level struct {
		key      string
		isObject bool
		expect   bool
	}
	var stack []level
	name := func(extra string) string {
		var b strings.Builder
		for i, l := range stack {
			if !l.isObject {
				if i > 0 {
					b.WriteString("[]")
				}
				continue
			}
			if i == 0 || b.Len() == 0 {
				b.WriteString(l.key)
			} else {
				b.WriteString("[" + l.key + "]")
			}
		}
		if extra != "" {
			if b.Len() == 0 {
				b.WriteString(extra)
			} else {
				b.WriteString("[" + extra + "]")
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return b.String()
	}
	var prev int64
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &pod.InvalidError{Fields: map[string]string{"body": "is not valid JSON: " + err.Error()}}
		}
		end := dec.InputOffset()
		raw := body[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, level{isObject: true, expect: true})
			case '[':
				stack = append(stack, level{})
			default:
				stack = stack[:len(stack)-1]
				if n := len(stack); n > 0 && stack[n-1].isObject {
					stack[n-1].expect = true
				}
			}
			continue
		case string:
			top := len(stack) - 1
			isKey := top >= 0 && stack[top].isObject && stack[top].expect
			if q := bytes.IndexByte(raw, '"'); q < 0 || !rawStringClean(raw[q:]) {
				if isKey {
					return badField(name(t))
				}
				return badField(name(""))
			}
			if isKey {
				stack[top].key, stack[top].expect = t, false
				continue
			}
		}
		if n := len(stack); n > 0 && stack[n-1].isObject {
			stack[n-1].expect = true
		}
	}
	return nil
}

// rawStringClean checks a JSON string as written (quotes included): its
// bytes must be valid UTF-8, and its \u escapes must not be NUL or a
// surrogate without its other half.
func rawStringClean(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // a one-letter escape such as \" or \\
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return false
		}
		switch {
		case r == 0:
			return false
		case r >= 0xD800 && r < 0xDC00:
			// A high surrogate must be followed by a low one.
			if i+7 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return false
			}
			lo, ok := hex4(raw, i+8)
			if !ok || lo < 0xDC00 || lo >= 0xE000 {
				return false
			}
			i += 11
		case r >= 0xDC00 && r < 0xE000:
			return false
		default:
			i += 5
		}
	}
	return true
}

// hex4 reads the four hex digits of a \u escape starting at raw[i].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[i:i+4]), 16, 32)
	return rune(n), err == nil
}
