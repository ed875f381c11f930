-- CSV imports. A file is checked whole first (nothing is written while
-- any row has an error); its rows are then kept in R2 in parts and
-- written part by part through the queue, each part in one D1 batch that
-- also moves `cursor`, so a killed import resumes where it stopped and
-- writes nothing twice.
CREATE TABLE imports (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    kind             TEXT NOT NULL CHECK (kind IN ('customers', 'invoices', 'subscriptions')),
    status           TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    rows             INTEGER NOT NULL,
    parts            INTEGER NOT NULL,
    cursor           INTEGER NOT NULL DEFAULT 0,
    written          INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_by       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX imports_by_org ON imports (organization_id, id);
CREATE INDEX imports_running ON imports (status, updated_at);

-- Imports (and the API) find a customer by the company's reference.
CREATE INDEX customers_by_reference ON customers (organization_id, external_id) WHERE external_id IS NOT NULL;
