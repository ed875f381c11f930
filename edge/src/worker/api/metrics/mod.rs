//! `GET /api/v1/metrics?from=&to=&currency=` (supervisors and admins): the
//! period's collections figures in one currency, by the rules of
//! `crate::metrics`. They come from the days pre-aggregated by [`days`]
//! once the job has written them; before that, and for one agent's or one
//! segment's figures, from the invoices issued by the period's end (at most
//! [`MAX_INVOICES`], the most recent) and their ledger rows.

pub mod books;
mod by_invoice;
pub mod days;
mod view;

use crate::error::ApiError;
use crate::metrics::{self, Figures, PayDays, Period, daily};
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use settle_shared::aging::Bucket;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use std::collections::HashMap;
use worker::{Request, Response};

/// Invoices one request reads at most.
const MAX_INVOICES: i64 = 50_000;

#[derive(Deserialize)]
struct Inv {
    id: String,
    customer_id: String,
    currency: String,
    issue_date: String,
    due_date: String,
    total: i64,
    voided_at: Option<i64>,
    base_currency: Option<String>,
    base_rate: Option<i64>,
}
const INVOICE_COLUMNS: &str =
    "id, customer_id, currency, issue_date, due_date, total, voided_at, base_currency, base_rate";

#[derive(Deserialize)]
struct Entry {
    invoice_id: String,
    kind: String,
    amount: i64,
    received_on: String,
    base_currency: Option<String>,
    base_rate: Option<i64>,
}
const ENTRY_COLUMNS: &str = "invoice_id, kind, amount, received_on, base_currency, base_rate";

/// The figures of a request, from either source.
struct Computed {
    f: Figures,
    issued: u32,
    months: Vec<(Period, Figures)>,
    aging: [(i64, u32); 5],
    pay: Vec<PayDays>,
    /// The last pre-aggregated day used; `None`: computed from invoices.
    through: Option<NaiveDate>,
    invoices_read: usize,
    /// Invoices left out for want of a rate to the base currency.
    without_rate: usize,
}

#[derive(Deserialize)]
struct Ended {
    ended_at: i64,
    status: String,
}

#[derive(Deserialize)]
struct Dispute {
    created_at: i64,
    resolved_at: Option<i64>,
}

fn day(ms: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.date_naive())
}

fn date_param(req: &Request, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    match http::query(req, name) {
        None => Ok(None),
        Some(v) => settle_shared::time::parse_date(&v)
            .map(Some)
            .ok_or_else(|| FieldError::invalid(name, "must be a date such as 2026-11-30").into()),
    }
}

/// `?currency=`, else the organization's default currency.
pub fn currency_of(
    req: &Request,
    org: &crate::rows::OrganizationRow,
) -> Result<settle_shared::Currency, ApiError> {
    match http::query(req, "currency") {
        Some(c) => settle_shared::Currency::parse(&c)
            .map_err(|_| FieldError::invalid("currency", "is not an ISO 4217 currency").into()),
        None => settle_shared::Currency::parse(
            org.branding().default_currency.as_deref().unwrap_or("EUR"),
        )
        .map_err(|_| ApiError::internal("default currency")),
    }
}

