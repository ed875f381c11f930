//! Promises to pay: what a customer may promise, when the promise is
//! reminded, and when it is broken. Pure: the handlers and the cron read
//! what these functions ask for and write what they decide.
//!
//! - A customer promises a date from today to the organization's limit
//!   (`max_days`, in their own time zone) on an open invoice with something
//!   due, not in dispute, not already promised (they may change the date
//!   once), and not after a broken promise unless an agent approved.
//! - One reminder goes the day before the date, at the opening of the
//!   customer's send window (the last day before it that the window opens,
//!   not before today).
//! - Unpaid by the date plus `grace_days`, the promise is broken. Days the
//!   invoice spent in an open dispute after the promise was made do not
//!   count (the deadline moves by them), and an open dispute holds it.

use crate::reminders::window::Window;
use chrono::{Duration, NaiveDate};
use settle_shared::ErrorCode;

/// The organization's rules for promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The latest date a customer may promise, in days from today.
    pub max_days: u32,
    /// Days after the date before an unpaid promise is broken.
    pub grace_days: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            max_days: 30,
            grace_days: 3,
        }
    }
}

/// The most an organization may let its customers promise ahead.
pub const MAX_DAYS_CAP: u32 = 180;
/// The most grace an organization may give after the date.
pub const MAX_GRACE_DAYS: u32 = 30;

/// The invoice as a promise sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invoice<'a> {
    pub status: &'a str,
    pub amount_due: i64,
    pub open_dispute: bool,
    /// An instalment plan holds it.
    pub in_plan: bool,
    /// An automatic payment is scheduled on it.
    pub scheduled: bool,
    /// A promise broke and no agent has approved another since.
    pub needs_approval: bool,
}

/// The invoice's active promise, if it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Current {
    pub date: NaiveDate,
    /// How many times the customer changed its date.
    pub changes: u32,
}

/// What a customer's promise does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A new promise.
    New,
    /// The active promise's date changes (once).
    Change { from: NaiveDate },
}

/// Why a customer cannot promise a date; each has a stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the invoice is {0}: there is nothing to promise")]
    NotOpen(&'static str),
    #[error("nothing is due on this invoice")]
    NothingDue,
    #[error("the invoice is in dispute: the dispute is settled first")]
    Disputed,
    #[error("the invoice is in an instalment plan, which sets its dates")]
    InPlan,
    #[error("an automatic payment is scheduled on this invoice; change or cancel it instead")]
    Scheduled,
    #[error("a promise on this invoice was not kept; the company must agree to another")]
    NeedsApproval,
    #[error("the promised date was changed once already")]
    ChangedOnce,
    #[error("that is the date already promised")]
    SameDate,
    #[error("the date is in the past")]
    Past,
    #[error("the date is more than {0} days from today")]
    TooFar(u32),
}

impl Refusal {
    /// The stable error code of the refusal.
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::NotOpen(_) | Refusal::NothingDue => ErrorCode::InvoiceNotOpen,
            Refusal::Disputed => ErrorCode::InvoiceDisputed,
            Refusal::InPlan => ErrorCode::InvoiceInPlan,
            Refusal::Scheduled => ErrorCode::PaymentScheduled,
            Refusal::NeedsApproval => ErrorCode::PromiseNeedsApproval,
            Refusal::ChangedOnce => ErrorCode::PromiseChangedOnce,
            Refusal::SameDate | Refusal::Past | Refusal::TooFar(_) => ErrorCode::InvalidField,
        }
    }
}

/// The dates a customer may pick today: `(first, last)`.
pub fn choosable(rules: &Rules, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today, today + Duration::days(rules.max_days.into()))
}

/// Whether and how a customer may promise `date` on `inv` today.
pub fn customer_promise(
    rules: &Rules,
    inv: &Invoice<'_>,
    current: Option<Current>,
    today: NaiveDate,
    date: NaiveDate,
) -> Result<Decision, Refusal> {
    can_promise(inv, current)?;
    let (first, last) = choosable(rules, today);
    if date < first {
        return Err(Refusal::Past);
    }
    if date > last {
        return Err(Refusal::TooFar(rules.max_days));
    }
    match current {
        None => Ok(Decision::New),
        Some(c) if c.date == date => Err(Refusal::SameDate),
        Some(c) => Ok(Decision::Change { from: c.date }),
    }
}

/// Whether the customer may promise (or change their promise) at all,
/// whatever the date: what the portal asks before it offers a date.
pub fn can_promise(inv: &Invoice<'_>, current: Option<Current>) -> Result<(), Refusal> {
    match inv.status {
        "open" => {}
        "paid" => return Err(Refusal::NotOpen("paid")),
        "void" => return Err(Refusal::NotOpen("void")),
        _ => return Err(Refusal::NotOpen("not open")),
    }
    if inv.amount_due <= 0 {
        return Err(Refusal::NothingDue);
    }
    if inv.open_dispute {
        return Err(Refusal::Disputed);
    }
    if inv.in_plan {
        return Err(Refusal::InPlan);
    }
    if inv.scheduled {
        return Err(Refusal::Scheduled);
    }
    match current {
        Some(c) if c.changes >= 1 => Err(Refusal::ChangedOnce),
        Some(_) => Ok(()),
        None if inv.needs_approval => Err(Refusal::NeedsApproval),
        None => Ok(()),
    }
}

