//! The catalog, subscriptions and billing runs on the wire.

use crate::decimal::Milli;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /api/v1/catalog/plans`, and `PUT /api/v1/catalog/plans/{code}`
/// (which replaces all but the code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogPlanRequest {
    /// Letters, digits, `-` and `_`; unique per organization, kept forever.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `month`, `quarter` or `year`.
    pub interval: String,
    /// Price per interval and unit, in minor units, by ISO 4217 code.
    pub prices: BTreeMap<String, i128>,
    /// Percent, as on invoice lines; 0 when absent.
    #[serde(default)]
    pub tax_rate: Option<Milli>,
    /// Quantities a subscription may have (seats, units); default 1 to none.
    #[serde(default)]
    pub min_quantity: Option<i64>,
    #[serde(default)]
    pub max_quantity: Option<i64>,
    /// Codes of the add-ons a subscriber may take with this plan.
    #[serde(default)]
    pub add_ons: Vec<String>,
    /// Codes of the plans a subscriber may move to from this one.
    #[serde(default)]
    pub moves_to: Vec<String>,
}

/// `POST /api/v1/catalog/add-ons`: priced per unit and period of the plan
/// it is taken with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogAddOnRequest {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub prices: BTreeMap<String, i128>,
    #[serde(default)]
    pub tax_rate: Option<Milli>,
    /// Default 0 to none.
    #[serde(default)]
    pub min_quantity: Option<i64>,
    #[serde(default)]
    pub max_quantity: Option<i64>,
}

/// A plan or add-on as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CatalogItemResponse {
    pub id: String,
    /// `plan` or `add_on`.
    pub kind: String,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// Plans only.
    pub interval: Option<String>,
    pub prices: BTreeMap<String, i64>,
    pub tax_rate: Milli,
    pub min_quantity: i64,
    pub max_quantity: Option<i64>,
    pub add_ons: Vec<String>,
    pub moves_to: Vec<String>,
    pub archived: bool,
    pub created_at: String,
}

/// An add-on and how many of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AddOnQuantity {
    pub code: String,
    pub quantity: i64,
}

/// `POST /api/v1/subscriptions`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscriptionRequest {
    pub customer_id: String,
    /// The plan's code.
    pub plan: String,
    /// ISO 4217; the plan must have a price in it.
    pub currency: String,
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub add_ons: Vec<AddOnQuantity>,
    /// `YYYY-MM-DD`; today in the organization's billing time zone when
    /// absent. Not before today: a subscription does not bill the past.
    #[serde(default)]
    pub start_date: Option<String>,
}

/// The invoice a subscription issues next.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NextInvoice {
    /// The day the billing run issues it.
    pub issue_date: String,
    pub period_start: String,
    /// The period's last day (included).
    pub period_end: String,
    /// Before tax, in minor units of the subscription's currency.
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    /// Billed for part of a period (a start between cut-off dates).
    pub partial: bool,
}

/// A subscription as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubscriptionResponse {
    pub id: String,
    /// Printed on its invoices: `SUB-…`.
    pub number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub plan: String,
    pub plan_name: String,
    pub currency: String,
    pub quantity: i64,
    pub add_ons: Vec<AddOnQuantity>,
    /// `active` or `canceled`.
    pub status: String,
    pub start_date: String,
    /// Billed up to this date (excluded): the next invoice starts here.
    pub billed_to: String,
    pub next_invoice: Option<NextInvoice>,
    /// Raised by every change; a change names the version it was quoted on.
    pub version: i64,
    /// Set when cancelled at the end of the period: the day it ends (no
    /// invoice is issued from then on).
    pub cancel_at: Option<String>,
    /// Credit from changes (tax included, minor units) not yet used: taken
    /// off the next invoice, or owed back once cancelled.
    pub credit: i64,
    pub created_at: String,
}

/// `POST /api/v1/subscriptions/{id}/quote` and `…/change`, and the same
/// under `/api/v1/portal/subscriptions/{id}/`: what to change. A quote
/// writes nothing; a change applies the same quote.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSubscriptionRequest {
    /// The subscription's `version` as it was shown: a change made since
    /// is refused (409) rather than applied twice.
    pub version: i64,
    /// A plan the current one may move to (`moves_to`), by code.
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub quantity: Option<i64>,
    /// The add-ons wanted, all of them (absent: as they are).
    #[serde(default)]
    pub add_ons: Option<Vec<AddOnQuantity>>,
    /// `period_end`, or `now` where the company allows it (with a
    /// prorated credit); no other field with it.
    #[serde(default)]
    pub cancel: Option<String>,
    /// Keeps a subscription cancelled at the period's end.
    #[serde(default)]
    pub resume: bool,
}

/// One line of a change's proration: a charge (positive) or a credit
/// (negative), in minor units before tax, with its tax.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProrationLine {
    pub description: String,
    pub amount: i64,
    pub tax: i64,
}

/// What a change costs, before it is made.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangeQuote {
    pub currency: String,
    /// The day the change takes effect.
    pub effective_on: String,
    /// The billed period the change falls in (absent: nothing billed to
    /// prorate; the next invoice bills the new choice).
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub days_left: u32,
    pub days: u32,
    pub lines: Vec<ProrationLine>,
    /// Tax included: what the proration invoice charges, what is credited
    /// for the unused part, and the difference (negative: owed to the
    /// customer).
    pub charge: i64,
    pub credit: i64,
    pub net: i64,
    /// What a whole period costs after the change, before tax.
    pub per_period: i64,
}

/// The answer to a change: its quote, and what it did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangeResponse {
    pub quote: ChangeQuote,
    pub subscription: SubscriptionResponse,
    /// The proration invoice, when the change charged anything.
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    /// Credit notes issued (tax included) and credit carried to the next
    /// invoice.
    pub credited: i64,
    pub carried: i64,
}

/// A plan or add-on a subscriber may choose, priced in their currency.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalOption {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// Per unit and period, before tax.
    pub price: i64,
    pub tax_rate: Milli,
    pub min_quantity: i64,
    pub max_quantity: Option<i64>,
}

/// A subscription as its customer sees it, with what they may change it to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalSubscription {
    pub subscription: SubscriptionResponse,
    pub interval: String,
    /// The current plan first, then the plans it may move to.
    pub plans: Vec<PortalOption>,
    pub add_ons: Vec<PortalOption>,
    /// The company lets customers cancel at once with a prorated credit.
    pub immediate_cancel: bool,
}

/// How an organization bills its subscriptions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BillingSettings {
    /// Day of the month, 1 to 31; past a short month's end, its last day.
    pub cutoff_day: u32,
    /// IANA time zone whose date the billing run goes by.
    pub time_zone: String,
    /// Days from issue to due date of a subscription's invoice.
    pub due_days: u32,
    /// Subscribers may cancel at once with a prorated credit, not only at
    /// the end of the period.
    #[serde(default)]
    pub immediate_cancel: bool,
}

impl Default for BillingSettings {
    fn default() -> Self {
        BillingSettings {
            cutoff_day: 1,
            time_zone: "UTC".into(),
            due_days: 14,
            immediate_cancel: false,
        }
    }
}

/// A billing run as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BillingRunResponse {
    pub id: String,
    /// The organization's local date the run bills for.
    pub run_date: String,
    /// `running` or `done`.
    pub status: String,
    /// Subscriptions due when the run started.
    pub due: i64,
    pub issued: i64,
    /// Already billed for the period (a repeated run), or not due.
    pub skipped: i64,
    /// Could not be billed; each has an audit row saying why.
    pub failed: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
}
