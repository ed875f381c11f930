//! Saved payment methods, scheduled automatic payments and autopay, as the
//! portal, the console and the company API see them.

use super::PortalRefusal;
use serde::{Deserialize, Serialize};

/// A saved card or bank account. Only what identifies it to its owner:
/// the brand or bank, the last four digits, a card's expiry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedMethodResponse {
    pub id: String,
    /// `card`, `sepa_debit` or `us_bank_account`.
    pub kind: String,
    pub brand: Option<String>,
    pub last4: String,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    pub created_at: String,
    /// Autopay charges future invoices with it.
    pub autopay: bool,
}

/// `GET /api/v1/portal/payment-methods`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalMethodsResponse {
    pub methods: Vec<SavedMethodResponse>,
    /// The method autopay uses; `None` when autopay is off.
    pub autopay_method_id: Option<String>,
    /// Whether the company takes saved methods (its Stripe account is set).
    pub available: bool,
    /// Whether bank accounts may be saved, not only cards.
    pub bank_debit: bool,
    /// What autopay leaves alone: the days after its due date a declined
    /// charge is tried again.
    pub retry_days: Vec<u32>,
}

/// `POST /api/v1/portal/payment-methods/setup`: where to go to save one.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The portal page to come back to: `/payment-methods` (default) or
    /// `/promise/{invoice}`.
    #[serde(default)]
    pub return_to: Option<String>,
}

/// The Stripe page where the customer saves a card or bank account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupResponse {
    pub url: String,
}

/// `POST /api/v1/portal/payment-methods/confirm`: back from that page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmSetupRequest {
    pub session_id: String,
}

/// `PUT /api/v1/portal/autopay`: autopay on with a method, or off (`null`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutopayRequest {
    pub payment_method_id: Option<String>,
}

/// `POST /api/v1/portal/invoices/{id}/schedule`: charge the invoice with a
/// saved method on a date (or change the date or method of the schedule).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// `YYYY-MM-DD`, in the customer's time zone.
    pub charge_on: String,
    pub payment_method_id: String,
}

/// A scheduled automatic payment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScheduledPaymentResponse {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: String,
    pub customer_id: String,
    pub customer_name: String,
    /// `YYYY-MM-DD`, the customer's date.
    pub charge_on: String,
    /// `portal` (the customer chose it) or `autopay` (the due date).
    pub source: String,
    /// `scheduled`, `charging`, `processing`, `retrying`, `paid`, `failed`
    /// or `cancelled`.
    pub status: String,
    pub payment_method_id: String,
    /// `Visa ···· 4242`, `SEPA ···· 3000`.
    pub payment_method: String,
    /// What is due now, or what the last attempt charged.
    pub amount: i64,
    pub currency: String,
    pub attempts: u32,
    /// When the next attempt is due (RFC 3339), while one is.
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
    pub payment_intent_id: Option<String>,
    /// The customer may still change or cancel it (until the day before).
    pub can_change: bool,
    pub created_at: String,
    pub ended_at: Option<String>,
    pub ended_by: Option<String>,
}

/// `GET /api/v1/portal/invoices/{id}/schedule`: the invoice's schedule, the
/// dates and methods the customer may choose, or why they cannot.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalScheduleResponse {
    pub invoice_id: String,
    pub number: String,
    pub currency: String,
    pub amount_due: i64,
    pub first_date: String,
    pub last_date: String,
    pub schedule: Option<ScheduledPaymentResponse>,
    pub methods: Vec<SavedMethodResponse>,
    pub refusal: Option<PortalRefusal>,
    pub available: bool,
    pub retry_days: Vec<u32>,
}
