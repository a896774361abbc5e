-- Per-order SLA state. Facts from orders.v1 and tracking.v1 are kept as they arrive (in any
-- order); each open deadline is a column, null once it fired or no longer applies, and
-- next_due_at (the earliest of them) carries the one index the sweeper reads.
CREATE TABLE orders (
    order_id              text PRIMARY KEY,
    -- from order.placed / order.confirmed; null until one of them arrives
    seller_id             text,
    seller_country        text,
    seller_subdivision    text,
    seller_time_zone      text,
    customer_time_zone    text,
    marketplace           text,
    large                 boolean NOT NULL DEFAULT false,
    placed_at             timestamptz,
    confirmed_at          timestamptz,
    cancelled_at          timestamptz,
    -- derived by the rules (services/sla/assessment.py)
    state                 text NOT NULL DEFAULT 'pending',
    ship_by_deadline      timestamptz,
    confirmation_due_at   timestamptz,
    ship_by_due_at        timestamptz,
    delivery_due_at       timestamptz,
    stall_due_at          timestamptz,
    documents_reminder_at timestamptz,
    documents_overdue_at  timestamptz,
    escalation_due_at     timestamptz,
    next_due_at           timestamptz GENERATED ALWAYS AS (
        LEAST(confirmation_due_at, ship_by_due_at, delivery_due_at, stall_due_at,
              documents_reminder_at, documents_overdue_at, escalation_due_at)
    ) STORED,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((seller_id IS NULL) = (seller_time_zone IS NULL))
);

-- Open deadlines only: the sweeper's claim query is a range scan of this index.
CREATE INDEX orders_next_due_idx ON orders (next_due_at) WHERE next_due_at IS NOT NULL;

CREATE TABLE shipments (
    order_id           text NOT NULL REFERENCES orders ON DELETE CASCADE,
    shipment_id        text NOT NULL,
    carrier            text NOT NULL,
    tracking_number    text NOT NULL,
    first_seen_at      timestamptz NOT NULL,
    registered_at      timestamptz,
    invalid_reason     text,
    -- derived from every scan of the shipment (services/sla/tracking.py)
    status             text,
    status_since       timestamptz,
    status_description text,
    last_scan_at       timestamptz,
    shipped_at         timestamptz,
    -- from tracking.status_changed
    estimated_delivery date,
    delivered_at       timestamptz,
    PRIMARY KEY (order_id, shipment_id)
);

-- The whole scan history: the tracking state is derived from all of it, never from the
-- last scan alone, so a late or out-of-order scan cannot move a parcel backwards.
CREATE TABLE scans (
    order_id    text NOT NULL,
    shipment_id text NOT NULL,
    fingerprint text NOT NULL,
    status      text NOT NULL,
    description text NOT NULL,
    occurred_at timestamptz,
    observed_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, shipment_id, fingerprint),
    FOREIGN KEY (order_id, shipment_id) REFERENCES shipments ON DELETE CASCADE
);

CREATE TABLE disputes (
    order_id           text NOT NULL REFERENCES orders ON DELETE CASCADE,
    case_id            text NOT NULL,
    shipment_id        text,
    reported_at        timestamptz,
    documents          text[] NOT NULL DEFAULT '{}',
    resolution         text,
    resolved_at        timestamptz,
    -- fixed when the dispute is accepted (sla.delivered_disputed)
    expected_delivery  date,
    documents_deadline timestamptz,
    PRIMARY KEY (order_id, case_id)
);

-- SLA events raised: at most one row per order and kind, so each is emitted once.
CREATE TABLE breaches (
    order_id    text NOT NULL REFERENCES orders ON DELETE CASCADE,
    kind        text NOT NULL,
    severity    text NOT NULL,
    raised_at   timestamptz NOT NULL,
    subject     text,
    resolved_at timestamptz,
    resolution  text,
    PRIMARY KEY (order_id, kind)
);
