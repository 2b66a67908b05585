-- +goose Up
-- Notification mails (README, Mail) and the optional confirmation of a new
-- account's mail address.
--
-- user_preferences: as on diaspora*, one row per notification type a user
-- does NOT want mailed (mentioned, comment_on_post, ...), so a new type is
-- mailed until switched off. users.disable_mail switches every
-- notification mail off at once and keeps the per-type choices for when it
-- is switched on again.
CREATE TABLE user_preferences (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email_type VARCHAR(40) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, email_type)
);
ALTER TABLE users ADD COLUMN disable_mail BOOLEAN NOT NULL DEFAULT FALSE;
-- unconfirmed: signed up while POD_CONFIRM_SIGNUPS was on and has not yet
-- opened the link mailed to the address; such an account cannot sign in
-- and is mailed nothing but that link. Existing accounts are confirmed.
ALTER TABLE users ADD COLUMN unconfirmed BOOLEAN NOT NULL DEFAULT FALSE;

-- "liked your comment" is grouped per comment, as diaspora* does (its
-- target is the comment): the comment joins the notification's target.
-- Other types keep comment_id NULL and stay grouped per post or person.
ALTER TABLE notifications ADD COLUMN comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE;
DROP INDEX notifications_target_idx;
CREATE UNIQUE INDEX notifications_target_idx ON notifications
    (user_id, type, COALESCE(post_id, 0), COALESCE(person_id, 0), COALESCE(comment_id, 0));
CREATE INDEX notifications_comment_idx ON notifications (comment_id) WHERE comment_id IS NOT NULL;

-- +goose Down
DROP INDEX notifications_comment_idx;
DELETE FROM notifications WHERE comment_id IS NOT NULL;
DROP INDEX notifications_target_idx;
ALTER TABLE notifications DROP COLUMN comment_id;
CREATE UNIQUE INDEX notifications_target_idx ON notifications (user_id, type, COALESCE(post_id, 0), COALESCE(person_id, 0));
ALTER TABLE users DROP COLUMN unconfirmed;
ALTER TABLE users DROP COLUMN disable_mail;
DROP TABLE user_preferences;
