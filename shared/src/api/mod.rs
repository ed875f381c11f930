//! Request and response bodies of the HTTP API, as both sides see them.
//!
//! Requests reject unknown fields. Amounts are integers in minor units; dates
//! are `YYYY-MM-DD`; timestamps are RFC 3339 UTC with `Z`.

use serde::{Deserialize, Serialize};

mod autopay;
mod billing;
mod dispute;
mod imports;
mod invoice;
mod organization;
mod plan;
mod promise;
mod stripe_account;
mod team;
mod webhooks;
mod worklist;
pub use autopay::*;
pub use billing::*;
pub use dispute::*;
pub use imports::*;
pub use invoice::*;
pub use organization::*;
pub use plan::*;
pub use promise::*;
pub use stripe_account::*;
pub use team::*;
pub use webhooks::*;
pub use worklist::*;

/// A page of a collection. `next_cursor` is opaque; pass it back as `?cursor=`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
    /// How many match the filter in all pages, where the list counts them
    /// (customers and invoices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// `POST /api/v1/customers`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerRequest {
    pub name: String,
    pub email: String,
    /// BCP 47, such as `en`, `fr-FR`, `ar`; `en` when absent.
    #[serde(default)]
    pub locale: Option<String>,
    /// IANA time zone, such as `Europe/Paris`; `UTC` when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The company's own reference for this customer.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// A customer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CustomerResponse {
    pub id: String,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub time_zone: String,
    pub external_id: Option<String>,
    pub created_at: String,
    /// Overpayments held for the customer, per currency (on `GET` of one
    /// customer; empty in lists).
    #[serde(default)]
    pub credit: Vec<crate::money::Money>,
    /// The company's labels, used by reminder segments.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The customer asked for no more reminders or statements.
    #[serde(default)]
    pub reminders_opt_out: bool,
    /// `ok`, or why mail to the address stopped: `bounced`, `complained`.
    #[serde(default)]
    pub email_status: String,
    /// Why the account is on the agents' list, if it is.
    #[serde(default)]
    pub flag_reason: Option<String>,
    /// The agent the account is assigned to (`mem_…`), if any.
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Self-service payment plans are stopped for this customer.
    #[serde(default)]
    pub payment_plans_blocked: bool,
    /// "Reply received": the customer answered an email, and no one of the
    /// company has read their thread since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_received_at: Option<String>,
}

/// `PATCH /api/v1/customers/{id}`: only the fields given change. A new
/// email address clears a bounce.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomerRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub reminders_opt_out: Option<bool>,
    /// Whether the customer may no longer set up instalment plans (a
    /// reminder step's `stop_payment_plans` sets it too).
    #[serde(default)]
    pub payment_plans_blocked: Option<bool>,
}

/// `POST /api/v1/invoices/{id}/payments`: money received outside Stripe.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordPaymentRequest {
    pub amount: i128,
    pub currency: String,
    /// `bank_transfer`, `cheque`, `cash` or `other`.
    pub method: String,
    #[serde(default)]
    pub reference: Option<String>,
    /// The date the money arrived; today when absent.
    #[serde(default)]
    pub received_on: Option<String>,
}

/// A ledger row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PaymentResponse {
    pub id: String,
    pub invoice_id: String,
    pub kind: String,
    pub method: String,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub received_on: String,
    pub created_at: String,
}

/// `POST /api/v1/customers/{id}/portal-links`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePortalLinkRequest {
    /// Lifetime in days; the organization's default when absent (1–365).
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// Land on this invoice instead of the list.
    #[serde(default)]
    pub invoice_id: Option<String>,
}

/// A customer link. `url` carries the secret token and is shown only here.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalLinkResponse {
    pub id: String,
    pub customer_id: String,
    pub url: Option<String>,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub created_at: String,
}

/// `POST /api/v1/portal/link-requests`: a customer asks for a fresh link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequestRequest {
    pub email: String,
}

