package entity

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aspenpod/aspen/federation"
)

// node is a parsed XML element: its name, its element children and its
// content in document order (text and children interleaved).
type node struct {
	name     string
	raw      xml.Name // name with prefix, to match the end tag
	children []*node
	segs     []seg
}

type seg struct {
	text  string
	child *node
}

// text returns the concatenated text of the node and its descendants, like
// the reference's Nokogiri Node#text.
func (n *node) text() string {
	if len(n.segs) == 1 && n.segs[0].child == nil {
		return n.segs[0].text
	}
	var b strings.Builder
	n.appendText(&b)
	return b.String()
}

func (n *node) appendText(b *strings.Builder) {
	for _, s := range n.segs {
		if s.child != nil {
			s.child.appendText(b)
		} else {
			b.WriteString(s.text)
		}
	}
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// parseTree parses an entity payload into a tree, within the size limits.
func parseTree(data []byte) (*node, error) {
	if len(data) > MaxEntitySize {
		return nil, federation.Errorf(federation.ErrTooLarge, "entity payload is %d bytes, limit %d", len(data), MaxEntitySize)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var (
		stack []*node
		root  *node
		count int
	)
	for {
		// RawToken skips namespace translation (entities use none; a prefix is
		// ignored like the reference's node names do); end tags are matched
		// below.
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, federation.Wrap(federation.ErrMalformed, err, "entity XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, federation.Errorf(federation.ErrMalformed, "entity XML: more than one root element")
			}
			count++
			if count > MaxElements {
				return nil, federation.Errorf(federation.ErrTooLarge, "entity XML has more than %d elements", MaxElements)
			}
			if len(stack) >= MaxDepth {
				return nil, federation.Errorf(federation.ErrTooLarge, "entity XML nested deeper than %d", MaxDepth)
			}
			n := &node{name: t.Name.Local, raw: t.Name}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
				p.segs = append(p.segs, seg{child: n})
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].raw != t.Name {
				return nil, federation.Errorf(federation.ErrMalformed, "entity XML: unexpected end element %s", t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, federation.Errorf(federation.ErrMalformed, "entity XML: text outside the root element")
				}
				continue
			}
			p := stack[len(stack)-1]
			p.segs = append(p.segs, seg{text: string(t)})
		}
	}
	if len(stack) != 0 {
		return nil, federation.Errorf(federation.ErrMalformed, "entity XML: unclosed element %s", stack[len(stack)-1].name)
	}
	if root == nil {
		return nil, federation.Errorf(federation.ErrMalformed, "entity XML: no root element")
	}
	return root, nil
}

var entityNameRE = regexp.MustCompile(`^[a-z]*(_[a-z]*)*$`)

