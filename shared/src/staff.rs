//! The company's team: who may do what, decided in one place.
//!
//! Three roles. An **admin** configures the organization (branding, the
//! Stripe account, reminder policies), manages the team and the API keys. A
//! **supervisor** sees every account, approves and reassigns. An **agent**
//! works the accounts assigned to them. The server asks [`Role::may`] on
//! every route, console and API alike; the console asks the same function
//! to decide what to show, so the two never disagree.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A team member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    Agent,
}

/// What a request needs to be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Branding, the Stripe account, reminder policies and templates,
    /// organization settings.
    Configure,
    /// Invite members, change their roles, remove them.
    ManageTeam,
    /// Create, rotate and revoke API keys.
    ManageApiKeys,
    /// See and work every customer, not only those assigned to oneself.
    AllAccounts,
    /// Assign accounts to agents, approve what waits for a supervisor.
    Approve,
    /// Work the accounts one may see: customers, invoices, payments,
    /// links, promises, disputes.
    WorkAccounts,
    /// Read the organization's audit trail as a whole.
    ReadAudit,
}

impl Capability {
    /// Why a member whose role lacks this is refused.
    pub fn refusal(self) -> &'static str {
        use Capability::*;
        match self {
            Configure | ManageTeam | ManageApiKeys => "Only an admin can do this.",
            AllAccounts | Approve | ReadAudit => "Only a supervisor or an admin can do this.",
            WorkAccounts => "Your role cannot work accounts.",
        }
    }
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Supervisor, Role::Agent];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may do `c`.
    pub fn may(self, c: Capability) -> bool {
        use Capability::*;
        match self {
            Role::Admin => true,
            Role::Supervisor => matches!(c, AllAccounts | Approve | WorkAccounts | ReadAudit),
            Role::Agent => matches!(c, WorkAccounts),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change an admin asks for on a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamChange {
    SetRole(Role),
    Remove,
}

/// Why a change to the team is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRefusal {
    /// The change would leave the organization without an admin.
    LastAdmin,
}

impl TeamRefusal {
    pub fn message(self) -> &'static str {
        match self {
            TeamRefusal::LastAdmin => {
                "This is the organization's last admin: make another member admin first."
            }
        }
    }
}

/// Checks a change to a member whose role is `current`, in a team that has
/// `active_admins` admins (the member included if they are one). The
/// organization must keep at least one admin, whoever asks.
pub fn check_change(
    current: Role,
    change: TeamChange,
    active_admins: usize,
) -> Result<(), TeamRefusal> {
    let loses_admin = current == Role::Admin
        && match change {
            TeamChange::Remove => true,
            TeamChange::SetRole(r) => r != Role::Admin,
        };
    if loses_admin && active_admins <= 1 {
        return Err(TeamRefusal::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_ones_are_refused() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!(Role::parse("owner"), None);
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn each_role_may_do_what_the_product_says_and_nothing_more() {
        use Capability::*;
        let all = [
            Configure,
            ManageTeam,
            ManageApiKeys,
            AllAccounts,
            Approve,
            WorkAccounts,
            ReadAudit,
        ];
        let allowed =
            |r: Role| -> Vec<Capability> { all.into_iter().filter(|c| r.may(*c)).collect() };
        assert_eq!(allowed(Role::Admin), all.to_vec());
        assert_eq!(
            allowed(Role::Supervisor),
            vec![AllAccounts, Approve, WorkAccounts, ReadAudit]
        );
        assert_eq!(allowed(Role::Agent), vec![WorkAccounts]);
    }

    #[test]
    fn the_last_admin_can_be_neither_removed_nor_demoted() {
        use TeamChange::*;
        assert_eq!(
            check_change(Role::Admin, Remove, 1),
            Err(TeamRefusal::LastAdmin)
        );
        assert_eq!(
            check_change(Role::Admin, SetRole(Role::Agent), 1),
            Err(TeamRefusal::LastAdmin)
        );
        assert_eq!(check_change(Role::Admin, SetRole(Role::Admin), 1), Ok(()));
        assert_eq!(check_change(Role::Admin, Remove, 2), Ok(()));
        assert_eq!(
            check_change(Role::Admin, SetRole(Role::Supervisor), 2),
            Ok(())
        );
        // Members who are not admins never hold the last admin seat.
        assert_eq!(check_change(Role::Agent, Remove, 0), Ok(()));
        assert_eq!(
            check_change(Role::Supervisor, SetRole(Role::Agent), 1),
            Ok(())
        );
    }
}
