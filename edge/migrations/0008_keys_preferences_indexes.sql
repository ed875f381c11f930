-- Expand only: the previous worker ignores every column added here.

-- Who stopped a customer's reminders: 'customer' (the preferences page or a
-- one-click unsubscribe) or 'company' (the API). Only the customer undoes
-- their own choice. Rows from before are the customer's: until now only
-- the customer could stop them, or the API could and the flag did not say.
ALTER TABLE customers ADD COLUMN opt_out_by TEXT CHECK (opt_out_by IN ('customer', 'company'));
UPDATE customers SET opt_out_by = 'customer' WHERE reminders_opt_out = 1;

-- API keys have a name, a visible prefix and the time they were last used.
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT 'Default key';
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
CREATE INDEX api_keys_by_org ON api_keys (organization_id, id);

-- Indexes the query-plan check of `cargo xtask test` asked for: no
-- statement reads a whole table of tenant data.
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
CREATE INDEX segments_by_policy ON segments (policy_id);
CREATE INDEX stripe_events_waiting ON stripe_events (organization_id, payment_key) WHERE outcome = 'pending';
CREATE INDEX customer_sessions_by_link ON customer_sessions (link_id);
CREATE INDEX customer_sessions_by_customer ON customer_sessions (organization_id, customer_id);
CREATE INDEX checkout_sessions_by_org_state ON checkout_sessions (organization_id, state);

-- One payable Checkout Session per invoice whatever the timing: a request
-- that creates one first claims its invoices for its amount; a request for
-- another amount meanwhile is refused until the first is recorded. A claim
-- lapses after a minute (a worker that stopped mid-request).
CREATE TABLE checkout_claims (
    invoice_id       TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    claimed_until    INTEGER NOT NULL
);
