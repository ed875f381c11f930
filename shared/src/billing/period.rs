//! Billing periods aligned on an organization's cut-off day.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// How often a plan is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Month,
    Quarter,
    Year,
}

impl Interval {
    /// Calendar months in one period.
    pub fn months(self) -> u32 {
        match self {
            Interval::Month => 1,
            Interval::Quarter => 3,
            Interval::Year => 12,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Quarter => "quarter",
            Interval::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "month" => Some(Interval::Month),
            "quarter" => Some(Interval::Quarter),
            "year" => Some(Interval::Year),
            _ => None,
        }
    }
}

/// The first and last cut-off days an organization may choose.
pub const CUTOFF_DAYS: std::ops::RangeInclusive<u32> = 1..=31;

/// Days in a calendar month.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("a month of the calendar");
    let next = first + Months::new(1);
    (next - first).num_days() as u32
}

/// The cut-off date in a month: `cutoff_day`, or the month's last day when
/// the month is shorter.
pub fn cutoff_in(year: i32, month: u32, cutoff_day: u32) -> NaiveDate {
    let day = cutoff_day.clamp(1, days_in_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day).expect("a day within the month")
}

/// Whether `date` is a cut-off date.
pub fn is_cutoff(date: NaiveDate, cutoff_day: u32) -> bool {
    cutoff_in(date.year(), date.month(), cutoff_day) == date
}

/// The cut-off date `months` calendar months after the month of `date`
/// (negative: before). Computed from the cut-off day, never from `date`'s
/// day, so a 31st that became a 28th goes back to the 31st.
pub fn shift(date: NaiveDate, months: i32, cutoff_day: u32) -> NaiveDate {
    let index = date.year() * 12 + date.month0() as i32 + months;
    cutoff_in(
        index.div_euclid(12),
        index.rem_euclid(12) as u32 + 1,
        cutoff_day,
    )
}

/// The first cut-off date on or after `date`.
pub fn cutoff_on_or_after(date: NaiveDate, cutoff_day: u32) -> NaiveDate {
    let this = cutoff_in(date.year(), date.month(), cutoff_day);
    if this >= date {
        this
    } else {
        shift(date, 1, cutoff_day)
    }
}

/// A billing period: from `start` (included) to `end` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// Days in the period.
    pub fn days(&self) -> u32 {
        (self.end - self.start).num_days() as u32
    }

    /// The day of the period `date` falls on, counted from 0, clamped to
    /// the period.
    pub fn day_of(&self, date: NaiveDate) -> u32 {
        let d = (date - self.start)
            .num_days()
            .clamp(0, i64::from(self.days()));
        d as u32
    }

    /// The last day in the period (its end is excluded).
    pub fn last_day(&self) -> NaiveDate {
        self.end.pred_opt().unwrap_or(self.end)
    }
}

/// What a subscription bills next, from `from` (its start, or the end of
/// the last billed period).
///
/// - On a cut-off date: a whole period of `interval`, to the cut-off date
///   that many months later.
/// - Between cut-off dates (a subscription starting mid-period): a part,
///   from `from` to the next cut-off date, priced as a share of the whole
///   period that ends there (`full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextBill {
    /// The days billed.
    pub billed: Period,
    /// The whole period `billed` is part of; equal to it unless partial.
    pub full: Period,
}

impl NextBill {
    pub fn is_partial(&self) -> bool {
        self.billed != self.full
    }
}

/// The next period a subscription bills from `from`.
pub fn next_bill(from: NaiveDate, cutoff_day: u32, interval: Interval) -> NextBill {
    let months = interval.months() as i32;
    if is_cutoff(from, cutoff_day) {
        let full = Period {
            start: from,
            end: shift(from, months, cutoff_day),
        };
        return NextBill { billed: full, full };
    }
    let end = cutoff_on_or_after(from, cutoff_day);
    NextBill {
        billed: Period { start: from, end },
        full: Period {
            start: shift(end, -months, cutoff_day),
            end,
        },
    }
}

