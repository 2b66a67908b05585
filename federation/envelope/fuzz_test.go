package envelope

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"testing"

	"github.com/aspenpod/aspen/federation/internal/vectors"
)

// FuzzParse: envelope parsing never panics; whatever parses and verifies
// with the sender's vector key re-serialises to an envelope that parses to
// the same payload and still verifies.
func FuzzParse(f *testing.F) {
	for _, p := range vectors.Glob(f, "generated/*.envelope*.xml") {
		f.Add(vectors.Read(f, p))
	}
	f.Add(vectors.Read(f, "docs-examples/magic_envelope_example.xml"))
	keys := vectors.PublicKeys(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if fast, ok := scanFast(data); ok {
			slow, err := scanXML(data)
			if err != nil || slow != fast {
				t.Fatalf("fast scanner disagrees with encoding/xml:\nfast %+v\nslow %+v (%v)", fast, slow, err)
			}
		}
		env, err := Parse(data)
		if err != nil {
			return
		}
		pub := keys[env.Sender]
		if pub == nil || env.Verify(pub) != nil {
			return
		}
		again, err := Parse(env.Marshal())
		if err != nil {
			t.Fatalf("re-marshalled envelope does not parse: %v", err)
		}
		if !bytes.Equal(again.Payload, env.Payload) || again.Sender != env.Sender {
			t.Fatal("re-marshalled envelope differs")
		}
		if err := again.Verify(pub); err != nil {
			t.Fatalf("re-marshalled envelope does not verify: %v", err)
		}
	})
}

// FuzzOpen: opening a private envelope never panics. The RSA step is
// replaced by the identity (aes_key carries the key bundle in clear), so the
// fuzzer spends its time on the JSON, base64, bundle, AES and padding
// handling rather than on RSA; the real decryption is tested with the
// vectors.
func FuzzOpen(f *testing.F) {
	identity := func(c []byte) ([]byte, error) { return c, nil }
	doc := vectors.Read(f, "generated/01_status_message_public.envelope.xml")
	key := make([]byte, 32)
	iv := make([]byte, 16)
	block, _ := aes.NewCipher(key)
	padded := append(append([]byte{}, doc...), bytes.Repeat([]byte{byte(16 - len(doc)%16)}, 16-len(doc)%16)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(padded, padded)
	bundle := `{"key":"` + base64.StdEncoding.EncodeToString(key) + `","iv":"` + base64.StdEncoding.EncodeToString(iv) + `"}`
	f.Add([]byte(`{"aes_key":"` + base64.StdEncoding.EncodeToString([]byte(bundle)) + `","encrypted_magic_envelope":"` + base64.StdEncoding.EncodeToString(padded) + `"}`))
	f.Add(vectors.Read(f, "generated/02_status_message_limited.encrypted.json"))
	f.Add([]byte(`{"aes_key":"","encrypted_magic_envelope":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := open(data, identity)
		if err != nil {
			return
		}
		_, _ = Parse(doc)
	})
}