// ParseXML parses an entity payload (the XML inside a magic envelope),
// decodes it into the entity named by the root element and validates it.
// Errors wrap federation.ErrTooLarge, ErrMalformed, ErrUnknownEntity or
// ErrValidation and name what is wrong.
func ParseXML(data []byte) (Entity, error) {
	e, err := DecodeXML(data)
	if err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// DecodeXML is ParseXML without the final validation (property parsing
// errors, such as a malformed boolean or a missing required element, are
// still reported).
func DecodeXML(data []byte) (Entity, error) {
	root, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	if !entityNameRE.MatchString(root.name) {
		return nil, federation.Errorf(federation.ErrUnknownEntity, "invalid entity name %q", root.name)
	}
	s := specs[root.name]
	if s == nil {
		return nil, federation.Errorf(federation.ErrUnknownEntity, "unknown entity %q", root.name)
	}
	v := reflect.New(s.typ)
	if err := decodeNode(root, s, v.Elem(), s.name); err != nil {
		return nil, err
	}
	return v.Interface().(Entity), nil
}

func missing(path, name string) error {
	return federation.Errorf(federation.ErrValidation, "%s: missing required property %s", path, name)
}

func decodeNode(n *node, s *spec, v reflect.Value, path string) error {
	for i := range s.fields {
		f := &s.fields[i]
		fv := v.Field(f.index)
		switch f.kind {
		case kNestedList:
			ns := nestedSpec(f.elem)
			k := 0
			for _, c := range n.children {
				if c.name != f.name || len(c.children) == 0 {
					continue
				}
				ev := reflect.New(f.elem)
				if err := decodeNode(c, ns, ev.Elem(), path+"."+f.name+"["+strconv.Itoa(k)+"]"); err != nil {
					return err
				}
				fv.Set(reflect.Append(fv, ev))
				k++
			}
		case kNested:
			c := n.child(f.name)
			if c == nil || len(c.children) == 0 {
				if f.req {
					return missing(path, f.name)
				}
				continue
			}
			ev := reflect.New(f.elem)
			if err := decodeNode(c, nestedSpec(f.elem), ev.Elem(), path+"."+f.name); err != nil {
				return err
			}
			fv.Set(ev)
		default:
			c := n.child(f.name)
			present := c != nil
			var text string
			if present {
				text = c.text()
			}
			if err := setScalar(f, fv, present, text, path); err != nil {
				return err
			}
		}
	}
	if s.relayable {
		rf := v.Field(s.relayIdx).Addr().Interface().(*RelayFields)
		rf.Order = []string{}
		var raw []string
		known := map[string]bool{}
		for _, c := range n.children {
			if strings.Contains(c.name, "signature") {
				if c.name == "author_signature" && rf.AuthorSignature == "" {
					rf.AuthorSignature = c.text()
				}
				continue
			}
			t := c.text()
			rf.Order = append(rf.Order, c.name)
			raw = append(raw, t)
			if f := s.byName[c.name]; f != nil {
				// The value was parsed from the first such element.
				if !known[c.name] && t != f.scalarText(v) {
					if rf.raw == nil {
						rf.raw = map[string]string{}
					}
					rf.raw[c.name] = t
				}
				known[c.name] = true
			} else {
				if rf.Extra == nil {
					rf.Extra = map[string]string{}
				}
				if _, dup := rf.Extra[c.name]; !dup {
					rf.Extra[c.name] = t
				}
			}
		}
		rf.rawSigned = strings.Join(raw, ";")
		rf.hasRaw = true
	}
	return nil
}

func setScalar(f *field, fv reflect.Value, present bool, text, path string) error {
	switch f.kind {
	case kString:
		if !present {
			if f.req {
				return missing(path, f.name)
			}
			return nil
		}
		fv.SetString(text)
	case kBool:
		if !present || text == "" {
			if f.req {
				return missing(path, f.name)
			}
			fv.SetBool(f.defTrue)
			return nil
		}
		b, ok := ParseBool(text)
		if !ok {
			return federation.Errorf(federation.ErrValidation, "%s.%s: %q is not a boolean", path, f.name, text)
		}
		fv.SetBool(b)
	case kTime:
		var t time.Time
		if present && text != "" {
			t, _ = ParseTime(text) // the reference turns unparsable timestamps into nil
		}
		if t.IsZero() {
			if f.req {
				return missing(path, f.name)
			}
			if f.now {
				t = time.Now().UTC().Truncate(time.Second)
			}
		}
		fv.Set(reflect.ValueOf(t))
	case kInt:
		if !present || text == "" {
			if f.req {
				return missing(path, f.name)
			}
			return nil
		}
		if !isDigits(text) {
			return federation.Errorf(federation.ErrValidation, "%s.%s: %q is not an integer", path, f.name, text)
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			return federation.Errorf(federation.ErrValidation, "%s.%s: %q is out of range", path, f.name, text)
		}
		fv.SetInt(int64(n))
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseBool parses a boolean as the reference does: true|t|yes|y|1 and
// false|f|no|n|0, case-insensitively.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseTime parses a timestamp. It accepts the canonical form
// (2006-01-02T15:04:05Z) and the other common forms the reference's lenient
// parser understands; the result is in UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("unrecognised timestamp " + strconv.Quote(s))
}

// MarshalXML serialises an entity exactly as the reference does: two-space
// indentation, the reference's element order, canonical values, optional
// empty properties omitted, no XML declaration and no trailing newline.
// A relayable that was received (or signed) keeps its element order,
// unknown elements and author_signature, and a received one the text of
// known elements as signed (a non-canonical timestamp stays as written).
func MarshalXML(e Entity) ([]byte, error) {
	if e == nil || reflect.ValueOf(e).IsNil() {
		return nil, federation.Errorf(federation.ErrValidation, "nil entity")
	}
	s, v := specOf(e)
	if s == nil {
		return nil, federation.Errorf(federation.ErrUnknownEntity, "unregistered entity type %T", e)
	}
	var b bytes.Buffer
	b.Grow(512)
	writeNode(&b, s, v, 0)
	return b.Bytes(), nil
}

func indent(b *bytes.Buffer, depth int) {
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

func writeNode(b *bytes.Buffer, s *spec, v reflect.Value, depth int) {
	indent(b, depth)
	b.WriteByte('<')
	b.WriteString(s.name)
	b.WriteString(">\n")
	if s.relayable {
		rf := v.Field(s.relayIdx).Addr().Interface().(*RelayFields)
		if rf.Order != nil {
			for _, name := range rf.Order {
				if f := s.byName[name]; f != nil {
					text, ok := rf.raw[name]
					if !ok {
						text = f.scalarText(v)
					}
					writeScalar(b, depth+1, name, text)
				} else {
					writeScalar(b, depth+1, name, rf.Extra[name])
				}
			}
		} else {
			writeFields(b, s, v, depth)
		}
		if rf.AuthorSignature != "" {
			writeScalar(b, depth+1, "author_signature", rf.AuthorSignature)
		}
	} else {
		writeFields(b, s, v, depth)
	}
	indent(b, depth)
	b.WriteString("</")
	b.WriteString(s.name)
	b.WriteByte('>')
}

func writeFields(b *bytes.Buffer, s *spec, v reflect.Value, depth int) {
	for i := range s.fields {
		f := &s.fields[i]
		if !f.emitted(v) {
			continue
		}
		switch f.kind {
		case kNested:
			writeNode(b, nestedSpec(f.elem), v.Field(f.index).Elem(), depth+1)
			b.WriteByte('\n')
		case kNestedList:
			l := v.Field(f.index)
			ns := nestedSpec(f.elem)
			for j := 0; j < l.Len(); j++ {
				if l.Index(j).IsNil() {
					continue
				}
				writeNode(b, ns, l.Index(j).Elem(), depth+1)
				b.WriteByte('\n')
			}
		default:
			writeScalar(b, depth+1, f.name, f.scalarText(v))
		}
	}
}

func writeScalar(b *bytes.Buffer, depth int, name, value string) {
	indent(b, depth)
	b.WriteByte('<')
	b.WriteString(name)
	if value == "" {
		b.WriteString("/>\n")
		return
	}
	b.WriteByte('>')
	EscapeText(b, value)
	b.WriteString("</")
	b.WriteString(name)
	b.WriteString(">\n")
}

const hexDigits = "0123456789ABCDEF"

// EscapeText writes s as XML element text the way the reference's
// serialiser does: <, > and & as entities, CR as &#13; (so that it survives
// end-of-line normalisation), every non-ASCII character as an uppercase
// hexadecimal character reference, and characters that are illegal in XML
// 1.0 (and invalid UTF-8) as &#xFFFD;.
func EscapeText(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '<':
				b.WriteString("&lt;")
			case c == '>':
				b.WriteString("&gt;")
			case c == '&':
				b.WriteString("&amp;")
			case c == '\r':
				b.WriteString("&#13;")
			case c == '\n' || c == '\t':
				b.WriteByte(c)
			case c < 0x20:
				b.WriteString("&#xFFFD;")
			default:
				b.WriteByte(c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if (r == utf8.RuneError && size == 1) || !isXMLChar(r) {
			r = utf8.RuneError
		}
		b.WriteString("&#x")
		var tmp [8]byte
		n := len(tmp)
		for x := uint32(r); ; x >>= 4 {
			n--
			tmp[n] = hexDigits[x&0xF]
			if x < 16 {
				break
			}
		}
		b.Write(tmp[n:])
		b.WriteByte(';')
	}
}

func isXMLChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r < 0x20:
		return false
	case r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// sanitize replaces characters that are illegal in XML 1.0 (and invalid
// UTF-8) with U+FFFD, as the reference does before serialising and signing.
func sanitize(s string) string {
	ok := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !isXMLChar(r) {
			ok = false
			break
		}
		i += size
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !isXMLChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i += size
	}
	return b.String()
}
