//! Saving a card or bank account: Stripe Checkout in setup mode for the
//! Stripe customer that holds the customer's methods at the organization's
//! account (created the first time), and the method stored when the
//! customer comes back or Stripe's event says so, once.
//!
//! - `POST /api/v1/portal/payment-methods/setup` → the Stripe page
//! - `POST /api/v1/portal/payment-methods/confirm` (back from it)

use super::methods::{customer_stripe, view};
use super::{Account, account, need_account, send, unavailable};
use crate::error::ApiError;
use crate::params;
use crate::stripe::api::StripeError;
use crate::stripe::events::Event;
use crate::stripe::saved::{self, NewSetup, SavedMethod};
use crate::worker::api::organizations;
use crate::worker::auth::Session;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{ConfirmSetupRequest, SetupRequest, SetupResponse};
use settle_shared::text::FieldError;
use worker::{Request, Response};

/// The Stripe customer of `s`'s customer at `acct`, created the first time.
async fn stripe_customer(ctx: &Ctx, s: &Session, acct: &Account) -> Result<String, ApiError> {
    let c = customer_stripe(ctx, &s.customer.id).await?;
    if let (Some(id), Some(a)) = (&c.stripe_customer_id, &c.stripe_customer_account)
        && *a == acct.name
    {
        return Ok(id.clone());
    }
    let answer = send(saved::create_customer(
        &ctx.config.stripe_api_base,
        acct.key.expose(),
        &s.customer.organization_id,
        &s.customer.id,
        &s.customer.email,
        &s.customer.name,
    ))
    .await?;
    let id =
        saved::read_id(answer.status, &answer.body).map_err(|e| unavailable(&e.to_string()))?;
    db::stmt(
        &ctx.db,
        "UPDATE customers SET stripe_customer_id = ?1, stripe_customer_account = ?2 WHERE id = ?3",
        params![&id, &acct.name, &s.customer.id],
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("save stripe customer: {e}")))?;
    Ok(id)
}

/// Where the customer comes back to: the methods page, or an invoice's
/// payment-date page.
fn return_path(asked: Option<&str>) -> Result<String, ApiError> {
    match asked.map(str::trim) {
        None | Some("" | "/payment-methods") => Ok("/payment-methods".into()),
        Some(p)
            if p.strip_prefix("/promise/").is_some_and(|id| {
                !id.is_empty()
                    && id.len() <= 64
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            }) =>
        {
            Ok(p.to_owned())
        }
        Some(_) => Err(FieldError::invalid(
            "return_to",
            "must be /payment-methods or /promise/{invoice}",
        )
        .into()),
    }
}

/// `POST /api/v1/portal/payment-methods/setup`: a Stripe page where the
/// customer saves a card (or a bank account, where the company takes bank
/// debits) for later charges.
pub async fn setup(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: SetupRequest = http::json_body_or_default(req).await?;
    let back = return_path(body.return_to.as_deref())?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let acct = need_account(ctx, &org.id).await?;
    let stripe_customer = stripe_customer(ctx, &s, &acct).await?;
    let mut types = vec!["card"];
    if org.payments().methods.iter().any(|m| m == "sepa_debit") {
        types.push("sepa_debit");
    }
    let base = &ctx.config.public_base_url;
    let success = format!("{base}{back}?saved={{CHECKOUT_SESSION_ID}}");
    let cancel = format!("{base}{back}");
    let nonce = hex::encode(ctx.random10());
    let answer = send(saved::create_setup(
        &ctx.config.stripe_api_base,
        acct.key.expose(),
        &format!("settle-setup-{}-{nonce}", s.customer.id),
        &NewSetup {
            organization_id: &org.id,
            customer_id: &s.customer.id,
            stripe_customer: &stripe_customer,
            success_url: &success,
            cancel_url: &cancel,
            payment_method_types: &types,
            locale: crate::stripe::api::checkout_locale(&s.customer.locale),
            expires_at: ctx.real_now_ms / 1000 + 3600,
        },
    ))
    .await?;
    let created =
        crate::stripe::api::read_checkout(answer.status, &answer.body).map_err(|e| match e {
            StripeError::Unavailable(m) | StripeError::Refused(m) => unavailable(&m),
        })?;
    http::json(201, &SetupResponse { url: created.url })
}

