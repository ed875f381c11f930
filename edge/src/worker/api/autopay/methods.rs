//! The customer's saved cards and bank accounts: listed, saved through
//! Stripe Checkout in setup mode (a Stripe customer of the organization's
//! account holds them), confirmed on the way back or by Stripe's event,
//! removed (detached at Stripe), and chosen for autopay.
//!
//! - `GET /api/v1/portal/payment-methods`
//! - `POST /api/v1/portal/payment-methods/setup` → the Stripe page
//! - `POST /api/v1/portal/payment-methods/confirm` (back from it)
//! - `DELETE /api/v1/portal/payment-methods/{id}`
//! - `PUT /api/v1/portal/autopay`

use super::{Account, LIVE, account, label, need_account, send, unavailable};
use crate::error::ApiError;
use crate::params;
use crate::stripe::api::StripeError;
use crate::stripe::events::Event;
use crate::stripe::saved::{self, NewSetup, SavedMethod};
use crate::worker::api::organizations;
use crate::worker::auth::Session;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    AutopayRequest, ConfirmSetupRequest, PortalMethodsResponse, SavedMethodResponse, SetupRequest,
    SetupResponse,
};
use settle_shared::text::FieldError;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// `payment_methods`
#[derive(Debug, Clone, Deserialize)]
pub struct MethodRow {
    pub id: String,
    pub account: String,
    pub kind: String,
    pub brand: Option<String>,
    pub last4: String,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    pub created_at: i64,
    pub removed_at: Option<i64>,
}

impl MethodRow {
    pub fn view(&self, autopay: Option<&str>) -> SavedMethodResponse {
        SavedMethodResponse {
            id: self.id.clone(),
            kind: self.kind.clone(),
            brand: self.brand.clone(),
            last4: self.last4.clone(),
            exp_month: self.exp_month,
            exp_year: self.exp_year,
            created_at: rfc3339_from_millis(self.created_at),
            autopay: autopay == Some(self.id.as_str()),
        }
    }

    pub fn label(&self) -> String {
        label(&self.kind, self.brand.as_deref(), &self.last4)
    }
}

/// The customer's methods that can be charged through `account` now.
pub async fn live(ctx: &Ctx, customer_id: &str, account: &str) -> Result<Vec<MethodRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM payment_methods WHERE customer_id = ?1 AND account = ?2 AND removed_at IS NULL ORDER BY created_at",
        params![customer_id, account],
    )?;
    db::all(s).await
}

/// One of the customer's methods, removed or not.
pub async fn own(ctx: &Ctx, customer_id: &str, id: &str) -> Result<Option<MethodRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM payment_methods WHERE id = ?1 AND customer_id = ?2",
        params![id, customer_id],
    )?;
    db::one(s).await
}

#[derive(Deserialize)]
struct StripeCustomer {
    stripe_customer_id: Option<String>,
    stripe_customer_account: Option<String>,
    autopay_method_id: Option<String>,
}

async fn customer_stripe(ctx: &Ctx, customer_id: &str) -> Result<StripeCustomer, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT stripe_customer_id, stripe_customer_account, autopay_method_id FROM customers WHERE id = ?1",
        params![customer_id],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))
}

/// The method autopay uses, if autopay is on.
pub async fn autopay_method(ctx: &Ctx, customer_id: &str) -> Result<Option<String>, ApiError> {
    Ok(customer_stripe(ctx, customer_id).await?.autopay_method_id)
}

/// What the portal shows: the methods, autopay, and whether saving works.
async fn view(ctx: &Ctx, s: &Session) -> Result<PortalMethodsResponse, ApiError> {
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let acct = account(ctx, &org.id).await?;
    let methods = match &acct {
        Some(a) => live(ctx, &s.customer.id, &a.name).await?,
        None => Vec::new(),
    };
    let autopay = autopay_method(ctx, &s.customer.id)
        .await?
        .filter(|id| methods.iter().any(|m| &m.id == id));
    Ok(PortalMethodsResponse {
        methods: methods.iter().map(|m| m.view(autopay.as_deref())).collect(),
        autopay_method_id: autopay,
        available: acct.is_some(),
        bank_debit: org.payments().methods.iter().any(|m| m == "sepa_debit"),
        retry_days: org.retry_days(),
    })
}

/// `GET /api/v1/portal/payment-methods`
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    http::json(200, &view(ctx, &s).await?)
}

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

