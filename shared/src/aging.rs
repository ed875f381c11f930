//! Aging: how overdue an open balance is, in the buckets collections
//! teams read (current, 1–30, 31–60, 61–90, over 90 days past due).

use chrono::NaiveDate;

/// An aging bucket, by days past the due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// Not yet due, or due today.
    Current,
    Days1To30,
    Days31To60,
    Days61To90,
    Over90,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [
        Bucket::Current,
        Bucket::Days1To30,
        Bucket::Days31To60,
        Bucket::Days61To90,
        Bucket::Over90,
    ];

    /// The bucket of a balance due on `due`, as of `as_of`.
    pub fn of(due: NaiveDate, as_of: NaiveDate) -> Bucket {
        match (as_of - due).num_days() {
            ..=0 => Bucket::Current,
            1..=30 => Bucket::Days1To30,
            31..=60 => Bucket::Days31To60,
            61..=90 => Bucket::Days61To90,
            _ => Bucket::Over90,
        }
    }

    /// Its column name in exports.
    pub fn key(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::Days1To30 => "days_1_30",
            Bucket::Days31To60 => "days_31_60",
            Bucket::Days61To90 => "days_61_90",
            Bucket::Over90 => "over_90",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_by_days_past_due() {
        let due = d("2027-01-31");
        for (as_of, b) in [
            ("2027-01-01", Bucket::Current),
            ("2027-01-31", Bucket::Current),
            ("2027-02-01", Bucket::Days1To30),
            ("2027-03-02", Bucket::Days1To30),
            ("2027-03-03", Bucket::Days31To60),
            ("2027-04-01", Bucket::Days31To60),
            ("2027-04-02", Bucket::Days61To90),
            ("2027-05-01", Bucket::Days61To90),
            ("2027-05-02", Bucket::Over90),
        ] {
            assert_eq!(Bucket::of(due, d(as_of)), b, "{as_of}");
        }
    }
}
