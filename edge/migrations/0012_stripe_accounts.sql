-- Each organization's own Stripe account: its secret (or restricted) key
-- and its webhook endpoint's signing secret, both sealed with AES-256-GCM
-- under a key from the Worker secret ENCRYPTION_KEY (never stored in
-- clear), with their last four characters to show. Organizations without a
-- row use the deployment's account (STRIPE_SECRET_KEY), if any.
-- `check_report` is the JSON of the last "check connection".
CREATE TABLE stripe_accounts (
  organization_id TEXT PRIMARY KEY REFERENCES organizations(id),
  secret_key_sealed TEXT NOT NULL,
  secret_key_last4 TEXT NOT NULL,
  webhook_secret_sealed TEXT NOT NULL,
  webhook_secret_last4 TEXT NOT NULL,
  livemode INTEGER NOT NULL CHECK (livemode IN (0, 1)),
  account_id TEXT,
  account_name TEXT,
  checked_at INTEGER,
  check_ok INTEGER CHECK (check_ok IN (0, 1)),
  check_report TEXT,
  connected_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  -- When the reconciliation sweep last asked this account (it asks a few
  -- accounts per run, the least recently asked first).
  swept_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX stripe_accounts_by_swept ON stripe_accounts (swept_at);
-- One organization per Stripe account: every endpoint of an account gets
-- all its events, and two organizations would each take the other's.
CREATE UNIQUE INDEX stripe_accounts_by_account ON stripe_accounts (account_id) WHERE account_id IS NOT NULL;
