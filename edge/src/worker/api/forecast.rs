//! `GET /api/v1/forecast?currency=` (supervisors and admins): what is
//! expected to come in each week for the next eight, in one currency, with
//! its likely range and the naive "paid on the due date" beside it. The
//! worker reads the open invoices (at most [`MAX_OPEN`]), live instalment
//! plans, scheduled charges, standing promises, each customer's risk and
//! their habit over the last year's paid invoices; `crate::forecast`
//! decides the rest.

use crate::error::ApiError;
use crate::forecast::{self, OpenInvoice, Source};
use crate::ledger;
use crate::params;
use crate::worker::api::plans::row::{PlanRow, SELECT as PLAN_SELECT};
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use settle_shared::invoice::InvoiceStatus;
use settle_shared::staff::Capability;
use std::collections::{HashMap, HashSet};
use worker::{Request, Response};

/// Open invoices one request reads at most.
const MAX_OPEN: i64 = 50_000;

#[derive(Deserialize)]
struct Open {
    id: String,
    customer_id: String,
    total: i64,
    amount_paid: i64,
    due_date: String,
}

#[derive(Deserialize)]
struct Dated {
    invoice_id: String,
    on: String,
    cap: Option<i64>,
}

#[derive(Deserialize)]
struct Risk {
    customer_id: String,
    probability: f64,
}

#[derive(Deserialize)]
struct Paid {
    customer_id: String,
    due_date: String,
    paid_on: Option<String>,
}

pub async fn get(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    ctx.use_clock_of(&org.id).await?;
    let today = ctx.today_utc();
    let currency = super::metrics::currency_of(req, &org)?;
    let cur = currency.code();
    let id = &org.id;
    let rows: Vec<Open> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, customer_id, total, amount_paid, due_date FROM invoices \
         WHERE organization_id = ?1 AND status = 'open' AND currency = ?2 ORDER BY due_date LIMIT ?3",
        params![id, cur, MAX_OPEN],
    )?)
    .await?;
    let plans: Vec<PlanRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "{PLAN_SELECT} WHERE p.organization_id = ?1 AND p.status = 'active' AND p.currency = ?2"
        ),
        params![id, cur],
    )?)
    .await?;
    let promises: Vec<Dated> = db::all(db::stmt(
        &ctx.db,
        "SELECT invoice_id, promised_date AS \"on\", NULL AS cap FROM promises \
         WHERE organization_id = ?1 AND status = 'active'",
        params![id],
    )?)
    .await?;
    // Instalments are counted by their plan.
    let charges: Vec<Dated> = db::all(db::stmt(
        &ctx.db,
        "SELECT invoice_id, charge_on AS \"on\", amount_cap AS cap FROM scheduled_payments \
         WHERE organization_id = ?1 AND status IN ('scheduled', 'retrying') AND source != 'plan'",
        params![id],
    )?)
    .await?;
    let risk: Vec<Risk> = db::all(db::stmt(
        &ctx.db,
        "SELECT customer_id, probability FROM customer_risk WHERE organization_id = ?1",
        params![id],
    )?)
    .await?;
    let paid: Vec<Paid> = db::all(db::stmt(
        &ctx.db,
        "SELECT i.customer_id, i.due_date, \
           (SELECT MAX(p.received_on) FROM payments p WHERE p.invoice_id = i.id) AS paid_on \
         FROM invoices i WHERE i.organization_id = ?1 AND i.status = 'paid' AND i.issue_date >= ?2 LIMIT ?3",
        params![
            id,
            (today - chrono::Days::new(365)).to_string(),
            MAX_OPEN
        ],
    )?)
    .await?;

    let date = settle_shared::time::parse_date;
    let mut in_plan: HashSet<String> = HashSet::new();
    let mut instalments = Vec::new();
    for p in &plans {
        in_plan.extend(p.members().into_iter().map(|m| m.id));
        in_plan.insert(p.invoice_id.clone());
        instalments.extend(
            settle_shared::plan::still_owed(&p.instalments(), p.paid())
                .into_iter()
                .map(|i| (p.customer_id.clone(), i.date, i.amount)),
        );
    }
    let promised: HashMap<&str, NaiveDate> = promises
        .iter()
        .filter_map(|p| Some((p.invoice_id.as_str(), date(&p.on)?)))
        .collect();
    let scheduled: HashMap<&str, (NaiveDate, Option<i64>)> = charges
        .iter()
        .filter_map(|c| Some((c.invoice_id.as_str(), (date(&c.on)?, c.cap))))
        .collect();
    let open: Vec<OpenInvoice> = rows
        .iter()
        .filter_map(|r| {
            Some(OpenInvoice {
                customer_id: r.customer_id.clone(),
                owed: ledger::due(InvoiceStatus::Open, r.total, r.amount_paid),
                due_date: date(&r.due_date)?,
                promised: promised.get(r.id.as_str()).copied(),
                scheduled: scheduled.get(r.id.as_str()).copied(),
                in_plan: in_plan.contains(&r.id),
            })
        })
        .collect();
    let risk: HashMap<String, f64> = risk
        .into_iter()
        .map(|r| (r.customer_id, r.probability))
        .collect();
    let habit = forecast::habits(
        &paid
            .iter()
            .filter_map(|p| {
                Some((
                    p.customer_id.clone(),
                    date(&p.due_date)?,
                    date(p.paid_on.as_deref()?)?,
                ))
            })
            .collect::<Vec<_>>(),
    );
    let items = forecast::expected(&open, &instalments, &risk, &habit);
    let weeks = forecast::forecast(&items, today);
    let naive = forecast::naive(&items, today);
    let part = |s: Source| {
        let only: Vec<_> = items.iter().filter(|i| i.source == s).cloned().collect();
        forecast::forecast(&only, today)
    };
    let (sched, prom, bal) = (
        part(Source::Scheduled),
        part(Source::Promise),
        part(Source::Balance),
    );
    let r = |x: f64| x.round() as i64;
    http::json(
        200,
        &json!({
            "currency": cur,
            "today": today.to_string(),
            "open_invoices": open.len(),
            "weeks": (0..forecast::WEEKS).map(|w| json!({
                "starts": weeks[w].starts.to_string(),
                "expected": r(weeks[w].expected),
                "low": r(weeks[w].low),
                "high": r(weeks[w].high),
                "scheduled": r(sched[w].expected),
                "promised": r(prom[w].expected),
                "balances": r(bal[w].expected),
                "naive": r(naive[w]),
            })).collect::<Vec<_>>(),
        }),
    )
}
