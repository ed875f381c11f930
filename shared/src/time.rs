//! Timestamps on the wire are RFC 3339 in UTC with `Z`; dates are `YYYY-MM-DD`.

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};

/// Formats a millisecond Unix timestamp as `2026-11-26T14:10:13Z`.
pub fn rfc3339_from_millis(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The UTC date-time of a millisecond Unix timestamp.
pub fn datetime_from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Parses `YYYY-MM-DD` strictly (by hand: chrono's format strings would
/// bring their whole parser into the worker for this one shape).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_z() {
        assert_eq!(rfc3339_from_millis(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_from_millis(1_795_000_000_123),
            "2026-11-18T11:06:40Z"
        );
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2026-02-28").is_some());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("2026-2-3").is_none());
        assert!(parse_date("26-02-03T").is_none());
        assert!(parse_date("+026-02-03").is_none());
        assert!(parse_date("2026-0a-03").is_none());
        assert!(parse_date("2026/02/03").is_none());
        assert_eq!(
            parse_date("0001-01-01"),
            chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        );
    }
}
