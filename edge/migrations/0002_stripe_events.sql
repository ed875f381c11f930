-- Stripe webhooks: every verified event is recorded by its id in the same
-- batch as its effects, so a redelivery changes nothing. Events that cannot
-- be applied yet (a refund before its payment) wait as 'pending' and are
-- applied when their payment arrives; events that need a person are
-- 'flagged' with a reason.

CREATE TABLE stripe_events (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    type             TEXT NOT NULL,
    created          INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('applied', 'ignored', 'flagged', 'pending')),
    payment_key      TEXT,
    invoice_id       TEXT,
    note             TEXT,
    payload          TEXT NOT NULL
);
CREATE INDEX stripe_events_by_org ON stripe_events (organization_id, received_at);
CREATE INDEX stripe_events_pending ON stripe_events (organization_id, payment_key, outcome);
