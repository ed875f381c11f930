//! The metrics' days in D1 (`crate::metrics::daily`): `metric_days` holds
//! one row per organization, currency and day up to yesterday, written by a
//! queued job a month of days at a time; `metric_cursors` says how far each
//! has got and when the cron should queue it again. The first dashboard
//! read in a currency creates its cursor; until its days are written the
//! dashboard computes from the invoices.
//!
//! An invoice or ledger row written after the days were computed but dated
//! on or before the last of them (an import of past invoices) sends the
//! days back to the day before it: the dashboard trusts the rows only up
//! to there and the job writes the rest again.

use super::books::{Books, Text, currencies, histories};
use super::{Entry, Inv};
use crate::error::ApiError;
use crate::metrics::daily::{self, Day};
use crate::metrics::{Cleared, InvoiceHistory, Open};
use crate::params;
use crate::worker::cron::Scope;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::worker::queue::{self, Job, Outcome};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use settle_shared::time::parse_date;

/// How long a queued job holds its cursor before the cron queues another.
pub(super) const LEASE_MS: i64 = 10 * 60 * 1000;

#[derive(Deserialize)]
struct Cursor {
    through: String,
    computed_at: i64,
}

/// The invoices touched after `from` through `to` (issued, paid, credited
/// or voided then), as one subquery with parameters ?1 org, ?2 currency,
/// ?3 from, ?4 to, ?5 and ?6 the same as milliseconds.
const TOUCHED: &str = "SELECT id FROM invoices WHERE organization_id = ?1 AND currency = ?2 \
     AND issue_date > ?3 AND issue_date <= ?4 \
     UNION SELECT invoice_id FROM payments WHERE organization_id = ?1 AND received_on > ?3 AND received_on <= ?4 \
     UNION SELECT id FROM invoices WHERE organization_id = ?1 AND status = 'void' AND voided_at >= ?5 AND voided_at < ?6";

fn ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
}

