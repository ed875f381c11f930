-- Stripe Checkout Sessions Settle created. One open session per invoice and
-- amount is reused (a second click, another tab, a retry), found by its
-- fingerprint. `state` only moves forward: open < expired < processing <
-- failed < paid, whatever order Stripe's events come in.

CREATE TABLE checkout_sessions (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    fingerprint      TEXT NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    url              TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'expired', 'processing', 'failed', 'paid')),
    expires_at       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX checkout_sessions_by_fingerprint ON checkout_sessions (organization_id, fingerprint, expires_at);
CREATE INDEX checkout_sessions_by_invoice ON checkout_sessions (invoice_id, state);
