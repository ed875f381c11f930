-- Disputes become conversations: what the customer says is wrong (the whole
-- invoice or some lines, a reason, the amount they expected), the messages
-- of the thread, who works it, and how it ended (a credit note, a corrected
-- invoice, or a rejection the customer may contest once). Card chargebacks
-- from Stripe are disputes too (`kind = 'chargeback'`), with Stripe's
-- amount, reason, status and evidence deadline.
--
-- SQLite cannot change a CHECK in place: `disputes` and `payments` (a new
-- ledger row kind, `credit_note`) are rebuilt with their rows, indexes and
-- triggers.
CREATE TABLE disputes_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    kind             TEXT NOT NULL DEFAULT 'company' CHECK (kind IN ('customer', 'company', 'chargeback')),
    status           TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'rejected')),
    -- Free text (company disputes), or the reason's code.
    reason           TEXT NOT NULL,
    reason_code      TEXT,
    -- JSON array of the invoice's line ids in dispute; NULL: the whole invoice.
    line_ids         TEXT,
    expected_amount  INTEGER,
    -- Minor units of the invoice's currency in dispute (what pausing holds).
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
    -- Read marks: the last message each side has seen.
    customer_read_at INTEGER,
    company_read_at  INTEGER,
    -- Chargebacks: Stripe's dispute, its amount and currency, status and
    -- evidence deadline (ms).
    stripe_dispute_id TEXT,
    currency         TEXT,
    stripe_status    TEXT,
    evidence_due_at  INTEGER
);
INSERT INTO disputes_new (id, organization_id, invoice_id, customer_id, kind, status, reason, resolution, outcome, opened_by, created_at, resolved_at, updated_at)
SELECT id, organization_id, invoice_id, customer_id, 'company', status, reason, resolution,
       CASE WHEN status = 'resolved' THEN 'resolved' END, opened_by, created_at, resolved_at, COALESCE(resolved_at, created_at) FROM disputes;
DROP TABLE disputes;
ALTER TABLE disputes_new RENAME TO disputes;
CREATE INDEX disputes_by_invoice ON disputes (invoice_id, status);
-- One open conversation per invoice; a chargeback may run beside it.
CREATE UNIQUE INDEX one_open_dispute ON disputes (invoice_id) WHERE status = 'open' AND kind != 'chargeback';
-- A card dispute has one record per invoice its payment paid.
CREATE UNIQUE INDEX disputes_by_stripe ON disputes (stripe_dispute_id, invoice_id) WHERE stripe_dispute_id IS NOT NULL;
CREATE INDEX disputes_by_org ON disputes (organization_id, status, id);
CREATE INDEX disputes_by_customer ON disputes (organization_id, customer_id, id);

-- The messages of a thread, in order; never changed.
CREATE TABLE dispute_messages (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    dispute_id       TEXT NOT NULL REFERENCES disputes(id),
    author           TEXT NOT NULL CHECK (author IN ('customer', 'member', 'system')),
    member_id        TEXT REFERENCES members(id),
    author_name      TEXT NOT NULL,
    -- What the thread shows (an emailed reply without its quoted history).
    body             TEXT NOT NULL,
    -- The whole message as received, when the thread shows less of it.
    full_body        TEXT,
    via              TEXT NOT NULL CHECK (via IN ('portal', 'console', 'api', 'email', 'stripe', 'system')),
    created_at       INTEGER NOT NULL
);
CREATE INDEX dispute_messages_by_thread ON dispute_messages (dispute_id, id);
CREATE TRIGGER dispute_messages_append_only_update BEFORE UPDATE ON dispute_messages
BEGIN SELECT RAISE(ABORT, 'dispute messages are never changed'); END;
CREATE TRIGGER dispute_messages_append_only_delete BEFORE DELETE ON dispute_messages
BEGIN SELECT RAISE(ABORT, 'dispute messages are never changed'); END;

-- Credit notes: a document the customer can open and print; its amount is
-- a ledger row of kind `credit_note` on the invoice.
CREATE TABLE credit_notes (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    dispute_id       TEXT REFERENCES disputes(id),
    number           TEXT NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    reason           TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (organization_id, number)
);
CREATE INDEX credit_notes_by_invoice ON credit_notes (organization_id, invoice_id);

CREATE TABLE payments_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'chargeback', 'reversal', 'credit_note')),
    method           TEXT NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    reference        TEXT,
    received_on      TEXT NOT NULL,
    external_id      TEXT UNIQUE,
    created_at       INTEGER NOT NULL
);
INSERT INTO payments_new (id, organization_id, invoice_id, kind, method, amount, currency, reference, received_on, external_id, created_at)
SELECT id, organization_id, invoice_id, kind, method, amount, currency, reference, received_on, external_id, created_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_by_invoice ON payments (organization_id, invoice_id, id);
CREATE TRIGGER payments_append_only_update BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'the payments ledger is append-only'); END;
CREATE TRIGGER payments_append_only_delete BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'the payments ledger is append-only'); END;
