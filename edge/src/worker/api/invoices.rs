//! Invoices, their lines and their payments ledger.

use super::customers::{self, next_cursor, page_start};
use crate::cursor;
use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::rows::{CustomerRow, InvoiceRow, LineRow};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::{http, ledger as books, outbox, queue};
use serde_json::json;
use settle_shared::Currency;
use settle_shared::ErrorCode;
use settle_shared::api::{CreateInvoiceRequest, ListResponse};
use settle_shared::ids::{EmailId, InvoiceId};
use settle_shared::invoice::{InvoiceStatus, NewInvoice};
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use worker::{Request, Response};

/// The columns of an invoice view: the invoice and its customer's time zone.
pub const SELECT_INVOICE: &str = "SELECT i.id, i.customer_id, i.number, i.currency, i.status, i.issue_date, i.due_date, i.memo, \
     i.subtotal, i.tax, i.total, i.amount_paid, i.sent_at, i.voided_at, i.created_at, c.time_zone, \
     EXISTS (SELECT 1 FROM checkout_sessions s WHERE s.organization_id = i.organization_id AND s.state = 'processing' \
     AND (s.invoice_id = i.id OR EXISTS (SELECT 1 FROM json_each(s.invoice_ids) j WHERE j.value = i.id))) \
     OR EXISTS (SELECT 1 FROM scheduled_payments sp WHERE sp.invoice_id = i.id AND sp.status IN ('charging', 'processing')) \
     OR EXISTS (SELECT 1 FROM plan_invoices pi JOIN scheduled_payments sp ON sp.plan_id = pi.plan_id \
       WHERE pi.invoice_id = i.id AND sp.status IN ('charging', 'processing')) AS processing, \
     (SELECT d.id FROM disputes d WHERE d.invoice_id = i.id AND d.status = 'open' AND d.kind IN ('customer', 'company')) AS dispute_id, \
     (SELECT d.disputed_amount FROM disputes d WHERE d.invoice_id = i.id AND d.status = 'open' AND d.kind IN ('customer', 'company')) AS disputed_amount, \
     i.replaces_invoice_id, (SELECT r.number FROM invoices r WHERE r.id = i.replaces_invoice_id) AS replaces_number, \
     (SELECT r.id FROM invoices r WHERE r.replaces_invoice_id = i.id) AS replaced_by_id, \
     (SELECT r.number FROM invoices r WHERE r.replaces_invoice_id = i.id) AS replaced_by_number, \
     i.early_payment_bp, i.early_payment_days, \
     (SELECT sp.charge_on FROM scheduled_payments sp WHERE sp.invoice_id = i.id AND sp.status = 'scheduled') AS scheduled_on \
     FROM invoices i JOIN customers c ON c.id = i.customer_id";

/// `POST /api/v1/invoices`
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: CreateInvoiceRequest = http::json_body(req).await?;
    let mut inv = body.validate(ctx.today_utc())?;
    let customer = customers::load(ctx, &org.id, &body.customer_id)
        .await
        .map_err(|e| match e {
            ApiError::Client {
                code: ErrorCode::NotFound,
                ..
            } => ApiError::Client {
                code: ErrorCode::NotFound,
                message: "`customer_id` names no customer of this organization.".into(),
                field: Some("customer_id".into()),
            },
            other => other,
        })?;
    inv.early_payment =
        crate::worker::api::reminder_config::early_terms(ctx, &org.id, &customer, &inv).await?;
    let id = InvoiceId::generate(ctx.now_ms() as u64, ctx.random10());
    let email_id = body
        .send
        .then(|| EmailId::generate(ctx.now_ms() as u64, ctx.random10()));
    let mut stmts = issue(
        ctx,
        &Issue {
            org_id: &org.id,
            customer: &customer,
            id: &id,
            inv: &inv,
            replaces: None,
            email: email_id.as_ref(),
        },
    )?;
    // Autopay: the customer's saved method pays it on its due date.
    stmts.extend(
        crate::worker::api::autopay::schedules::for_new_invoice(
            ctx,
            &org,
            &customer,
            id.as_str(),
            inv.due_date,
        )
        .await?,
    );
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(WriteError::Unique(_)) => {
            return Err(ApiError::Client {
                code: ErrorCode::Conflict,
                message: format!(
                    "An invoice numbered `{}` already exists in this organization.",
                    inv.number
                ),
                field: Some("number".into()),
            });
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(eid) = email_id {
        queue::enqueue_email(ctx, eid.as_str()).await;
    }
    respond_with(ctx, &org.id, id.as_str(), 201).await
}

