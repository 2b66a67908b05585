// Package rsapub is RSA public-key encryption (RSAES-PKCS1-v1_5) with the
// key's Montgomery modulus computed once: crypto/rsa.EncryptPKCS1v15
// rebuilds it on every call, about a third of a 4096-bit encryption. The
// arithmetic is filippo.io/bigmod, the standard library's constant-time
// crypto/internal/fips140/bigmod published as a module by its author, so
// the message (a secret key bundle) is handled as crypto/rsa handles it.
package rsapub

import (
	"crypto/rsa"
	"errors"
	"io"

	"filippo.io/bigmod"
)

// PublicKey is an RSA public key prepared for repeated encryption. It is
// immutable and safe for concurrent use.
type PublicKey struct {
	n    *bigmod.Modulus
	e    uint
	size int // modulus bytes
}

// ErrUnsupported means that a key is outside what this package handles
// (exponent other than 65537, modulus under 1024 or over 16384 bits, even
// modulus); crypto/rsa decides about such keys.
var ErrUnsupported = errors.New("rsapub: key not supported")

// NewPublicKey prepares pub (its modulus' Montgomery constants).
func NewPublicKey(pub *rsa.PublicKey) (*PublicKey, error) {
	if pub == nil || pub.N == nil || pub.E != 65537 || pub.N.Sign() <= 0 || pub.N.Bit(0) != 1 ||
		pub.N.BitLen() < 1024 || pub.N.BitLen() > 16384 {
		return nil, ErrUnsupported
	}
	n, err := bigmod.NewModulus(pub.N.Bytes())
	if err != nil {
		return nil, ErrUnsupported
	}
	return &PublicKey{n: n, e: uint(pub.E), size: n.Size()}, nil
}

// Size is the modulus' (and a ciphertext's) length in bytes.
func (k *PublicKey) Size() int { return k.size }

// EncryptPKCS1v15 encrypts msg with RSAES-PKCS1-v1_5 as
// crypto/rsa.EncryptPKCS1v15 does: EM = 0x00 ‖ 0x02 ‖ PS ‖ 0x00 ‖ msg with
// PS nonzero random bytes from random, then EM^e mod n, constant-time in
// EM.
func (k *PublicKey) EncryptPKCS1v15(random io.Reader, msg []byte) ([]byte, error) {
	if len(msg) > k.size-11 {
		return nil, rsa.ErrMessageTooLong
	}
	em := make([]byte, k.size)
	em[1] = 2
	ps := em[2 : len(em)-len(msg)-1]
	if err := nonZeroRandomBytes(ps, random); err != nil {
		return nil, err
	}
	copy(em[len(em)-len(msg):], msg)
	m, err := bigmod.NewNat().SetBytes(em, k.n)
	if err != nil {
		return nil, err // cannot happen: em starts with a zero byte
	}
	return bigmod.NewNat().ExpShortVarTime(m, k.e, k.n).Bytes(k.n), nil
}

// nonZeroRandomBytes fills s with nonzero random bytes (as crypto/rsa).
func nonZeroRandomBytes(s []byte, random io.Reader) error {
	if _, err := io.ReadFull(random, s); err != nil {
		return err
	}
	for i := range s {
		for s[i] == 0 {
			if _, err := io.ReadFull(random, s[i:i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}
