package entity

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The properties of every entity are described by `fed` struct tags:
//
//	fed:"name[,flag...]"
//
// Flags: req (element required), nonempty (string must not be empty), opt
// (omitted when zero), now (timestamp defaulting to the current time),
// def=true (boolean default), guid / id (GUID / diaspora ID format), max=N
// (length in characters), nosemi (no ';'), url=path|host|hostpath, json=name
// (JSON property name if different). Field order is the order the reference
// emits.

type kind uint8

const (
	kString kind = iota
	kBool
	kTime
	kInt
	kNested
	kNestedList
)

type field struct {
	name     string
	json     string
	index    int
	kind     kind
	elem     reflect.Type // struct type of nested entities
	req      bool
	nonempty bool
	opt      bool
	now      bool
	defTrue  bool
	guid     bool
	id       bool
	nosemi   bool
	max      int
	url      string
}

type spec struct {
	name      string
	typ       reflect.Type
	fields    []field
	byName    map[string]*field
	byJSON    map[string]*field
	relayable bool
	relayIdx  int // index of the embedded RelayFields
}

var (
	specs       = map[string]*spec{}
	specsByType = map[reflect.Type]*spec{}
)

var (
	timeType  = reflect.TypeOf(time.Time{})
	relayType = reflect.TypeOf(RelayFields{})
)

func init() {
	for _, e := range allEntities {
		t := reflect.TypeOf(e).Elem()
		s := buildSpec(e.EntityName(), t)
		specs[s.name] = s
		specsByType[t] = s
	}
}

func buildSpec(name string, t reflect.Type) *spec {
	s := &spec{name: name, typ: t, byName: map[string]*field{}, byJSON: map[string]*field{}, relayIdx: -1}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Type == relayType && sf.Anonymous {
			s.relayable = true
			s.relayIdx = i
			continue
		}
		tag, ok := sf.Tag.Lookup("fed")
		if !ok {
			continue
		}
		parts := strings.Split(tag, ",")
		f := field{name: parts[0], json: parts[0], index: i}
		for _, p := range parts[1:] {
			switch {
			case p == "req":
				f.req = true
			case p == "nonempty":
				f.nonempty = true
			case p == "opt":
				f.opt = true
			case p == "now":
				f.now = true
			case p == "def=true":
				f.defTrue = true
			case p == "guid":
				f.guid = true
			case p == "id":
				f.id = true
			case p == "nosemi":
				f.nosemi = true
			case strings.HasPrefix(p, "max="):
				n, err := strconv.Atoi(p[4:])
				if err != nil {
					panic("entity: bad max in tag of " + t.Name() + "." + sf.Name)
				}
				f.max = n
			case strings.HasPrefix(p, "url="):
				f.url = p[4:]
			case strings.HasPrefix(p, "json="):
				f.json = p[5:]
			default:
				panic(fmt.Sprintf("entity: unknown flag %q in tag of %s.%s", p, t.Name(), sf.Name))
			}
		}
		switch {
		case sf.Type.Kind() == reflect.String:
			f.kind = kString
		case sf.Type.Kind() == reflect.Bool:
			f.kind = kBool
		case sf.Type.Kind() == reflect.Int:
			f.kind = kInt
		case sf.Type == timeType:
			f.kind = kTime
		case sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Struct:
			f.kind = kNested
			f.elem = sf.Type.Elem()
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.Pointer:
			f.kind = kNestedList
			f.elem = sf.Type.Elem().Elem()
		default:
			panic("entity: unsupported field type in " + t.Name() + "." + sf.Name)
		}
		s.fields = append(s.fields, f)
	}
	for i := range s.fields {
		s.byName[s.fields[i].name] = &s.fields[i]
		s.byJSON[s.fields[i].json] = &s.fields[i]
	}
	return s
}

func specOf(e Entity) (*spec, reflect.Value) {
	v := reflect.ValueOf(e).Elem()
	return specsByType[v.Type()], v
}

// nestedSpec returns the spec of a nested entity type. Nested types are always
// registered entities.
func nestedSpec(t reflect.Type) *spec { return specsByType[t] }

// emitted reports whether a field is written when serialising with the
// reference's default rules (optional zero values are omitted).
func (f *field) emitted(v reflect.Value) bool {
	fv := v.Field(f.index)
	switch f.kind {
	case kString:
		return !f.opt || fv.String() != ""
	case kBool:
		return !f.opt || fv.Bool()
	case kTime:
		return !fv.Interface().(time.Time).IsZero() || f.now || !f.opt
	case kInt:
		return !f.opt || fv.Int() != 0
	case kNested:
		return !fv.IsNil()
	case kNestedList:
		return fv.Len() > 0
	}
	return false
}

// TimeFormat is the timestamp format the reference emits and signs.
const TimeFormat = "2006-01-02T15:04:05Z"

// FormatTime formats a timestamp as the reference does: UTC, seconds, "Z".
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// scalarText returns the canonical text of a scalar field ("" for absent
// optional values). Strings are sanitised (characters illegal in XML become
// U+FFFD) as the reference does before signing.
func (f *field) scalarText(v reflect.Value) string {
	fv := v.Field(f.index)
	switch f.kind {
	case kString:
		return sanitize(fv.String())
	case kBool:
		if fv.Bool() {
			return "true"
		}
		return "false"
	case kTime:
		t := fv.Interface().(time.Time)
		if t.IsZero() {
			if f.now {
				return FormatTime(time.Now())
			}
			return ""
		}
		return FormatTime(t)
	case kInt:
		n := fv.Int()
		if n == 0 && f.opt {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	return ""
}
