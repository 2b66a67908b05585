package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// OIDCClient is an app registered with the OpenID Connect provider
// (migration 00017). List fields hold JSON arrays.
type OIDCClient struct {
	ID                      int64
	ClientID                string
	ClientSecretHash        []byte
	ClientName              string
	RedirectURIs            string `gorm:"column:redirect_uris;type:jsonb"`
	ResponseTypes           string `gorm:"type:jsonb"`
	GrantTypes              string `gorm:"type:jsonb"`
	Contacts                string `gorm:"type:jsonb"`
	ApplicationType         string
	TokenEndpointAuthMethod string
	SubjectType             string
	SectorIdentifierURI     string `gorm:"column:sector_identifier_uri"`
	LogoURI                 string `gorm:"column:logo_uri"`
	ClientURI               string `gorm:"column:client_uri"`
	PolicyURI               string `gorm:"column:policy_uri"`
	TosURI                  string `gorm:"column:tos_uri"`
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// TableName is the clients' table.
func (OIDCClient) TableName() string { return "oidc_clients" }

// OIDCAuthorization is what a user allowed an app: its scopes (space
// separated) and a refresh token (its hash).
type OIDCAuthorization struct {
	ID               int64
	UserID           int64
	ClientID         int64
	Scopes           string
	RefreshTokenHash []byte
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LastUsedAt       *time.Time
}

// TableName is the authorizations' table.
func (OIDCAuthorization) TableName() string { return "oidc_authorizations" }

// OIDCSigningKey is a sealed RS256 key that signs ID tokens.
type OIDCSigningKey struct {
	Kid        string
	PrivateKey string
	CreatedAt  time.Time
}

// TableName is the signing keys' table.
func (OIDCSigningKey) TableName() string { return "oidc_signing_keys" }

// OIDCSigningKeys returns the signing keys, newest first.
func (s *Store) OIDCSigningKeys(ctx context.Context) ([]OIDCSigningKey, error) {
	var keys []OIDCSigningKey
	err := s.conn(ctx).Order("created_at DESC, kid").Find(&keys).Error
	return keys, translate(err, "oidc signing keys")
}

// EnsureOIDCSigningKey stores the key that make returns unless a key
// exists already; concurrent callers (web and worker starting together)
// are serialised by an advisory lock, so only one key is ever made.
func (s *Store) EnsureOIDCSigningKey(ctx context.Context, make func() (OIDCSigningKey, error)) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.conn(ctx).Exec("SELECT pg_advisory_xact_lock(hashtext('aspen oidc signing key'))").Error; err != nil {
			return translate(err, "lock oidc signing key")
		}
		var n int64
		if err := tx.conn(ctx).Model(&OIDCSigningKey{}).Count(&n).Error; err != nil {
			return translate(err, "count oidc signing keys")
		}
		if n > 0 {
			return nil
		}
		k, err := make()
		if err != nil {
			return err
		}
		return translate(tx.conn(ctx).Create(&k).Error, "store oidc signing key")
	})
}

// CreateOIDCClient stores a registered app.
func (s *Store) CreateOIDCClient(ctx context.Context, c *OIDCClient) error {
	return translate(s.conn(ctx).Omit("id").Create(c).Error, "create oidc client")
}

// OIDCClientByClientID finds an app by its public client_id.
func (s *Store) OIDCClientByClientID(ctx context.Context, clientID string) (*OIDCClient, error) {
	var c OIDCClient
	err := s.conn(ctx).Where("client_id = ?", clientID).Take(&c).Error
	return &c, translate(err, "oidc client")
}

// OIDCClientByID finds an app by its row ID.
func (s *Store) OIDCClientByID(ctx context.Context, id int64) (*OIDCClient, error) {
	var c OIDCClient
	err := s.conn(ctx).Where("id = ?", id).Take(&c).Error
	return &c, translate(err, "oidc client")
}

// passwordDigest is the SQL for the digest of a user's password hash.
const passwordDigest = "sha256(convert_to(u.encrypted_password, 'UTF8'))"

// GrantOIDCAuthorization creates or updates the authorization of a user
// for an app with these scopes and binds it to the user's current password.
// It returns the authorization.
func (s *Store) GrantOIDCAuthorization(ctx context.Context, userID, clientID int64, scopes string) (*OIDCAuthorization, error) {
	var a OIDCAuthorization
	err := s.conn(ctx).Raw(`
INSERT INTO oidc_authorizations (user_id, client_id, scopes, password_digest)
SELECT u.id, @client, @scopes, `+passwordDigest+` FROM users u WHERE u.id = @user
ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = EXCLUDED.scopes,
  password_digest = EXCLUDED.password_digest, updated_at = now()
RETURNING *`, map[string]any{"user": userID, "client": clientID, "scopes": scopes}).Scan(&a).Error
	if err == nil && a.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	return &a, translate(err, "grant oidc authorization")
}

