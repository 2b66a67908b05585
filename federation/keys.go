package federation

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
)

// MaxKeyPEMSize bounds the PEM text accepted by ParsePublicKey and
// ParsePrivateKey (a 16384-bit private key is about 12 KiB).
const MaxKeyPEMSize = 32 << 10

// MaxRSABits is the largest RSA modulus accepted from the network. Bigger keys
// would only make verification slow (a cheap denial of service).
const MaxRSABits = 8192

// ParsePublicKey parses an RSA public key in PEM form. It accepts both armors
// found in the wild: "PUBLIC KEY" (X.509 SubjectPublicKeyInfo, what diaspora
// publishes) and "RSA PUBLIC KEY" (PKCS#1, held by old pods). Surrounding
// whitespace is ignored.
func ParsePublicKey(pemText []byte) (*rsa.PublicKey, error) {
	if len(pemText) > MaxKeyPEMSize {
		return nil, Errorf(ErrTooLarge, "public key PEM is %d bytes, limit %d", len(pemText), MaxKeyPEMSize)
	}
	block, _ := pem.Decode([]byte(strings.TrimSpace(string(pemText))))
	if block == nil {
		return nil, Errorf(ErrInvalidKey, "no PEM block in public key")
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, Wrap(ErrInvalidKey, err, "parse PUBLIC KEY")
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, Errorf(ErrInvalidKey, "PUBLIC KEY is %T, not RSA", k)
		}
		pub = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, Wrap(ErrInvalidKey, err, "parse RSA PUBLIC KEY")
		}
		pub = k
	default:
		return nil, Errorf(ErrInvalidKey, "unexpected PEM type %q (want PUBLIC KEY or RSA PUBLIC KEY)", block.Type)
	}
	if pub.N.BitLen() > MaxRSABits {
		return nil, Errorf(ErrInvalidKey, "RSA key has %d bits, limit %d", pub.N.BitLen(), MaxRSABits)
	}
	return pub, nil
}

// ParsePrivateKey parses an RSA private key in PEM form: PKCS#1
// ("RSA PRIVATE KEY", what diaspora stores) or PKCS#8 ("PRIVATE KEY"). The
// key is precomputed, ready for repeated use: parse it once and cache the
// result rather than parsing per message.
func ParsePrivateKey(pemText []byte) (*rsa.PrivateKey, error) {
	if len(pemText) > MaxKeyPEMSize {
		return nil, Errorf(ErrTooLarge, "private key PEM is %d bytes, limit %d", len(pemText), MaxKeyPEMSize)
	}
	block, _ := pem.Decode([]byte(strings.TrimSpace(string(pemText))))
	if block == nil {
		return nil, Errorf(ErrInvalidKey, "no PEM block in private key")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, Wrap(ErrInvalidKey, err, "parse RSA PRIVATE KEY")
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, Wrap(ErrInvalidKey, err, "parse PRIVATE KEY")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, Errorf(ErrInvalidKey, "PRIVATE KEY is %T, not RSA", k)
		}
		key = rk
	default:
		return nil, Errorf(ErrInvalidKey, "unexpected PEM type %q (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
	key.Precompute()
	return key, nil
}

// MarshalPublicKey returns the SubjectPublicKeyInfo PEM ("PUBLIC KEY") of
// pub, the form diaspora publishes in hCards.
func MarshalPublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, Wrap(ErrInvalidKey, err, "marshal public key")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// MarshalPrivateKey returns the PKCS#1 PEM ("RSA PRIVATE KEY") of key.
func MarshalPrivateKey(key *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// DefaultKeyBits is the RSA key size diaspora generates for users.
const DefaultKeyBits = 4096

// GenerateKey returns a new RSA key of the given size (DefaultKeyBits if
// bits is 0).
func GenerateKey(bits int) (*rsa.PrivateKey, error) {
	if bits == 0 {
		bits = DefaultKeyBits
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, Wrap(ErrInvalidKey, err, "generate %d-bit key", bits)
	}
	return k, nil
}
