-- +goose Up
-- Single-use tokens mailed to a user: a password reset, or the confirmation
-- of a new mail address (held in email until it is confirmed). Only a
-- SHA-256 hash of the token is kept, so the table does not hand out
-- working links if it leaks. Taking a token deletes it (single use); a new
-- token of the same purpose replaces the user's older one.
CREATE TABLE account_tokens (
    id          bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text        NOT NULL CHECK (purpose IN ('password_reset', 'confirm_email')),
    token_hash  bytea       NOT NULL UNIQUE,
    email       text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);

-- +goose Down
DROP TABLE account_tokens;
