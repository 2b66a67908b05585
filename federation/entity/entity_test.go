package entity

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/internal/vectors"
)

// gem-serialised payloads: re-serialising must give the same bytes.
func TestGeneratedPayloadsByteExact(t *testing.T) {
	files := append(vectors.Glob(t, "generated/*.payload.xml"), vectors.Glob(t, "gem-spec/*.xml")...)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			want := vectors.TrimFinalNewline(vectors.Read(t, f))
			e, err := DecodeXML(want)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			got, err := MarshalXML(e)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("re-serialised differs\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestRelayedPayloads(t *testing.T) {
	for in, want := range map[string]string{
		"gem-spec/comment_alice.xml":                     "gem-spec/comment_bob.xml",
		"gem-spec/comment_alice_with_new_data.xml":       "gem-spec/comment_bob_with_new_data.xml",
		"gem-spec/comment_alice.xml#15":                  "generated/15_integration_comment_relayed_by_bob.payload.xml",
		"generated/03_comment_by_bob.payload.xml":        "generated/03_comment_by_bob.relayed_payload.xml",
		"generated/04_comment_unknown_field.payload.xml": "generated/04_comment_unknown_field.relayed_payload.xml",
	} {
		t.Run(in, func(t *testing.T) {
			e, err := ParseXML(vectors.Read(t, strings.TrimSuffix(in, "#15")))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := MarshalXML(e)
			if w := vectors.TrimFinalNewline(vectors.Read(t, want)); !bytes.Equal(got, w) {
				t.Errorf("relayed bytes differ\n got: %s\nwant: %s", got, w)
			}
		})
	}
}

func TestDocsExamplesRoundTrip(t *testing.T) {
	for _, f := range vectors.Glob(t, "docs-examples/*.xml") {
		if strings.HasSuffix(f, "magic_envelope_example.xml") {
			continue
		}
		t.Run(f, func(t *testing.T) {
			e, err := ParseXML(vectors.Read(t, f))
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, e)
		})
	}
}

func roundTrip(t *testing.T, e Entity) {
	t.Helper()
	x, err := MarshalXML(e)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := ParseXML(x)
	if err != nil {
		t.Fatalf("reparse %s: %v", x, err)
	}
	if !reflect.DeepEqual(e, e2) {
		t.Errorf("XML round trip changed the entity\n first: %#v\nsecond: %#v", e, e2)
	}
	x2, _ := MarshalXML(e2)
	if !bytes.Equal(x, x2) {
		t.Errorf("XML not stable:\n%s\n%s", x, x2)
	}
	j, err := MarshalJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	e3, err := ParseJSON(j)
	if err != nil {
		t.Fatalf("JSON reparse %s: %v", j, err)
	}
	x3, _ := MarshalXML(e3)
	if !bytes.Equal(x, x3) {
		t.Errorf("JSON round trip changed the XML:\n%s\n%s\njson %s", x, x3, j)
	}
	if r, ok := e3.(Relayable); ok {
		if got, want := SignatureText(r), SignatureText(e.(Relayable)); got != want {
			t.Errorf("JSON round trip changed the signed text: %q vs %q", got, want)
		}
	}
}

func TestAllPayloadsRoundTrip(t *testing.T) {
	files := append(vectors.Glob(t, "generated/*.payload.xml"), vectors.Glob(t, "gem-spec/*.xml")...)
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			e, err := ParseXML(vectors.Read(t, f))
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, e)
		})
	}
}

func TestObsoleteDocsEnvelopePayloadRejected(t *testing.T) {
	payload := []byte("<status_message>\n  <author>alice@example.org</author>\n  <guid>cbd482201fe1013486fe3131731751e9</guid>\n  <created_at>2016-06-29 04:42:23 UTC</created_at>\n  <raw_message>i am a very interesting status update</raw_message>\n  <public>true</public>\n</status_message>")
	_, err := ParseXML(payload)
	if !errors.Is(err, federation.ErrValidation) || !strings.Contains(err.Error(), "text") {
		t.Fatalf("want validation error naming text, got %v", err)
	}
}

