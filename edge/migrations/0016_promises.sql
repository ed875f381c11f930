-- Promises to pay made by customers in the portal as well as by agents:
-- each has a state, the customer's local date it was made on (grace and
-- dispute days count from it), how often its date changed, and its one
-- reminder the day before. One active promise per invoice.
ALTER TABLE promises ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'kept', 'broken', 'cancelled'));
ALTER TABLE promises ADD COLUMN source TEXT NOT NULL DEFAULT 'staff'
    CHECK (source IN ('staff', 'portal'));
ALTER TABLE promises ADD COLUMN made_on TEXT;
ALTER TABLE promises ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
-- When the reminder the day before goes (NULL: no opening left before the
-- date), and when it went.
ALTER TABLE promises ADD COLUMN remind_at INTEGER;
ALTER TABLE promises ADD COLUMN reminded_at INTEGER;
ALTER TABLE promises ADD COLUMN ended_at INTEGER;
ALTER TABLE promises ADD COLUMN ended_by TEXT;
-- Promises recorded before this migration: the latest one per invoice
-- stands if its date is still ahead and the invoice open; every other one
-- ends here (kept when the invoice is paid), never as broken.
UPDATE promises SET made_on = date(created_at / 1000, 'unixepoch');
UPDATE promises SET status = CASE
        WHEN (SELECT i.status FROM invoices i WHERE i.id = promises.invoice_id) = 'paid' THEN 'kept'
        ELSE 'cancelled' END,
    ended_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000, ended_by = 'migration'
WHERE id NOT IN (SELECT MAX(id) FROM promises GROUP BY invoice_id)
   OR promised_date < date('now')
   OR (SELECT i.status FROM invoices i WHERE i.id = promises.invoice_id) != 'open';
CREATE UNIQUE INDEX promises_one_active ON promises (invoice_id) WHERE status = 'active';
CREATE INDEX promises_by_org ON promises (organization_id, status, promised_date, id);
CREATE INDEX promises_reminder_due ON promises (remind_at) WHERE status = 'active' AND reminded_at IS NULL;
CREATE INDEX promises_active_by_date ON promises (promised_date, id) WHERE status = 'active';

-- A promise on this invoice broke: the customer may promise again only
-- after an agent agrees (0 again).
ALTER TABLE invoices ADD COLUMN promise_needs_approval INTEGER NOT NULL DEFAULT 0;

-- The organization's limits: the latest date a customer may pick, in days
-- from today, and the days after the date before an unpaid promise breaks.
ALTER TABLE organizations ADD COLUMN promise_max_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE organizations ADD COLUMN promise_grace_days INTEGER NOT NULL DEFAULT 3;

-- New kinds of email: the reminder of a promise, and (payment dates) a
-- scheduled payment that failed, a plan's decision, an instalment's reminder.
CREATE TABLE emails_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT REFERENCES customers(id),
    member_id        TEXT REFERENCES members(id),
    invoice_id       TEXT REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('invoice', 'link', 'receipt', 'payment_failed', 'reminder', 'statement', 'sign_in', 'dispute_answer',
                                                   'promise_reminder', 'scheduled_payment_failed', 'plan_decision', 'instalment_reminder')),
    dedupe_key       TEXT UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
    to_address       TEXT NOT NULL,
    subject          TEXT,
    html             TEXT,
    text             TEXT,
    provider_id      TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_attempt_at  INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    bcc              TEXT,
    not_before       INTEGER,
    retry_at         INTEGER,
    delivery         TEXT,
    delivery_at      INTEGER,
    dispute_id       TEXT,
    CHECK ((customer_id IS NULL) = (kind = 'sign_in')),
    CHECK ((member_id IS NULL) = (kind != 'sign_in'))
);
INSERT INTO emails_new (id, organization_id, customer_id, member_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at, bcc, not_before, retry_at, delivery, delivery_at, dispute_id)
SELECT id, organization_id, customer_id, member_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at, bcc, not_before, retry_at, delivery, delivery_at, dispute_id FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_by_status ON emails (status, last_attempt_at, created_at);
CREATE INDEX emails_by_invoice ON emails (organization_id, invoice_id);
CREATE INDEX emails_by_customer ON emails (organization_id, customer_id, created_at);
CREATE INDEX emails_by_provider ON emails (provider_id);
CREATE INDEX emails_waiting ON emails (not_before) WHERE status = 'queued' AND not_before IS NOT NULL;
CREATE INDEX emails_by_member ON emails (member_id, created_at) WHERE member_id IS NOT NULL;
