//! Instalment plans: what a customer may propose, whether it is inside the
//! organization's rules (accepted at once) or goes to a supervisor, and how
//! a plan stands as payments come in. Pure: the worker reads, calls these
//! and writes what they decide; the portal previews with the same code.
//!
//! A plan splits what was left to pay on the invoice when it was proposed.
//! Payments count in order: instalment `k` is met once the payments since
//! the plan began cover instalments `0..=k`. An instalment unpaid after its
//! date plus the organization's grace days breaks the plan.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// The organization's rules: proposals inside them start at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRules {
    /// The most instalments.
    pub max_count: u32,
    /// The smallest instalment, in minor units of the invoice's currency.
    pub min_instalment: i64,
    /// The last instalment at most this many days from today.
    pub max_span_days: u32,
}

impl Default for PlanRules {
    fn default() -> Self {
        PlanRules {
            max_count: 6,
            min_instalment: 1000,
            max_span_days: 90,
        }
    }
}

/// Never more instalments than this, even with a supervisor's approval.
pub const HARD_MAX_COUNT: u32 = 24;
/// Never a last instalment further than this, in days from today.
pub const HARD_MAX_SPAN_DAYS: u32 = 730;

impl PlanRules {
    /// The rules as an organization may set them.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(2..=HARD_MAX_COUNT).contains(&self.max_count) {
            return Err((
                "plans.max_count",
                format!("must be from 2 to {HARD_MAX_COUNT}"),
            ));
        }
        if !(1..=crate::money::MAX_AMOUNT_MINOR).contains(&self.min_instalment) {
            return Err((
                "plans.min_instalment",
                "must be 1 or more minor units".into(),
            ));
        }
        if !(7..=HARD_MAX_SPAN_DAYS).contains(&self.max_span_days) {
            return Err((
                "plans.max_span_days",
                format!("must be from 7 to {HARD_MAX_SPAN_DAYS} days"),
            ));
        }
        Ok(())
    }
}

/// One instalment: a date (the customer's) and an amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instalment {
    pub date: NaiveDate,
    pub amount: i64,
}

/// Why a proposal cannot be made at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("a plan has at least 2 instalments")]
    TooFew,
    #[error("a plan has at most {HARD_MAX_COUNT} instalments")]
    TooMany,
    #[error("instalment {0} is before today")]
    Past(usize),
    #[error("instalment {0} is not after the one before it")]
    NotInOrder(usize),
    #[error("instalment {0} is more than {HARD_MAX_SPAN_DAYS} days away")]
    TooFar(usize),
    #[error("instalment {0} must be more than zero")]
    NotPositive(usize),
    #[error("the instalments add up to {sum}, not the {total} left to pay")]
    DoNotAddUp { sum: i64, total: i64 },
}

impl PlanError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            PlanError::TooFew | PlanError::TooMany => "instalments",
            PlanError::Past(_) | PlanError::NotInOrder(_) | PlanError::TooFar(_) => {
                "instalments.date"
            }
            PlanError::NotPositive(_) | PlanError::DoNotAddUp { .. } => "instalments.amount",
        }
    }
}

/// Where a proposal goes past the organization's rules (a supervisor
/// decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Outside {
    /// More instalments than `max`.
    Count { max: u32 },
    /// An instalment smaller than `min` (minor units).
    Instalment { min: i64 },
    /// The last instalment more than `max_days` from today.
    Span { max_days: u32 },
}

/// Checks a proposal to split `balance` from `today`: an error when it
/// cannot be made at all; otherwise where it goes past the rules (none:
/// accepted at once).
pub fn check(
    rules: &PlanRules,
    balance: i64,
    today: NaiveDate,
    instalments: &[Instalment],
) -> Result<Vec<Outside>, PlanError> {
    let n = instalments.len();
    if n < 2 {
        return Err(PlanError::TooFew);
    }
    if n > HARD_MAX_COUNT as usize {
        return Err(PlanError::TooMany);
    }
    let furthest = today + Duration::days(HARD_MAX_SPAN_DAYS.into());
    let mut sum: i64 = 0;
    for (i, it) in instalments.iter().enumerate() {
        let number = i + 1;
        if it.date < today {
            return Err(PlanError::Past(number));
        }
        if i > 0 && it.date <= instalments[i - 1].date {
            return Err(PlanError::NotInOrder(number));
        }
        if it.date > furthest {
            return Err(PlanError::TooFar(number));
        }
        if it.amount <= 0 {
            return Err(PlanError::NotPositive(number));
        }
        sum = sum.saturating_add(it.amount);
    }
    if sum != balance {
        return Err(PlanError::DoNotAddUp {
            sum,
            total: balance,
        });
    }
    let mut outside = Vec::new();
    if n > rules.max_count as usize {
        outside.push(Outside::Count {
            max: rules.max_count,
        });
    }
    if instalments.iter().any(|i| i.amount < rules.min_instalment) {
        outside.push(Outside::Instalment {
            min: rules.min_instalment,
        });
    }
    if instalments[n - 1].date > today + Duration::days(rules.max_span_days.into()) {
        outside.push(Outside::Span {
            max_days: rules.max_span_days,
        });
    }
    Ok(outside)
}

