package oidcp

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/redis/go-redis/v9"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// storage is the library's op.Storage.
type storage struct{ a *Service }

var _ op.Storage = (*storage)(nil)
var _ op.CanSetUserinfoFromRequest = (*storage)(nil)

func (a *Service) redisKey(kind, id string) string {
	return a.core.Options().RedisPrefix + "oidc:" + kind + ":" + id
}

// CreateAuthRequest keeps a new authorization request in Redis.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	r := &authRequest{
		ID: newID(), ClientID: req.ClientID, RedirectURI: req.RedirectURI, ResponseType: req.ResponseType,
		ResponseMode: req.ResponseMode, Requested: req.Scopes, State: req.State, Nonce: req.Nonce,
		Prompt: req.Prompt, MaxAge: req.MaxAge, LoginHint: req.LoginHint, Challenge: req.CodeChallenge,
		ChallengeMeth: req.CodeChallengeMethod, CreatedAt: s.a.now(),
	}
	if err := s.a.saveRequest(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

func (a *Service) saveRequest(ctx context.Context, r *authRequest) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	ttl := requestLifetime - a.now().Sub(r.CreatedAt)
	if ttl <= 0 {
		return fmt.Errorf("authorization request expired: %w", pod.ErrNotFound)
	}
	if err := a.core.Redis().Set(ctx, a.redisKey("areq", r.ID), b, ttl).Err(); err != nil {
		return fmt.Errorf("store authorization request: %w", err)
	}
	return nil
}

// request loads a pending authorization request; an unknown or expired
// one is ErrNotFound.
func (a *Service) request(ctx context.Context, id string) (*authRequest, error) {
	if id == "" || len(id) > 64 {
		return nil, fmt.Errorf("authorization request: %w", pod.ErrNotFound)
	}
	raw, err := a.core.Redis().Get(ctx, a.redisKey("areq", id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("authorization request expired or unknown: %w", pod.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("authorization request: %w", err)
	}
	var r authRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("authorization request: %w", err)
	}
	return &r, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.a.request(ctx, id)
}

// AuthRequestByCode consumes a code (single use). A code used twice
// revokes what it granted, as diaspora* does (RFC 6749 4.1.2).
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	h := fmt.Sprintf("%x", hashSecret(code))
	rdb := s.a.core.Redis()
	id, err := rdb.GetDel(ctx, s.a.redisKey("code", h)).Result()
	if errors.Is(err, redis.Nil) {
		if used, err := rdb.Get(ctx, s.a.redisKey("usedcode", h)).Int64(); err == nil && used != 0 {
			s.a.log.Info("an authorization code was used twice: revoking the authorization", "authorization", used)
			if r, err := s.a.store.OIDCAuthorizationByID(ctx, used); err == nil {
				if err := s.a.store.DeleteOIDCAuthorization(ctx, r.UserID, r.ID); err == nil {
					s.a.core.DropAPICache(ctx, r.UserID)
				}
			}
		}
		return nil, fmt.Errorf("unknown or used code: %w", pod.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("authorization code: %w", err)
	}
	r, err := s.a.request(ctx, id)
	if err != nil {
		return nil, err
	}
	rdb.Set(ctx, s.a.redisKey("usedcode", h), r.AuthorizationID, requestLifetime)
	return r, nil
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	h := fmt.Sprintf("%x", hashSecret(code))
	return s.a.core.Redis().Set(ctx, s.a.redisKey("code", h), id, requestLifetime).Err()
}

func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	return s.a.core.Redis().Del(ctx, s.a.redisKey("areq", id)).Err()
}

// tokenGrant returns the authorization a token request belongs to and its
// scopes (offline_access is not a scope the API knows).
func tokenGrant(req op.TokenRequest) (int64, []string, error) {
	var id int64
	var scopes []string
	switch r := req.(type) {
	case *authRequest:
		id, scopes = r.AuthorizationID, r.Granted
	case *refreshTokenRequest:
		id, scopes = r.grant.AuthorizationID, r.scopes
	default:
		return 0, nil, fmt.Errorf("unsupported token request %T", req)
	}
	if id == 0 {
		return 0, nil, errors.New("token request without an authorization")
	}
	return id, slices.DeleteFunc(slices.Clone(scopes), func(s string) bool { return s == scopeOffline }), nil
}

// CreateAccessToken stores a new access token (its hash): the token's
// value is its ID (see opaqueTokens).
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	authzID, scopes, err := tokenGrant(req)
	if err != nil {
		return "", time.Time{}, err
	}
	token := newSecret()
	exp := s.a.now().Add(AccessTokenLifetime).UTC()
	err = s.a.store.CreateOIDCAccessToken(ctx, &models.OIDCAccessToken{
		TokenHash: hashSecret(token), AuthorizationID: authzID, Scopes: joinScopes(scopes), ExpiresAt: exp})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, exp, nil
}

