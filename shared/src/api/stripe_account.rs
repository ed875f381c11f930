//! `/api/v1/organization/stripe`: the organization's own Stripe account.
//! Keys go in once and come back only as their last four characters.

use serde::{Deserialize, Serialize};

/// `PUT /api/v1/organization/stripe`: connect an account, or replace either
/// secret. Both are needed the first time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConnectStripeRequest {
    /// A secret (`sk_…`) or restricted (`rk_…`) key.
    #[serde(default)]
    pub secret_key: Option<String>,
    /// The signing secret (`whsec_…`) of the webhook endpoint at Stripe that
    /// sends to [`StripeAccountResponse::webhook_url`].
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

/// Whose Stripe account takes this organization's payments.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StripeSource {
    /// Its own, connected in the console.
    Own,
    /// The deployment's (`STRIPE_SECRET_KEY`), set by the operator.
    Deployment,
    /// None: customers cannot pay online.
    None,
}

/// One thing "check connection" found wrong, with a stable code
/// (`stripe_unreachable`, `key_rejected`, `checkout_not_permitted`,
/// `endpoint_missing`, `events_missing`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StripeProblem {
    pub code: String,
    pub message: String,
}

/// What "check connection" concluded from Stripe's answers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct StripeCheck {
    /// Payments can be taken: Stripe accepts the key for Checkout.
    pub ok: bool,
    /// Stripe could not be asked; nothing was concluded.
    #[serde(default)]
    pub unreachable: bool,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub account_name: Option<String>,
    /// An enabled endpoint at Stripe sends to Settle's webhook URL; none
    /// when the key may not read endpoints.
    #[serde(default)]
    pub endpoint_found: Option<bool>,
    /// Events Settle needs that the endpoint does not send.
    #[serde(default)]
    pub missing_events: Vec<String>,
    #[serde(default)]
    pub problems: Vec<StripeProblem>,
}

/// `GET /api/v1/organization/stripe`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StripeAccountResponse {
    pub source: StripeSource,
    /// `test` or `live`, from the key (own accounts).
    pub mode: Option<String>,
    pub secret_key_last4: Option<String>,
    pub webhook_secret_last4: Option<String>,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub connected_at: Option<String>,
    pub updated_at: Option<String>,
    pub checked_at: Option<String>,
    /// The last check's conclusion.
    pub check: Option<StripeCheck>,
    /// Where the endpoint at Stripe must send events.
    pub webhook_url: String,
    /// The events the endpoint must send.
    pub needed_events: Vec<String>,
    /// When the last event from Stripe was received for this organization.
    pub last_event_at: Option<String>,
    /// The deployment can seal keys (`ENCRYPTION_KEY` is set); without it
    /// nothing can be connected.
    pub can_connect: bool,
}