/// The period of `interval` that contains `date`, for a subscription whose
/// billed periods end on cut-off dates; `period_end` is the end of the
/// period being billed now (the subscription's current period).
pub fn current(period_end: NaiveDate, cutoff_day: u32, interval: Interval) -> Period {
    Period {
        start: shift(period_end, -(interval.months() as i32), cutoff_day),
        end: period_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_month_end_cutoff_falls_on_the_last_day_of_short_months() {
        assert_eq!(cutoff_in(2027, 2, 31), d("2027-02-28"));
        assert_eq!(cutoff_in(2028, 2, 31), d("2028-02-29"));
        assert_eq!(cutoff_in(2027, 4, 31), d("2027-04-30"));
        assert_eq!(cutoff_in(2027, 1, 31), d("2027-01-31"));
        // And it goes back to the 31st after a short month.
        assert_eq!(shift(d("2027-02-28"), 1, 31), d("2027-03-31"));
        assert_eq!(shift(d("2027-01-31"), 1, 31), d("2027-02-28"));
        assert_eq!(shift(d("2027-01-15"), -1, 15), d("2026-12-15"));
    }

    #[test]
    fn monthly_periods_at_the_31st_run_through_february() {
        let jan = next_bill(d("2027-01-31"), 31, Interval::Month);
        assert!(!jan.is_partial());
        assert_eq!(jan.billed.end, d("2027-02-28"));
        assert_eq!(jan.billed.days(), 28);
        let feb = next_bill(jan.billed.end, 31, Interval::Month);
        assert_eq!(feb.billed.end, d("2027-03-31"));
        assert_eq!(feb.billed.days(), 31);
    }

    #[test]
    fn a_leap_day_is_a_cutoff_date_only_in_leap_years() {
        assert!(is_cutoff(d("2028-02-29"), 29));
        assert!(is_cutoff(d("2027-02-28"), 29));
        assert!(!is_cutoff(d("2028-02-28"), 29));
        let y = next_bill(d("2028-02-29"), 29, Interval::Year);
        assert_eq!(y.billed.end, d("2029-02-28"));
        assert_eq!(y.billed.days(), 365);
        let next = next_bill(y.billed.end, 29, Interval::Year);
        assert_eq!(next.billed.end, d("2030-02-28"));
        // A leap year's February period has 29 days.
        let feb = next_bill(d("2028-01-29"), 29, Interval::Month);
        assert_eq!((feb.billed.end, feb.billed.days()), (d("2028-02-29"), 31));
        let feb = next_bill(d("2028-02-29"), 29, Interval::Month);
        assert_eq!((feb.billed.end, feb.billed.days()), (d("2028-03-29"), 29));
    }

    #[test]
    fn a_start_between_cutoffs_bills_the_part_to_the_next_cutoff() {
        let b = next_bill(d("2027-03-10"), 1, Interval::Month);
        assert!(b.is_partial());
        assert_eq!(
            b.billed,
            Period {
                start: d("2027-03-10"),
                end: d("2027-04-01")
            }
        );
        assert_eq!(
            b.full,
            Period {
                start: d("2027-03-01"),
                end: d("2027-04-01")
            }
        );
        assert_eq!((b.billed.days(), b.full.days()), (22, 31));
        // Quarterly: the part runs to the next cut-off date, and the whole
        // periods then run three months at a time from there.
        let q = next_bill(d("2027-02-20"), 15, Interval::Quarter);
        assert_eq!(
            q.billed,
            Period {
                start: d("2027-02-20"),
                end: d("2027-03-15")
            }
        );
        assert_eq!(q.full.start, d("2026-12-15"));
        assert_eq!(
            next_bill(q.billed.end, 15, Interval::Quarter).billed.end,
            d("2027-06-15")
        );
    }

    #[test]
    fn the_current_period_ends_where_billing_got_to() {
        let p = current(d("2027-03-31"), 31, Interval::Month);
        assert_eq!(
            p,
            Period {
                start: d("2027-02-28"),
                end: d("2027-03-31")
            }
        );
        assert_eq!(p.day_of(d("2027-03-01")), 1);
        assert_eq!(p.day_of(d("2027-05-01")), 31);
        assert_eq!(p.last_day(), d("2027-03-30"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn date() -> impl Strategy<Value = NaiveDate> {
            (0i64..3650).prop_map(|n| d("2026-01-01") + chrono::Days::new(n as u64))
        }

        fn interval() -> impl Strategy<Value = Interval> {
            prop_oneof![
                Just(Interval::Month),
                Just(Interval::Quarter),
                Just(Interval::Year)
            ]
        }

        proptest! {
            /// Successive periods tile the calendar: each starts where the
            /// last ended, each ends on a cut-off date, none is empty, and
            /// only the first can be partial.
            #[test]
            fn periods_tile_the_calendar(start in date(), cutoff in 1u32..=31, iv in interval()) {
                let mut from = start;
                for n in 0..30 {
                    let b = next_bill(from, cutoff, iv);
                    prop_assert_eq!(b.billed.start, from);
                    prop_assert!(b.billed.end > from);
                    prop_assert!(is_cutoff(b.billed.end, cutoff));
                    prop_assert!(b.full.start <= b.billed.start && b.full.end == b.billed.end);
                    prop_assert!(n == 0 || !b.is_partial());
                    let days = b.full.days();
                    let (lo, hi) = match iv {
                        Interval::Month => (28, 31),
                        Interval::Quarter => (89, 92),
                        Interval::Year => (365, 366),
                    };
                    prop_assert!((lo..=hi).contains(&days), "{days} days");
                    from = b.billed.end;
                }
            }

            #[test]
            fn a_cutoff_date_is_found_from_any_day(day in date(), cutoff in 1u32..=31) {
                let c = cutoff_on_or_after(day, cutoff);
                prop_assert!(c >= day && is_cutoff(c, cutoff));
                prop_assert!((c - day).num_days() <= 31);
                prop_assert_eq!(shift(shift(c, 1, cutoff), -1, cutoff), c);
            }
        }
    }
}
