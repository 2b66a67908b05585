// Package rsapub is RSA's public-key operations, encryption
// (RSAES-PKCS1-v1_5) and signature verification (RSASSA-PKCS1-v1_5 with
// SHA-256), faster than crypto/rsa for a pod, which seals and checks with
// the same few thousand keys all day:
//
//   - Encryption handles a secret (the key bundle), so it is constant-time
//     as crypto/rsa's: the arithmetic is filippo.io/bigmod, the standard
//     library's crypto/internal/fips140/bigmod published as a module by its
//     author, with each key's Montgomery modulus computed once and kept
//     (crypto/rsa rebuilds it on every call, about a third of a 4096-bit
//     operation).
//   - Verification handles nothing secret: the signature, the signed data
//     and the key all came from the network or are public. For moduli the
//     constant-time arithmetic has assembly for (1024, 1536 and 2048 bits)
//     it uses that; for the others, 4096 bits above all (the size diaspora*
//     keys have), math/big, variable-time but with assembly for every size:
//     about half the time of the constant-time exponentiation there.
//
// Keys it does not handle, and FIPS 140 mode, go to crypto/rsa
// (EncryptPKCS1v15, VerifyPKCS1v15SHA256).
package rsapub

import (
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"io"
	"math/big"

	"filippo.io/bigmod"
)

// PublicKey is an RSA public key prepared for repeated encryption. It is
// immutable and safe for concurrent use.
type PublicKey struct {
	n    *bigmod.Modulus
	nBig *big.Int // the same modulus, for verification with math/big (nil: with n); never changed
	e    uint
	size int // modulus bytes
}

// bigE is the public exponent, 65537, for math/big; never changed.
var bigE = big.NewInt(65537)

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
	k := &PublicKey{n: n, e: uint(pub.E), size: n.Size()}
	switch (pub.N.BitLen() + 63) / 64 {
	case 16, 24, 32: // bigmod's assembly sizes: faster than math/big there
	default:
		k.nBig = new(big.Int).Set(pub.N)
	}
	return k, nil
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

// sha256DigestInfo is the DER prefix of a SHA-256 DigestInfo (RFC 8017,
// 9.2, note 1), as crypto/rsa writes it.
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// VerifyPKCS1v15SHA256 checks an RSASSA-PKCS1-v1_5 signature over a
// SHA-256 digest as crypto/rsa.VerifyPKCS1v15 does: the signature must be
// exactly the modulus' length and below it, and sig^e mod n must be
// 0x00 ‖ 0x01 ‖ 0xff… ‖ 0x00 ‖ DigestInfo(SHA-256) ‖ hashed, byte for
// byte. Any mismatch is rsa.ErrVerification. Its time depends on the
// signature, which is public (see the package comment).
func (k *PublicKey) VerifyPKCS1v15SHA256(hashed, sig []byte) error {
	tLen := len(sha256DigestInfo) + len(hashed)
	if len(hashed) != 32 || len(sig) != k.size || k.size < tLen+11 {
		return rsa.ErrVerification
	}
	em, err := k.verifyExp(sig)
	if err != nil {
		return err
	}
	want := make([]byte, k.size)
	want[1] = 1
	for i := 2; i < k.size-tLen-1; i++ {
		want[i] = 0xff
	}
	copy(want[k.size-tLen:], sha256DigestInfo)
	copy(want[k.size-len(hashed):], hashed)
	if subtle.ConstantTimeCompare(em, want) != 1 {
		return rsa.ErrVerification
	}
	return nil
}

// verifyExp returns sig^e mod n as a modulus-sized big-endian string, or
// rsa.ErrVerification unless sig < n.
func (k *PublicKey) verifyExp(sig []byte) ([]byte, error) {
	if k.nBig == nil {
		s, err := bigmod.NewNat().SetBytes(sig, k.n) // fails unless sig < n
		if err != nil {
			return nil, rsa.ErrVerification
		}
		return bigmod.NewNat().ExpShortVarTime(s, k.e, k.n).Bytes(k.n), nil
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(k.nBig) >= 0 {
		return nil, rsa.ErrVerification
	}
	return s.Exp(s, bigE, k.nBig).FillBytes(make([]byte, k.size)), nil
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
