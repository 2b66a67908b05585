-- +goose Up
-- photos: pictures in status messages (diaspora*'s photos table). A local
-- upload is pending (post_id NULL) until a post attaches it; pending photos
-- older than a day are deleted by a periodic job. A photo is readable
-- exactly when its post is (pending: by its uploader only), so it carries
-- no visibility rows of its own. Files: media_id names the renditions
-- (media store keys photos/<media_id>/<size><ext>); raw_key is the
-- unprocessed upload (local) until the processing job made them; for a
-- received photo, remote_photo_path/name say where it is fetched from,
-- once, by a job. token is the unguessable part of the URL other pods fetch
-- this pod's photos at (federation), see pod/photos.
CREATE TABLE photos (
    id                  BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid                VARCHAR(255) NOT NULL,
    author_id           BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    post_id             BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    status_message_guid VARCHAR(255) NOT NULL DEFAULT '',
    public              BOOLEAN NOT NULL DEFAULT FALSE,
    -- processing (local upload, renditions not made yet), fetching
    -- (received, not fetched yet), ready, failed.
    state               VARCHAR(12) NOT NULL DEFAULT 'processing'
                        CHECK (state IN ('processing', 'fetching', 'ready', 'failed')),
    media_id            VARCHAR(32) NOT NULL DEFAULT '',
    ext                 VARCHAR(8) NOT NULL DEFAULT '',
    raw_key             VARCHAR(255) NOT NULL DEFAULT '',
    token               VARCHAR(64) NOT NULL,
    remote_photo_path   TEXT NOT NULL DEFAULT '',
    remote_photo_name   TEXT NOT NULL DEFAULT '',
    text                TEXT NOT NULL DEFAULT '',
    width               INTEGER NOT NULL DEFAULT 0,
    height              INTEGER NOT NULL DEFAULT 0,
    position            INTEGER NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX photos_guid_idx ON photos (guid);
CREATE INDEX photos_post_idx ON photos (post_id, position) WHERE post_id IS NOT NULL;
CREATE INDEX photos_pending_idx ON photos (created_at) WHERE post_id IS NULL;
CREATE INDEX photos_author_idx ON photos (author_id, created_at DESC, id DESC) WHERE post_id IS NOT NULL;

-- media_trash: files whose photo row is gone (its post deleted or
-- retracted, its upload abandoned, its author deleted). A trigger fills
-- it whatever deleted the row, so no deletion path can leave files
-- behind; the photos sweep job deletes the files and the rows.
CREATE TABLE media_trash (
    id         BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    media_id   VARCHAR(32) NOT NULL DEFAULT '',
    raw_key    VARCHAR(255) NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION photos_trash() RETURNS trigger AS $$
BEGIN
    IF OLD.media_id <> '' OR OLD.raw_key <> '' THEN
        INSERT INTO media_trash (media_id, raw_key) VALUES (OLD.media_id, OLD.raw_key);
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER photos_trash AFTER DELETE ON photos FOR EACH ROW EXECUTE FUNCTION photos_trash();

-- +goose Down
DROP TRIGGER photos_trash ON photos;
DROP FUNCTION photos_trash();
DROP TABLE media_trash;
DROP TABLE photos;
