package oidcp

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aspenpod/aspen/models"
	"github.com/aspenpod/aspen/pod"
)

// Grant is a checked API access token: the user's session (built from the
// token: API requests ignore cookies) and the token's scopes.
type Grant struct {
	Session         *pod.Session
	Scopes          []string
	AuthorizationID int64
	ClientID        string
	clientPK        int64
	diasporaID      string
}

// Has reports whether the token carries a scope.
func (g *Grant) Has(scope string) bool { return slices.Contains(g.Scopes, scope) }

// ErrInvalidToken is an unknown, expired, revoked or malformed access
// token, or one whose user is locked, closed or changed the password.
var ErrInvalidToken = fmt.Errorf("invalid_token: the access token is unknown, expired or revoked: %w", pod.ErrUnauthenticated)

// Authenticate checks an API access token and counts the request against
// the authorization's rate limit (a RateLimitError when over it). The
// token is looked up by its hash; its authorization must be live (see
// models.OIDCGrantByAccessToken).
func (a *Service) Authenticate(ctx context.Context, token string, limit pod.RateLimit) (*Grant, error) {
	if len(token) != 64 {
		return nil, ErrInvalidToken
	}
	if _, err := hex.DecodeString(token); err != nil {
		return nil, ErrInvalidToken
	}
	hash := hashSecret(token)
	var g *models.OIDCGrant
	if id, ok := a.authzOf.Load(string(hash)); ok && limit.Count > 0 {
		// A token seen before: its cached grant and its authorization's
		// request count in one Redis round trip.
		raw, err := a.core.AllowAndGet(ctx, "api", fmt.Sprintf("authz:%d", id), limit, a.grantKey(hash))
		if err != nil {
			return nil, err
		}
		if g = a.cachedGrant(raw); g == nil || g.AuthorizationID != id.(int64) {
			if g, err = a.grant(ctx, hash); err != nil {
				return nil, err
			}
		}
	} else {
		var err error
		if g, err = a.grant(ctx, hash); err != nil {
			return nil, err
		}
		a.rememberAuthz(hash, g.AuthorizationID)
		if limit.Count > 0 {
			if err := a.core.Allow(ctx, "api", fmt.Sprintf("authz:%d", g.AuthorizationID), limit.Count, limit.Window); err != nil {
				return nil, err
			}
		}
	}
	return &Grant{
		Session: &pod.Session{UserID: g.UserID, PersonID: g.PersonID, Username: g.Username, GUID: g.GUID},
		Scopes:  splitScopes(g.Scopes), AuthorizationID: g.AuthorizationID, ClientID: g.ClientID,
		clientPK: g.ClientPK, diasporaID: g.DiasporaID,
	}, nil
}

// UserInfo is the user_info answer for a token with the openid scope:
// sub, with profile also name, nickname, profile and picture, with email
// also email and email_verified. (diaspora* returns a claim only when a
// scope has its name; standard clients expect what profile promises.)
func (a *Service) UserInfo(ctx context.Context, g *Grant) (map[string]any, error) {
	if !g.Has(ScopeOpenID) {
		return nil, fmt.Errorf("insufficient_scope: %w", pod.ErrForbidden)
	}
	row, err := a.store.OIDCClientByID(ctx, g.clientPK)
	if err != nil {
		return nil, err
	}
	sub, err := a.subject(ctx, newClient(row), g.Session.UserID, g.diasporaID)
	if err != nil {
		return nil, err
	}
	return a.claims(ctx, g.Session.UserID, sub, g.Scopes)
}

