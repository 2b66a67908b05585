package oidcp

import (
	"context"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Discovery is /.well-known/openid-configuration: the library's document
// with diaspora*'s endpoint paths, the dynamic registration endpoint, both
// subject types and diaspora*'s scopes, and without the endpoints this pod
// does not mount (introspection, end_session, device authorization,
// RFC 7009 revocation: apps are revoked from the settings page).
func (a *Service) Discovery(ctx context.Context) *oidc.DiscoveryConfiguration {
	ctx = op.ContextWithIssuer(ctx, a.Issuer())
	d := op.CreateDiscoveryConfig(ctx, a.prov, &storage{a: a})
	d.RegistrationEndpoint = a.Issuer() + RegistrationPath
	d.SubjectTypesSupported = []string{"public", "pairwise"}
	d.ScopesSupported = ScopeNames()
	d.ResponseTypesSupported = []string{"code", "id_token", "id_token token"}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeImplicit, oidc.GrantTypeRefreshToken}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	d.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodNone}
	d.IDTokenSigningAlgValuesSupported = []string{"RS256"}
	d.IntrospectionEndpoint = ""
	d.IntrospectionEndpointAuthMethodsSupported = nil
	d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	d.EndSessionEndpoint = ""
	d.DeviceAuthorizationEndpoint = ""
	d.RevocationEndpoint = ""
	d.RevocationEndpointAuthMethodsSupported = nil
	d.RevocationEndpointAuthSigningAlgValuesSupported = nil
	d.RequestObjectSigningAlgValuesSupported = nil
	d.RequestParameterSupported = false
	return d
}
