//! Invoices: line arithmetic, totals and status.
//!
//! Rounding rule (stated once): each line's net amount is
//! `quantity × unit_amount`, rounded half away from zero to the currency's
//! minor unit; each line's tax is `net × rate / 100`, rounded the same way,
//! per line; the invoice's subtotal, tax and total are exact sums of those.

use crate::api::{CreateInvoiceRequest, LineRequest};
use crate::decimal::Milli;
use crate::error::ErrorCode;
use crate::money::{Currency, MAX_AMOUNT_MINOR, round_div};
use crate::text::{self, FieldError, limits};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub mod correction;
pub mod discount;

/// The stored lifecycle of an invoice. `overdue` is not a state: it is an
/// open invoice past its due date, derived when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Created but not issued to the customer.
    Draft,
    /// Issued, with a balance to pay.
    Open,
    /// The ledger covers the total.
    Paid,
    /// Cancelled by the company; nothing is owed.
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => InvoiceStatus::Draft,
            "open" => InvoiceStatus::Open,
            "paid" => InvoiceStatus::Paid,
            "void" => InvoiceStatus::Void,
            _ => return None,
        })
    }

    /// The status that follows from the ledger: paid once the payments
    /// cover the total, open otherwise. Void and draft are kept.
    pub fn after_payments(self, total: i64, paid: i64) -> Self {
        match self {
            InvoiceStatus::Void | InvoiceStatus::Draft => self,
            _ if paid >= total => InvoiceStatus::Paid,
            _ => InvoiceStatus::Open,
        }
    }

    /// Whether the company may void an invoice in this status.
    pub fn can_void(self, amount_paid: i64) -> bool {
        matches!(self, InvoiceStatus::Draft | InvoiceStatus::Open) && amount_paid == 0
    }
}

/// Whether an open invoice is past due on `today` (the customer's local date).
pub fn is_overdue(status: InvoiceStatus, due_date: NaiveDate, today: NaiveDate) -> bool {
    status == InvoiceStatus::Open && today > due_date
}

/// A line with its amounts computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputedLine {
    pub description: String,
    pub quantity: Milli,
    pub unit_amount: i64,
    /// Percent in thousandths: `20` % is `Milli(20_000)`.
    pub tax_rate: Milli,
    pub net: i64,
    pub tax: i64,
}

/// Sums of an invoice's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
}

/// A validated invoice, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub number: String,
    pub currency: Currency,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub memo: Option<String>,
    pub lines: Vec<ComputedLine>,
    pub totals: Totals,
    pub early_payment: Option<discount::EarlyPayment>,
}

/// Highest tax rate accepted, in percent.
const MAX_TAX_PERCENT: i64 = 100;

/// Computes one line. `field` is the JSON path used in errors.
pub fn compute_line(
    field: &str,
    line: &LineRequest,
    currency: Currency,
) -> Result<ComputedLine, FieldError> {
    let description = text::bounded(
        &format!("{field}.description"),
        &line.description,
        limits::DESCRIPTION,
    )?;
    if let Some(code) = &line.currency {
        let c = Currency::parse(code).map_err(|e| {
            FieldError::new(
                ErrorCode::UnsupportedCurrency,
                format!("{field}.currency"),
                e.to_string(),
            )
        })?;
        if c != currency {
            return Err(FieldError::new(
                ErrorCode::CurrencyMismatch,
                format!("{field}.currency"),
                format!(
                    "this line is in {c} but the invoice is in {currency}; an invoice has one currency"
                ),
            ));
        }
    }
    if line.unit_amount < 0 || line.unit_amount > i128::from(MAX_AMOUNT_MINOR) {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            format!("{field}.unit_amount"),
            format!("must be between 0 and {MAX_AMOUNT_MINOR} minor units of {currency}"),
        ));
    }
    let tax_rate = line.tax_rate.unwrap_or(Milli(0));
    if tax_rate.0 > MAX_TAX_PERCENT * 1000 {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            format!("{field}.tax_rate"),
            "must be a percentage between 0 and 100",
        ));
    }
    if line.quantity.0 == 0 {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            format!("{field}.quantity"),
            "must be more than 0",
        ));
    }
    let net = round_div(i128::from(line.quantity.0) * line.unit_amount, 1000);
    let tax = round_div(net * i128::from(tax_rate.0), 100_000);
    let out_of_range = || {
        FieldError::new(
            ErrorCode::AmountOutOfRange,
            format!("{field}.quantity"),
            format!("quantity × unit amount exceeds {MAX_AMOUNT_MINOR} minor units"),
        )
    };
    if net + tax > i128::from(MAX_AMOUNT_MINOR) {
        return Err(out_of_range());
    }
    Ok(ComputedLine {
        description,
        quantity: line.quantity,
        unit_amount: line.unit_amount as i64,
        tax_rate,
        net: net as i64,
        tax: tax as i64,
    })
}

