//! Where a Checkout Session Settle created stands. States only move forward
//! (open < expired < processing < failed < paid), so events about a session
//! give the same state in any order.

use crate::stripe::events::{Event, Object};

/// A session's state, ordered so that the later state wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SessionState {
    Open,
    Expired,
    Processing,
    Failed,
    Paid,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Open => "open",
            SessionState::Expired => "expired",
            SessionState::Processing => "processing",
            SessionState::Failed => "failed",
            SessionState::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => SessionState::Open,
            "expired" => SessionState::Expired,
            "processing" => SessionState::Processing,
            "failed" => SessionState::Failed,
            "paid" => SessionState::Paid,
            _ => return None,
        })
    }
}

/// A session as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    /// The (first) invoice it pays.
    pub invoice_id: String,
    pub amount: i64,
    pub state: SessionState,
}

/// The session an event is about and the state it reports, if any.
pub fn reported(event: &Event) -> Option<(String, SessionState)> {
    let Object::CheckoutSession(s) = event.object() else {
        return None;
    };
    let state = match (event.kind.as_str(), s.payment_status.as_str()) {
        ("checkout.session.completed", "paid")
        | ("checkout.session.async_payment_succeeded", _) => SessionState::Paid,
        ("checkout.session.completed", _) => SessionState::Processing,
        ("checkout.session.async_payment_failed", _) => SessionState::Failed,
        ("checkout.session.expired", _) => SessionState::Expired,
        _ => return None,
    };
    Some((s.id, state))
}

/// The state to write when `to` is reported for a session at `from`: only
/// a later state is written.
pub fn advance(from: SessionState, to: SessionState) -> Option<SessionState> {
    (to > from).then_some(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionState::*;

    #[test]
    fn states_only_move_forward() {
        assert_eq!(advance(Open, Processing), Some(Processing));
        assert_eq!(advance(Processing, Paid), Some(Paid));
        assert_eq!(advance(Paid, Processing), None);
        assert_eq!(advance(Failed, Expired), None);
        assert_eq!(advance(Expired, Failed), Some(Failed));
        for s in [Open, Expired, Processing, Failed, Paid] {
            assert_eq!(SessionState::parse(s.as_str()), Some(s));
        }
    }
}
