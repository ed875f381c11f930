//! The collections worklist: which overdue account to work first, and why.
//! Plain Rust over facts the worker reads (overdue invoices, promises,
//! disputes, the risk model's estimate), tested natively.
//!
//! The priority is 0 to 100, the sum of five parts, each with its reason:
//!
//! | part | points | from |
//! |---|---|---|
//! | risk | up to 40 | the model's probability of paying the next invoice late |
//! | amount | up to 20 | where the account's overdue balance ranks among all overdue accounts in the same currency (no exchange rate needed) |
//! | age | up to 15 | days past due of the oldest overdue invoice, full at 120 days |
//! | broken promises | up to 15 | promises broken in the last 12 months, full at 3 |
//! | disputes | 10 | an open dispute: the account needs a conversation, not a reminder |
//!
//! A promise to pay on a date still to come multiplies the whole by 0.3:
//! the customer said when, so the call can wait.
//!
//! Risk weighs most because it says who will not pay without a call: on
//! generated histories with a known pattern the list puts the customers
//! made latest first far better than "largest balance first" (the tests
//! measure it); amount and age still order accounts of equal risk.

pub mod assign;
pub mod measure;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use settle_shared::Money;
use std::collections::HashMap;

/// What is known about one overdue account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub customer_id: String,
    pub name: String,
    /// Overdue balance per currency (each > 0).
    pub overdue: Vec<Money>,
    /// Due date of the oldest overdue invoice.
    pub oldest_due: NaiveDate,
    /// Overdue invoices.
    pub invoices: u32,
    pub broken_promises_12m: u32,
    pub open_disputes: u32,
    /// The earliest date the customer promised to pay, if a promise stands.
    pub promised: Option<NaiveDate>,
    /// The risk model's probability that the next invoice is paid late.
    pub risk: Option<f64>,
    pub assigned_to: Option<String>,
    /// The customer's tags (for segment rules).
    pub tags: Vec<String>,
}

/// Why an account ranks where it does (the API's type; the console words
/// each code).
pub use settle_shared::api::WorklistReason as Reason;

/// An account's place in the worklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub customer_id: String,
    pub priority: f64,
    pub days_overdue: i64,
    pub reasons: Vec<Reason>,
}

pub const AMOUNT_POINTS: f64 = 20.0;
pub const AGE_POINTS: f64 = 15.0;
pub const AGE_FULL_DAYS: i64 = 120;
pub const PROMISE_POINTS: f64 = 15.0;
pub const PROMISES_FULL: u32 = 3;
pub const RISK_POINTS: f64 = 40.0;
pub const DISPUTE_POINTS: f64 = 10.0;
pub const PROMISED_FACTOR: f64 = 0.3;

/// For each currency, the overdue balances of all accounts, sorted: the
/// amount part is where an account's balance falls among them.
fn ladders(accounts: &[Account]) -> HashMap<settle_shared::Currency, Vec<i64>> {
    let mut l: HashMap<_, Vec<i64>> = HashMap::new();
    for a in accounts {
        for m in &a.overdue {
            l.entry(m.currency).or_default().push(m.amount);
        }
    }
    for v in l.values_mut() {
        settle_shared::sort::sort(v);
    }
    l
}

/// Share of balances strictly below `amount` plus half of those equal: 0
/// for the smallest, near 1 for the largest, 0.5 when alone.
fn rank_in(ladder: &[i64], amount: i64) -> f64 {
    if ladder.is_empty() {
        return 0.0;
    }
    let below = ladder.partition_point(|x| *x < amount);
    let equal = ladder.partition_point(|x| *x <= amount) - below;
    (below as f64 + equal as f64 / 2.0) / ladder.len() as f64
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Ranks `accounts` as of `today`: highest priority first, then most
/// days overdue, then customer id (a stable order for equal accounts).
pub fn rank(accounts: &[Account], today: NaiveDate) -> Vec<Ranked> {
    let ladders = ladders(accounts);
    let mut out: Vec<Ranked> = accounts
        .iter()
        .map(|a| {
            let mut reasons = Vec::new();
            // The balance that ranks highest in its own currency.
            let best = a
                .overdue
                .iter()
                .map(|m| (rank_in(&ladders[&m.currency], m.amount), *m))
                .max_by(|x, y| x.0.total_cmp(&y.0));
            if let Some((r, amount)) = best {
                reasons.push(Reason::OverdueAmount {
                    amount,
                    rank: round2(r),
                    points: round2(AMOUNT_POINTS * r),
                });
            }
            let days = (today - a.oldest_due).num_days().max(0);
            reasons.push(Reason::DaysOverdue {
                days,
                points: round2(AGE_POINTS * days.min(AGE_FULL_DAYS) as f64 / AGE_FULL_DAYS as f64),
            });
            if a.broken_promises_12m > 0 {
                reasons.push(Reason::BrokenPromises {
                    count: a.broken_promises_12m,
                    points: round2(
                        PROMISE_POINTS * f64::from(a.broken_promises_12m.min(PROMISES_FULL))
                            / f64::from(PROMISES_FULL),
                    ),
                });
            }
            if let Some(p) = a.risk.filter(|p| p.is_finite()) {
                let p = p.clamp(0.0, 1.0);
                reasons.push(Reason::Risk {
                    probability: round2(p),
                    points: round2(RISK_POINTS * p),
                });
            }
            if a.open_disputes > 0 {
                reasons.push(Reason::OpenDisputes {
                    count: a.open_disputes,
                    points: DISPUTE_POINTS,
                });
            }
            let mut priority: f64 = reasons.iter().map(points).sum();
            settle_shared::sort::sort_by(&mut reasons, |x, y| points(y).total_cmp(&points(x)));
            reasons.retain(|r| points(r) > 0.0);
            if let Some(date) = a.promised.filter(|d| *d >= today) {
                priority *= PROMISED_FACTOR;
                reasons.insert(0, Reason::PromisedDate { date });
            }
            Ranked {
                customer_id: a.customer_id.clone(),
                priority: round2(priority),
                days_overdue: days,
                reasons,
            }
        })
        .collect();
    settle_shared::sort::sort_by(&mut out, |x, y| {
        y.priority
            .total_cmp(&x.priority)
            .then(y.days_overdue.cmp(&x.days_overdue))
            .then(x.customer_id.cmp(&y.customer_id))
    });
    out
}

fn points(r: &Reason) -> f64 {
    r.points()
}
