-- The seller scorecard: the carrier's first delivery estimate (on-time delivery is judged
-- against it, not against a later, revised one), and indexes for the query API.
ALTER TABLE shipments ADD COLUMN first_estimated_delivery date;

-- Shipments estimated before this migration: their current estimate is the best known.
UPDATE shipments SET first_estimated_delivery = estimated_delivery;

CREATE INDEX orders_seller_idx ON orders (seller_id, ship_by_deadline);
CREATE INDEX breaches_open_idx ON breaches (raised_at) WHERE resolved_at IS NULL;
CREATE INDEX disputes_open_idx ON disputes (documents_deadline) WHERE resolution IS NULL;
