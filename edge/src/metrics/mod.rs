//! Collections metrics, each defined here once, in one currency at a time
//! (the dashboard shows each currency, and the organization's base currency
//! by the rate stored on each invoice and payment). Plain Rust over what the
//! worker reads; the tests check each against an example worked by hand.
//!
//! Conventions, used everywhere:
//! - A **period** is the days `start ..= end` (dates in the organization's
//!   time zone). "At the start" means before anything dated `start`; "at the
//!   end" means after everything dated `end`.
//! - **Sales** of a period are the totals of invoices issued in it (by issue
//!   date), less what invoices voided in it still owed when voided (a void
//!   writes off the unpaid part of a sale in the period of the void, so
//!   sales add up day by day and a paid part stays sold).
//! - **Receivables** at a moment are what invoices issued by then still owe:
//!   total, less payments received and credit notes issued by then, never
//!   below zero; a voided invoice owes nothing from its void date.
//!   **Current** receivables are those not yet past their due date;
//!   overdue ones are past it.
//! - **DSO** is the standard (not count-back) one: receivables at the end ÷
//!   the period's sales × the period's days. **Best possible DSO** is current
//!   receivables at the end ÷ sales × days. **Average days delinquent** is
//!   DSO − best possible DSO.
//! - **CEI** is (receivables at the start + sales − receivables at the end) ÷
//!   (receivables at the start + sales − current receivables at the end) ×
//!   100.
//! - An invoice is **cleared** on a day when payments and credit notes
//!   dated that day bring what it owes to zero (a refund that reopens it
//!   and a later payment clear it again); days to pay count clearings.
//!
//! The same figures come from the days pre-aggregated by [`daily`], which
//! the dashboard reads for an organization of any size.

pub mod daily;
mod history;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use settle_shared::aging::Bucket;

pub use history::{Cleared, InBase, InvoiceHistory};

/// A period: `start ..= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn before_start(&self) -> NaiveDate {
        self.start.pred_opt().unwrap_or(self.start)
    }

    pub fn holds(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
}

/// Receivables after everything dated `on`, and the part not yet due.
pub fn receivables(invoices: &[InvoiceHistory], on: NaiveDate) -> (i64, i64) {
    invoices.iter().fold((0, 0), |(all, current), i| {
        let owed = i.counted(i.owed_after(on));
        (
            all + owed,
            current + if i.due_date >= on { owed } else { 0 },
        )
    })
}

/// Sales of the period: invoices issued in it, less what invoices voided in
/// it wrote off.
pub fn sales(invoices: &[InvoiceHistory], p: Period) -> i64 {
    invoices
        .iter()
        .map(|i| {
            let issued = if p.holds(i.issue_date) { i.total } else { 0 };
            let voided = i.voided.is_some_and(|v| p.holds(v));
            i.counted(issued) - i.counted(if voided { i.written_off() } else { 0 })
        })
        .sum()
}

/// The period's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub sales: i64,
    pub receivables_start: i64,
    pub receivables_end: i64,
    pub current_end: i64,
    /// Payments received in the period, less refunds.
    pub collected: i64,
    /// `None` without sales.
    pub dso: Option<f64>,
    pub best_possible_dso: Option<f64>,
    pub average_days_delinquent: Option<f64>,
    /// Percent; `None` when there was nothing to collect.
    pub cei: Option<f64>,
}

pub fn figures(invoices: &[InvoiceHistory], p: Period) -> Figures {
    let sales = sales(invoices, p);
    let (receivables_start, _) = receivables(invoices, p.before_start());
    let (receivables_end, current_end) = receivables(invoices, p.end);
    let collected = invoices
        .iter()
        .flat_map(|i| {
            let money = i.in_base.as_ref().map_or(&i.payments, |b| &b.received);
            money.iter().filter(|(d, _)| p.holds(*d)).map(|(_, a)| a)
        })
        .sum();
    compose(
        p,
        sales,
        receivables_start,
        receivables_end,
        current_end,
        collected,
    )
}

/// The ratios from the period's sums: written once for [`figures`] and
/// [`daily::figures`].
fn compose(
    p: Period,
    sales: i64,
    receivables_start: i64,
    receivables_end: i64,
    current_end: i64,
    collected: i64,
) -> Figures {
    let days = p.days() as f64;
    let per_sale = |x: i64| (sales > 0).then(|| x as f64 / sales as f64 * days);
    let dso = per_sale(receivables_end);
    let best = per_sale(current_end);
    let collectable = receivables_start + sales - current_end;
    Figures {
        sales,
        receivables_start,
        receivables_end,
        current_end,
        collected,
        dso,
        best_possible_dso: best,
        average_days_delinquent: dso.zip(best).map(|(d, b)| d - b),
        cei: (collectable > 0).then(|| {
            (receivables_start + sales - receivables_end) as f64 / collectable as f64 * 100.0
        }),
    }
}

/// The period's figures month by month: the `months` calendar months
/// ending with `end`'s (the last one cut at `end`), oldest first.
pub fn monthly(invoices: &[InvoiceHistory], end: NaiveDate, months: u32) -> Vec<(Period, Figures)> {
    month_periods(end, months)
        .into_iter()
        .map(|p| (p, figures(invoices, p)))
        .collect()
}

