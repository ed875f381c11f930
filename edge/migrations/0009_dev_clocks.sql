-- The demo clock, one per organization (local development and tests only;
-- read only when CLOCK_TRAVEL is on, which production never sets). A test
-- that moves its organization's clock no longer moves every other test's.
CREATE TABLE dev_clocks (
    organization_id TEXT PRIMARY KEY,
    offset_ms INTEGER NOT NULL
) WITHOUT ROWID;

DROP TABLE dev_clock;