/// Sums computed lines; fails when the total leaves the accepted range.
pub fn totals(lines: &[ComputedLine]) -> Result<Totals, FieldError> {
    let mut t = Totals::default();
    for l in lines {
        t.subtotal = t.subtotal.checked_add(l.net).unwrap_or(i64::MAX);
        t.tax = t.tax.checked_add(l.tax).unwrap_or(i64::MAX);
    }
    t.total = t.subtotal.saturating_add(t.tax);
    if t.total == 0 {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            "lines",
            "the invoice total must be more than 0; there is nothing to ask payment for",
        ));
    }
    if t.total > MAX_AMOUNT_MINOR {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            "lines",
            format!("the invoice total exceeds {MAX_AMOUNT_MINOR} minor units"),
        ));
    }
    Ok(t)
}

impl CreateInvoiceRequest {
    /// Validates the request into an invoice ready to store. `today` is the
    /// issue date when none is given.
    pub fn validate(&self, today: NaiveDate) -> Result<NewInvoice, FieldError> {
        let number = text::invoice_number("number", &self.number)?;
        let currency = Currency::parse(&self.currency).map_err(|e| {
            FieldError::new(ErrorCode::UnsupportedCurrency, "currency", e.to_string())
        })?;
        let date = |field: &str, v: &str| {
            crate::time::parse_date(v)
                .ok_or_else(|| FieldError::invalid(field, "must be a date such as 2026-12-31"))
        };
        let issue_date = match &self.issue_date {
            Some(d) => date("issue_date", d)?,
            None => today,
        };
        let due_date = date("due_date", &self.due_date)?;
        if due_date < issue_date {
            return Err(FieldError::invalid(
                "due_date",
                "must not be before the issue date",
            ));
        }
        let memo = text::optional("memo", self.memo.as_deref(), limits::MEMO)?;
        if self.lines.is_empty() {
            return Err(FieldError::invalid(
                "lines",
                "an invoice needs at least one line",
            ));
        }
        if self.lines.len() > limits::LINES {
            return Err(FieldError::new(
                ErrorCode::StringTooLong,
                "lines",
                format!("an invoice has at most {} lines", limits::LINES),
            ));
        }
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| compute_line(&format!("lines[{i}]"), l, currency))
            .collect::<Result<Vec<_>, _>>()?;
        let totals = totals(&lines)?;
        if let Some(terms) = &self.early_payment {
            terms
                .validate()
                .map_err(|(field, why)| FieldError::invalid(field, why))?;
        }
        Ok(NewInvoice {
            number,
            currency,
            issue_date,
            due_date,
            memo,
            lines,
            totals,
            early_payment: self.early_payment,
        })
    }
}

impl crate::api::PaymentSettings {
    /// Checks an amount a customer chose to pay on a balance of `due`: the
    /// whole balance always; less only when partial payments are allowed,
    /// and not below the minimum (unless the balance itself is smaller).
    pub fn check_amount(&self, amount: i64, due: i64) -> Result<i64, FieldError> {
        if amount == due {
            return Ok(amount);
        }
        let range = |min: i64| {
            FieldError::new(
                ErrorCode::AmountOutOfRange,
                "amount",
                format!("must be between {min} and {due} minor units"),
            )
        };
        if !self.allow_partial {
            return Err(FieldError::new(
                ErrorCode::AmountOutOfRange,
                "amount",
                format!("must be the balance due, {due} minor units"),
            ));
        }
        let min = self.min_partial_amount.clamp(1, due.max(1));
        if amount < min || amount > due {
            Err(range(min))
        } else {
            Ok(amount)
        }
    }
}

#[cfg(test)]
mod tests;
