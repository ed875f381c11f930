-- Exchange rates to each organization's base currency (its default
-- currency), set by its admins: one current rate per currency, in
-- billionths (0.92 is 920000000). Each invoice and each ledger row copies
-- the rate current when it is written, so the metrics in the base currency
-- count them at the rate of when they happened, never today's.
CREATE TABLE exchange_rates (
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    base_currency    TEXT NOT NULL CHECK (length(base_currency) = 3),
    rate             INTEGER NOT NULL CHECK (rate > 0),
    set_at           INTEGER NOT NULL,
    set_by           TEXT,
    PRIMARY KEY (organization_id, currency)
);

ALTER TABLE invoices ADD COLUMN base_currency TEXT;
ALTER TABLE invoices ADD COLUMN base_rate INTEGER;
ALTER TABLE payments ADD COLUMN base_currency TEXT;
ALTER TABLE payments ADD COLUMN base_rate INTEGER;
