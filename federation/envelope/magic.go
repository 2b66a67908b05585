// Package envelope implements magic envelopes (§2: the signed container of
// every federated entity, posted as is on the public route) and private
// envelopes (§3.2: a magic envelope encrypted for one recipient).
//
// Keys are passed parsed (*rsa.PrivateKey, *rsa.PublicKey): parse a PEM once
// with federation.ParsePrivateKey / ParsePublicKey and cache it.
package envelope

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/internal/rsapub"
)

// Fixed values of a magic envelope.
const (
	// Namespace is the magic envelope XML namespace, bound to the prefix "me".
	Namespace = "http://salmon-protocol.org/ns/magic-env"
	// DataType is the only accepted me:data/@type.
	DataType = "application/xml"
	// Encoding is the only accepted me:encoding.
	Encoding = "base64url"
	// Algorithm is the only accepted me:alg.
	Algorithm = "RSA-SHA256"
	// ContentType is the HTTP content type of a magic envelope.
	ContentType = "application/magic-envelope+xml"
)

// MaxEnvelopeSize bounds a magic envelope document: the base64url of a
// payload of entity.MaxEntitySize plus a signature of the largest key.
const MaxEnvelopeSize = entity.MaxEntitySize*4/3 + 4096

// maxEnvelopeElements and maxEnvelopeDepth bound the XML structure of an
// envelope (the real thing has six elements, two levels).
const (
	maxEnvelopeElements = 64
	maxEnvelopeDepth    = 8
)

// sigSuffix is "." B64URL(DataType) "." B64URL(Encoding) "." B64URL(Algorithm),
// the fixed tail of every signature base string.
const sigSuffix = ".YXBwbGljYXRpb24veG1s.YmFzZTY0dXJs.UlNBLVNIQTI1Ng=="

// Envelope is a parsed or built magic envelope.
type Envelope struct {
	// Payload is the decoded me:data: the entity XML.
	Payload []byte
	// Data is the me:data text as received (as emitted, when built).
	Data string
	// Signature is the decoded me:sig.
	Signature []byte
	// KeyID is the me:sig/@key_id text; Sender is its decoded value, the
	// diaspora ID of the signer.
	KeyID  string
	Sender string
}

// SignatureBase returns the signature base string for a me:data text (§2.2):
// data "." B64URL("application/xml") "." B64URL("base64url") "."
// B64URL("RSA-SHA256").
func SignatureBase(data string) string { return data + sigSuffix }

var baseBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// digest returns SHA-256 of the signature base string of a me:data text.
func digest(data string) []byte {
	bp := baseBufs.Get().(*[]byte)
	b := append(append((*bp)[:0], data...), sigSuffix...)
	sum := sha256.Sum256(b)
	if cap(b) <= 1<<20 {
		*bp = b
		baseBufs.Put(bp)
	}
	return sum[:]
}

// Sign builds a magic envelope around payload (entity XML without XML
// declaration), signed by sender with key. The data and signature are
// padded base64url and the signature covers exactly the emitted data text.
func Sign(payload []byte, sender string, key *rsa.PrivateKey) (*Envelope, error) {
	if key == nil {
		return nil, federation.Errorf(federation.ErrInvalidKey, "no private key for %s", sender)
	}
	if len(payload) > entity.MaxEntitySize {
		return nil, federation.Errorf(federation.ErrTooLarge, "payload is %d bytes, limit %d", len(payload), entity.MaxEntitySize)
	}
	data := base64.URLEncoding.EncodeToString(payload)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest(data))
	if err != nil {
		return nil, federation.Wrap(federation.ErrInvalidKey, err, "sign envelope for %s", sender)
	}
	return &Envelope{
		Payload:   payload,
		Data:      data,
		Signature: sig,
		KeyID:     base64.URLEncoding.EncodeToString([]byte(sender)),
		Sender:    sender,
	}, nil
}

