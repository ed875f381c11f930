//! Promises to pay: agents record them (a promise made by phone), list,
//! cancel and approve another after a broken one; customers make and change
//! them in the portal (`portal`); the cron reminds and ends them (`sweep`).
//! What may be promised, when it is reminded and when it breaks are the pure
//! rules of `crate::promises`; this module reads what they ask and writes
//! what they decide, with its audit row, in one batch.

pub mod portal;
pub mod row;
pub mod sweep;

use super::disputes::thread::sentence;
use super::{customers, invoices, organizations};
use crate::error::ApiError;
use crate::params;
use crate::promises::{self, Decision, Refusal};
use crate::reminders::window::Window;
use crate::rows::{InvoiceRow, OrganizationRow};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::{http, reminders};
use chrono::NaiveDate;
use row::PromiseRow;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::PromiseRequest;
use settle_shared::ids::PromiseId;
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use settle_shared::time::parse_date;
use worker::{D1PreparedStatement, Request, Response};

/// A refusal of the rules as the API's error.
pub fn refused(r: Refusal) -> ApiError {
    let message = sentence(&r.to_string());
    let field = (r.code() == ErrorCode::InvalidField).then(|| "promised_date".to_owned());
    ApiError::Client {
        code: r.code(),
        message,
        field,
    }
}

/// The date and note of a request, checked.
pub fn read_request(body: &PromiseRequest) -> Result<(NaiveDate, Option<String>), ApiError> {
    let date = parse_date(body.promised_date.trim())
        .ok_or_else(|| FieldError::invalid("promised_date", "must be a date such as 2026-12-15"))?;
    let note = text::optional("note", body.note.as_deref(), text::limits::DESCRIPTION)?;
    Ok((date, note))
}

/// A promise to write: made or changed, by whom.
pub struct Made<'a> {
    pub org: &'a OrganizationRow,
    pub inv: &'a InvoiceRow,
    pub current: Option<&'a PromiseRow>,
    pub decision: Decision,
    pub date: NaiveDate,
    pub note: Option<String>,
    /// `portal` or `staff`.
    pub source: &'a str,
    pub actor: String,
}

/// The statements of a promise made or changed, with its audit row; the
/// batch fails with a conflict if the invoice or the promise moved since
/// they were read.
pub fn write(ctx: &Ctx, m: &Made<'_>) -> Result<(Vec<D1PreparedStatement>, String), ApiError> {
    let spec = reminders::window_spec(&m.org.reminders());
    let zone = crate::zone::Zone::or_utc(&m.inv.time_zone);
    let today = zone.date(ctx.now_ms());
    let remind_at = promises::reminder_at(&Window::new(&spec, zone), m.date, ctx.now_ms());
    // As read: open with something due, no dispute, no plan, and (for the
    // customer) no broken promise waiting for an agent.
    let mut stmts = vec![db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM invoices WHERE id = ?1 AND status = 'open' AND total > amount_paid \
           AND (?2 = 'staff' OR promise_needs_approval = 0)) \
         AND NOT EXISTS (SELECT 1 FROM disputes WHERE invoice_id = ?1 AND status = 'open' AND kind IN ('customer', 'company')) \
         AND NOT EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id WHERE pi.invoice_id = ?1 AND p.status IN ('proposed', 'active')) \
         AND NOT EXISTS (SELECT 1 FROM scheduled_payments WHERE invoice_id = ?1 AND status IN ('scheduled', 'charging', 'processing', 'retrying'))",
        params![&m.inv.id, m.source],
    )?];
    let (id, action, from) = match (m.decision, m.current) {
        (Decision::Change { from }, Some(cur)) => {
            stmts.push(db::conflict_unless(
                &ctx.db,
                "EXISTS (SELECT 1 FROM promises WHERE id = ?1 AND status = 'active' AND changes = ?2 AND promised_date = ?3)",
                params![&cur.id, cur.changes, &cur.promised_date],
            )?);
            // Only the customer's own changes count against their one.
            let counted = i64::from(m.source == "portal");
            stmts.push(db::stmt(
                &ctx.db,
                "UPDATE promises SET promised_date = ?1, note = COALESCE(?2, note), changes = changes + ?3, remind_at = ?4, \
                 reminded_at = NULL WHERE id = ?5",
                params![m.date.to_string(), m.note.clone(), counted, remind_at, &cur.id],
            )?);
            (cur.id.clone(), "promise.changed", Some(from.to_string()))
        }
        _ => {
            let id = PromiseId::generate(ctx.now_ms() as u64, ctx.random10());
            stmts.push(db::stmt(
                &ctx.db,
                "INSERT INTO promises (id, organization_id, invoice_id, customer_id, promised_date, note, created_by, created_at, \
                 status, source, made_on, changes, remind_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9, ?10, 0, ?11)",
                params![
                    id.as_str(),
                    &m.org.id,
                    &m.inv.id,
                    &m.inv.customer_id,
                    m.date.to_string(),
                    m.note.clone(),
                    &m.actor,
                    ctx.now_ms(),
                    m.source,
                    today.to_string(),
                    remind_at
                ],
            )?);
            (id.as_str().to_owned(), "promise.made", None)
        }
    };
    if m.source == "staff" {
        // An agent's promise stands for their agreement after a broken one.
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE invoices SET promise_needs_approval = 0 WHERE id = ?1",
            params![&m.inv.id],
        )?);
    }
    let audit = ctx.audit(Audit {
        org: Some(&m.org.id),
        actor: &m.actor,
        action,
        subject: &m.inv.id,
        detail: json!({
            "promise_id": id, "invoice_number": m.inv.number, "customer_id": m.inv.customer_id,
            "promised_date": m.date.to_string(), "from": from, "note": m.note, "source": m.source,
        }),
    })?;
    stmts.push(audit);
    Ok((stmts, id))
}

