//! The send window in a customer's time zone: when a reminder may go out.
//!
//! All instants are milliseconds since the Unix epoch. Local times that a
//! daylight-saving change skips resolve to the first instant after the gap;
//! local times it repeats resolve to the earlier one. Reminders are keyed
//! by step, never by time, so a repeated hour cannot send twice.

use crate::zone::Zone;
use chrono::{Datelike, Duration, NaiveDate, Timelike};
use settle_shared::reminders::WindowSpec;

/// How far ahead a window is looked for before giving up (a window that
/// never opens, such as only holidays, must not loop forever).
const MAX_DAYS_AHEAD: i64 = 400;

/// A send window resolved for one time zone.
#[derive(Debug, Clone)]
pub struct Window<'a> {
    pub spec: &'a WindowSpec,
    pub tz: Zone,
}

impl<'a> Window<'a> {
    pub fn new(spec: &'a WindowSpec, tz: Zone) -> Self {
        Window { spec, tz }
    }

    /// Whether reminders may go out on this local date at all.
    pub fn allows_day(&self, day: NaiveDate) -> bool {
        let weekday = day.weekday().num_days_from_monday();
        self.spec.days & (1 << weekday) != 0 && self.spec.holidays.binary_search(&day).is_err()
    }

    /// The local date and minute of the day of an instant.
    pub fn local(&self, at_ms: i64) -> (NaiveDate, u16) {
        let t = self.tz.local(at_ms);
        (t.date(), (t.hour() * 60 + t.minute()) as u16)
    }

    /// Whether an instant is inside the window.
    pub fn contains(&self, at_ms: i64) -> bool {
        let (day, minute) = self.local(at_ms);
        self.allows_day(day) && minute >= self.spec.start_min && minute < self.spec.end_min
    }

    /// The first instant of the window on `day`, if the window opens that day.
    fn opening_on(&self, day: NaiveDate) -> Option<i64> {
        if !self.allows_day(day) {
            return None;
        }
        let start = day.and_hms_opt(0, 0, 0)? + Duration::minutes(self.spec.start_min.into());
        let at = self.tz.resolve(&start)?;
        // A window that lies wholly inside a skipped hour does not open.
        self.contains(at).then_some(at)
    }

    /// The first window opening on `day` or later.
    pub fn opening_from(&self, day: NaiveDate) -> Option<i64> {
        (0..MAX_DAYS_AHEAD).find_map(|i| self.opening_on(day + Duration::days(i)))
    }

    /// `at_ms` itself when it is inside the window, otherwise the next time
    /// the window opens.
    pub fn next_open(&self, at_ms: i64) -> Option<i64> {
        if self.contains(at_ms) {
            return Some(at_ms);
        }
        let (day, minute) = self.local(at_ms);
        if minute < self.spec.start_min
            && let Some(at) = self.opening_on(day)
            && at > at_ms
        {
            return Some(at);
        }
        self.opening_from(day + Duration::days(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn spec(start: u16, end: u16, days: u8) -> WindowSpec {
        WindowSpec {
            start_min: start,
            end_min: end,
            days,
            holidays: vec![],
        }
    }

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    fn utc(ms: i64) -> String {
        Utc.timestamp_millis_opt(ms)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn opens_at_nine_local_on_weekdays() {
        let s = spec(540, 1020, 0b11111);
        let w = Window::new(&s, Zone::parse("America/New_York").unwrap());
        // Friday 2026-11-27 09:00 EST is 14:00 UTC.
        assert_eq!(
            utc(w.opening_from(d("2026-11-27")).unwrap()),
            "2026-11-27T14:00:00Z"
        );
        // Saturday moves to Monday.
        assert_eq!(
            utc(w.opening_from(d("2026-11-28")).unwrap()),
            "2026-11-30T14:00:00Z"
        );
        assert!(w.contains(ms("2026-11-27T21:59:00Z")));
        assert!(!w.contains(ms("2026-11-27T22:00:00Z")), "17:00 is closed");
        // After the window on Friday: Monday's opening.
        assert_eq!(
            utc(w.next_open(ms("2026-11-27T23:00:00Z")).unwrap()),
            "2026-11-30T14:00:00Z"
        );
        // Before it: the same day's opening.
        assert_eq!(
            utc(w.next_open(ms("2026-11-27T05:00:00Z")).unwrap()),
            "2026-11-27T14:00:00Z"
        );
    }

    #[test]
    fn daylight_saving_moves_the_utc_time_not_the_local_one() {
        let s = spec(540, 1020, 0b1111111);
        let w = Window::new(&s, Zone::parse("Europe/Paris").unwrap());
        assert_eq!(
            utc(w.opening_from(d("2026-10-24")).unwrap()),
            "2026-10-24T07:00:00Z"
        );
        assert_eq!(
            utc(w.opening_from(d("2026-10-26")).unwrap()),
            "2026-10-26T08:00:00Z"
        );
    }

    #[test]
    fn a_skipped_hour_opens_at_the_end_of_the_gap() {
        // 2026-03-08: New York skips 02:00–03:00.
        let s = spec(150, 300, 0b1111111);
        let w = Window::new(&s, Zone::parse("America/New_York").unwrap());
        assert_eq!(
            utc(w.opening_from(d("2026-03-08")).unwrap()),
            "2026-03-08T07:00:00Z",
            "03:00 EDT"
        );
        // A window wholly inside the gap does not open that day.
        let s = spec(125, 155, 0b1111111);
        let w = Window::new(&s, Zone::parse("America/New_York").unwrap());
        assert_eq!(
            utc(w.opening_from(d("2026-03-08")).unwrap()),
            "2026-03-09T06:05:00Z"
        );
    }

    #[test]
    fn a_repeated_hour_takes_the_first() {
        // 2026-11-01: New York repeats 01:00–02:00.
        let s = spec(90, 120, 0b1111111);
        let w = Window::new(&s, Zone::parse("America/New_York").unwrap());
        assert_eq!(
            utc(w.opening_from(d("2026-11-01")).unwrap()),
            "2026-11-01T05:30:00Z",
            "01:30 EDT, not EST"
        );
    }

    #[test]
    fn holidays_are_skipped_and_a_closed_calendar_gives_up() {
        let mut s = spec(540, 1020, 0b11111);
        s.holidays = vec![d("2026-12-25")];
        let w = Window::new(&s, Zone::utc());
        assert_eq!(
            utc(w.opening_from(d("2026-12-25")).unwrap()),
            "2026-12-28T09:00:00Z"
        );
        assert!(!w.contains(ms("2026-12-25T10:00:00Z")));
        let s = spec(540, 1020, 0);
        assert_eq!(
            Window::new(&s, Zone::utc()).opening_from(d("2026-12-25")),
            None
        );
    }
}
