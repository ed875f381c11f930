-- Plans and subscriptions: the catalog, customers' subscriptions, the
-- periods each has billed (one invoice per subscription and period) and
-- the organization's billing runs.

ALTER TABLE organizations ADD COLUMN billing_cutoff_day INTEGER NOT NULL DEFAULT 1
    CHECK (billing_cutoff_day BETWEEN 1 AND 31);
ALTER TABLE organizations ADD COLUMN billing_time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE organizations ADD COLUMN billing_due_days INTEGER NOT NULL DEFAULT 14;
ALTER TABLE organizations ADD COLUMN billing_immediate_cancel INTEGER NOT NULL DEFAULT 0;

-- Plans and add-ons. Prices are JSON {"EUR": 2900} (minor units per unit
-- and period); add_ons and moves_to are JSON arrays of codes.
CREATE TABLE catalog_items (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    kind             TEXT NOT NULL CHECK (kind IN ('plan', 'add_on')),
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT,
    interval         TEXT CHECK (interval IN ('month', 'quarter', 'year')),
    prices           TEXT NOT NULL,
    tax_rate_milli   INTEGER NOT NULL DEFAULT 0,
    min_quantity     INTEGER NOT NULL,
    max_quantity     INTEGER,
    add_ons          TEXT NOT NULL DEFAULT '[]',
    moves_to         TEXT NOT NULL DEFAULT '[]',
    archived_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (organization_id, code)
);

-- A customer's subscription. `billed_to` is the first day not yet
-- invoiced: the billing run issues the period that starts there once the
-- organization's local date reaches it. add_ons is JSON
-- [{"code": "storage", "quantity": 2}].
CREATE TABLE subscriptions (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    number           TEXT NOT NULL,
    plan_id          TEXT NOT NULL REFERENCES catalog_items(id),
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    quantity         INTEGER NOT NULL,
    add_ons          TEXT NOT NULL DEFAULT '[]',
    status           TEXT NOT NULL CHECK (status IN ('active', 'canceled')),
    start_date       TEXT NOT NULL,
    billed_to        TEXT NOT NULL,
    -- The billed_to of a period the run could not bill (its reason is in
    -- the audit trail); runs pass it by until the plan is changed.
    failed_period    TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (organization_id, number)
);
CREATE INDEX subscriptions_due ON subscriptions (organization_id, status, billed_to, id);
CREATE INDEX subscriptions_due_by_date ON subscriptions (status, billed_to, organization_id);
CREATE INDEX subscriptions_by_customer ON subscriptions (customer_id, id);
CREATE INDEX subscriptions_by_org ON subscriptions (organization_id, id);

-- One row per subscription and billed period: the primary key is what
-- makes a repeated or interrupted run issue nothing twice.
CREATE TABLE subscription_periods (
    subscription_id  TEXT NOT NULL REFERENCES subscriptions(id),
    period_start     TEXT NOT NULL,
    period_end       TEXT NOT NULL,
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    billing_run_id   TEXT,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, period_start)
);

-- A billing run: one per organization and local date. Batches go through
-- the queue, each from `cursor` (the last subscription id handed out).
CREATE TABLE billing_runs (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    run_date         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('running', 'done')),
    cursor           TEXT,
    due              INTEGER NOT NULL DEFAULT 0,
    issued           INTEGER NOT NULL DEFAULT 0,
    skipped          INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    started_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    UNIQUE (organization_id, run_date)
);
CREATE INDEX billing_runs_running ON billing_runs (status, organization_id);
