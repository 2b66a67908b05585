-- +goose Up
-- The privacy core: contacts and aspect memberships, blocks, posts with
-- their audience, interactions, tags, mentions, per-user streams and
-- notifications. See DESIGN.md (Privacy) and aspects/ for the rules.

-- contacts: one row per (local user, other person). receiving = the user
-- shares with the person (the person is in at least one of the user's
-- aspects); sharing = the person shares with the user.
CREATE TABLE contacts (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    sharing    BOOLEAN NOT NULL DEFAULT FALSE,
    receiving  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_user_person_idx ON contacts (user_id, person_id);
-- "who shares with / receives from this person" (fan-out on posting).
CREATE INDEX contacts_person_receiving_idx ON contacts (person_id, user_id) WHERE receiving;

CREATE TABLE aspect_memberships (
    id         BIGSERIAL PRIMARY KEY,
    aspect_id  BIGINT NOT NULL REFERENCES aspects (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX aspect_memberships_aspect_contact_idx ON aspect_memberships (aspect_id, contact_id);
CREATE INDEX aspect_memberships_contact_idx ON aspect_memberships (contact_id);

ALTER TABLE aspects ADD COLUMN post_default BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN auto_follow_back_aspect_id BIGINT REFERENCES aspects (id) ON DELETE SET NULL;

-- blocks: the user ignores the person.
CREATE TABLE blocks (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX blocks_user_person_idx ON blocks (user_id, person_id);
CREATE INDEX blocks_person_idx ON blocks (person_id);

-- posts: status messages and reshares, local and remote.
CREATE TABLE posts (
    id                    BIGSERIAL PRIMARY KEY,
    guid                  VARCHAR(255) NOT NULL,
    author_id             BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    type                  VARCHAR(20) NOT NULL CHECK (type IN ('StatusMessage', 'Reshare')),
    public                BOOLEAN NOT NULL DEFAULT FALSE,
    text                  TEXT NOT NULL DEFAULT '',
    -- Sanitised HTML of text, with mentions and tags linked.
    text_html             TEXT NOT NULL DEFAULT '',
    root_id               BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    root_guid             VARCHAR(255),
    provider_display_name VARCHAR(255) NOT NULL DEFAULT '',
    nsfw                  BOOLEAN NOT NULL DEFAULT FALSE,
    comments_count        INTEGER NOT NULL DEFAULT 0,
    likes_count           INTEGER NOT NULL DEFAULT 0,
    reshares_count        INTEGER NOT NULL DEFAULT 0,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    interacted_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX posts_guid_idx ON posts (guid);
CREATE INDEX posts_author_created_idx ON posts (author_id, created_at DESC, id DESC);
CREATE INDEX posts_author_interacted_idx ON posts (author_id, interacted_at DESC, id DESC);
CREATE INDEX posts_public_created_idx ON posts (created_at DESC, id DESC) WHERE public;
CREATE INDEX posts_root_idx ON posts (root_id) WHERE root_id IS NOT NULL;
-- One reshare per person per post.
CREATE UNIQUE INDEX posts_one_reshare_idx ON posts (author_id, root_id) WHERE type = 'Reshare';

-- Author side: which of the author's aspects a limited post went to.
CREATE TABLE aspect_visibilities (
    post_id   BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    aspect_id BIGINT NOT NULL REFERENCES aspects (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, aspect_id)
);
CREATE INDEX aspect_visibilities_aspect_idx ON aspect_visibilities (aspect_id);

-- The audience snapshot of a limited post written here: every person it
-- was addressed to when it was posted, local or remote. Relays and the
-- retraction go to exactly these people.
CREATE TABLE post_audiences (
    post_id   BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, person_id)
);

-- Reader side: the local users who may read a limited post.
CREATE TABLE share_visibilities (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX share_visibilities_user_idx ON share_visibilities (user_id, post_id);

-- Posts a user hid from their own streams.
CREATE TABLE post_hides (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, post_id)
);

-- The main stream, one row per (user, post) it shows, written when a post
-- is created or a relationship changes (fan-out on write), so that reading
-- a page is an index-only scan. reasons is a bit set: 1 the author is in
-- one of the user's aspects, 2 a followed tag, 4 the user is mentioned,
-- 8 the user wrote it.
CREATE TABLE stream_entries (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    reasons    SMALLINT NOT NULL,
    PRIMARY KEY (user_id, post_id)
);
CREATE INDEX stream_entries_page_idx ON stream_entries (user_id, created_at DESC, post_id DESC) INCLUDE (author_id, reasons);
CREATE INDEX stream_entries_post_idx ON stream_entries (post_id);

CREATE TABLE comments (
    id          BIGSERIAL PRIMARY KEY,
    guid        VARCHAR(255) NOT NULL,
    post_id     BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id   BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    text_html   TEXT NOT NULL DEFAULT '',
    likes_count INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX comments_guid_idx ON comments (guid);
CREATE INDEX comments_post_idx ON comments (post_id, created_at, id);
CREATE INDEX comments_author_idx ON comments (author_id, post_id);

-- Likes of posts (comment_id NULL) and of comments.
CREATE TABLE likes (
    id         BIGSERIAL PRIMARY KEY,
    guid       VARCHAR(255) NOT NULL,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    author_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    positive   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX likes_guid_idx ON likes (guid);
CREATE UNIQUE INDEX likes_post_author_idx ON likes (post_id, author_id) WHERE comment_id IS NULL;
CREATE UNIQUE INDEX likes_comment_author_idx ON likes (comment_id, author_id) WHERE comment_id IS NOT NULL;
CREATE INDEX likes_author_idx ON likes (author_id, post_id);

-- Participation: commenting, liking or resharing subscribes a person to a post.
CREATE TABLE participations (
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, post_id)
);
CREATE INDEX participations_post_idx ON participations (post_id);

CREATE TABLE tags (
    id   BIGSERIAL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX tags_name_idx ON tags (name);

CREATE TABLE taggings (
    tag_id     BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    public     BOOLEAN NOT NULL,
    PRIMARY KEY (tag_id, post_id)
);
CREATE INDEX taggings_tag_created_idx ON taggings (tag_id, created_at DESC, post_id DESC) INCLUDE (public);
CREATE INDEX taggings_post_idx ON taggings (post_id);

CREATE TABLE tag_followings (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tag_id     BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tag_followings_user_tag_idx ON tag_followings (user_id, tag_id);
CREATE INDEX tag_followings_tag_idx ON tag_followings (tag_id);

CREATE TABLE mentions (
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    person_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (post_id, person_id)
);
CREATE INDEX mentions_person_idx ON mentions (person_id, created_at DESC, post_id DESC);

-- Notifications, grouped by (recipient, type, target); actors are listed apart.
CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type        VARCHAR(40) NOT NULL,
    post_id     BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    person_id   BIGINT REFERENCES people (id) ON DELETE CASCADE,
    unread      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notifications_target_idx ON notifications (user_id, type, COALESCE(post_id, 0), COALESCE(person_id, 0));
CREATE INDEX notifications_user_idx ON notifications (user_id, updated_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE unread;

CREATE TABLE notification_actors (
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    person_id       BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, person_id)
);

-- +goose Down
DROP TABLE notification_actors;
DROP TABLE notifications;
DROP TABLE mentions;
DROP TABLE tag_followings;
DROP TABLE taggings;
DROP TABLE tags;
DROP TABLE participations;
DROP TABLE likes;
DROP TABLE comments;
DROP TABLE stream_entries;
DROP TABLE post_hides;
DROP TABLE share_visibilities;
DROP TABLE post_audiences;
DROP TABLE aspect_visibilities;
DROP TABLE posts;
DROP TABLE blocks;
ALTER TABLE users DROP COLUMN auto_follow_back_aspect_id;
ALTER TABLE aspects DROP COLUMN post_default;
DROP TABLE aspect_memberships;
DROP TABLE contacts;