/// `DELETE /api/v1/portal/payment-methods/{id}`: detached at Stripe, so it
/// can never be charged again; schedules that would use it are cancelled
/// and autopay with it is turned off.
pub async fn remove(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let m = own(ctx, &s.customer.id, id)
        .await?
        .filter(|m| m.removed_at.is_none())
        .ok_or_else(|| ApiError::not_found("payment method"))?;
    // A charge with it is being made or is settling: it stays until that ends.
    let busy = db::stmt(
        &ctx.db,
        "SELECT id FROM scheduled_payments WHERE payment_method_id = ?1 AND status IN ('charging', 'processing') LIMIT 1",
        params![&m.id],
    )?;
    if db::one::<serde_json::Value>(busy).await?.is_some() {
        return Err(ApiError::new(
            ErrorCode::ScheduleLocked,
            "A payment with this card or bank account is being made; you can remove it once it has gone through.",
        ));
    }
    if let Some(acct) = account(ctx, &s.customer.organization_id).await?
        && acct.name == m.account
    {
        let answer = send(saved::detach(
            &ctx.config.stripe_api_base,
            acct.key.expose(),
            &m.id,
        ))
        .await?;
        // Detached now, or already (400) or gone (404) at Stripe.
        if !matches!(answer.status, 200..=299 | 400 | 404) {
            return Err(unavailable(&format!(
                "detach {}: HTTP {}",
                m.id, answer.status
            )));
        }
    }
    let actor = format!("customer:{}", s.customer.id);
    let now = ctx.now_ms();
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE payment_methods SET removed_at = ?1 WHERE id = ?2 AND removed_at IS NULL",
                params![now, &m.id],
            )?,
            db::stmt(
                &ctx.db,
                "UPDATE customers SET autopay_method_id = NULL WHERE id = ?1 AND autopay_method_id = ?2",
                params![&s.customer.id, &m.id],
            )?,
            db::stmt(
                &ctx.db,
                "UPDATE scheduled_payments SET status = 'cancelled', ended_at = ?1, ended_by = ?2, updated_at = ?1, next_attempt_at = NULL \
                 WHERE payment_method_id = ?3 AND status IN ('scheduled', 'retrying')",
                params![now, &actor, &m.id],
            )?,
            ctx.audit(Audit {
                org: Some(&s.customer.organization_id),
                actor: &actor,
                action: "payment_method.removed",
                subject: &s.customer.id,
                detail: json!({ "payment_method_id": m.id, "method": m.label() }),
            })?,
        ],
    )
    .await
    .map_err(ApiError::from)?;
    http::json(200, &view(ctx, &s).await?)
}

/// `PUT /api/v1/portal/autopay`: future invoices are charged on their due
/// date with this method (`null`: autopay off, and the charges autopay
/// scheduled and has not made yet are cancelled).
pub async fn set_autopay(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: AutopayRequest = http::json_body(req).await?;
    let actor = format!("customer:{}", s.customer.id);
    let now = ctx.now_ms();
    let mut stmts = Vec::new();
    match &body.payment_method_id {
        Some(id) => {
            let acct = need_account(ctx, &s.customer.organization_id).await?;
            let m = own(ctx, &s.customer.id, id)
                .await?
                .filter(|m| m.removed_at.is_none() && m.account == acct.name)
                .ok_or_else(|| ApiError::Client {
                    code: ErrorCode::PaymentMethodRemoved,
                    message:
                        "That card or bank account was removed; choose another or save a new one."
                            .into(),
                    field: Some("payment_method_id".into()),
                })?;
            stmts.push(db::conflict_unless(
                &ctx.db,
                "EXISTS (SELECT 1 FROM payment_methods WHERE id = ?1 AND removed_at IS NULL)",
                params![&m.id],
            )?);
            stmts.push(db::stmt(
                &ctx.db,
                "UPDATE customers SET autopay_method_id = ?1 WHERE id = ?2",
                params![&m.id, &s.customer.id],
            )?);
            stmts.push(ctx.audit(Audit {
                org: Some(&s.customer.organization_id),
                actor: &actor,
                action: "autopay.on",
                subject: &s.customer.id,
                detail: json!({ "payment_method_id": m.id, "method": m.label() }),
            })?);
        }
        None => {
            stmts.push(db::stmt(
                &ctx.db,
                "UPDATE customers SET autopay_method_id = NULL WHERE id = ?1",
                params![&s.customer.id],
            )?);
            stmts.push(db::stmt(
                &ctx.db,
                &format!(
                    "UPDATE scheduled_payments SET status = 'cancelled', ended_at = ?1, ended_by = ?2, updated_at = ?1, next_attempt_at = NULL \
                     WHERE customer_id = ?3 AND source = 'autopay' AND status IN ('scheduled', 'retrying') AND status IN {LIVE}"
                ),
                params![now, &actor, &s.customer.id],
            )?);
            stmts.push(ctx.audit(Audit {
                org: Some(&s.customer.organization_id),
                actor: &actor,
                action: "autopay.off",
                subject: &s.customer.id,
                detail: json!({}),
            })?);
        }
    }
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(db::WriteError::Conflict) => {
            return Err(ApiError::Client {
                code: ErrorCode::PaymentMethodRemoved,
                message: "That card or bank account was removed; choose another or save a new one."
                    .into(),
                field: Some("payment_method_id".into()),
            });
        }
        Err(e) => return Err(e.into()),
    }
    http::json(200, &view(ctx, &s).await?)
}