// claims are a user's claims for these scopes.
func (a *Service) claims(ctx context.Context, userID int64, sub string, scopes []string) (map[string]any, error) {
	out := map[string]any{"sub": sub}
	if slices.Contains(scopes, ScopeProfile) {
		person, err := a.store.PersonOfUser(ctx, userID)
		if err != nil {
			return nil, err
		}
		prof, err := a.store.ProfileOf(ctx, person.ID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
		name, _, _ := strings.Cut(person.DiasporaID, "@")
		out["nickname"] = name
		out["profile"] = a.Issuer() + "/api/v1/user"
		if prof != nil {
			if n := strings.TrimSpace(prof.FirstName + " " + prof.LastName); n != "" {
				out["name"] = n
			}
			if pic := prof.ImageURL; pic != "" {
				if strings.HasPrefix(pic, "/") {
					pic = a.Issuer() + pic
				}
				out["picture"] = pic
			}
		}
	}
	if slices.Contains(scopes, ScopeEmail) {
		u, err := a.store.UserByID(ctx, userID)
		if err != nil {
			return nil, err
		}
		out["email"] = u.Email
		out["email_verified"] = !u.Unconfirmed
	}
	return out, nil
}

// App is an app a user authorised, as the settings page lists it.
type App struct {
	ID           int64
	Name         string
	RedirectHost string
	ClientURI    string
	Scopes       []Scope
	AuthorizedAt time.Time
	LastUsedAt   *time.Time
}

// maxApps bounds the settings page's list.
const maxApps = 200

// Apps lists the apps a user authorised, newest first.
func (a *Service) Apps(ctx context.Context, s *pod.Session) ([]App, error) {
	rows, err := a.store.OIDCAuthorizationsOfUser(ctx, s.UserID, maxApps)
	if err != nil {
		return nil, err
	}
	out := make([]App, 0, len(rows))
	for _, r := range rows {
		app := App{ID: r.ID, Name: r.ClientName, ClientURI: r.ClientURI, AuthorizedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
		c := newClient(&models.OIDCClient{RedirectURIs: r.RedirectURIs})
		if len(c.redirectURIs) > 0 {
			app.RedirectHost = hostOf(c.redirectURIs[0])
		}
		for _, sc := range splitScopes(r.Scopes) {
			if d, ok := DescribeScope(sc); ok {
				app.Scopes = append(app.Scopes, d)
			}
		}
		out = append(out, app)
	}
	return out, nil
}

// Revoke ends a user's authorization of an app: its refresh token and
// access tokens stop working at once.
func (a *Service) Revoke(ctx context.Context, s *pod.Session, id int64) error {
	err := a.store.DeleteOIDCAuthorization(ctx, s.UserID, id)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no such authorization: %w", pod.ErrNotFound)
	} else if err != nil {
		return err
	}
	a.log.Info("oidc authorization revoked", "user_id", s.UserID, "authorization", id)
	return a.core.DropAPICache(ctx, s.UserID)
}

// grantCacheTTL is how long a checked token is kept in Redis. Whatever
// ends a token's validity drops the user's cache (Revoke, and
// pod.Core.EndUserSessions on a lock, a closed account or a new
// password), so the TTL only bounds memory and the last-use precision.
const grantCacheTTL = time.Minute

// maxAuthzOf bounds authzOf: past it, the map starts again.
const maxAuthzOf = 100_000

// rememberAuthz notes which authorization a token belongs to (a token
// never moves; whether it is still valid is the cache's and the
// database's to say).
func (a *Service) rememberAuthz(hash []byte, id int64) {
	if a.authzCount.Add(1) > maxAuthzOf {
		a.authzOf.Clear()
		a.authzCount.Store(1)
	}
	a.authzOf.Store(string(hash), id)
}

// grantKey is the Redis key of a token's cached check.
func (a *Service) grantKey(hash []byte) string { return a.redisKey("cache", hex.EncodeToString(hash)) }

// cachedGrant decodes a cached token check; nil when there is none or it
// expired.
func (a *Service) cachedGrant(raw []byte) *models.OIDCGrant {
	if raw == nil {
		return nil
	}
	var g models.OIDCGrant
	if json.Unmarshal(raw, &g) == nil && g.ExpiresAt != nil && a.now().Before(*g.ExpiresAt) {
		return &g
	}
	return nil
}

// grant checks a token by its hash: from the Redis cache (no SQL on a
// warm cache), else from the database, which also notes the use.
func (a *Service) grant(ctx context.Context, hash []byte) (*models.OIDCGrant, error) {
	key := a.grantKey(hash)
	now := a.now()
	if raw, err := a.core.Redis().Get(ctx, key).Bytes(); err == nil {
		if g := a.cachedGrant(raw); g != nil {
			return g, nil
		}
	}
	g, err := a.store.OIDCGrantByAccessToken(ctx, hash, now)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrInvalidToken
	} else if err != nil {
		return nil, err
	}
	ttl := grantCacheTTL
	if g.ExpiresAt != nil {
		ttl = min(ttl, g.ExpiresAt.Sub(now))
	}
	if b, err := json.Marshal(g); err == nil && ttl > 0 {
		pipe := a.core.Redis().TxPipeline()
		set := a.core.APICacheSet(g.UserID)
		pipe.Set(ctx, key, b, ttl)
		pipe.SAdd(ctx, set, key)
		pipe.Expire(ctx, set, AccessTokenLifetime)
		if _, err := pipe.Exec(ctx); err != nil {
			a.log.Info("could not cache an api token check", "err", err)
		}
	}
	return g, nil
}
