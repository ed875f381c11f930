-- A scheduled charge for an instalment of a plan over several invoices
-- spreads over them, the oldest due first. The split is written down with
-- the attempt (`inv_a:9500,inv_b:500`), so that asking Stripe again after a
-- crash sends the same parameters under the same idempotency key, and the
-- ledger books each invoice's part from the PaymentIntent's metadata.
ALTER TABLE scheduled_payments ADD COLUMN attempt_allocation TEXT;