/// A new invoice to write: its id, its validated content, the invoice it
/// replaces (a dispute's correction) and the email that sends it.
pub(super) struct Issue<'a> {
    pub org_id: &'a str,
    pub customer: &'a CustomerRow,
    pub id: &'a InvoiceId,
    pub inv: &'a NewInvoice,
    pub replaces: Option<&'a str>,
    pub email: Option<&'a EmailId>,
}

/// The statements that issue an invoice: the invoice and its lines, the
/// customer's first statement date, the audit row and, when it is sent,
/// the queued invoice email (enqueued by the caller once written).
pub(super) fn issue(
    ctx: &Ctx,
    i: &Issue<'_>,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let (inv, id) = (i.inv, i.id.as_str());
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "INSERT INTO invoices (id, organization_id, customer_id, number, currency, status, issue_date, due_date, memo, \
         subtotal, tax, total, created_at, next_reminder_at, replaces_invoice_id, early_payment_bp, early_payment_days, \
         base_currency, base_rate) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15, \
         (SELECT base_currency FROM exchange_rates WHERE organization_id = ?2 AND currency = ?5), \
         (SELECT rate FROM exchange_rates WHERE organization_id = ?2 AND currency = ?5))",
        params![
            id,
            i.org_id,
            &i.customer.id,
            &inv.number,
            inv.currency.code(),
            inv.issue_date.to_string(),
            inv.due_date.to_string(),
            inv.memo.clone(),
            inv.totals.subtotal,
            inv.totals.tax,
            inv.totals.total,
            ctx.now_ms(),
            i.replaces,
            inv.early_payment.map(|t| i64::from(t.basis_points)),
            inv.early_payment.map(|t| i64::from(t.days))
        ],
    )?];
    // The next cron plans its reminders; its first monthly statement is
    // looked at from the first of next month (in the customer's window).
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE customers SET next_statement_at = COALESCE(next_statement_at, ?1) WHERE id = ?2",
        params![
            crate::worker::reminders::first_statement_at(ctx.now_ms(), &i.customer.time_zone),
            &i.customer.id
        ],
    )?);
    for (n, l) in inv.lines.iter().enumerate() {
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_amount, tax_rate_milli, net, tax) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, n as i64, &l.description, l.quantity.0, l.unit_amount, l.tax_rate.0, l.net, l.tax],
        )?);
    }
    stmts.push(ctx.audit(Audit {
        org: Some(i.org_id),
        actor: &ctx.actor(),
        action: "invoice.created",
        subject: id,
        detail: json!({ "number": inv.number, "currency": inv.currency.code(), "total": inv.totals.total,
                        "customer_id": i.customer.id, "replaces_invoice_id": i.replaces }),
    })?);
    stmts.extend(super::webhooks::emit(
        ctx,
        i.org_id,
        "invoice.created",
        &json!({ "id": id, "number": inv.number, "customer_id": i.customer.id, "currency": inv.currency.code(),
                 "subtotal": inv.totals.subtotal, "tax": inv.totals.tax, "total": inv.totals.total,
                 "issue_date": inv.issue_date.to_string(), "due_date": inv.due_date.to_string(),
                 "status": "open", "replaces_invoice_id": i.replaces }),
    )?);
    if let Some(eid) = i.email {
        stmts.push(outbox::queue_email_stmt(
            ctx,
            outbox::QueuedEmail {
                id: eid,
                org_id: i.org_id,
                customer_id: &i.customer.id,
                invoice_id: Some(id),
                kind: "invoice",
                to: &i.customer.email,
                dedupe_key: None,
            },
        )?);
    }
    Ok(stmts)
}

