//! Staff sign-in and sessions: the rules. Roles and what each may do are in
//! `settle_shared::staff`; the worker's `api::team` runs these.
//!
//! A member signs in with a link sent to their address: a 256-bit token
//! derived from the email that carries it (so a retry sends the same link)
//! of which only the hash is stored, valid 15 minutes and once. Opening it
//! starts a server-side session (an HttpOnly, Secure, SameSite=Lax cookie),
//! which the member can list and end, one or all. A request for a link is
//! answered the same whether or not the address belongs to a team, and is
//! limited per network (the IP's /24 or /48), per address from one network
//! and per address overall, so the form reveals nothing, cannot flood an
//! inbox, and one network cannot lock a member out.

use crate::ratelimit::Limit;

/// Name of the staff session cookie (the customer's is `settle_session`).
pub const STAFF_COOKIE: &str = "settle_staff";
/// A sign-in link is valid this long.
pub const SIGN_IN_TTL_MS: i64 = 15 * 60 * 1000;
/// A staff session lasts at most this long from sign-in…
pub const SESSION_MAX_MS: i64 = 7 * 24 * 3600 * 1000;
/// …and ends after this long without a request.
pub const SESSION_IDLE_MS: i64 = 12 * 3600 * 1000;
/// A session's last use is written at most this often.
pub const SEEN_EVERY_MS: i64 = 5 * 60 * 1000;

/// Sign-in link requests per address from one network.
pub const SIGN_IN_PER_ADDRESS_AND_NETWORK: Limit = Limit {
    max: 5,
    window_secs: 3600,
};
/// Sign-in link requests per address from anywhere: higher, so that a
/// flood from one place does not lock the member out, low enough that
/// their inbox is not flooded.
pub const SIGN_IN_PER_ADDRESS: Limit = Limit {
    max: 20,
    window_secs: 3600,
};
/// Sign-in link requests per network (IPv4 /24, IPv6 /48).
pub const SIGN_IN_PER_NETWORK: Limit = Limit {
    max: 30,
    window_secs: 3600,
};

/// What is stored of a sign-in link, with its member's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLink {
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// The member was removed after the link was sent.
    pub member_removed: bool,
}

/// Why a sign-in link does not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInProblem {
    /// Not a link Settle made (forged, mistyped, or from a wiped database).
    Unknown,
    Expired,
    /// Already used: links work once.
    Used,
    /// The member is no longer on the team.
    Removed,
}

impl SignInProblem {
    /// The stable code the API answers with.
    pub fn code(self) -> &'static str {
        match self {
            SignInProblem::Unknown => "unknown",
            SignInProblem::Expired => "expired",
            SignInProblem::Used => "used",
            SignInProblem::Removed => "removed",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            SignInProblem::Unknown => "This sign-in link is not valid. Ask for a new one.",
            SignInProblem::Expired => {
                "This sign-in link has expired (links work for 15 minutes). Ask for a new one."
            }
            SignInProblem::Used => {
                "This sign-in link has been used already (links work once). Ask for a new one."
            }
            SignInProblem::Removed => {
                "You are no longer a member of this team. Ask an admin to invite you again."
            }
        }
    }
}

/// Whether `link` (absent when no stored link has the token's hash) signs
/// its member in at `now`.
pub fn redeem(link: Option<&SignInLink>, now: i64) -> Result<(), SignInProblem> {
    let link = link.ok_or(SignInProblem::Unknown)?;
    if link.member_removed {
        return Err(SignInProblem::Removed);
    }
    if link.used_at.is_some() {
        return Err(SignInProblem::Used);
    }
    if now >= link.expires_at {
        return Err(SignInProblem::Expired);
    }
    Ok(())
}

/// A stored staff session, as a request finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ended: bool,
    pub member_removed: bool,
}

/// What a request does with the session it presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionUse {
    /// Valid: go on; `touch` says whether to write its last use.
    Valid { touch: bool },
    /// Signed out, expired, idle too long, or its member removed.
    Ended,
}

/// Decides a session's use at `now`.
pub fn use_session(s: &Session, now: i64) -> SessionUse {
    if s.ended || s.member_removed || now >= s.expires_at || now >= s.last_seen_at + SESSION_IDLE_MS
    {
        return SessionUse::Ended;
    }
    SessionUse::Valid {
        touch: now >= s.last_seen_at + SEEN_EVERY_MS,
    }
}

/// When a session started at `now` ends at the latest.
pub fn session_expiry(now: i64) -> i64 {
    now + SESSION_MAX_MS
}