// CreateAccessAndRefreshTokens makes an access token and, for a code
// grant, a new refresh token for the authorization (only its hash is
// kept). A refresh grant keeps its refresh token, as on diaspora*: it
// lives as long as the authorization.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, currentRT string) (string, string, time.Time, error) {
	id, exp, err := s.CreateAccessToken(ctx, req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	if r, ok := req.(*authRequest); ok {
		rt := newSecret()
		if err := s.a.store.SetOIDCRefreshToken(ctx, r.AuthorizationID, hashSecret(rt)); err != nil {
			return "", "", time.Time{}, err
		}
		return id, rt, exp, nil
	}
	return id, currentRT, exp, nil
}

func (s *storage) TokenRequestByRefreshToken(ctx context.Context, rt string) (op.RefreshTokenRequest, error) {
	g, err := s.a.store.OIDCGrantByRefreshToken(ctx, hashSecret(rt))
	if err != nil {
		return nil, op.ErrInvalidRefreshToken
	}
	c, err := s.a.store.OIDCClientByID(ctx, g.ClientPK)
	if err != nil {
		return nil, op.ErrInvalidRefreshToken
	}
	sub, err := s.a.subject(ctx, newClient(c), g.UserID, g.DiasporaID)
	if err != nil {
		return nil, err
	}
	return &refreshTokenRequest{grant: g, subject: sub, scopes: splitScopes(g.Scopes)}, nil
}

// TerminateSession: the end_session endpoint is not mounted.
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// RevokeToken deletes an access token (RFC 7009's endpoint is not
// mounted; apps are revoked from the settings page).
func (s *storage) RevokeToken(ctx context.Context, token, _, _ string) *oidc.Error {
	if err := s.a.store.DeleteOIDCAccessToken(ctx, hashSecret(token)); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	s.a.core.Redis().Del(ctx, s.a.redisKey("cache", hex.EncodeToString(hashSecret(token))))
	return nil
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	g, err := s.a.store.OIDCGrantByRefreshToken(ctx, hashSecret(token))
	if err != nil || g.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return fmt.Sprint(g.UserID), "", nil
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	keys, err := s.a.signingKeys(ctx)
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	keys, err := s.a.signingKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(keys))
	for i, k := range keys {
		out[i] = publicKey{k}
	}
	return out, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	c, err := s.a.client(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (a *Service) client(ctx context.Context, clientID string) (*client, error) {
	if clientID == "" || len(clientID) > 64 {
		return nil, fmt.Errorf("unknown client: %w", pod.ErrNotFound)
	}
	row, err := a.store.OIDCClientByClientID(ctx, clientID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, fmt.Errorf("unknown client: %w", pod.ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	return newClient(row), nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	c, err := s.a.client(ctx, clientID)
	if err != nil {
		return err
	}
	if c.row.ClientSecretHash == nil || subtle.ConstantTimeCompare(c.row.ClientSecretHash, hashSecret(secret)) != 1 {
		return errors.New("wrong client secret")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims (when no access token
// comes with it: see the user_info endpoint otherwise).
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	var userID int64
	switch r := req.(type) {
	case *authRequest:
		userID = r.UserID
	case *refreshTokenRequest:
		userID = r.grant.UserID
	}
	if userID == 0 {
		return nil
	}
	claims, err := s.a.claims(ctx, userID, req.GetSubject(), scopes)
	if err != nil {
		return err
	}
	info.Subject = req.GetSubject()
	info.Name, _ = claims["name"].(string)
	info.Nickname, _ = claims["nickname"].(string)
	info.Profile, _ = claims["profile"].(string)
	info.Picture, _ = claims["picture"].(string)
	info.Email, _ = claims["email"].(string)
	if v, ok := claims["email_verified"].(bool); ok {
		info.EmailVerified = oidc.Bool(v)
	}
	return nil
}

var errNotMounted = errors.New("this endpoint is not offered")

func (s *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errNotMounted
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotMounted
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotMounted
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotMounted
}

func (s *storage) Health(ctx context.Context) error { return s.a.core.Ready(ctx) }

// subject is the user's subject for an app: the diaspora* ID (public), or
// a random identifier per user and sector (pairwise), as on diaspora*.
func (a *Service) subject(ctx context.Context, c *client, userID int64, diasporaID string) (string, error) {
	if c.row.SubjectType != "pairwise" {
		return diasporaID, nil
	}
	sector := ""
	if u, err := url.Parse(c.row.SectorIdentifierURI); err == nil && c.row.SectorIdentifierURI != "" {
		sector = u.Host
	} else if len(c.redirectURIs) > 0 {
		if u, err := url.Parse(c.redirectURIs[0]); err == nil {
			sector = u.Host
			if sector == "" {
				sector = u.Scheme
			}
		}
	}
	return a.store.OIDCPairwiseSubject(ctx, userID, sector, newID())
}
