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
    let n = usize::try_from((to - from).num_days()).unwrap_or(0);
    let mut out: Vec<Day> = (1..=n)
        .map(|k| empty(from + chrono::Days::new(k as u64)))
        .collect();
    // Changes to the open balances on each day: (due date, amount, count).
    let mut moves: Vec<Vec<(NaiveDate, i64, i64)>> = vec![Vec::new(); n];
    for inv in touched {
        let mut before = inv.counted(inv.owed_after(from));
        for d in inv.event_days() {
            let Some(k) = usize::try_from((d - from).num_days() - 1)
                .ok()
                .filter(|k| *k < n)
            else {
                continue;
            };
            let day = &mut out[k];
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
                let count = i64::from(after > 0) - i64::from(before > 0);
                moves[k].push((inv.due_date, after - before, count));
            }
            before = after;
        }
    }
    let mut running = open.clone();
    for (day, moved) in out.iter_mut().zip(moves) {
        for (due, amount, count) in moved {
            let e = running.entry(due).or_default();
            e.0 += amount;
            e.1 = u32::try_from(i64::from(e.1) + count).unwrap_or(0);
            if *e == (0, 0) {
                running.remove(&due);
            }
        }
        day.open = running.clone();
    }
    out
}

/// [`Open`] as stored: `due amount count` for each due date, `;` between.
pub fn open_text(open: &Open) -> String {
    let rows: Vec<String> = open
        .iter()
        .map(|(due, (amount, count))| format!("{due} {amount} {count}"))
        .collect();
    rows.join(";")
}

/// [`open_text`] read back; `None` when it is not such a text.
pub fn open_from_text(text: &str) -> Option<Open> {
    let mut out = Open::new();
    for row in text.split(';').filter(|r| !r.is_empty()) {
        let mut f = row.split(' ');
        let due = f.next()?.parse().ok()?;
        out.insert(due, (f.next()?.parse().ok()?, f.next()?.parse().ok()?));
    }
    Some(out)
}

/// [`Cleared`] as stored: `customer count days late` per customer, `;`
/// between (customer ids hold neither).
pub fn cleared_text(cleared: &Cleared) -> String {
    let rows: Vec<String> = cleared
        .iter()
        .map(|(c, (n, days, late))| format!("{c} {n} {days} {late}"))
        .collect();
    rows.join(";")
}

/// [`cleared_text`] read back; `None` when it is not such a text.
pub fn cleared_from_text(text: &str) -> Option<Cleared> {
    let mut out = Cleared::new();
    for row in text.split(';').filter(|r| !r.is_empty()) {
        let mut f = row.split(' ');
        let c = f.next()?.to_owned();
        let v = (
            f.next()?.parse().ok()?,
            f.next()?.parse().ok()?,
            f.next()?.parse().ok()?,
        );
        out.insert(c, v);
    }
    Some(out)
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

/// The last day of `d`'s month.
pub fn month_end(d: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    d.with_day(1)
        .and_then(|f| f.checked_add_months(chrono::Months::new(1)))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

/// How a read takes the clearings of `start ..= last`: whole calendar
/// months inside it from their last day's clearings of the month (the
/// month ends returned), the other days one by one (the ranges returned).
pub fn cover(start: NaiveDate, last: NaiveDate) -> (Vec<(NaiveDate, NaiveDate)>, Vec<NaiveDate>) {
    use chrono::Datelike;
    let (mut ranges, mut ends) = (Vec::new(), Vec::new());
    let mut first = start;
    while first <= last {
        let end = month_end(first);
        if first.day() == 1 && end <= last {
            ends.push(end);
        } else {
            ranges.push((first, end.min(last)));
        }
        let Some(next) = end.succ_opt() else { break };
        first = next;
    }
    (ranges, ends)
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
