package models

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// sealPrefix marks the format of a sealed private key, so that the scheme
// can change later without guessing.
const sealPrefix = "aesgcm1:"

// ErrWrongSecret means a sealed key could not be opened: the pod secret is
// not the one it was sealed with, or the stored value was altered.
var ErrWrongSecret = errors.New("cannot decrypt private key: POD_SECRET_KEY differs from the one the key was encrypted with, or the stored key is damaged")

// KeySealer encrypts private keys at rest with a key derived from the pod
// secret (HKDF-SHA256, then AES-256-GCM with a random nonce per key).
type KeySealer struct {
	aead cipher.AEAD
}

// NewKeySealer derives the sealing key from the pod secret.
func NewKeySealer(secret string) (*KeySealer, error) {
	if len(secret) < 16 {
		return nil, errors.New("the pod secret is too short to seal keys")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "aspen private keys v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &KeySealer{aead: aead}, nil
}

// Seal encrypts a private key for storage.
func (k *KeySealer) Seal(priv *rsa.PrivateKey) (string, error) {
	der := x509.MarshalPKCS1PrivateKey(priv)
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal key: %w", err)
	}
	out := k.aead.Seal(nonce, nonce, der, []byte(sealPrefix))
	return sealPrefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed private key. A wrong secret or altered value gives
// ErrWrongSecret.
func (k *KeySealer) Open(sealed string) (*rsa.PrivateKey, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, errors.New("cannot decrypt private key: unknown storage format")
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return nil, ErrWrongSecret
	}
	ns := k.aead.NonceSize()
	der, err := k.aead.Open(nil, raw[:ns], raw[ns:], []byte(sealPrefix))
	if err != nil {
		return nil, ErrWrongSecret
	}
	priv, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt private key: %w", err)
	}
	return priv, nil
}

// PublicKeyPEM encodes a public key the way diaspora* publishes it: SPKI
// ("PUBLIC KEY") PEM.
func PublicKeyPEM(pub *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// GenerateKey makes a new RSA key pair of the given size.
func GenerateKey(bits int) (*rsa.PrivateKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("generate %d-bit key: %w", bits, err)
	}
	return priv, nil
}
