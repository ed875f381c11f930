//! Sending or retrying: what becomes of an email after each attempt.
//!
//! The consumer counts an attempt before making it (a crash mid-send still
//! counts), asks the provider, and does what [`after_attempt`] says. A retry
//! resends the stored body under the same idempotency key, so the provider
//! delivers it once whatever was lost on the way.

use super::EmailError;

/// Attempts before an email is given up (a dead letter with its reason).
pub const MAX_ATTEMPTS: i64 = 5;

/// Seconds between attempts: 30 s, 2, 8 and 32 minutes, so that a provider
/// outage of most of an hour loses nothing.
pub const DEFAULT_RETRY_SCHEDULE: [u32; 4] = [30, 120, 480, 1920];

/// What to do with an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The provider has it; `note` says when it already had it.
    Sent { note: Option<String> },
    /// Given up: refused, or out of attempts.
    Failed { reason: String },
    /// Try again after this many seconds.
    Retry { after_secs: u32, reason: String },
}

/// Before an attempt: an email claimed more often than allowed (a worker
/// stopped mid-send again and again) is given up.
pub fn before_attempt(attempts: i64) -> Option<Decision> {
    (attempts > MAX_ATTEMPTS).then(|| Decision::Failed {
        reason: "gave up after repeated errors".into(),
    })
}

/// After attempt number `attempts` (counting from 1) got `answer`.
pub fn after_attempt(attempts: i64, answer: Result<(), EmailError>, schedule: &[u32]) -> Decision {
    match answer {
        Ok(()) => Decision::Sent { note: None },
        Err(EmailError::AlreadyAccepted(note)) => Decision::Sent { note: Some(note) },
        Err(EmailError::Rejected(reason)) => Decision::Failed { reason },
        Err(EmailError::Transient(reason)) if attempts >= MAX_ATTEMPTS => {
            Decision::Failed { reason }
        }
        Err(EmailError::Transient(reason)) => Decision::Retry {
            after_secs: retry_delay(schedule, attempts),
            reason,
        },
    }
}

/// Seconds to wait after `attempts` attempts: the schedule's entry for it,
/// its last entry beyond its end.
pub fn retry_delay(schedule: &[u32], attempts: i64) -> u32 {
    let schedule = if schedule.is_empty() {
        &DEFAULT_RETRY_SCHEDULE[..]
    } else {
        schedule
    };
    let i = usize::try_from(attempts - 1)
        .unwrap_or(0)
        .min(schedule.len() - 1);
    schedule[i]
}

/// A schedule from `EMAIL_RETRY_SCHEDULE`: seconds, comma-separated, each
/// from 1 s to 12 hours. `None` when any part is not.
pub fn parse_schedule(s: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = s
        .split(',')
        .map(|p| p.trim().parse().ok().filter(|d| (1..=43_200).contains(d)))
        .collect();
    parts.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transient() -> Result<(), EmailError> {
        Err(EmailError::Transient("HTTP 503".into()))
    }

    #[test]
    fn a_failing_provider_is_retried_on_schedule_then_given_up() {
        let s = DEFAULT_RETRY_SCHEDULE;
        let delays: Vec<Decision> = (1..=5).map(|a| after_attempt(a, transient(), &s)).collect();
        let secs: Vec<u32> = delays
            .iter()
            .filter_map(|d| match d {
                Decision::Retry { after_secs, .. } => Some(*after_secs),
                _ => None,
            })
            .collect();
        assert_eq!(secs, vec![30, 120, 480, 1920]);
        assert_eq!(
            delays[4],
            Decision::Failed {
                reason: "HTTP 503".into()
            },
            "the fifth failure is the last"
        );
        assert!(before_attempt(5).is_none());
        assert!(before_attempt(6).is_some());
    }

    #[test]
    fn refusals_are_final_and_a_known_key_is_sent() {
        assert!(matches!(
            after_attempt(1, Err(EmailError::Rejected("bad address".into())), &[]),
            Decision::Failed { .. }
        ));
        assert_eq!(
            after_attempt(3, Err(EmailError::AlreadyAccepted("dup".into())), &[]),
            Decision::Sent {
                note: Some("dup".into())
            }
        );
        assert_eq!(after_attempt(1, Ok(()), &[]), Decision::Sent { note: None });
    }

    #[test]
    fn schedules_parse_or_are_refused() {
        assert_eq!(parse_schedule("1, 2,4,8"), Some(vec![1, 2, 4, 8]));
        assert_eq!(parse_schedule("30,abc"), None);
        assert_eq!(parse_schedule("0"), None);
        assert_eq!(parse_schedule(""), None);
        assert_eq!(retry_delay(&[1, 2], 9), 2);
        assert_eq!(retry_delay(&[], 1), 30);
    }
}
