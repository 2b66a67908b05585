package entity

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"strings"
	"time"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/internal/rsapub"
)

// RelayFields is embedded in the relayable entities (Comment, Like,
// PollParticipation, EventParticipation). It holds what a pod must keep to
// relay the entity without breaking its author_signature (§5.3).
type RelayFields struct {
	// AuthorSignature is the standard-base64 RSA-SHA256 signature by the
	// entity's author over SignatureText. Empty when the author is the root
	// author (the envelope signature suffices then).
	AuthorSignature string
	// Order lists the element names in the order they were received or
	// signed, excluding elements whose name contains "signature". It defines
	// the signed string and the order in which MarshalXML writes the
	// elements. Nil for an entity built in code and not signed yet: the
	// reference's order is used then.
	Order []string
	// Extra holds the text of received elements this package does not know
	// (for example thread_parent_guid); they are signed and relayed too.
	Extra map[string]string

	rawSigned string // the signed string from the received element texts
	hasRaw    bool
	// raw holds the received text of known elements whose canonical form
	// differs (a timestamp written 2024-01-02T04:00:00.000Z, a boolean
	// written True): MarshalXML re-emits them as received, so that a
	// signature made over the raw text still verifies where it is relayed.
	// Cleared when only the canonical form verifies, and by SignRelayable.
	raw map[string]string
}

func (r *RelayFields) relayFields() *RelayFields { return r }

// Relayable is implemented by the entities that are relayed by the root
// author's pod and carry an author_signature: Comment, Like,
// PollParticipation and EventParticipation.
type Relayable interface {
	Entity
	// Parent returns the parent's type ("Post", "Comment", "Poll", "Event")
	// and GUID.
	Parent() (parentType, guid string)
	relayFields() *RelayFields
}

// Relay returns the relay state of a relayable.
func Relay(r Relayable) *RelayFields { return r.relayFields() }

// AsRelayable returns e as a Relayable if it is one.
func AsRelayable(e Entity) (Relayable, bool) {
	r, ok := e.(Relayable)
	return r, ok
}

func defaultOrder(s *spec, v reflect.Value) []string {
	var order []string
	for i := range s.fields {
		f := &s.fields[i]
		if f.kind == kNested || f.kind == kNestedList || !f.emitted(v) {
			continue
		}
		order = append(order, f.name)
	}
	return order
}

// SignatureText returns the string an author_signature covers (§5.2): the
// canonical values of the properties in Order (the reference's order for a
// new entity), unknown elements included, joined with ";".
func SignatureText(r Relayable) string {
	s, v := specOf(r)
	rf := r.relayFields()
	order := rf.Order
	if order == nil {
		order = defaultOrder(s, v)
	}
	var b strings.Builder
	for i, name := range order {
		if i > 0 {
			b.WriteByte(';')
		}
		if f := s.byName[name]; f != nil {
			b.WriteString(f.scalarText(v))
		} else {
			b.WriteString(rf.Extra[name])
		}
	}
	return b.String()
}

// applyDefaults fills timestamps that default to "now" so that what is signed
// and what is serialised agree.
func applyDefaults(s *spec, v reflect.Value) {
	for i := range s.fields {
		f := &s.fields[i]
		if f.kind == kTime && f.now {
			fv := v.Field(f.index)
			if fv.Interface().(time.Time).IsZero() {
				fv.Set(reflect.ValueOf(time.Now().UTC().Truncate(time.Second)))
			}
		}
	}
}

// SignRelayable signs a relayable with its author's private key: it fills
// default timestamps, fixes Order to the reference's emitted order if unset,
// and sets AuthorSignature over SignatureText.
func SignRelayable(r Relayable, key *rsa.PrivateKey) error {
	s, v := specOf(r)
	rf := r.relayFields()
	applyDefaults(s, v)
	if rf.Order == nil {
		rf.Order = defaultOrder(s, v)
	}
	text := SignatureText(r)
	sig, err := SignString(key, text)
	if err != nil {
		return err
	}
	rf.AuthorSignature = base64.StdEncoding.EncodeToString(sig)
	rf.rawSigned, rf.hasRaw, rf.raw = text, true, nil
	return nil
}

