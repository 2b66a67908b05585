package oidcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
)

// ClientMetadata is a dynamic client registration request (RFC 7591)
// with the fields diaspora* accepts.
type ClientMetadata struct {
	RedirectURIs            []string        `json:"redirect_uris" form:"redirect_uris[]"`
	ClientName              string          `json:"client_name" form:"client_name"`
	ResponseTypes           []string        `json:"response_types" form:"response_types[]"`
	GrantTypes              []string        `json:"grant_types" form:"grant_types[]"`
	ApplicationType         string          `json:"application_type" form:"application_type"`
	Contacts                []string        `json:"contacts" form:"contacts[]"`
	LogoURI                 string          `json:"logo_uri" form:"logo_uri"`
	ClientURI               string          `json:"client_uri" form:"client_uri"`
	PolicyURI               string          `json:"policy_uri" form:"policy_uri"`
	TosURI                  string          `json:"tos_uri" form:"tos_uri"`
	SubjectType             string          `json:"subject_type" form:"subject_type"`
	SectorIdentifierURI     string          `json:"sector_identifier_uri" form:"sector_identifier_uri"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method" form:"token_endpoint_auth_method"`
	JWKS                    json.RawMessage `json:"jwks" form:"-"`
	JWKSURI                 string          `json:"jwks_uri" form:"jwks_uri"`
}

// RegistrationError is a refused registration: RFC 7591's error codes
// (invalid_redirect_uri, invalid_client_metadata) and a description.
type RegistrationError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *RegistrationError) Error() string { return e.Code + ": " + e.Description }

func badMetadata(format string, args ...any) error {
	return &RegistrationError{Code: "invalid_client_metadata", Description: fmt.Sprintf(format, args...)}
}

// Registration limits: registrations per address and hour, and sizes.
const (
	RegistrationsPerHour = 20
	maxRedirectURIs      = 10
	maxURILength         = 2000
	maxNameLength        = 255
)

