// Package oidcp is the pod's OpenID Connect provider and the tokens of
// diaspora*'s API (issue 16). The protocol is github.com/zitadel/oidc's
// OpenID-certified provider (package op); this package is its storage
// (apps, authorizations and tokens in PostgreSQL, pending authorization
// requests and codes in Redis), the dynamic client registration, the
// consent decisions and the token check the API makes on every request.
// Only hashes of secrets are stored.
package oidcp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Endpoint paths: diaspora*'s (config/routes.rb), so its clients find them.
const (
	AuthorizationPath = "/api/openid_connect/authorizations/new"
	CallbackPath      = AuthorizationPath + "/callback"
	TokenPath         = "/api/openid_connect/access_tokens"
	UserInfoPath      = "/api/openid_connect/user_info"
	JWKSPath          = "/api/openid_connect/jwks.json"
	RegistrationPath  = "/api/openid_connect/clients"
	ConsentPath       = "/api/openid_connect/consent"
	// revocationPath is not mounted (revocation is the settings page);
	// the library needs a path for it.
	revocationPath = "/api/openid_connect/revoke"
)

// Lifetimes, as on diaspora*: access tokens a day, ID tokens half an
// hour, authorization requests and codes ten minutes.
const (
	AccessTokenLifetime = 24 * time.Hour
	IDTokenLifetime     = 30 * time.Minute
	requestLifetime     = 10 * time.Minute
)

// Service is the OpenID Connect provider.
type Service struct {
	core  *pod.Core
	store *models.Store
	prov  *op.Provider
	log   interface {
		Info(string, ...any)
	}
	keyMu sync.Mutex
	keys  []signingKey
	// now is the clock (tests move it).
	now func() time.Time
	// authzOf maps a checked token's hash to its authorization's ID, so
	// that a warm check reads the cache and counts the request in one
	// Redis round trip (Authenticate); authzCount bounds it.
	authzOf    sync.Map
	authzCount atomic.Int64
}

// New builds the provider for the pod's base URL (the issuer). Plain http
// is allowed when federation is allowed to be insecure (development and
// tests).
func New(core *pod.Core) (*Service, error) {
	a := &Service{core: core, store: core.Store(), log: core.Log(), now: time.Now}
	cfg := &op.Config{
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       ScopeNames(),
		SupportedClaims:       []string{"sub", "name", "nickname", "profile", "picture", "email"},
	}
	opts := []op.Option{
		op.WithCrypto(opaqueTokens{}),
		op.WithCustomAuthEndpoint(op.NewEndpoint(AuthorizationPath)),
		op.WithCustomTokenEndpoint(op.NewEndpoint(TokenPath)),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint(UserInfoPath)),
		op.WithCustomKeysEndpoint(op.NewEndpoint(JWKSPath)),
		op.WithCustomRevocationEndpoint(op.NewEndpoint(revocationPath)),
	}
	if core.Options().FederationInsecure || strings.HasPrefix(core.Options().BaseURL, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	prov, err := op.NewProvider(cfg, &storage{a: a}, op.StaticIssuer(a.Issuer()), opts...)
	if err != nil {
		return nil, fmt.Errorf("openid provider: %w", err)
	}
	a.prov = prov
	return a, nil
}

// SetClock replaces the clock (tests).
func (a *Service) SetClock(now func() time.Time) { a.now = now }

// Issuer is the pod's base URL without a trailing slash: discovery's
// issuer and the ID tokens' iss.
func (a *Service) Issuer() string { return strings.TrimSuffix(a.core.Options().BaseURL, "/") }

// Handler answers the routes the library serves: the authorization
// endpoint and its callback, the token endpoint and jwks.json.
func (a *Service) Handler() http.Handler { return a.prov }

// CallbackURL is where an approved authorization request continues: the
// library issues the code and redirects to the app.
func (a *Service) CallbackURL(ctx context.Context, requestID string) string {
	return op.AuthCallbackURL(a.prov)(op.ContextWithIssuer(ctx, a.Issuer()), requestID)
}

// opaqueTokens makes the library's bearer tokens opaque random secrets:
// the token is the token ID itself (256 random bits, see newSecret), of
// which only a hash is stored, instead of an encryption of "id:subject"
// (a subject with a port, alice@host:3000, breaks the library's parsing,
// and nothing needs to be decrypted). Decrypt is used only by endpoints
// that are not mounted.
type opaqueTokens struct{}

func (opaqueTokens) Encrypt(s string) (string, error) {
	id, _, _ := strings.Cut(s, ":")
	return id, nil
}

func (opaqueTokens) Decrypt(s string) (string, error) {
	return "", fmt.Errorf("access tokens cannot be decrypted: %w", pod.ErrUnauthenticated)
}

// newSecret returns 32 random bytes as hex.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newID returns 16 random bytes as hex (client IDs, request IDs,
// pairwise subjects), as diaspora* makes them.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// hashSecret is how secrets are stored.
func hashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
