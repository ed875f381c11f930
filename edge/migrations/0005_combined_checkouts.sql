-- A Checkout Session may pay several invoices: all of them, as a JSON array
-- (the first is also in invoice_id). NULL for sessions of one invoice.
ALTER TABLE checkout_sessions ADD COLUMN invoice_ids TEXT;