// OIDCAuthorizationOf returns a user's authorization for an app.
func (s *Store) OIDCAuthorizationOf(ctx context.Context, userID, clientID int64) (*OIDCAuthorization, error) {
	var a OIDCAuthorization
	err := s.conn(ctx).Where("user_id = ? AND client_id = ?", userID, clientID).Take(&a).Error
	return &a, translate(err, "oidc authorization")
}

// OIDCGrant is a live authorization with what a token check needs about
// its user and app.
type OIDCGrant struct {
	AuthorizationID int64
	UserID          int64
	PersonID        int64
	Username        string
	GUID            string
	DiasporaID      string
	ClientPK        int64
	ClientID        string
	// Scopes are the token's scopes (for a refresh token: the
	// authorization's).
	Scopes    string
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// grantSQL selects a live grant: the user is neither locked (closed
// accounts are locked too) nor pending, and has not changed the password
// since granting.
const grantSQL = `
SELECT a.id AS authorization_id, u.id AS user_id, p.id AS person_id, u.username, p.guid, p.diaspora_id,
       c.id AS client_pk, c.client_id, %s AS scopes, a.created_at, %s AS expires_at
FROM oidc_authorizations a
JOIN users u ON u.id = a.user_id
JOIN people p ON p.owner_id = u.id
JOIN oidc_clients c ON c.id = a.client_id
%s
WHERE %s AND NOT u.locked AND NOT u.pending_approval AND NOT p.closed_account
  AND a.password_digest = ` + passwordDigest

// OIDCGrantByAccessToken returns the grant of an unexpired access token
// (by its hash) and notes its use (at most once a minute), or ErrNotFound.
func (s *Store) OIDCGrantByAccessToken(ctx context.Context, hash []byte, now time.Time) (*OIDCGrant, error) {
	var g OIDCGrant
	q := fmt.Sprintf(grantSQL, "t.scopes", "t.expires_at", "JOIN oidc_access_tokens t ON t.authorization_id = a.id",
		"t.token_hash = @hash AND t.expires_at > @now")
	res := s.conn(ctx).Raw(q, map[string]any{"hash": hash, "now": now}).Scan(&g)
	if res.Error != nil {
		return nil, translate(res.Error, "oidc access token")
	}
	if g.AuthorizationID == 0 {
		return nil, translate(gorm.ErrRecordNotFound, "oidc access token")
	}
	err := s.conn(ctx).Exec(`UPDATE oidc_authorizations SET last_used_at = @now
WHERE id = @id AND (last_used_at IS NULL OR last_used_at < CAST(@now AS timestamptz) - interval '1 minute')`,
		map[string]any{"id": g.AuthorizationID, "now": now}).Error
	return &g, translate(err, "note oidc use")
}

// OIDCGrantByRefreshToken returns the live grant of a refresh token (by
// its hash), or ErrNotFound.
func (s *Store) OIDCGrantByRefreshToken(ctx context.Context, hash []byte) (*OIDCGrant, error) {
	var g OIDCGrant
	q := fmt.Sprintf(grantSQL, "a.scopes", "NULL::timestamptz", "", "a.refresh_token_hash = @hash")
	if err := s.conn(ctx).Raw(q, map[string]any{"hash": hash}).Scan(&g).Error; err != nil {
		return nil, translate(err, "oidc refresh token")
	}
	if g.AuthorizationID == 0 {
		return nil, translate(gorm.ErrRecordNotFound, "oidc refresh token")
	}
	return &g, nil
}

// OIDCAccessToken is an access token by the hash of its value.
type OIDCAccessToken struct {
	TokenHash       []byte
	AuthorizationID int64
	Scopes          string
	ExpiresAt       time.Time
	CreatedAt       time.Time
}

// TableName is the access tokens' table.
func (OIDCAccessToken) TableName() string { return "oidc_access_tokens" }

// CreateOIDCAccessToken stores an access token (its hash) and notes the
// authorization's use. Expired tokens of the authorization go.
func (s *Store) CreateOIDCAccessToken(ctx context.Context, t *OIDCAccessToken) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.conn(ctx).Where("authorization_id = ? AND expires_at < now()", t.AuthorizationID).
			Delete(&OIDCAccessToken{}).Error; err != nil {
			return translate(err, "drop expired oidc tokens")
		}
		if err := tx.conn(ctx).Omit("created_at").Create(t).Error; err != nil {
			return translate(err, "create oidc access token")
		}
		return translate(tx.conn(ctx).Exec("UPDATE oidc_authorizations SET last_used_at = now() WHERE id = ?",
			t.AuthorizationID).Error, "note oidc use")
	})
}

