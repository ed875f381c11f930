//! One invoice's history as the metrics read it: what it owed after any
//! day, when it was cleared, and how it counts in the base currency.

use chrono::NaiveDate;
use settle_shared::Currency;
use settle_shared::fx::Rate;
use std::collections::BTreeMap;

/// One invoice's history, in minor units of its currency.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceHistory {
    /// Set when it counts in another (the base) currency.
    pub in_base: Option<InBase>,
    pub customer_id: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub total: i64,
    /// Money received (refunds negative), by the date received.
    pub payments: Vec<(NaiveDate, i64)>,
    /// Credit notes, by date issued.
    pub credits: Vec<(NaiveDate, i64)>,
    pub voided: Option<NaiveDate>,
}

/// How an invoice in another currency counts in the base currency: what
/// it owes, its sale and its write-off at the rate stored on the invoice
/// (receivables stay at the rate of the day they arose), the money
/// received at the rate stored on each payment.
#[derive(Debug, Clone, PartialEq)]
pub struct InBase {
    pub rate: Rate,
    pub from: Currency,
    pub to: Currency,
    /// Money received (refunds negative) in the base currency, by date.
    pub received: Vec<(NaiveDate, i64)>,
}

impl InvoiceHistory {
    /// `amount` of its own currency in the currency its figures count in.
    pub fn counted(&self, amount: i64) -> i64 {
        match &self.in_base {
            Some(b) => b.rate.convert(amount, b.from, b.to),
            None => amount,
        }
    }

    /// Money received on `on`, in the currency its figures count in.
    pub fn received_on(&self, on: NaiveDate) -> i64 {
        let money = self
            .in_base
            .as_ref()
            .map_or(&self.payments, |b| &b.received);
        money.iter().filter(|(d, _)| *d == on).map(|(_, a)| a).sum()
    }

    /// What it still owes after everything dated `on` or before.
    pub fn owed_after(&self, on: NaiveDate) -> i64 {
        if self.voided.is_some_and(|v| v <= on) {
            return 0;
        }
        self.owing(on)
    }

    /// What its void wrote off: what it owed after everything else dated
    /// the void's day (zero when not voided).
    pub fn written_off(&self) -> i64 {
        self.voided.map_or(0, |v| self.owing(v))
    }

    /// [`Self::owed_after`] as if it were never voided.
    fn owing(&self, on: NaiveDate) -> i64 {
        if self.issue_date > on {
            return 0;
        }
        let paid: i64 = self
            .payments
            .iter()
            .filter(|(d, _)| *d <= on)
            .map(|(_, a)| a)
            .sum();
        let credited: i64 = self
            .credits
            .iter()
            .filter(|(d, _)| *d <= on)
            .map(|(_, a)| a)
            .sum();
        (self.total - paid - credited).max(0)
    }

    /// Whether payments and credits dated `on` bring its balance to zero
    /// (see the module's conventions).
    pub fn cleared_on(&self, on: NaiveDate) -> bool {
        let was = if self.issue_date == on {
            self.total
        } else {
            on.pred_opt().map_or(0, |b| self.owed_after(b))
        };
        was > 0
            && self.issue_date <= on
            && self.voided.is_none_or(|v| v > on)
            && self.owed_after(on) == 0
            && self
                .payments
                .iter()
                .chain(&self.credits)
                .any(|(d, _)| *d == on)
    }

    /// The day its balance reached zero through payments and credits (and
    /// stayed there), if it did by `on`.
    pub fn settled_on(&self, on: NaiveDate) -> Option<NaiveDate> {
        if self.voided.is_some() {
            return None;
        }
        let mut days: Vec<NaiveDate> = self
            .payments
            .iter()
            .chain(&self.credits)
            .map(|(d, _)| *d)
            .filter(|d| *d <= on)
            .collect();
        settle_shared::sort::sort(&mut days);
        days.dedup();
        let mut settled = None;
        for d in days {
            if self.owed_after(d) == 0 {
                settled.get_or_insert(d);
            } else {
                settled = None;
            }
        }
        settled
    }
}

/// Clearings per customer: how many, and the sums of their days from issue
/// and from the due date.
pub type Cleared = BTreeMap<String, (u32, i64, i64)>;

impl InvoiceHistory {
    /// Adds its clearing on `on`, if it cleared then, to `to`.
    pub fn count_clearing(&self, on: NaiveDate, to: &mut Cleared) {
        if self.cleared_on(on) {
            let e = to.entry(self.customer_id.clone()).or_default();
            e.0 += 1;
            e.1 += (on - self.issue_date).num_days();
            e.2 += (on - self.due_date).num_days();
        }
    }

    /// The days something happened to it: issued, paid, credited, voided.
    pub fn event_days(&self) -> Vec<NaiveDate> {
        let mut days: Vec<NaiveDate> = std::iter::once(self.issue_date)
            .chain(self.payments.iter().chain(&self.credits).map(|(d, _)| *d))
            .chain(self.voided)
            .collect();
        settle_shared::sort::sort(&mut days);
        days.dedup();
        days
    }
}