/// Always the same answer, whether or not the address is known.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LinkRequestResponse {
    pub status: String,
}

/// What the portal learns about who is signed in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalSessionResponse {
    pub customer_name: String,
    pub customer_email: String,
    pub locale: String,
    pub time_zone: String,
    /// Today's date in the customer's time zone, `YYYY-MM-DD`.
    pub today: String,
    pub organization: PortalBrand,
    pub payments: PaymentSettings,
    /// The invoice the link was issued for, if any.
    pub landing_invoice_id: Option<String>,
}

/// An audit trail row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEventResponse {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: String,
}

/// `POST /api/v1/portal/invoices/{id}/checkout`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// Minor units; the whole balance when absent.
    #[serde(default)]
    pub amount: Option<i64>,
}

/// `POST /api/v1/portal/checkout`: several invoices paid together.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinedCheckoutRequest {
    pub invoice_ids: Vec<String>,
}

/// Where to send the customer to pay.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CheckoutResponse {
    pub id: String,
    pub url: String,
}

/// `POST /api/v1/api-keys`: a new API key for the organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// What the key is for, such as `ERP sync` (1–100 characters).
    pub name: String,
}

/// An API key as listed: never the key itself, which is shown once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiKeyResponse {
    pub id: String,
    pub name: String,
    /// The key's first characters, to recognise it (`sk_4f1c0c8e…`).
    pub prefix: String,
    pub created_at: String,
    /// To the hour: the key's use is recorded at most once an hour.
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A key just created or rotated, with the secret itself (shown only here).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NewApiKeyResponse {
    #[serde(flatten)]
    pub key: ApiKeyResponse,
    pub api_key: String,
}

/// An email Settle sent or tried to send (`GET /api/v1/emails`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EmailResponse {
    pub id: String,
    /// The customer it was for; none for a team member's sign-in link.
    pub customer_id: Option<String>,
    /// The team member it was for (`sign_in` emails).
    #[serde(default)]
    pub member_id: Option<String>,
    pub invoice_id: Option<String>,
    /// `invoice`, `link`, `receipt`, `payment_failed`, `reminder`,
    /// `statement`, `sign_in`
    pub kind: String,
    /// `queued`, `sent`, `failed` (a dead letter), `skipped`
    pub status: String,
    pub to: String,
    /// Where the company's copy went (a message of its own).
    pub bcc: Option<String>,
    pub subject: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    /// The provider's last delivery event (`delivered`, `bounced`, …).
    pub delivery: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// A reminder step planned, sent or skipped for an invoice
/// (`GET /api/v1/reminders`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReminderResponse {
    pub id: String,
    pub invoice_id: String,
    pub customer_id: String,
    pub policy_id: String,
    /// Days after the due date (negative: before).
    pub offset_days: i64,
    pub tone: String,
    pub template: String,
    pub due_at: String,
    /// `queued`, `sent`, `skipped`, `failed`
    pub status: String,
    /// Why it was skipped: `invoice_paid`, `invoice_disputed`, …
    pub skip_reason: Option<String>,
    pub email_id: Option<String>,
    /// The balance it reminded of, once sent.
    pub amount_due: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A Stripe event as received, and what Settle did with it
/// (`GET /api/v1/stripe-events`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StripeEventResponse {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `applied`, `ignored`, `flagged` (needs a person), `pending` (waits
    /// for its payment)
    pub outcome: String,
    pub invoice_id: Option<String>,
    /// Why it was flagged, or what it waits for.
    pub note: Option<String>,
    pub received_at: String,
}

/// Something the company should look at (`GET /api/v1/alerts`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AlertResponse {
    pub id: String,
    /// `email_bounced`, `email_complained`
    pub kind: String,
    pub customer_id: Option<String>,
    pub message: String,
    pub detail: serde_json::Value,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

/// `GET /api/v1/health`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HealthResponse {
    pub status: String,
    pub version: String,
}