/// The `months` calendar months ending with `end`'s, the last cut at `end`.
pub fn month_periods(end: NaiveDate, months: u32) -> Vec<Period> {
    use chrono::Datelike;
    let Some(first) = end.with_day(1) else {
        return Vec::new();
    };
    (0..months)
        .rev()
        .filter_map(|back| {
            let start = first.checked_sub_months(chrono::Months::new(back))?;
            let last = start
                .checked_add_months(chrono::Months::new(1))?
                .pred_opt()?;
            Some(Period {
                start,
                end: last.min(end),
            })
        })
        .collect()
}

/// Invoices each customer settled after their due date in the year up to
/// `on` (what segment rules call late payments in the last 12 months).
pub fn late_payments_12m(
    invoices: &[InvoiceHistory],
    on: NaiveDate,
) -> std::collections::HashMap<String, u32> {
    let year_ago = on - chrono::Days::new(365);
    let mut out: std::collections::HashMap<String, u32> = Default::default();
    for i in invoices {
        if i.settled_on(on)
            .is_some_and(|s| s > i.due_date && s > year_ago)
        {
            *out.entry(i.customer_id.clone()).or_default() += 1;
        }
    }
    out
}

/// Open balances by aging bucket after everything dated `on`: amount and
/// count per bucket (current, 1–30, 31–60, 61–90, over 90 days past due).
pub fn aging(invoices: &[InvoiceHistory], on: NaiveDate) -> [(i64, u32); 5] {
    let mut open = Open::new();
    for i in invoices {
        let owed = i.counted(i.owed_after(on));
        if owed > 0 {
            let e = open.entry(i.due_date).or_default();
            e.0 += owed;
            e.1 += 1;
        }
    }
    aging_of(&open, on)
}

/// Open balances by due date: the amount owed and the number of invoices
/// owing it.
pub type Open = BTreeMap<NaiveDate, (i64, u32)>;

/// [`aging`] of balances already summed by due date.
pub fn aging_of(open: &Open, on: NaiveDate) -> [(i64, u32); 5] {
    let mut out = [(0i64, 0u32); 5];
    for (due, (amount, count)) in open {
        let b = Bucket::of(*due, on).index();
        out[b].0 += amount;
        out[b].1 += count;
    }
    out
}

/// Average days from issue to settlement and from due date to settlement
/// (negative: early), over invoices settled in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct PayDays {
    /// `None`: over all customers.
    pub customer_id: Option<String>,
    pub invoices: u32,
    pub days_to_pay: f64,
    pub days_late: f64,
}

/// [`PayDays`] per customer (by customer id), then over all (absent when
/// nothing cleared in the period), over the invoices cleared in it.
pub fn days_to_pay(invoices: &[InvoiceHistory], p: Period) -> Vec<PayDays> {
    let mut per = Cleared::new();
    for i in invoices {
        for d in i.event_days() {
            if p.holds(d) {
                i.count_clearing(d, &mut per);
            }
        }
    }
    pay_days(per)
}

/// [`PayDays`] from clearings summed per customer.
pub fn pay_days(per: Cleared) -> Vec<PayDays> {
    let row = |c: Option<String>, (n, t, l): (u32, i64, i64)| PayDays {
        customer_id: c,
        invoices: n,
        days_to_pay: t as f64 / f64::from(n),
        days_late: l as f64 / f64::from(n),
    };
    let all = per
        .values()
        .fold((0u32, 0i64, 0i64), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
    let mut out: Vec<PayDays> = per.into_iter().map(|(c, v)| row(Some(c), v)).collect();
    if all.0 > 0 {
        out.push(row(None, all));
    }
    out
}

/// How promises and disputes went in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Conduct {
    /// Broken ÷ (kept + broken), of promises that ended in the period.
    pub broken_promise_rate: Option<f64>,
    /// Disputes opened in the period ÷ invoices issued in it.
    pub dispute_rate: Option<f64>,
    /// Mean days from opening to resolution of disputes resolved in it.
    pub average_days_to_resolve: Option<f64>,
}

/// `promises`: (ended on, broken?) of promises that ended kept or broken;
/// `disputes`: (opened, resolved); `issued`: invoices issued in the period.
pub fn conduct(
    promises: &[(NaiveDate, bool)],
    disputes: &[(NaiveDate, Option<NaiveDate>)],
    issued: u32,
    p: Period,
) -> Conduct {
    let ended: Vec<bool> = promises
        .iter()
        .filter(|(d, _)| p.holds(*d))
        .map(|(_, b)| *b)
        .collect();
    let broken = ended.iter().filter(|b| **b).count();
    let opened = disputes.iter().filter(|(o, _)| p.holds(*o)).count();
    let resolved: Vec<i64> = disputes
        .iter()
        .filter_map(|(o, r)| r.filter(|r| p.holds(*r)).map(|r| (r - *o).num_days()))
        .collect();
    Conduct {
        broken_promise_rate: (!ended.is_empty()).then(|| broken as f64 / ended.len() as f64),
        dispute_rate: (issued > 0).then(|| opened as f64 / f64::from(issued)),
        average_days_to_resolve: (!resolved.is_empty())
            .then(|| resolved.iter().sum::<i64>() as f64 / resolved.len() as f64),
    }
}
