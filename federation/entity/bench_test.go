package entity

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"strconv"
	"testing"

	"github.com/aspenpod/aspen/federation/internal/fedbench"
	"github.com/aspenpod/aspen/federation/internal/vectors"
)

// BenchmarkParseXML: parse and validate entity payloads.
func BenchmarkParseXML(b *testing.B) {
	for _, f := range []string{
		"generated/01_status_message_public.payload.xml",
		"generated/03_comment_by_bob.payload.xml",
		"generated/17_status_message_with_photo_location_poll.payload.xml",
	} {
		data := vectors.Read(b, f)
		b.Run(f[len("generated/"):len(f)-len(".payload.xml")], func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseXML(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMarshalXML: serialise a status message with photo, location and poll.
func BenchmarkMarshalXML(b *testing.B) {
	e, _ := ParseXML(vectors.Read(b, "generated/17_status_message_with_photo_location_poll.payload.xml"))
	for b.Loop() {
		if _, err := MarshalXML(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRelayableVerify: check the author_signature of a parsed comment
// vs a bare rsa.VerifyPKCS1v15.
func BenchmarkRelayableVerify(b *testing.B) {
	for _, bits := range fedbench.Sizes {
		key := fedbench.Key(b, bits)
		b.Run(strconv.Itoa(bits), func(b *testing.B) {
			c := &Comment{Author: "bob@pod-b.org", GUID: "3a3b3c3d3e3f40414243444546474849", ParentGUID: "1f2e3d4c5b6a79880123456789abcdef", Text: "Nice post, alice!"}
			if err := SignRelayable(c, key); err != nil {
				b.Fatal(err)
			}
			x, _ := MarshalXML(c)
			e, err := ParseXML(x)
			if err != nil {
				b.Fatal(err)
			}
			r := e.(Relayable)
			sig, _ := DecodeBase64Lenient(Relay(r).AuthorSignature)
			h := sha256.Sum256([]byte(SignatureText(r)))
			pub := &key.PublicKey
			fedbench.Pair(b, func() {
				if err := VerifyAuthorSignature(r, pub); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