/// Runs a promise's statements: a lost race is a conflict the caller can
/// retry, a second active promise the same.
pub async fn commit(ctx: &Ctx, stmts: Vec<D1PreparedStatement>) -> Result<(), ApiError> {
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => Ok(()),
        Err(WriteError::Conflict | WriteError::Unique(_)) => Err(ApiError::new(
            ErrorCode::Conflict,
            "The invoice or its promise changed meanwhile; reload and try again.",
        )),
        Err(WriteError::Other(e)) => Err(e),
    }
}

/// `POST /api/v1/invoices/{id}/promises`: an agent records the customer's
/// promise (made by phone or mail), or moves the active one. Up to
/// [`promises::MAX_DAYS_CAP`] days ahead; it stands for the agent's
/// agreement after a broken promise.
pub async fn create_promise(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org_row = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: PromiseRequest = http::json_body(req).await?;
    let (date, note) = read_request(&body)?;
    let inv = invoices::load(ctx, &org_row.id, id).await?;
    let org = organizations::load(ctx, &org_row.id).await?;
    let facts = row::facts(ctx, &inv).await?;
    let current = row::active(ctx, &inv.id).await?;
    let today = crate::rows::local_date(ctx.now_ms(), &inv.time_zone);
    let decision = promises::staff_promise(
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
        source: "staff",
        actor: ctx.actor(),
    };
    let (stmts, pid) = write(ctx, &made)?;
    commit(ctx, stmts).await?;
    let row = row::load(ctx, &org.id, &pid).await?;
    let status = if matches!(decision, Decision::New) {
        201
    } else {
        200
    };
    http::json(status, &row.view(&org.promise_rules()))
}

/// `GET /api/v1/promises`: the organization's promises (agents: of their
/// accounts), newest first, by `status`, `customer_id` or `invoice_id`.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let status = http::query(req, "status");
    if let Some(s) = &status
        && !["active", "kept", "broken", "cancelled"].contains(&s.as_str())
    {
        return Err(FieldError::invalid("status", "is active, kept, broken or cancelled").into());
    }
    let limit = customers::page_limit(req);
    let start = customers::page_start(req)?;
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{} WHERE p.organization_id = ?1 AND p.id < ?2 AND (?3 IS NULL OR p.status = ?3) AND (?4 IS NULL OR p.customer_id = ?4) \
             AND (?5 IS NULL OR p.invoice_id = ?5) AND (?6 IS NULL OR c.assigned_to = ?6) ORDER BY p.id DESC LIMIT ?7",
            row::SELECT
        ),
        params![
            &org.id,
            start,
            status,
            http::query(req, "customer_id"),
            http::query(req, "invoice_id"),
            ctx.only_accounts_of(),
            limit + 1
        ],
    )?;
    let rows: Vec<PromiseRow> = db::all(s).await?;
    let rules = org.promise_rules();
    customers::page(rows, limit, |r| &r.id, |r| r.view(&rules))
}