pub async fn get(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    ctx.use_clock_of(&org.id).await?;
    let today = ctx.today_utc();
    let end = date_param(req, "to")?.unwrap_or(today);
    let start = date_param(req, "from")?.unwrap_or(end - chrono::Days::new(29));
    if start > end || (end - start).num_days() > 366 {
        return Err(FieldError::invalid(
            "from",
            "must be on or before `to`, at most a year before",
        )
        .into());
    }
    // `?currency=base`: every currency, in the base currency.
    let books = if http::query(req, "currency").as_deref() == Some("base") {
        books::Books::Base(super::exchange_rates::base_of(&org)?)
    } else {
        books::Books::One(currency_of(req, &org)?)
    };
    let cur = books.currency().code();
    let p = Period { start, end };
    // `?agent=mem_…` or `none`: the accounts assigned to them (or to no
    // one); `?segment=seg_…`: the invoices that segment's rules take.
    let agent = super::team::agent_filter(ctx, &org.id, http::query(req, "agent")).await?;
    let segment = match http::query(req, "segment").as_deref() {
        None | Some("") => None,
        Some(id) => Some(super::worklist::segment_rules(ctx, &org.id, id, "segment").await?),
    };
    if !matches!(
        http::query(req, "format").as_deref(),
        None | Some("json" | "csv")
    ) {
        return Err(FieldError::invalid("format", "must be `json` or `csv`").into());
    }
    let computed = match (agent.is_none() && segment.is_none())
        .then(|| {
            metrics::month_periods(end, 12)
                .first()
                .map(|m| m.start.min(start))
        })
        .flatten()
    {
        Some(first) => view::view(
            ctx,
            &org.id,
            books,
            first.pred_opt().unwrap_or(first),
            start,
            end,
        )
        .await?
        .and_then(|v| from_days(v, p)),
        None => None,
    };
    let Computed {
        f,
        issued,
        months,
        aging,
        pay,
        through,
        invoices_read,
        without_rate,
    } = match computed {
        Some(c) => c,
        None => by_invoice::from_invoices(ctx, &org.id, books, p, agent, segment.as_ref()).await?,
    };
    // Currencies with invoices and no rate to the base currency yet.
    let mut unrated: Vec<&'static str> = Vec::new();
    if let books::Books::Base(base) = books {
        let rated = super::exchange_rates::rated(ctx, &org.id, base).await?;
        for c in books::currencies_of(ctx, &org.id).await? {
            if c != base && !rated.iter().any(|r| r == c.code()) {
                unrated.push(c.code());
            }
        }
    }
    if http::query(req, "format").as_deref() == Some("csv") {
        return csv(ctx, p, &f, &months, cur);
    }
    let ms = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_millis())
    };
    let (from_ms, to_ms) = (ms(start), ms(end) + 86_400_000);
    let promises: Vec<Ended> = db::all(db::stmt(
        &ctx.db,
        "SELECT ended_at, status FROM promises WHERE organization_id = ?1 AND status IN ('kept', 'broken') \
         AND ended_at >= ?2 AND ended_at < ?3",
        params![&org.id, from_ms, to_ms],
    )?)
    .await?;
    let disputes: Vec<Dispute> = db::all(db::stmt(
        &ctx.db,
        "SELECT created_at, resolved_at FROM disputes WHERE organization_id = ?1 AND (?4 = '*' OR currency IS ?4) \
         AND ((created_at >= ?2 AND created_at < ?3) OR (resolved_at >= ?2 AND resolved_at < ?3))",
        // In the base currency, disputes in every currency.
        params![
            &org.id,
            from_ms,
            to_ms,
            if matches!(books, books::Books::Base(_)) { "*" } else { cur }
        ],
    )?)
    .await?;
    let conduct = metrics::conduct(
        &promises
            .iter()
            .filter_map(|e| Some((day(e.ended_at)?, e.status == "broken")))
            .collect::<Vec<_>>(),
        &disputes
            .iter()
            .filter_map(|d| Some((day(d.created_at)?, d.resolved_at.and_then(day))))
            .collect::<Vec<_>>(),
        issued,
        p,
    );
    let round = |x: Option<f64>| x.map(|v| (v * 100.0).round() / 100.0);
    let overall = pay.iter().find(|r| r.customer_id.is_none());
    let mut slowest: Vec<_> = pay.iter().filter(|r| r.customer_id.is_some()).collect();
    settle_shared::sort::sort_by(&mut slowest, |a, b| b.days_late.total_cmp(&a.days_late));
    slowest.truncate(10);
    let ids: Vec<&str> = slowest
        .iter()
        .filter_map(|r| r.customer_id.as_deref())
        .collect();
    let names: HashMap<String, String> = db::all::<Named>(db::stmt(
        &ctx.db,
        "SELECT id, name FROM customers WHERE organization_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        params![&org.id, serde_json::to_string(&ids).unwrap_or_default().as_str()],
    )?)
    .await?
    .into_iter()
    .map(|n| (n.id, n.name))
    .collect();
    http::json(
        200,
        &json!({
            "currency": cur,
            "from": start.to_string(),
            "to": end.to_string(),
            "days": p.days(),
            "source": if through.is_some() { "days" } else { "invoices" },
            "days_through": through.map(|t| t.to_string()),
                        "invoices_read": invoices_read,
            "in_base_currency": matches!(books, books::Books::Base(_)),
            "invoices_without_rate": without_rate,
            "currencies_without_rate": unrated,
            "sales": f.sales,
            "collected": f.collected,
            "receivables_start": f.receivables_start,
            "receivables_end": f.receivables_end,
            "current_end": f.current_end,
            "dso": round(f.dso),
            "best_possible_dso": round(f.best_possible_dso),
            "average_days_delinquent": round(f.average_days_delinquent),
            "cei": round(f.cei),
            "aging": Bucket::ALL.iter().map(|b| json!({ "bucket": b.key(), "amount": aging[b.index()].0, "count": aging[b.index()].1 })).collect::<Vec<_>>(),
            "days_to_pay": overall.map(|o| json!({ "invoices": o.invoices, "days_to_pay": round(Some(o.days_to_pay)), "days_late": round(Some(o.days_late)) })),
            "slowest_customers": slowest.iter().map(|r| json!({
                "customer_id": r.customer_id,
                "name": r.customer_id.as_ref().and_then(|c| names.get(c)),
                "invoices": r.invoices,
                "days_to_pay": round(Some(r.days_to_pay)), "days_late": round(Some(r.days_late)),
            })).collect::<Vec<_>>(),
            "months": months.iter().map(|(mp, mf)| json!({
                "from": mp.start.to_string(), "to": mp.end.to_string(),
                "sales": mf.sales, "collected": mf.collected, "receivables_end": mf.receivables_end,
                "dso": round(mf.dso), "best_possible_dso": round(mf.best_possible_dso), "cei": round(mf.cei),
            })).collect::<Vec<_>>(),
            "broken_promise_rate": round(conduct.broken_promise_rate),
            "dispute_rate": round(conduct.dispute_rate),
            "average_days_to_resolve": round(conduct.average_days_to_resolve),
        }),
    )
}

