//! `GET /api/v1/exchange-rates` (supervisors and admins) and
//! `PUT /api/v1/exchange-rates/{currency}` (admins): each currency's rate
//! to the organization's base currency (its default currency). Invoices and
//! ledger rows copy the rate current when they are written
//! (`exchange_rates` in the inserts of `invoices::issue` and the ledger),
//! and the metrics in the base currency count them at it.

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::Currency;
use settle_shared::fx::Rate;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use worker::{Request, Response};

#[derive(Deserialize)]
struct Row {
    currency: String,
    base_currency: String,
    rate: i64,
    set_at: i64,
}

/// The organization's base currency: its default currency.
pub fn base_of(org: &crate::rows::OrganizationRow) -> Result<Currency, ApiError> {
    Currency::parse(org.branding().default_currency.as_deref().unwrap_or("EUR"))
        .map_err(|_| ApiError::internal("default currency"))
}

fn shown(r: &Row) -> serde_json::Value {
    json!({
        "currency": r.currency,
        "base_currency": r.base_currency,
        "rate": Rate::from_billionths(r.rate).map(|x| x.to_string()),
        "set_at": settle_shared::time::rfc3339_from_millis(r.set_at),
    })
}

pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    let rows: Vec<Row> = db::all(db::stmt(
        &ctx.db,
        "SELECT currency, base_currency, rate, set_at FROM exchange_rates WHERE organization_id = ?1 \
         ORDER BY currency",
        params![&org.id],
    )?)
    .await?;
    http::json(
        200,
        &json!({
            "base_currency": base_of(&org)?.code(),
            "data": rows.iter().map(shown).collect::<Vec<_>>(),
        }),
    )
}

#[derive(Deserialize)]
struct SetRate {
    rate: String,
}

pub async fn set(ctx: &Ctx, req: Request, currency: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let base = base_of(&org)?;
    let currency = Currency::parse(currency)
        .map_err(|_| FieldError::invalid("currency", "is not an ISO 4217 currency"))?;
    if currency == base {
        return Err(
            FieldError::invalid("currency", "is the base currency: its rate is always 1").into(),
        );
    }
    let body: SetRate = http::json_body(req).await?;
    let rate =
        Rate::parse(body.rate.trim()).map_err(|e| FieldError::invalid("rate", e.to_string()))?;
    let row = Row {
        currency: currency.code().to_owned(),
        base_currency: base.code().to_owned(),
        rate: rate.billionths(),
        set_at: ctx.now_ms(),
    };
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO exchange_rates (organization_id, currency, base_currency, rate, set_at, set_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (organization_id, currency) DO UPDATE SET \
                 base_currency = excluded.base_currency, rate = excluded.rate, set_at = excluded.set_at, set_by = excluded.set_by",
                params![&org.id, &row.currency, &row.base_currency, row.rate, row.set_at, ctx.actor()],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "exchange_rate.set",
                subject: &row.currency,
                detail: json!({ "currency": row.currency, "base_currency": row.base_currency, "rate": rate.to_string() }),
            })?,
        ],
    )
    .await?;
    http::json(200, &shown(&row))
}

/// The currencies with a rate to `base` set.
pub async fn rated(ctx: &Ctx, org_id: &str, base: Currency) -> Result<Vec<String>, ApiError> {
    let rows: Vec<super::metrics::books::Text> = db::all(db::stmt(
        &ctx.db,
        "SELECT currency AS v FROM exchange_rates WHERE organization_id = ?1 AND base_currency = ?2",
        params![org_id, base.code()],
    )?)
    .await?;
    Ok(rows.into_iter().filter_map(|c| c.v).collect())
}