// SignEntity serialises an entity and signs it into a magic envelope,
// returning the envelope document. This is the one RSA private-key
// operation per outgoing entity: seal the result for as many recipients as
// needed with Seal.
func SignEntity(e entity.Entity, sender string, key *rsa.PrivateKey) ([]byte, error) {
	payload, err := entity.MarshalXML(e)
	if err != nil {
		return nil, err
	}
	env, err := Sign(payload, sender, key)
	if err != nil {
		return nil, err
	}
	return env.Marshal(), nil
}

// Marshal returns the envelope document exactly as the reference writes it:
// XML declaration, "me:" prefix, two-space indentation, trailing newline.
func (e *Envelope) Marshal() []byte {
	sig := base64.URLEncoding.EncodeToString(e.Signature)
	var b bytes.Buffer
	b.Grow(len(e.Data) + len(sig) + len(e.KeyID) + 320)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<me:env xmlns:me="` + Namespace + `">` + "\n")
	b.WriteString(`  <me:data type="` + DataType + `">`)
	b.WriteString(e.Data)
	b.WriteString("</me:data>\n  <me:encoding>" + Encoding + "</me:encoding>\n  <me:alg>" + Algorithm + "</me:alg>\n")
	b.WriteString(`  <me:sig key_id="`)
	xml.EscapeText(&b, []byte(e.KeyID))
	b.WriteString(`">`)
	b.WriteString(sig)
	b.WriteString("</me:sig>\n</me:env>\n")
	return b.Bytes()
}

// DecodeBase64URL decodes base64url as the reference does (Ruby's
// urlsafe_decode64): missing padding is tolerated, whitespace anywhere is an
// error (vector 14c), and "+" and "/" are accepted like "-" and "_".
func DecodeBase64URL(s string) ([]byte, error) {
	std := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n', '\f', '\v':
			return nil, federation.Errorf(federation.ErrInvalidEnvelope, "whitespace at offset %d in base64url", i)
		case '+', '/':
			std = true
		}
	}
	if !std {
		// The usual case: pure base64url, padded or not.
		enc := base64.URLEncoding
		if len(s)%4 != 0 && !strings.HasSuffix(s, "=") {
			enc = base64.RawURLEncoding
		}
		b, err := enc.DecodeString(s)
		if err != nil {
			return nil, federation.Wrap(federation.ErrInvalidEnvelope, err, "invalid base64url")
		}
		return b, nil
	}
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		s += strings.Repeat("=", 4-len(s)%4)
	}
	b := []byte(s)
	for i, c := range b {
		switch c {
		case '-':
			b[i] = '+'
		case '_':
			b[i] = '/'
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		return nil, federation.Wrap(federation.ErrInvalidEnvelope, err, "invalid base64url")
	}
	return out[:n], nil
}

// field is one child of me:env as found by a parser: its text and the one
// attribute that matters (type on me:data, key_id on me:sig).
type field struct {
	seen, hasAttr bool
	text, attr    string
}

// parts is what the parsers extract from an envelope document.
type parts struct {
	data, enc, alg, sig field
}

// Parse parses a magic envelope document and checks its structure in the
// reference's order (§2.2 steps 1–5): root element env; me:data and me:sig
// present and non-empty, with the literal "me" prefix bound to Namespace
// (ErrInvalidEnvelope); me:data/@type (ErrInvalidDataType); me:encoding
// (ErrInvalidEncoding); me:alg (ErrInvalidAlgorithm); key_id present
// (ErrInvalidEnvelope). It then decodes data, signature and key_id. The
// signature is not checked: call Verify with the sender's key.
//
// The layout real senders produce is scanned by a small exact scanner;
// anything else (comments, entities, other prefixes, unusual whitespace…)
// goes through encoding/xml, with the same result.
func Parse(doc []byte) (*Envelope, error) {
	if len(doc) > MaxEnvelopeSize {
		return nil, federation.Errorf(federation.ErrTooLarge, "envelope is %d bytes, limit %d", len(doc), MaxEnvelopeSize)
	}
	p, ok := scanFast(doc)
	if !ok {
		var err error
		if p, err = scanXML(doc); err != nil {
			return nil, err
		}
	}
	return finish(&p)
}

