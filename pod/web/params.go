package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aspenpod/aspen/aspects"
	"github.com/aspenpod/aspen/pod"
)

// bind fills dst, a pointer to a struct of typed parameters, the way Rails
// reads them for diaspora*'s clients: form fields and query parameters by
// Rails-style names built from the json tags (a field "text" in a struct
// tagged "status_message" is "status_message[text]"; lists are "name[]" or
// "name"), and then, for a JSON body, the body decoded into the same
// struct. A value of the wrong type (a list or an object where text is
// wanted, text where a number is) is an InvalidError naming the field.
//
// Fields may be string, a struct of further fields, or one of the
// parameter types below (idParam, keyParam, flagParam, audienceParam,
// idListParam).
func bind(c *gin.Context, dst any) error {
	if err := fillForm(c, reflect.ValueOf(dst).Elem(), ""); err != nil {
		return err
	}
	if !strings.HasPrefix(mediaType(c.GetHeader("Content-Type")), "application/json") {
		return nil
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	err = json.Unmarshal(body, dst)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		name := railsName(typeErr.Field)
		if name == "" {
			return &pod.InvalidError{Fields: map[string]string{"body": "must be a JSON object"}}
		}
		return &pod.InvalidError{Fields: map[string]string{name: wants(typeErr.Type)}}
	case errors.As(err, &syntaxErr):
		return &pod.InvalidError{Fields: map[string]string{"body": "is not valid JSON: " + err.Error()}}
	}
	return &pod.InvalidError{Fields: map[string]string{"body": "could not be read: " + err.Error()}}
}

// railsName turns encoding/json's field path ("status_message.text") into
// the parameter's Rails-style name ("status_message[text]").
func railsName(path string) string {
	parts := strings.Split(path, ".")
	name := parts[0]
	for _, p := range parts[1:] {
		name += "[" + p + "]"
	}
	return name
}

// formParam is a parameter type that reads itself from form values.
type formParam interface {
	// fromForm reads the values given for the parameter; an error means
	// they are malformed.
	fromForm(vals []string) error
	// list says whether the parameter takes repeated values (name[]).
	list() bool
	// wants says what a good value is, for the error message.
	wants() string
}

// wants says what a good value of type t is.
func wants(t reflect.Type) string {
	if t == nil {
		return "has the wrong type"
	}
	if p, ok := reflect.New(t).Interface().(formParam); ok {
		return p.wants()
	}
	switch t.Kind() {
	case reflect.String:
		return "must be a string"
	case reflect.Struct, reflect.Map:
		return "must be an object"
	case reflect.Slice:
		return "must be a list"
	}
	return "has the wrong type"
}

// fillForm fills the fields of v from form fields and query parameters.
func fillForm(c *gin.Context, v reflect.Value, prefix string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			// An embedded struct's fields are the outer struct's, as
			// for encoding/json.
			if err := fillForm(c, v.Field(i), prefix); err != nil {
				return err
			}
			continue
		}
		if tag == "" || tag == "-" {
			continue
		}
		name := tag
		if prefix != "" {
			name = prefix + "[" + tag + "]"
		}
		fv := v.Field(i)
		switch x := fv.Addr().Interface().(type) {
		case formParam:
			if vals := formValues(c, name, x.list()); len(vals) > 0 {
				if err := x.fromForm(vals); err != nil {
					return &pod.InvalidError{Fields: map[string]string{name: x.wants()}}
				}
			}
		case *string:
			if vals := formValues(c, name, false); len(vals) > 0 {
				*x = vals[0]
			}
		default:
			if fv.Kind() == reflect.Struct {
				if err := fillForm(c, fv, name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// formValues returns the form's values for name, else the query's.
func formValues(c *gin.Context, name string, list bool) []string {
	names := []string{name}
	if list {
		names = []string{name + "[]", name}
	}
	for _, n := range names {
		if vs, ok := c.GetPostFormArray(n); ok && len(vs) > 0 {
			return vs
		}
		if vs, ok := c.GetQueryArray(n); ok && len(vs) > 0 {
			return vs
		}
	}
	return nil
}

// typeError is what a parameter type's UnmarshalJSON returns for a JSON
// value of the wrong kind; encoding/json adds the field's path.
func typeError(raw []byte, t any) error {
	kind := "value"
	switch b := bytes.TrimSpace(raw); {
	case len(b) == 0:
	case b[0] == '"':
		kind = "string"
	case b[0] == '{':
		kind = "object"
	case b[0] == '[':
		kind = "array"
	case b[0] == 't' || b[0] == 'f':
		kind = "bool"
	default:
		kind = "number"
	}
	return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeOf(t)}
}

// idParam is a numeric ID: a JSON number or a string of digits; missing,
// empty or null is 0.
type idParam int64

func (p *idParam) list() bool    { return false }
func (p *idParam) wants() string { return "must be a number" }
func (p *idParam) fromForm(vals []string) error {
	n, err := parseID(vals[0])
	*p = idParam(n)
	return err
}

// UnmarshalJSON reads a number or a string of digits.
func (p *idParam) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case float64:
		s = string(bytes.TrimSpace(b))
	default:
		return typeError(b, idParam(0))
	}
	n, err := parseID(s)
	if err != nil {
		return typeError(b, idParam(0))
	}
	*p = idParam(n)
	return nil
}

