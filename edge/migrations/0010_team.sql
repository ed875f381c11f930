-- The company's team: members with a role, signed in by an emailed link
-- into a server-side session that can be listed and revoked.

CREATE TABLE members (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    email_lower      TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    -- The language of their emails and, by default, of the console.
    locale           TEXT NOT NULL DEFAULT 'en',
    -- The member who invited them (none for the first admin).
    invited_by       TEXT,
    created_at       INTEGER NOT NULL,
    last_sign_in_at  INTEGER,
    removed_at       INTEGER
);
-- One active member per address in an organization; a removed member's
-- address can be invited again.
CREATE UNIQUE INDEX members_by_email ON members (organization_id, email_lower) WHERE removed_at IS NULL;
-- A sign-in request looks the address up in every organization.
CREATE INDEX members_by_address ON members (email_lower) WHERE removed_at IS NULL;
CREATE INDEX members_by_org ON members (organization_id, removed_at, created_at);

-- A sign-in link: its token is derived from the email that carries it and
-- only its hash is kept. Single use, valid 15 minutes.
CREATE TABLE sign_in_links (
    token_hash       TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    member_id        TEXT NOT NULL REFERENCES members(id),
    email_id         TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER,
    created_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sign_in_links_by_member ON sign_in_links (member_id, created_at);

CREATE TABLE staff_sessions (
    id               TEXT PRIMARY KEY,
    token_hash       TEXT NOT NULL UNIQUE,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    member_id        TEXT NOT NULL REFERENCES members(id),
    ip               TEXT,
    user_agent       TEXT,
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    ended_at         INTEGER
);
CREATE INDEX staff_sessions_by_member ON staff_sessions (member_id, created_at);

-- Accounts are assigned to agents.
ALTER TABLE customers ADD COLUMN assigned_to TEXT;
CREATE INDEX customers_by_assignee ON customers (organization_id, assigned_to, id);

-- Emails to team members (sign-in links) have no customer: the table is
-- rebuilt so that `customer_id` may be empty when `member_id` is set, and
-- the kind `sign_in` is allowed. SQLite cannot change a column's NOT NULL
-- or a CHECK in place.
CREATE TABLE emails_new (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT REFERENCES customers(id),
    member_id        TEXT REFERENCES members(id),
    invoice_id       TEXT REFERENCES invoices(id),
    kind             TEXT NOT NULL CHECK (kind IN ('invoice', 'link', 'receipt', 'payment_failed', 'reminder', 'statement', 'sign_in')),
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
    CHECK ((customer_id IS NULL) = (kind = 'sign_in')),
    CHECK ((member_id IS NULL) = (kind != 'sign_in'))
);
INSERT INTO emails_new (id, organization_id, customer_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at, bcc, not_before, retry_at, delivery, delivery_at)
SELECT id, organization_id, customer_id, invoice_id, kind, dedupe_key, status, to_address, subject, html, text,
    provider_id, attempts, last_attempt_at, last_error, created_at, sent_at, bcc, not_before, retry_at, delivery, delivery_at FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_by_status ON emails (status, last_attempt_at, created_at);
CREATE INDEX emails_by_invoice ON emails (organization_id, invoice_id);
CREATE INDEX emails_by_customer ON emails (organization_id, customer_id, created_at);
CREATE INDEX emails_by_provider ON emails (provider_id);
CREATE INDEX emails_waiting ON emails (not_before) WHERE status = 'queued' AND not_before IS NOT NULL;
CREATE INDEX emails_by_member ON emails (member_id, created_at) WHERE member_id IS NOT NULL;
