-- Early-payment discounts: an invoice's terms (basis points off the total,
-- days from issue), the discount a Checkout session was opened with (paid
-- later, it is still honoured), and a new ledger row kind, `discount`: the
-- allowance that closes the invoice at zero, and `discount_reversal`: the
-- allowance taken back when its payment is refunded in full. SQLite cannot change a CHECK
-- in place: `payments` is rebuilt with its rows, index and triggers.
ALTER TABLE invoices ADD COLUMN early_payment_bp INTEGER;
ALTER TABLE invoices ADD COLUMN early_payment_days INTEGER;
ALTER TABLE checkout_sessions ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;

CREATE TABLE payments_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'chargeback', 'reversal', 'credit_note', 'discount', 'discount_reversal')),
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
