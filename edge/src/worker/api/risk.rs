//! Late-payment risk at work: the cron retrains each organization's model
//! once a day from its own history (`crate::risk`) and stores each
//! customer's probability and drivers; the worklist reads them, and
//! `GET /api/v1/customers/{id}/risk` shows them on the customer page.
//! `POST /api/v1/risk/train` (admins) retrains now.

use crate::error::ApiError;
use crate::params;
use crate::risk;
use crate::risk::simulate::Past;
use crate::worker::api::customers;
use crate::worker::cron::Scope;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// A model is retrained when older than this.
const RETRAIN_MS: i64 = 86_400_000;
/// Invoices of history read (the most recent).
const HISTORY_MAX: i64 = 100_000;

#[derive(Deserialize)]
struct Row {
    customer_id: String,
    issue_date: String,
    due_date: String,
    total: i64,
    currency: String,
    status: String,
    paid_on: Option<String>,
    disputed_at: Option<i64>,
    broken_at: Option<i64>,
    automatic: i64,
}

fn date_of_ms(ms: i64) -> Option<chrono::NaiveDate> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.date_naive())
}

/// Retrains one organization's model and every customer's risk. Answers
/// the examples learned from (0: not enough history; the old figures stay).
pub async fn train_org(ctx: &Ctx, org_id: &str) -> Result<usize, ApiError> {
    let today = ctx.today_utc();
    let since = (today - chrono::Days::new(730)).to_string();
    let rows: Vec<Row> = db::all(db::stmt(
        &ctx.db,
        "SELECT i.customer_id, i.issue_date, i.due_date, i.total, i.currency, i.status, \
           (SELECT MAX(p.received_on) FROM payments p INDEXED BY payments_by_invoice WHERE p.organization_id = i.organization_id AND p.invoice_id = i.id) AS paid_on, \
           (SELECT MIN(d.created_at) FROM disputes d WHERE d.invoice_id = i.id) AS disputed_at, \
           (SELECT MIN(pr.ended_at) FROM promises pr WHERE pr.invoice_id = i.id AND pr.status = 'broken') AS broken_at, \
           (c.autopay_method_id IS NOT NULL) AS automatic \
         FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.organization_id = ?1 AND i.issue_date >= ?2 AND i.status IN ('open', 'paid') \
         ORDER BY i.issue_date DESC LIMIT ?3",
        params![org_id, since, HISTORY_MAX],
    )?)
    .await?;
    let history: Vec<Past> = rows
        .iter()
        .filter_map(|r| {
            let exp = settle_shared::Currency::parse(&r.currency).ok()?.exponent();
            Some(Past {
                customer_id: r.customer_id.clone(),
                issue_date: settle_shared::time::parse_date(&r.issue_date)?,
                due_date: settle_shared::time::parse_date(&r.due_date)?,
                amount: r.total as f64 / 10f64.powi(i32::from(exp)),
                settled: (r.status == "paid")
                    .then(|| r.paid_on.as_deref().and_then(|d| d.parse().ok()))
                    .flatten(),
                disputed: r.disputed_at.and_then(date_of_ms),
                promise_broken: r.broken_at.and_then(date_of_ms),
                automatic: r.automatic != 0,
            })
        })
        .collect();
    let (model, examples) = risk::train_on(&history, today);
    let now = ctx.now_ms();
    let Some(model) = model else {
        db::stmt(
            &ctx.db,
            "INSERT INTO risk_models (organization_id, model, examples, trained_at) VALUES (?1, NULL, ?2, ?3) \
             ON CONFLICT (organization_id) DO UPDATE SET examples = ?2, trained_at = ?3",
            params![org_id, examples as i64, now],
        )?
        .run()
        .await
        .map_err(|e| ApiError::internal(format!("risk model: {e}")))?;
        return Ok(0);
    };
    let scored: Vec<(String, f64, String)> = risk::score(&model, &history, today)
        .into_iter()
        .map(|s| {
            let drivers: Vec<_> = s
                .drivers
                .iter()
                .map(|(name, push)| json!({ "feature": name, "push": (push * 100.0).round() / 100.0 }))
                .collect();
            (s.customer_id, s.probability, serde_json::to_string(&drivers).unwrap_or_default())
        })
        .collect();
    for part in scored.chunks(100) {
        let stmts = part
            .iter()
            .map(|(c, p, d)| {
                db::stmt(
                    &ctx.db,
                    "INSERT INTO customer_risk (organization_id, customer_id, probability, drivers, trained_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (organization_id, customer_id) \
                     DO UPDATE SET probability = ?3, drivers = ?4, trained_at = ?5",
                    params![org_id, c, *p, d, now],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        db::batch(&ctx.db, stmts).await?;
    }
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO risk_models (organization_id, model, examples, trained_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (organization_id) DO UPDATE SET model = ?2, examples = ?3, trained_at = ?4",
                params![org_id, serde_json::to_string(&model).unwrap_or_default(), i64::from(model.examples), now],
            )?,
            ctx.audit(Audit {
                org: Some(org_id),
                actor: "system",
                action: "risk.trained",
                subject: org_id,
                detail: json!({ "examples": model.examples, "customers": scored.len() }),
            })?,
        ],
    )
    .await?;
    Ok(model.examples as usize)
}

/// Cron: retrains the models older than a day (two organizations a tick).
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Org {
        id: String,
    }
    let mut args = params![ctx.now_ms() - RETRAIN_MS];
    args.extend(scope.params(ctx));
    let orgs: Vec<Org> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT m.organization_id AS id FROM risk_models m WHERE m.trained_at < ?1 AND {} \
             ORDER BY m.trained_at LIMIT 2",
            Scope::filter("m.organization_id", 2, 3)
        ),
        args,
    )?)
    .await?;
    let mut n = 0;
    for o in orgs {
        ctx.use_clock_of(&o.id).await?;
        n += usize::from(train_org(ctx, &o.id).await? > 0);
    }
    Ok(n)
}