/// The invoice as a new plan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    pub status: &'a str,
    pub balance: i64,
    pub open_dispute: bool,
    /// The company stopped plans for this customer (a reminder step's
    /// `stop_payment_plans`, or by hand).
    pub plans_blocked: bool,
    /// A plan is proposed or active on the invoice.
    pub live_plan: bool,
    /// A promise or plan on the invoice broke and no agent agreed since.
    pub needs_approval: bool,
    /// An automatic payment is scheduled on the invoice.
    pub scheduled: bool,
}

/// Why a customer cannot propose a plan; each has a stable error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the invoice is {0}: there is nothing to split")]
    NotOpen(&'static str),
    #[error("the invoice is in dispute: the dispute is settled first")]
    Disputed,
    #[error("instalment plans are not available for this account; please contact the company")]
    Blocked,
    #[error("the invoice already has an instalment plan")]
    InPlan,
    #[error("an automatic payment is scheduled on this invoice; cancel it first")]
    Scheduled,
    #[error(
        "an earlier payment date on this invoice was missed; the company must agree to a new one"
    )]
    NeedsApproval,
}

impl Refusal {
    pub fn code(self) -> crate::ErrorCode {
        use crate::ErrorCode;
        match self {
            Refusal::NotOpen(_) => ErrorCode::InvoiceNotOpen,
            Refusal::Disputed => ErrorCode::InvoiceDisputed,
            Refusal::Blocked => ErrorCode::PaymentPlansBlocked,
            Refusal::InPlan => ErrorCode::InvoiceInPlan,
            Refusal::Scheduled => ErrorCode::PaymentScheduled,
            Refusal::NeedsApproval => ErrorCode::PromiseNeedsApproval,
        }
    }
}

/// Whether the customer may propose a plan for the invoice at all.
pub fn may_propose(f: &Facts<'_>) -> Result<(), Refusal> {
    match f.status {
        "open" if f.balance > 0 => {}
        "open" | "paid" => return Err(Refusal::NotOpen("paid")),
        "void" => return Err(Refusal::NotOpen("void")),
        _ => return Err(Refusal::NotOpen("not open")),
    }
    if f.open_dispute {
        return Err(Refusal::Disputed);
    }
    if f.plans_blocked {
        return Err(Refusal::Blocked);
    }
    if f.live_plan {
        return Err(Refusal::InPlan);
    }
    if f.scheduled {
        return Err(Refusal::Scheduled);
    }
    if f.needs_approval {
        return Err(Refusal::NeedsApproval);
    }
    Ok(())
}

