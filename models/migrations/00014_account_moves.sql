-- +goose Up
-- Accounts that close or move (diaspora*'s account_deletions and
-- account_migrations).
--
-- account_deletions: one row per closed person, local or remote. For a
-- local user the close-account job runs in two halves that may finish in
-- either order: the account_deletion entity is signed and queued for every
-- pod that knew the person (dispatched_at), and the user's data is deleted
-- (purged_at). The user's private key is wiped by whichever half ends
-- last, since signing needs it. For a remote person only purged_at is
-- used. completed_at is set when nothing is left to do.
CREATE TABLE account_deletions (
    person_id     BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    dispatched_at TIMESTAMPTZ,
    purged_at     TIMESTAMPTZ,
    completed_at  TIMESTAMPTZ
);
CREATE INDEX account_deletions_pending_idx ON account_deletions (created_at) WHERE completed_at IS NULL;

-- account_migrations: old_person moved to new_person (a received, verified
-- account_migration). One move per old identity; the old person is closed
-- and everything that pointed to it points to new_person. A person who
-- moves again appears as old_person of a second row: the newest identity
-- is found by following the chain.
CREATE TABLE account_migrations (
    old_person_id     BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    new_person_id     BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    remote_photo_path TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_migrations_new_idx ON account_migrations (new_person_id);

-- Repointing and purging find a person's rows by these columns.
CREATE INDEX IF NOT EXISTS post_audiences_person_idx ON post_audiences (person_id);
CREATE INDEX IF NOT EXISTS notification_actors_person_idx ON notification_actors (person_id);
CREATE INDEX IF NOT EXISTS notifications_person_idx ON notifications (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_author_idx ON events (author_id);
CREATE INDEX IF NOT EXISTS event_participations_author_idx ON event_participations (author_id);
CREATE INDEX IF NOT EXISTS photos_any_author_idx ON photos (author_id);
CREATE INDEX IF NOT EXISTS contacts_person_idx ON contacts (person_id);

-- +goose Down
DROP INDEX IF EXISTS contacts_person_idx;
DROP INDEX IF EXISTS photos_any_author_idx;
DROP INDEX IF EXISTS event_participations_author_idx;
DROP INDEX IF EXISTS events_author_idx;
DROP INDEX IF EXISTS notifications_person_idx;
DROP INDEX IF EXISTS notification_actors_person_idx;
DROP INDEX IF EXISTS post_audiences_person_idx;
DROP TABLE account_migrations;
DROP TABLE account_deletions;