type sigCase struct {
	payload, sigString, key string
}

var sigCases = []sigCase{
	{"gem-spec/comment_alice.xml", "gem-spec/comment_alice.signature_string.txt", "alice_pod_a"},
	{"gem-spec/comment_alice_with_new_data.xml", "gem-spec/comment_alice_with_new_data.signature_string.txt", "alice_pod_a"},
	{"gem-spec/comment_bob.xml", "gem-spec/comment_alice.signature_string.txt", "alice_pod_a"},
	{"gem-spec/comment_bob_with_new_data.xml", "gem-spec/comment_alice_with_new_data.signature_string.txt", "alice_pod_a"},
	{"gem-spec/comment_bob_legacy_order.xml", "gem-spec/comment_bob_legacy_order.signature_string.txt", "alice_pod_a"},
	{"generated/03_comment_by_bob.payload.xml", "generated/03_comment_by_bob.author_signature_string.txt", "bob_pod_b"},
	{"generated/04_comment_unknown_field.payload.xml", "generated/04_comment_unknown_field.author_signature_string.txt", "bob_pod_b"},
	{"generated/06_like_by_bob.payload.xml", "generated/06_like_by_bob.author_signature_string.txt", "bob_pod_b"},
	{"generated/07_poll_participation_by_bob.payload.xml", "generated/07_poll_participation_by_bob.author_signature_string.txt", "bob_pod_b"},
	{"generated/08_event_participation_by_bob.payload.xml", "generated/08_event_participation_by_bob.author_signature_string.txt", "bob_pod_b"},
	{"generated/16_comment_escaping.payload.xml", "generated/16_comment_escaping.author_signature_string.txt", "bob_pod_b"},
}

func TestAuthorSignatures(t *testing.T) {
	for _, c := range sigCases {
		t.Run(c.payload, func(t *testing.T) {
			e, err := ParseXML(vectors.Read(t, c.payload))
			if err != nil {
				t.Fatal(err)
			}
			r := e.(Relayable)
			want := string(vectors.Read(t, c.sigString))
			if got := SignatureText(r); got != want {
				t.Errorf("signature text\n got %q\nwant %q", got, want)
			}
			if err := VerifyAuthorSignature(r, vectors.PublicKey(t, c.key)); err != nil {
				t.Errorf("verify: %v", err)
			}
			// Deterministic: signing the string reproduces the signature.
			sig, err := SignString(vectors.PrivateKey(t, c.key), want)
			if err != nil {
				t.Fatal(err)
			}
			if got := base64.StdEncoding.EncodeToString(sig); got != Relay(r).AuthorSignature {
				t.Errorf("re-signed %s\nwant %s", got, Relay(r).AuthorSignature)
			}
			// Wrong key.
			other := "bob_pod_b"
			if c.key == other {
				other = "alice_pod_a"
			}
			if err := VerifyAuthorSignature(r, vectors.PublicKey(t, other)); !errors.Is(err, federation.ErrSignatureVerificationFailed) {
				t.Errorf("wrong key: want ErrSignatureVerificationFailed, got %v", err)
			}
		})
	}
}

