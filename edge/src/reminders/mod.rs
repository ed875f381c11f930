//! Reminder (dunning) planning: pure rules the cron and the queue consumer
//! apply. [`window`] says when a customer may be written to, [`plan`] which
//! step of a policy is due, [`segment`] which policy applies; this module
//! holds the checks made again just before sending.

pub mod actions;
pub mod plan;
pub mod preferences;
pub mod segment;
pub mod window;

#[cfg(test)]
mod simulation;

use settle_shared::reminders::{ReminderStep, StepAction, Tone};

/// The policy every new organization starts with.
pub fn default_steps() -> Vec<ReminderStep> {
    let step = |offset_days, tone, actions: &[StepAction]| ReminderStep {
        offset_days,
        tone,
        template: None,
        actions: actions.to_vec(),
    };
    vec![
        step(-3, Tone::Friendly, &[]),
        step(0, Tone::Friendly, &[]),
        step(3, Tone::Firm, &[]),
        step(7, Tone::Firm, &[]),
        step(14, Tone::Final, &[StepAction::FlagAccount]),
        step(
            30,
            Tone::Final,
            &[StepAction::FlagAccount, StepAction::StopPaymentPlans],
        ),
    ]
}

/// The deterministic key of one reminder occurrence. Steps are named by
/// their offset, so editing a policy never sends a kept step again.
pub fn occurrence_key(invoice_id: &str, policy_id: &str, offset_days: i32) -> String {
    format!("rem:{invoice_id}:{policy_id}:{offset_days}")
}

/// A time zone by IANA name; UTC for anything unknown (customers are
/// validated on the way in, so this is only a safety net).
pub fn zone(name: &str) -> crate::zone::Zone {
    crate::zone::Zone::or_utc(name)
}

/// Why an occurrence was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Paid,
    Void,
    Disputed,
    Promised,
    /// An instalment plan sets the invoice's dates (it has its own reminders).
    InPlan,
    /// An automatic payment is scheduled (or being made, or retried).
    Scheduled,
    OptedOut,
    AddressFailing,
    /// A later step was due at the same time; only that one is sent.
    Superseded,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Paid => "invoice_paid",
            Skip::Void => "invoice_void",
            Skip::Disputed => "invoice_disputed",
            Skip::Promised => "promise_to_pay",
            Skip::InPlan => "instalment_plan",
            Skip::Scheduled => "scheduled_payment",
            Skip::OptedOut => "customer_opted_out",
            Skip::AddressFailing => "address_failing",
            Skip::Superseded => "superseded",
        }
    }
}

/// The state an occurrence is checked against just before sending.
#[derive(Debug, Clone, Default)]
pub struct Check<'a> {
    pub invoice_status: &'a str,
    pub balance: i64,
    pub open_dispute: bool,
    pub active_promise: bool,
    pub active_plan: bool,
    pub scheduled_payment: bool,
    pub opted_out: bool,
    pub address_failing: bool,
}

/// `Ok` when the reminder may go out; otherwise why not, most specific first.
pub fn recheck(c: &Check<'_>) -> Result<(), Skip> {
    match c.invoice_status {
        "void" => return Err(Skip::Void),
        "paid" => return Err(Skip::Paid),
        _ if c.balance <= 0 => return Err(Skip::Paid),
        _ => {}
    }
    if c.open_dispute {
        return Err(Skip::Disputed);
    }
    if c.active_promise {
        return Err(Skip::Promised);
    }
    if c.active_plan {
        return Err(Skip::InPlan);
    }
    if c.scheduled_payment {
        return Err(Skip::Scheduled);
    }
    if c.opted_out {
        return Err(Skip::OptedOut);
    }
    if c.address_failing {
        return Err(Skip::AddressFailing);
    }
    Ok(())
}

/// The firmest tone of several steps sent together.
pub fn firmest(tones: impl IntoIterator<Item = Tone>) -> Tone {
    tones.into_iter().max().unwrap_or(Tone::Friendly)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid() {
        settle_shared::reminders::validate_steps(&default_steps()).unwrap();
    }

    #[test]
    fn checks_name_the_most_specific_reason() {
        let open = Check {
            invoice_status: "open",
            balance: 100,
            ..Default::default()
        };
        assert_eq!(recheck(&open), Ok(()));
        let paid = Check {
            invoice_status: "paid",
            balance: 0,
            opted_out: true,
            ..Default::default()
        };
        assert_eq!(recheck(&paid), Err(Skip::Paid));
        let disputed = Check {
            open_dispute: true,
            active_promise: true,
            ..open.clone()
        };
        assert_eq!(recheck(&disputed), Err(Skip::Disputed));
        let scheduled = Check {
            scheduled_payment: true,
            ..open.clone()
        };
        assert_eq!(
            recheck(&scheduled).unwrap_err().as_str(),
            "scheduled_payment"
        );
        let bouncing = Check {
            address_failing: true,
            ..open
        };
        assert_eq!(recheck(&bouncing).unwrap_err().as_str(), "address_failing");
        assert_eq!(
            firmest([Tone::Friendly, Tone::Final, Tone::Firm]),
            Tone::Final
        );
    }
}