/// The figures from the pre-aggregated days; `None` when a day is missing.
fn from_days(v: view::View, p: Period) -> Option<Computed> {
    let (f, issued) = daily::figures(&v.totals, p)?;
    Some(Computed {
        f,
        issued,
        months: daily::monthly(&v.totals, p.end, 12)?,
        aging: metrics::aging_of(&v.open_end, p.end),
        pay: metrics::pay_days(v.cleared),
        through: Some(v.through),
        invoices_read: 0,
        without_rate: 0,
    })
}

#[derive(Deserialize)]
struct Named {
    id: String,
    name: String,
}

/// The figures as CSV: one row per month, then the period's.
fn csv(
    ctx: &Ctx,
    p: Period,
    f: &metrics::Figures,
    months: &[(Period, metrics::Figures)],
    cur: &str,
) -> Result<Response, ApiError> {
    let cell = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.2}"));
    let row = |p: &Period, f: &metrics::Figures| {
        vec![
            p.start.to_string(),
            p.end.to_string(),
            cur.to_owned(),
            crate::export::amount(f.sales, cur),
            crate::export::amount(f.collected, cur),
            crate::export::amount(f.receivables_start, cur),
            crate::export::amount(f.receivables_end, cur),
            crate::export::amount(f.current_end, cur),
            cell(f.dso),
            cell(f.best_possible_dso),
            cell(f.average_days_delinquent),
            cell(f.cei),
        ]
    };
    let mut rows: Vec<Vec<String>> = months.iter().map(|(mp, mf)| row(mp, mf)).collect();
    rows.push(row(&p, f));
    let body = crate::export::document(
        &[
            "from",
            "to",
            "currency",
            "sales",
            "collected",
            "receivables_start",
            "receivables_end",
            "current_end",
            "dso",
            "best_possible_dso",
            "average_days_delinquent",
            "cei",
        ],
        &rows,
    )
    .map_err(ApiError::internal)?;
    super::exports::file(ctx, "metrics", body, None)
}
