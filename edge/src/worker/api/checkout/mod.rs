//! `POST /api/v1/portal/invoices/{id}/checkout`: a Stripe Checkout Session
//! for the invoice's balance. A second click, another tab or a retry after a
//! timeout gets the same open session back instead of a new one.
//!
//! Closing a session at Stripe and the claims that keep two requests from
//! opening two payable sessions are in [`sessions`].

mod sessions;

pub use sessions::{Expiry, expire};
use sessions::{claim, release};

use super::invoices;
use crate::error::ApiError;
use crate::outbound::HttpClient;
use crate::params;
use crate::rows::InvoiceRow;
use crate::rows::OrganizationRow;
use crate::security;
use crate::stripe::api::{self, NewCheckout, StripeError};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::fetch::WorkerFetch;
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{CheckoutRequest, CheckoutResponse, CombinedCheckoutRequest};
use settle_shared::ids::InvoiceId;
use settle_shared::invoice::InvoiceStatus;
use settle_shared::pay_all::MAX_PAY_TOGETHER as MAX_TOGETHER;
use settle_shared::text::FieldError;
use worker::{Request, Response};

/// How long a customer has to finish paying (Stripe allows 30 min to 24 h).
const CHECKOUT_TTL_SECS: i64 = 60 * 60;
/// An open session is reused only while this much of its life is left.
const REUSE_MARGIN_MS: i64 = 10 * 60 * 1000;

#[derive(Deserialize)]
struct Existing {
    id: String,
    url: String,
}

/// An open, payable invoice of the signed-in customer, with its balance.
async fn payable(
    ctx: &Ctx,
    s: &http::Session,
    invoice_id: &str,
) -> Result<(InvoiceRow, i64), ApiError> {
    if InvoiceId::parse(invoice_id).is_err() {
        return Err(ApiError::not_found("invoice"));
    }
    let inv: InvoiceRow = invoices::load(ctx, &s.customer.organization_id, invoice_id).await?;
    if inv.customer_id != s.customer.id || !matches!(inv.status.as_str(), "open" | "paid") {
        return Err(ApiError::not_found("invoice"));
    }
    let due = inv.total - inv.amount_paid;
    if inv.status() != InvoiceStatus::Open || due <= 0 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("Invoice {} is already paid.", inv.number),
        ));
    }
    if inv.processing != 0 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "A payment for invoice {} is already on its way.",
                inv.number
            ),
        ));
    }
    Ok((inv, due))
}

/// `POST /api/v1/portal/invoices/{id}/checkout`
pub async fn create(ctx: &Ctx, req: Request, invoice_id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: CheckoutRequest = http::json_body_or_default(req).await?;
    let org = super::organizations::load(ctx, &s.customer.organization_id).await?;
    // The next instalment of the invoice's plan may be paid on its own,
    // spread over the plan's invoices, the oldest due first (from any of
    // them, paid already or not).
    if let Some(a) = body.amount
        && let Some(parts) = super::plans::instalment_parts(ctx, invoice_id, a).await?
    {
        // Each part is at most what is left on its invoice.
        let amount = parts.iter().map(|(_, _, p)| p).sum();
        let mut parts = parts.into_iter();
        let Some((first, _, _)) = parts.next() else {
            return Err(ApiError::internal("an instalment with no invoice"));
        };
        let (first, _) = payable(ctx, &s, &first).await?;
        return start(ctx, &s, org, first, amount, parts.collect()).await;
    }
    let (inv, due) = payable(ctx, &s, invoice_id).await?;
    // Paid in full while the early-payment offer stands: the total less
    // the discount (the ledger allows the rest when the payment lands).
    let early = inv.early_offer(ctx.now_ms()).map(|(_, o)| o.pay);
    let amount = match body.amount {
        None => early.unwrap_or(due),
        Some(a) if Some(a) == early => a,
        // The part not in dispute may always be paid on its own.
        Some(a)
            if Some(a) == undisputed(ctx, &s.customer.organization_id, invoice_id, due).await? =>
        {
            a
        }
        Some(a) => org.payments().check_amount(a, due)?,
    };
    start(ctx, &s, org, inv, amount, Vec::new()).await
}

/// What is due on an invoice beyond the part its open dispute holds, if
/// one does (and something is left).
async fn undisputed(
    ctx: &Ctx,
    org_id: &str,
    invoice_id: &str,
    due: i64,
) -> Result<Option<i64>, ApiError> {
    #[derive(Deserialize)]
    struct Held {
        disputed_amount: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT disputed_amount FROM disputes WHERE organization_id = ?1 AND invoice_id = ?2 AND status = 'open' AND kind IN ('customer', 'company')",
        params![org_id, invoice_id],
    )?;
    Ok(db::one::<Held>(s)
        .await?
        .map(|h| settle_shared::dispute::undisputed(due, h.disputed_amount))
        .filter(|rest| *rest > 0))
}