/// `GET /api/v1/invoices?status=&customer_id=&limit=&cursor=`
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = page_start(req)?;
    // The filters, each `AND`ed; `?1` the organization, `?2`/`?3` the page.
    let mut filter = String::from("i.organization_id = ?1");
    let mut args = params![&org.id, before, i64::from(limit) + 1];
    let mut and = |cond: &str, v: db::V, args: &mut Vec<db::V>| {
        args.push(v);
        filter.push_str(&format!(
            " AND {}",
            cond.replace("?N", &format!("?{}", args.len()))
        ));
    };
    if let Some(status) = http::query(req, "status") {
        if status == "overdue" {
            and(
                "i.status = 'open' AND i.due_date < ?N",
                ctx.today_utc().to_string().into(),
                &mut args,
            );
        } else {
            let s = InvoiceStatus::parse(&status).ok_or_else(|| {
                FieldError::invalid("status", "must be one of draft, open, overdue, paid, void")
            })?;
            and("i.status = ?N", s.as_str().into(), &mut args);
        }
    }
    if let Some(cus) = http::query(req, "customer_id") {
        and("i.customer_id = ?N", cus.into(), &mut args);
    }
    if let Some(c) = http::query(req, "currency") {
        let c = Currency::parse(&c.to_uppercase())
            .map_err(|_| FieldError::invalid("currency", "is not a currency Settle supports"))?;
        and("i.currency = ?N", c.code().into(), &mut args);
    }
    for (field, cond) in [
        ("due_from", "i.due_date >= ?N"),
        ("due_to", "i.due_date <= ?N"),
    ] {
        if let Some(d) = http::query(req, field) {
            let d = settle_shared::time::parse_date(&d)
                .ok_or_else(|| FieldError::invalid(field, "must be a date such as 2026-12-31"))?;
            and(cond, d.to_string().into(), &mut args);
        }
    }
    if let Some(q) = http::query(req, "q")
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty())
    {
        if q.chars().count() > 200 {
            return Err(FieldError::invalid("q", "must be at most 200 characters").into());
        }
        and(
            "lower(i.number) LIKE ?N ESCAPE '\\'",
            text::contains_pattern(&q).into(),
            &mut args,
        );
    }
    if let Some(me) = ctx.only_accounts_of() {
        and("c.assigned_to = ?N", me.into(), &mut args);
    }
    let count_args = args.clone();
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                &format!(
                    "{SELECT_INVOICE} WHERE {filter} AND i.id < ?2 ORDER BY i.id DESC LIMIT ?3"
                ),
                args,
            )?,
            db::stmt(
                &ctx.db,
                &format!(
                    "SELECT COUNT(*) AS n FROM invoices i JOIN customers c ON c.id = i.customer_id \
                     WHERE {filter} AND ?2 IS NOT NULL AND ?3 IS NOT NULL"
                ),
                count_args,
            )?,
        ],
    )
    .await?;
    let decode = |e: worker::Error| ApiError::internal(format!("invoices: {e}"));
    #[derive(serde::Deserialize)]
    struct N {
        n: i64,
    }
    let mut rows: Vec<InvoiceRow> = results[0].results().map_err(decode)?;
    let total = results[1]
        .results::<N>()
        .map_err(decode)?
        .first()
        .map_or(0, |n| n.n as u64);
    let next = next_cursor(&mut rows, limit, |r| &r.id);
    let lines = lines_of(ctx, &rows).await?;
    let data = rows.iter().map(|r| r.view(&lines, ctx.now_ms())).collect();
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: next,
            total: Some(total),
        },
    )
}

/// `GET /api/v1/invoices/{id}`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    respond_with(ctx, &org.id, id, 200).await
}

/// `POST /api/v1/invoices/{id}/void`
pub async fn void(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    load(ctx, &org.id, id).await?;
    for _ in 0..books::MAX_ATTEMPTS {
        let (inv, sessions) = books_of(ctx, &org.id, id).await?;
        let plan = ledger::manual::void(&inv, &sessions).map_err(|e| {
            ApiError::new(
                ErrorCode::Conflict,
                format!("{}.", capitalized(&e.to_string())),
            )
        })?;
        // Nothing may be paid on a void invoice: its open sessions are
        // closed at Stripe first (a payment that lands anyway is flagged and
        // becomes the customer's credit).
        for session in &plan.expire {
            close_session(ctx, &org.id, session).await?;
        }
        let (stmts, _) = books::statements(ctx, &org.id, &plan.effects, &ctx.actor())?;
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => return respond_with(ctx, &org.id, id, 200).await,
            Err(WriteError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        ErrorCode::Conflict,
        "The invoice changed while it was being voided; read it again.",
    ))
}

/// The invoice as the ledger engine sees it, and its open or processing
/// checkout sessions.
pub(super) async fn books_of(
    ctx: &Ctx,
    org_id: &str,
    id: &str,
) -> Result<(ledger::Invoice, Vec<ledger::checkout::Session>), ApiError> {
    let reads = ledger::stripe::Reads {
        invoices: vec![id.to_owned()],
        ..Default::default()
    };
    let known = books::read(ctx, org_id, &reads, None)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?
        .known;
    let inv = known
        .invoices
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("invoice"))?;
    Ok((inv, known.sessions))
}