/// Saves the method of a succeeded SetupIntent for the customer its
/// metadata names, if that customer is the organization's (and, with
/// `expected`, that one). Answers whether it was new. Safe to repeat.
pub async fn save(
    ctx: &Ctx,
    org_id: &str,
    acct: &Account,
    setup_intent: &str,
    expected: Option<&str>,
) -> Result<bool, ApiError> {
    let answer = send(saved::get_setup_intent(
        &ctx.config.stripe_api_base,
        acct.key.expose(),
        setup_intent,
    ))
    .await?;
    let Some(m): Option<SavedMethod> = saved::read_setup_intent(answer.status, &answer.body)
        .map_err(|e| unavailable(&e.to_string()))?
    else {
        return Ok(false);
    };
    let Some(customer) = m.customer_id.clone() else {
        return Ok(false);
    };
    if m.organization_id.as_deref().is_some_and(|o| o != org_id)
        || expected.is_some_and(|e| e != customer)
    {
        return Err(ApiError::not_found("setup"));
    }
    let now = ctx.now_ms();
    let stmts = vec![
        db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO payment_methods (id, organization_id, customer_id, stripe_customer_id, account, kind, brand, last4, \
             exp_month, exp_year, created_at) SELECT ?1, ?2, c.id, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 FROM customers c \
             WHERE c.id = ?3 AND c.organization_id = ?2 AND c.stripe_customer_id = ?4",
            params![
                &m.id,
                org_id,
                &customer,
                &m.stripe_customer,
                &acct.name,
                &m.kind,
                m.brand.clone(),
                &m.last4,
                m.exp_month,
                m.exp_year,
                now
            ],
        )?,
        ctx.audit_if(
            Audit {
                org: Some(org_id),
                actor: &format!("customer:{customer}"),
                action: "payment_method.saved",
                subject: &customer,
                detail: json!({ "payment_method_id": m.id, "kind": m.kind, "brand": m.brand, "last4": m.last4 }),
            },
            "SELECT 1 FROM payment_methods WHERE id = ?9 AND created_at = ?10",
            params![&m.id, now],
        )?,
    ];
    let results = db::batch(&ctx.db, stmts).await.map_err(ApiError::from)?;
    Ok(results.first().is_some_and(|r| db::changes(r) > 0))
}

/// `POST /api/v1/portal/payment-methods/confirm`: back from Stripe's page,
/// the method is saved at once (Stripe's event would save it too).
pub async fn confirm(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: ConfirmSetupRequest = http::json_body(req).await?;
    let id = body.session_id.trim();
    if id.is_empty()
        || id.len() > 200
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(FieldError::invalid("session_id", "is not a Checkout Session id").into());
    }
    let acct = need_account(ctx, &s.customer.organization_id).await?;
    let answer = send(saved::get_session(
        &ctx.config.stripe_api_base,
        acct.key.expose(),
        id,
    ))
    .await?;
    if answer.status == 404 {
        return Err(ApiError::not_found("setup"));
    }
    let seti = saved::read_session_setup_intent(answer.status, &answer.body)
        .map_err(|e| unavailable(&e.to_string()))?;
    let saved = match seti {
        Some(seti) => {
            save(
                ctx,
                &s.customer.organization_id,
                &acct,
                &seti,
                Some(&s.customer.id),
            )
            .await?
        }
        None => false,
    };
    // Not complete at Stripe, and not saved by Stripe's event either: the
    // customer is told so rather than shown "saved".
    let known = view(ctx, &s).await?;
    if !saved && known.methods.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The card or bank account was not saved. Please try again.",
        ));
    }
    http::json(200, &known)
}

/// A verified Stripe event that saved a method (`setup_intent.succeeded`,
/// or a setup session completed): the method is stored. Other events are
/// left alone.
pub async fn from_event(ctx: &Ctx, org_id: &str, event: &Event) -> Result<(), ApiError> {
    let o = &event.data.object;
    let seti = match event.kind.as_str() {
        "setup_intent.succeeded" => o["id"].as_str(),
        "checkout.session.completed" if o["mode"] == "setup" => o["setup_intent"].as_str(),
        _ => return Ok(()),
    };
    let (Some(seti), Some(acct)) = (seti, account(ctx, org_id).await?) else {
        return Ok(());
    };
    match save(ctx, org_id, &acct, seti, None).await {
        // Another organization's setup, or one that names no customer.
        Err(ApiError::Client {
            code: ErrorCode::NotFound,
            ..
        }) => Ok(()),
        other => other.map(|_| ()),
    }
}
