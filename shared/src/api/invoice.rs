//! Invoices as the API takes and shows them.

use super::InvoiceRef;
use crate::decimal::Milli;
use crate::invoice::InvoiceStatus;
use serde::{Deserialize, Serialize};

/// An invoice's early-payment offer as it stands today.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EarlyPaymentOffer {
    /// The last day (the customer's) the discounted amount may be paid.
    pub until: String,
    pub discount: i64,
    /// What paying by then costs instead of the total.
    pub pay: i64,
    /// The discount in basis points of the total (200 is 2 %).
    pub basis_points: u32,
}

/// One line of `CreateInvoiceRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    pub description: String,
    /// Decimal string or integer, up to 3 decimals: `"1.5"`.
    pub quantity: Milli,
    /// Minor units per unit of quantity. Wide on the wire so that an
    /// overflowing value gets a range error rather than a parse error.
    pub unit_amount: i128,
    /// Percent as a decimal string: `"20"`, `"8.875"`. 0 when absent.
    #[serde(default)]
    pub tax_rate: Option<Milli>,
    /// When given, must equal the invoice's currency.
    #[serde(default)]
    pub currency: Option<String>,
}

/// `POST /api/v1/invoices`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvoiceRequest {
    pub customer_id: String,
    /// Unique per organization.
    pub number: String,
    /// ISO 4217.
    pub currency: String,
    /// Today (UTC) when absent.
    #[serde(default)]
    pub issue_date: Option<String>,
    pub due_date: String,
    #[serde(default)]
    pub memo: Option<String>,
    pub lines: Vec<LineRequest>,
    /// Early-payment terms, such as 2 % off within 10 days of issue.
    #[serde(default)]
    pub early_payment: Option<crate::invoice::discount::EarlyPayment>,
    /// Email the invoice to the customer now.
    #[serde(default)]
    pub send: bool,
}

/// A line as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LineResponse {
    pub description: String,
    pub quantity: Milli,
    pub unit_amount: i64,
    pub tax_rate: Milli,
    pub net: i64,
    pub tax: i64,
}

/// An invoice with its lines and its ledger-derived balance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InvoiceResponse {
    pub id: String,
    pub number: String,
    pub customer_id: String,
    pub currency: String,
    pub status: InvoiceStatus,
    /// Open and past due in the customer's time zone.
    pub overdue: bool,
    /// Open, with a bank debit on its way (not yet settled).
    #[serde(default)]
    pub processing: bool,
    pub issue_date: String,
    pub due_date: String,
    pub memo: Option<String>,
    pub lines: Vec<LineResponse>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub amount_paid: i64,
    pub amount_due: i64,
    /// Paid beyond the total: the customer's credit.
    #[serde(default)]
    pub overpaid: i64,
    pub sent_at: Option<String>,
    pub voided_at: Option<String>,
    pub created_at: String,
    /// "In dispute": the invoice's open dispute (`dsp_…`), and the part of
    /// `amount_due` it holds; the rest can still be paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_id: Option<String>,
    /// Sent, not read back: the portal's pay path does not carry the code
    /// to read it (its thread pages show the amount).
    #[serde(default, skip_deserializing)]
    pub disputed_amount: i64,
    /// The invoice this one corrects (a dispute resolved with a corrected
    /// invoice), and the one that replaced it once it was voided. Sent, not
    /// read back: the portal's pay path does not carry the code to read
    /// them (the invoice email and the thread say it; the console reads the
    /// dispute).
    #[serde(default, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub replaces: Option<InvoiceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub replaced_by: Option<InvoiceRef>,
    /// What paying early saves today, while the invoice's terms offer it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_payment: Option<EarlyPaymentOffer>,
    /// The day (the customer's) an automatic payment of it is scheduled
    /// for, while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_on: Option<String>,
}