func TestAuthorSignatureNegative(t *testing.T) {
	alice := vectors.PublicKey(t, "alice_pod_a")
	bob := vectors.PublicKey(t, "bob_pod_b")
	cases := []struct {
		name string
		xml  []byte
		key  any
	}{
		{"04 dropped unknown field", vectors.Read(t, "generated/04_comment_unknown_field.NEGATIVE_field_dropped.payload.xml"), bob},
		{"04 reordered", vectors.Read(t, "generated/04_comment_unknown_field.NEGATIVE_reordered.payload.xml"), bob},
		{"tampered text", bytes.Replace(vectors.Read(t, "gem-spec/comment_bob.xml"), []byte("informative"), []byte("Informative"), 1), alice},
		{"new_data dropped", bytes.Replace(vectors.Read(t, "gem-spec/comment_bob_with_new_data.xml"), []byte("  <new_data>foobar</new_data>\n"), nil, 1), alice},
		{"tampered signature", bytes.Replace(vectors.Read(t, "gem-spec/comment_bob.xml"), []byte("SQbLeqsE"), []byte("SQbLeqsF"), 1), alice},
		{"missing signature", vectors.Read(t, "generated/05_comment_by_root_author.payload.xml"), alice},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := ParseXML(c.xml)
			if err != nil {
				t.Fatal(err)
			}
			err = VerifyAuthorSignature(e.(Relayable), c.key.(*rsa.PublicKey))
			if !errors.Is(err, federation.ErrSignatureVerificationFailed) {
				t.Fatalf("want ErrSignatureVerificationFailed, got %v", err)
			}
		})
	}
	// The legacy-order comment must not verify in the canonical order.
	e, _ := ParseXML(vectors.Read(t, "gem-spec/comment_bob_legacy_order.xml"))
	c := e.(*Comment)
	c.Order, c.rawSigned, c.hasRaw = nil, "", false
	if !strings.HasPrefix(SignatureText(c), "alice@pod-a.org;") {
		t.Fatalf("canonical order should start with the author: %q", SignatureText(c))
	}
	if err := VerifyAuthorSignature(c, alice); err == nil {
		t.Error("legacy-order signature verified in canonical order")
	}
}

func TestSignNewRelayable(t *testing.T) {
	key := vectors.PrivateKey(t, "bob_pod_b")
	want := vectors.TrimFinalNewline(vectors.Read(t, "generated/03_comment_by_bob.payload.xml"))
	parsed, _ := ParseXML(want)
	p := parsed.(*Comment)
	c := &Comment{Author: p.Author, GUID: p.GUID, ParentGUID: p.ParentGUID, Text: p.Text, CreatedAt: p.CreatedAt}
	if err := SignRelayable(c, key); err != nil {
		t.Fatal(err)
	}
	got, _ := MarshalXML(c)
	if !bytes.Equal(got, want) {
		t.Errorf("signed new comment differs\n got: %s\nwant: %s", got, want)
	}
	// Escaping vector: sign from the unescaped text with U+0001.
	want16 := vectors.TrimFinalNewline(vectors.Read(t, "generated/16_comment_escaping.payload.xml"))
	p16, _ := ParseXML(want16)
	c16 := &Comment{Author: "bob@pod-b.org", GUID: "16a3b3c3d3e3f4041424344454647484", ParentGUID: "1f2e3d4c5b6a79880123456789abcdef",
		Text: "5 < 6 & \"quotes\"\nsecond line \U0001F600 ctrl:\x01:end", CreatedAt: p16.(*Comment).CreatedAt}
	if err := SignRelayable(c16, key); err != nil {
		t.Fatal(err)
	}
	got16, _ := MarshalXML(c16)
	if !bytes.Equal(got16, want16) {
		t.Errorf("escaping comment differs\n got: %s\nwant: %s", got16, want16)
	}
	if p16.(*Comment).Text != "5 < 6 & \"quotes\"\nsecond line \U0001F600 ctrl:\uFFFD:end" {
		t.Errorf("parsed text %q", p16.(*Comment).Text)
	}
}