/// The network an address belongs to, for rate limits: the /24 of an IPv4
/// address, the /48 of an IPv6 one. Anything else counts as itself.
pub fn network(ip: &str) -> String {
    use std::net::IpAddr;
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => network(&v4.to_string()),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
        Err(_) => format!("other:{}", ip.trim()),
    }
}

/// The `Set-Cookie` value that starts a staff session: HttpOnly (no script
/// reads it), Secure, SameSite=Lax, for the whole origin (the console's
/// pages and the API it calls).
pub fn session_cookie(token: &str, max_age_secs: i64) -> String {
    format!(
        "{STAFF_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax"
    )
}

/// The `Set-Cookie` value that ends it in this browser.
pub fn clear_session_cookie() -> String {
    format!("{STAFF_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

/// The purpose a sign-in token is derived for: the email carrying it.
pub fn sign_in_purpose(email_id: &str) -> String {
    format!("sign-in:{email_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn link() -> SignInLink {
        SignInLink {
            expires_at: NOW + SIGN_IN_TTL_MS,
            used_at: None,
            member_removed: false,
        }
    }

    #[test]
    fn a_link_signs_in_once_within_fifteen_minutes_and_not_after_removal() {
        assert_eq!(redeem(Some(&link()), NOW), Ok(()));
        assert_eq!(redeem(Some(&link()), NOW + SIGN_IN_TTL_MS - 1), Ok(()));
        assert_eq!(
            redeem(Some(&link()), NOW + SIGN_IN_TTL_MS),
            Err(SignInProblem::Expired)
        );
        let used = SignInLink {
            used_at: Some(NOW),
            ..link()
        };
        assert_eq!(redeem(Some(&used), NOW + 1), Err(SignInProblem::Used));
        let removed = SignInLink {
            member_removed: true,
            ..link()
        };
        assert_eq!(redeem(Some(&removed), NOW), Err(SignInProblem::Removed));
        assert_eq!(redeem(None, NOW), Err(SignInProblem::Unknown));
        // Every problem has its own stable code.
        let codes: std::collections::BTreeSet<_> = [
            SignInProblem::Unknown,
            SignInProblem::Expired,
            SignInProblem::Used,
            SignInProblem::Removed,
        ]
        .map(SignInProblem::code)
        .into();
        assert_eq!(codes.len(), 4);
    }

    #[test]
    fn a_session_ends_when_signed_out_expired_idle_or_its_member_removed() {
        let s = Session {
            created_at: NOW,
            last_seen_at: NOW,
            expires_at: session_expiry(NOW),
            ended: false,
            member_removed: false,
        };
        assert_eq!(use_session(&s, NOW + 1), SessionUse::Valid { touch: false });
        assert_eq!(
            use_session(&s, NOW + SEEN_EVERY_MS),
            SessionUse::Valid { touch: true }
        );
        assert_eq!(use_session(&s, NOW + SESSION_IDLE_MS), SessionUse::Ended);
        let busy = Session {
            last_seen_at: s.expires_at - 1000,
            ..s.clone()
        };
        assert!(matches!(
            use_session(&busy, s.expires_at - 1),
            SessionUse::Valid { .. }
        ));
        assert_eq!(use_session(&busy, s.expires_at), SessionUse::Ended);
        for ended in [
            Session {
                ended: true,
                ..s.clone()
            },
            Session {
                member_removed: true,
                ..s.clone()
            },
        ] {
            assert_eq!(use_session(&ended, NOW + 1), SessionUse::Ended);
        }
    }

    #[test]
    fn networks_group_addresses_by_their_slash_24_or_slash_48() {
        assert_eq!(network("203.0.113.7"), "203.0.113.0/24");
        assert_eq!(network("203.0.113.250"), network("203.0.113.7"));
        assert_ne!(network("203.0.114.7"), network("203.0.113.7"));
        assert_eq!(network("2001:db8:abcd:12::1"), "2001:db8:abcd::/48");
        assert_eq!(
            network("2001:db8:abcd:ffff::9"),
            network("2001:db8:abcd:12::1")
        );
        assert_eq!(network("::ffff:203.0.113.9"), "203.0.113.0/24");
        assert_eq!(network("nonsense"), "other:nonsense");
    }

    #[test]
    fn the_cookie_is_http_only_secure_and_lax() {
        let c = session_cookie("ss_x", 60);
        for part in [
            "settle_staff=ss_x",
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        assert!(clear_session_cookie().contains("Max-Age=0"));
    }
}
