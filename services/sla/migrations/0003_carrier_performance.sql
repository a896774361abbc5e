-- Carrier performance and SLA trends (docs/api.md, services/sla/performance.py).

-- The lane of a shipment is seller country -> customer country.
ALTER TABLE orders ADD COLUMN customer_country text;

-- When a breach was first raised: raised_at moves to the escalation's time. Breaches
-- raised before this migration start from their latest tier's time (the best known).
ALTER TABLE breaches ADD COLUMN opened_at timestamptz;
UPDATE breaches SET opened_at = raised_at;
ALTER TABLE breaches ALTER COLUMN opened_at SET NOT NULL;

-- One row per shipment whose carrier journey ended (delivered or returned to sender): what
-- it last contributed to carrier_performance, so a later fact (a late scan, the order's
-- details) replaces that contribution instead of adding a second one. Written in the
-- transaction that records the fact, under the order's lock.
CREATE TABLE carrier_journeys (
    order_id              text NOT NULL,
    shipment_id           text NOT NULL,
    ended_on              date NOT NULL,
    carrier               text NOT NULL,
    seller_country        text NOT NULL,  -- '' while the order's details are unknown
    customer_country      text NOT NULL,
    outcome               text NOT NULL CHECK (outcome IN ('delivered', 'returned')),
    exception             boolean NOT NULL,
    attempted             boolean NOT NULL,
    on_time               boolean,        -- null: not delivered, or no first estimate
    transit_seconds       double precision,
    first_scan_seconds    double precision,
    PRIMARY KEY (order_id, shipment_id),
    FOREIGN KEY (order_id, shipment_id) REFERENCES shipments ON DELETE CASCADE
);

-- The rollup the performance endpoint reads: per UTC day the journey ended, carrier and
-- lane, how many shipments count in each measure; duration measures ('transit',
-- 'first_scan') are histograms over logarithmic buckets, counters use bucket 0. Kept in
-- step with carrier_journeys in the same transaction, so a query reads days x lanes x
-- buckets rows whatever the number of shipments.
CREATE TABLE carrier_performance (
    day              date NOT NULL,
    carrier          text NOT NULL,
    seller_country   text NOT NULL,
    customer_country text NOT NULL,
    measure          text NOT NULL,
    bucket           smallint NOT NULL,
    shipments        integer NOT NULL,
    PRIMARY KEY (day, carrier, seller_country, customer_country, measure, bucket)
);

-- Trends: breaches opened and resolved per day, disputes per week, late shipments per week.
CREATE INDEX breaches_opened_idx ON breaches (opened_at);
CREATE INDEX breaches_resolved_idx ON breaches (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX disputes_reported_idx ON disputes (reported_at);
CREATE INDEX disputes_resolved_idx ON disputes (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX orders_ship_by_idx ON orders (ship_by_deadline) WHERE ship_by_deadline IS NOT NULL;