// VerifyAuthorSignature checks the author_signature of a relayable with the
// author's public key. For a received relayable it verifies the element
// texts as received, in document order (what Friendica signs, and what
// diaspora signs for canonical values), then falls back to the canonical
// re-serialised values the reference uses. The error wraps
// federation.ErrSignatureVerificationFailed.
func VerifyAuthorSignature(r Relayable, pub *rsa.PublicKey) error {
	rf := r.relayFields()
	if strings.TrimSpace(rf.AuthorSignature) == "" {
		return federation.Errorf(federation.ErrSignatureVerificationFailed, "%s: no author_signature", r.EntityName())
	}
	sig, err := DecodeBase64Lenient(rf.AuthorSignature)
	if err != nil {
		return federation.Wrap(federation.ErrSignatureVerificationFailed, err, "%s: author_signature is not base64", r.EntityName())
	}
	if rf.hasRaw && VerifyString(pub, rf.rawSigned, sig) == nil {
		return nil
	}
	if canon := SignatureText(r); !rf.hasRaw || canon != rf.rawSigned {
		if VerifyString(pub, canon, sig) == nil {
			rf.raw = nil // signed over the canonical values: relay those
			return nil
		}
	}
	return federation.Errorf(federation.ErrSignatureVerificationFailed, "%s %s: author_signature does not verify with the key of %s", r.EntityName(), guidOf(r), AuthorOf(r))
}

func guidOf(e Entity) string {
	f := reflect.ValueOf(e).Elem().FieldByName("GUID")
	if f.IsValid() {
		return f.String()
	}
	return ""
}

// GUIDOf returns the entity's guid property, or "" if it has none.
func GUIDOf(e Entity) string { return guidOf(e) }

// SignString signs text with RSASSA-PKCS1-v1_5 over SHA-256, as used by
// author_signature and the account_migration signature.
func SignString(key *rsa.PrivateKey, text string) ([]byte, error) {
	h := sha256.Sum256([]byte(text))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		return nil, federation.Wrap(federation.ErrInvalidKey, err, "sign")
	}
	return sig, nil
}

// VerifyString verifies an RSASSA-PKCS1-v1_5/SHA-256 signature over text.
func VerifyString(pub *rsa.PublicKey, text string, sig []byte) error {
	if pub == nil {
		return federation.Errorf(federation.ErrKeyNotFound, "no public key")
	}
	h := sha256.Sum256([]byte(text))
	return rsapub.VerifyPKCS1v15SHA256(pub, h[:], sig)
}

// DecodeBase64Lenient decodes standard (or URL-safe) base64 the way Ruby's
// Base64.decode64 does: characters outside the alphabet, such as line
// breaks and spaces, are ignored; padding is optional.
func DecodeBase64Lenient(s string) ([]byte, error) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			b = append(b, c)
		case c == '-':
			b = append(b, '+')
		case c == '_':
			b = append(b, '/')
		}
	}
	return base64.RawStdEncoding.DecodeString(string(b))
}

// Identities returns the old and the new identity of a migration: the new
// one is the profile's author; the old one is the author, or old_identity
// when the author is the new identity.
func (m *AccountMigration) Identities() (oldID, newID string) {
	if m.Profile != nil {
		newID = m.Profile.Author
	}
	if m.Author == newID {
		return m.OldIdentity, newID
	}
	return m.Author, newID
}

// Signer returns the identity whose key makes the migration signature: the
// one that is not the author.
func (m *AccountMigration) Signer() string {
	oldID, newID := m.Identities()
	if m.Author == oldID {
		return newID
	}
	return oldID
}

// SignatureText returns the string the migration signature covers:
// "AccountMigration:<old id>:<new id>".
func (m *AccountMigration) SignatureText() string {
	oldID, newID := m.Identities()
	return "AccountMigration:" + oldID + ":" + newID
}

// SignMigration sets the migration signature using the private key of the
// identity that is not the author (see Signer).
func SignMigration(m *AccountMigration, key *rsa.PrivateKey) error {
	sig, err := SignString(key, m.SignatureText())
	if err != nil {
		return err
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// VerifyMigration checks the migration signature with the public key of
// Signer(). The error wraps federation.ErrSignatureVerificationFailed.
func VerifyMigration(m *AccountMigration, pub *rsa.PublicKey) error {
	sig, err := DecodeBase64Lenient(m.Signature)
	if err != nil {
		return federation.Wrap(federation.ErrSignatureVerificationFailed, err, "account_migration: signature is not base64")
	}
	if VerifyString(pub, m.SignatureText(), sig) != nil {
		return federation.Errorf(federation.ErrSignatureVerificationFailed, "account_migration: signature does not verify with the key of %s", m.Signer())
	}
	return nil
}
