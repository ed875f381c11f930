//! `POST /api/v1/invoices/{id}/promises`: a customer's promise to pay by a
//! date holds that invoice's reminders until then.

use super::invoices;
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::ids::PromiseId;
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use settle_shared::time::{parse_date, rfc3339_from_millis};
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromiseRequest {
    promised_date: String,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/invoices/{id}/promises`: the customer promised to pay by a
/// date (recorded by an agent). Reminders for the invoice hold until then.
pub async fn create_promise(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: PromiseRequest = http::json_body(req).await?;
    let inv = invoices::load(ctx, &org.id, id).await?;
    if inv.status != "open" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "Invoice {} is {}: there is nothing to promise.",
                inv.number, inv.status
            ),
        ));
    }
    let date = parse_date(&body.promised_date)
        .ok_or_else(|| FieldError::invalid("promised_date", "must be a date such as 2026-12-15"))?;
    let today = crate::rows::local_date(ctx.now_ms(), &inv.time_zone);
    if date < today || (date - today).num_days() > 90 {
        return Err(FieldError::invalid(
            "promised_date",
            "must be from today to 90 days ahead, in the customer's time zone",
        )
        .into());
    }
    let note = text::optional("note", body.note.as_deref(), text::limits::DESCRIPTION)?;
    let pid = PromiseId::generate(ctx.now_ms() as u64, ctx.random10());
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO promises (id, organization_id, invoice_id, customer_id, promised_date, note, created_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?7)",
                params![pid.as_str(), &org.id, &inv.id, &inv.customer_id, date.to_string(), note.clone(), ctx.now_ms(), ctx.actor()],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "promise.recorded",
                subject: &inv.id,
                detail: json!({ "promise_id": pid.as_str(), "customer_id": inv.customer_id, "promised_date": date.to_string(), "note": note }),
            })?,
        ],
    )
    .await?;
    http::json(
        201,
        &json!({ "id": pid.as_str(), "invoice_id": inv.id, "promised_date": date.to_string(), "note": note,
                 "created_at": rfc3339_from_millis(ctx.now_ms()) }),
    )
}
