package rsapub

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"testing"
)

// rsapubKey generates a test key of the given size.
func rsapubKey(t testing.TB, bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rsapubCounting is a deterministic random source that also serves zero
// bytes (every 7th), so that the padding's zero-avoidance is exercised.
type rsapubCounting struct {
	r *mrand.ChaCha8
	n *int
}

func rsapubSource(seed [32]byte) rsapubCounting {
	return rsapubCounting{mrand.NewChaCha8(seed), new(int)}
}

func (c rsapubCounting) Read(p []byte) (int, error) {
	n, _ := c.r.Read(p)
	for i := range p {
		if *c.n%7 == 0 {
			p[i] = 0
		}
		*c.n++
	}
	return n, nil
}

// TestEncryptMatchesMathBig checks the ciphertext against math/big's
// EM^e mod n (same padding bytes) and that crypto/rsa decrypts it to the
// message, for every modulus size the arithmetic has a separate path for
// (1024, 1536, 2048, 4096 bits with assembly; 3072 generic).
func TestEncryptMatchesMathBig(t *testing.T) {
	for _, bits := range []int{1024, 1536, 2048, 3072, 4096} {
		priv := rsapubKey(t, bits)
		pub, err := NewPublicKey(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Size() != priv.PublicKey.Size() {
			t.Fatalf("%d bits: size %d, want %d", bits, pub.Size(), priv.PublicKey.Size())
		}
		for i := 0; i < 40; i++ {
			msg := make([]byte, i*2)
			rand.Read(msg)
			seed := [32]byte{byte(bits), byte(bits >> 8), byte(i)}
			c, err := pub.EncryptPKCS1v15(rsapubSource(seed), msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(c) != pub.Size() {
				t.Fatalf("ciphertext of %d bytes, want %d", len(c), pub.Size())
			}
			// The same padding, built here.
			em := make([]byte, pub.Size())
			em[1] = 2
			ps := em[2 : len(em)-len(msg)-1]
			if err := nonZeroRandomBytes(ps, rsapubSource(seed)); err != nil {
				t.Fatal(err)
			}
			if bytes.IndexByte(ps, 0) >= 0 || len(ps) < 8 {
				t.Fatalf("bad padding %x", ps)
			}
			copy(em[len(em)-len(msg):], msg)
			want := new(big.Int).Exp(new(big.Int).SetBytes(em), big.NewInt(int64(priv.E)), priv.N).FillBytes(make([]byte, pub.Size()))
			if !bytes.Equal(c, want) {
				t.Fatalf("%d bits, message %d bytes: ciphertext differs from math/big's", bits, len(msg))
			}
			got, err := rsa.DecryptPKCS1v15(nil, priv, c)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d bits: crypto/rsa decrypts to %x, %v; want %x", bits, got, err, msg)
			}
		}
		// Real randomness, the largest message.
		msg := bytes.Repeat([]byte{0x5a}, pub.Size()-11)
		c, err := pub.EncryptPKCS1v15(rand.Reader, msg)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := rsa.DecryptPKCS1v15(nil, priv, c); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bits: longest message does not round-trip: %v", bits, err)
		}
		if _, err := pub.EncryptPKCS1v15(rand.Reader, append(msg, 0)); !errors.Is(err, rsa.ErrMessageTooLong) {
			t.Fatalf("%d bits: message one byte too long: %v, want ErrMessageTooLong", bits, err)
		}
	}
}

// TestNewPublicKeyRefusesOddKeys: keys outside the common case are left
// to crypto/rsa.
func TestNewPublicKeyRefusesOddKeys(t *testing.T) {
	k := rsapubKey(t, 1024).PublicKey
	even := new(big.Int).Add(k.N, big.NewInt(1))
	small := rsa.PublicKey{N: new(big.Int).Rsh(k.N, 512), E: 65537}
	small.N.SetBit(small.N, 0, 1)
	for name, pub := range map[string]*rsa.PublicKey{
		"nil":          nil,
		"no modulus":   {E: 65537},
		"exponent 3":   {N: k.N, E: 3},
		"even modulus": {N: even, E: 65537},
		"512 bits":     &small,
		"negative":     {N: new(big.Int).Neg(k.N), E: 65537},
	} {
		if _, err := NewPublicKey(pub); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", name, err)
		}
	}
}

// rsapubVerifyCases are a valid signature of hashed by priv and the ways
// it can be wrong: every case but the first must be refused.
func rsapubVerifyCases(priv *rsa.PrivateKey, hashed []byte) map[string][2][]byte {
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, hashed)
	if err != nil {
		panic(err)
	}
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 1; return c }
	n := priv.N.FillBytes(make([]byte, len(sig)))
	nMinus1 := new(big.Int).Sub(priv.N, big.NewInt(1)).FillBytes(make([]byte, len(sig)))
	one := make([]byte, len(sig))
	one[len(one)-1] = 1
	other := sha256.Sum256(append(bytes.Clone(hashed), 'x'))
	cases := map[string][2][]byte{
		"valid":                  {sig, hashed},
		"signature bit flipped":  {flip(sig, len(sig)/2), hashed},
		"last bit flipped":       {flip(sig, len(sig)-1), hashed},
		"digest bit flipped":     {sig, flip(hashed, 0)},
		"another digest":         {sig, other[:]},
		"signature is n":         {n, hashed},
		"signature is n-1":       {nMinus1, hashed},
		"signature is 1":         {one, hashed},
		"signature is 0":         {make([]byte, len(sig)), hashed},
		"one byte short":         {sig[1:], hashed},
		"a leading zero byte":    {append([]byte{0}, sig...), hashed},
		"digest too short":       {sig, hashed[:20]},
		"digest with extra byte": {sig, append(bytes.Clone(hashed), 0)},
		"empty":                  {nil, nil},
	}
	// The valid signature plus n, where that still has the modulus'
	// length: the same value modulo n, refused only because it is not
	// below n.
	if plusN := new(big.Int).Add(new(big.Int).SetBytes(sig), priv.N); plusN.BitLen() <= 8*len(sig) {
		cases["valid signature plus n"] = [2][]byte{plusN.FillBytes(make([]byte, len(sig))), hashed}
	}
	return cases
}

