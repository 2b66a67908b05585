package oidcp

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/aspenpod/aspen/models"
)

// authRequest is a pending authorization request (Redis, ten minutes):
// what the app asked for and, once the user approved it on the consent
// page, who approved which scopes.
type authRequest struct {
	ID            string                   `json:"id"`
	ClientID      string                   `json:"client_id"`
	RedirectURI   string                   `json:"redirect_uri"`
	ResponseType  oidc.ResponseType        `json:"response_type"`
	ResponseMode  oidc.ResponseMode        `json:"response_mode,omitempty"`
	Requested     []string                 `json:"requested"`
	State         string                   `json:"state,omitempty"`
	Nonce         string                   `json:"nonce,omitempty"`
	Prompt        []string                 `json:"prompt,omitempty"`
	MaxAge        *uint                    `json:"max_age,omitempty"`
	LoginHint     string                   `json:"login_hint,omitempty"`
	Challenge     string                   `json:"code_challenge,omitempty"`
	ChallengeMeth oidc.CodeChallengeMethod `json:"code_challenge_method,omitempty"`
	CreatedAt     time.Time                `json:"created_at"`

	// Set on approval.
	UserID          int64     `json:"user_id,omitempty"`
	AuthorizationID int64     `json:"authorization_id,omitempty"`
	Subject         string    `json:"subject,omitempty"`
	Granted         []string  `json:"granted,omitempty"`
	AuthTime        time.Time `json:"auth_time"`
	Approved        bool      `json:"approved,omitempty"`
}

func (r *authRequest) GetID() string         { return r.ID }
func (r *authRequest) GetACR() string        { return "0" }
func (r *authRequest) GetAMR() []string      { return []string{"pwd"} }
func (r *authRequest) GetAudience() []string { return []string{r.ClientID} }
func (r *authRequest) GetAuthTime() time.Time {
	return r.AuthTime
}
func (r *authRequest) GetClientID() string { return r.ClientID }
func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if r.Challenge == "" {
		return nil
	}
	m := r.ChallengeMeth
	if m == "" {
		m = oidc.CodeChallengeMethodPlain
	}
	return &oidc.CodeChallenge{Challenge: r.Challenge, Method: m}
}
func (r *authRequest) GetNonce() string                   { return r.Nonce }
func (r *authRequest) GetRedirectURI() string             { return r.RedirectURI }
func (r *authRequest) GetResponseType() oidc.ResponseType { return r.ResponseType }
func (r *authRequest) GetResponseMode() oidc.ResponseMode { return r.ResponseMode }
func (r *authRequest) GetState() string                   { return r.State }
func (r *authRequest) GetSubject() string                 { return r.Subject }
func (r *authRequest) Done() bool                         { return r.Approved }

// GetScopes are the granted scopes; with the code flow they include
// offline_access, which makes the library issue a refresh token as
// diaspora* always does (clients such as insporation never ask for it).
func (r *authRequest) GetScopes() []string {
	if r.ResponseType == oidc.ResponseTypeCode && !slices.Contains(r.Granted, scopeOffline) {
		return append(slices.Clone(r.Granted), scopeOffline)
	}
	return r.Granted
}

// refreshTokenRequest is a refresh token grant for a live authorization.
type refreshTokenRequest struct {
	grant   *models.OIDCGrant
	subject string
	scopes  []string
}

func (r *refreshTokenRequest) GetAMR() []string            { return []string{"pwd"} }
func (r *refreshTokenRequest) GetAudience() []string       { return []string{r.grant.ClientID} }
func (r *refreshTokenRequest) GetAuthTime() time.Time      { return r.grant.CreatedAt }
func (r *refreshTokenRequest) GetClientID() string         { return r.grant.ClientID }
func (r *refreshTokenRequest) GetScopes() []string         { return r.scopes }
func (r *refreshTokenRequest) GetSubject() string          { return r.subject }
func (r *refreshTokenRequest) SetCurrentScopes(s []string) { r.scopes = s }

// client is a registered app as the library sees it.
type client struct {
	row          *models.OIDCClient
	redirectURIs []string
}

func newClient(row *models.OIDCClient) *client {
	c := &client{row: row}
	json.Unmarshal([]byte(row.RedirectURIs), &c.redirectURIs)
	return c
}

func (c *client) GetID() string                    { return c.row.ClientID }
func (c *client) RedirectURIs() []string           { return c.redirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return nil }

// ApplicationType is native for apps registered as native and for those
// with a redirect URI that is not http(s) (insporation's custom scheme),
// which the library refuses for web apps and diaspora* accepts.
func (c *client) ApplicationType() op.ApplicationType {
	if c.row.ApplicationType == "native" {
		return op.ApplicationTypeNative
	}
	for _, u := range c.redirectURIs {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return op.ApplicationTypeNative
		}
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethod(c.row.TokenEndpointAuthMethod) }

// public reports a client without a secret (PKCE with S256 required).
func (c *client) public() bool { return c.row.TokenEndpointAuthMethod == string(oidc.AuthMethodNone) }

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode, oidc.ResponseTypeIDTokenOnly, oidc.ResponseTypeIDToken}
}

func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeImplicit, oidc.GrantTypeRefreshToken}
}

func (c *client) LoginURL(id string) string           { return ConsentPath + "?id=" + id }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return IDTokenLifetime }
func (c *client) DevMode() bool                       { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed lets every scope through to the consent page, which
// answers an unknown one with invalid_scope as diaspora* does (the
// library would drop it silently).
func (c *client) IsScopeAllowed(string) bool           { return true }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }
