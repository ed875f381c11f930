//! A subscriber's change in the middle of a period (a quantity, another
//! plan, add-ons, or cancelling at once), priced by the one proration rule
//! ([`super::proration::part`]): the unused part of what was billed is
//! credited, the same days of the new choice are charged, item by item, to
//! the day, in the subscription's currency.
//!
//! The charge is a proration invoice ([`Quote::invoice`]); the credit (tax
//! included, as it was billed) is a credit note through the ledger engine,
//! first on that invoice, then on the period's invoice while it is open,
//! and what is left is carried to the subscription's next invoice.

use super::catalog::Item;
use super::period::{self, Interval, Period};
use super::proration::part;
use super::subscription::Selection;
use crate::ErrorCode;
use crate::api::{CreateInvoiceRequest, LineRequest};
use crate::decimal::Milli;
use crate::invoice::{Totals, compute_line};
use crate::text::FieldError;
use chrono::{Days, NaiveDate};

/// The period whose days a change on `on` gives back: the one billed last
/// (it ends at `billed_to`), when `on` falls in it. `None` when nothing
/// billed covers `on` (a subscription not yet started, or whose period
/// the run has not billed yet): the change then only alters what the next
/// invoice bills.
pub fn billed_period(
    start_date: NaiveDate,
    billed_to: NaiveDate,
    cutoff_day: u32,
    interval: Interval,
    on: NaiveDate,
) -> Option<Period> {
    if on < start_date || billed_to <= on {
        return None;
    }
    let p = period::current(billed_to, cutoff_day, interval);
    (p.start <= on).then_some(p)
}

/// A plan move the catalog allows: to a plan the current one lists in
/// `moves_to`, billed by the same interval (the periods already billed
/// stay whole).
pub fn check_move(from: &Item, to: &Item) -> Result<(), FieldError> {
    if from.code == to.code {
        return Ok(());
    }
    if !from.moves_to.contains(&to.code) {
        return Err(FieldError::invalid(
            "plan",
            format!("{} cannot be changed to {}", from.name, to.name),
        ));
    }
    if from.interval != to.interval {
        return Err(FieldError::invalid(
            "plan",
            format!(
                "{} is billed by another interval than {}; ask the company to make this change",
                to.name, from.name
            ),
        ));
    }
    Ok(())
}

/// One line of a quote: a charge (positive) or a credit (negative), before
/// tax, for one item over the days left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteLine {
    pub description: String,
    pub amount: i64,
    pub tax_rate: Milli,
    /// Its tax, with the sign of the amount.
    pub tax: i64,
}

/// What a change costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub on: NaiveDate,
    /// The billed period the change falls in; `None`: nothing to prorate.
    pub period: Option<Period>,
    pub days_left: u32,
    pub days: u32,
    pub lines: Vec<QuoteLine>,
    /// The charge lines' sums and the credit lines' sums (both positive).
    pub charge: Totals,
    pub credit: Totals,
}

impl Quote {
    /// What the customer owes for the change, tax included (negative: what
    /// they are owed).
    pub fn net(&self) -> i64 {
        self.charge.total - self.credit.total
    }

    /// The proration invoice for the charge lines, if they charge anything:
    /// numbered after the subscription and its change count, issued on the
    /// change's day and due `due_days` later.
    pub fn invoice(
        &self,
        customer_id: &str,
        subscription_number: &str,
        change: i64,
        currency: &str,
        due_days: u32,
    ) -> Option<CreateInvoiceRequest> {
        if self.charge.total <= 0 {
            return None;
        }
        let lines: Vec<LineRequest> = self
            .lines
            .iter()
            .filter(|l| l.amount > 0)
            .map(|l| LineRequest {
                description: l.description.clone(),
                quantity: Milli::ONE,
                unit_amount: i128::from(l.amount),
                tax_rate: Some(l.tax_rate),
                currency: None,
            })
            .collect();
        Some(CreateInvoiceRequest {
            customer_id: customer_id.to_owned(),
            number: format!("{subscription_number}-C{change}"),
            currency: currency.to_owned(),
            issue_date: Some(self.on.to_string()),
            due_date: (self.on + Days::new(u64::from(due_days))).to_string(),
            memo: Some(format!(
                "Subscription {subscription_number}: change on {}",
                self.on
            )),
            lines,
            early_payment: None,
            send: true,
        })
    }
}

