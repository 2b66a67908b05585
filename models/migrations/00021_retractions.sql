-- +goose Up
-- What the pod remembers about retracted objects, for 30 days: a GUID
-- deleted here (author and sender empty), or a retraction received for a
-- GUID this pod did not have yet (its author and sender, lower case).
-- Late or repeated deliveries are refused against it, the commonest of
-- them (a new public post) in the statement that would store the post.
-- It was kept in Redis before; the worker moves what Redis still holds.
CREATE TABLE retractions (
    guid       TEXT NOT NULL,
    author     TEXT NOT NULL DEFAULT '',
    sender     TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (guid, author, sender)
);
CREATE INDEX retractions_expires_idx ON retractions (expires_at);

-- +goose Down
DROP TABLE IF EXISTS retractions;
