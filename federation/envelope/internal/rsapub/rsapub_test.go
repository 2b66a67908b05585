package rsapub

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	mrand "math/rand/v2"
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
