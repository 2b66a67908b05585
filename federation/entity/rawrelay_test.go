package entity

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/federation/internal/vectors"
)

// A relayable whose author signed a non-canonical known value as written
// (a Friendica-style signature over the raw text) verifies and must be
// re-emitted as received: relaying the canonical form would break its
// signature on every next pod. One signed over the canonical values but
// written non-canonically verifies by the fallback and is re-emitted in
// the canonical form it was signed in.
func TestRelayKeepsSignedRawText(t *testing.T) {
	key := vectors.PrivateKey(t, "bob_pod_b")
	for _, c := range []struct{ vector, canonical, variant string }{
		{"03_comment_by_bob", "2024-01-02T04:00:00Z", "2024-01-02T04:00:00.000Z"},
		{"03_comment_by_bob", "2024-01-02T04:00:00Z", "2024-01-02T04:00:00+00:00"},
		{"03_comment_by_bob", "2024-01-02T04:00:00Z", "2024-01-02 04:00:00 UTC"},
		{"06_like_by_bob", ";true", ";True"},
		{"06_like_by_bob", ";true", ";1"},
	} {
		payload := string(vectors.TrimFinalNewline(vectors.Read(t, "generated/"+c.vector+".payload.xml")))
		signedText := string(vectors.Read(t, "generated/"+c.vector+".author_signature_string.txt"))
		elem := func(s string) string { return ">" + strings.TrimPrefix(s, ";") + "<" }
		written := strings.Replace(payload, elem(c.canonical), elem(c.variant), 1)
		if written == payload {
			t.Fatalf("%s: %q not found", c.vector, c.canonical)
		}
		oldSig := Relay(mustRelayable(t, payload)).AuthorSignature

		// Signed over the raw text: kept as is.
		sig, err := SignString(key, strings.Replace(signedText, c.canonical, c.variant, 1))
		if err != nil {
			t.Fatal(err)
		}
		rawSigned := strings.Replace(written, oldSig, base64.StdEncoding.EncodeToString(sig), 1)
		checkRelay(t, c.variant+" signed raw", rawSigned, rawSigned)

		// Signed over the canonical text: relayed canonical.
		checkRelay(t, c.variant+" signed canonical", written, payload)
	}
}

func mustRelayable(t *testing.T, doc string) Relayable {
	t.Helper()
	e, err := ParseXML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := AsRelayable(e)
	if !ok {
		t.Fatalf("%s is not a relayable", e.EntityName())
	}
	return r
}

// checkRelay verifies a received relayable, re-serialises it as a relaying
// pod does and checks the output (want) and that it verifies again.
func checkRelay(t *testing.T, label, in, want string) {
	t.Helper()
	pub := &vectors.PrivateKey(t, "bob_pod_b").PublicKey
	r := mustRelayable(t, in)
	if err := VerifyAuthorSignature(r, pub); err != nil {
		t.Fatalf("%s: received: %v", label, err)
	}
	out, err := MarshalXML(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != want {
		t.Errorf("%s: relayed\n%s\nwant\n%s", label, out, want)
	}
	if err := VerifyAuthorSignature(mustRelayable(t, string(out)), pub); err != nil {
		t.Errorf("%s: relayed copy does not verify: %v", label, err)
	}
	// The JSON form carries the same texts.
	j, err := MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseJSON(j)
	if err != nil {
		t.Fatalf("%s: JSON form: %v\n%s", label, err, j)
	}
	if x, _ := MarshalXML(e); string(x) != want {
		t.Errorf("%s: through JSON\n%s\nwant\n%s", label, x, want)
	}
}