// TestVerifyAgreesWithCryptoRSA: a signature is accepted exactly when
// crypto/rsa.VerifyPKCS1v15 accepts it, for valid signatures and every
// kind of wrong one, at each modulus size: with the constant-time
// arithmetic (1024 and 2048 bits) and with math/big (3072 and 4096).
func TestVerifyAgreesWithCryptoRSA(t *testing.T) {
	for _, bits := range []int{1024, 2048, 3072, 4096} {
		priv := rsapubKey(t, bits)
		pub, err := NewPublicKey(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if withBig := bits > 2048; (pub.nBig != nil) != withBig {
			t.Fatalf("%d bits: verification with math/big is %v, want %v", bits, pub.nBig != nil, withBig)
		}
		// A message whose signature plus n has the modulus' length, so
		// that the "plus n" case is there (most are).
		var cases map[string][2][]byte
		for i := 0; i < 100; i++ {
			h := sha256.Sum256([]byte(fmt.Sprint("message ", bits, i)))
			if cases = rsapubVerifyCases(priv, h[:]); len(cases[`valid signature plus n`][0]) > 0 {
				break
			}
		}
		if len(cases["valid signature plus n"][0]) == 0 {
			t.Fatalf("%d bits: no signature plus n of the modulus' length in 100 messages", bits)
		}
		for name, c := range cases {
			got := pub.VerifyPKCS1v15SHA256(c[1], c[0])
			want := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, c[1], c[0])
			if (got == nil) != (want == nil) || (name == "valid") != (got == nil) {
				t.Errorf("%d bits, %s: rsapub %v, crypto/rsa %v", bits, name, got, want)
			}
			if got != nil && !errors.Is(got, rsa.ErrVerification) {
				t.Errorf("%d bits, %s: %v, want rsa.ErrVerification", bits, name, got)
			}
			if pkg := VerifyPKCS1v15SHA256(&priv.PublicKey, c[1], c[0]); (pkg == nil) != (got == nil) {
				t.Errorf("%d bits, %s: the cached key says %v, the prepared one %v", bits, name, pkg, got)
			}
		}
	}
}

// rsapubFuzzKeys are the fuzz target's keys, made once per process: 1024
// bits (verified with the constant-time arithmetic) and 1280 (math/big).
var rsapubFuzzKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	var out []*rsa.PrivateKey
	for _, bits := range []int{1024, 1280} {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		out = append(out, k)
	}
	return out
})

// FuzzVerifyAgreesWithCryptoRSA: for any signature and digest bytes (a
// signature arrives from other pods), VerifyPKCS1v15SHA256 accepts exactly
// what crypto/rsa accepts, on both of its paths.
func FuzzVerifyAgreesWithCryptoRSA(f *testing.F) {
	privs := rsapubFuzzKeys()
	h := sha256.Sum256([]byte("seed"))
	var pubs []*PublicKey
	for _, priv := range privs {
		for _, c := range rsapubVerifyCases(priv, h[:]) {
			f.Add(c[0], c[1])
		}
		pub, err := NewPublicKey(&priv.PublicKey)
		if err != nil {
			f.Fatal(err)
		}
		pubs = append(pubs, pub)
	}
	if pubs[0].nBig != nil || pubs[1].nBig == nil {
		f.Fatal("the fuzz keys do not cover both verification paths")
	}
	f.Fuzz(func(t *testing.T, sig, hashed []byte) {
		for i, pub := range pubs {
			got := pub.VerifyPKCS1v15SHA256(hashed, sig)
			want := rsa.VerifyPKCS1v15(&privs[i].PublicKey, crypto.SHA256, hashed, sig)
			if (got == nil) != (want == nil) {
				t.Fatalf("%d bits, sig %x digest %x: rsapub %v, crypto/rsa %v", privs[i].N.BitLen(), sig, hashed, got, want)
			}
		}
	})
}

func BenchmarkVerify4096(b *testing.B) {
	priv := rsapubKey(b, 4096)
	pub, err := NewPublicKey(&priv.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.Sum256([]byte("bench"))
	sig, _ := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, h[:])
	b.Run("rsapub", func(b *testing.B) {
		for b.Loop() {
			if err := pub.VerifyPKCS1v15SHA256(h[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("crypto-rsa", func(b *testing.B) {
		for b.Loop() {
			if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, h[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncrypt4096(b *testing.B) {
	priv := rsapubKey(b, 4096)
	pub, err := NewPublicKey(&priv.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 88)
	b.Run("rsapub", func(b *testing.B) {
		for b.Loop() {
			pub.EncryptPKCS1v15(rand.Reader, msg)
		}
	})
	b.Run("crypto-rsa", func(b *testing.B) {
		for b.Loop() {
			rsa.EncryptPKCS1v15(rand.Reader, &priv.PublicKey, msg)
		}
	})
}
