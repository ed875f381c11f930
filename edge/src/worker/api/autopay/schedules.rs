//! Scheduled payments: the customer schedules, changes or cancels an
//! invoice's automatic payment in the portal; agents list and cancel them;
//! autopay schedules each new invoice on its due date.
//!
//! - `GET`, `POST`, `DELETE /api/v1/portal/invoices/{id}/schedule`
//! - `GET /api/v1/scheduled-payments`, `POST /api/v1/scheduled-payments/{id}/cancel`

use super::methods::{self, MethodRow};
use super::row::{SELECT, ScheduleRow, last_failed, live, load};
use super::{LIVE, account};
use crate::autopay::{self, ScheduleError, Status};
use crate::error::ApiError;
use crate::params;
use crate::rows::{InvoiceRow, OrganizationRow};
use crate::worker::api::disputes::thread::sentence;
use crate::worker::api::promises::portal::own_invoice;
use crate::worker::api::promises::row as promise_row;
use crate::worker::api::{customers, organizations};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::{http, reminders};
use crate::zone::Zone;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{PortalRefusal, PortalScheduleResponse, ScheduleRequest};
use settle_shared::ids::ScheduleId;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::parse_date;
use worker::{D1PreparedStatement, Request, Response};

/// A refusal of the rules as the API's error.
pub fn refused(e: ScheduleError) -> ApiError {
    ApiError::Client {
        code: e.code(),
        message: sentence(&e.to_string()),
        field: e.field().map(str::to_owned),
    }
}

/// When the charge for `date` is due for this organization's customer.
fn charge_at(org: &OrganizationRow, time_zone: &str, date: NaiveDate) -> i64 {
    let spec = reminders::window_spec(&org.reminders());
    autopay::charge_at(&Zone::or_utc(time_zone), spec.start_min, date)
}

async fn view(
    ctx: &Ctx,
    org: &OrganizationRow,
    inv: &InvoiceRow,
) -> Result<PortalScheduleResponse, ApiError> {
    let acct = account(ctx, &org.id).await?;
    let methods: Vec<MethodRow> = match &acct {
        Some(a) => methods::live(ctx, &inv.customer_id, &a.name).await?,
        None => Vec::new(),
    };
    let autopay = methods::autopay_method(ctx, &inv.customer_id).await?;
    let current = live(ctx, &inv.id).await?;
    // With none live, the last one that failed is shown, so the customer
    // knows (they may schedule again).
    let shown = match &current {
        Some(c) => Some(c.clone()),
        None => last_failed(ctx, &inv.id).await?,
    };
    let facts = promise_row::facts(ctx, inv).await?;
    let today = Zone::or_utc(&inv.time_zone).date(ctx.now_ms());
    let rules = org.promise_rules();
    let (first, last) = autopay::choosable(&rules, today);
    let refusal = match &current {
        Some(c) => c.may_change(today).err(),
        None => autopay::may_schedule(&rules, &facts, today, first, true).err(),
    };
    Ok(PortalScheduleResponse {
        invoice_id: inv.id.clone(),
        number: inv.number.clone(),
        currency: inv.currency.clone(),
        amount_due: (inv.total - inv.amount_paid).max(0),
        first_date: first.to_string(),
        last_date: last.to_string(),
        schedule: shown.map(|c| c.view(ctx.now_ms())),
        methods: methods.iter().map(|m| m.view(autopay.as_deref())).collect(),
        refusal: refusal.map(|r| {
            let body = refused(r).body();
            PortalRefusal {
                code: body.error.code.as_str().to_owned(),
                message: body.error.message,
            }
        }),
        available: acct.is_some(),
        retry_days: org.retry_days(),
    })
}

/// `GET /api/v1/portal/invoices/{id}/schedule`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let inv = own_invoice(ctx, &s, id).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    http::json(200, &view(ctx, &org, &inv).await?)
}

