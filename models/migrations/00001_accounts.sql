-- +goose Up
-- People are every identity the pod knows, local or remote; users are the
-- local accounts, each owning exactly one person.
CREATE TABLE people (
    id                    BIGSERIAL PRIMARY KEY,
    guid                  VARCHAR(255) NOT NULL,
    diaspora_id           VARCHAR(255) NOT NULL,
    serialized_public_key TEXT NOT NULL DEFAULT '',
    pod_host              VARCHAR(255) NOT NULL,
    owner_id              BIGINT,
    closed_account        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_guid_idx ON people (guid);
CREATE UNIQUE INDEX people_diaspora_id_idx ON people (lower(diaspora_id));
CREATE UNIQUE INDEX people_owner_id_idx ON people (owner_id) WHERE owner_id IS NOT NULL;

CREATE TABLE users (
    id                     BIGSERIAL PRIMARY KEY,
    username               VARCHAR(32) NOT NULL,
    email                  VARCHAR(255) NOT NULL,
    encrypted_password     TEXT NOT NULL,
    -- AES-GCM sealed PKCS#1 private key; see models/keys.go.
    serialized_private_key TEXT NOT NULL,
    admin                  BOOLEAN NOT NULL DEFAULT FALSE,
    locked                 BOOLEAN NOT NULL DEFAULT FALSE,
    invited_by_id          BIGINT REFERENCES users (id) ON DELETE SET NULL,
    auto_follow_back       BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_at           TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Usernames are unique regardless of case, and so are e-mail addresses.
CREATE UNIQUE INDEX users_username_idx ON users (lower(username));
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));
ALTER TABLE people ADD CONSTRAINT people_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE;

CREATE TABLE profiles (
    id                BIGSERIAL PRIMARY KEY,
    person_id         BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    first_name        VARCHAR(32) NOT NULL DEFAULT '',
    last_name         VARCHAR(32) NOT NULL DEFAULT '',
    image_url         TEXT NOT NULL DEFAULT '',
    image_url_medium  TEXT NOT NULL DEFAULT '',
    image_url_small   TEXT NOT NULL DEFAULT '',
    bio               TEXT NOT NULL DEFAULT '',
    location          VARCHAR(255) NOT NULL DEFAULT '',
    gender            VARCHAR(255) NOT NULL DEFAULT '',
    birthday          DATE,
    searchable        BOOLEAN NOT NULL DEFAULT TRUE,
    public_details    BOOLEAN NOT NULL DEFAULT FALSE,
    nsfw              BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX profiles_person_id_idx ON profiles (person_id);

-- One invite code per user, with a counter of sign-ups left.
CREATE TABLE invitation_codes (
    id         BIGSERIAL PRIMARY KEY,
    token      VARCHAR(32) NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    count      INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitation_codes_token_idx ON invitation_codes (token);
CREATE UNIQUE INDEX invitation_codes_user_id_idx ON invitation_codes (user_id);

-- Aspects are a user's private labels for contacts; never federated.
CREATE TABLE aspects (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       VARCHAR(20) NOT NULL,
    order_id   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX aspects_user_name_idx ON aspects (user_id, lower(name));

-- Key pairs generated ahead of time so that sign-up never waits for RSA.
CREATE TABLE key_pool (
    id                     BIGSERIAL PRIMARY KEY,
    bits                   INTEGER NOT NULL,
    serialized_public_key  TEXT NOT NULL,
    serialized_private_key TEXT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX key_pool_bits_idx ON key_pool (bits, id);

-- +goose Down
DROP TABLE key_pool;
DROP TABLE aspects;
DROP TABLE invitation_codes;
DROP TABLE profiles;
ALTER TABLE people DROP CONSTRAINT people_owner_fk;
DROP TABLE users;
DROP TABLE people;
