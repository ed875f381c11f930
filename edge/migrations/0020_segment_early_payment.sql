-- Early-payment terms per customer segment: an invoice issued without terms
-- of its own takes those of the first segment (by priority) its customer
-- and amount fall in.
ALTER TABLE segments ADD COLUMN early_payment_bp INTEGER;
ALTER TABLE segments ADD COLUMN early_payment_days INTEGER;
