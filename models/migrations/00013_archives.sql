-- +goose Up
-- Data exports (issue 14, "download my data"): one row per user while an
-- export is queued, running, ready or failed. The files live in the media
-- store under exports/<user>/<token>.json.gz and photos.zip; the row and
-- its files are swept 14 days after they were made.
CREATE TABLE archive_exports (
    id            bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state         text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'ready', 'failed')),
    done          integer     NOT NULL DEFAULT 0,
    total         integer     NOT NULL DEFAULT 0,
    archive_key   text        NOT NULL DEFAULT '',
    archive_size  bigint      NOT NULL DEFAULT 0,
    photos_key    text        NOT NULL DEFAULT '',
    photos_size   bigint      NOT NULL DEFAULT 0,
    photos_count  integer     NOT NULL DEFAULT 0,
    error         text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE UNIQUE INDEX archive_exports_user_idx ON archive_exports (user_id);
CREATE INDEX archive_exports_finished_idx ON archive_exports (finished_at) WHERE finished_at IS NOT NULL;

-- Archives imported into an account: which identity the account takes
-- over (old_diaspora_id, and its person row when this pod knows it) and
-- the account_migration signature made with the archive's private key
-- (the key itself is never stored). A second import of the same old
-- identity is refused, as diaspora* refuses a second migration.
CREATE TABLE archive_imports (
    id               bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    user_id          bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    old_diaspora_id  text        NOT NULL,
    old_person_id    bigint      REFERENCES people (id) ON DELETE SET NULL,
    signature        text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX archive_imports_old_idx ON archive_imports (lower(old_diaspora_id));
CREATE INDEX archive_imports_user_idx ON archive_imports (user_id);

-- An export reads a person's own comments, likes and votes in keyset
-- batches by ID.
CREATE INDEX comments_author_id_idx ON comments (author_id, id);
CREATE INDEX likes_author_id_idx ON likes (author_id, id);
CREATE INDEX poll_participations_author_id_idx ON poll_participations (author_id, id);

-- +goose Down
DROP INDEX poll_participations_author_id_idx;
DROP INDEX likes_author_id_idx;
DROP INDEX comments_author_id_idx;
DROP TABLE archive_imports;
DROP TABLE archive_exports;