/// `POST /api/v1/portal/checkout`: several open invoices of one currency,
/// each for its whole balance, in one payment.
pub async fn create_combined(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: CombinedCheckoutRequest = http::json_body(req).await?;
    let mut ids = body.invoice_ids.clone();
    settle_shared::sort::sort(&mut ids);
    ids.dedup();
    if !(2..=MAX_TOGETHER).contains(&ids.len()) {
        return Err(FieldError::invalid(
            "invoice_ids",
            format!("name 2 to {MAX_TOGETHER} different invoices"),
        )
        .into());
    }
    let mut chosen = Vec::new();
    for id in &ids {
        chosen.push(payable(ctx, &s, id).await?);
    }
    if chosen
        .iter()
        .any(|(i, _)| i.currency != chosen[0].0.currency)
    {
        return Err(FieldError::new(
            ErrorCode::CurrencyMismatch,
            "invoice_ids",
            "invoices paid together must be in one currency",
        )
        .into());
    }
    let amount = chosen.iter().map(|(_, d)| d).sum();
    let org = super::organizations::load(ctx, &s.customer.organization_id).await?;
    let mut rest = chosen.into_iter();
    let (first, _) = rest
        .next()
        .ok_or_else(|| ApiError::internal("no invoice"))?;
    let also = rest.map(|(i, due)| (i.id, i.number, due)).collect();
    start(ctx, &s, org, first, amount, also).await
}

/// Reuses the open session for the same invoices and amount, or closes other
/// open sessions of these invoices and creates a new one.
async fn start(
    ctx: &Ctx,
    s: &http::Session,
    org: OrganizationRow,
    inv: InvoiceRow,
    amount: i64,
    also: Vec<(String, String, i64)>,
) -> Result<Response, ApiError> {
    let org_id = &s.customer.organization_id;
    let invoice_id = inv.id.as_str();
    let all_ids: Vec<&str> = std::iter::once(invoice_id)
        .chain(also.iter().map(|(i, _, _)| i.as_str()))
        .collect();
    let together = all_ids.join(",");
    let fingerprint =
        security::hash_token(&format!("checkout:{together}:{amount}:{}", inv.currency));
    let reuse = db::stmt(
        &ctx.db,
        "SELECT id, url FROM checkout_sessions WHERE organization_id = ?1 AND fingerprint = ?2 AND state = 'open' AND expires_at > ?3 \
         ORDER BY created_at DESC LIMIT 1",
        params![org_id, &fingerprint, ctx.real_now_ms + REUSE_MARGIN_MS],
    )?;
    if let Some(e) = db::one::<Existing>(reuse).await? {
        return http::json(
            200,
            &CheckoutResponse {
                id: e.id,
                url: e.url,
            },
        );
    }

    // Claim the invoices for this amount while the session is created: a
    // request for another amount at the same moment (a second tab) is
    // refused, so two payable sessions never exist side by side. The same
    // amount may go on: Stripe answers it with the same session.
    claim(ctx, org_id, &all_ids, &fingerprint).await?;
    let made = open_session(ctx, s, &org, &inv, amount, &also, &fingerprint).await;
    if made.is_err() {
        // Nothing was created: another amount may go ahead at once.
        if let Ok(stmt) = release(ctx, &all_ids, &fingerprint) {
            let _ = stmt.run().await;
        }
    }
    made
}

