//! The email that tells a customer the company answered while they were
//! away: one per absence, a few minutes after the answer, not if read.

/// How long after the company answers the customer is emailed, unless
/// they have read the answer by then (they were not away).
pub const AWAY_EMAIL_DELAY_MS: i64 = 5 * 60 * 1000;

/// When the customer was last in the thread: read it, or wrote in it (by
/// the portal or by email); 0 if never.
pub fn last_there(read_at: Option<i64>, wrote_at: Option<i64>) -> i64 {
    read_at.unwrap_or(0).max(wrote_at.unwrap_or(0))
}

/// The key of the "the company answered" email of one absence: the time
/// the customer was last in the thread. Answers in the same absence share
/// it, so they send one email, not one per message; coming back starts a
/// new absence.
pub fn away_email_key(dispute_id: &str, read_at: Option<i64>, wrote_at: Option<i64>) -> String {
    format!("away:{dispute_id}:{}", last_there(read_at, wrote_at))
}

/// Whether the email queued by an answer at `answered_at` still goes: not
/// when the customer has read the thread since, nor once it is resolved
/// and read.
pub fn away_email_due(read_at: Option<i64>, answered_at: i64) -> bool {
    read_at.is_none_or(|r| r < answered_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_away_email_per_absence() {
        let k = |r, w| away_email_key("dsp_1", r, w);
        // Two answers while the customer is away: one key, one email.
        assert_eq!(k(Some(100), Some(50)), k(Some(100), Some(50)));
        // The customer read the thread (or replied by email): a new absence.
        assert_ne!(k(Some(100), Some(50)), k(Some(200), Some(50)));
        assert_ne!(k(None, Some(50)), k(None, Some(300)));
        assert_eq!(k(None, None), "away:dsp_1:0");
        assert_eq!(last_there(Some(100), Some(150)), 150);
        assert_eq!(last_there(None, None), 0);
        assert!(away_email_due(None, 10));
        assert!(away_email_due(Some(9), 10));
        assert!(!away_email_due(Some(10), 10));
        assert!(!away_email_due(Some(11), 10));
    }
}
