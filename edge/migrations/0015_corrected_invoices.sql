-- A dispute resolved with a corrected invoice: the old invoice is voided and
-- the new one names it. An invoice is replaced at most once (the unique
-- index), so a repeated or concurrent resolution cannot issue two.
ALTER TABLE invoices ADD COLUMN replaces_invoice_id TEXT REFERENCES invoices(id);
CREATE UNIQUE INDEX invoices_replaces ON invoices (replaces_invoice_id) WHERE replaces_invoice_id IS NOT NULL;
-- The dispute names the invoice that replaced its own.
ALTER TABLE disputes RENAME COLUMN replaced_by TO corrected_invoice_id;

-- The customer's last message (by the portal or by email): with their read
-- mark, when they were last in the thread; it decides the away email, one
-- per absence, so the mark of the last one sent is no longer kept.
ALTER TABLE disputes ADD COLUMN customer_wrote_at INTEGER;
UPDATE disputes SET customer_wrote_at =
    (SELECT MAX(m.created_at) FROM dispute_messages m WHERE m.dispute_id = disputes.id AND m.author = 'customer');
ALTER TABLE disputes DROP COLUMN away_emailed_at;
