-- +goose Up
-- diaspora*'s API v1 for notifications, conversations and photos (issue 16).

-- The API names notifications by GUID (GET and PATCH
-- /api/v1/notifications/:guid). Existing rows get one each; new rows get
-- theirs from the default, in diaspora*'s form (32 hex digits), so no
-- INSERT has to name it.
ALTER TABLE notifications ADD COLUMN guid VARCHAR(255) NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX notifications_guid_idx ON notifications (guid);

-- GET /api/v1/photos pages all of a user's photos, pending ones too, by
-- upload time (photos_author_idx covers posted photos only).
CREATE INDEX photos_author_all_idx ON photos (author_id, created_at DESC, guid DESC);

-- +goose Down
DROP INDEX IF EXISTS photos_author_all_idx;
DROP INDEX IF EXISTS notifications_guid_idx;
ALTER TABLE notifications DROP COLUMN IF EXISTS guid;
