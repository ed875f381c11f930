//! The customer's saved cards and bank accounts: listed, saved through
//! Stripe Checkout in setup mode (a Stripe customer of the organization's
//! account holds them), confirmed on the way back or by Stripe's event,
//! removed (detached at Stripe), and chosen for autopay.
//!
//! - `GET /api/v1/portal/payment-methods`
//! - `DELETE /api/v1/portal/payment-methods/{id}`
//! - `PUT /api/v1/portal/autopay`
//!
//! Saving one is `setup`.

use super::{LIVE, account, label, need_account, send, unavailable};
use crate::error::ApiError;
use crate::params;
use crate::stripe::saved;
use crate::worker::api::organizations;
use crate::worker::auth::Session;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{AutopayRequest, PortalMethodsResponse, SavedMethodResponse};
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
pub(super) struct StripeCustomer {
    pub stripe_customer_id: Option<String>,
    pub stripe_customer_account: Option<String>,
    pub autopay_method_id: Option<String>,
}

pub(super) async fn customer_stripe(
    ctx: &Ctx,
    customer_id: &str,
) -> Result<StripeCustomer, ApiError> {
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
pub(super) async fn view(ctx: &Ctx, s: &Session) -> Result<PortalMethodsResponse, ApiError> {
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
