//! Which step of a policy is due for an invoice, and when to look again.
//!
//! An invoice carries a cursor: the instant up to which its steps have been
//! dealt with. A step's slot is the window opening on the local day
//! `due_date + offset_days`. At each look, the steps whose slots fall after
//! the cursor and not after now are due; the latest is sent and any earlier
//! ones (missed while nothing ran) are recorded as superseded, so a late
//! cron never sends a burst. The cursor then moves to now. Nothing here
//! depends on the balance, so a partial payment neither skips nor repeats a
//! step: the next one goes out with the amount then due.

use super::window::Window;
use chrono::{Duration, NaiveDate};
use settle_shared::reminders::ReminderStep;

/// A step and the instant it becomes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub step: usize,
    pub at_ms: i64,
}

/// The slots of every step that has one (a window that never opens gives none).
pub fn slots(steps: &[ReminderStep], due: NaiveDate, w: &Window<'_>) -> Vec<Slot> {
    steps
        .iter()
        .enumerate()
        .filter_map(|(step, s)| {
            let day = due + Duration::days(s.offset_days.into());
            w.opening_from(day).map(|at_ms| Slot { step, at_ms })
        })
        .collect()
}

/// When an invoice first needs a look: the first slot after `now`. Steps
/// whose day has passed when the invoice is issued are not sent.
pub fn first_look(
    steps: &[ReminderStep],
    due: NaiveDate,
    w: &Window<'_>,
    now_ms: i64,
) -> Option<i64> {
    slots(steps, due, w)
        .into_iter()
        .map(|s| s.at_ms)
        .filter(|&at| at > now_ms)
        .min()
}

/// What one look at an invoice decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    /// Outside the customer's window: look again when it opens (`None`: it never does).
    Wait { until: Option<i64> },
    /// Inside the window.
    Act {
        /// The step to send now.
        send: Option<usize>,
        /// Earlier due steps that are recorded but not sent.
        superseded: Vec<usize>,
        /// The new cursor.
        cursor: i64,
        /// The next look (`None`: the policy is done).
        next: Option<i64>,
    },
}

/// Looks at an invoice at `now_ms` with its `cursor`.
pub fn look(
    steps: &[ReminderStep],
    due: NaiveDate,
    w: &Window<'_>,
    cursor: i64,
    now_ms: i64,
) -> Look {
    if !w.contains(now_ms) {
        return Look::Wait {
            until: w.next_open(now_ms),
        };
    }
    let all = slots(steps, due, w);
    let mut due_now: Vec<usize> = all
        .iter()
        .filter(|s| s.at_ms > cursor && s.at_ms <= now_ms)
        .map(|s| s.step)
        .collect();
    let send = due_now.pop();
    Look::Act {
        send,
        superseded: due_now,
        cursor: now_ms,
        next: all.iter().map(|s| s.at_ms).filter(|&at| at > now_ms).min(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use settle_shared::reminders::{Tone, WindowSpec};

    fn steps(offsets: &[i32]) -> Vec<ReminderStep> {
        offsets
            .iter()
            .map(|&o| ReminderStep {
                offset_days: o,
                tone: Tone::Friendly,
                template: None,
                actions: vec![],
            })
            .collect()
    }

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    fn weekdays() -> WindowSpec {
        WindowSpec {
            start_min: 540,
            end_min: 1020,
            days: 0b11111,
            holidays: vec![],
        }
    }

    #[test]
    fn steps_land_on_window_openings() {
        let spec = weekdays();
        let w = Window::new(&spec, crate::zone::Zone::parse("Europe/Paris").unwrap());
        let due = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(); // a Friday
        let s = slots(&steps(&[-3, 0, 1, 7]), due, &w);
        assert_eq!(s[0].at_ms, ms("2026-12-01T08:00:00Z"));
        assert_eq!(s[1].at_ms, ms("2026-12-04T08:00:00Z"));
        assert_eq!(
            s[2].at_ms,
            ms("2026-12-07T08:00:00Z"),
            "Saturday waits for Monday"
        );
        assert_eq!(s[3].at_ms, ms("2026-12-11T08:00:00Z"));
    }

    #[test]
    fn a_late_look_sends_only_the_latest_step() {
        let spec = weekdays();
        let w = Window::new(&spec, crate::zone::Zone::utc());
        let due = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let st = steps(&[0, 3, 7]);
        let cursor = ms("2026-11-20T00:00:00Z");
        let now = ms("2026-12-08T10:00:00Z");
        assert_eq!(
            look(&st, due, &w, cursor, now),
            Look::Act {
                send: Some(2),
                superseded: vec![0, 1],
                cursor: now,
                next: None
            }
        );
    }

    #[test]
    fn outside_the_window_it_waits() {
        let spec = weekdays();
        let w = Window::new(&spec, crate::zone::Zone::utc());
        let due = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            look(&steps(&[0]), due, &w, 0, ms("2026-12-01T18:00:00Z")),
            Look::Wait {
                until: Some(ms("2026-12-02T09:00:00Z"))
            }
        );
    }

    #[test]
    fn issuing_late_skips_the_days_gone() {
        let spec = weekdays();
        let w = Window::new(&spec, crate::zone::Zone::utc());
        let due = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let st = steps(&[-3, 0, 3]);
        assert_eq!(
            first_look(&st, due, &w, ms("2026-12-01T10:00:00Z")),
            Some(ms("2026-12-04T09:00:00Z"))
        );
        assert_eq!(first_look(&st, due, &w, ms("2026-12-05T10:00:00Z")), None);
    }
}
