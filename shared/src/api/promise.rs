//! Promises to pay, as the company API, the console and the portal see them.

use serde::{Deserialize, Serialize};

/// The organization's rules for promises (`PATCH /organization`, `promises`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PromiseSettings {
    /// The latest date a customer may pick, in days from their today
    /// (1 to 180).
    pub max_days: u32,
    /// Days after the date before an unpaid promise is broken (0 to 30).
    pub grace_days: u32,
}

impl Default for PromiseSettings {
    fn default() -> Self {
        PromiseSettings {
            max_days: 30,
            grace_days: 3,
        }
    }
}

/// `POST /api/v1/invoices/{id}/promises` (an agent records a promise made
/// by phone) and `POST /api/v1/portal/invoices/{id}/promise` (the customer
/// promises, or changes the date once).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromiseRequest {
    /// `YYYY-MM-DD`, in the customer's time zone.
    pub promised_date: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A promise to pay.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PromiseResponse {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: String,
    pub customer_id: String,
    pub customer_name: String,
    /// What is due on the invoice now, in its currency's minor units.
    pub amount_due: i64,
    pub currency: String,
    pub promised_date: String,
    pub note: Option<String>,
    /// `active`, `kept`, `broken` or `cancelled`.
    pub status: String,
    /// `portal` (the customer) or `staff` (recorded by an agent or the API).
    pub source: String,
    /// How often the date was changed.
    pub changes: u32,
    /// When the reminder the day before goes (or went).
    pub reminder_at: Option<String>,
    pub reminded_at: Option<String>,
    /// The customer's day on which it breaks if still unpaid (while active).
    pub breaks_on: Option<String>,
    pub created_at: String,
    pub ended_at: Option<String>,
    /// A promise on the invoice broke and no agent has agreed to another
    /// yet (`POST /invoices/{id}/promises/approval`).
    pub needs_approval: bool,
}

/// `GET /api/v1/portal/invoices/{id}/promise`: what the customer may do.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalPromiseResponse {
    pub invoice_id: String,
    pub number: String,
    pub currency: String,
    pub amount_due: i64,
    pub due_date: String,
    /// The active promise, if any.
    pub promise: Option<PortalPromise>,
    /// Why the customer cannot promise (or change the date) now: the API's
    /// error code and its sentence; `None` when they can.
    pub refusal: Option<PortalRefusal>,
    /// The dates they may pick, from and to, in their time zone.
    pub first_date: String,
    pub last_date: String,
    /// Days of grace after the date before a promise is broken.
    pub grace_days: u32,
}

/// A promise as the customer sees it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalPromise {
    pub promised_date: String,
    pub note: Option<String>,
    /// Whether the date may still be changed (once).
    pub can_change: bool,
    pub reminder_at: Option<String>,
}

/// Why a customer cannot promise.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalRefusal {
    pub code: String,
    pub message: String,
}
