-- Outgoing webhooks: the organization's endpoints, the events it emits,
-- one delivery per event and endpoint, and each attempt (the delivery log).

CREATE TABLE webhook_endpoints (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    url              TEXT NOT NULL,
    description      TEXT,
    -- JSON array of event types, or ["*"].
    events           TEXT NOT NULL,
    -- The signing secret is derived from TOKEN_SECRET, the id and this.
    secret_version   INTEGER NOT NULL DEFAULT 1,
    disabled_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (organization_id, id);

-- The body sent is `payload`, byte for byte, on every attempt.
CREATE TABLE webhook_events (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    type             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX webhook_events_by_org ON webhook_events (organization_id, id);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL REFERENCES organizations(id),
    event_id         TEXT NOT NULL REFERENCES webhook_events(id),
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'retrying', 'delivered', 'gave_up')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_due_by_org ON webhook_deliveries (organization_id, status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_org ON webhook_deliveries (organization_id, id);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries(id),
    attempt          INTEGER NOT NULL,
    at               INTEGER NOT NULL,
    status           INTEGER,
    error            TEXT,
    duration_ms      INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
