//! Whose books the metrics read (`Books`: one currency, or every currency
//! in the base currency) and how rows read from D1 become the invoice
//! histories the rules of `crate::metrics` take, each in the currency its
//! figures count in. Shared by the per-request figures and the metric days.

use super::{Entry, Inv};
use crate::error::ApiError;
use crate::metrics::InvoiceHistory;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use serde::Deserialize;
use settle_shared::Currency;
use settle_shared::fx::Rate;
use settle_shared::time::parse_date;

/// Whose books a read or a job takes: one currency as it is, or every
/// currency counted in the base currency at the rates stored on each
/// invoice and payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Books {
    One(Currency),
    Base(Currency),
}

impl Books {
    /// How its days and cursor are keyed: `EUR`, or `*EUR` for every
    /// currency in euros.
    pub fn key(self) -> String {
        match self {
            Books::One(c) => c.code().to_owned(),
            Books::Base(c) => format!("*{}", c.code()),
        }
    }

    pub fn from_key(key: &str) -> Option<Books> {
        match key.strip_prefix('*') {
            Some(c) => Currency::parse(c).ok().map(Books::Base),
            None => Currency::parse(key).ok().map(Books::One),
        }
    }

    /// The currency its figures are in.
    pub fn currency(self) -> Currency {
        match self {
            Books::One(c) | Books::Base(c) => c,
        }
    }
}

/// The currencies the organization has invoices in, one index seek each.
pub async fn currencies_of(ctx: &Ctx, org: &str) -> Result<Vec<Currency>, ApiError> {
    let mut out: Vec<Currency> = Vec::new();
    let mut after = String::new();
    // ISO 4217 has fewer than 200 codes; the bound only guards the loop.
    for _ in 0..200 {
        let next: Option<Text> = db::one(db::stmt(
            &ctx.db,
            "SELECT currency AS v FROM invoices WHERE organization_id = ?1 AND currency > ?2 ORDER BY currency LIMIT 1",
            params![org, after.as_str()],
        )?)
        .await?;
        let Some(n) = next.and_then(|n| n.v) else {
            break;
        };
        out.extend(Currency::parse(&n).ok());
        after = n;
    }
    Ok(out)
}

/// The currencies whose invoices `books` takes.
pub async fn currencies(ctx: &Ctx, org: &str, books: Books) -> Result<Vec<Currency>, ApiError> {
    match books {
        Books::One(c) => Ok(vec![c]),
        Books::Base(_) => currencies_of(ctx, org).await,
    }
}

/// One text column, read `AS v` (one row type for every such read keeps
/// the worker small).
#[derive(Deserialize)]
pub struct Text {
    pub v: Option<String>,
}

/// A rate stored on a row, if it is to `base`.
fn rate_to(base: Currency, currency: Option<&str>, rate: Option<i64>) -> Option<Rate> {
    (currency == Some(base.code()))
        .then_some(rate)
        .flatten()
        .and_then(Rate::from_billionths)
}

/// Invoices with their ledger rows, from the rows read, as `books` counts
/// them; and how many were left out for want of a rate to the base
/// currency (a payment without one counts at its invoice's).
pub(super) fn histories(
    invoices: &[Inv],
    entries: &[Entry],
    books: Books,
) -> (Vec<InvoiceHistory>, usize) {
    let mut hist: std::collections::HashMap<&str, InvoiceHistory> = Default::default();
    let mut without_rate = 0;
    for i in invoices {
        let (Some(issue), Some(due), Ok(own)) = (
            parse_date(&i.issue_date),
            parse_date(&i.due_date),
            Currency::parse(&i.currency),
        ) else {
            continue;
        };
        let in_base = match books {
            Books::Base(base) if base != own => {
                match rate_to(base, i.base_currency.as_deref(), i.base_rate) {
                    Some(rate) => Some(crate::metrics::InBase {
                        rate,
                        from: own,
                        to: base,
                        received: vec![],
                    }),
                    None => {
                        without_rate += 1;
                        continue;
                    }
                }
            }
            _ => None,
        };
        hist.insert(
            &i.id,
            InvoiceHistory {
                in_base,
                customer_id: i.customer_id.clone(),
                issue_date: issue,
                due_date: due,
                total: i.total,
                payments: vec![],
                credits: vec![],
                voided: i
                    .voided_at
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|t| t.date_naive()),
            },
        );
    }
    for e in entries {
        let (Some(h), Some(d)) = (
            hist.get_mut(e.invoice_id.as_str()),
            parse_date(&e.received_on),
        ) else {
            continue;
        };
        // The ledger's kinds: money in and out, and credits given or taken back.
        let (amount, money) = match e.kind.as_str() {
            "payment" => (e.amount, true),
            "refund" | "chargeback" | "reversal" => (-e.amount, true),
            "credit_note" | "discount" => (e.amount, false),
            "discount_reversal" => (-e.amount, false),
            _ => continue,
        };
        if !money {
            h.credits.push((d, amount));
            continue;
        }
        h.payments.push((d, amount));
        if let Some(b) = h.in_base.as_mut() {
            let rate = rate_to(b.to, e.base_currency.as_deref(), e.base_rate).unwrap_or(b.rate);
            b.received.push((d, rate.convert(amount, b.from, b.to)));
        }
    }
    (hist.into_values().collect(), without_rate)
}
