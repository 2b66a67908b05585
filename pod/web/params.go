package web

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
)

// params reads a request's parameters the way Rails does for diaspora*'s
// clients: form fields, query parameters, or a JSON body whose keys may be
// nested ({"status_message": {"text": ...}} answers to
// "status_message[text]").
type params struct {
	c    *gin.Context
	json map[string]any
}

func newParams(c *gin.Context) (*params, error) {
	p := &params{c: c}
	if strings.HasPrefix(c.ContentType(), "application/json") {
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return nil, err
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &p.json); err != nil {
				return nil, &pod.InvalidError{Message: "the request body is not valid JSON: " + err.Error()}
			}
		}
	}
	return p, nil
}

// lookup finds a JSON value by a Rails-style name: "a[b]" or "a".
func (p *params) lookup(name string) (any, bool) {
	if p.json == nil {
		return nil, false
	}
	parts := strings.Split(strings.TrimSuffix(strings.ReplaceAll(name, "]", ""), "[]"), "[")
	var cur any = p.json
	for _, part := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// get returns one parameter as a string.
func (p *params) get(name string) string {
	if v, ok := p.lookup(name); ok {
		return scalar(v)
	}
	if v, ok := p.c.GetPostForm(name); ok {
		return v
	}
	return p.c.Query(name)
}

// list returns a repeated parameter ("a_ids[]" or a JSON array/scalar).
func (p *params) list(name string) []string {
	if v, ok := p.lookup(name); ok {
		switch x := v.(type) {
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				out = append(out, scalar(e))
			}
			return out
		default:
			return []string{scalar(x)}
		}
	}
	base := strings.TrimSuffix(name, "[]")
	for _, n := range []string{base + "[]", base} {
		if vs, ok := p.c.GetPostFormArray(n); ok && len(vs) > 0 {
			return vs
		}
		if vs := p.c.QueryArray(n); len(vs) > 0 {
			return vs
		}
	}
	return nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// id parses a numeric parameter; missing is 0, malformed an InvalidError.
func (p *params) id(name string) (int64, error) {
	v := strings.TrimSpace(p.get(name))
	if v == "" || v == "null" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &pod.InvalidError{Fields: map[string]string{fieldName(name): "must be a number"}}
	}
	return n, nil
}

func fieldName(name string) string {
	if i := strings.LastIndex(name, "["); i >= 0 {
		return strings.TrimSuffix(name[i+1:], "]")
	}
	return name
}

// pathID parses a numeric route parameter; anything else is not found.
func pathID(c *gin.Context, name string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSuffix(c.Param(name), ".json"), 10, 64)
	return n, err == nil && n > 0
}

// audience reads a publisher's audience: "public", "all_aspects" or aspect IDs.
func audience(vals []string) (aspects.Selection, error) {
	var sel aspects.Selection
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			switch part = strings.TrimSpace(part); part {
			case "":
			case "public":
				sel.Public = true
			case "all_aspects":
				sel.AllAspects = true
			default:
				n, err := strconv.ParseInt(part, 10, 64)
				if err != nil || n <= 0 {
					return sel, &pod.InvalidError{Fields: map[string]string{"aspect_ids": "must be \"public\", \"all_aspects\" or aspect IDs"}}
				}
				sel.Aspects = append(sel.Aspects, n)
			}
		}
	}
	return sel, nil
}
