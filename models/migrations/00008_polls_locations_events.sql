-- +goose Up
-- Polls, locations and events hang under a status message, as on diaspora*
-- (federation entities poll, location, event inside status_message; votes
-- and event answers are relayables like comments). They are deleted with
-- their post. Exposed rows get random IDs (00005).

-- A poll: one question on a post, its answers in order. Votes are counted
-- on the answers; one vote per person and poll (a unique index).
CREATE TABLE polls (
    id         BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid       VARCHAR(255) NOT NULL,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    question   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX polls_guid_idx ON polls (guid);
CREATE UNIQUE INDEX polls_post_idx ON polls (post_id);

CREATE TABLE poll_answers (
    id         BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid       VARCHAR(255) NOT NULL,
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    answer     TEXT NOT NULL,
    vote_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX poll_answers_guid_idx ON poll_answers (guid);
CREATE UNIQUE INDEX poll_answers_poll_idx ON poll_answers (poll_id, position);

-- A vote; signed_xml is the relayable as signed by the voter (as for
-- comments, 00004), kept for relaying.
CREATE TABLE poll_participations (
    id             BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid           VARCHAR(255) NOT NULL,
    poll_id        BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    poll_answer_id BIGINT NOT NULL REFERENCES poll_answers (id) ON DELETE CASCADE,
    author_id      BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    signed_xml     TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX poll_participations_guid_idx ON poll_participations (guid);
CREATE UNIQUE INDEX poll_participations_voter_idx ON poll_participations (poll_id, author_id);
CREATE INDEX poll_participations_author_idx ON poll_participations (author_id);

-- Where a post was written: an address and, optionally, coordinates (kept
-- as the decimal text they were given or received in; '' when not given).
CREATE TABLE locations (
    id      BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    address TEXT NOT NULL DEFAULT '',
    lat     VARCHAR(32) NOT NULL DEFAULT '',
    lng     VARCHAR(32) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX locations_post_idx ON locations (post_id);

-- An event received in a status message (Friendica, diaspora*), and the
-- answers people gave (event_participation: accepted, tentative, declined).
CREATE TABLE events (
    id               BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid             VARCHAR(255) NOT NULL,
    post_id          BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id        BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    summary          TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ,
    all_day          BOOLEAN NOT NULL DEFAULT FALSE,
    timezone         VARCHAR(255) NOT NULL DEFAULT '',
    location_address TEXT NOT NULL DEFAULT '',
    location_lat     VARCHAR(32) NOT NULL DEFAULT '',
    location_lng     VARCHAR(32) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX events_guid_idx ON events (guid);
CREATE UNIQUE INDEX events_post_idx ON events (post_id);

CREATE TABLE event_participations (
    id         BIGINT PRIMARY KEY DEFAULT aspen_random_id(),
    guid       VARCHAR(255) NOT NULL,
    event_id   BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    author_id  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    status     VARCHAR(32) NOT NULL,
    signed_xml TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX event_participations_guid_idx ON event_participations (guid);
CREATE UNIQUE INDEX event_participations_person_idx ON event_participations (event_id, author_id);

-- +goose Down
DROP TABLE event_participations;
DROP TABLE events;
DROP TABLE locations;
DROP TABLE poll_participations;
DROP TABLE poll_answers;
DROP TABLE polls;