/// `POST /api/v1/portal/invoices/{id}/schedule`: the customer schedules
/// the invoice's payment with a saved method on a date, or changes the date
/// or method until the day before. An active promise on the invoice gives
/// way to it.
pub async fn post(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: ScheduleRequest = http::json_body(req).await?;
    let date = parse_date(body.charge_on.trim())
        .ok_or_else(|| FieldError::invalid("charge_on", "must be a date such as 2026-12-15"))?;
    let inv = own_invoice(ctx, &s, id).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let acct = super::need_account(ctx, &org.id).await?;
    let method = methods::own(ctx, &s.customer.id, body.payment_method_id.trim())
        .await?
        .ok_or_else(|| ApiError::not_found("payment method"))?;
    let method_live = method.removed_at.is_none() && method.account == acct.name;
    let current = live(ctx, &inv.id).await?;
    let today = Zone::or_utc(&inv.time_zone).date(ctx.now_ms());
    if let Some(c) = &current {
        c.may_change(today).map_err(refused)?;
        if c.charge_on == date.to_string() && c.payment_method_id == method.id {
            return Err(FieldError::invalid(
                "charge_on",
                "is the date and method already scheduled",
            )
            .into());
        }
    }
    let facts = promise_row::facts(ctx, &inv).await?;
    autopay::may_schedule(&org.promise_rules(), &facts, today, date, method_live)
        .map_err(refused)?;
    let at = charge_at(&org, &inv.time_zone, date);
    let actor = format!("customer:{}", s.customer.id);
    let now = ctx.now_ms();
    // As read: the invoice open with something due, no dispute or plan, no
    // broken promise waiting for an agent, the method still saved.
    let mut stmts = vec![db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM invoices WHERE id = ?1 AND status = 'open' AND total > amount_paid AND promise_needs_approval = 0) \
         AND NOT EXISTS (SELECT 1 FROM disputes WHERE invoice_id = ?1 AND status = 'open' AND kind IN ('customer', 'company')) \
         AND NOT EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id WHERE pi.invoice_id = ?1 AND p.status IN ('proposed', 'active')) \
         AND EXISTS (SELECT 1 FROM payment_methods WHERE id = ?2 AND removed_at IS NULL)",
        params![&inv.id, &method.id],
    )?];
    let (schedule_id, action) = match &current {
        Some(c) => {
            stmts.push(db::conflict_unless(
                &ctx.db,
                "EXISTS (SELECT 1 FROM scheduled_payments WHERE id = ?1 AND status = 'scheduled' AND updated_at = ?2)",
                params![&c.id, c.updated_at],
            )?);
            stmts.push(db::stmt(
                &ctx.db,
                "UPDATE scheduled_payments SET charge_on = ?1, payment_method_id = ?2, next_attempt_at = ?3, changes = changes + 1, \
                 updated_at = ?4 WHERE id = ?5",
                params![date.to_string(), &method.id, at, now, &c.id],
            )?);
            (c.id.clone(), "scheduled_payment.changed")
        }
        None => {
            let sid = ScheduleId::generate(now as u64, ctx.random10());
            stmts.push(db::stmt(
                &ctx.db,
                "INSERT INTO scheduled_payments (id, organization_id, customer_id, invoice_id, payment_method_id, charge_on, source, \
                 status, next_attempt_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'portal', 'scheduled', ?7, ?8, ?8)",
                params![sid.as_str(), &org.id, &s.customer.id, &inv.id, &method.id, date.to_string(), at, now],
            )?);
            (sid.as_str().to_owned(), "scheduled_payment.created")
        }
    };
    // A promise on the invoice gives way to the scheduled payment.
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE promises SET status = 'cancelled', ended_at = ?1, ended_by = ?2 WHERE invoice_id = ?3 AND status = 'active'",
        params![now, format!("{actor} (scheduled a payment)"), &inv.id],
    )?);
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor: &actor,
        action,
        subject: &inv.id,
        detail: json!({ "scheduled_payment_id": schedule_id, "charge_on": date.to_string(),
                        "from": current.as_ref().map(|c| c.charge_on.clone()), "method": method.label() }),
    })?);
    commit(ctx, stmts).await?;
    let status = if current.is_some() { 200 } else { 201 };
    http::json(status, &view(ctx, &org, &inv).await?)
}

/// Writes a schedule's batch; a race (the invoice or schedule moved since
/// it was read) is a conflict to try again.
async fn commit(ctx: &Ctx, stmts: Vec<D1PreparedStatement>) -> Result<(), ApiError> {
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => Ok(()),
        Err(WriteError::Conflict | WriteError::Unique(_)) => Err(ApiError::new(
            ErrorCode::Conflict,
            "The invoice or its scheduled payment changed meanwhile. Reload the page and try again.",
        )),
        Err(WriteError::Other(e)) => Err(e),
    }
}

/// Cancels a schedule that is still waiting (or retrying, for agents).
async fn end(ctx: &Ctx, c: &ScheduleRow, actor: &str, states: &str) -> Result<(), ApiError> {
    let now = ctx.now_ms();
    commit(
        ctx,
        vec![
            db::conflict_unless(
                &ctx.db,
                &format!("EXISTS (SELECT 1 FROM scheduled_payments WHERE id = ?1 AND status IN {states})"),
                params![&c.id],
            )?,
            db::stmt(
                &ctx.db,
                "UPDATE scheduled_payments SET status = 'cancelled', ended_at = ?1, ended_by = ?2, updated_at = ?1, next_attempt_at = NULL \
                 WHERE id = ?3",
                params![now, actor, &c.id],
            )?,
            ctx.audit(Audit {
                org: Some(&c.organization_id),
                actor,
                action: "scheduled_payment.cancelled",
                subject: &c.invoice_id,
                detail: json!({ "scheduled_payment_id": c.id, "charge_on": c.charge_on, "customer_id": c.customer_id }),
            })?,
        ],
    )
    .await
}

