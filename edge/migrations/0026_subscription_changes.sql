-- Self-service changes: a version each change raises (a change names the
-- version it was quoted on), a cancellation at the end of the period, and
-- credit from changes not yet used (tax included, minor units), taken
-- off the next invoice by the billing run.
ALTER TABLE subscriptions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN cancel_at TEXT;
ALTER TABLE subscriptions ADD COLUMN credit INTEGER NOT NULL DEFAULT 0 CHECK (credit >= 0);
-- Credit notes from subscription changes name the subscription.
ALTER TABLE credit_notes ADD COLUMN subscription_id TEXT REFERENCES subscriptions(id);
