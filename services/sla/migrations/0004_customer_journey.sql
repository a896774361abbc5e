-- The customer's journey (issue 13): the customer's ship-by promise beside the seller's
-- deadline, declined payments, the documents window fixed when a delivery is announced,
-- and the notice that a dispute's documents are all in.
ALTER TABLE orders
    ADD COLUMN payment_declined_at timestamptz,
    ADD COLUMN ship_promise        timestamptz,
    ADD COLUMN ship_promise_due_at timestamptz;

ALTER TABLE shipments
    ADD COLUMN signed_by                text,
    ADD COLUMN delivery_reported_at     timestamptz,
    ADD COLUMN window_expected_delivery date,
    ADD COLUMN window_deadline          timestamptz;

ALTER TABLE disputes ADD COLUMN documents_noticed_at timestamptz;

-- next_due_at takes the new timer in: a generated column cannot be altered, so it is
-- made again (with its index).
DROP INDEX orders_next_due_idx;
ALTER TABLE orders DROP COLUMN next_due_at;
ALTER TABLE orders ADD COLUMN next_due_at timestamptz GENERATED ALWAYS AS (
    LEAST(confirmation_due_at, ship_by_due_at, ship_promise_due_at, delivery_due_at,
          stall_due_at, documents_reminder_at, documents_overdue_at, escalation_due_at)
) STORED;
CREATE INDEX orders_next_due_idx ON orders (next_due_at) WHERE next_due_at IS NOT NULL;