/// Closes other open sessions of these invoices at Stripe, creates the new
/// one and records it (letting go of the claim in the same batch).
async fn open_session(
    ctx: &Ctx,
    s: &http::Session,
    org: &OrganizationRow,
    inv: &InvoiceRow,
    amount: i64,
    also: &[(String, String, i64)],
    fingerprint: &str,
) -> Result<Response, ApiError> {
    let (org_id, customer) = (&s.customer.organization_id, &s.customer);
    let invoice_id = inv.id.as_str();
    let all_ids: Vec<&str> = std::iter::once(invoice_id)
        .chain(also.iter().map(|(i, _, _)| i.as_str()))
        .collect();
    // The early-payment discount this amount takes (one invoice, paid at
    // the offered amount): it travels with the session.
    let discount = inv
        .early_offer(ctx.now_ms())
        .filter(|(_, o)| also.is_empty() && o.pay == amount)
        .map_or(0, |(_, o)| o.discount);
    // The organization's own Stripe account, else the deployment's.
    let secret = crate::worker::api::stripe_account::keys(ctx, org_id)
        .await?
        .map(|k| k.secret_key)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::PaymentProviderUnavailable,
                "Online payment is not set up for this company yet.",
            )
        })?;
    let unavailable = |why: &str| {
        worker::console_error!("checkout for {invoice_id}: {why}");
        ApiError::new(
            ErrorCode::PaymentProviderUnavailable,
            "We could not reach the payment provider. Nothing was charged. Please try again in a moment.",
        )
    };
    // One payable session per invoice: a session for another amount (a second
    // tab, a partial payment) is closed at Stripe first, so the customer
    // cannot pay twice. If Stripe refuses to close it, it is being paid.
    #[derive(Deserialize)]
    struct Open {
        id: String,
    }
    let others = db::stmt(
        &ctx.db,
        "SELECT s.id FROM checkout_sessions s WHERE s.organization_id = ?1 AND s.state = 'open' AND s.expires_at > ?3 \
         AND EXISTS (SELECT 1 FROM json_each(COALESCE(s.invoice_ids, json_array(s.invoice_id))) a JOIN json_each(?2) b ON a.value = b.value)",
        params![
            org_id,
            serde_json::to_string(&all_ids).unwrap_or_default(),
            ctx.real_now_ms
        ],
    )?;
    for other in db::all::<Open>(others).await? {
        expire(ctx, secret.expose(), &other.id)
            .await
            .map_err(|e| match e {
                Expiry::BeingPaid => ApiError::new(
                    ErrorCode::Conflict,
                    "Another payment for this invoice is being completed. Refresh the page in a moment.",
                ),
                Expiry::Unreachable(why) => unavailable(&why),
                Expiry::Failed(e) => e,
            })?;
    }
    let base = &ctx.config.public_base_url;
    let success = format!("{base}/invoices/{invoice_id}?checkout={{CHECKOUT_SESSION_ID}}");
    let cancel = format!("{base}/invoices/{invoice_id}?checkout=cancelled");
    let currency = inv.currency.to_ascii_lowercase();
    let methods = org.methods_for(&inv.currency);
    // Same invoice, amount and ten-minute window → same key: concurrent
    // clicks and retries after a timeout get Stripe's first answer back.
    // Same invoice, amount, attempt and ten-minute window → same key and
    // the same parameters: concurrent clicks and retries after a timeout get
    // Stripe's first answer back. A finished (failed, expired) session starts
    // a new attempt.
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let finished = db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM checkout_sessions WHERE organization_id = ?1 AND fingerprint = ?2 AND state != 'open'",
        params![org_id, fingerprint],
    )?;
    let attempt = db::one::<Count>(finished).await?.map_or(0, |c| c.n);
    let window_ms = 10 * 60 * 1000;
    // Stripe's times are real ones, whatever the demo clock says.
    let window = ctx.real_now_ms / window_ms;
    // Between 60 and 70 minutes from now, and the same for the whole window.
    let expires_at = (window + 1) * window_ms / 1000 + CHECKOUT_TTL_SECS;
    let mut request = api::create_checkout(
        &ctx.config.stripe_api_base,
        secret.expose(),
        "",
        &NewCheckout {
            organization_id: org_id,
            invoice_id,
            invoice_number: &inv.number,
            company: &org.display_name,
            customer_email: &customer.email,
            amount,
            currency: &currency,
            success_url: &success,
            cancel_url: &cancel,
            expires_at,
            payment_method_types: &methods.iter().map(String::as_str).collect::<Vec<_>>(),
            locale: &customer.locale,
            also,
            discount,
        },
    );
    // The key covers every parameter sent (and the attempt): a retry in the
    // same window sends the same request under the same key, and any change
    // (settings, amount, a new attempt) gets a key of its own.
    let key = format!(
        "settle-checkout-{}",
        &security::hash_token(&format!("{attempt}:{}", request.body))[..40]
    );
    for (name, value) in &mut request.headers {
        if name == "Idempotency-Key" {
            *value = key.clone();
        }
    }
    let answer = WorkerFetch
        .send(request)
        .await
        .map_err(|e| unavailable(&e))?;
    let created = api::read_checkout(answer.status, &answer.body).map_err(|e| match e {
        StripeError::Unavailable(m) | StripeError::Refused(m) => unavailable(&m),
    })?;
    let expires_at = if created.expires_at > 0 {
        created.expires_at * 1000
    } else {
        ctx.real_now_ms + CHECKOUT_TTL_SECS * 1000
    };
    db::batch(&ctx.db, vec![
        release(ctx, &all_ids, fingerprint)?,
        db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO checkout_sessions (id, organization_id, customer_id, invoice_id, fingerprint, amount, currency, url, expires_at, created_at, invoice_ids, discount) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                &created.id,
                org_id,
                &customer.id,
                invoice_id,
                fingerprint,
                amount,
                &inv.currency,
                &created.url,
                expires_at,
                ctx.now_ms(),
                (!also.is_empty()).then(|| serde_json::to_string(&all_ids).unwrap_or_default()),
                discount
            ],
        )?,
        ctx.audit_once(
            Audit {
                org: Some(org_id),
                actor: &format!("customer:{}", customer.id),
                action: "checkout.created",
                subject: &created.id,
                detail: json!({ "invoice_ids": all_ids, "amount": amount, "currency": inv.currency }),
            })?,
    ])
    .await?;
    http::json(
        201,
        &CheckoutResponse {
            id: created.id,
            url: created.url,
        },
    )
}
