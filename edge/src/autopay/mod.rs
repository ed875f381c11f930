//! Scheduled automatic payments and autopay: which dates a customer may
//! schedule, until when they may change or cancel, how much each attempt
//! charges, and what follows a declined charge. Pure: the handlers and the
//! charge job read what these functions ask for and write what they decide.
//!
//! - A customer schedules a charge of an invoice with a saved card or bank
//!   account on a date from tomorrow to the organization's promise limit, on
//!   an invoice they could promise (open, something due, not in dispute or
//!   in a plan, not after a broken promise unless an agent agreed).
//! - They may change the date or method, or cancel, until the day before;
//!   on the day itself it is locked.
//! - The charge is made at the opening of the customer's send window on the
//!   date. It takes what is due then (a part payment made meanwhile lowers
//!   it; the early-payment price while that offer stands), and nothing is
//!   charged when nothing is due.
//! - A declined charge (or one that needs the customer to authenticate) is
//!   tried again on the organization's retry days, counted from the date;
//!   after the last it gives up and the invoice's reminders resume. A method
//!   that was removed is not tried again.
//! - Autopay: an invoice issued to a customer with autopay on is scheduled
//!   on its due date (tomorrow when that has passed); each instalment of an
//!   active plan is charged on its date, at most what is left of it.

#[cfg(test)]
mod tests;

use crate::promises::{self, Refusal};
use crate::zone::Zone;
use chrono::{Duration, NaiveDate};
use settle_shared::ErrorCode;

/// Where a schedule stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for its date.
    Scheduled,
    /// An attempt is under way: written down, Stripe asked.
    Charging,
    /// A bank debit was accepted and settles later.
    Processing,
    /// The last attempt failed; another is due.
    Retrying,
    Paid,
    Failed,
    Cancelled,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "scheduled" => Status::Scheduled,
            "charging" => Status::Charging,
            "processing" => Status::Processing,
            "retrying" => Status::Retrying,
            "paid" => Status::Paid,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Charging => "charging",
            Status::Processing => "processing",
            Status::Retrying => "retrying",
            Status::Paid => "paid",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether it still holds the invoice (reminders wait, no promise or
    /// plan may start).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Status::Scheduled | Status::Charging | Status::Processing | Status::Retrying
        )
    }
}

/// Why a schedule cannot be made, changed or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// What a promise on the invoice would be refused for.
    #[error(transparent)]
    Invoice(Refusal),
    #[error("the date must be after today")]
    NotAfterToday,
    #[error("the date is more than {0} days from today")]
    TooFar(u32),
    #[error("that card or bank account was removed; choose another or save a new one")]
    MethodRemoved,
    #[error(
        "the payment is due today or being made; it can be changed or cancelled until the day before"
    )]
    Locked,
}

impl ScheduleError {
    pub fn code(self) -> ErrorCode {
        match self {
            ScheduleError::Invoice(r) => r.code(),
            ScheduleError::NotAfterToday | ScheduleError::TooFar(_) => ErrorCode::InvalidField,
            ScheduleError::MethodRemoved => ErrorCode::PaymentMethodRemoved,
            ScheduleError::Locked => ErrorCode::ScheduleLocked,
        }
    }

    /// The field to blame, if one is.
    pub fn field(self) -> Option<&'static str> {
        match self {
            ScheduleError::NotAfterToday | ScheduleError::TooFar(_) => Some("charge_on"),
            ScheduleError::MethodRemoved => Some("payment_method_id"),
            _ => None,
        }
    }
}

/// The dates a customer may schedule today: `(first, last)`.
pub fn choosable(rules: &promises::Rules, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let (_, last) = promises::choosable(rules, today);
    (
        today + Duration::days(1),
        last.max(today + Duration::days(1)),
    )
}

/// Whether the customer may schedule a charge of `inv` on `date` with a
/// method (`method_live`: saved and not removed). `inv.scheduled` is the
/// schedule being replaced, if any, and does not count against it.
pub fn may_schedule(
    rules: &promises::Rules,
    inv: &promises::Invoice<'_>,
    today: NaiveDate,
    date: NaiveDate,
    method_live: bool,
) -> Result<(), ScheduleError> {
    let fresh = promises::Invoice {
        scheduled: false,
        ..*inv
    };
    promises::can_promise(&fresh, None).map_err(ScheduleError::Invoice)?;
    let (first, last) = choosable(rules, today);
    if date < first {
        return Err(ScheduleError::NotAfterToday);
    }
    if date > last {
        return Err(ScheduleError::TooFar(rules.max_days));
    }
    if !method_live {
        return Err(ScheduleError::MethodRemoved);
    }
    Ok(())
}

