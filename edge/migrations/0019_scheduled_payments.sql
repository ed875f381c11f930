-- Scheduled automatic payments and autopay: a customer saves a card or bank
-- account (Stripe Checkout in setup mode, attached to a Stripe customer of
-- the organization's own account) and has an invoice charged on a date they
-- choose, or every future invoice on its due date (autopay).

-- The Stripe customer that holds a customer's saved methods, per Stripe
-- account (an organization that changes accounts starts again).
ALTER TABLE customers ADD COLUMN stripe_customer_id TEXT;
ALTER TABLE customers ADD COLUMN stripe_customer_account TEXT;
-- Autopay: future invoices are charged on their due date with this method.
ALTER TABLE customers ADD COLUMN autopay_method_id TEXT;

CREATE TABLE payment_methods (
    -- Stripe's PaymentMethod id (pm_…).
    id                  TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(id),
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    stripe_customer_id  TEXT NOT NULL,
    -- The Stripe account that holds it.
    account             TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('card', 'sepa_debit', 'us_bank_account')),
    brand               TEXT,
    last4               TEXT NOT NULL,
    exp_month           INTEGER,
    exp_year            INTEGER,
    created_at          INTEGER NOT NULL,
    removed_at          INTEGER
);
CREATE INDEX payment_methods_by_customer ON payment_methods (customer_id, created_at);

CREATE TABLE scheduled_payments (
    id                  TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(id),
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    invoice_id          TEXT NOT NULL REFERENCES invoices(id),
    payment_method_id   TEXT NOT NULL REFERENCES payment_methods(id),
    -- The customer's date, and the instant (ms) the first charge is due:
    -- the opening of the send window on that date.
    charge_on           TEXT NOT NULL,
    -- `portal` (the customer chose the date), `autopay` (the due date) or
    -- `plan` (an instalment of an active plan, with autopay on).
    source              TEXT NOT NULL CHECK (source IN ('portal', 'autopay', 'plan')),
    -- An instalment's charge takes at most what is left of it.
    amount_cap          INTEGER,
    plan_id             TEXT REFERENCES payment_plans(id),
    instalment          INTEGER,
    status              TEXT NOT NULL CHECK (status IN ('scheduled', 'charging', 'processing', 'retrying', 'paid', 'failed', 'cancelled')),
    -- Attempts made or under way; the one under way is written down before
    -- Stripe is asked (its key and amount), so a retried job asks again with
    -- the same Idempotency-Key and Stripe charges once.
    attempts            INTEGER NOT NULL DEFAULT 0,
    attempt_key         TEXT,
    attempt_amount      INTEGER,
    -- The early-payment discount the attempt's amount takes (0: none).
    attempt_discount    INTEGER NOT NULL DEFAULT 0,
    -- When the job is due next (ms): the first charge, a retry, or a check
    -- on a charge under way.
    next_attempt_at     INTEGER,
    payment_intent_id   TEXT,
    last_error          TEXT,
    last_error_code     TEXT,
    changes             INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    ended_at            INTEGER,
    ended_by            TEXT
);
CREATE UNIQUE INDEX one_live_schedule ON scheduled_payments (invoice_id)
    WHERE status IN ('scheduled', 'charging', 'processing', 'retrying');
CREATE INDEX schedules_due ON scheduled_payments (next_attempt_at)
    WHERE status IN ('scheduled', 'charging', 'processing', 'retrying');
-- One charge per instalment, ever: a declined one is retried, not remade.
CREATE UNIQUE INDEX one_charge_per_instalment ON scheduled_payments (plan_id, instalment)
    WHERE plan_id IS NOT NULL;
CREATE INDEX schedules_by_org ON scheduled_payments (organization_id, id);
CREATE INDEX schedules_by_invoice ON scheduled_payments (invoice_id, id);
CREATE INDEX schedules_by_customer ON scheduled_payments (customer_id, status);
-- Whole, not partial: SQLite looks children up by it when a method is
-- written (the foreign key), and removing a method finds its schedules.
CREATE INDEX schedules_by_method ON scheduled_payments (payment_method_id);

-- Days after the charge date that a failed charge is tried again.
ALTER TABLE organizations ADD COLUMN autopay_retry_days TEXT NOT NULL DEFAULT '3,7';