func TestMigrationSignatures(t *testing.T) {
	for f, signer := range map[string]string{
		"generated/13_account_migration_by_old.payload.xml": "alice_pod_c",
		"generated/13_account_migration_by_new.payload.xml": "alice_pod_a",
	} {
		e, err := ParseXML(vectors.Read(t, f))
		if err != nil {
			t.Fatal(f, err)
		}
		m := e.(*AccountMigration)
		if got, want := m.SignatureText(), string(vectors.Read(t, "generated/13_account_migration.signature_string.txt")); got != want {
			t.Errorf("%s: text %q want %q", f, got, want)
		}
		if id := vectors.Identity[m.Signer()]; id != signer {
			t.Errorf("%s: signer %s, want %s", f, m.Signer(), signer)
		}
		if err := VerifyMigration(m, vectors.PublicKey(t, signer)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		sig, _ := SignString(vectors.PrivateKey(t, signer), m.SignatureText())
		if base64.StdEncoding.EncodeToString(sig) != m.Signature {
			t.Errorf("%s: signature not reproduced", f)
		}
		if err := VerifyMigration(m, vectors.PublicKey(t, "bob_pod_b")); !errors.Is(err, federation.ErrSignatureVerificationFailed) {
			t.Errorf("%s: wrong key accepted: %v", f, err)
		}
	}
}

func TestValidationProbes(t *testing.T) {
	guids := map[string]bool{
		"abcdef0123456789": true, "abcdef012345678": false, "0123456789abcdef-": false,
		strings.Repeat("a", 255): true, strings.Repeat("a", 256): false,
		"abc:def@ghi.jkl_mno-1": true, "ABCDEF0123456789": true,
	}
	for g, want := range guids {
		if ValidGUID(g) != want {
			t.Errorf("guid %q: want %v", g, want)
		}
	}
	ids := map[string]bool{
		"alice@example.org": true, "bob@example.com:3000": true, "Alice@example.org": false,
		"alice@localhost": true, "al.ice_1-2@sub.example.org": true, "alice@192.168.0.1": true,
		"alice@[2001:db8::1]": true, "alice@example.org/": false, "alice": false, "@example.org": false,
		"alice@exa_mple.org": false, "älice@example.org": true, "alice@example.org:": false,
		"alice@EXAMPLE.org": false, strings.Repeat("a", 250) + "@b.org": false,
	}
	for id, want := range ids {
		if ValidDiasporaID(id) != want {
			t.Errorf("diaspora ID %q: want %v", id, want)
		}
	}
}

func TestValidationRules(t *testing.T) {
	contact := vectors.Read(t, "generated/10_contact.payload.xml")
	cases := map[string][]byte{
		"contact blocking+following": bytes.Replace(contact, []byte("<blocking>false"), []byte("<blocking>true"), 1),
		"bad guid":                   bytes.Replace(vectors.Read(t, "generated/20_participation.payload.xml"), []byte("20a3b3c3d3e3f4041424344454647484"), []byte("short"), 1),
		"bad author":                 bytes.Replace(vectors.Read(t, "generated/12_account_deletion.payload.xml"), []byte("alice@pod-a.org"), []byte("Alice@pod-a.org"), 1),
		"empty comment text":         []byte("<comment><author>a@b.c</author><guid>0123456789abcdef</guid><parent_guid>0123456789abcdef</parent_guid><text/></comment>"),
		"missing guid":               []byte("<comment><author>a@b.c</author><parent_guid>0123456789abcdef</parent_guid><text>x</text></comment>"),
		"like parent type":           []byte("<like><author>a@b.c</author><guid>0123456789abcdef</guid><parent_guid>0123456789abcdef</parent_guid><parent_type>Photo</parent_type><positive>true</positive></like>"),
		"bad boolean":                []byte("<like><author>a@b.c</author><guid>0123456789abcdef</guid><parent_guid>0123456789abcdef</parent_guid><parent_type>Post</parent_type><positive>maybe</positive></like>"),
		"poll one answer":            []byte("<poll><guid>0123456789abcdef</guid><question>q</question><poll_answer><guid>0123456789abcdee</guid><answer>a</answer></poll_answer></poll>"),
		"embed both":                 []byte("<embed><url>https://x.org/</url><nothing>true</nothing></embed>"),
		"profile birthday":           []byte("<profile><author>a@b.c</author><birthday>2001-02-29</birthday></profile>"),
		"profile tags":               []byte("<profile><author>a@b.c</author><tag_string>#a #b #c #d #e #f</tag_string></profile>"),
		"profile name semicolon":     []byte("<profile><author>a@b.c</author><first_name>a;b</first_name></profile>"),
		"photo height":               []byte("<photo><guid>0123456789abcdef</guid><author>a@b.c</author><remote_photo_path>https://x/</remote_photo_path><remote_photo_name>a.jpg</remote_photo_name><height>-1</height></photo>"),
		"conversation participants":  []byte("<conversation><author>a@b.c</author><guid>0123456789abcdef</guid><subject>s</subject><participants>a@b.c</participants></conversation>"),
		"event status":               []byte("<event_participation><author>a@b.c</author><guid>0123456789abcdef</guid><parent_guid>0123456789abcdef</parent_guid><status>maybe</status></event_participation>"),
		"reshare half root":          []byte("<reshare><author>a@b.c</author><guid>0123456789abcdef</guid><root_guid>0123456789abcdef</root_guid></reshare>"),
		"text too long":              []byte("<status_message><author>a@b.c</author><guid>0123456789abcdef</guid><text>" + strings.Repeat("x", 65536) + "</text></status_message>"),
		"missing nested profile":     []byte("<account_migration><author>a@b.c</author><signature>x</signature></account_migration>"),
	}
	for name, x := range cases {
		if _, err := ParseXML(x); !errors.Is(err, federation.ErrValidation) {
			t.Errorf("%s: want ErrValidation, got %v", name, err)
		}
	}
	bad := map[string]error{
		"unknown entity":  federation.ErrUnknownEntity,
		"not xml":         federation.ErrMalformed,
		"bad entity name": federation.ErrUnknownEntity,
		"too large":       federation.ErrTooLarge,
		"too deep":        federation.ErrTooLarge,
	}
	inputs := map[string][]byte{
		"unknown entity":  []byte("<request><author>a@b.c</author></request>"),
		"not xml":         []byte("<comment><author>"),
		"bad entity name": []byte("<Comment/>"),
		"too large":       bytes.Repeat([]byte(" "), MaxEntitySize+1),
		"too deep":        []byte(strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1)),
	}
	for name, want := range bad {
		if _, err := ParseXML(inputs[name]); !errors.Is(err, want) {
			t.Errorf("%s: want %v, got %v", name, want, err)
		}
	}
}

