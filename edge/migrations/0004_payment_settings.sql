-- How an organization takes payments: partial payments (with a minimum, in
-- minor units of the invoice's currency) and the Checkout payment methods
-- it offers (card always; sepa_debit applies to EUR, us_bank_account to USD).
ALTER TABLE organizations ADD COLUMN allow_partial_payments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN min_partial_amount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN payment_methods TEXT NOT NULL DEFAULT 'card,sepa_debit';
