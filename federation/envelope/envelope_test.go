package envelope

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aspenpod/aspen/federation"
	"github.com/aspenpod/aspen/federation/entity"
	"github.com/aspenpod/aspen/federation/internal/vectors"
)

func keyFor(t testing.TB, id string) *rsa.PublicKey {
	name, ok := vectors.Identity[id]
	if !ok {
		t.Fatalf("no vector key for %s", id)
	}
	return vectors.PublicKey(t, name)
}

func TestBuildReproducesVector01(t *testing.T) {
	payload := vectors.TrimFinalNewline(vectors.Read(t, "generated/01_status_message_public.payload.xml"))
	env, err := Sign(payload, "alice@pod-a.org", vectors.PrivateKey(t, "alice_pod_a"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := SignatureBase(env.Data), string(vectors.Read(t, "generated/01_status_message_public.signature_base_string.txt")); got != want {
		t.Errorf("base string\n got %s\nwant %s", got, want)
	}
	if got, want := env.Marshal(), vectors.Read(t, "generated/01_status_message_public.envelope.xml"); !bytes.Equal(got, want) {
		t.Errorf("envelope differs\n got: %s\nwant: %s", got, want)
	}
	// And from the entity.
	e, err := entity.ParseXML(payload)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := SignEntity(e, "alice@pod-a.org", vectors.PrivateKey(t, "alice_pod_a"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, vectors.Read(t, "generated/01_status_message_public.envelope.xml")) {
		t.Errorf("SignEntity differs: %s", doc)
	}
}

func TestReproduceSignedEnvelopes(t *testing.T) {
	for f, key := range map[string]string{
		"generated/03_comment_by_bob.envelope_from_bob.xml":             "bob_pod_b",
		"generated/03_comment_by_bob.envelope_relayed_by_alice.xml":     "alice_pod_a",
		"generated/05_comment_by_root_author.envelope.xml":              "alice_pod_a",
		"generated/06_like_by_bob.envelope.xml":                         "bob_pod_b",
		"generated/09_retraction_comment.envelope_from_root_author.xml": "alice_pod_a",
		"generated/02_status_message_limited.envelope.xml":              "alice_pod_a",
		"generated/14b_padded.envelope.xml":                             "alice_pod_a",
		"generated/14g_NEGATIVE_sender_not_author.envelope.xml":         "bob_pod_b",
	} {
		want := vectors.Read(t, f)
		env, err := Parse(want)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		re, err := Sign(env.Payload, env.Sender, vectors.PrivateKey(t, key))
		if err != nil {
			t.Fatal(err)
		}
		if got := re.Marshal(); !bytes.Equal(got, want) {
			t.Errorf("%s: re-signed envelope differs\n got: %s\nwant: %s", f, got, want)
		}
	}
}

func TestParseVerifyVectors(t *testing.T) {
	cases := []struct {
		file   string
		sender string
		want   error  // nil = valid
		verify string // key to verify with, if not the sender's
	}{
		{"generated/01_status_message_public.envelope.xml", "alice@pod-a.org", nil, ""},
		{"generated/02_status_message_limited.envelope.xml", "alice@pod-a.org", nil, ""},
		{"generated/03_comment_by_bob.envelope_from_bob.xml", "bob@pod-b.org", nil, ""},
		{"generated/03_comment_by_bob.envelope_relayed_by_alice.xml", "alice@pod-a.org", nil, ""},
		{"generated/05_comment_by_root_author.envelope.xml", "alice@pod-a.org", nil, ""},
		{"generated/06_like_by_bob.envelope.xml", "bob@pod-b.org", nil, ""},
		{"generated/09_retraction_comment.envelope_from_root_author.xml", "alice@pod-a.org", nil, ""},
		{"generated/14b_padded.envelope.xml", "alice@pod-a.org", nil, ""},
		{"generated/14b_unpadded_data_sig_over_padded.envelope.xml", "alice@pod-a.org", nil, ""},
		{"generated/14b_NEGATIVE_unpadded_data_sig_over_unpadded.envelope.xml", "alice@pod-a.org", federation.ErrInvalidSignature, ""},
		{"generated/14a_NEGATIVE_tampered_data.envelope.xml", "alice@pod-a.org", federation.ErrInvalidSignature, ""},
		{"generated/14c_NEGATIVE_wrapped_data.envelope.xml", "", federation.ErrInvalidEnvelope, ""},
		{"generated/14g_NEGATIVE_sender_not_author.envelope.xml", "bob@pod-b.org", nil, ""}, // signature valid; sender rule rejects (receive)
		{"generated/14i_compact_no_declaration.envelope.xml", "alice@pod-a.org", nil, ""},
		{"generated/14j_NEGATIVE_default_namespace.envelope.xml", "", federation.ErrInvalidEnvelope, ""},
		{"generated/01_status_message_public.envelope.xml", "alice@pod-a.org", federation.ErrInvalidSignature, "bob@pod-b.org"},
	}
	for _, c := range cases {
		t.Run(c.file+"/"+c.verify, func(t *testing.T) {
			env, err := Parse(vectors.Read(t, c.file))
			if err == nil {
				if env.Sender != c.sender {
					t.Errorf("sender %q want %q", env.Sender, c.sender)
				}
				k := c.verify
				if k == "" {
					k = env.Sender
				}
				err = env.Verify(keyFor(t, k))
			}
			if c.want == nil && err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("want %v, got %v", c.want, err)
			}
		})
	}
}

func TestPayloadMatchesVector(t *testing.T) {
	env, err := Parse(vectors.Read(t, "generated/01_status_message_public.envelope.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := vectors.TrimFinalNewline(vectors.Read(t, "generated/01_status_message_public.payload.xml")); !bytes.Equal(env.Payload, want) {
		t.Errorf("payload %q", env.Payload)
	}
	if env.KeyID != "YWxpY2VAcG9kLWEub3Jn" {
		t.Errorf("key_id %q", env.KeyID)
	}
	// 14b0: the padded data really ends in "==".
	env, _ = Parse(vectors.Read(t, "generated/14b_padded.envelope.xml"))
	if !strings.HasSuffix(env.Data, "Pg==") {
		t.Errorf("14b0 data tail %q", env.Data[len(env.Data)-4:])
	}
}

func TestDocsExampleEnvelope(t *testing.T) {
	env, err := Parse(vectors.Read(t, "docs-examples/magic_envelope_example.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if env.Sender != "alice@example.org" || !bytes.HasPrefix(env.Payload, []byte("<status_message>")) {
		t.Errorf("sender %q payload %q", env.Sender, env.Payload)
	}
	if _, err := entity.ParseXML(env.Payload); !errors.Is(err, federation.ErrValidation) {
		t.Errorf("obsolete payload: want ErrValidation, got %v", err)
	}
}

// The outcomes recorded in gem-outcomes.json for derived envelopes (14d–14l).
func TestDerivedEnvelopeOutcomes(t *testing.T) {
	base := string(vectors.Read(t, "generated/01_status_message_public.envelope.xml"))
	bobKeyID := base64.URLEncoding.EncodeToString([]byte("bob@pod-b.org"))
	sigStart := strings.Index(base, "<me:sig")
	sigEl := base[sigStart : strings.Index(base, "</me:sig>")+len("</me:sig>")]
	cases := []struct {
		name string
		doc  string
		want error
	}{
		{"14d alg RSA-SHA1", strings.Replace(base, "RSA-SHA256</me:alg>", "RSA-SHA1</me:alg>", 1), federation.ErrInvalidAlgorithm},
		{"14e no key_id", strings.Replace(base, ` key_id="YWxpY2VAcG9kLWEub3Jn"`, "", 1), federation.ErrInvalidEnvelope},
		{"14f key_id=bob", strings.Replace(base, `key_id="YWxpY2VAcG9kLWEub3Jn"`, `key_id="`+bobKeyID+`"`, 1), federation.ErrInvalidSignature},
		{"14h type text/plain", strings.Replace(base, `type="application/xml"`, `type="text/plain"`, 1), federation.ErrInvalidDataType},
		{"14k prefix x", strings.ReplaceAll(strings.ReplaceAll(base, "me:", "x:"), "xmlns:x", "xmlns:x"), federation.ErrInvalidEnvelope},
		{"14l sig first", strings.Replace(strings.Replace(base, sigEl+"\n", "", 1), "<me:data", sigEl+"\n  <me:data", 1), nil},
		{"encoding base64", strings.Replace(base, ">base64url<", ">base64<", 1), federation.ErrInvalidEncoding},
		{"no type attribute", strings.Replace(base, ` type="application/xml"`, "", 1), federation.ErrInvalidDataType},
		{"missing encoding", strings.Replace(base, "<me:encoding>base64url</me:encoding>", "", 1), federation.ErrInvalidEncoding},
		{"empty data", strings.Replace(base, base[strings.Index(base, `">PHN`)+2:strings.Index(base, "</me:data>")], "", 1), federation.ErrInvalidEnvelope},
		{"tampered signature", strings.Replace(base, ">BJzv2N", ">BJzv2M", 1), federation.ErrInvalidSignature},
		{"root not env", strings.ReplaceAll(base, "me:env", "me:envelope"), federation.ErrInvalidEnvelope},
		{"me bound elsewhere", strings.Replace(base, `xmlns:me="http://salmon-protocol.org/ns/magic-env"`, `xmlns:me="urn:x"`, 1), federation.ErrInvalidEnvelope},
		{"not xml", "{}", federation.ErrInvalidEnvelope},
		{"unclosed", base[:len(base)-12], federation.ErrInvalidEnvelope},
		{"doctype", strings.Replace(base, "<me:env", "<!DOCTYPE x>\n<me:env", 1), federation.ErrInvalidEnvelope},
		{"key_id not an id", strings.Replace(base, `key_id="YWxpY2VAcG9kLWEub3Jn"`, `key_id="Ym9i"`, 1), federation.ErrInvalidEnvelope},
		{"oversized", base + strings.Repeat(" ", MaxEnvelopeSize), federation.ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, err := Parse([]byte(c.doc))
			if err == nil {
				err = env.Verify(keyFor(t, env.Sender))
			}
			if c.want == nil {
				if err != nil {
					t.Fatalf("want ACCEPTED, got %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("want %v, got %v", c.want, err)
			}
		})
	}
}

func TestOpenVector02(t *testing.T) {
	body := vectors.Read(t, "generated/02_status_message_limited.encrypted.json")
	bob := vectors.PrivateKey(t, "bob_pod_b")
	doc, err := Open(body, bob)
	if err != nil {
		t.Fatal(err)
	}
	if want := vectors.Read(t, "generated/02_status_message_limited.envelope.xml"); !bytes.Equal(doc, want) {
		t.Errorf("decrypted envelope differs:\n%s", doc)
	}
	env, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(keyFor(t, "alice@pod-a.org")); err != nil {
		t.Fatal(err)
	}
	// Wrong recipient key.
	if _, err := Open(body, vectors.PrivateKey(t, "alice_pod_c")); !errors.Is(err, federation.ErrDecryption) {
		t.Errorf("wrong key: want ErrDecryption, got %v", err)
	}
	// Tampered ciphertext.
	var pb map[string]string
	json.Unmarshal(body, &pb)
	ct, _ := base64.StdEncoding.DecodeString(pb["encrypted_magic_envelope"])
	ct[len(ct)-1] ^= 0x55
	pb["encrypted_magic_envelope"] = base64.StdEncoding.EncodeToString(ct)
	tampered, _ := json.Marshal(pb)
	if _, err := Open(tampered, bob); !errors.Is(err, federation.ErrDecryption) {
		t.Errorf("tampered: want ErrDecryption, got %v", err)
	}
	for name, b := range map[string]string{
		"not json":    "<xml/>",
		"missing key": `{"encrypted_magic_envelope":"AAAA"}`,
		"number":      `{"aes_key":1,"encrypted_magic_envelope":"AAAA"}`,
	} {
		if _, err := Open([]byte(b), bob); !errors.Is(err, federation.ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v", name, err)
		}
	}
	if _, err := Open(bytes.Repeat([]byte(" "), MaxPrivateSize+1), bob); !errors.Is(err, federation.ErrTooLarge) {
		t.Errorf("oversized: %v", err)
	}
}

func TestBundleVector02(t *testing.T) {
	var pb map[string]string
	json.Unmarshal(vectors.Read(t, "generated/02_status_message_limited.encrypted.json"), &pb)
	encKey, _ := base64.StdEncoding.DecodeString(pb["aes_key"])
	bundle, err := rsa.DecryptPKCS1v15(nil, vectors.PrivateKey(t, "bob_pod_b"), encKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := vectors.Read(t, "generated/02_status_message_limited.aes_key_bundle.json"); !bytes.Equal(bundle, bytes.TrimSpace(want)) {
		t.Errorf("bundle %s want %s", bundle, want)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	doc := vectors.Read(t, "generated/02_status_message_limited.envelope.xml")
	bob := vectors.PrivateKey(t, "bob_pod_b")
	for i := 0; i < 3; i++ {
		body, err := Seal(doc[:len(doc)-i*7], &bob.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		var pb map[string]string
		if err := json.Unmarshal(body, &pb); err != nil || len(pb) != 2 {
			t.Fatalf("body %s: %v", body, err)
		}
		got, err := Open(body, bob)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, doc[:len(doc)-i*7]) {
			t.Fatalf("round trip differs")
		}
	}
	// The 1024-bit key (alice_pod_a) can receive too.
	alice := vectors.PrivateKey(t, "alice_pod_a")
	body, err := Seal(doc, &alice.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAndParse(body, alice); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeBase64URL(t *testing.T) {
	for in, want := range map[string]string{
		"YWxpY2VAcG9kLWEub3Jn": "alice@pod-a.org",
		"Ym9iQHBvZC1iLm9yZw==": "bob@pod-b.org",
		"Ym9iQHBvZC1iLm9yZw":   "bob@pod-b.org",
		"-_-_":                 "\xfb\xff\xbf",
		"+/+/":                 "\xfb\xff\xbf",
	} {
		got, err := DecodeBase64URL(in)
		if err != nil || string(got) != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{"Ym9i QHBv", "Ym9i\nQHBv", "Ym9iQHBvZC1iLm9yZw=", "*"} {
		if _, err := DecodeBase64URL(in); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}

func TestFastScannerAgrees(t *testing.T) {
	for _, f := range append(vectors.Glob(t, "generated/*.envelope*.xml"), "docs-examples/magic_envelope_example.xml") {
		doc := vectors.Read(t, f)
		fast, ok := scanFast(doc)
		slow, err := scanXML(doc)
		wantFast := !strings.Contains(f, "14j_")
		if ok != wantFast {
			t.Errorf("%s: fast path taken %v, want %v", f, ok, wantFast)
		}
		if ok && (err != nil || fast != slow) {
			t.Errorf("%s: fast %+v slow %+v %v", f, fast, slow, err)
		}
	}
}

// TestSealerSharesTheDocumentNotTheKeyEncryption: a Sealer's bodies for
// several recipients (keys of 1024 and 2048 bits, each sealed for twice,
// so that the prepared-key cache is used) each open with their own
// recipient's key to the document, carry the same encrypted document and
// differ in aes_key; a body does not open with another recipient's key.
func TestSealerSharesTheDocumentNotTheKeyEncryption(t *testing.T) {
	doc := vectors.Read(t, "generated/02_status_message_limited.envelope.xml")
	keys := []*rsa.PrivateKey{vectors.PrivateKey(t, "bob_pod_b"), vectors.PrivateKey(t, "alice_pod_a"), vectors.PrivateKey(t, "alice_pod_c")}
	s, err := NewSealer(doc)
	if err != nil {
		t.Fatal(err)
	}
	var encrypted string
	aesKeys := map[string]bool{}
	for round := 0; round < 2; round++ {
		for i, k := range keys {
			body, err := s.Seal(&k.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			var pb map[string]string
			if err := json.Unmarshal(body, &pb); err != nil || len(pb) != 2 {
				t.Fatalf("body %s: %v", body, err)
			}
			if encrypted == "" {
				encrypted = pb["encrypted_magic_envelope"]
			} else if pb["encrypted_magic_envelope"] != encrypted {
				t.Fatal("the encrypted document differs between recipients of one Sealer")
			}
			if aesKeys[pb["aes_key"]] {
				t.Fatal("an aes_key repeats (PKCS#1 v1.5 padding is random)")
			}
			aesKeys[pb["aes_key"]] = true
			got, err := Open(body, k)
			if err != nil || !bytes.Equal(got, doc) {
				t.Fatalf("recipient %d, round %d: %v", i, round, err)
			}
			if _, err := Open(body, keys[(i+1)%len(keys)]); !errors.Is(err, federation.ErrDecryption) {
				t.Fatalf("recipient %d's body opened with another key: %v", i, err)
			}
		}
	}
	if _, err := s.Seal(nil); !errors.Is(err, federation.ErrKeyNotFound) {
		t.Fatalf("no key: %v", err)
	}
	// A 512-bit key is refused as crypto/rsa refuses it.
	if _, err := s.Seal(&vectors.PrivateKey(t, "pkcs1_512").PublicKey); !errors.Is(err, federation.ErrInvalidKey) {
		t.Fatalf("512-bit key: %v, want ErrInvalidKey", err)
	}
}
