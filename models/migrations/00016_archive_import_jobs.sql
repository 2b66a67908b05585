-- +goose Up
-- Archive imports run as jobs (issue 14): the upload is checked in the
-- request and kept in the media store (imports/<user>/<token>.upload)
-- until the archives:import job has discovered the archive's people and
-- imported it, or failed. One row per user: a new import replaces the
-- finished one; while one is queued or running no other is started.
CREATE TABLE archive_import_jobs (
    id               bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    user_id          bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state            text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    old_diaspora_id  text        NOT NULL DEFAULT '',
    file_key         text        NOT NULL DEFAULT '',
    people_done      integer     NOT NULL DEFAULT 0,
    people_total     integer     NOT NULL DEFAULT 0,
    posts_done       integer     NOT NULL DEFAULT 0,
    posts_total      integer     NOT NULL DEFAULT 0,
    result           jsonb       NOT NULL DEFAULT '{}',
    error            text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE UNIQUE INDEX archive_import_jobs_user_idx ON archive_import_jobs (user_id);

-- +goose Down
DROP TABLE archive_import_jobs;