// DeleteOIDCAccessTokens deletes the access tokens of an authorization.
func (s *Store) DeleteOIDCAccessTokens(ctx context.Context, authorizationID int64) error {
	return translate(s.conn(ctx).Where("authorization_id = ?", authorizationID).Delete(&OIDCAccessToken{}).Error,
		"delete oidc access tokens")
}

// DeleteOIDCAccessToken deletes one access token by its hash.
func (s *Store) DeleteOIDCAccessToken(ctx context.Context, hash []byte) error {
	return translate(s.conn(ctx).Where("token_hash = ?", hash).Delete(&OIDCAccessToken{}).Error,
		"delete oidc access token")
}

// OIDCAppRow is an authorization as the settings page lists it.
type OIDCAppRow struct {
	ID           int64
	ClientName   string
	RedirectURIs string
	ClientURI    string
	Scopes       string
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

// OIDCAuthorizationsOfUser lists a user's authorizations, newest first
// (bounded: a person authorises a handful of apps).
func (s *Store) OIDCAuthorizationsOfUser(ctx context.Context, userID int64, limit int) ([]OIDCAppRow, error) {
	var rows []OIDCAppRow
	err := s.conn(ctx).Raw(`
SELECT a.id, c.client_name, c.redirect_uris::text AS redirect_uris, c.client_uri, a.scopes, a.created_at, a.last_used_at
FROM oidc_authorizations a JOIN oidc_clients c ON c.id = a.client_id
WHERE a.user_id = ? ORDER BY a.created_at DESC, a.id DESC LIMIT ?`, userID, limit).Scan(&rows).Error
	return rows, translate(err, "oidc authorizations of user")
}

// DeleteOIDCAuthorization revokes a user's authorization (its tokens go
// with it). It returns ErrNotFound if the user has no such authorization.
func (s *Store) DeleteOIDCAuthorization(ctx context.Context, userID, id int64) error {
	res := s.conn(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&OIDCAuthorization{})
	if res.Error != nil {
		return translate(res.Error, "revoke oidc authorization")
	}
	if res.RowsAffected == 0 {
		return translate(gorm.ErrRecordNotFound, "revoke oidc authorization")
	}
	return nil
}

// DeleteOIDCAuthorizationsOfUser revokes every authorization of a user.
func (s *Store) DeleteOIDCAuthorizationsOfUser(ctx context.Context, userID int64) error {
	return translate(s.conn(ctx).Where("user_id = ?", userID).Delete(&OIDCAuthorization{}).Error,
		"revoke oidc authorizations of user")
}

// oidcPairwise is a pairwise subject row.
type oidcPairwise struct {
	UserID  int64
	Sector  string
	Subject string
}

func (oidcPairwise) TableName() string { return "oidc_pairwise_subjects" }

// OIDCPairwiseSubject returns the user's subject for a sector, storing
// fresh (a random value) if there is none yet.
func (s *Store) OIDCPairwiseSubject(ctx context.Context, userID int64, sector, fresh string) (string, error) {
	row := oidcPairwise{UserID: userID, Sector: sector, Subject: fresh}
	if err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return "", translate(err, "store pairwise subject")
	}
	var got oidcPairwise
	err := s.conn(ctx).Where("user_id = ? AND sector = ?", userID, sector).Take(&got).Error
	return got.Subject, translate(err, "pairwise subject")
}

// SetOIDCRefreshToken sets the hash of an authorization's refresh token.
func (s *Store) SetOIDCRefreshToken(ctx context.Context, authorizationID int64, hash []byte) error {
	return translate(s.conn(ctx).Exec("UPDATE oidc_authorizations SET refresh_token_hash = ?, updated_at = now() WHERE id = ?",
		hash, authorizationID).Error, "set oidc refresh token")
}

// OIDCAuthorizationByID finds an authorization.
func (s *Store) OIDCAuthorizationByID(ctx context.Context, id int64) (*OIDCAuthorization, error) {
	var a OIDCAuthorization
	err := s.conn(ctx).Where("id = ?", id).Take(&a).Error
	return &a, translate(err, "oidc authorization")
}
