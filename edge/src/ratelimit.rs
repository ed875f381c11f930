//! Fixed-window rate limits, decided here and counted in D1.

/// One limit: at most `max` events per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window_secs: i64,
}

/// Fresh link requests per email address.
pub const LINK_REQUESTS_PER_EMAIL: Limit = Limit {
    max: 3,
    window_secs: 3600,
};
/// Fresh link requests per client IP.
pub const LINK_REQUESTS_PER_IP: Limit = Limit {
    max: 20,
    window_secs: 3600,
};

/// Disputes a customer opens per day.
pub const DISPUTES_PER_CUSTOMER: Limit = Limit {
    max: 10,
    window_secs: 86_400,
};
/// Messages a customer writes per hour, in all their threads.
pub const MESSAGES_PER_CUSTOMER: Limit = Limit {
    max: 60,
    window_secs: 3600,
};
/// Messages written in one thread per hour, by either side.
pub const MESSAGES_PER_THREAD: Limit = Limit {
    max: 120,
    window_secs: 3600,
};

impl Limit {
    /// The start of the window that `now_secs` falls in.
    pub fn window_start(self, now_secs: i64) -> i64 {
        now_secs - now_secs.rem_euclid(self.window_secs)
    }

    /// Whether the event that makes the count `count_after` is allowed.
    pub fn allows(self, count_after: u32) -> bool {
        count_after <= self.max
    }

    /// Seconds until the window ends, for `Retry-After`.
    pub fn retry_after(self, now_secs: i64) -> i64 {
        self.window_start(now_secs) + self.window_secs - now_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let l = Limit {
            max: 3,
            window_secs: 3600,
        };
        assert_eq!(l.window_start(7201), 7200);
        assert!(l.allows(3));
        assert!(!l.allows(4));
        assert_eq!(l.retry_after(7201), 3599);
    }
}