/// Whether a schedule for `charge_on` may still be changed or cancelled by
/// the customer on `today`: only while waiting, until the day before.
pub fn may_change(
    status: Status,
    charge_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), ScheduleError> {
    if status != Status::Scheduled || today >= charge_on {
        return Err(ScheduleError::Locked);
    }
    Ok(())
}

/// When the charge for `date` is made: on that date in the customer's zone,
/// at the time of day their send window opens (whatever the weekday: the
/// customer chose the date), so the failure email can go at once.
pub fn charge_at(zone: &Zone, window_start_min: u16, date: NaiveDate) -> i64 {
    let start = date
        .and_hms_opt(
            u32::from(window_start_min / 60).min(23),
            u32::from(window_start_min % 60),
            0,
        )
        .unwrap_or_default();
    // A start the clocks skip moves to the first instant after the gap.
    zone.resolve(&start)
        .unwrap_or_else(|| start.and_utc().timestamp_millis())
}

/// What an attempt charges: what is due, at the early-payment price while
/// that offer stands (`offer_pay`), never more than `cap` (what is left of
/// an instalment). Nothing when nothing is due.
pub fn amount(amount_due: i64, offer_pay: Option<i64>, cap: Option<i64>) -> i64 {
    let full = match offer_pay {
        Some(pay) if pay > 0 && pay < amount_due => pay,
        _ => amount_due.max(0),
    };
    cap.map_or(full, |c| full.min(c.max(0)))
}

/// Whether an active plan's instalment dated `date` is charged on `today`
/// (the customer's): with autopay on, from its day on, when something is
/// left of it.
pub fn charges_instalment(autopay_on: bool, date: NaiveDate, left: i64, today: NaiveDate) -> bool {
    autopay_on && left > 0 && today >= date
}

/// The Idempotency-Key of a schedule's `attempt` (1 for the first): the same
/// for every try of one attempt, so Stripe charges it once however often
/// the job runs, and new for the next attempt after a decline.
pub fn attempt_key(schedule_id: &str, attempt: u32) -> String {
    format!("settle-schedule-{schedule_id}-{attempt}")
}

/// What Stripe answered to an off-session charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Succeeded {
        payment_intent: String,
    },
    /// A bank debit: accepted, settles in days.
    Processing {
        payment_intent: String,
    },
    /// Declined or needing authentication; `code` is Stripe's.
    Declined {
        payment_intent: Option<String>,
        code: String,
        message: String,
    },
    /// The method is gone at Stripe (detached, or the customer's).
    MethodGone {
        message: String,
    },
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Paid,
    Processing,
    /// Failed; try again on this date (the customer's) and email them now.
    RetryOn(NaiveDate),
    /// Failed for good; email them now, reminders resume.
    GiveUp,
}

/// What follows `answer` to attempt number `attempt` (1 for the first) of a
/// charge scheduled on `charge_on`, given the organization's retry days.
pub fn after(answer: &Answer, attempt: u32, charge_on: NaiveDate, retry_days: &[u32]) -> Next {
    match answer {
        Answer::Succeeded { .. } => Next::Paid,
        Answer::Processing { .. } => Next::Processing,
        Answer::MethodGone { .. } => Next::GiveUp,
        Answer::Declined { .. } => {
            // Attempt n failed: retry n is on the date plus its day.
            match retry_days.get(attempt.saturating_sub(1) as usize) {
                Some(d) => Next::RetryOn(charge_on + Duration::days(i64::from(*d))),
                None => Next::GiveUp,
            }
        }
    }
}

/// The most retries an organization may set, and the latest day.
pub const MAX_RETRIES: usize = 5;
pub const MAX_RETRY_DAY: u32 = 30;

/// Reads the organization's retry days (`"3,7"`): increasing, each from 1 to
/// [`MAX_RETRY_DAY`], at most [`MAX_RETRIES`]; empty means no retry.
pub fn parse_retry_days(s: &str) -> Result<Vec<u32>, String> {
    let mut days = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let d: u32 = part
            .parse()
            .map_err(|_| format!("`{part}` is not a number of days"))?;
        if !(1..=MAX_RETRY_DAY).contains(&d) {
            return Err(format!("each retry day must be from 1 to {MAX_RETRY_DAY}"));
        }
        if days.last().is_some_and(|l| *l >= d) {
            return Err("retry days must increase".into());
        }
        days.push(d);
    }
    if days.len() > MAX_RETRIES {
        return Err(format!("at most {MAX_RETRIES} retries"));
    }
    Ok(days)
}

/// The day an autopay charge of an invoice due on `due` is scheduled, seen
/// on `today`: the due date, or tomorrow when it is today or has passed.
pub fn autopay_date(due: NaiveDate, today: NaiveDate) -> NaiveDate {
    due.max(today + Duration::days(1))
}
