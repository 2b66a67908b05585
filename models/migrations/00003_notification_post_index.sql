-- +goose Up
-- Opening a post marks the viewer's notifications about it read; this
-- index finds them without reading all of the user's unread ones.
CREATE INDEX notifications_user_post_unread_idx ON notifications (user_id, post_id) WHERE unread;

-- +goose Down
DROP INDEX notifications_user_post_unread_idx;
