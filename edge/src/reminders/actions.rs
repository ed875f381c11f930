//! What a sent step's actions do: the late fee, the flag for agents,
//! stopping self-service plans. The worker writes these once, after the
//! step's email is sent.

use settle_shared::decimal::Milli;
use settle_shared::money::round_div;
use settle_shared::reminders::StepAction;

/// One action's effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionEffect {
    /// A line added to the invoice, raising its total.
    LateFee { amount: i64, description: String },
    /// The account goes on the agents' list with this reason.
    Flag { reason: String },
    /// The customer may no longer start self-service payment plans.
    StopPaymentPlans,
}

/// The late fee on `balance` (minor units) at `percent` (thousandths of a
/// percent: 1.5 % is 1500), rounded half away from zero; nothing on a
/// balance of zero or less.
pub fn late_fee(balance: i64, percent: Milli) -> i64 {
    if balance <= 0 {
        return 0;
    }
    round_div(i128::from(balance) * i128::from(percent.0), 100_000) as i64
}

/// The effects of a step's actions on an invoice with `balance` due. The
/// late fee needs the organization's percentage; without one (or on a fee
/// that rounds to nothing) it does nothing. Each action counts once.
pub fn effects(
    actions: &[StepAction],
    late_fee_percent: Option<Milli>,
    balance: i64,
    offset_days: i64,
    invoice_number: &str,
) -> Vec<ActionEffect> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for a in actions {
        if seen.contains(a) {
            continue;
        }
        seen.push(*a);
        match a {
            StepAction::LateFee => {
                let Some(percent) = late_fee_percent else {
                    continue;
                };
                let amount = late_fee(balance, percent);
                if amount > 0 {
                    out.push(ActionEffect::LateFee {
                        amount,
                        description: format!("Late fee ({percent}%)"),
                    });
                }
            }
            StepAction::FlagAccount => out.push(ActionEffect::Flag {
                reason: format!("Reminder {offset_days:+} days on invoice {invoice_number}"),
            }),
            StepAction::StopPaymentPlans => out.push(ActionEffect::StopPaymentPlans),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_late_fee_is_a_rounded_share_of_the_balance() {
        assert_eq!(late_fee(100_000, Milli(1_500)), 1_500);
        assert_eq!(
            late_fee(333, Milli(1_500)),
            5,
            "4.995 rounds half away from zero"
        );
        assert_eq!(late_fee(0, Milli(1_500)), 0);
        assert_eq!(late_fee(-10, Milli(1_500)), 0);
    }

    #[test]
    fn actions_give_their_effects_once() {
        let e = effects(
            &[
                StepAction::LateFee,
                StepAction::FlagAccount,
                StepAction::LateFee,
            ],
            Some(Milli(2_000)),
            50_000,
            14,
            "NW-1001",
        );
        assert_eq!(
            e,
            vec![
                ActionEffect::LateFee {
                    amount: 1_000,
                    description: "Late fee (2%)".into()
                },
                ActionEffect::Flag {
                    reason: "Reminder +14 days on invoice NW-1001".into()
                }
            ]
        );
        assert!(effects(&[StepAction::LateFee], None, 50_000, 14, "NW-1").is_empty());
        assert_eq!(
            effects(&[StepAction::StopPaymentPlans], None, 0, -3, "NW-1"),
            vec![ActionEffect::StopPaymentPlans]
        );
    }
}
