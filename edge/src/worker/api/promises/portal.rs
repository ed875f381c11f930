//! The customer's side: `GET` and `POST /api/v1/portal/invoices/{id}/promise`.
//! What they may pick is the organization's rules in their own time zone;
//! they may change the date once; after a broken promise, only an agent's
//! agreement lets them promise again.

use super::row::{self, PromiseRow};
use super::{Made, commit, read_request, refused, write};
use crate::error::ApiError;
use crate::promises::{self, Decision};
use crate::rows::{InvoiceRow, OrganizationRow};
use crate::worker::api::{invoices, organizations};
use crate::worker::auth::Session;
use crate::worker::ctx::Ctx;
use crate::worker::http;
use settle_shared::api::{PortalPromise, PortalPromiseResponse, PortalRefusal, PromiseRequest};
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// The customer's own invoice (404 for anyone else's, and for drafts and
/// void ones, which the portal does not show).
pub async fn own_invoice(ctx: &Ctx, s: &Session, id: &str) -> Result<InvoiceRow, ApiError> {
    let inv = invoices::load(ctx, &s.customer.organization_id, id).await?;
    if inv.customer_id != s.customer.id || !["open", "paid"].contains(&inv.status.as_str()) {
        return Err(ApiError::not_found("invoice"));
    }
    Ok(inv)
}

/// What the customer may do about the invoice's date, as things stand.
async fn view(
    ctx: &Ctx,
    org: &OrganizationRow,
    inv: &InvoiceRow,
) -> Result<PortalPromiseResponse, ApiError> {
    let rules = org.promise_rules();
    let facts = row::facts(ctx, inv).await?;
    let current = row::active(ctx, &inv.id).await?;
    let today = crate::rows::local_date(ctx.now_ms(), &inv.time_zone);
    let (first, last) = promises::choosable(&rules, today);
    let may = promises::can_promise(&facts, current.as_ref().and_then(PromiseRow::current));
    Ok(PortalPromiseResponse {
        invoice_id: inv.id.clone(),
        number: inv.number.clone(),
        currency: inv.currency.clone(),
        amount_due: (inv.total - inv.amount_paid).max(0),
        due_date: inv.due_date.clone(),
        promise: current.as_ref().map(|p| PortalPromise {
            promised_date: p.promised_date.clone(),
            note: p.note.clone(),
            can_change: may.is_ok(),
            reminder_at: p.remind_at.map(rfc3339_from_millis),
        }),
        refusal: may.err().map(|r| {
            let body = refused(r).body();
            PortalRefusal {
                code: body.error.code.as_str().to_owned(),
                message: body.error.message,
            }
        }),
        first_date: first.to_string(),
        last_date: last.to_string(),
        grace_days: rules.grace_days,
    })
}

/// `GET /api/v1/portal/invoices/{id}/promise`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let inv = own_invoice(ctx, &s, id).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    http::json(200, &view(ctx, &org, &inv).await?)
}

/// `POST /api/v1/portal/invoices/{id}/promise`: the customer promises to
/// pay by a date, or changes the date of their promise (once).
pub async fn post(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: PromiseRequest = http::json_body(req).await?;
    let (date, note) = read_request(&body)?;
    let inv = own_invoice(ctx, &s, id).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let facts = row::facts(ctx, &inv).await?;
    let current = row::active(ctx, &inv.id).await?;
    let today = crate::rows::local_date(ctx.now_ms(), &inv.time_zone);
    let decision = promises::customer_promise(
        &org.promise_rules(),
        &facts,
        current.as_ref().and_then(PromiseRow::current),
        today,
        date,
    )
    .map_err(refused)?;
    let made = Made {
        org: &org,
        inv: &inv,
        current: current.as_ref(),
        decision,
        date,
        note,
        source: "portal",
        actor: format!("customer:{}", s.customer.id),
    };
    let (stmts, _) = write(ctx, &made)?;
    commit(ctx, stmts).await?;
    let status = if matches!(decision, Decision::New) {
        201
    } else {
        200
    };
    http::json(status, &view(ctx, &org, &inv).await?)
}
