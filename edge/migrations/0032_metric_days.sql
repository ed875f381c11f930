-- The metrics pre-aggregated by day (edge/src/metrics/daily.rs): one row
-- per organization, currency and day, so the dashboard of an organization
-- with a million invoices reads a few hundred rows. `open` (what was owed
-- after the day by due date) and `cleared` (invoices cleared per customer)
-- are text (`metrics::daily::open_text`, `cleared_text`) and come last, so
-- reading the sums before them reads no more.
CREATE TABLE metric_days (
    organization_id  TEXT NOT NULL,
    currency         TEXT NOT NULL,
    day              TEXT NOT NULL,
    sales            INTEGER NOT NULL,
    issued           INTEGER NOT NULL,
    collected        INTEGER NOT NULL,
    receivables      INTEGER NOT NULL,
    current_amount   INTEGER NOT NULL,
    open             TEXT NOT NULL,
    cleared          TEXT NOT NULL,
    -- On a month's last day: the whole month's clearings, so a read of a
    -- year takes twelve of these instead of 365 days of them.
    cleared_month    TEXT,
    PRIMARY KEY (organization_id, currency, day)
) WITHOUT ROWID;

-- How far each organization's days are computed in each currency
-- (`through`, '' for not yet), from the books as they stood at
-- `computed_at`, and when the cron should next queue the job (`due_at`).
CREATE TABLE metric_cursors (
    organization_id  TEXT NOT NULL,
    currency         TEXT NOT NULL,
    through          TEXT NOT NULL,
    computed_at      INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    PRIMARY KEY (organization_id, currency)
);
CREATE INDEX metric_cursors_due ON metric_cursors (due_at);

-- What the job and the dashboard read: invoices by issue date, ledger rows
-- by the day received, and what was written since the days were computed
-- (an import dated in the past sends the days back to it).
CREATE INDEX invoices_by_issue ON invoices (organization_id, currency, issue_date);
-- The risk model's training reads the newest invoices of every currency:
-- with this index it stops at its limit instead of sorting two years.
CREATE INDEX invoices_by_org_issue ON invoices (organization_id, issue_date);
CREATE INDEX invoices_by_created ON invoices (organization_id, created_at);
CREATE INDEX payments_by_day ON payments (organization_id, received_on);
CREATE INDEX invoices_voided ON invoices (organization_id, voided_at) WHERE status = 'void';
CREATE INDEX payments_by_created ON payments (organization_id, created_at);