func TestParsedValues(t *testing.T) {
	e, err := ParseXML(vectors.Read(t, "generated/04_comment_unknown_field.payload.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c := e.(*Comment)
	if want := []string{"author", "guid", "parent_guid", "text", "thread_parent_guid", "created_at"}; !reflect.DeepEqual(c.Order, want) {
		t.Errorf("order %v", c.Order)
	}
	if c.Extra["thread_parent_guid"] != "3a3b3c3d3e3f40414243444546474849" || len(c.Extra) != 1 {
		t.Errorf("extra %v", c.Extra)
	}
	e, _ = ParseXML(vectors.Read(t, "gem-spec/comment_alice.xml"))
	c = e.(*Comment)
	if want := []string{"author", "guid", "parent_guid", "text"}; !reflect.DeepEqual(c.Order, want) || c.Extra != nil {
		t.Errorf("15: order %v extra %v", c.Order, c.Extra)
	}
	if c.Author != "alice@pod-a.org" || c.GUID != "e21589b0b41101333b870f77ba60fa73" || c.ParentGUID != "9e269ae0b41201333b8c0f77ba60fa73" || c.Text != "this is a very informative comment" {
		t.Errorf("parsed %+v", c)
	}
	e, _ = ParseXML(vectors.Read(t, "generated/01_status_message_public.payload.xml"))
	sm := e.(*StatusMessage)
	if sm.GUID != "1f2e3d4c5b6a79880123456789abcdef" || FormatTime(sm.CreatedAt) != "2024-01-02T03:04:05Z" || !sm.Public || sm.Text != "Hello from pod-a! #test" {
		t.Errorf("01 parsed %+v", sm)
	}
	e, _ = ParseXML(vectors.Read(t, "docs-examples/status_message_all.xml"))
	sm = e.(*StatusMessage)
	if len(sm.Photos) != 2 || sm.Location == nil || sm.Poll == nil || len(sm.Poll.Answers) != 3 || sm.Embed == nil || sm.Embed.Title != "Example Website" {
		t.Errorf("status_message_all parsed %+v", sm)
	}
	e, _ = ParseXML(vectors.Read(t, "docs-examples/event_2.xml"))
	if ev := e.(*Event); !ev.End.IsZero() || ev.Timezone != "" || !ev.AllDay {
		t.Errorf("event_2 parsed %+v", ev)
	}
}

func TestCanonicalFallback(t *testing.T) {
	// Signed over canonical values but written with a non-canonical
	// timestamp and boolean: the canonical fallback verifies it.
	key := vectors.PrivateKey(t, "bob_pod_b")
	l := &Like{Author: "bob@pod-b.org", GUID: "6a3b3c3d3e3f40414243444546474849", ParentGUID: "1f2e3d4c5b6a79880123456789abcdef", ParentType: "Post", Positive: true}
	if err := SignRelayable(l, key); err != nil {
		t.Fatal(err)
	}
	x, _ := MarshalXML(l)
	x = bytes.Replace(x, []byte("<positive>true"), []byte("<positive>True"), 1)
	e, err := ParseXML(x)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyAuthorSignature(e.(Relayable), &key.PublicKey); err != nil {
		t.Errorf("canonical fallback: %v", err)
	}
}

// parent_author_signature is obsolete: dropped on parse, not signed, never
// emitted.
func TestParentAuthorSignatureDropped(t *testing.T) {
	bobXML := vectors.Read(t, "gem-spec/comment_bob.xml")
	in := bytes.Replace(bobXML, []byte("  <author_signature>"), []byte("  <parent_author_signature>c2lnbmF0dXJl</parent_author_signature>\n  <author_signature>"), 1)
	e, err := ParseXML(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyAuthorSignature(e.(Relayable), vectors.PublicKey(t, "alice_pod_a")); err != nil {
		t.Fatal(err)
	}
	out, _ := MarshalXML(e)
	if !bytes.Equal(out, vectors.TrimFinalNewline(bobXML)) {
		t.Errorf("parent_author_signature not dropped:\n%s", out)
	}
}

// Canonical-form notes of the vectors README: wrapped base64 signatures,
// empty elements contribute empty fields, spaces are signed.
func TestSignatureStringDetails(t *testing.T) {
	key := vectors.PrivateKey(t, "bob_pod_b")
	c := &Comment{Author: "bob@pod-b.org", GUID: "3a3b3c3d3e3f40414243444546474849", ParentGUID: "1f2e3d4c5b6a79880123456789abcdef", Text: "  spaced  "}
	c.CreatedAt, _ = ParseTime("2024-01-02T04:00:00Z")
	c.Order = []string{"author", "guid", "parent_guid", "text", "created_at", "edited_at", "x_empty"}
	if err := SignRelayable(c, key); err != nil {
		t.Fatal(err)
	}
	if got := SignatureText(c); got != "bob@pod-b.org;3a3b3c3d3e3f40414243444546474849;1f2e3d4c5b6a79880123456789abcdef;  spaced  ;2024-01-02T04:00:00Z;;" {
		t.Errorf("signed %q", got)
	}
	x, _ := MarshalXML(c)
	if !bytes.Contains(x, []byte("<edited_at/>")) || !bytes.Contains(x, []byte("<x_empty/>")) {
		t.Errorf("empty elements not kept: %s", x)
	}
	sig := Relay(c).AuthorSignature
	wrapped := bytes.Replace(x, []byte(sig), []byte(sig[:60]+"\n"+sig[60:120]+"\n  "+sig[120:]), 1)
	e, err := ParseXML(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyAuthorSignature(e.(Relayable), &key.PublicKey); err != nil {
		t.Errorf("wrapped signature: %v", err)
	}
}
