-- Files in dispute threads, replies by email, and the email that tells a
-- customer the company answered while they were away.
--
-- A reply by email to an invoice that has no dispute lands in a
-- conversation: a thread about the invoice (`kind = 'conversation'`) that
-- holds no reminders and no amount. SQLite cannot change a CHECK in place:
-- `disputes` and `emails` are rebuilt with their rows and indexes (message
-- rows keep pointing at their disputes: the ids do not change).
PRAGMA defer_foreign_keys = on;

CREATE TABLE disputes_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    kind             TEXT NOT NULL DEFAULT 'company' CHECK (kind IN ('customer', 'company', 'chargeback', 'conversation')),
    status           TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'rejected')),
    reason           TEXT NOT NULL,
    reason_code      TEXT,
    line_ids         TEXT,
    expected_amount  INTEGER,
    disputed_amount  INTEGER NOT NULL DEFAULT 0,
    resolution       TEXT,
    outcome          TEXT CHECK (outcome IN ('credit_note', 'corrected_invoice', 'rejected', 'resolved', 'won', 'lost')),
    credit_note_id   TEXT,
    replaced_by      TEXT,
    assigned_to      TEXT REFERENCES members(id),
    reopened         INTEGER NOT NULL DEFAULT 0,
    opened_by        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    resolved_at      INTEGER,
    updated_at       INTEGER NOT NULL DEFAULT 0,
    last_message_at  INTEGER,
    customer_read_at INTEGER,
    company_read_at  INTEGER,
    stripe_dispute_id TEXT,
    currency         TEXT,
    stripe_status    TEXT,
    evidence_due_at  INTEGER,
    -- The last "the company answered" email sent to the customer for this
    -- thread (one per absence, not one per message).
    away_emailed_at  INTEGER
);
INSERT INTO disputes_new (id, organization_id, invoice_id, customer_id, kind, status, reason, reason_code, line_ids, expected_amount,
    disputed_amount, resolution, outcome, credit_note_id, replaced_by, assigned_to, reopened, opened_by, created_at, resolved_at,
    updated_at, last_message_at, customer_read_at, company_read_at, stripe_dispute_id, currency, stripe_status, evidence_due_at)
SELECT id, organization_id, invoice_id, customer_id, kind, status, reason, reason_code, line_ids, expected_amount,
    disputed_amount, resolution, outcome, credit_note_id, replaced_by, assigned_to, reopened, opened_by, created_at, resolved_at,
    updated_at, last_message_at, customer_read_at, company_read_at, stripe_dispute_id, currency, stripe_status, evidence_due_at FROM disputes;
DROP TABLE disputes;
ALTER TABLE disputes_new RENAME TO disputes;
CREATE INDEX disputes_by_invoice ON disputes (invoice_id, status);
-- One open dispute per invoice; a chargeback and a conversation may run
-- beside it.
CREATE UNIQUE INDEX one_open_dispute ON disputes (invoice_id) WHERE status = 'open' AND kind IN ('customer', 'company');
-- One open conversation per invoice.
CREATE UNIQUE INDEX one_open_conversation ON disputes (invoice_id) WHERE status = 'open' AND kind = 'conversation';
CREATE UNIQUE INDEX disputes_by_stripe ON disputes (stripe_dispute_id, invoice_id) WHERE stripe_dispute_id IS NOT NULL;
CREATE INDEX disputes_by_org ON disputes (organization_id, status, id);
CREATE INDEX disputes_by_customer ON disputes (organization_id, customer_id, id);

CREATE TABLE emails_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT REFERENCES customers(id),
    member_id        TEXT REFERENCES members(id),
    invoice_id       TEXT REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('invoice', 'link', 'receipt', 'payment_failed', 'reminder', 'statement', 'sign_in', 'dispute_answer')),
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
    -- The thread an email is about (an answer while the customer was away).
    dispute_id       TEXT,
    CHECK ((customer_id IS NULL) = (kind = 'sign_in')),
    CHECK ((member_id IS NULL) = (kind != 'sign_in'))
);
INSERT INTO emails_new (id, organization_id, customer_id, member_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at, bcc, not_before, retry_at, delivery, delivery_at)
SELECT id, organization_id, customer_id, member_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at, bcc, not_before, retry_at, delivery, delivery_at FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_by_status ON emails (status, last_attempt_at, created_at);
CREATE INDEX emails_by_invoice ON emails (organization_id, invoice_id);
CREATE INDEX emails_by_customer ON emails (organization_id, customer_id, created_at);
CREATE INDEX emails_by_provider ON emails (provider_id);
CREATE INDEX emails_waiting ON emails (not_before) WHERE status = 'queued' AND not_before IS NOT NULL;
CREATE INDEX emails_by_member ON emails (member_id, created_at) WHERE member_id IS NOT NULL;

-- Files in threads: the bytes in R2 (`FILES`), what they are here. The
-- type is what the content is, never what the name said.
CREATE TABLE dispute_attachments (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    dispute_id       TEXT NOT NULL REFERENCES disputes(id),
    message_id       TEXT NOT NULL UNIQUE REFERENCES dispute_messages(id),
    name             TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    bytes            INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    r2_key           TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX dispute_attachments_by_thread ON dispute_attachments (dispute_id);

-- Emails received (replies), once each: the provider's id, whom the reply
-- named, and what became of it.
CREATE TABLE inbound_emails (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT,
    email_id         TEXT,
    dispute_id       TEXT,
    message_id       TEXT,
    from_address     TEXT NOT NULL,
    subject          TEXT,
    -- `delivered` (a message in a thread) or why not: `unknown_address`,
    -- `no_customer`, `empty`.
    outcome          TEXT NOT NULL,
    received_at      INTEGER NOT NULL
);

-- "Reply received" on the account until someone of the company reads it.
ALTER TABLE customers ADD COLUMN reply_received_at INTEGER;
