//! `GET /api/v1/stripe-events`: what Stripe sent and what Settle did with it.

use crate::cursor;
use crate::error::ApiError;
use crate::params;
use crate::worker::api::customers::{next_cursor, page_start};
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use serde::Deserialize;
use settle_shared::api::{ListResponse, StripeEventResponse};
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use worker::{Request, Response};

/// A recorded event as the company sees it.
#[derive(Deserialize)]
struct EventRow {
    id: String,
    kind: String,
    outcome: String,
    invoice_id: Option<String>,
    note: Option<String>,
    received_at: i64,
}

/// `GET /api/v1/stripe-events?outcome=&limit=&cursor=`: what Stripe sent and
/// what Settle did with it (flagged events need a person).
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = page_start(req)?;
    let mut sql = "SELECT id, type AS kind, outcome, invoice_id, note, received_at FROM stripe_events WHERE organization_id = ?1 AND id < ?2".to_owned();
    let mut args = params![&org.id, before, i64::from(limit) + 1];
    if let Some(o) = http::query(req, "outcome") {
        if !["applied", "ignored", "flagged", "pending"].contains(&o.as_str()) {
            return Err(FieldError::invalid(
                "outcome",
                "must be applied, ignored, flagged or pending",
            )
            .into());
        }
        sql.push_str(" AND outcome = ?4");
        args.push(o.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?3");
    let mut rows: Vec<EventRow> = db::all(db::stmt(&ctx.db, &sql, args)?).await?;
    let next = next_cursor(&mut rows, limit, |r| &r.id);
    let data: Vec<StripeEventResponse> = rows
        .into_iter()
        .map(|r| StripeEventResponse {
            received_at: settle_shared::time::rfc3339_from_millis(r.received_at),
            id: r.id,
            kind: r.kind,
            outcome: r.outcome,
            invoice_id: r.invoice_id,
            note: r.note,
        })
        .collect();
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: next,
            total: None,
        },
    )
}
