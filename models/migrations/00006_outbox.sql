-- +goose Up
-- outbox: the tasks a transaction queues, written in that transaction
-- (DESIGN.md, Federation pipeline). A relay in the worker moves unsent rows
-- into the job queue (asynq on Redis) and marks them sent; while Redis is
-- away the rows wait here, so a committed change never loses its
-- federation. task_id is the asynq task ID (deterministic: "dispatch:" and
-- the event key, "receive:" and a hash of the body, ...), so a row relayed
-- twice is queued once while its task exists, and a row written twice
-- (the same received body) is stored once. payload is the task's payload;
-- its queue and options follow from task_type (pod/tasks.Outboxed). Sent
-- rows are pruned after a week by the periodic pod check.
CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    task_type  VARCHAR(60) NOT NULL,
    task_id    VARCHAR(100) NOT NULL,
    payload    BYTEA NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at    TIMESTAMPTZ,
    -- set aside: a row that can never be queued (written by a newer or
    -- broken version); sent_at is set so it is not claimed again, and the
    -- admin's pods page counts these until they are pruned.
    set_aside  BOOLEAN NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX outbox_task_idx ON outbox (task_id);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_set_aside_idx ON outbox (id) WHERE set_aside;

-- +goose Down
DROP TABLE outbox;
