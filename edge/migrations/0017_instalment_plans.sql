-- Instalment plans: a customer's proposal to split what is left on an
-- invoice into dated instalments. Inside the organization's rules it is
-- active at once; otherwise a supervisor approves or rejects it. The
-- customer's agreement is kept as evidence: the terms as shown, the time,
-- their IP address and browser.
CREATE TABLE payment_plans (
    id                  TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(id),
    invoice_id          TEXT NOT NULL REFERENCES invoices(id),
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    currency            TEXT NOT NULL,
    -- What was left to pay when proposed, and what had been paid by then:
    -- payments after that count towards the instalments.
    total               INTEGER NOT NULL CHECK (total > 0),
    start_paid          INTEGER NOT NULL,
    -- JSON: [{"date": "YYYY-MM-DD", "amount": minor}, …]
    instalments         TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'rejected', 'completed', 'broken', 'cancelled')),
    -- JSON: where the proposal went past the rules ([] when inside them).
    outside_rules       TEXT NOT NULL DEFAULT '[]',
    terms               TEXT NOT NULL,
    agreed_at           INTEGER NOT NULL,
    agreed_ip           TEXT,
    agreed_user_agent   TEXT,
    decided_by          TEXT,
    decided_at          INTEGER,
    decision_message    TEXT,
    -- Days after an instalment's date before a missed one ends the plan,
    -- as written in the terms the customer agreed to.
    grace_days          INTEGER NOT NULL DEFAULT 3,
    -- The last instalment whose reminder went (-1: none yet).
    reminded_through    INTEGER NOT NULL DEFAULT -1,
    created_at          INTEGER NOT NULL,
    ended_at            INTEGER
);
CREATE UNIQUE INDEX one_live_plan ON payment_plans (invoice_id) WHERE status IN ('proposed', 'active');
CREATE INDEX plans_by_org ON payment_plans (organization_id, status, id);
CREATE INDEX plans_by_invoice ON payment_plans (invoice_id, id);
CREATE INDEX plans_live ON payment_plans (id) WHERE status IN ('proposed', 'active');

ALTER TABLE organizations ADD COLUMN plan_max_count INTEGER NOT NULL DEFAULT 6;
ALTER TABLE organizations ADD COLUMN plan_min_instalment INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE organizations ADD COLUMN plan_max_span_days INTEGER NOT NULL DEFAULT 90;
