//! `invoices` and `invoice_lines`: the rows as D1 returns them (joined with the customer's time
//! zone and what the invoice list needs), and its API view.

use super::local_date;
use serde::Deserialize;
use settle_shared::api::{InvoiceRef, InvoiceResponse, LineResponse};
use settle_shared::decimal::Milli;
use settle_shared::invoice::discount::{self, EarlyPayment};
use settle_shared::invoice::{InvoiceStatus, is_overdue};
use settle_shared::time::rfc3339_from_millis;

/// `invoices`, joined with the customer's time zone.
#[derive(Debug, Clone, Deserialize)]
pub struct InvoiceRow {
    pub id: String,
    pub customer_id: String,
    pub number: String,
    pub currency: String,
    pub status: String,
    pub issue_date: String,
    pub due_date: String,
    pub memo: Option<String>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub amount_paid: i64,
    pub sent_at: Option<i64>,
    pub voided_at: Option<i64>,
    pub created_at: i64,
    pub time_zone: String,
    /// 1 when a bank debit for it is on its way.
    #[serde(default)]
    pub processing: i64,
    /// The invoice's open dispute, and the amount it holds.
    #[serde(default)]
    pub dispute_id: Option<String>,
    #[serde(default)]
    pub disputed_amount: Option<i64>,
    /// The invoice this one corrects, and the one that corrected it.
    #[serde(default)]
    pub replaces_invoice_id: Option<String>,
    #[serde(default)]
    pub replaces_number: Option<String>,
    #[serde(default)]
    pub replaced_by_id: Option<String>,
    #[serde(default)]
    pub replaced_by_number: Option<String>,
    /// Early-payment terms: basis points off, days from issue.
    #[serde(default)]
    pub early_payment_bp: Option<i64>,
    #[serde(default)]
    pub early_payment_days: Option<i64>,
    /// The date an automatic payment of it is scheduled for (the customer's).
    #[serde(default)]
    pub scheduled_on: Option<String>,
}

/// An invoice named by its id and number, when both were read.
fn named(id: &Option<String>, number: &Option<String>) -> Option<InvoiceRef> {
    Some(InvoiceRef {
        id: id.clone()?,
        number: number.clone()?,
    })
}

/// `invoice_lines`
#[derive(Debug, Clone, Deserialize)]
pub struct LineRow {
    pub invoice_id: String,
    pub position: i64,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_amount: i64,
    pub tax_rate_milli: i64,
    pub net: i64,
    pub tax: i64,
}

impl InvoiceRow {
    pub fn status(&self) -> InvoiceStatus {
        InvoiceStatus::parse(&self.status).unwrap_or(InvoiceStatus::Open)
    }

    /// The API view. `now_ms` decides "overdue" in the customer's time zone.
    pub fn view(&self, lines: &[LineRow], now_ms: i64) -> InvoiceResponse {
        let status = self.status();
        let due = settle_shared::time::parse_date(&self.due_date).unwrap_or_default();
        let amount_due = crate::ledger::due(status, self.total, self.amount_paid);
        InvoiceResponse {
            id: self.id.clone(),
            number: self.number.clone(),
            customer_id: self.customer_id.clone(),
            currency: self.currency.clone(),
            status,
            overdue: is_overdue(status, due, local_date(now_ms, &self.time_zone)),
            processing: status == InvoiceStatus::Open && self.processing != 0,
            issue_date: self.issue_date.clone(),
            due_date: self.due_date.clone(),
            memo: self.memo.clone(),
            lines: lines
                .iter()
                .filter(|l| l.invoice_id == self.id)
                .map(|l| LineResponse {
                    description: l.description.clone(),
                    quantity: Milli(l.quantity_milli),
                    unit_amount: l.unit_amount,
                    tax_rate: Milli(l.tax_rate_milli),
                    net: l.net,
                    tax: l.tax,
                })
                .collect(),
            subtotal: self.subtotal,
            tax: self.tax,
            total: self.total,
            amount_paid: self.amount_paid,
            amount_due,
            overpaid: crate::ledger::credit(status, self.total, self.amount_paid),
            sent_at: self.sent_at.map(rfc3339_from_millis),
            voided_at: self.voided_at.map(rfc3339_from_millis),
            created_at: rfc3339_from_millis(self.created_at),
            dispute_id: self.dispute_id.clone(),
            disputed_amount: self.dispute_id.as_ref().map_or(0, |_| {
                self.disputed_amount.unwrap_or(0).clamp(0, amount_due)
            }),
            replaces: named(&self.replaces_invoice_id, &self.replaces_number),
            replaced_by: named(&self.replaced_by_id, &self.replaced_by_number),
            scheduled_on: self.scheduled_on.clone(),
            early_payment: self.early_offer(now_ms).map(|(terms, o)| {
                settle_shared::api::EarlyPaymentOffer {
                    until: o.until.to_string(),
                    discount: o.discount,
                    pay: o.pay,
                    basis_points: terms.basis_points,
                }
            }),
        }
    }

    /// The invoice's early-payment terms, if it has any.
    pub fn early_terms(&self) -> Option<EarlyPayment> {
        Some(EarlyPayment {
            basis_points: u32::try_from(self.early_payment_bp?).ok()?,
            days: u32::try_from(self.early_payment_days?).ok()?,
        })
    }

    /// What paying early saves now (the customer's today): only on an open
    /// invoice, not in dispute, with nothing paid or credited yet.
    pub fn early_offer(&self, now_ms: i64) -> Option<(EarlyPayment, discount::Offer)> {
        let terms = self.early_terms()?;
        if self.status() != InvoiceStatus::Open || self.dispute_id.is_some() {
            return None;
        }
        let issued = settle_shared::time::parse_date(&self.issue_date)?;
        let today = local_date(now_ms, &self.time_zone);
        discount::offer(&terms, issued, today, self.total, self.amount_paid).map(|o| (terms, o))
    }
}
