-- Settle's first schema: tenants, customers, invoices, the payments ledger,
-- customer links and sessions, emails, rate limits and the audit trail.
-- Times are Unix milliseconds (INTEGER); dates are 'YYYY-MM-DD' (TEXT);
-- money is INTEGER minor units beside a currency code.

CREATE TABLE organizations (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    logo_url       TEXT,
    primary_color  TEXT,
    support_email  TEXT NOT NULL,
    link_ttl_days  INTEGER NOT NULL DEFAULT 30 CHECK (link_ttl_days BETWEEN 1 AND 365),
    created_at     INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    key_hash         TEXT NOT NULL UNIQUE,
    hint             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER
);

CREATE TABLE customers (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    email_lower      TEXT NOT NULL,
    locale           TEXT NOT NULL DEFAULT 'en',
    time_zone        TEXT NOT NULL DEFAULT 'UTC',
    external_id      TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX customers_by_org ON customers (organization_id, id);
CREATE INDEX customers_by_email ON customers (email_lower);

CREATE TABLE invoices (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    number           TEXT NOT NULL,
    currency         TEXT NOT NULL CHECK (length(currency) = 3),
    status           TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void')),
    issue_date       TEXT NOT NULL,
    due_date         TEXT NOT NULL,
    memo             TEXT,
    subtotal         INTEGER NOT NULL CHECK (subtotal >= 0),
    tax              INTEGER NOT NULL CHECK (tax >= 0),
    total            INTEGER NOT NULL CHECK (total = subtotal + tax),
    -- Maintained only in the same batch as a ledger insert (see payments).
    amount_paid      INTEGER NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    sent_at          INTEGER,
    voided_at        INTEGER,
    created_at       INTEGER NOT NULL,
    UNIQUE (organization_id, number)
);
CREATE INDEX invoices_by_org ON invoices (organization_id, id);
CREATE INDEX invoices_by_org_status ON invoices (organization_id, status, id);
CREATE INDEX invoices_by_customer ON invoices (organization_id, customer_id, id);

CREATE TABLE invoice_lines (
    invoice_id      TEXT NOT NULL REFERENCES invoices(id),
    position        INTEGER NOT NULL,
    description     TEXT NOT NULL,
    quantity_milli  INTEGER NOT NULL CHECK (quantity_milli > 0),
    unit_amount     INTEGER NOT NULL CHECK (unit_amount >= 0),
    tax_rate_milli  INTEGER NOT NULL CHECK (tax_rate_milli BETWEEN 0 AND 100000),
    net             INTEGER NOT NULL,
    tax             INTEGER NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

-- The payments ledger: rows are only ever added.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    invoice_id       TEXT NOT NULL REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'chargeback', 'reversal')),
    method           TEXT NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    reference        TEXT,
    received_on      TEXT NOT NULL,
    external_id      TEXT UNIQUE,
    created_at       INTEGER NOT NULL
);
CREATE INDEX payments_by_invoice ON payments (organization_id, invoice_id, id);
CREATE TRIGGER payments_append_only_update BEFORE UPDATE ON payments
BEGIN SELECT RAISE(ABORT, 'the payments ledger is append-only'); END;
CREATE TRIGGER payments_append_only_delete BEFORE DELETE ON payments
BEGIN SELECT RAISE(ABORT, 'the payments ledger is append-only'); END;

-- Customer links: the token is never stored, only its SHA-256.
CREATE TABLE access_links (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    token_hash       TEXT NOT NULL UNIQUE,
    invoice_id       TEXT REFERENCES invoices(id),
    expires_at       INTEGER NOT NULL,
    revoked_at       INTEGER,
    created_at       INTEGER NOT NULL
);
CREATE INDEX access_links_by_customer ON access_links (organization_id, customer_id);

CREATE TABLE customer_sessions (
    token_hash       TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    link_id          TEXT NOT NULL REFERENCES access_links(id),
    expires_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    created_at       INTEGER NOT NULL
);

-- Every email Settle sends or tries to send (the outbox). The stored content
-- has the link token replaced by the link id: tokens are never at rest.
CREATE TABLE emails (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    invoice_id       TEXT REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('invoice', 'link', 'receipt', 'payment_failed')),
    -- Emails that must go out once per fact (a receipt per payment) carry
    -- the fact here; a second row for it is ignored.
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
    sent_at          INTEGER
);
CREATE INDEX emails_by_status ON emails (status, last_attempt_at, created_at);
CREATE INDEX emails_by_invoice ON emails (organization_id, invoice_id);

CREATE TABLE rate_limits (
    key           TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL
);

-- The audit trail: rows are only ever added.
CREATE TABLE audit_events (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT,
    actor            TEXT NOT NULL,
    action           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    ip               TEXT,
    detail           TEXT NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL
);
CREATE INDEX audit_by_org ON audit_events (organization_id, id);
CREATE INDEX audit_by_subject ON audit_events (organization_id, subject, id);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
