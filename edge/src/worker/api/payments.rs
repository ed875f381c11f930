//! An invoice's payments: the ledger rows of one invoice, and money received
//! outside Stripe (`ledger::manual` decides; this records).

use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::rows::PaymentRow;
use crate::worker::ctx::Ctx;
use crate::worker::db::{self, WriteError};
use crate::worker::{http, ledger as books};
use settle_shared::ErrorCode;
use settle_shared::api::{ListResponse, RecordPaymentRequest};
use settle_shared::ids::PaymentId;
use settle_shared::money::{Currency, MAX_AMOUNT_MINOR};
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError, limits};
use worker::{Request, Response};

use super::invoices::{books_of, capitalized, load};

/// `GET /api/v1/invoices/{id}/payments`
pub async fn list_payments(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
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
            total: None,
        },
    )
}

const METHODS: [&str; 4] = ["bank_transfer", "cheque", "cash", "other"];

/// `POST /api/v1/invoices/{id}/payments`: money received outside Stripe goes
/// into the ledger; the invoice's paid amount and status follow from it.
pub async fn record_payment(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
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
    // The invoice first: an agent learns nothing of another's accounts,
    // not even through a replayed key.
    let inv = load(ctx, &org.id, id).await?;
    if let Some(existing) = by_external_id(ctx, external_id.as_deref()).await? {
        return replay(existing, id);
    }
    let body: RecordPaymentRequest = http::json_body(req).await?;
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
    // Not in the future anywhere: the date in UTC+14, the earth's first
    // time zone, so a company in Tokyo or Auckland can write its today.
    let latest =
        settle_shared::time::datetime_from_millis(ctx.now_ms() + 14 * 3_600_000).date_naive();
    let received_on = match &body.received_on {
        Some(d) => settle_shared::time::parse_date(d)
            .filter(|d| *d <= latest)
            .ok_or_else(|| {
                FieldError::invalid(
                    "received_on",
                    "must be a date such as 2026-11-20, not in the future",
                )
            })?,
        None => today,
    };
    let pid = PaymentId::generate(ctx.now_ms() as u64, ctx.random10());
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
            books::statements_with_ids(ctx, &org.id, &effects, &ctx.actor(), Some(pid.as_str()))?;
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