/// Closes an open Checkout Session before a void.
async fn close_session(ctx: &Ctx, org_id: &str, session: &str) -> Result<(), ApiError> {
    close_before(
        ctx,
        org_id,
        session,
        "void it only if the payment fails",
        "nothing was voided",
    )
    .await
}

/// Closes an open Checkout Session before a credit note lowers what is due.
pub(super) async fn close_open_session(
    ctx: &Ctx,
    org_id: &str,
    session: &str,
) -> Result<(), ApiError> {
    close_before(
        ctx,
        org_id,
        session,
        "issue the credit note once that payment has finished",
        "no credit note was issued",
    )
    .await
}

/// Closes an open Checkout Session at Stripe before a change that would
/// leave it asking for too much; `then` says what to do when the customer
/// is paying it right now, `nothing` what did not happen.
pub(super) async fn close_before(
    ctx: &Ctx,
    org_id: &str,
    session: &str,
    then: &str,
    nothing: &str,
) -> Result<(), ApiError> {
    let Some(keys) = super::stripe_account::keys(ctx, org_id).await? else {
        return Ok(());
    };
    super::checkout::expire(ctx, keys.secret_key.expose(), session)
        .await
        .map_err(|e| match e {
            super::checkout::Expiry::BeingPaid => ApiError::new(
                ErrorCode::Conflict,
                format!("The customer is paying this invoice right now; {then}."),
            ),
            super::checkout::Expiry::Unreachable(why) => {
                worker::console_error!("closing {session}: {why}");
                ApiError::new(
                    ErrorCode::PaymentProviderUnavailable,
                    format!("The payment provider could not close the customer's open checkout; {nothing}. Try again in a moment."),
                )
            }
            super::checkout::Expiry::Failed(e) => e,
        })
}

pub(super) fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `POST /api/v1/invoices/{id}/send`: email (again) the invoice to its customer.
pub async fn send(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let inv = load(ctx, &org.id, id).await?;
    if inv.status() != InvoiceStatus::Open {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "Invoice {} is {}; only open invoices are sent.",
                inv.number, inv.status
            ),
        ));
    }
    let customer = customers::load(ctx, &org.id, &inv.customer_id).await?;
    let eid = EmailId::generate(ctx.now_ms() as u64, ctx.random10());
    db::batch(
        &ctx.db,
        vec![
            outbox::queue_email_stmt(
                ctx,
                outbox::QueuedEmail {
                    id: &eid,
                    org_id: &org.id,
                    customer_id: &customer.id,
                    invoice_id: Some(id),
                    kind: "invoice",
                    to: &customer.email,
                    dedupe_key: None,
                },
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "invoice.send_requested",
                subject: id,
                detail: json!({ "email_id": eid.as_str() }),
            })?,
        ],
    )
    .await?;
    queue::enqueue_email(ctx, eid.as_str()).await;
    http::json(
        202,
        &json!({ "email_id": eid.as_str(), "status": "queued" }),
    )
}

/// An invoice of this organization, or 404.
pub async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<InvoiceRow, ApiError> {
    if InvoiceId::parse(id).is_err() {
        return Err(ApiError::not_found("invoice"));
    }
    let s = db::stmt(
        &ctx.db,
        &format!("{SELECT_INVOICE} WHERE i.id = ?1 AND i.organization_id = ?2"),
        params![id, org_id],
    )?;
    let row: InvoiceRow = db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))?;
    if ctx.only_accounts_of().is_some() {
        // An agent: the invoice's customer must be theirs.
        customers::load(ctx, org_id, &row.customer_id).await?;
    }
    Ok(row)
}

/// The lines of a page of invoices, in one query.
pub async fn lines_of(ctx: &Ctx, rows: &[InvoiceRow]) -> Result<Vec<LineRow>, ApiError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(&rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
        .unwrap_or_default();
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM invoice_lines WHERE invoice_id IN (SELECT value FROM json_each(?1)) ORDER BY invoice_id, position",
        params![ids],
    )?;
    db::all(s).await
}

async fn respond_with(
    ctx: &Ctx,
    org_id: &str,
    id: &str,
    status: u16,
) -> Result<Response, ApiError> {
    let row = load(ctx, org_id, id).await?;
    let lines = lines_of(ctx, std::slice::from_ref(&row)).await?;
    http::json(status, &row.view(&lines, ctx.now_ms()))
}
