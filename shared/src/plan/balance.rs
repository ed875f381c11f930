//! A plan over the customer's whole overdue balance in one currency: which
//! invoices it covers, how each payment towards it is spread over them
//! (the oldest due first), and how a plan over several invoices ends.

use super::{Facts, Standing, may_propose};
use crate::pay_all::MAX_PAY_TOGETHER;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An invoice a plan covers, with what was left on it when asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub number: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// Minor units of the plan's currency.
    pub balance: i64,
}

/// One of the customer's open invoices, as the whole-balance rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub number: &'a str,
    pub currency: &'a str,
    pub due_date: NaiveDate,
    pub facts: Facts<'a>,
}

/// The invoices a plan over the whole overdue balance covers, asked from
/// the invoice `anchor`: the anchor, and each other invoice in its currency
/// that is overdue on `today` and could have a plan of its own (not in
/// dispute, in a plan, scheduled or waiting for an agent), the oldest due
/// first, at most [`MAX_PAY_TOGETHER`] (a payment's allocation names each).
/// Empty when the anchor itself cannot have a plan; one member only when
/// nothing else is overdue (the choice is then not offered).
pub fn whole_balance(anchor: &str, candidates: &[Candidate<'_>], today: NaiveDate) -> Vec<Member> {
    let Some(first) = candidates
        .iter()
        .find(|c| c.id == anchor && may_propose(&c.facts).is_ok())
    else {
        return Vec::new();
    };
    let mut others: Vec<&Candidate<'_>> = candidates
        .iter()
        .filter(|c| {
            c.id != anchor
                && c.currency == first.currency
                && c.due_date < today
                && may_propose(&c.facts).is_ok()
        })
        .collect();
    crate::sort::sort_by(&mut others, |a, b| {
        (a.due_date, a.number, a.id).cmp(&(b.due_date, b.number, b.id))
    });
    others.truncate(MAX_PAY_TOGETHER - 1);
    others.push(first);
    crate::sort::sort_by(&mut others, |a, b| {
        (a.due_date, a.number, a.id).cmp(&(b.due_date, b.number, b.id))
    });
    others
        .into_iter()
        .map(|c| Member {
            id: c.id.to_owned(),
            number: c.number.to_owned(),
            due_date: c.due_date.to_string(),
            balance: c.facts.balance,
        })
        .collect()
}

/// How `amount` is spread over invoices with these balances (in the order
/// given: the oldest due first): each takes what is left on it before the
/// next takes anything. What is beyond them all is not placed.
pub fn allocate(balances: &[i64], amount: i64) -> Vec<i64> {
    let mut left = amount.max(0);
    balances
        .iter()
        .map(|b| {
            let take = left.min((*b).max(0));
            left -= take;
            take
        })
        .collect()
}

/// How a live plan ends, if it does: `Some(("cancelled", …))` when one of
/// its invoices was voided (the plan's dates no longer add up),
/// `Some(("completed", …))` when none is left open or the payments cover
/// it, `Some(("broken", …))` when an instalment was missed; `None` while on
/// track. The second part is the audit action.
pub fn ending(
    open: usize,
    void: usize,
    standing: Standing,
) -> Option<(&'static str, &'static str)> {
    if void > 0 {
        return Some(("cancelled", "plan.cancelled"));
    }
    if open == 0 {
        return Some(("completed", "plan.completed"));
    }
    match standing {
        Standing::Completed => Some(("completed", "plan.completed")),
        Standing::Broken { .. } => Some(("broken", "plan.broken")),
        Standing::OnTrack => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn open(balance: i64) -> Facts<'static> {
        Facts {
            status: "open",
            balance,
            open_dispute: false,
            plans_blocked: false,
            live_plan: false,
            needs_approval: false,
            scheduled: false,
        }
    }

    fn cand<'a>(id: &'a str, currency: &'a str, due: &str, facts: Facts<'a>) -> Candidate<'a> {
        Candidate {
            id,
            number: id,
            currency,
            due_date: d(due),
            facts,
        }
    }

    const TODAY: &str = "2026-12-04";

    #[test]
    fn the_whole_balance_is_the_overdue_invoices_of_the_anchors_currency_oldest_first() {
        let c = [
            cand("now", "EUR", "2026-12-20", open(5000)),
            cand("old", "EUR", "2026-10-01", open(3000)),
            cand("usd", "USD", "2026-09-01", open(9000)),
            cand("mid", "EUR", "2026-11-01", open(2000)),
            cand(
                "disputed",
                "EUR",
                "2026-11-02",
                Facts {
                    open_dispute: true,
                    ..open(100)
                },
            ),
            cand(
                "planned",
                "EUR",
                "2026-11-03",
                Facts {
                    live_plan: true,
                    ..open(100)
                },
            ),
            cand(
                "scheduled",
                "EUR",
                "2026-11-04",
                Facts {
                    scheduled: true,
                    ..open(100)
                },
            ),
            cand("due_today", "EUR", TODAY, open(100)),
        ];
        let m = whole_balance("now", &c, d(TODAY));
        let ids: Vec<&str> = m.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["old", "mid", "now"]);
        assert_eq!(m.iter().map(|m| m.balance).sum::<i64>(), 10_000);
        // An anchor that cannot have a plan gives nothing.
        assert!(whole_balance("disputed", &c, d(TODAY)).is_empty());
        // Alone when nothing else is overdue.
        assert_eq!(whole_balance("usd", &c, d(TODAY)).len(), 1);
    }

    #[test]
    fn at_most_ten_invoices_and_always_the_anchor() {
        let ids: Vec<String> = (0..15).map(|k| format!("inv_{k:02}")).collect();
        let mut c: Vec<Candidate<'_>> = ids
            .iter()
            .enumerate()
            .map(|(k, id)| {
                cand(
                    id,
                    "EUR",
                    &format!("2026-{:02}-01", 1 + k % 11),
                    open(100 + k as i64),
                )
            })
            .collect();
        c.push(cand("anchor", "EUR", "2027-01-01", open(1)));
        let m = whole_balance("anchor", &c, d(TODAY));
        assert_eq!(m.len(), MAX_PAY_TOGETHER);
        assert!(m.iter().any(|m| m.id == "anchor"));
        assert!(m.windows(2).all(|w| w[0].due_date <= w[1].due_date));
    }

    #[test]
    fn a_payment_settles_the_oldest_first() {
        assert_eq!(allocate(&[3000, 2000, 5000], 4000), [3000, 1000, 0]);
        assert_eq!(allocate(&[3000, 2000], 9000), [3000, 2000]);
        assert_eq!(allocate(&[3000, 0, 2000], 3500), [3000, 0, 500]);
        assert_eq!(allocate(&[], 10), Vec::<i64>::new());
    }

    #[test]
    fn a_plan_over_several_invoices_ends_with_them() {
        let on = Standing::OnTrack;
        assert_eq!(ending(2, 0, on), None);
        assert_eq!(ending(0, 0, on), Some(("completed", "plan.completed")));
        assert_eq!(ending(1, 1, on), Some(("cancelled", "plan.cancelled")));
        assert_eq!(
            ending(1, 0, Standing::Broken { instalment: 1 }),
            Some(("broken", "plan.broken"))
        );
        assert_eq!(
            ending(1, 0, Standing::Completed),
            Some(("completed", "plan.completed"))
        );
    }

    proptest! {
        /// Every part fits its invoice, the parts add up to the payment (or
        /// to the whole balance when it is more), and a later invoice gets
        /// something only when every earlier one is settled.
        #[test]
        fn allocation_fills_in_order_and_adds_up(
            balances in proptest::collection::vec(0i64..1_000_000, 0..12),
            amount in 0i64..12_000_000,
        ) {
            let parts = allocate(&balances, amount);
            prop_assert_eq!(parts.len(), balances.len());
            let total: i64 = balances.iter().sum();
            prop_assert_eq!(parts.iter().sum::<i64>(), amount.min(total));
            for (k, (p, b)) in parts.iter().zip(&balances).enumerate() {
                prop_assert!(*p >= 0 && p <= b);
                if *p > 0 {
                    prop_assert!(parts[..k].iter().zip(&balances[..k]).all(|(p, b)| p == b));
                }
            }
        }

        /// Paying a plan's instalments one by one, each spread with
        /// `allocate` over what is left, settles every invoice exactly when
        /// the plan is paid.
        #[test]
        fn instalments_spread_one_by_one_settle_every_invoice(
            balances in proptest::collection::vec(1i64..500_000, 1..10),
            n in 2u32..12,
        ) {
            let total: i64 = balances.iter().sum();
            let mut left = balances.clone();
            for part in super::super::even_split(total, n) {
                let spread = allocate(&left, part);
                prop_assert_eq!(spread.iter().sum::<i64>(), part);
                for (l, s) in left.iter_mut().zip(spread) {
                    *l -= s;
                }
            }
            prop_assert!(left.iter().all(|l| *l == 0));
        }
    }
}
