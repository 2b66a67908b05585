package envelope

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"strconv"
	"testing"

	"github.com/aspenpod/aspen/federation/internal/fedbench"
	"github.com/aspenpod/aspen/federation/internal/vectors"
)

func benchPayload(b *testing.B) []byte {
	return vectors.TrimFinalNewline(vectors.Read(b, "generated/01_status_message_public.payload.xml"))
}

func forSizes(b *testing.B, fn func(b *testing.B, key *rsa.PrivateKey)) {
	for _, bits := range fedbench.Sizes {
		key := fedbench.Key(b, bits)
		b.Run(strconv.Itoa(bits), func(b *testing.B) { fn(b, key) })
	}
}

// BenchmarkBuild: build and sign a public magic envelope vs a bare
// rsa.SignPKCS1v15 of a SHA-256 digest.
func BenchmarkBuild(b *testing.B) {
	payload := benchPayload(b)
	forSizes(b, func(b *testing.B, key *rsa.PrivateKey) {
		d := digest("x")
		fedbench.Pair(b, func() {
			env, err := Sign(payload, "alice@pod-a.org", key)
			if err != nil {
				b.Fatal(err)
			}
			_ = env.Marshal()
		}, func() {
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkVerify: parse and verify a public magic envelope vs a bare
// rsa.VerifyPKCS1v15.
func BenchmarkVerify(b *testing.B) {
	payload := benchPayload(b)
	forSizes(b, func(b *testing.B, key *rsa.PrivateKey) {
		env, _ := Sign(payload, "alice@pod-a.org", key)
		doc := env.Marshal()
		d := digest(env.Data)
		pub := &key.PublicKey
		fedbench.Pair(b, func() {
			e, err := Parse(doc)
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Verify(pub); err != nil {
				b.Fatal(err)
			}
		}, func() {
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, env.Signature); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkSeal: seal a signed envelope for one recipient vs a bare
// rsa.EncryptPKCS1v15 of a key bundle.
func BenchmarkSeal(b *testing.B) {
	payload := benchPayload(b)
	forSizes(b, func(b *testing.B, key *rsa.PrivateKey) {
		env, _ := Sign(payload, "alice@pod-a.org", key)
		doc := env.Marshal()
		pub := &key.PublicKey
		bundle := []byte(`{"key":"Wa2P98ctcsmtNSgBECI3dEwV+UFiyfOou5u3yGg5OTM=","iv":"jWN6nOp66P4FnVaijz6QvA=="}`)
		fedbench.Pair(b, func() {
			if _, err := Seal(doc, pub); err != nil {
				b.Fatal(err)
			}
		}, func() {
			if _, err := rsa.EncryptPKCS1v15(rand.Reader, pub, bundle); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkOpen: open, parse and verify a private envelope vs a bare
// rsa.DecryptPKCS1v15 plus rsa.VerifyPKCS1v15 (recipient and sender use
// keys of the same size).
func BenchmarkOpen(b *testing.B) {
	payload := benchPayload(b)
	forSizes(b, func(b *testing.B, key *rsa.PrivateKey) {
		env, _ := Sign(payload, "alice@pod-a.org", key)
		doc := env.Marshal()
		pub := &key.PublicKey
		body, _ := Seal(doc, pub)
		encKey, _ := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte(`{"key":"Wa2P98ctcsmtNSgBECI3dEwV+UFiyfOou5u3yGg5OTM=","iv":"jWN6nOp66P4FnVaijz6QvA=="}`))
		d := digest(env.Data)
		fedbench.Pair(b, func() {
			e, err := OpenAndParse(body, key)
			if err != nil {
				b.Fatal(err)
			}
			if err := e.Verify(pub); err != nil {
				b.Fatal(err)
			}
		}, func() {
			if _, err := rsa.DecryptPKCS1v15(nil, key, encKey); err != nil {
				b.Fatal(err)
			}
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d, env.Signature); err != nil {
				b.Fatal(err)
			}
		})
	})
}
