package entity

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"

	"github.com/aspenpod/aspen/federation"
)

// The JSON form (§4.21) is {"entity_type": name, "entity_data": {…}}, with
// "property_order" added for relayables. Nested entities are JSON objects of
// the same shape. It is used for account archives, not on the wire.

// MarshalJSON returns the JSON form of an entity.
func MarshalJSON(e Entity) ([]byte, error) {
	if e == nil || reflect.ValueOf(e).IsNil() {
		return nil, federation.Errorf(federation.ErrValidation, "nil entity")
	}
	s, v := specOf(e)
	if s == nil {
		return nil, federation.Errorf(federation.ErrUnknownEntity, "unregistered entity type %T", e)
	}
	var b bytes.Buffer
	writeJSONEntity(&b, s, v)
	return b.Bytes(), nil
}

func jsonString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s)
	b.Write(out)
}

// Data returns the entity's properties as a JSON-ready map (the
// "entity_data" of the JSON form).
func Data(e Entity) map[string]any {
	raw, err := MarshalJSON(e)
	if err != nil {
		return nil
	}
	var je struct {
		EntityData map[string]any `json:"entity_data"`
	}
	if json.Unmarshal(raw, &je) != nil {
		return nil
	}
	return je.EntityData
}

func writeJSONEntity(b *bytes.Buffer, s *spec, v reflect.Value) {
	b.WriteString(`{"entity_type":`)
	jsonString(b, s.name)
	b.WriteString(`,"entity_data":{`)
	first := true
	key := func(k string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		jsonString(b, k)
		b.WriteByte(':')
	}
	var received map[string]string // a relayable's non-canonical texts, kept as signed
	if s.relayable {
		received = v.Field(s.relayIdx).Addr().Interface().(*RelayFields).raw
	}
	for i := range s.fields {
		f := &s.fields[i]
		if !f.emitted(v) {
			continue
		}
		fv := v.Field(f.index)
		key(f.json)
		if text, ok := received[f.name]; ok {
			jsonString(b, text) // a scalar, as received
			continue
		}
		switch f.kind {
		case kString, kTime:
			jsonString(b, f.scalarText(v))
		case kBool, kInt:
			b.WriteString(f.scalarText(v))
		case kNested:
			writeJSONEntity(b, nestedSpec(f.elem), fv.Elem())
		case kNestedList:
			b.WriteByte('[')
			ns := nestedSpec(f.elem)
			n := 0
			for j := 0; j < fv.Len(); j++ {
				if fv.Index(j).IsNil() {
					continue
				}
				if n > 0 {
					b.WriteByte(',')
				}
				writeJSONEntity(b, ns, fv.Index(j).Elem())
				n++
			}
			b.WriteByte(']')
		}
	}
	var order []string
	if s.relayable {
		rf := v.Field(s.relayIdx).Addr().Interface().(*RelayFields)
		if rf.AuthorSignature != "" {
			key("author_signature")
			jsonString(b, rf.AuthorSignature)
		}
		extra := make([]string, 0, len(rf.Extra))
		for k := range rf.Extra {
			extra = append(extra, k)
		}
		sort.Strings(extra)
		for _, k := range extra {
			key(k)
			jsonString(b, rf.Extra[k])
		}
		order = rf.Order
		if order == nil {
			order = defaultOrder(s, v)
		}
	}
	b.WriteByte('}')
	if s.relayable {
		b.WriteString(`,"property_order":[`)
		for i, name := range order {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, name)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

type jsonEntity struct {
	EntityType    string                     `json:"entity_type"`
	EntityData    map[string]json.RawMessage `json:"entity_data"`
	PropertyOrder []string                   `json:"property_order"`
}

// ParseJSON parses and validates the JSON form of an entity.
func ParseJSON(data []byte) (Entity, error) {
	e, err := DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// DecodeJSON is ParseJSON without the final validation.
func DecodeJSON(data []byte) (Entity, error) {
	if len(data) > MaxEntitySize {
		return nil, federation.Errorf(federation.ErrTooLarge, "entity JSON is %d bytes, limit %d", len(data), MaxEntitySize)
	}
	var je jsonEntity
	if err := json.Unmarshal(data, &je); err != nil {
		return nil, federation.Wrap(federation.ErrMalformed, err, "entity JSON")
	}
	s := specs[je.EntityType]
	if s == nil {
		return nil, federation.Errorf(federation.ErrUnknownEntity, "unknown entity_type %q", je.EntityType)
	}
	v := reflect.New(s.typ)
	if err := decodeJSONEntity(&je, s, v.Elem(), s.name, 0); err != nil {
		return nil, err
	}
	return v.Interface().(Entity), nil
}

// jsonText turns a JSON scalar into the text the XML form would carry.
// present is false for null.
func jsonText(raw json.RawMessage) (text string, present, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, true
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false, false
		}
		return s, true, true
	case 't', 'f':
		return string(raw), true, string(raw) == "true" || string(raw) == "false"
	case '{', '[':
		return "", false, false
	default:
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", false, false
		}
		return n.String(), true, true
	}
}