// Register registers an app (diaspora*'s POST /api/openid_connect/clients)
// and returns RFC 7591's answer, with the client secret in clear this one
// time (only its hash is kept). Refusals are RegistrationErrors.
func (a *Service) Register(ctx context.Context, in ClientMetadata, clientIP string) (map[string]any, error) {
	if err := a.core.Allow(ctx, "oidc-register", clientIP, RegistrationsPerHour, time.Hour); err != nil {
		return nil, err
	}
	if len(in.RedirectURIs) == 0 {
		return nil, &RegistrationError{Code: "invalid_redirect_uri", Description: "redirect_uris is required"}
	}
	if len(in.RedirectURIs) > maxRedirectURIs {
		return nil, &RegistrationError{Code: "invalid_redirect_uri", Description: "too many redirect_uris"}
	}
	for _, r := range in.RedirectURIs {
		if err := checkRedirectURI(r); err != nil {
			return nil, err
		}
	}
	if len(in.ClientName) > maxNameLength {
		return nil, badMetadata("client_name is too long")
	}
	for name, v := range map[string]string{"logo_uri": in.LogoURI, "client_uri": in.ClientURI, "policy_uri": in.PolicyURI, "tos_uri": in.TosURI} {
		if v != "" && !webURL(v) {
			return nil, badMetadata("%s must be an http(s) URL", name)
		}
	}
	if len(in.Contacts) > 10 {
		return nil, badMetadata("too many contacts")
	}
	switch in.ApplicationType {
	case "":
		in.ApplicationType = "web"
	case "web", "native":
	default:
		return nil, badMetadata("application_type must be web or native")
	}
	switch in.SubjectType {
	case "":
		in.SubjectType = "public"
	case "public", "pairwise":
	default:
		return nil, badMetadata("subject_type must be public or pairwise")
	}
	switch in.TokenEndpointAuthMethod {
	case "":
		in.TokenEndpointAuthMethod = "client_secret_post"
	case "client_secret_basic", "client_secret_post", "none":
	default:
		return nil, badMetadata("token_endpoint_auth_method %q is not supported (client_secret_basic, client_secret_post or none)", in.TokenEndpointAuthMethod)
	}
	if in.SectorIdentifierURI != "" {
		return nil, badMetadata("sector_identifier_uri is not supported by this pod: the sector is the host of the redirect URIs")
	}
	if len(in.JWKS) > 0 || in.JWKSURI != "" {
		return nil, badMetadata("jwks and jwks_uri are not supported by this pod (private_key_jwt is not offered)")
	}
	if len(in.ResponseTypes) == 0 {
		in.ResponseTypes = []string{"code"}
	}
	for _, rt := range in.ResponseTypes {
		if !slices.Contains([]string{"code", "id_token", "id_token token"}, rt) {
			return nil, badMetadata("response type %q is not supported", rt)
		}
	}
	if len(in.GrantTypes) == 0 {
		in.GrantTypes = []string{"authorization_code", "refresh_token"}
	}
	for _, gt := range in.GrantTypes {
		if !slices.Contains([]string{"authorization_code", "implicit", "refresh_token"}, gt) {
			return nil, badMetadata("grant type %q is not supported", gt)
		}
	}
	if in.Contacts == nil {
		in.Contacts = []string{}
	}
	secret := newSecret()
	row := &models.OIDCClient{
		ClientID: newID(), ClientName: in.ClientName, RedirectURIs: mustJSON(in.RedirectURIs),
		ResponseTypes: mustJSON(in.ResponseTypes), GrantTypes: mustJSON(in.GrantTypes), Contacts: mustJSON(in.Contacts),
		ApplicationType: in.ApplicationType, TokenEndpointAuthMethod: in.TokenEndpointAuthMethod,
		SubjectType: in.SubjectType, LogoURI: in.LogoURI, ClientURI: in.ClientURI, PolicyURI: in.PolicyURI, TosURI: in.TosURI,
	}
	if in.TokenEndpointAuthMethod != "none" {
		row.ClientSecretHash = hashSecret(secret)
	}
	if err := a.store.CreateOIDCClient(ctx, row); err != nil {
		return nil, err
	}
	a.log.Info("oidc client registered", "client_id", row.ClientID, "name", row.ClientName)
	out := map[string]any{
		"client_id": row.ClientID, "client_id_issued_at": row.CreatedAt.Unix(), "client_secret_expires_at": 0,
		"client_name": row.ClientName, "redirect_uris": in.RedirectURIs, "response_types": in.ResponseTypes,
		"grant_types": in.GrantTypes, "application_type": row.ApplicationType, "contacts": in.Contacts,
		"token_endpoint_auth_method": row.TokenEndpointAuthMethod, "subject_type": row.SubjectType,
		"ppid": row.SubjectType == "pairwise", "logo_uri": row.LogoURI, "client_uri": row.ClientURI,
		"policy_uri": row.PolicyURI, "tos_uri": row.TosURI, "sector_identifier_uri": nil,
		"created_at": row.CreatedAt.UTC().Format(time.RFC3339), "updated_at": row.UpdatedAt.UTC().Format(time.RFC3339),
	}
	if row.ClientSecretHash != nil {
		out["client_secret"] = secret
	}
	return out, nil
}

// checkRedirectURI accepts absolute URIs without a fragment: https, http
// (the library allows it for loopback and development) and the custom
// schemes of native apps, but no scheme a browser would run.
func checkRedirectURI(r string) error {
	bad := func(why string) error {
		return &RegistrationError{Code: "invalid_redirect_uri", Description: fmt.Sprintf("%q %s", r, why)}
	}
	if len(r) > maxURILength {
		return bad("is too long")
	}
	u, err := url.Parse(r)
	if err != nil || u.Scheme == "" {
		return bad("is not an absolute URI")
	}
	if u.Fragment != "" || strings.Contains(r, "#") {
		return bad("must not have a fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return bad("has a scheme that is not allowed")
	case "http", "https":
		if u.Host == "" {
			return bad("has no host")
		}
	}
	return nil
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && len(s) <= maxURILength && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
