-- Late-payment risk (edge/src/risk/): each organization's model, retrained
-- by the cron once a day, and each customer's probability of paying their
-- next invoice late with the features that drove it.
CREATE TABLE risk_models (
    organization_id  TEXT PRIMARY KEY REFERENCES organizations(id),
    model            TEXT,
    examples         INTEGER NOT NULL,
    trained_at       INTEGER NOT NULL
);

-- Every organization has a row, so the cron finds the models due by
-- their training time (new organizations get theirs when created).
CREATE INDEX risk_models_due ON risk_models (trained_at);
INSERT INTO risk_models (organization_id, model, examples, trained_at)
    SELECT id, NULL, 0, 0 FROM organizations;

CREATE TABLE customer_risk (
    organization_id  TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    probability      REAL NOT NULL,
    drivers          TEXT NOT NULL,
    trained_at       INTEGER NOT NULL,
    PRIMARY KEY (organization_id, customer_id)
);
