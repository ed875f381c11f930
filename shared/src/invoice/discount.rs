//! Early-payment discounts: terms such as "2 % off if paid within 10 days"
//! on an invoice, the offer they make on a given day, and how much of a
//! payment's discount the books allow.
//!
//! The offer is on the whole total, for a first payment in full: paid by
//! the last day (the issue date plus the days, in the customer's time zone),
//! the customer pays the total less the discount, and the ledger books the
//! discount as an allowance so the invoice closes at zero. A Checkout
//! session opened while the offer stood carries its discount, so paying it
//! after the last day is still honoured.

use crate::money::round_div;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// The invoice's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyPayment {
    /// The discount in basis points of the total: 200 is 2 %.
    pub basis_points: u32,
    /// Days after the issue date the offer stands (the last day included).
    pub days: u32,
}

/// The most a discount may be: 50 %.
pub const MAX_BASIS_POINTS: u32 = 5000;
/// The longest an offer may stand.
pub const MAX_DAYS: u32 = 120;

impl EarlyPayment {
    /// The terms as a company may set them.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=MAX_BASIS_POINTS).contains(&self.basis_points) {
            return Err((
                "early_payment.basis_points",
                format!("must be from 1 to {MAX_BASIS_POINTS} (0.01 % to 50 %)"),
            ));
        }
        if !(1..=MAX_DAYS).contains(&self.days) {
            return Err((
                "early_payment.days",
                format!("must be from 1 to {MAX_DAYS} days"),
            ));
        }
        Ok(())
    }
}

/// What the terms offer today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The last day the discounted amount may be paid.
    pub until: NaiveDate,
    /// Taken off the total, in minor units.
    pub discount: i64,
    /// What the customer pays instead of the total.
    pub pay: i64,
}

/// The offer on `today` (the customer's date): while the terms stand and
/// nothing has been paid or credited yet.
pub fn offer(
    terms: &EarlyPayment,
    issue_date: NaiveDate,
    today: NaiveDate,
    total: i64,
    amount_paid: i64,
) -> Option<Offer> {
    let until = issue_date + Duration::days(terms.days.into());
    if today > until || amount_paid != 0 || total <= 0 {
        return None;
    }
    let discount = round_div(i128::from(total) * i128::from(terms.basis_points), 10_000) as i64;
    (discount > 0 && discount < total).then_some(Offer {
        until,
        discount,
        pay: total - discount,
    })
}

/// The allowance the books grant with a payment of `paid` that came with a
/// `discount` when `due` was owed: the discount when the two together settle
/// what is due exactly, otherwise nothing (a payment that does not match
/// what was offered is booked as it is).
pub fn allowance(discount: i64, paid: i64, due: i64) -> i64 {
    if discount > 0 && paid > 0 && paid.checked_add(discount) == Some(due) {
        discount
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TWO_IN_TEN: EarlyPayment = EarlyPayment {
        basis_points: 200,
        days: 10,
    };

    #[test]
    fn two_percent_within_ten_days() {
        let o = offer(&TWO_IN_TEN, d("2026-12-01"), d("2026-12-11"), 100_000, 0).unwrap();
        assert_eq!(
            o,
            Offer {
                until: d("2026-12-11"),
                discount: 2000,
                pay: 98_000
            }
        );
        assert_eq!(
            offer(&TWO_IN_TEN, d("2026-12-01"), d("2026-12-12"), 100_000, 0),
            None,
            "the day after"
        );
        assert_eq!(
            offer(&TWO_IN_TEN, d("2026-12-01"), d("2026-12-02"), 100_000, 500),
            None,
            "part paid"
        );
        // Half a minor unit rounds away from zero: 2 % of 125 is 2.5 → 3.
        assert_eq!(
            offer(&TWO_IN_TEN, d("2026-12-01"), d("2026-12-02"), 125, 0)
                .unwrap()
                .discount,
            3
        );
    }

    #[test]
    fn the_allowance_only_settles_exactly() {
        assert_eq!(allowance(2000, 98_000, 100_000), 2000);
        assert_eq!(
            allowance(2000, 100_000, 100_000),
            0,
            "paid in full: no allowance"
        );
        assert_eq!(allowance(2000, 50_000, 100_000), 0, "a part payment");
        assert_eq!(allowance(0, 98_000, 100_000), 0);
    }

    #[test]
    fn terms_are_bounded() {
        assert!(TWO_IN_TEN.validate().is_ok());
        assert_eq!(
            EarlyPayment {
                basis_points: 0,
                days: 10
            }
            .validate()
            .unwrap_err()
            .0,
            "early_payment.basis_points"
        );
        assert_eq!(
            EarlyPayment {
                basis_points: 200,
                days: 121
            }
            .validate()
            .unwrap_err()
            .0,
            "early_payment.days"
        );
    }

    proptest::proptest! {
        /// The discounted payment and its allowance always settle the total
        /// exactly, and the discount is the stated share within half a
        /// minor unit.
        #[test]
        fn pay_and_allowance_settle_the_total(total in 1i64..10_000_000_000, bp in 1u32..=5000) {
            let terms = EarlyPayment { basis_points: bp, days: 10 };
            if let Some(o) = offer(&terms, d("2026-12-01"), d("2026-12-01"), total, 0) {
                proptest::prop_assert_eq!(o.pay + allowance(o.discount, o.pay, total), total);
                let exact = total as f64 * f64::from(bp) / 10_000.0;
                proptest::prop_assert!((o.discount as f64 - exact).abs() <= 0.5 + 1e-6);
            }
        }
    }
}
