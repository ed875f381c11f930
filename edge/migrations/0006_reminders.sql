-- Reminders (dunning): policies, segments, templates, occurrences, and what
-- stops a reminder (promises, disputes, opt-outs, bouncing addresses).

-- The send window and other reminder settings, as JSON (NULL: defaults).
ALTER TABLE organizations ADD COLUMN reminder_settings TEXT;

CREATE TABLE reminder_policies (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    -- JSON array of steps (settle_shared::reminders::ReminderStep).
    steps            TEXT NOT NULL,
    is_default       INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX policies_by_org ON reminder_policies (organization_id, id);
CREATE UNIQUE INDEX one_default_policy ON reminder_policies (organization_id) WHERE is_default = 1;

CREATE TABLE segments (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    priority         INTEGER NOT NULL,
    -- JSON (settle_shared::reminders::SegmentRules).
    rules            TEXT NOT NULL,
    policy_id        TEXT NOT NULL REFERENCES reminder_policies(id),
    created_at       INTEGER NOT NULL
);
CREATE INDEX segments_by_org ON segments (organization_id, priority, id);

-- The organization's own versions of templates; built-in ones otherwise.
CREATE TABLE email_templates (
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    key              TEXT NOT NULL,
    locale           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (organization_id, key, locale)
);

ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE customers ADD COLUMN reminders_opt_out INTEGER NOT NULL DEFAULT 0;
-- `ok`, or why mail to the address stopped: `bounced`, `complained`.
ALTER TABLE customers ADD COLUMN email_status TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE customers ADD COLUMN email_status_at INTEGER;
ALTER TABLE customers ADD COLUMN flagged_at INTEGER;
ALTER TABLE customers ADD COLUMN flag_reason TEXT;
ALTER TABLE customers ADD COLUMN payment_plans_blocked INTEGER NOT NULL DEFAULT 0;
-- When the next monthly statement is looked at (NULL: no open items).
ALTER TABLE customers ADD COLUMN next_statement_at INTEGER;
CREATE INDEX customers_next_statement ON customers (next_statement_at, id) WHERE next_statement_at IS NOT NULL;

-- Steps with a window opening after the cursor and before now are due.
-- NULL cursor: not planned yet (the invoice's creation time is used).
ALTER TABLE invoices ADD COLUMN reminder_cursor INTEGER;
ALTER TABLE invoices ADD COLUMN next_reminder_at INTEGER;
-- The cron reads only due rows of this index, never all open invoices.
CREATE INDEX invoices_next_reminder ON invoices (next_reminder_at, id)
    WHERE status = 'open' AND next_reminder_at IS NOT NULL;
-- Invoices open before reminders existed start from now.
UPDATE invoices SET reminder_cursor = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
    next_reminder_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
    WHERE status = 'open';
UPDATE customers SET next_statement_at = CAST(strftime('%s', date('now', 'start of month', '+1 month')) AS INTEGER) * 1000
    WHERE id IN (SELECT customer_id FROM invoices WHERE status = 'open');

-- One row per (invoice, policy, step): the key makes it happen at most once.
CREATE TABLE reminder_occurrences (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    policy_id        TEXT NOT NULL,
    offset_days      INTEGER NOT NULL,
    tone             TEXT NOT NULL,
    template         TEXT NOT NULL,
    actions          TEXT NOT NULL DEFAULT '[]',
    -- The window opening the step was due at.
    due_at           INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'skipped', 'failed')),
    skip_reason      TEXT,
    email_id         TEXT,
    amount_due       INTEGER,
    actions_applied_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX occurrences_by_invoice ON reminder_occurrences (organization_id, invoice_id, due_at);
CREATE INDEX occurrences_by_customer ON reminder_occurrences (organization_id, customer_id, due_at);
CREATE INDEX occurrences_by_email ON reminder_occurrences (email_id);
-- Sent steps whose actions (late fee, flag…) are still to apply: the cron
-- finishes what a stopped worker left.
CREATE INDEX occurrences_actions_pending ON reminder_occurrences (email_id)
    WHERE status = 'sent' AND actions != '[]' AND actions_applied_at IS NULL;

CREATE TABLE promises (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    promised_date    TEXT NOT NULL,
    note             TEXT,
    created_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX promises_by_invoice ON promises (invoice_id, promised_date);

CREATE TABLE disputes (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    status           TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    reason           TEXT NOT NULL,
    resolution       TEXT,
    opened_by        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    resolved_at      INTEGER
);
CREATE INDEX disputes_by_invoice ON disputes (invoice_id, status);
CREATE UNIQUE INDEX one_open_dispute ON disputes (invoice_id) WHERE status = 'open';

-- Things the company should look at: a bouncing address, a complaint.
CREATE TABLE alerts (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    kind             TEXT NOT NULL,
    customer_id      TEXT REFERENCES customers(id),
    message          TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    resolved_at      INTEGER
);
CREATE INDEX alerts_by_org ON alerts (organization_id, id);

-- Delivery events from the email provider, by their id: applied once.
CREATE TABLE email_events (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT,
    provider_id      TEXT NOT NULL,
    type             TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    received_at      INTEGER NOT NULL
);

-- Emails gain the reminder and statement kinds, a blind copy, a time
-- before which they wait (outside the send window), when a retry is due,
-- and what the provider said about delivery. SQLite cannot change a CHECK: the table is rebuilt.
CREATE TABLE emails_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    invoice_id       TEXT REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('invoice', 'link', 'receipt', 'payment_failed', 'reminder', 'statement')),
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
    -- Outside the send window: wait until then (no queue message pending).
    not_before       INTEGER,
    -- A failed attempt's retry is on the queue for then.
    retry_at         INTEGER,
    delivery         TEXT,
    delivery_at      INTEGER
);
INSERT INTO emails_new (id, organization_id, customer_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at)
SELECT id, organization_id, customer_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_by_status ON emails (status, last_attempt_at, created_at);
CREATE INDEX emails_by_invoice ON emails (organization_id, invoice_id);
CREATE INDEX emails_by_customer ON emails (organization_id, customer_id, created_at);
CREATE INDEX emails_by_provider ON emails (provider_id);
CREATE INDEX emails_waiting ON emails (not_before) WHERE status = 'queued' AND not_before IS NOT NULL;

-- A customer's timeline reads audit rows that name the customer.
CREATE INDEX audit_by_customer ON audit_events (organization_id, json_extract(detail, '$.customer_id'));

-- The demo clock (`cargo xtask clock`): read only when the worker runs
-- with CLOCK_TRAVEL set, which only local development and tests do.
CREATE TABLE dev_clock (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    offset_ms  INTEGER NOT NULL
);
