//! The collections figures pre-aggregated by day, so the dashboard of an
//! organization with a million invoices reads a few hundred small rows
//! instead of its invoices.
//!
//! A [`Day`] holds what happened on the day (sales, invoices issued, money
//! collected, invoices cleared per customer) and what was owed after it,
//! summed by due date. The days after a stored day follow from it and from
//! the invoices that have something dated after it: every other invoice
//! owes the same as before, and only the calendar moves it between aging
//! buckets, which the due dates are kept for. [`days`] is that step, run by
//! the daily job over a month of invoices at a time and by the dashboard
//! for the days since the job's last one; [`figures`] composes a period's
//! figures from the days by the same formulas as [`super::figures`], which
//! the tests hold it equal to.

use super::{Cleared, Figures, InvoiceHistory, Open, Period};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// One day of an organization's books in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub day: NaiveDate,
    /// Totals of invoices issued on the day, less what those voided on it
    /// wrote off.
    pub sales: i64,
    /// Invoices issued on the day.
    pub issued: u32,
    /// Payments received on the day, less refunds.
    pub collected: i64,
    /// What invoices owed after the day, by due date.
    pub open: Open,
    /// Invoices cleared on the day, per customer.
    pub cleared: Cleared,
}

/// The sums of a day that a period's figures need (what the dashboard reads
/// for each day of a year of months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub day: NaiveDate,
    pub sales: i64,
    pub issued: u32,
    pub collected: i64,
    /// Owed after the day.
    pub receivables: i64,
    /// The part of it not yet due.
    pub current: i64,
}

impl Day {
    pub fn totals(&self) -> Totals {
        let owed = |current: bool| {
            self.open
                .iter()
                .filter(|(due, _)| !current || **due >= self.day)
                .map(|(_, (amount, _))| amount)
                .sum()
        };
        Totals {
            day: self.day,
            sales: self.sales,
            issued: self.issued,
            collected: self.collected,
            receivables: owed(false),
            current: owed(true),
        }
    }

    /// Open balances by aging bucket after the day.
    pub fn aging(&self) -> [(i64, u32); 5] {
        super::aging_of(&self.open, self.day)
    }
}

/// The days after `from` through `to`, given what was owed after `from`
/// (`open`) and every invoice with something dated after `from` through
/// `to` (`touched`; others may be among them).
pub fn days(open: &Open, touched: &[InvoiceHistory], from: NaiveDate, to: NaiveDate) -> Vec<Day> {
    let mut on: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    // Changes to the open balances, by day, due date: (amount, count).
    let mut moves: BTreeMap<NaiveDate, BTreeMap<NaiveDate, (i64, i64)>> = BTreeMap::new();
    for inv in touched {
        let mut before = inv.counted(inv.owed_after(from));
        for d in inv.event_days() {
            if d <= from || d > to {
                continue;
            }
            let day = on.entry(d).or_insert_with(|| empty(d));
            if inv.issue_date == d {
                day.sales += inv.counted(inv.total);
                day.issued += 1;
            }
            if inv.voided == Some(d) {
                day.sales -= inv.counted(inv.written_off());
            }
            day.collected += inv.received_on(d);
            inv.count_clearing(d, &mut day.cleared);
            let after = inv.counted(inv.owed_after(d));
            if after != before {
                let m = moves.entry(d).or_default().entry(inv.due_date).or_default();
                m.0 += after - before;
                m.1 += i64::from(after > 0) - i64::from(before > 0);
            }
            before = after;
        }
    }
    let mut running = open.clone();
    let mut out = Vec::new();
    let mut d = from;
    while d < to {
        let Some(next) = d.succ_opt() else { break };
        d = next;
        for (due, (amount, count)) in moves.remove(&d).unwrap_or_default() {
            let e = running.entry(due).or_default();
            e.0 += amount;
            e.1 = u32::try_from(i64::from(e.1) + count).unwrap_or(0);
            if *e == (0, 0) {
                running.remove(&due);
            }
        }
        let mut day = on.remove(&d).unwrap_or_else(|| empty(d));
        day.open = running.clone();
        out.push(day);
    }
    out
}

fn empty(day: NaiveDate) -> Day {
    Day {
        day,
        sales: 0,
        issued: 0,
        collected: 0,
        open: Open::new(),
        cleared: Cleared::new(),
    }
}

/// The last day stored days hold true: the day they were computed through,
/// or the day before the earliest date among what was written since (an
/// invoice issued, a payment received, dated on or before it); `None`
/// before any day was computed.
pub fn trusted_through(through: Option<NaiveDate>, written: &[NaiveDate]) -> Option<NaiveDate> {
    let through = through?;
    Some(
        written
            .iter()
            .filter_map(|d| d.pred_opt())
            .fold(through, NaiveDate::min),
    )
}

/// The totals of `d` among `days` (sorted by day): zero before the first
/// (the day before the organization's first invoice), `None` when missing.
fn totals_on(days: &[Totals], d: NaiveDate) -> Option<Totals> {
    let first = days.first()?;
    if d < first.day {
        return Some(Totals {
            day: d,
            sales: 0,
            issued: 0,
            collected: 0,
            receivables: 0,
            current: 0,
        });
    }
    days.binary_search_by_key(&d, |t| t.day)
        .ok()
        .map(|i| days[i])
}

/// [`super::figures`] of the period from day totals sorted by day, with the
/// invoices issued in it; `None` when a day it needs is missing.
pub fn figures(days: &[Totals], p: Period) -> Option<(Figures, u32)> {
    let start = totals_on(days, p.before_start())?;
    let end = totals_on(days, p.end)?;
    let (mut sales, mut collected, mut issued) = (0, 0, 0);
    let mut d = p.start;
    while d <= p.end {
        let t = totals_on(days, d)?;
        sales += t.sales;
        collected += t.collected;
        issued += t.issued;
        d = d.succ_opt()?;
    }
    Some((
        super::compose(
            p,
            sales,
            start.receivables,
            end.receivables,
            end.current,
            collected,
        ),
        issued,
    ))
}

/// [`super::monthly`] from day totals; `None` when a day is missing.
pub fn monthly(days: &[Totals], end: NaiveDate, months: u32) -> Option<Vec<(Period, Figures)>> {
    super::month_periods(end, months)
        .into_iter()
        .map(|p| figures(days, p).map(|(f, _)| (p, f)))
        .collect()
}

/// The clearings of several days summed per customer, for
/// [`super::pay_days`].
pub fn cleared<'a>(days: impl IntoIterator<Item = &'a Cleared>) -> Cleared {
    let mut out = Cleared::new();
    for day in days {
        for (customer, (n, to_pay, late)) in day {
            let e = out.entry(customer.clone()).or_default();
            e.0 += n;
            e.1 += to_pay;
            e.2 += late;
        }
    }
    out
}

#[cfg(test)]
mod tests;