func decodeJSONEntity(je *jsonEntity, s *spec, v reflect.Value, path string, depth int) error {
	if depth > MaxDepth {
		return federation.Errorf(federation.ErrTooLarge, "entity JSON nested deeper than %d", MaxDepth)
	}
	if je.EntityType != "" && je.EntityType != s.name {
		return federation.Errorf(federation.ErrValidation, "%s: entity_type %q where %q expected", path, je.EntityType, s.name)
	}
	for i := range s.fields {
		f := &s.fields[i]
		raw, has := je.EntityData[f.json]
		if !has {
			raw, has = je.EntityData[f.name]
		}
		fv := v.Field(f.index)
		switch f.kind {
		case kNested:
			if !has || string(bytes.TrimSpace(raw)) == "null" {
				if f.req {
					return missing(path, f.json)
				}
				continue
			}
			var sub jsonEntity
			if err := json.Unmarshal(raw, &sub); err != nil {
				return federation.Wrap(federation.ErrMalformed, err, "%s.%s", path, f.json)
			}
			ev := reflect.New(f.elem)
			if err := decodeJSONEntity(&sub, nestedSpec(f.elem), ev.Elem(), path+"."+f.json, depth+1); err != nil {
				return err
			}
			fv.Set(ev)
		case kNestedList:
			if !has || string(bytes.TrimSpace(raw)) == "null" {
				continue
			}
			var subs []jsonEntity
			if err := json.Unmarshal(raw, &subs); err != nil {
				return federation.Wrap(federation.ErrMalformed, err, "%s.%s", path, f.json)
			}
			for j := range subs {
				ev := reflect.New(f.elem)
				if err := decodeJSONEntity(&subs[j], nestedSpec(f.elem), ev.Elem(), path+"."+f.json, depth+1); err != nil {
					return err
				}
				fv.Set(reflect.Append(fv, ev))
			}
		default:
			text, present, ok := "", false, true
			if has {
				text, present, ok = jsonText(raw)
			}
			if !ok {
				return federation.Errorf(federation.ErrValidation, "%s.%s: not a scalar value", path, f.json)
			}
			if err := setScalar(f, fv, present, text, path); err != nil {
				return err
			}
			if s.relayable && present && text != f.scalarText(v) {
				rf := v.Field(s.relayIdx).Addr().Interface().(*RelayFields)
				if rf.raw == nil {
					rf.raw = map[string]string{}
				}
				rf.raw[f.name] = text
			}
		}
	}
	if s.relayable {
		rf := v.Field(s.relayIdx).Addr().Interface().(*RelayFields)
		for k, raw := range je.EntityData {
			if s.byJSON[k] != nil || s.byName[k] != nil {
				continue
			}
			text, _, ok := jsonText(raw)
			if !ok {
				text = string(raw)
			}
			if k == "author_signature" {
				rf.AuthorSignature = text
				continue
			}
			if strings.Contains(k, "signature") {
				continue
			}
			if rf.Extra == nil {
				rf.Extra = map[string]string{}
			}
			rf.Extra[k] = text
		}
		if je.PropertyOrder != nil {
			rf.Order = make([]string, 0, len(je.PropertyOrder))
			for _, name := range je.PropertyOrder {
				if !strings.Contains(name, "signature") {
					rf.Order = append(rf.Order, name)
				}
			}
		}
	}
	return nil
}