/// `POST /api/v1/promises/{id}/cancel`: an agent withdraws an active
/// promise; the invoice's reminders resume.
pub async fn cancel(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let p = row::load(ctx, &org.id, id).await?;
    if p.status != "active" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "The promise is {}: only an active one can be cancelled.",
                p.status
            ),
        ));
    }
    let stmts = vec![
        db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM promises WHERE id = ?1 AND status = 'active')",
            params![&p.id],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE promises SET status = 'cancelled', ended_at = ?1, ended_by = ?2 WHERE id = ?3",
            params![ctx.now_ms(), ctx.actor(), &p.id],
        )?,
        ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: "promise.cancelled",
            subject: &p.invoice_id,
            detail: json!({ "promise_id": p.id, "customer_id": p.customer_id, "promised_date": p.promised_date }),
        })?,
    ];
    commit(ctx, stmts).await?;
    let p = row::load(ctx, &org.id, id).await?;
    http::json(200, &p.view(&org.promise_rules()))
}

/// `POST /api/v1/invoices/{id}/promises/approval`: after a broken promise,
/// an agent agrees that the customer may promise again in the portal.
pub async fn approve(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let inv = invoices::load(ctx, &org.id, id).await?;
    let facts = row::facts(ctx, &inv).await?;
    if !facts.needs_approval {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "Invoice {} has no broken promise to approve past.",
                inv.number
            ),
        ));
    }
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                // With it, the other invoices of its last plan when that
                // plan broke (a plan over the whole overdue balance locked
                // them all), unless a promise of theirs broke since.
                "UPDATE invoices SET promise_needs_approval = 0 WHERE id = ?1 OR (status = 'open' AND id IN \
                 (SELECT pi.invoice_id FROM plan_invoices pi WHERE pi.plan_id = \
                   (SELECT p.id FROM plan_invoices x JOIN payment_plans p ON p.id = x.plan_id WHERE x.invoice_id = ?1 \
                    ORDER BY p.id DESC LIMIT 1 ) \
                  AND EXISTS (SELECT 1 FROM payment_plans b WHERE b.id = pi.plan_id AND b.status = 'broken' \
                    AND NOT EXISTS (SELECT 1 FROM promises pr WHERE pr.invoice_id = pi.invoice_id AND pr.status = 'broken' \
                      AND pr.ended_at > b.ended_at))))",
                params![&inv.id],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "promise.approved",
                subject: &inv.id,
                detail: json!({ "invoice_number": inv.number, "customer_id": inv.customer_id }),
            })?,
        ],
    )
    .await?;
    http::json(
        200,
        &json!({ "invoice_id": inv.id, "promise_needs_approval": false }),
    )
}

/// The statements that follow a broken promise or plan: the invoice needs
/// an agent's agreement before new dates, and the account is flagged for
/// its agent with why.
pub fn lock_after_break(
    ctx: &Ctx,
    invoice_id: &str,
    customer_id: &str,
    why: String,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    Ok(vec![
        db::stmt(
            &ctx.db,
            "UPDATE invoices SET promise_needs_approval = 1 WHERE id = ?1",
            params![invoice_id],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE customers SET flagged_at = COALESCE(flagged_at, ?1), flag_reason = ?2 WHERE id = ?3",
            params![ctx.now_ms(), why, customer_id],
        )?,
    ])
}

/// The date of the invoice's active promise (what its reminder says).
pub async fn active_date(ctx: &Ctx, invoice_id: &str) -> Result<Option<String>, ApiError> {
    Ok(row::active(ctx, invoice_id).await?.map(|p| p.promised_date))
}
