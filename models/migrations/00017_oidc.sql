-- +goose Up
-- The OpenID Connect provider and the API's tokens (issue 16). Secrets are
-- never stored: client secrets, refresh tokens and access tokens are kept
-- as SHA-256 hashes; the signing key is sealed like the users' keys.

-- Apps registered through dynamic client registration (RFC 7591).
CREATE TABLE oidc_clients (
    id                         bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    client_id                  text        NOT NULL UNIQUE,
    client_secret_hash         bytea,
    client_name                text        NOT NULL DEFAULT '',
    -- JSON arrays of strings.
    redirect_uris              jsonb       NOT NULL,
    response_types             jsonb       NOT NULL DEFAULT '["code"]',
    grant_types                jsonb       NOT NULL DEFAULT '["authorization_code","refresh_token"]',
    contacts                   jsonb       NOT NULL DEFAULT '[]',
    application_type           text        NOT NULL DEFAULT 'web' CHECK (application_type IN ('web', 'native')),
    token_endpoint_auth_method text        NOT NULL DEFAULT 'client_secret_post',
    subject_type               text        NOT NULL DEFAULT 'public' CHECK (subject_type IN ('public', 'pairwise')),
    sector_identifier_uri      text        NOT NULL DEFAULT '',
    logo_uri                   text        NOT NULL DEFAULT '',
    client_uri                 text        NOT NULL DEFAULT '',
    policy_uri                 text        NOT NULL DEFAULT '',
    tos_uri                    text        NOT NULL DEFAULT '',
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- What a user allowed an app: one row per user and app. The refresh token
-- lives as long as the authorization (as on diaspora*). password_digest is
-- a hash of the user's password hash when it was granted: a new password
-- ends every authorization.
CREATE TABLE oidc_authorizations (
    id                 bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    user_id            bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id          bigint      NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    scopes             text        NOT NULL,
    refresh_token_hash bytea       UNIQUE,
    password_digest    bytea       NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    last_used_at       timestamptz,
    UNIQUE (user_id, client_id)
);
CREATE INDEX oidc_authorizations_user ON oidc_authorizations (user_id, created_at DESC);
CREATE INDEX oidc_authorizations_client ON oidc_authorizations (client_id);

-- Access tokens by the hash of their value; revoking the authorization
-- deletes them.
CREATE TABLE oidc_access_tokens (
    token_hash       bytea       PRIMARY KEY,
    authorization_id bigint      NOT NULL REFERENCES oidc_authorizations (id) ON DELETE CASCADE,
    scopes           text        NOT NULL,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oidc_access_tokens_authorization ON oidc_access_tokens (authorization_id);
CREATE INDEX oidc_access_tokens_expiry ON oidc_access_tokens (expires_at);

-- Pairwise subjects (diaspora*'s ppid): one random identifier per user and
-- sector (the host of the redirect URIs or the sector identifier URI).
CREATE TABLE oidc_pairwise_subjects (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sector  text   NOT NULL,
    subject text   NOT NULL UNIQUE,
    PRIMARY KEY (user_id, sector)
);

-- The ID token signing keys (RS256), sealed with the pod secret.
CREATE TABLE oidc_signing_keys (
    kid         text        PRIMARY KEY,
    private_key text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE oidc_signing_keys;
DROP TABLE oidc_pairwise_subjects;
DROP TABLE oidc_access_tokens;
DROP TABLE oidc_authorizations;
DROP TABLE oidc_clients;