/// `DELETE /api/v1/portal/invoices/{id}/schedule`: until the day before.
pub async fn cancel_own(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let inv = own_invoice(ctx, &s, id).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let c = live(ctx, &inv.id)
        .await?
        .ok_or_else(|| ApiError::not_found("scheduled payment"))?;
    c.may_change(Zone::or_utc(&inv.time_zone).date(ctx.now_ms()))
        .map_err(refused)?;
    end(
        ctx,
        &c,
        &format!("customer:{}", s.customer.id),
        "('scheduled')",
    )
    .await?;
    http::json(200, &view(ctx, &org, &inv).await?)
}

/// `POST /api/v1/scheduled-payments/{id}/cancel`: an agent stops a charge
/// that has not started (waiting, or waiting to be retried).
pub async fn cancel(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let c = load(ctx, &org.id, id).await?;
    if !matches!(c.status(), Status::Scheduled | Status::Retrying) {
        return Err(ApiError::new(
            ErrorCode::ScheduleLocked,
            format!(
                "The scheduled payment is {}: only one that is waiting can be cancelled.",
                c.status
            ),
        ));
    }
    end(ctx, &c, &ctx.actor(), "('scheduled', 'retrying')").await?;
    http::json(200, &load(ctx, &org.id, id).await?.view(ctx.now_ms()))
}

/// `GET /api/v1/scheduled-payments`: newest first; filters `status`,
/// `customer_id`, `invoice_id`.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let status = http::query(req, "status");
    if let Some(s) = &status
        && Status::parse(s).is_none()
    {
        return Err(FieldError::invalid(
            "status",
            "is scheduled, charging, processing, retrying, paid, failed or cancelled",
        )
        .into());
    }
    let limit = customers::page_limit(req);
    let start = customers::page_start(req)?;
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE s.organization_id = ?1 AND s.id < ?2 AND (?3 IS NULL OR s.status = ?3) AND (?4 IS NULL OR s.customer_id = ?4) \
             AND (?5 IS NULL OR s.invoice_id = ?5) AND (?6 IS NULL OR c.assigned_to = ?6) ORDER BY s.id DESC LIMIT ?7"
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
    let rows: Vec<ScheduleRow> = db::all(s).await?;
    customers::page(rows, limit, |r| &r.id, |r| r.view(ctx.now_ms()))
}

/// The customer's time zone changed: each charge still waiting keeps its
/// date, at the window's opening in the new zone.
pub async fn rezone(
    ctx: &Ctx,
    org: &OrganizationRow,
    customer_id: &str,
    time_zone: &str,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Waiting {
        id: String,
        charge_on: String,
        updated_at: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT id, charge_on, updated_at FROM scheduled_payments WHERE customer_id = ?1 AND status = 'scheduled'",
        params![customer_id],
    )?;
    let mut stmts = Vec::new();
    for w in db::all::<Waiting>(s).await? {
        let Some(date) = parse_date(&w.charge_on) else {
            continue;
        };
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE scheduled_payments SET next_attempt_at = ?1 WHERE id = ?2 AND status = 'scheduled' AND updated_at = ?3",
            params![charge_at(org, time_zone, date), &w.id, w.updated_at],
        )?);
    }
    if !stmts.is_empty() {
        db::batch(&ctx.db, stmts).await.map_err(ApiError::from)?;
    }
    Ok(())
}

/// Autopay: the statement that schedules a new invoice's charge on its due
/// date (tomorrow when that has passed) with the customer's autopay method,
/// when autopay is on and the method can still be charged; part of the
/// batch that issues the invoice (written after it).
pub async fn for_new_invoice(
    ctx: &Ctx,
    org: &OrganizationRow,
    customer: &crate::rows::CustomerRow,
    invoice_id: &str,
    due: NaiveDate,
) -> Result<Option<D1PreparedStatement>, ApiError> {
    let Some(method_id) = methods::autopay_method(ctx, &customer.id).await? else {
        return Ok(None);
    };
    let Some(acct) = account(ctx, &org.id).await? else {
        return Ok(None);
    };
    let today = Zone::or_utc(&customer.time_zone).date(ctx.now_ms());
    let date = autopay::autopay_date(due, today);
    let at = charge_at(org, &customer.time_zone, date);
    let now = ctx.now_ms();
    let sid = ScheduleId::generate(now as u64, ctx.random10());
    Ok(Some(db::stmt(
        &ctx.db,
        &format!(
            "INSERT INTO scheduled_payments (id, organization_id, customer_id, invoice_id, payment_method_id, charge_on, source, status, \
             next_attempt_at, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, m.id, ?5, 'autopay', 'scheduled', ?6, ?7, ?7 \
             FROM payment_methods m WHERE m.id = ?8 AND m.customer_id = ?3 AND m.removed_at IS NULL AND m.account = ?9 \
             AND NOT EXISTS (SELECT 1 FROM scheduled_payments WHERE invoice_id = ?4 AND status IN {LIVE})"
        ),
        params![
            sid.as_str(),
            &org.id,
            &customer.id,
            invoice_id,
            date.to_string(),
            at,
            now,
            &method_id,
            &acct.name
        ],
    )?))
}