func finish(p *parts) (*Envelope, error) {
	data, enc, alg, sig := &p.data, &p.enc, &p.alg, &p.sig
	if !data.seen || data.text == "" {
		return nil, federation.Errorf(federation.ErrInvalidEnvelope, "missing me:data (the \"me\" prefix bound to %s is required)", Namespace)
	}
	if !sig.seen || sig.text == "" {
		return nil, federation.Errorf(federation.ErrInvalidEnvelope, "missing me:sig")
	}
	if !data.hasAttr || data.attr != DataType {
		return nil, federation.Errorf(federation.ErrInvalidDataType, "invalid data type: %q", data.attr)
	}
	if !enc.seen || enc.text != Encoding {
		return nil, federation.Errorf(federation.ErrInvalidEncoding, "invalid encoding: %q", enc.text)
	}
	if !alg.seen || alg.text != Algorithm {
		return nil, federation.Errorf(federation.ErrInvalidAlgorithm, "invalid algorithm: %q", alg.text)
	}
	if !sig.hasAttr {
		return nil, federation.Errorf(federation.ErrInvalidEnvelope, "no key_id")
	}
	env := &Envelope{Data: data.text, KeyID: sig.attr}
	sender, err := DecodeBase64URL(env.KeyID)
	if err != nil {
		return nil, federation.Wrap(federation.ErrInvalidEnvelope, err, "key_id")
	}
	env.Sender = string(sender)
	if !entity.ValidDiasporaID(env.Sender) {
		return nil, federation.Errorf(federation.ErrInvalidEnvelope, "key_id %q is not a diaspora ID", env.Sender)
	}
	if env.Payload, err = DecodeBase64URL(env.Data); err != nil {
		return nil, federation.Wrap(federation.ErrInvalidEnvelope, err, "me:data")
	}
	if len(env.Payload) > entity.MaxEntitySize {
		return nil, federation.Errorf(federation.ErrTooLarge, "payload is %d bytes, limit %d", len(env.Payload), entity.MaxEntitySize)
	}
	if env.Signature, err = DecodeBase64URL(sig.text); err != nil {
		return nil, federation.Wrap(federation.ErrInvalidEnvelope, err, "me:sig")
	}
	return env, nil
}