/// Whether an agent may record `date` for the customer (a promise made by
/// phone): the invoice as for a customer, the date from today up to
/// [`MAX_DAYS_CAP`] days. It replaces an active promise however often that
/// one changed, and stands for the agent's agreement after a broken one.
pub fn staff_promise(
    inv: &Invoice<'_>,
    current: Option<Current>,
    today: NaiveDate,
    date: NaiveDate,
) -> Result<Decision, Refusal> {
    let fresh = Invoice {
        needs_approval: false,
        ..*inv
    };
    can_promise(&fresh, None)?;
    let rules = Rules {
        max_days: MAX_DAYS_CAP,
        grace_days: 0,
    };
    customer_promise(&rules, &fresh, None, today, date)?;
    match current {
        None => Ok(Decision::New),
        Some(c) if c.date == date => Err(Refusal::SameDate),
        Some(c) => Ok(Decision::Change { from: c.date }),
    }
}

/// A dispute on the invoice, by local dates: opened, and resolved (or not
/// yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// Disputes on the invoice, from their opening and resolving instants
/// (ms), as local dates in the customer's zone.
pub fn pauses(zone: &crate::zone::Zone, disputes: &[(i64, Option<i64>)]) -> Vec<Pause> {
    disputes
        .iter()
        .map(|&(opened, resolved)| Pause {
            from: zone.date(opened),
            until: resolved.map(|at| zone.date(at)),
        })
        .collect()
}

/// The day an unpaid promise made on `made` for `date` is broken: the day
/// after the date plus grace, moved by each day from `made` on that the
/// invoice was in dispute; `None` while a dispute is open.
pub fn breaks_on(
    rules: &Rules,
    made: NaiveDate,
    date: NaiveDate,
    pauses: &[Pause],
) -> Option<NaiveDate> {
    if pauses.iter().any(|p| p.until.is_none()) {
        return None;
    }
    // Days in dispute after the promise, each counted once however the
    // disputes overlap.
    let mut days: Vec<NaiveDate> = pauses
        .iter()
        .filter_map(|p| {
            let from = p.from.max(made);
            let until = p.until?;
            (until > from).then(|| {
                (0..(until - from).num_days())
                    .map(move |i| from + Duration::days(i))
                    .collect::<Vec<_>>()
            })
        })
        .flatten()
        .collect();
    settle_shared::sort::sort(&mut days);
    days.dedup();
    Some(date + Duration::days(i64::from(rules.grace_days) + 1 + days.len() as i64))
}

/// Whether an active promise is broken on `today` (the customer's date):
/// something is still due and its breaking day has come.
pub fn is_broken(
    rules: &Rules,
    made: NaiveDate,
    date: NaiveDate,
    pauses: &[Pause],
    amount_due: i64,
    today: NaiveDate,
) -> bool {
    amount_due > 0 && breaks_on(rules, made, date, pauses).is_some_and(|d| today >= d)
}

/// How an active promise ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The invoice was paid.
    Kept,
    /// The invoice was voided: nothing is owed any more.
    Cancelled,
    /// Unpaid past the date and grace.
    Broken,
}

/// Whether an active promise ends today (the customer's date), and how.
pub fn ending(
    rules: &Rules,
    invoice_status: &str,
    amount_due: i64,
    made: NaiveDate,
    date: NaiveDate,
    pauses: &[Pause],
    today: NaiveDate,
) -> Option<Ending> {
    match invoice_status {
        "paid" => Some(Ending::Kept),
        "void" => Some(Ending::Cancelled),
        _ if amount_due <= 0 => Some(Ending::Kept),
        _ if is_broken(rules, made, date, pauses, amount_due, today) => Some(Ending::Broken),
        _ => None,
    }
}

/// When the reminder of a promise for `date` goes: the window's opening on
/// the day before, or on the last day before the date that the window opens
/// at all; made today after that opening, now while the window is open.
/// `None` when no opening is left before the date.
pub fn reminder_at(w: &Window<'_>, date: NaiveDate, now_ms: i64) -> Option<i64> {
    let (today, _) = w.local(now_ms);
    let mut day = date - Duration::days(1);
    while day >= today {
        if let Some(at) = w.opening_from(day).filter(|at| w.local(*at).0 == day) {
            if at >= now_ms {
                return Some(at);
            }
            // Today's window opened already: now, while it is still open.
            return w.contains(now_ms).then_some(now_ms);
        }
        day -= Duration::days(1);
    }
    None
}

#[cfg(test)]
mod tests;