/// `POST /api/v1/risk/train` (admins): retrains now; answers the examples.
pub async fn train_now(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    ctx.use_clock_of(&org.id).await?;
    let n = train_org(ctx, &org.id).await?;
    http::json(200, &json!({ "examples": n, "trained": n > 0 }))
}

/// The stored risk of some customers (for the worklist).
pub async fn of_customers(
    ctx: &Ctx,
    org_id: &str,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, f64>, ApiError> {
    #[derive(Deserialize)]
    struct R {
        customer_id: String,
        probability: f64,
    }
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let rows: Vec<R> = db::all(db::stmt(
        &ctx.db,
        "SELECT customer_id, probability FROM customer_risk WHERE organization_id = ?1 \
         AND customer_id IN (SELECT value FROM json_each(?2))",
        params![org_id, ids.as_str()],
    )?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.customer_id, r.probability))
        .collect())
}

/// `GET /api/v1/customers/{id}/risk`: `{probability, drivers, trained_at}`,
/// or `null` before the first model.
pub async fn customer(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    #[derive(Deserialize)]
    struct R {
        probability: f64,
        drivers: String,
        trained_at: i64,
    }
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let c = customers::load(ctx, &org.id, id).await?;
    let r: Option<R> = db::one(db::stmt(
        &ctx.db,
        "SELECT probability, drivers, trained_at FROM customer_risk WHERE organization_id = ?1 AND customer_id = ?2",
        params![&org.id, &c.id],
    )?)
    .await?;
    http::json(
        200,
        &r.map(|r| {
            json!({
                "probability": (r.probability * 1000.0).round() / 1000.0,
                "drivers": serde_json::from_str::<serde_json::Value>(&r.drivers).unwrap_or_default(),
                "trained_at": rfc3339_from_millis(r.trained_at),
            })
        }),
    )
}
