//! The dashboard's read of the metric days (`super::days`): the stored
//! days it can trust, each whole month's clearings from its last day, and
//! the days since worked out from the invoices touched since; `None` sends
//! the dashboard to the per-request figures.

use super::books::{Books, Text, currencies_of};
use super::days::{LEASE_MS, cleared_of, open_after, touched, trusted};
use crate::error::ApiError;
use crate::metrics::daily::{self, Day, Totals};
use crate::metrics::{Cleared, Open};
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use settle_shared::time::parse_date;

/// The dashboard's days: the stored ones it can trust, and the days after
/// them through `end` worked out now from the invoices touched since.
pub struct View {
    /// Totals of every day from `from` through `end`.
    pub totals: Vec<Totals>,
    /// What was owed after `end`.
    pub open_end: Open,
    /// The clearings of the days `start ..= end`.
    pub cleared: Cleared,
    /// The last stored day used.
    pub through: NaiveDate,
}

/// Days a dashboard read works out itself at most; further behind, it
/// computes from the invoices until the job catches up.
const LIVE_DAYS: i64 = 62;

/// The days the dashboard needs (`from ..= end`, the clearings of
/// `start ..= end`), or `None` when they are not stored yet (the cursor
/// is then made, and the cron queues the job).
pub async fn view(
    ctx: &Ctx,
    org: &str,
    books: Books,
    from: NaiveDate,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Option<View>, ApiError> {
    let key = books.key();
    let cur = key.as_str();
    let Some((through, sent_back)) = trusted(ctx, org, books).await? else {
        let has = currencies_of(ctx, org).await?;
        if !match books {
            Books::One(c) => has.contains(&c),
            Books::Base(_) => !has.is_empty(),
        } {
            return Ok(None);
        }
        db::batch(
            &ctx.db,
            vec![db::stmt(
                &ctx.db,
                "INSERT OR IGNORE INTO metric_cursors (organization_id, currency, through, computed_at, due_at) \
                 VALUES (?1, ?2, '', 0, 0)",
                params![org, cur],
            )?],
        )
        .await?;
        return Ok(None);
    };
    if sent_back {
        // The cron queues the job at its next run rather than tomorrow
        // (unless a job holds the cursor now).
        db::batch(
            &ctx.db,
            vec![db::stmt(
                &ctx.db,
                "UPDATE metric_cursors SET due_at = ?3 WHERE organization_id = ?1 AND currency = ?2 \
                 AND due_at > ?4",
                params![org, cur, ctx.now_ms(), ctx.now_ms() + LEASE_MS],
            )?],
        )
        .await?;
    }
    if (end - through).num_days() > LIVE_DAYS {
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct Row {
        day: String,
        sales: i64,
        issued: u32,
        collected: i64,
        receivables: i64,
        current_amount: i64,
    }
    let last = through.min(end);
    let rows: Vec<Row> = db::all(db::stmt(
        &ctx.db,
        "SELECT day, sales, issued, collected, receivables, current_amount FROM metric_days \
         WHERE organization_id = ?1 AND currency = ?2 AND day >= ?3 AND day <= ?4 ORDER BY day",
        params![org, cur, from.to_string(), last.to_string()],
    )?)
    .await?;
    let mut totals: Vec<Totals> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Totals {
                day: parse_date(&r.day)?,
                sales: r.sales,
                issued: r.issued,
                collected: r.collected,
                receivables: r.receivables,
                current: r.current_amount,
            })
        })
        .collect();
    // Whole months from their last day, the rest day by day.
    let (mut ranges, ends) = daily::cover(start, last);
    let months: Vec<Text> = db::all(db::stmt(
        &ctx.db,
        "SELECT day || ' ' || COALESCE(cleared_month, '-') AS v FROM metric_days \
         WHERE organization_id = ?1 AND currency = ?2 AND day IN (SELECT value FROM json_each(?3))",
        params![
            org,
            cur,
            serde_json::to_string(&ends.iter().map(|e| e.to_string()).collect::<Vec<_>>())
                .unwrap_or_default()
        ],
    )?)
    .await?;
    let mut cleared: Vec<Cleared> = Vec::new();
    for end in ends {
        let key = end.to_string();
        let whole = months
            .iter()
            .filter_map(|m| {
                m.v.as_deref()?
                    .strip_prefix(key.as_str())?
                    .strip_prefix(' ')
            })
            .find_map(daily::cleared_from_text);
        match whole {
            Some(c) => cleared.push(c),
            None => ranges.push((end.with_day(1).unwrap_or(end), end)),
        }
    }
    for (a, b) in ranges {
        cleared.extend(cleared_of(ctx, org, cur, a, b).await?);
    }
    let open_end = if end <= through {
        open_after(ctx, org, cur, end).await?
    } else {
        let open = open_after(ctx, org, cur, through).await?;
        let live = daily::days(
            &open,
            &touched(ctx, org, books, through, end).await?,
            through,
            end,
        );
        totals.extend(live.iter().map(Day::totals));
        cleared.extend(
            live.iter()
                .filter(|d| d.day >= start)
                .map(|d| d.cleared.clone()),
        );
        live.into_iter().last().map(|d| d.open).unwrap_or_default()
    };
    Ok(Some(View {
        totals,
        open_end,
        cleared: daily::cleared(&cleared),
        through,
    }))
}