// parseID parses a non-negative integer; empty or "null" is 0.
func parseID(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a number")
	}
	return n, nil
}

// keyParam names a post by GUID or numeric ID: a string or a JSON integer.
type keyParam string

func (p *keyParam) list() bool    { return false }
func (p *keyParam) wants() string { return "must be a post's GUID or ID" }
func (p *keyParam) fromForm(vals []string) error {
	*p = keyParam(vals[0])
	return nil
}

// UnmarshalJSON reads a string or an integer.
func (p *keyParam) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		*p = keyParam(x)
		return nil
	case float64:
		if n, err := parseID(string(bytes.TrimSpace(b))); err == nil {
			*p = keyParam(strconv.FormatInt(n, 10))
			return nil
		}
	}
	return typeError(b, keyParam(""))
}

// flagParam is a yes/no parameter: a JSON boolean, or text where "",
// "0" and "false" are no and anything else is yes.
type flagParam bool

func (p *flagParam) list() bool    { return false }
func (p *flagParam) wants() string { return "must be true or false" }
func (p *flagParam) fromForm(vals []string) error {
	*p = flagParam(truthy(vals[0]))
	return nil
}

func truthy(s string) bool {
	switch strings.TrimSpace(s) {
	case "", "0", "false":
		return false
	}
	return true
}

// UnmarshalJSON reads a boolean or a string.
func (p *flagParam) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		*p = flagParam(x)
		return nil
	case string:
		*p = flagParam(truthy(x))
		return nil
	}
	return typeError(b, flagParam(false))
}

// audienceParam is a post's audience as diaspora*'s clients send it: the
// string "public" or "all_aspects", or a list of aspect IDs (numbers or
// strings; a form may also send "public" or "all_aspects" in the list).
// audience checks the values.
type audienceParam []string

func (p *audienceParam) list() bool { return true }
func (p *audienceParam) wants() string {
	return `must be "public", "all_aspects" or a list of aspect IDs`
}
func (p *audienceParam) fromForm(vals []string) error {
	*p = vals
	return nil
}

// UnmarshalJSON reads a string or a list of strings and numbers.
func (p *audienceParam) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x != "public" && x != "all_aspects" {
			return typeError(b, audienceParam(nil))
		}
		*p = audienceParam{x}
		return nil
	case []any:
		out := make(audienceParam, 0, len(x))
		for _, e := range x {
			switch y := e.(type) {
			case string:
				out = append(out, y)
			case float64:
				if y != float64(int64(y)) {
					return typeError(b, audienceParam(nil))
				}
				out = append(out, strconv.FormatInt(int64(y), 10))
			default:
				return typeError(b, audienceParam(nil))
			}
		}
		*p = out
		return nil
	}
	return typeError(b, audienceParam(nil))
}

// idListParam is a list of IDs: numbers or strings of digits.
type idListParam []int64

func (p *idListParam) list() bool    { return true }
func (p *idListParam) wants() string { return "must be a list of IDs" }
func (p *idListParam) fromForm(vals []string) error {
	out := make(idListParam, 0, len(vals))
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
	}
	*p = out
	return nil
}

// UnmarshalJSON reads a list of numbers or strings of digits.
func (p *idListParam) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return typeError(b, idListParam(nil))
	}
	out := make(idListParam, 0, len(raw))
	for _, r := range raw {
		var id idParam
		if err := id.UnmarshalJSON(r); err != nil || bytes.Equal(bytes.TrimSpace(r), []byte("null")) {
			return typeError(b, idListParam(nil))
		}
		out = append(out, int64(id))
	}
	*p = out
	return nil
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