/// The terms the customer agrees to, in their language (`locale`: French
/// for `fr…`, Arabic for `ar…`, English otherwise), word for word the same
/// in the portal (before they agree) and on record (after): plain text, ISO
/// dates, amounts in the currency's decimals.
pub fn terms(
    locale: &str,
    company: &str,
    numbers: &[String],
    currency: crate::Currency,
    instalments: &[Instalment],
    grace_days: u32,
) -> String {
    let amount = |minor: i64| {
        format!(
            "{} {}",
            crate::money::format_minor(minor, currency.exponent()),
            currency.code()
        )
    };
    let total: i64 = instalments.iter().map(|i| i.amount).sum();
    let lines: Vec<String> = instalments
        .iter()
        .enumerate()
        .map(|(k, i)| format!("{}. {}: {}", k + 1, i.date, amount(i.amount)))
        .collect();
    let (total, n, lines) = (amount(total), instalments.len(), lines.join("; "));
    let lang = locale.get(..2).unwrap_or("").to_ascii_lowercase();
    // "invoice A", or "invoices A, B and C" (a plan over the whole overdue
    // balance).
    let list = |comma: &str, and: &str| match numbers {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}{and}{last}", rest.join(comma)),
    };
    let several = numbers.len() > 1;
    match lang.as_str() {
        "fr" => format!(
            "J’accepte de payer à {company} {total} pour {} en {n} échéances, \
             chacune à sa date : {lines}. Si une échéance reste impayée plus de {grace_days} jours \
             après sa date, l’échéancier prend fin, les relances reprennent pour tout le solde et \
             de nouvelles dates demandent l’accord de l’entreprise.",
            if several {
                format!("les factures {}", list(", ", " et "))
            } else {
                format!("la facture {}", list("", ""))
            }
        ),
        "ar" => format!(
            "أوافق على أن أدفع إلى {company} مبلغ {total} عن {} على {n} أقساط، \
             كل قسط في تاريخه: {lines}. إذا بقي قسط غير مدفوع أكثر من {grace_days} أيام بعد \
             تاريخه، تنتهي الخطة وتُستأنف التذكيرات بالرصيد كله ولا تُقبل تواريخ جديدة إلا بموافقة الشركة.",
            if several {
                format!("الفواتير {}", list("، ", " و"))
            } else {
                format!("الفاتورة {}", list("", ""))
            }
        ),
        _ => format!(
            "I agree to pay {company} {total} for {} in {n} instalments, each by its \
             date: {lines}. If an instalment is still unpaid more than {grace_days} days after its \
             date, the plan ends, reminders for the whole balance resume and new dates need the \
             company's agreement.",
            if several {
                format!("invoices {}", list(", ", " and "))
            } else {
                format!("invoice {}", list("", ""))
            }
        ),
    }
}

/// `total` split into `n` instalments that differ by at most one minor
/// unit, the larger ones first, adding up to `total` exactly.
pub fn even_split(total: i64, n: u32) -> Vec<i64> {
    let n = i64::from(n.max(1));
    let (base, rest) = (total.div_euclid(n), total.rem_euclid(n));
    (0..n).map(|i| base + i64::from(i < rest)).collect()
}

/// Suggested dates: the first, then the same day of each following month
/// (the month's last day where it is shorter).
pub fn monthly_dates(first: NaiveDate, n: u32) -> Vec<NaiveDate> {
    (0..n).map(|k| add_months(first, k)).collect()
}

fn add_months(d: NaiveDate, k: u32) -> NaiveDate {
    let months = d.month0() + k;
    let (y, m) = (d.year() + (months / 12) as i32, months % 12 + 1);
    (1..=d.day())
        .rev()
        .find_map(|day| NaiveDate::from_ymd_opt(y, m, day))
        .unwrap_or(d)
}

/// How many instalments the payments since the plan began (`paid`) cover.
pub fn met(instalments: &[Instalment], paid: i64) -> usize {
    let mut due = 0i64;
    instalments
        .iter()
        .take_while(|i| {
            due += i.amount;
            paid >= due
        })
        .count()
}

/// The first instalment not covered yet: its index and what is left of it.
pub fn next_due(instalments: &[Instalment], paid: i64) -> Option<(usize, i64)> {
    let k = met(instalments, paid);
    let due_through: i64 = instalments.iter().take(k + 1).map(|i| i.amount).sum();
    instalments.get(k).map(|_| (k, due_through - paid.max(0)))
}

/// The instalments not covered yet by `paid`, each with what is left of it.
pub fn still_owed(instalments: &[Instalment], paid: i64) -> Vec<Instalment> {
    let mut covered = paid.max(0);
    instalments
        .iter()
        .filter_map(|i| {
            let take = covered.min(i.amount);
            covered -= take;
            (i.amount > take).then_some(Instalment {
                date: i.date,
                amount: i.amount - take,
            })
        })
        .collect()
}

/// How a live plan stands on `today` (the customer's date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Paid in full.
    Completed,
    /// An instalment is unpaid past its date and the grace days.
    Broken { instalment: usize },
    /// On track.
    OnTrack,
}

/// Whether the plan is completed, broken or on track.
pub fn standing(
    instalments: &[Instalment],
    paid: i64,
    grace_days: u32,
    today: NaiveDate,
) -> Standing {
    let total: i64 = instalments.iter().map(|i| i.amount).sum();
    if paid >= total {
        return Standing::Completed;
    }
    match next_due(instalments, paid) {
        Some((k, _)) if today > instalments[k].date + Duration::days(grace_days.into()) => {
            Standing::Broken { instalment: k }
        }
        _ => Standing::OnTrack,
    }
}

mod balance;
pub use balance::{Candidate, Member, allocate, ending, whole_balance};

#[cfg(test)]
mod tests;
