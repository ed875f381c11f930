//! The cash forecast: what is expected to come in each week for the next
//! eight, in one currency, with the range it is likely to fall in. Plain
//! Rust over what the worker reads (open balances, promises, scheduled
//! payments and instalments, each customer's risk); the tests measure it
//! against a generated history, beside the naive "paid on its due date".
//!
//! Each open amount is expected on one day, and paid then with a chance of
//! its own: a scheduled charge or an instalment on its date (95 %); a
//! promise on its date (75 %); anything else on its due date moved by the
//! customer's habit (their mean days from due date to payment, negative
//! when they pay early; today at the earliest), with a chance of one minus
//! half their risk. A week's expectation is the sum of amount ×
//! chance of what is expected in it; its range is that ± 1.645 standard
//! deviations of those independent payments (about 90 %), never below zero.

pub mod backtest;
#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};

/// Weeks forecast.
pub const WEEKS: usize = 8;

/// Where an expected amount comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A scheduled charge or an instalment, on its date.
    Scheduled,
    /// The customer's promise, on its date.
    Promise,
    /// The balance, from its due date and the customer's risk.
    Balance,
}

/// One amount expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Minor units.
    pub amount: i64,
    pub source: Source,
    /// The date it is expected on (a promise's or schedule's date, else the
    /// due date).
    pub date: NaiveDate,
    /// The customer's chance of paying late (0 without a model).
    pub risk: f64,
    /// The customer's mean days from due date to payment over their paid
    /// invoices (negative: early; 0 without history).
    pub habit_days: f64,
    /// The invoice's due date (an instalment's own date), for the naive
    /// baseline.
    pub due: NaiveDate,
}

impl Expected {
    /// The day it is expected, and the chance it comes then.
    pub fn when(&self, today: NaiveDate) -> (NaiveDate, f64) {
        match self.source {
            Source::Scheduled => (self.date.max(today), 0.95),
            Source::Promise => (self.date.max(today), 0.75),
            Source::Balance => {
                let shift = self.habit_days.round() as i64;
                let day = self.date + chrono::Duration::days(shift);
                (day.max(today), (1.0 - self.risk / 2.0).clamp(0.05, 1.0))
            }
        }
    }
}

/// One open invoice as the forecast reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenInvoice {
    pub customer_id: String,
    /// What it still owes (minor units).
    pub owed: i64,
    pub due_date: NaiveDate,
    /// A standing promise's date.
    pub promised: Option<NaiveDate>,
    /// A scheduled charge: its date and the most it takes (`None`: the
    /// balance).
    pub scheduled: Option<(NaiveDate, Option<i64>)>,
    /// Covered by a live instalment plan: its instalments are counted
    /// instead (see [`expected`]).
    pub in_plan: bool,
}

/// What each open amount is expected from: an instalment plan's
/// instalments still owed (`instalments`: customer, date, amount) on their
/// dates; then, for each invoice outside a plan, a scheduled charge (up to
/// its cap) on its date, and what is left on the standing promise's date or
/// else from the due date and the customer's habit and risk.
pub fn expected(
    open: &[OpenInvoice],
    instalments: &[(String, NaiveDate, i64)],
    risk: &std::collections::HashMap<String, f64>,
    habit: &std::collections::HashMap<String, f64>,
) -> Vec<Expected> {
    let item = |c: &str, amount: i64, source: Source, date: NaiveDate, due| Expected {
        amount,
        source,
        date,
        risk: risk.get(c).copied().unwrap_or(0.0),
        habit_days: habit.get(c).copied().unwrap_or(0.0),
        due,
    };
    let mut out: Vec<Expected> = instalments
        .iter()
        .filter(|(_, _, a)| *a > 0)
        .map(|(c, d, a)| item(c, *a, Source::Scheduled, *d, *d))
        .collect();
    for i in open.iter().filter(|i| !i.in_plan && i.owed > 0) {
        let mut left = i.owed;
        if let Some((date, cap)) = i.scheduled {
            let take = cap.map_or(left, |c| c.clamp(0, left));
            out.push(item(
                &i.customer_id,
                take,
                Source::Scheduled,
                date,
                i.due_date,
            ));
            left -= take;
        }
        if left > 0 {
            out.push(match i.promised {
                Some(date) => item(&i.customer_id, left, Source::Promise, date, i.due_date),
                None => item(
                    &i.customer_id,
                    left,
                    Source::Balance,
                    i.due_date,
                    i.due_date,
                ),
            });
        }
    }
    out
}

/// Each customer's habit: their mean days from due date to payment over
/// `paid` (customer, due date, the day it was paid).
pub fn habits(paid: &[(String, NaiveDate, NaiveDate)]) -> std::collections::HashMap<String, f64> {
    let mut sum: std::collections::HashMap<String, (i64, u32)> = Default::default();
    for (c, due, on) in paid {
        let e = sum.entry(c.clone()).or_default();
        e.0 += (*on - *due).num_days();
        e.1 += 1;
    }
    sum.into_iter()
        .map(|(c, (d, n))| (c, d as f64 / f64::from(n)))
        .collect()
}

/// One week of the forecast.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Week {
    /// Its Monday.
    pub starts: NaiveDate,
    pub expected: f64,
    pub low: f64,
    pub high: f64,
}

/// The Monday of `d`'s week.
pub fn monday(d: NaiveDate) -> NaiveDate {
    d - chrono::Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// The eight weeks from this one.
pub fn forecast(items: &[Expected], today: NaiveDate) -> [Week; WEEKS] {
    let first = monday(today);
    let mut mean = [0.0f64; WEEKS];
    let mut var = [0.0f64; WEEKS];
    for it in items {
        let (day, chance) = it.when(today);
        let w = ((day - first).num_days() / 7) as usize;
        if w < WEEKS {
            let a = it.amount as f64;
            mean[w] += a * chance;
            var[w] += a * a * chance * (1.0 - chance);
        }
    }
    std::array::from_fn(|w| {
        let sd = var[w].sqrt();
        Week {
            starts: first + chrono::Days::new(7 * w as u64),
            expected: mean[w],
            low: (mean[w] - 1.645 * sd).max(0.0),
            high: mean[w] + 1.645 * sd,
        }
    })
}

/// The naive baseline: every open amount paid in full on its due date
/// (an instalment on its date; today when already past), whatever was
/// promised or scheduled.
pub fn naive(items: &[Expected], today: NaiveDate) -> [f64; WEEKS] {
    let first = monday(today);
    let mut out = [0.0; WEEKS];
    for it in items {
        let w = ((it.due.max(today) - first).num_days() / 7) as usize;
        if w < WEEKS {
            out[w] += it.amount as f64;
        }
    }
    out
}

/// The error of a forecast against what came in: the sum of each week's
/// absolute miss over the sum collected (`None` when nothing came in).
pub fn weighted_error(forecast: &[f64; WEEKS], actual: &[f64; WEEKS]) -> Option<f64> {
    let total: f64 = actual.iter().sum();
    (total > 0.0).then(|| {
        forecast
            .iter()
            .zip(actual)
            .map(|(f, a)| (f - a).abs())
            .sum::<f64>()
            / total
    })
}
