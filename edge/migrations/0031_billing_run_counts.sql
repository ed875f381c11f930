-- A billing run counts what it issued from the periods it billed, not from
-- its jobs' tallies: a job killed after writing invoices but before writing
-- its progress left them uncounted (252 of 100,000 through 42 kills in the
-- bench), since the job that took its place no longer found them due.
CREATE INDEX subscription_periods_by_run ON subscription_periods (billing_run_id);
