-- The collections worklist: calls and notes agents log on an account, and
-- follow-up tasks due at a time. Overdue invoices are found by due date.
CREATE TABLE activities (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    member_id        TEXT,
    actor            TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('call', 'note')),
    outcome          TEXT CHECK (outcome IN ('promised', 'refused', 'wrong_contact', 'no_answer')),
    body             TEXT NOT NULL,
    invoice_id       TEXT,
    promise_id       TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX activities_by_customer ON activities (organization_id, customer_id, created_at);

CREATE TABLE tasks (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    assigned_to      TEXT NOT NULL,
    due_at           INTEGER NOT NULL,
    note             TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    done_at          INTEGER,
    done_by          TEXT
);
CREATE INDEX tasks_open_by_assignee ON tasks (organization_id, assigned_to, due_at) WHERE status = 'open';
CREATE INDEX tasks_by_customer ON tasks (organization_id, customer_id, due_at);

CREATE INDEX invoices_open_by_due ON invoices (organization_id, due_date) WHERE status = 'open';
