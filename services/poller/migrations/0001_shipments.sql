-- Shipments being tracked: one row per shipment id, replaced by a re-registration
-- (generation + 1). Workers claim due rows with FOR UPDATE SKIP LOCKED and push
-- next_poll_at forward by a lease while they poll.
CREATE TABLE shipments (
    shipment_id        text        PRIMARY KEY,
    order_id           text        NOT NULL,
    carrier            text        NOT NULL,
    tracking_number    text        NOT NULL,
    generation         integer     NOT NULL,
    lifecycle          text        NOT NULL
        CHECK (lifecycle IN ('active', 'done', 'expired', 'invalid')),
    status             text,
    tracked_since      timestamptz NOT NULL,
    last_change_at     timestamptz NOT NULL,
    terminal_at        timestamptz,
    not_found_since    timestamptz,
    estimated_delivery date,
    delivered_at       timestamptz,
    signed_by          text,
    next_poll_at       timestamptz,
    claimed_by         text,
    claimed_at         timestamptz,
    polled_at          timestamptz,
    last_outcome       text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((lifecycle = 'active') = (next_poll_at IS NOT NULL))
);

CREATE INDEX shipments_due_idx ON shipments (carrier, next_poll_at)
    WHERE next_poll_at IS NOT NULL;
CREATE INDEX shipments_number_idx ON shipments (carrier, tracking_number);
CREATE INDEX shipments_active_status_idx ON shipments (carrier, status)
    WHERE lifecycle = 'active';

-- Carrier response bodies (or webhook payloads) that showed at least one new scan.
CREATE TABLE raw_documents (
    digest      text        PRIMARY KEY,
    carrier     text        NOT NULL,
    source      text        NOT NULL CHECK (source IN ('poll', 'push')),
    received_at timestamptz NOT NULL,
    body        jsonb       NOT NULL
);

-- Every scan seen once per shipment registration, normalized, with the carrier's own
-- code and text; the fingerprint (carrier, number, code, time) is the dedup key.
CREATE TABLE scans (
    shipment_id       text        NOT NULL REFERENCES shipments (shipment_id) ON DELETE CASCADE,
    generation        integer     NOT NULL,
    fingerprint       text        NOT NULL,
    status            text        NOT NULL,
    carrier_code      text        NOT NULL,
    description       text        NOT NULL,
    occurred_at       timestamptz,
    occurred_at_local text,
    location          jsonb,
    delayed           boolean     NOT NULL,
    source            text        NOT NULL CHECK (source IN ('poll', 'push')),
    raw_digest        text        REFERENCES raw_documents (digest),
    observed_at       timestamptz NOT NULL,
    PRIMARY KEY (shipment_id, generation, fingerprint)
);
