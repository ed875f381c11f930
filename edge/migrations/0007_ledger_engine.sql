-- The ledger engine decides in Rust between a read and a write; writes are
-- conditional on what was read. Expand only: old code ignores both.

-- Raised by every write of an invoice's money or status.
ALTER TABLE invoices ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- Never holds a row. A write batch inserts into it only when something it
-- was decided on has changed; the CHECK then fails the whole batch, and the
-- worker reads again and decides again.
CREATE TABLE write_conflicts (
    never INTEGER NOT NULL,
    CONSTRAINT write_conflict CHECK (never = 0)
);

-- Sessions still processing, oldest first (the sweep reads them without a scan).
CREATE INDEX checkout_sessions_by_state ON checkout_sessions (state, created_at);
