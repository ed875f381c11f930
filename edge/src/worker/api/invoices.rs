//! Invoices, their lines and their payments ledger.

use super::customers::{self, next_cursor, page_start};
use crate::cursor;
use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::rows::{InvoiceRow, LineRow, PaymentRow};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::{http, ledger as books, outbox, queue};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{CreateInvoiceRequest, ListResponse, RecordPaymentRequest};
use settle_shared::ids::{EmailId, InvoiceId, PaymentId};
use settle_shared::invoice::InvoiceStatus;
use settle_shared::money::{Currency, MAX_AMOUNT_MINOR};
use settle_shared::text::{self, FieldError, limits};
use worker::{Request, Response};

/// The columns of an invoice view: the invoice and its customer's time zone.
pub const SELECT_INVOICE: &str = "SELECT i.id, i.customer_id, i.number, i.currency, i.status, i.issue_date, i.due_date, i.memo, \
     i.subtotal, i.tax, i.total, i.amount_paid, i.sent_at, i.voided_at, i.created_at, c.time_zone, \
     EXISTS (SELECT 1 FROM checkout_sessions s WHERE s.organization_id = i.organization_id AND s.state = 'processing' \
     AND (s.invoice_id = i.id OR EXISTS (SELECT 1 FROM json_each(s.invoice_ids) j WHERE j.value = i.id))) AS processing \
     FROM invoices i JOIN customers c ON c.id = i.customer_id";

/// `POST /api/v1/invoices`
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let body: CreateInvoiceRequest = http::json_body(req).await?;
    let inv = body.validate(ctx.today_utc())?;
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
    let id = InvoiceId::generate(ctx.now_ms as u64, ctx.random10());
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "INSERT INTO invoices (id, organization_id, customer_id, number, currency, status, issue_date, due_date, memo, \
         subtotal, tax, total, created_at, next_reminder_at) VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![
            id.as_str(),
            &org.id,
            &customer.id,
            &inv.number,
            inv.currency.code(),
            inv.issue_date.to_string(),
            inv.due_date.to_string(),
            inv.memo.clone(),
            inv.totals.subtotal,
            inv.totals.tax,
            inv.totals.total,
            ctx.now_ms
        ],
    )?];
    // The next cron plans its reminders; its first monthly statement is
    // looked at from the first of next month (in the customer's window).
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE customers SET next_statement_at = COALESCE(next_statement_at, ?1) WHERE id = ?2",
        params![
            crate::worker::reminders::first_statement_at(ctx.now_ms, &customer.time_zone),
            &customer.id
        ],
    )?);
    for (i, l) in inv.lines.iter().enumerate() {
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_amount, tax_rate_milli, net, tax) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id.as_str(), i as i64, &l.description, l.quantity.0, l.unit_amount, l.tax_rate.0, l.net, l.tax],
        )?);
    }
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor: "api_key",
        action: "invoice.created",
        subject: id.as_str(),
        detail: json!({ "number": inv.number, "currency": inv.currency.code(), "total": inv.totals.total, "customer_id": customer.id }),
    })?);
    let email_id = body
        .send
        .then(|| EmailId::generate(ctx.now_ms as u64, ctx.random10()));
    if let Some(eid) = &email_id {
        stmts.push(outbox::queue_email_stmt(
            ctx,
            outbox::QueuedEmail {
                id: eid,
                org_id: &org.id,
                customer_id: &customer.id,
                invoice_id: Some(id.as_str()),
                kind: "invoice",
                to: &customer.email,
                dedupe_key: None,
            },
        )?);
    }
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

