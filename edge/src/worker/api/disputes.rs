//! Disputes: opened on an invoice (its reminders pause) and resolved (they
//! resume at the next step).

use super::invoices;
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::ids::DisputeId;
use settle_shared::staff::Capability;
use settle_shared::text::{self};
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeRequest {
    reason: String,
}

/// `POST /api/v1/invoices/{id}/disputes`: reminders for the invoice pause
/// while the dispute is open.
pub async fn open_dispute(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: DisputeRequest = http::json_body(req).await?;
    let inv = invoices::load(ctx, &org.id, id).await?;
    let reason = text::bounded("reason", &body.reason, text::limits::DESCRIPTION)?;
    let did = DisputeId::generate(ctx.now_ms() as u64, ctx.random10());
    let write = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO disputes (id, organization_id, invoice_id, customer_id, status, reason, opened_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?7, ?6)",
                params![did.as_str(), &org.id, &inv.id, &inv.customer_id, &reason, ctx.now_ms(), ctx.actor()],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "dispute.opened",
                subject: &inv.id,
                detail: json!({ "dispute_id": did.as_str(), "customer_id": inv.customer_id, "reason": reason }),
            })?,
        ],
    )
    .await;
    match write {
        Ok(_) => {}
        Err(db::WriteError::Unique(_)) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("Invoice {} already has an open dispute.", inv.number),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    http::json(
        201,
        &json!({ "id": did.as_str(), "invoice_id": inv.id, "status": "open", "reason": reason,
                 "created_at": rfc3339_from_millis(ctx.now_ms()) }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveRequest {
    resolution: String,
}

/// `POST /api/v1/disputes/{id}/resolve`: reminders resume at the next step.
pub async fn resolve_dispute(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: ResolveRequest = http::json_body(req).await?;
    let resolution = text::bounded("resolution", &body.resolution, text::limits::DESCRIPTION)?;
    if DisputeId::parse(id).is_err() {
        return Err(ApiError::not_found("dispute"));
    }
    #[derive(Deserialize)]
    struct D {
        invoice_id: String,
        customer_id: String,
    }
    let gone = || {
        ApiError::new(
            ErrorCode::NotFound,
            "There is no open dispute with this id.",
        )
    };
    let s = db::stmt(
        &ctx.db,
        "SELECT invoice_id, customer_id FROM disputes WHERE id = ?1 AND organization_id = ?2 AND status = 'open'",
        params![id, &org.id],
    )?;
    let d = db::one::<D>(s).await?.ok_or_else(gone)?;
    // An agent resolves only the disputes of their own accounts.
    super::customers::load(ctx, &org.id, &d.customer_id).await?;
    // The change and its audit row in one transaction; the audit row only
    // if this request is the one that resolved it.
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE disputes SET status = 'resolved', resolution = ?1, resolved_at = ?2 \
                 WHERE id = ?3 AND organization_id = ?4 AND status = 'open'",
                params![&resolution, ctx.now_ms(), id, &org.id],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
                    action: "dispute.resolved",
                    subject: &d.invoice_id,
                    detail: json!({ "dispute_id": id, "customer_id": d.customer_id, "resolution": resolution }),
                },
                "SELECT 1 WHERE changes() = 1",
                Vec::new(),
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(gone());
    }
    http::json(
        200,
        &json!({ "id": id, "invoice_id": d.invoice_id, "status": "resolved", "resolution": resolution }),
    )
}

// ---- Delivery events from the email provider ----