// scanXML extracts the parts with encoding/xml, resolving the "me" prefix
// against the document's namespace declarations.
func scanXML(doc []byte) (parts, error) {
	var p parts
	if !utf8.Valid(doc) {
		return p, federation.Errorf(federation.ErrInvalidEnvelope, "envelope is not valid UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	type frame struct {
		name     xml.Name
		bindings map[string]string
	}
	var (
		stack      []frame
		rootSeen   bool
		count      int
		capture    *field
		captureLvl int
		text       strings.Builder
	)
	resolve := func(prefix string) string {
		for i := len(stack) - 1; i >= 0; i-- {
			if u, ok := stack[i].bindings[prefix]; ok {
				return u
			}
		}
		return ""
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p, federation.Wrap(federation.ErrInvalidEnvelope, err, "envelope XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxEnvelopeElements || len(stack) >= maxEnvelopeDepth {
				return p, federation.Errorf(federation.ErrInvalidEnvelope, "envelope XML has too many or too deeply nested elements")
			}
			var bind map[string]string
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					if bind == nil {
						bind = map[string]string{}
					}
					if a.Name.Space == "xmlns" {
						bind[a.Name.Local] = a.Value
					} else {
						bind[""] = a.Value
					}
				}
			}
			stack = append(stack, frame{name: t.Name, bindings: bind})
			switch len(stack) {
			case 1:
				if rootSeen {
					return p, federation.Errorf(federation.ErrInvalidEnvelope, "more than one root element")
				}
				rootSeen = true
				if t.Name.Local != "env" {
					return p, federation.Errorf(federation.ErrInvalidEnvelope, "root element is %q, not env", t.Name.Local)
				}
			case 2:
				if t.Name.Space != "me" || resolve("me") != Namespace {
					continue
				}
				var f *field
				var attrName string
				switch t.Name.Local {
				case "data":
					f, attrName = &p.data, "type"
				case "encoding":
					f = &p.enc
				case "alg":
					f = &p.alg
				case "sig":
					f, attrName = &p.sig, "key_id"
				}
				if f == nil || f.seen {
					continue
				}
				f.seen = true
				for _, a := range t.Attr {
					if attrName != "" && a.Name.Space == "" && a.Name.Local == attrName && !f.hasAttr {
						f.attr, f.hasAttr = a.Value, true
					}
				}
				capture, captureLvl = f, 2
				text.Reset()
			}
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != t.Name {
				return p, federation.Errorf(federation.ErrInvalidEnvelope, "envelope XML: unexpected end element %s", t.Name.Local)
			}
			if len(stack) == captureLvl {
				capture.text = text.String()
				capture, captureLvl = nil, 0
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if capture != nil {
				text.Write(t)
			} else if len(stack) == 0 && len(bytes.TrimSpace(t)) != 0 {
				return p, federation.Errorf(federation.ErrInvalidEnvelope, "text outside the root element")
			}
		case xml.Directive:
			return p, federation.Errorf(federation.ErrInvalidEnvelope, "directives (DOCTYPE) are not allowed")
		}
	}
	if len(stack) != 0 {
		return p, federation.Errorf(federation.ErrInvalidEnvelope, "envelope XML: unclosed element")
	}
	if !rootSeen {
		return p, federation.Errorf(federation.ErrInvalidEnvelope, "no root element")
	}
	return p, nil
}

// Byte classes for scanFast: text may hold printable ASCII (no &, <, >)
// plus newline and tab; attribute values printable ASCII without & and <;
// names the ASCII name characters.
var textOK, attrOK, nameOK [256]bool

