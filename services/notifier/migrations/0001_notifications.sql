-- Orders as order.placed / order.confirmed describe them: where recipients come from.
CREATE TABLE orders (
    order_id   text        PRIMARY KEY,
    info       jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Events that trigger messages, kept whole: rendering reads them at send time. Those
-- that came before their order wait here (routed_at null) until the order arrives.
CREATE TABLE triggers (
    event_id    text        PRIMARY KEY,
    order_id    text        NOT NULL,
    event       jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    routed_at   timestamptz
);

CREATE INDEX triggers_awaiting_order_idx ON triggers (order_id) WHERE routed_at IS NULL;

-- One row per message, claimed once by its dedup key (order, kind, recipient).
-- pending -> sending -> sent | failed | skipped; sending -> pending to retry.
CREATE TABLE notifications (
    id               bigserial   PRIMARY KEY,
    dedup_key        text        NOT NULL UNIQUE,
    order_id         text        NOT NULL,
    kind             text        NOT NULL,
    trigger_event_id text        NOT NULL REFERENCES triggers (event_id),
    state            text        NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz
);

CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_sending_idx ON notifications (id) WHERE state = 'sending';
CREATE INDEX notifications_order_idx ON notifications (order_id);