/// `GET /api/v1/invoices?status=&customer_id=&limit=&cursor=`
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = page_start(req)?;
    let mut sql = format!("{SELECT_INVOICE} WHERE i.organization_id = ?1 AND i.id < ?2");
    let mut args = params![&org.id, before, i64::from(limit) + 1];
    if let Some(status) = http::query(req, "status") {
        if status == "overdue" {
            sql.push_str(" AND i.status = 'open' AND i.due_date < ?4");
            args.push(ctx.today_utc().to_string().into());
        } else {
            let s = InvoiceStatus::parse(&status).ok_or_else(|| {
                FieldError::invalid("status", "must be one of draft, open, overdue, paid, void")
            })?;
            sql.push_str(" AND i.status = ?4");
            args.push(s.as_str().into());
        }
    }
    if let Some(cus) = http::query(req, "customer_id") {
        sql.push_str(&format!(" AND i.customer_id = ?{}", args.len() + 1));
        args.push(cus.into());
    }
    sql.push_str(" ORDER BY i.id DESC LIMIT ?3");
    let mut rows: Vec<InvoiceRow> = db::all(db::stmt(&ctx.db, &sql, args)?).await?;
    let next = next_cursor(&mut rows, limit, |r| &r.id);
    let lines = lines_of(ctx, &rows).await?;
    let data = rows.iter().map(|r| r.view(&lines, ctx.now_ms)).collect();
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: next,
        },
    )
}

/// `GET /api/v1/invoices/{id}`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    respond_with(ctx, &org.id, id, 200).await
}

/// `POST /api/v1/invoices/{id}/void`
pub async fn void(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
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
            close_session(ctx, session).await?;
        }
        let (stmts, _) = books::statements(ctx, &org.id, &plan.effects, "api_key")?;
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
async fn books_of(
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
async fn close_session(ctx: &Ctx, session: &str) -> Result<(), ApiError> {
    let Some(secret) = ctx.config.stripe_secret_key.clone() else {
        return Ok(());
    };
    super::checkout::expire(ctx, secret.expose(), session)
        .await
        .map_err(|e| match e {
            super::checkout::Expiry::BeingPaid => ApiError::new(
                ErrorCode::Conflict,
                "The customer is paying this invoice right now; void it only if the payment fails.",
            ),
            super::checkout::Expiry::Unreachable(why) => {
                worker::console_error!("void: {why}");
                ApiError::new(
                    ErrorCode::PaymentProviderUnavailable,
                    "The payment provider could not close the customer's open checkout; nothing was voided. Try again in a moment.",
                )
            }
            super::checkout::Expiry::Failed(e) => e,
        })
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `POST /api/v1/invoices/{id}/send`: email (again) the invoice to its customer.
pub async fn send(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
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
    let eid = EmailId::generate(ctx.now_ms as u64, ctx.random10());
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
                actor: "api_key",
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

/// `GET /api/v1/invoices/{id}/payments`
pub async fn list_payments(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    load(ctx, &org.id, id).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM payments WHERE organization_id = ?1 AND invoice_id = ?2 ORDER BY id",
        params![&org.id, id],
    )?;
    let rows: Vec<PaymentRow> = db::all(s).await?;
    http::json(
        200,
        &ListResponse {
            data: rows.iter().map(PaymentRow::view).collect(),
            next_cursor: None,
        },
    )
}

const METHODS: [&str; 4] = ["bank_transfer", "cheque", "cash", "other"];

/// `POST /api/v1/invoices/{id}/payments`: money received outside Stripe goes
/// into the ledger; the invoice's paid amount and status follow from it.
pub async fn record_payment(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    // A retried request with the same `Idempotency-Key` records nothing new.
    let external_id = match http::header(&req, "Idempotency-Key") {
        Some(k) if !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic()) => {
            Some(format!("api:{}:{k}", org.id))
        }
        Some(_) => {
            return Err(FieldError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
            .into());
        }
        None => None,
    };
    if let Some(existing) = by_external_id(ctx, external_id.as_deref()).await? {
        return replay(existing, id);
    }
    let body: RecordPaymentRequest = http::json_body(req).await?;
    let inv = load(ctx, &org.id, id).await?;
    let currency = Currency::parse(&body.currency)
        .map_err(|e| FieldError::new(ErrorCode::UnsupportedCurrency, "currency", e.to_string()))?;
    if !METHODS.contains(&body.method.as_str()) {
        return Err(FieldError::invalid(
            "method",
            "must be one of bank_transfer, cheque, cash, other",
        )
        .into());
    }
    if body.amount <= 0 || body.amount > i128::from(MAX_AMOUNT_MINOR) {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            "amount",
            format!(
                "must be between 1 and the balance due, {} minor units",
                inv.total - inv.amount_paid
            ),
        )
        .into());
    }
    let amount = body.amount as i64;
    let reference = text::optional("reference", body.reference.as_deref(), limits::REFERENCE)?;
    let today = ctx.today_utc();
    let received_on = match &body.received_on {
        Some(d) => settle_shared::time::parse_date(d)
            .filter(|d| *d <= today)
            .ok_or_else(|| {
                FieldError::invalid(
                    "received_on",
                    "must be a date such as 2026-11-20, not in the future",
                )
            })?,
        None => today,
    };
    let pid = PaymentId::generate(ctx.now_ms as u64, ctx.random10());
    let payment = ledger::manual::ManualPayment {
        external_id: external_id.clone(),
        amount,
        currency: currency.code().to_owned(),
        method: body.method.clone(),
        reference,
        received_on: received_on.to_string(),
    };
    let mut written = false;
    for _ in 0..books::MAX_ATTEMPTS {
        let (books_inv, _) = books_of(ctx, &org.id, id).await?;
        let effects = ledger::manual::record(&books_inv, payment.clone(), pid.as_str())
            .map_err(manual_refusal)?;
        // The row gets the id the audit row names and the answer returns.
        let (stmts, _) =
            books::statements_with_ids(ctx, &org.id, &effects, "api_key", Some(pid.as_str()))?;
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => {
                written = true;
                break;
            }
            Err(WriteError::Conflict) => continue,
            // The same key won a race with this request: answer with its payment.
            Err(WriteError::Unique(_)) if external_id.is_some() => {
                let existing = by_external_id(ctx, external_id.as_deref()).await?;
                return replay(
                    existing.ok_or_else(|| ApiError::internal("idempotent payment vanished"))?,
                    id,
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !written {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The invoice changed while the payment was being recorded; read it and try again.",
        ));
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM payments WHERE id = ?1",
        params![pid.as_str()],
    )?;
    let row: PaymentRow = db::one(s)
        .await?
        .ok_or_else(|| ApiError::internal("payment vanished after insert"))?;
    http::json(201, &row.view())
}

