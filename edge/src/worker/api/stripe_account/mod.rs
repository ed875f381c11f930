//! `/api/v1/organization/stripe` (admins): the organization's own Stripe
//! account. Its keys are sealed before they are stored
//! (`crate::stripe::account`) and come back only as their last four
//! characters. [`keys`] is how checkout, voids, the sweep and the webhook
//! find the keys of an organization: its own, else the deployment's.
//! `connect` changes the account, `check` asks Stripe about it.

mod check;
mod connect;

pub use check::check;
pub use connect::{connect, disconnect};

use crate::config::Secret;
use crate::error::ApiError;
use crate::params;
use crate::stripe::account::{self as rules, CheckReport};
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use serde::Deserialize;
use settle_shared::ErrorCode;
use settle_shared::api::{StripeAccountResponse, StripeSource};
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// The keys that take an organization's payments.
#[derive(Debug, Clone)]
pub struct StripeKeys {
    pub secret_key: Secret,
    /// Verifies its webhook events; none when the deployment has no
    /// `STRIPE_WEBHOOK_SECRET`.
    pub webhook_secret: Option<Secret>,
    /// The organization's own account, not the deployment's: objects from
    /// it are trusted only for this organization.
    pub own: bool,
}

#[derive(Deserialize)]
struct Sealed {
    secret_key_sealed: String,
    webhook_secret_sealed: String,
}

fn sealing_key(ctx: &Ctx) -> Option<[u8; 32]> {
    ctx.config
        .encryption_key
        .as_ref()
        .map(|k| rules::sealing_key(k.expose()))
}

/// A sealed value that does not open: `ENCRYPTION_KEY` changed since it was
/// sealed. Payments wait (503: Stripe retries its events) and the log says
/// why; the admin pastes the keys again.
fn unopenable(org_id: &str) -> ApiError {
    worker::console_error!(
        "the Stripe keys of {org_id} do not open: ENCRYPTION_KEY is missing or changed since they were saved"
    );
    ApiError::new(
        ErrorCode::PaymentProviderUnavailable,
        "Online payment is not available right now. Nothing was charged.",
    )
}

/// The keys of `org_id`: its own account's, else the deployment's, else none.
pub async fn keys(ctx: &Ctx, org_id: &str) -> Result<Option<StripeKeys>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT secret_key_sealed, webhook_secret_sealed FROM stripe_accounts WHERE organization_id = ?1",
        params![org_id],
    )?;
    match db::one::<Sealed>(s).await? {
        Some(row) => {
            let key = sealing_key(ctx).ok_or_else(|| unopenable(org_id))?;
            let open = |field: &str, sealed: &str| {
                rules::open(&key, org_id, field, sealed)
                    .map(Secret::new)
                    .ok_or_else(|| unopenable(org_id))
            };
            Ok(Some(StripeKeys {
                secret_key: open("secret_key", &row.secret_key_sealed)?,
                webhook_secret: Some(open("webhook_secret", &row.webhook_secret_sealed)?),
                own: true,
            }))
        }
        None => Ok(ctx
            .config
            .stripe_secret_key
            .clone()
            .map(|secret_key| StripeKeys {
                secret_key,
                webhook_secret: ctx.config.stripe_webhook_secret.clone(),
                own: false,
            })),
    }
}

#[derive(Deserialize)]
struct AccountRow {
    secret_key_last4: String,
    webhook_secret_last4: String,
    livemode: i64,
    account_id: Option<String>,
    account_name: Option<String>,
    checked_at: Option<i64>,
    check_report: Option<String>,
    connected_at: i64,
    updated_at: i64,
}

async fn row(ctx: &Ctx, org_id: &str) -> Result<Option<AccountRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT secret_key_last4, webhook_secret_last4, livemode, account_id, account_name, checked_at, check_report, connected_at, updated_at \
         FROM stripe_accounts WHERE organization_id = ?1",
        params![org_id],
    )?;
    db::one(s).await
}

/// Where Stripe sends this organization's events.
fn webhook_url(ctx: &Ctx, org_id: &str) -> String {
    format!("{}/api/stripe/webhook/{org_id}", ctx.config.public_base_url)
}

async fn view(ctx: &Ctx, org_id: &str) -> Result<StripeAccountResponse, ApiError> {
    #[derive(Deserialize)]
    struct Last {
        at: Option<i64>,
    }
    let last = db::stmt(
        &ctx.db,
        "SELECT MAX(received_at) AS at FROM stripe_events WHERE organization_id = ?1",
        params![org_id],
    )?;
    let last_event_at = db::one::<Last>(last)
        .await?
        .and_then(|l| l.at)
        .map(rfc3339_from_millis);
    let base = StripeAccountResponse {
        source: if ctx.config.stripe_secret_key.is_some() {
            StripeSource::Deployment
        } else {
            StripeSource::None
        },
        mode: None,
        secret_key_last4: None,
        webhook_secret_last4: None,
        account_id: None,
        account_name: None,
        connected_at: None,
        updated_at: None,
        checked_at: None,
        check: None,
        webhook_url: webhook_url(ctx, org_id),
        needed_events: rules::NEEDED_EVENTS
            .iter()
            .map(|e| (*e).to_owned())
            .collect(),
        last_event_at,
        can_connect: ctx.config.encryption_key.is_some(),
    };
    Ok(match row(ctx, org_id).await? {
        None => base,
        Some(r) => StripeAccountResponse {
            source: StripeSource::Own,
            mode: Some(if r.livemode == 1 { "live" } else { "test" }.into()),
            secret_key_last4: Some(r.secret_key_last4),
            webhook_secret_last4: Some(r.webhook_secret_last4),
            account_id: r.account_id,
            account_name: r.account_name,
            connected_at: Some(rfc3339_from_millis(r.connected_at)),
            updated_at: Some(rfc3339_from_millis(r.updated_at)),
            checked_at: r.checked_at.map(rfc3339_from_millis),
            check: r
                .check_report
                .and_then(|c| serde_json::from_str::<CheckReport>(&c).ok()),
            ..base
        },
    })
}

/// `GET /api/v1/organization/stripe`
pub async fn get(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    http::json(200, &view(ctx, &org.id).await?)
}
