-- +goose Up
-- Private conversations (diaspora*'s conversations, messages and
-- conversation_visibilities). A conversation's participants are fixed when
-- it is created: one visibility row per participant, local or remote. The
-- rows of local participants carry their unread count and whether they
-- hid ("deleted") the conversation; last_message_at is copied onto every
-- visibility so that each person's list is one index range, paged by last
-- message with a keyset (last_message_at, conversation_id). Exposed rows
-- get random IDs (00005).

CREATE TABLE conversations (
    id              BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid            VARCHAR(255) NOT NULL,
    author_id       BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_message_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX conversations_guid_idx ON conversations (guid);
CREATE INDEX conversations_author_idx ON conversations (author_id);

CREATE TABLE conversation_visibilities (
    id              BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    person_id       BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    unread          INTEGER NOT NULL DEFAULT 0,
    hidden          BOOLEAN NOT NULL DEFAULT FALSE,
    last_message_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX conversation_visibilities_idx ON conversation_visibilities (conversation_id, person_id);
-- A person's list (not hidden), newest last message first.
CREATE INDEX conversation_visibilities_list_idx ON conversation_visibilities (person_id, last_message_at DESC, conversation_id DESC)
    WHERE NOT hidden;
-- The header's unread counter.
CREATE INDEX conversation_visibilities_unread_idx ON conversation_visibilities (person_id) WHERE unread > 0 AND NOT hidden;

CREATE TABLE messages (
    id              BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid            VARCHAR(255) NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    text            TEXT NOT NULL,
    text_html       TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_guid_idx ON messages (guid);
-- A conversation's messages in order: by time (whole seconds, as the
-- protocol carries it), ties broken by GUID, so that every pod shows them
-- in the same order.
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at, guid);
CREATE INDEX messages_author_idx ON messages (author_id);

-- A private_message notification leads to the conversation it is about.
ALTER TABLE notifications ADD COLUMN conversation_id BIGINT REFERENCES conversations (id) ON DELETE CASCADE;
CREATE INDEX notifications_conversation_idx ON notifications (conversation_id) WHERE conversation_id IS NOT NULL;

-- +goose Down
DROP INDEX IF EXISTS notifications_conversation_idx;
ALTER TABLE notifications DROP COLUMN IF EXISTS conversation_id;
DROP TABLE IF EXISTS messages;
DROP TABLE IF EXISTS conversation_visibilities;
DROP TABLE IF EXISTS conversations;