/// Prices moving from `old` to `new` (`None`: cancelling at once) on `on`,
/// within `billed` (see [`billed_period`]). Items the change leaves as they
/// were are left out (their credit and charge would cancel).
pub fn quote(
    old: &Selection,
    new: Option<&Selection>,
    billed: Option<Period>,
    on: NaiveDate,
) -> Result<Quote, FieldError> {
    let mut q = Quote {
        on,
        period: billed,
        days_left: 0,
        days: 0,
        lines: Vec::new(),
        charge: Totals::default(),
        credit: Totals::default(),
    };
    let Some(period) = billed else {
        return Ok(q);
    };
    let (days, from) = (period.days(), period.day_of(on));
    q.days = days;
    q.days_left = days - from;
    let span = format!("{} to {}", on, period.last_day());
    let priced = |s: &Selection| -> Vec<(String, i64, Milli, i64)> {
        s.items()
            .map(|(item, qty)| {
                let per_period = item.price(s.currency).unwrap_or(0).saturating_mul(qty);
                (item.code.clone(), qty, item.tax_rate, per_period)
            })
            .collect()
    };
    let before = priced(old);
    let after = new.map(priced).unwrap_or_default();
    let names = |s: &Selection, code: &str| {
        s.items()
            .find(|(i, _)| i.code == code)
            .map(|(i, _)| i.name.clone())
            .unwrap_or_default()
    };
    let currency = old.currency;
    let mut push = |description: String, amount: i64, tax_rate: Milli| -> Result<(), FieldError> {
        if amount == 0 {
            return Ok(());
        }
        let line = compute_line(
            "lines",
            &LineRequest {
                description,
                quantity: Milli::ONE,
                unit_amount: i128::from(amount.abs()),
                tax_rate: Some(tax_rate),
                currency: None,
            },
            currency,
        )?;
        let sign = amount.signum();
        let sums = if sign > 0 {
            &mut q.charge
        } else {
            &mut q.credit
        };
        sums.subtotal += line.net;
        sums.tax += line.tax;
        sums.total += line.net + line.tax;
        q.lines.push(QuoteLine {
            description: line.description,
            amount,
            tax_rate,
            tax: sign * line.tax,
        });
        Ok(())
    };
    // An item on both sides is one line: the new quantity's days less the
    // old's; an item on one side only is a credit or a charge of its own.
    for b in &before {
        if after.contains(b) {
            continue;
        }
        let credit = part(b.3, from, days, days);
        let (description, amount) = match after.iter().find(|a| a.0 == b.0) {
            Some(a) => (
                format!("{} × {} → {}", names(old, &b.0), b.1, a.1),
                part(a.3, from, days, days) - credit,
            ),
            None => (format!("Unused {} × {}", names(old, &b.0), b.1), -credit),
        };
        push(
            format!("{description}, {} of {days} days ({span})", days - from),
            amount,
            b.2,
        )?;
    }
    if let Some(new) = new {
        for a in &after {
            if before.iter().any(|b| b.0 == a.0) {
                continue;
            }
            push(
                format!(
                    "{} × {}, {} of {days} days ({span})",
                    names(new, &a.0),
                    a.1,
                    days - from
                ),
                part(a.3, from, days, days),
                a.2,
            )?;
        }
    }
    Ok(q)
}

/// Refuses a change that changes nothing.
pub fn check_changed(old: &Selection, new: &Selection) -> Result<(), FieldError> {
    if old.plan.code == new.plan.code
        && old.quantity == new.quantity
        && old.add_on_quantities() == new.add_on_quantities()
    {
        return Err(FieldError::new(
            ErrorCode::InvalidField,
            "quantity",
            "this is what the subscription already has; nothing would change",
        ));
    }
    Ok(())
}

/// How a credit (tax included) is used: on each open invoice in turn, up
/// to what it still owes; what is left is carried to the next invoice.
/// `owed` lists what each target invoice still owes; the answer lists the
/// credit note for each (0: none) and what is carried.
pub fn spread(credit: i64, owed: &[i64]) -> (Vec<i64>, i64) {
    let mut left = credit.max(0);
    let notes = owed
        .iter()
        .map(|&o| {
            let n = left.min(o.max(0));
            left -= n;
            n
        })
        .collect();
    (notes, left)
}

#[cfg(test)]
mod tests;
