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
    pub created_at: String,
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
