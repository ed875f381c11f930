//! The team's rows: members and their sessions.

use serde::Deserialize;
use settle_shared::api::{MemberResponse, StaffSessionResponse};
use settle_shared::staff::Role;
use settle_shared::time::rfc3339_from_millis;

/// A row of `members`.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberRow {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub locale: String,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
    pub removed_at: Option<i64>,
}

impl MemberRow {
    /// The member's role; the table's CHECK allows only the three, and
    /// anything else would get the least of them.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Agent)
    }

    pub fn view(&self) -> MemberResponse {
        MemberResponse {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role(),
            locale: self.locale.clone(),
            invited_by: self.invited_by.clone(),
            created_at: rfc3339_from_millis(self.created_at),
            last_sign_in_at: self.last_sign_in_at.map(rfc3339_from_millis),
        }
    }
}

/// A row of `staff_sessions`.
#[derive(Debug, Clone, Deserialize)]
pub struct StaffSessionRow {
    pub id: String,
    pub member_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
}

impl StaffSessionRow {
    /// The session as its member lists it; `current` when it is the one
    /// the listing request came with.
    pub fn view(&self, current: &str) -> StaffSessionResponse {
        StaffSessionResponse {
            id: self.id.clone(),
            created_at: rfc3339_from_millis(self.created_at),
            last_seen_at: rfc3339_from_millis(self.last_seen_at),
            expires_at: rfc3339_from_millis(self.expires_at),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            current: self.id == current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_shows_its_role_and_times_and_an_unknown_role_gets_the_least() {
        let mut m = MemberRow {
            id: "mem_1".into(),
            organization_id: "org_1".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: "supervisor".into(),
            locale: "en".into(),
            invited_by: Some("mem_0".into()),
            created_at: 0,
            last_sign_in_at: None,
            removed_at: None,
        };
        let v = m.view();
        assert_eq!(v.role, Role::Supervisor);
        assert_eq!(v.created_at, "1970-01-01T00:00:00Z");
        assert_eq!(v.last_sign_in_at, None);
        m.role = "owner".into();
        assert_eq!(m.role(), Role::Agent);
    }
}