async fn by_external_id(
    ctx: &Ctx,
    external_id: Option<&str>,
) -> Result<Option<PaymentRow>, ApiError> {
    match external_id {
        None => Ok(None),
        Some(x) => {
            db::one(db::stmt(
                &ctx.db,
                "SELECT * FROM payments WHERE external_id = ?1",
                params![x],
            )?)
            .await
        }
    }
}

/// The answer to a repeated `Idempotency-Key`: the payment it recorded.
fn replay(existing: PaymentRow, invoice_id: &str) -> Result<Response, ApiError> {
    if existing.invoice_id != invoice_id {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This Idempotency-Key was already used for a payment on another invoice.",
        ));
    }
    http::json(200, &existing.view())
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
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))
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
    http::json(status, &row.view(&lines, ctx.now_ms))
}

/// A refused manual payment, as the API says it.
fn manual_refusal(e: ledger::manual::ManualRefusal) -> ApiError {
    use ledger::manual::ManualRefusal as R;
    match &e {
        R::CurrencyMismatch { .. } => {
            FieldError::new(ErrorCode::CurrencyMismatch, "currency", e.to_string()).into()
        }
        R::AmountOutOfRange { .. } => {
            FieldError::new(ErrorCode::AmountOutOfRange, "amount", e.to_string()).into()
        }
        R::NotOpen { .. } => ApiError::new(
            ErrorCode::Conflict,
            format!("{}.", capitalized(&e.to_string())),
        ),
    }
}
