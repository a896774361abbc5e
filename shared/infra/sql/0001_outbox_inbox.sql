-- Transactional outbox: rows written in the same transaction as the state they describe,
-- published in id order by the relay, then marked.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     text        NOT NULL UNIQUE,
    topic        text        NOT NULL,
    key          bytea       NOT NULL,
    payload      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Inbox: ids of events whose effects are committed, so a redelivered event is a no-op.
CREATE TABLE inbox (
    event_id    text        PRIMARY KEY,
    topic       text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX inbox_received_at_idx ON inbox (received_at);
