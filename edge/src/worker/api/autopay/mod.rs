//! Saved payment methods, scheduled automatic payments and autopay. The
//! customer saves a card or bank account through Stripe Checkout in setup
//! mode (`methods`), schedules an invoice's payment on a date or turns
//! autopay on (`schedules`), and a queued job charges it off-session on that
//! date, retrying declines on the organization's days (`charge`). What may
//! be scheduled, until when it may change, what each attempt charges and
//! what follows a decline are the pure rules of `crate::autopay`; this
//! module reads what they ask and writes what they decide, with its audit
//! row, in one batch.

pub mod charge;
pub mod instalments;
pub mod methods;
pub mod row;
pub mod schedules;
pub mod setup;

use crate::error::ApiError;
use crate::outbound::{HttpClient, HttpRequest, HttpResponse};
use crate::worker::api::stripe_account;
use crate::worker::ctx::Ctx;
use crate::worker::fetch::WorkerFetch;
use settle_shared::ErrorCode;

/// Statuses of a schedule that still holds its invoice.
pub const LIVE: &str = "('scheduled', 'charging', 'processing', 'retrying')";

/// The Stripe account an organization charges through, and a name for it
/// that stays the same while its key does (saved methods belong to one
/// account).
pub struct Account {
    pub key: crate::config::Secret,
    pub name: String,
}

/// The organization's Stripe account, if payments are set up.
pub async fn account(ctx: &Ctx, org_id: &str) -> Result<Option<Account>, ApiError> {
    Ok(stripe_account::keys(ctx, org_id).await?.map(|k| {
        let name = format!(
            "{}:{}",
            if k.own { "own" } else { "platform" },
            &crate::security::hash_token(k.secret_key.expose())[..16]
        );
        Account {
            key: k.secret_key,
            name,
        }
    }))
}

/// The organization's account, or the customer's clear answer that saved
/// methods are not available.
pub async fn need_account(ctx: &Ctx, org_id: &str) -> Result<Account, ApiError> {
    account(ctx, org_id).await?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::PaymentProviderUnavailable,
            "Online payment is not set up for this company yet.",
        )
    })
}

/// Stripe could not be reached: nothing was changed.
pub fn unavailable(why: &str) -> ApiError {
    worker::console_error!("stripe: {why}");
    ApiError::new(
        ErrorCode::PaymentProviderUnavailable,
        "We could not reach the payment provider. Nothing was changed. Please try again in a moment.",
    )
}

/// Sends a request to Stripe; a transport failure is [`unavailable`].
pub async fn send(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    WorkerFetch.send(request).await.map_err(|e| unavailable(&e))
}

/// How a saved method reads to its owner: `Visa ···· 4242`.
pub fn label(kind: &str, brand: Option<&str>, last4: &str) -> String {
    let name = match (kind, brand) {
        ("card", Some(b)) => {
            let mut c = b.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_else(|| "Card".into())
        }
        ("card", None) => "Card".into(),
        ("sepa_debit", _) => "SEPA".into(),
        _ => "Bank account".into(),
    };
    format!("{name} ···· {last4}")
}
