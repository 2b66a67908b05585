-- +goose Up
-- Federation: the remote pods we know and their health, what discovery
-- learnt about remote people, relayables as they were signed, and the state
-- of every outbound delivery (for the author's post page and the admin's
-- pods page). See DESIGN.md (Federation pipeline).

-- pods: one row per remote pod (host[:port], as in diaspora IDs).
-- offline_since is set by the first failure after a success and cleared by
-- the next success; deliveries to a pod offline for 14 days are given up
-- until the periodic check finds it up again.
CREATE TABLE pods (
    id              BIGSERIAL PRIMARY KEY,
    host            VARCHAR(255) NOT NULL,
    url             TEXT NOT NULL,
    software        VARCHAR(255) NOT NULL DEFAULT '',
    version         VARCHAR(255) NOT NULL DEFAULT '',
    last_success_at TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    offline_since   TIMESTAMPTZ,
    checked_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX pods_host_idx ON pods (lower(host));
CREATE INDEX pods_offline_idx ON pods (offline_since) WHERE offline_since IS NOT NULL;

-- When discovery last refreshed a remote person (NULL for local people).
ALTER TABLE people ADD COLUMN fetched_at TIMESTAMPTZ;
CREATE INDEX people_pod_host_idx ON people (lower(pod_host)) WHERE owner_id IS NULL;

-- A relayable as it was signed: the XML with its received element order,
-- unknown elements and author_signature, so that relaying it or serving it
-- on /fetch reproduces the signed bytes (§5.3). NULL until it is federated.
ALTER TABLE comments ADD COLUMN signed_xml TEXT;
ALTER TABLE likes ADD COLUMN signed_xml TEXT;

-- deliveries: one row per delivery task (an entity to one pod on the public
-- route, or to one person on the private route). task_id is the asynq task
-- ID, so a repeated dispatch neither queues nor records anything twice.
-- post_id names the post a post delivery carries, for the author's status.
CREATE TABLE deliveries (
    id             BIGSERIAL PRIMARY KEY,
    task_id        VARCHAR(100) NOT NULL,
    pod_id         BIGINT NOT NULL REFERENCES pods (id) ON DELETE CASCADE,
    post_id        BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    entity_type    VARCHAR(40) NOT NULL,
    recipient_guid VARCHAR(255),
    state          VARCHAR(10) NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'retrying', 'failed')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX deliveries_task_idx ON deliveries (task_id);
CREATE INDEX deliveries_post_idx ON deliveries (post_id) WHERE post_id IS NOT NULL;
CREATE INDEX deliveries_pending_idx ON deliveries (pod_id) WHERE state IN ('queued', 'retrying');
CREATE INDEX deliveries_created_idx ON deliveries (created_at);

-- +goose Down
DROP TABLE deliveries;
ALTER TABLE likes DROP COLUMN signed_xml;
ALTER TABLE comments DROP COLUMN signed_xml;
DROP INDEX people_pod_host_idx;
ALTER TABLE people DROP COLUMN fetched_at;
DROP TABLE pods;
