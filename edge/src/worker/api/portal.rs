//! The customer portal's API: who is signed in, their invoices, sign-out.
//! Every query is scoped by the session's organization and customer.

use super::{invoices, organizations};
use crate::error::ApiError;
use crate::params;
use crate::security;
use crate::views::{InvoiceRow, LineRow, local_date};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::api::{ListResponse, PortalSessionResponse};
use settle_shared::ids::InvoiceId;
use worker::{Request, Response};

/// `GET /api/v1/portal/session`
pub async fn session(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    http::json(
        200,
        &PortalSessionResponse {
            customer_name: s.customer.name,
            customer_email: s.customer.email,
            locale: s.customer.locale,
            today: local_date(ctx.now_ms, &s.customer.time_zone).to_string(),
            time_zone: s.customer.time_zone,
            organization: org.branding(),
            landing_invoice_id: s.link_invoice_id,
        },
    )
}

/// `POST /api/v1/portal/sign-out`
pub async fn sign_out(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE customer_sessions SET ended_at = ?1 WHERE token_hash = ?2",
                params![ctx.now_ms, &s.token_hash],
            )?,
            ctx.audit(Audit {
                org: Some(&s.customer.organization_id),
                actor: &format!("customer:{}", s.customer.id),
                action: "session.ended",
                subject: &s.customer.id,
                detail: json!({}),
            })?,
        ],
    )
    .await?;
    let mut resp = http::json(200, &json!({ "status": "signed_out" }))?;
    resp.headers_mut()
        .set("Set-Cookie", &security::clear_session_cookie())
        .map_err(|e| ApiError::internal(format!("header: {e}")))?;
    Ok(resp)
}

/// `GET /api/v1/portal/invoices`: the customer's issued invoices, newest first.
pub async fn invoices(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let q = db::stmt(
        &ctx.db,
        "SELECT i.id, i.customer_id, i.number, i.currency, i.status, i.issue_date, i.due_date, i.memo, i.subtotal, i.tax, \
         i.total, i.amount_paid, i.sent_at, i.voided_at, i.created_at, c.time_zone \
         FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.organization_id = ?1 AND i.customer_id = ?2 AND i.status IN ('open', 'paid') ORDER BY i.id DESC LIMIT 100",
        params![&s.customer.organization_id, &s.customer.id],
    )?;
    let rows: Vec<InvoiceRow> = db::all(q).await?;
    let lines = invoices::lines_of(ctx, &rows).await?;
    let data = rows.iter().map(|r| r.view(&lines, ctx.now_ms)).collect();
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
        },
    )
}

/// A customer's views of one invoice are recorded once per this window.
const VIEW_DEDUPE_MS: i64 = 30 * 60 * 1000;

/// `GET /api/v1/portal/invoices/{id}`: the invoice, its lines and the record
/// of the view, in one round trip to D1.
pub async fn invoice(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let not_found = || ApiError::not_found("invoice");
    if InvoiceId::parse(id).is_err() {
        return Err(not_found());
    }
    let (org, customer) = (&s.customer.organization_id, &s.customer.id);
    let actor = format!("customer:{customer}");
    let results = db::batch(&ctx.db, vec![
        db::stmt(
            &ctx.db,
            &format!(
                "{} WHERE i.id = ?1 AND i.organization_id = ?2 AND i.customer_id = ?3 AND i.status IN ('open', 'paid')",
                invoices::SELECT_INVOICE
            ),
            params![id, org, customer],
        )?,
        db::stmt(&ctx.db, "SELECT * FROM invoice_lines WHERE invoice_id = ?1 ORDER BY position", params![id])?,
        ctx.audit_if(
            Audit { org: Some(org), actor: &actor, action: "invoice.viewed", subject: id, detail: json!({}) },
            "SELECT 1 FROM invoices WHERE id = ?9 AND organization_id = ?2 AND customer_id = ?10 \
             AND NOT EXISTS (SELECT 1 FROM audit_events WHERE organization_id = ?2 AND subject = ?9 \
             AND actor = ?3 AND action = 'invoice.viewed' AND created_at > ?11)",
            params![id, customer, ctx.now_ms - VIEW_DEDUPE_MS],
        )?,
    ])
    .await?;
    let rows = |i: usize| {
        results
            .get(i)
            .ok_or_else(|| ApiError::internal("batch answered too few results"))
    };
    let invoice: Vec<InvoiceRow> = rows(0)?
        .results()
        .map_err(|e| ApiError::internal(format!("decode invoice: {e}")))?;
    let lines: Vec<LineRow> = rows(1)?
        .results()
        .map_err(|e| ApiError::internal(format!("decode lines: {e}")))?;
    let row = invoice.into_iter().next().ok_or_else(not_found)?;
    http::json(200, &row.view(&lines, ctx.now_ms))
}
