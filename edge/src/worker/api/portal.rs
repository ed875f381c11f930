//! The customer portal's API: who is signed in, their invoices, sign-out.
//! Every query is scoped by the session's organization and customer.

use super::{invoices, organizations};
use crate::error::ApiError;
use crate::params;
use crate::rows::{InvoiceRow, LineRow, local_date};
use crate::security;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::api::{ListResponse, PortalBrand, PortalSessionResponse};
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
            today: local_date(ctx.now_ms(), &s.customer.time_zone).to_string(),
            time_zone: s.customer.time_zone,
            organization: PortalBrand {
                display_name: org.display_name.clone(),
                logo_url: org.logo_url.clone(),
                primary_color: org.primary_color.clone(),
                support_email: org.support_email.clone(),
            },
            payments: org.payments(),
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
                params![ctx.now_ms(), &s.token_hash],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&s.customer.organization_id),
                    actor: &format!("customer:{}", s.customer.id),
                    action: "session.ended",
                    subject: &s.customer.id,
                    detail: json!({}),
                },
                "SELECT 1 FROM customer_sessions WHERE token_hash = ?9 AND ended_at = ?8",
                params![&s.token_hash],
            )?,
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
    let (org, customer) = (&s.customer.organization_id, &s.customer.id);
    // Everything still to pay, however old, then the latest paid ones. The
    // list shows no lines: the invoice page has them.
    let query = |status: &str, order: &str, limit: i64| {
        db::stmt(
            &ctx.db,
            &format!(
                "{} WHERE i.organization_id = ?1 AND i.customer_id = ?2 AND i.status = ?3 ORDER BY {order} LIMIT ?4",
                invoices::SELECT_INVOICE
            ),
            params![org, customer, status, limit],
        )
    };
    let results = db::batch(
        &ctx.db,
        vec![
            query("open", "i.due_date, i.id", 500)?,
            query("paid", "i.id DESC", 50)?,
        ],
    )
    .await?;
    let mut data = Vec::new();
    for r in &results {
        let rows: Vec<InvoiceRow> = r
            .results()
            .map_err(|e| ApiError::internal(format!("decode invoices: {e}")))?;
        data.extend(rows.iter().map(|row| row.view(&[], ctx.now_ms())));
    }
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
            total: None,
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
    let mut stmts = vec![
        db::stmt(
            &ctx.db,
            &format!(
                "{} WHERE i.id = ?1 AND i.organization_id = ?2 AND i.customer_id = ?3 AND i.status IN ('open', 'paid')",
                invoices::SELECT_INVOICE
            ),
            params![id, org, customer],
        )?,
        db::stmt(
            &ctx.db,
            "SELECT l.* FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
             WHERE l.invoice_id = ?1 AND i.organization_id = ?2 AND i.customer_id = ?3 ORDER BY l.position",
            params![id, org, customer],
        )?,
    ];
    // A view is evidence only when the portal itself asked (not a page on
    // another site making the browser fetch this).
    let from_elsewhere = matches!(
        http::header(req, "Sec-Fetch-Site").as_deref(),
        Some("cross-site" | "same-site")
    );
    if !from_elsewhere {
        stmts.push(ctx.audit_if(
            Audit { org: Some(org), actor: &actor, action: "invoice.viewed", subject: id, detail: json!({}) },
            "SELECT 1 FROM invoices WHERE id = ?9 AND organization_id = ?2 AND customer_id = ?10 \
             AND NOT EXISTS (SELECT 1 FROM audit_events WHERE organization_id = ?2 AND subject = ?9 \
             AND actor = ?3 AND action = 'invoice.viewed' AND created_at > ?11)",
            params![id, customer, ctx.now_ms() - VIEW_DEDUPE_MS],
        )?);
    }
    let results = db::batch(&ctx.db, stmts).await?;
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
    http::json(200, &row.view(&lines, ctx.now_ms()))
}
