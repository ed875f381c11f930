//! The one proration rule.
//!
//! The share of a period's price for days `[0, d)` of an `n`-day period is
//! `price × d / n`, rounded half away from zero ([`crate::money::round_div`]).
//! A part from day `a` to day `b` is the difference of two shares, so the
//! parts of a period always add up to its price exactly (they telescope),
//! and a credit and a charge for the same days cancel.

use super::period::Period;
use crate::money::round_div;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The share of `price` for the first `upto` days of a `days`-day period.
fn share(price: i64, upto: u32, days: u32) -> i64 {
    if days == 0 {
        return price;
    }
    round_div(
        i128::from(price) * i128::from(upto.min(days)),
        i128::from(days),
    ) as i64
}

/// What days `from..to` (counted from 0) of a `days`-day period cost, for a
/// period priced `price` in minor units.
pub fn part(price: i64, from: u32, to: u32, days: u32) -> i64 {
    share(price, to, days) - share(price, from.min(to), days)
}

/// What `billed` costs as a part of `full`, priced `price`.
pub fn of_period(price: i64, billed: Period, full: Period) -> i64 {
    part(
        price,
        full.day_of(billed.start),
        full.day_of(billed.end),
        full.days(),
    )
}

/// A change of what a subscription costs per period, effective on a day of
/// its current period: the credit for the old price's unused days and the
/// charge for the new price's, both for the days from the change to the
/// period's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The old price's unused part, given back (not negative).
    pub credit: i64,
    /// The new price for the same days.
    pub charge: i64,
    /// The days left in the period from the change, and the period's days.
    pub days_left: u32,
    pub days: u32,
}

impl Change {
    /// What the customer owes for the change (negative: what they are owed).
    pub fn net(&self) -> i64 {
        self.charge - self.credit
    }
}

/// The proration of moving from `old_price` to `new_price` per period on
/// `on`, within `period`. A day before the period counts as its first day,
/// a day after it as its end (nothing left).
pub fn change(old_price: i64, new_price: i64, period: Period, on: NaiveDate) -> Change {
    let (days, from) = (period.days(), period.day_of(on));
    Change {
        credit: part(old_price, from, days, days),
        charge: part(new_price, from, days, days),
        days_left: days - from,
        days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn april() -> Period {
        Period {
            start: d("2027-04-01"),
            end: d("2027-05-01"),
        }
    }

    #[test]
    fn a_change_mid_month_credits_and_charges_the_days_left() {
        // 3 seats at 10.00 to 5 seats, on 16 April: 15 of 30 days left.
        let c = change(3000, 5000, april(), d("2027-04-16"));
        assert_eq!((c.credit, c.charge, c.net()), (1500, 2500, 1000));
        assert_eq!((c.days_left, c.days), (15, 30));
        // On the first day: the whole period; on the end: nothing.
        let c = change(3000, 5000, april(), d("2027-04-01"));
        assert_eq!((c.credit, c.charge), (3000, 5000));
        let c = change(3000, 5000, april(), d("2027-05-01"));
        assert_eq!((c.credit, c.charge, c.days_left), (0, 0, 0));
    }

    #[test]
    fn rounding_is_half_away_from_zero_per_share() {
        // 1000 over 3 days: shares 333, 667, 1000 → parts 333, 334, 333.
        assert_eq!(
            [
                part(1000, 0, 1, 3),
                part(1000, 1, 2, 3),
                part(1000, 2, 3, 3)
            ],
            [333, 334, 333]
        );
        // A first partial month: 10 March to 1 April of a 31-day period.
        let full = Period {
            start: d("2027-03-01"),
            end: d("2027-04-01"),
        };
        let billed = Period {
            start: d("2027-03-10"),
            end: d("2027-04-01"),
        };
        assert_eq!(of_period(3100, billed, full), 2200);
        assert_eq!(of_period(3100, full, full), 3100);
    }

    fn period() -> impl Strategy<Value = Period> {
        (0u64..3650, 1u64..400).prop_map(|(s, n)| {
            let start = d("2026-01-01") + chrono::Days::new(s);
            Period {
                start,
                end: start + chrono::Days::new(n),
            }
        })
    }

    proptest! {
        /// A change and its reverse on the same day cost nothing.
        #[test]
        fn a_change_and_its_reverse_cancel(
            a in 0i64..10_000_000_000, b in 0i64..10_000_000_000,
            p in period(), day in 0u64..420,
        ) {
            let on = p.start + chrono::Days::new(day);
            let there = change(a, b, p, on);
            let back = change(b, a, p, on);
            prop_assert_eq!(there.net() + back.net(), 0);
            prop_assert_eq!(change(a, a, p, on).net(), 0);
        }

        /// The prorated parts of a period, cut anywhere, add up to its
        /// price (within one minor unit is the promise; it is exact), and
        /// no part is negative or more than the price.
        #[test]
        fn parts_add_up_to_the_price(
            price in 0i64..10_000_000_000, days in 1u32..400,
            mut cuts in proptest::collection::vec(0u32..400, 0..12),
        ) {
            cuts.retain(|c| *c < days);
            cuts.push(0);
            cuts.push(days);
            crate::sort::sort(&mut cuts);
            cuts.dedup();
            let parts: Vec<i64> = cuts.windows(2).map(|w| part(price, w[0], w[1], days)).collect();
            prop_assert_eq!(parts.iter().sum::<i64>(), price);
            for p in &parts {
                prop_assert!(*p >= 0 && *p <= price);
            }
        }

        /// A later change never credits more than an earlier one.
        #[test]
        fn credit_shrinks_as_the_period_runs(price in 0i64..1_000_000_000, p in period(), a in 0u64..400, b in 0u64..400) {
            let (early, late) = (a.min(b), a.max(b));
            let c1 = change(price, 0, p, p.start + chrono::Days::new(early));
            let c2 = change(price, 0, p, p.start + chrono::Days::new(late));
            prop_assert!(c2.credit <= c1.credit);
        }
    }
}