fn next(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// The invoices touched after `from` through `to`, with their ledger rows.
pub(super) async fn touched(
    ctx: &Ctx,
    org: &str,
    books: Books,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<InvoiceHistory>, ApiError> {
    let (mut invoices, mut entries) = (Vec::<Inv>::new(), Vec::<Entry>::new());
    for c in currencies(ctx, org, books).await? {
        let args = || {
            params![
                org,
                c.code(),
                from.to_string(),
                to.to_string(),
                ms(next(from)),
                ms(next(to))
            ]
        };
        invoices.extend(
            db::all::<Inv>(db::stmt(
                &ctx.db,
                &format!(
                    // `+`: look each touched id up, never walk the currency.
                    "SELECT {} FROM invoices WHERE +organization_id = ?1 AND +currency = ?2 \
                     AND status != 'draft' AND id IN ({TOUCHED})",
                    super::INVOICE_COLUMNS
                ),
                args(),
            )?)
            .await?,
        );
        entries.extend(
            db::all::<Entry>(db::stmt(
                &ctx.db,
                &format!(
                    "SELECT {} FROM payments WHERE organization_id = ?1 AND +currency = ?2 \
                     AND +received_on <= ?4 AND invoice_id IN ({TOUCHED})",
                    super::ENTRY_COLUMNS
                ),
                args(),
            )?)
            .await?,
        );
    }
    Ok(histories(&invoices, &entries, books).0)
}

/// Sends the days of `currency` (and of the base currency) back to before
/// `issued`: an invoice issued then changed its total (a late fee), which
/// the job cannot see by dates. The cron queues the job at its next run.
pub fn send_back(
    ctx: &Ctx,
    org: &str,
    currency: &str,
    issued: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    let before = parse_date(issued)
        .and_then(|d| d.pred_opt())
        .map_or(String::new(), |d| d.to_string());
    db::stmt(
        &ctx.db,
        "UPDATE metric_cursors SET through = ?3, due_at = 0 WHERE organization_id = ?1 \
         AND (currency = ?2 OR currency LIKE '*%') AND through > ?3",
        params![org, currency, before],
    )
}

/// The last day the stored days hold true, `None` before any; and whether
/// something written since sent it back before the day they were computed
/// through.
pub(super) async fn trusted(
    ctx: &Ctx,
    org: &str,
    books: Books,
) -> Result<Option<(NaiveDate, bool)>, ApiError> {
    let Some(c) = db::one::<Cursor>(db::stmt(
        &ctx.db,
        "SELECT through, computed_at FROM metric_cursors WHERE organization_id = ?1 AND currency = ?2",
                params![org, books.key()],
    )?)
    .await?
    else {
        return Ok(None);
    };
    let Some(through) = parse_date(&c.through) else {
        return Ok(None);
    };
    // Every currency counts for the base currency's days.
    let only = match books {
        Books::One(c) => c.code(),
        Books::Base(_) => "",
    };
    let since = |sql: &str| -> Result<_, ApiError> {
        db::stmt(&ctx.db, sql, params![org, c.computed_at, only])
    };
    let invoiced: Option<Text> = db::one(since(
        "SELECT MIN(issue_date) AS v FROM invoices WHERE organization_id = ?1 AND created_at > ?2 \
         AND (?3 = '' OR currency = ?3)",
    )?)
    .await?;
    let paid: Option<Text> = db::one(since(
        "SELECT MIN(received_on) AS v FROM payments WHERE organization_id = ?1 AND created_at > ?2 \
         AND (?3 = '' OR currency = ?3)",
    )?)
    .await?;
    let written: Vec<NaiveDate> = [invoiced, paid]
        .into_iter()
        .filter_map(|e| parse_date(&e?.v?))
        .collect();
    Ok(daily::trusted_through(Some(through), &written).map(|t| (t, t != through)))
}

/// What was owed after `day` as stored; empty before the first row.
pub(super) async fn open_after(
    ctx: &Ctx,
    org: &str,
    cur: &str,
    day: NaiveDate,
) -> Result<Open, ApiError> {
    let row: Option<Text> = db::one(db::stmt(
        &ctx.db,
        "SELECT open AS v FROM metric_days WHERE organization_id = ?1 AND currency = ?2 AND day = ?3",
        params![org, cur, day.to_string()],
    )?)
    .await?;
    match row.and_then(|r| r.v) {
        None => Ok(Open::new()),
        Some(t) => {
            daily::open_from_text(&t).ok_or_else(|| ApiError::internal("metric day unreadable"))
        }
    }
}

/// The clearings stored for each day of `from ..= to`.
pub(super) async fn cleared_of(
    ctx: &Ctx,
    org: &str,
    cur: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Cleared>, ApiError> {
    let rows: Vec<Text> = db::all(db::stmt(
        &ctx.db,
        "SELECT cleared AS v FROM metric_days WHERE organization_id = ?1 AND currency = ?2 AND day >= ?3 AND day <= ?4",
        params![org, cur, from.to_string(), to.to_string()],
    )?)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|c| daily::cleared_from_text(c.v.as_deref()?))
        .collect())
}

/// The day before the first invoice the books take.
async fn origin(ctx: &Ctx, org: &str, books: Books) -> Result<Option<NaiveDate>, ApiError> {
    let mut first: Option<NaiveDate> = None;
    for c in currencies(ctx, org, books).await? {
        let day: Option<Text> = db::one(db::stmt(
            &ctx.db,
            "SELECT MIN(issue_date) AS v FROM invoices WHERE organization_id = ?1 AND currency = ?2 AND status != 'draft'",
            params![org, c.code()],
        )?)
        .await?;
        if let Some(d) = day.and_then(|f| parse_date(&f.v?)) {
            first = Some(first.map_or(d, |f| f.min(d)));
        }
    }
    Ok(first.and_then(|d| d.pred_opt()))
}

/// The job: writes the next month of days up to yesterday, and queues
/// itself again while some are left.
pub async fn run(ctx: &Ctx, org: &str, key: &str) -> Result<Outcome, ApiError> {
    let Some(books) = Books::from_key(key) else {
        worker::console_error!("metric days {org}: no books `{key}`");
        return Ok(Outcome::Done);
    };
    let cur = key;
    ctx.use_clock_of(org).await?;
    let started = ctx.now_ms();
    let yesterday = ctx.today_utc().pred_opt().unwrap_or_default();
    let seen = db::one::<Cursor>(db::stmt(
        &ctx.db,
        "SELECT through, computed_at FROM metric_cursors WHERE organization_id = ?1 AND currency = ?2",
        params![org, cur],
    )?)
    .await?
    .map(|c| c.through)
    .unwrap_or_default();
    let from = match trusted(ctx, org, books).await? {
        Some((t, _)) => Some(t),
        None => origin(ctx, org, books).await?,
    };
    let Some(from) = from.filter(|f| *f < yesterday) else {
        // Nothing to write before tomorrow.
        let through = from.map_or(String::new(), |f| f.to_string());
        let due = ms(ctx.today_utc()) + 86_400_000;
        db::batch(
            &ctx.db,
            vec![cursor(ctx, org, cur, &seen, &through, started, due)?],
        )
        .await?;
        return Ok(Outcome::Done);
    };
    // A month at a time, so each month's last day can hold its clearings.
    let to = daily::month_end(next(from)).min(yesterday);
    let open = open_after(ctx, org, cur, from).await?;
    let days = daily::days(&open, &touched(ctx, org, books, from, to).await?, from, to);
    // The month's days stored before this run, when it starts mid-month.
    let month_start = next(from).with_day(1).unwrap_or(from);
    let mut month: Vec<Cleared> = if month_start <= from {
        cleared_of(ctx, org, cur, month_start, from).await?
    } else {
        Vec::new()
    };
    month.extend(days.iter().map(|d| d.cleared.clone()));
    let more = to < yesterday;
    let due = if more {
        ctx.now_ms() + LEASE_MS
    } else {
        ms(next(to)) + 86_400_000
    };
    let mut writes = Vec::with_capacity(days.len() + 1);
    for d in &days {
        let whole = (daily::month_end(d.day) == d.day).then(|| daily::cleared(&month));
        writes.push(store(ctx, org, cur, d, whole.as_ref())?);
    }
    writes.push(cursor(ctx, org, cur, &seen, &to.to_string(), started, due)?);
    db::batch(&ctx.db, writes).await?;
    if more {
        let job = Job::MetricDays {
            organization_id: org.to_owned(),
            currency: cur.to_owned(),
        };
        if let Err(e) = queue::enqueue(ctx, job).await {
            worker::console_error!("metric days {org} {cur}: {e}; the cron will queue them");
        }
    }
    Ok(Outcome::Done)
}

/// Moves the cursor on, unless another run moved it since this one read
/// it (`seen`): then that run's days stand and this one's change nothing.
fn cursor(
    ctx: &Ctx,
    org: &str,
    cur: &str,
    seen: &str,
    through: &str,
    computed_at: i64,
    due_at: i64,
) -> Result<worker::D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "UPDATE metric_cursors SET through = ?3, computed_at = ?4, due_at = ?5 \
         WHERE organization_id = ?1 AND currency = ?2 AND through = ?6",
        params![org, cur, through, computed_at, due_at, seen],
    )
}

