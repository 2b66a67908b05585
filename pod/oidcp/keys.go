package oidcp

import (
	"context"
	"crypto"
	"crypto/rsa"
	_ "crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/go-jose/go-jose/v4"

	"github.com/aspenpod/aspen/models"
)

// signingKeyBits is the size of the ID token signing key (RS256;
// diaspora* uses 4096 bits, 2048 signs faster and is ample).
const signingKeyBits = 2048

// signingKey is an RS256 key; it serves as op.SigningKey and op.Key.
type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k signingKey) ID() string                                  { return k.kid }
func (k signingKey) Use() string                                 { return "sig" }

// Key is the private key when signing; KeySet wraps it to publish the
// public half.
func (k signingKey) Key() any { return k.priv }

// publicKey is a signing key as jwks.json publishes it.
type publicKey struct{ signingKey }

func (k publicKey) Key() any { return &k.priv.PublicKey }

// signingKeys returns the signing keys, newest first, making the first one
// on first use (stored sealed with the pod secret, like the users' keys).
func (a *Service) signingKeys(ctx context.Context) ([]signingKey, error) {
	a.keyMu.Lock()
	defer a.keyMu.Unlock()
	if a.keys != nil {
		return a.keys, nil
	}
	err := a.store.EnsureOIDCSigningKey(ctx, func() (models.OIDCSigningKey, error) {
		priv, err := models.GenerateKey(signingKeyBits)
		if err != nil {
			return models.OIDCSigningKey{}, err
		}
		sealed, err := a.core.Sealer().Seal(priv)
		if err != nil {
			return models.OIDCSigningKey{}, err
		}
		return models.OIDCSigningKey{Kid: thumbprint(priv), PrivateKey: sealed}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("oidc signing key: %w", err)
	}
	rows, err := a.store.OIDCSigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]signingKey, 0, len(rows))
	for _, r := range rows {
		priv, err := a.core.Sealer().Open(r.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("oidc signing key %s: %w", r.Kid, err)
		}
		keys = append(keys, signingKey{kid: r.Kid, priv: priv})
	}
	a.keys = keys
	return keys, nil
}

// thumbprint is the RFC 7638 thumbprint of the public key: the key ID.
func thumbprint(priv *rsa.PrivateKey) string {
	jwk := jose.JSONWebKey{Key: &priv.PublicKey}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "default"
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}
