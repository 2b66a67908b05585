-- +goose Up
-- Moderation and running a pod (issue 15).

-- Moderators handle reports; admins (users.admin) also manage users and
-- pods. An admin is a moderator too. A sign-up waiting for an admin's
-- approval (registrations "approval") is locked and pending.
ALTER TABLE users ADD COLUMN moderator boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN pending_approval boolean NOT NULL DEFAULT false;
CREATE INDEX users_last_seen_idx ON users (last_seen_at);
CREATE INDEX users_created_idx ON users (created_at);
CREATE INDEX users_staff_idx ON users (id) WHERE admin OR moderator;
CREATE INDEX users_pending_idx ON users (created_at) WHERE pending_approval;

-- One report per person per item (a post or a comment). The item's GUID
-- and author stay when the item is deleted; its text is never copied.
CREATE TABLE reports (
    id             bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    reporter_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_type      text        NOT NULL CHECK (item_type IN ('post', 'comment')),
    item_guid      text        NOT NULL,
    post_id        bigint      REFERENCES posts (id) ON DELETE SET NULL,
    comment_id     bigint      REFERENCES comments (id) ON DELETE SET NULL,
    author_id      bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    reason         text        NOT NULL,
    state          text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'reviewed', 'deleted')),
    reviewed_by_id bigint      REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reports_once ON reports (reporter_id, item_type, item_guid);
CREATE INDEX reports_queue ON reports (created_at DESC, id DESC) WHERE state = 'open';
CREATE INDEX reports_all ON reports (created_at DESC, id DESC);
CREATE INDEX reports_post ON reports (post_id) WHERE post_id IS NOT NULL;
CREATE INDEX reports_comment ON reports (comment_id) WHERE comment_id IS NOT NULL;

-- Remote pods the admins block (nothing in or out) or silence (their
-- public posts leave the public stream), by domain, optionally with its
-- subdomains.
CREATE TABLE moderated_pods (
    id            bigint      PRIMARY KEY DEFAULT aspen_random_id(),
    domain        text        NOT NULL,
    subdomains    boolean     NOT NULL DEFAULT true,
    severity      text        NOT NULL CHECK (severity IN ('block', 'silence')),
    reason        text        NOT NULL DEFAULT '',
    created_by_id bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX moderated_pods_domain ON moderated_pods (lower(domain));

-- aspen_pod_state says what the admins decided about a host[:port]:
-- 0 nothing, 1 silenced, 2 blocked (a block wins over a silence). A rule
-- names a domain (any port) or a host:port (that port only, for pods that
-- share a host name); pod/federate's stateOf is the same rule in Go.
-- +goose StatementBegin
CREATE FUNCTION aspen_pod_state(host text) RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT COALESCE(max(CASE m.severity WHEN 'block' THEN 2 ELSE 1 END), 0)::smallint
    FROM moderated_pods m, LATERAL (SELECT CASE WHEN position(':' IN m.domain) > 0 THEN lower(host)
        ELSE lower(split_part(host, ':', 1)) END AS h) x
    WHERE x.h = lower(m.domain) OR (m.subdomains AND x.h LIKE '%.' || lower(m.domain))
$$;
-- +goose StatementEnd

-- The decision is copied onto remote people and their posts, so that the
-- streams filter on a column of the row they read anyway (no join), and
-- kept up to date by triggers for rows that arrive later.
ALTER TABLE people ADD COLUMN pod_state smallint NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN pod_state smallint NOT NULL DEFAULT 0;
CREATE INDEX people_pod_state_idx ON people (id) WHERE pod_state <> 0;

-- +goose StatementBegin
CREATE FUNCTION aspen_people_pod_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.owner_id IS NULL THEN
        NEW.pod_state := aspen_pod_state(NEW.pod_host);
    ELSE
        NEW.pod_state := 0;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER people_pod_state BEFORE INSERT OR UPDATE OF pod_host, owner_id ON people
    FOR EACH ROW EXECUTE FUNCTION aspen_people_pod_state();

-- +goose StatementBegin
CREATE FUNCTION aspen_posts_pod_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.pod_state := COALESCE((SELECT pe.pod_state FROM people pe WHERE pe.id = NEW.author_id), 0);
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER posts_pod_state BEFORE INSERT ON posts
    FOR EACH ROW EXECUTE FUNCTION aspen_posts_pod_state();

-- Settings the admins change at runtime (one row): registrations mode
-- (NULL: as configured), the pod's description and terms, and whether
-- /statistics is published.
CREATE TABLE pod_settings (
    id                smallint    PRIMARY KEY CHECK (id = 1),
    registrations     text        CHECK (registrations IN ('open', 'closed', 'approval')),
    description       text        NOT NULL DEFAULT '',
    terms             text        NOT NULL DEFAULT '',
    publish_statistics boolean    NOT NULL DEFAULT true,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pod_settings (id) VALUES (1);

-- +goose Down
DROP TABLE pod_settings;
DROP TRIGGER posts_pod_state ON posts;
DROP FUNCTION aspen_posts_pod_state();
DROP TRIGGER people_pod_state ON people;
DROP FUNCTION aspen_people_pod_state();
ALTER TABLE posts DROP COLUMN pod_state;
ALTER TABLE people DROP COLUMN pod_state;
DROP FUNCTION aspen_pod_state(text);
DROP TABLE moderated_pods;
DROP TABLE reports;
DROP INDEX users_pending_idx;
DROP INDEX users_staff_idx;
DROP INDEX users_created_idx;
DROP INDEX users_last_seen_idx;
ALTER TABLE users DROP COLUMN pending_approval;
ALTER TABLE users DROP COLUMN moderator;