fn store(
    ctx: &Ctx,
    org: &str,
    cur: &str,
    d: &Day,
    month: Option<&Cleared>,
) -> Result<worker::D1PreparedStatement, ApiError> {
    let t = d.totals();
    db::stmt(
        &ctx.db,
        "INSERT OR REPLACE INTO metric_days (organization_id, currency, day, sales, issued, collected, \
         receivables, current_amount, open, cleared, cleared_month) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            org,
            cur,
            d.day.to_string(),
            t.sales,
            i64::from(t.issued),
            t.collected,
            t.receivables,
            t.current,
            daily::open_text(&d.open),
            daily::cleared_text(&d.cleared),
            month.map(daily::cleared_text)
        ],
    )
}

/// The cron: queues the job of each cursor that is due, and leases it so a
/// job running long is not queued twice.
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Due {
        organization_id: String,
        currency: String,
    }
    let mut args = params![ctx.now_ms()];
    args.extend(scope.params(ctx));
    let due: Vec<Due> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT organization_id, currency FROM metric_cursors c WHERE due_at <= ?1 AND {} \
             ORDER BY due_at LIMIT 20",
            Scope::filter("c.organization_id", 2, 3)
        ),
        args,
    )?)
    .await?;
    for d in &due {
        // Two overlapping cron runs lease it once.
        let leased = db::batch(
            &ctx.db,
            vec![db::stmt(
                &ctx.db,
                "UPDATE metric_cursors SET due_at = ?3 WHERE organization_id = ?1 AND currency = ?2 AND due_at <= ?4",
                params![&d.organization_id, &d.currency, ctx.now_ms() + LEASE_MS, ctx.now_ms()],
            )?],
        )
        .await?;
        if leased.first().is_none_or(|r| db::changes(r) == 0) {
            continue;
        }
        let job = Job::MetricDays {
            organization_id: d.organization_id.clone(),
            currency: d.currency.clone(),
        };
        if let Err(e) = queue::enqueue(ctx, job).await {
            worker::console_error!("metric days {}: {e}", d.organization_id);
        }
    }
    Ok(due.len())
}