func init() {
	for c := 0x20; c <= 0x7e; c++ {
		textOK[c] = c != '&' && c != '<' && c != '>'
		attrOK[c] = c != '&' && c != '<'
		nameOK[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':' || c == '-' || c == '.'
	}
	textOK['\n'], textOK['\t'] = true, true
}

type rawAttr struct{ name, value []byte }

// scanFast extracts the parts from the layout senders actually produce:
// an optional plain XML declaration, <me:env xmlns:me="…"> and children
// me:data, me:encoding, me:alg, me:sig with printable-ASCII text and
// attributes, separated by whitespace. It returns ok=false for anything
// else (or anything it is not sure about), and the caller falls back to
// scanXML; when ok is true the result equals scanXML's (the fuzz target
// checks this).
func scanFast(s []byte) (p parts, ok bool) {
	i := 0
	ws := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t') {
			i++
		}
	}
	lit := func(l string) bool {
		if len(s)-i >= len(l) && string(s[i:i+len(l)]) == l {
			i += len(l)
			return true
		}
		return false
	}
	name := func() []byte {
		j := i
		if i < len(s) && (s[i] == '-' || s[i] == '.' || s[i] >= '0' && s[i] <= '9') {
			return nil
		}
		for i < len(s) && nameOK[s[i]] {
			i++
		}
		return s[j:i]
	}
	var attrBuf [4]rawAttr
	attrs := func() ([]rawAttr, bool) {
		out := attrBuf[:0]
		for {
			j := i
			ws()
			if i < len(s) && (s[i] == '>' || s[i] == '/') {
				return out, true
			}
			if i == j || len(out) == len(attrBuf) { // attributes must be separated by whitespace
				return nil, false
			}
			n := name()
			if len(n) == 0 || !lit("=") || i >= len(s) || (s[i] != '"' && s[i] != '\'') {
				return nil, false
			}
			q := s[i]
			i++
			k := i
			for i < len(s) && s[i] != q {
				if !attrOK[s[i]] {
					return nil, false
				}
				i++
			}
			if i >= len(s) {
				return nil, false
			}
			for _, a := range out {
				if string(a.name) == string(n) {
					return nil, false
				}
			}
			out = append(out, rawAttr{n, s[k:i]})
			i++
		}
	}
	if lit("<?xml ") {
		end := bytes.Index(s[i:], []byte("?>"))
		if end < 0 {
			return p, false
		}
		switch string(s[i : i+end]) {
		case `version="1.0" encoding="UTF-8"`, `version="1.0" encoding="utf-8"`, `version="1.0"`:
		default:
			return p, false
		}
		i += end + 2
	}
	ws()
	if !lit("<me:env") {
		return p, false
	}
	as, good := attrs()
	if !good || !lit(">") {
		return p, false
	}
	meOK := false
	for _, a := range as {
		switch {
		case string(a.name) == "xmlns:me" && string(a.value) == Namespace:
			meOK = true
		case bytes.HasPrefix(a.name, []byte("xmlns")):
			return p, false
		}
	}
	if !meOK {
		return p, false
	}
	for {
		ws()
		if lit("</me:env>") {
			ws()
			return p, i == len(s)
		}
		if !lit("<") {
			return p, false
		}
		n := name()
		var f *field
		attrName := ""
		switch string(n) {
		case "me:data":
			f, attrName = &p.data, "type"
		case "me:encoding":
			f = &p.enc
		case "me:alg":
			f = &p.alg
		case "me:sig":
			f, attrName = &p.sig, "key_id"
		default:
			return p, false
		}
		if f.seen {
			return p, false
		}
		as, good := attrs()
		if !good || !lit(">") {
			return p, false
		}
		k := i
		end := bytes.IndexByte(s[i:], '<')
		if end < 0 {
			return p, false
		}
		for _, c := range s[i : i+end] {
			if !textOK[c] {
				return p, false
			}
		}
		i += end
		text := s[k:i]
		if !lit("</") || string(name()) != string(n) || !lit(">") {
			return p, false
		}
		f.seen, f.text = true, string(text)
		for _, a := range as {
			if bytes.HasPrefix(a.name, []byte("xmlns")) {
				return p, false
			}
			if string(a.name) == attrName {
				f.attr, f.hasAttr = string(a.value), true
			}
		}
	}
}

// Verify checks the envelope signature with the sender's public key, as the
// reference does: over the padded base64url re-encoding of the decoded
// payload (so an envelope whose data lost its padding still verifies when
// it was signed over the padded form, and one signed over unpadded text does
// not). The error wraps federation.ErrInvalidSignature.
func (e *Envelope) Verify(pub *rsa.PublicKey) error {
	if pub == nil {
		return federation.Errorf(federation.ErrKeyNotFound, "no public key for %s", e.Sender)
	}
	data := e.Data
	if !canonicalData(data, len(e.Payload)) {
		data = base64.URLEncoding.EncodeToString(e.Payload)
	}
	if err := rsapub.VerifyPKCS1v15SHA256(pub, digest(data), e.Signature); err != nil {
		return federation.Errorf(federation.ErrInvalidSignature, "me:sig does not verify with the key of %s", e.Sender)
	}
	return nil
}

// canonicalData reports whether a received me:data text is already the padded
// base64url encoding of a payload of n bytes (the usual case), so that it
// need not be re-encoded. Parse guarantees it decodes to n bytes; this checks
// the length, the alphabet and that the unused trailing bits are zero.
func canonicalData(s string, n int) bool {
	if len(s) != base64.URLEncoding.EncodedLen(n) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '+' || c == '/' {
			return false
		}
	}
	// Trailing bits: the last significant character must carry no bits past
	// the payload's end.
	var last byte
	pad := 0
	switch n % 3 {
	case 1:
		pad = 2
	case 2:
		pad = 1
	}
	if pad == 0 {
		return true
	}
	last = s[len(s)-pad-1]
	v := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", last)
	if pad == 2 {
		return v&0x0F == 0
	}
	return v&0x03 == 0
}
