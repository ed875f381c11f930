//! The team's bodies: sign-in, sessions and members (`/api/v1/staff/…`,
//! `/api/v1/team`).

use crate::staff::Role;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/staff/sign-in`: send a sign-in link to this address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
}

/// The same answer whether or not the address belongs to a team.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignInRequested {
    pub message: String,
}

/// `POST /api/v1/staff/sessions`: the token from a sign-in link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedeemSignInRequest {
    pub token: String,
}

/// A member of the team.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MemberResponse {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// `en`, `fr` or `ar`: their emails' language.
    pub locale: String,
    /// The member who invited them; none for the first admin.
    pub invited_by: Option<String>,
    pub created_at: String,
    pub last_sign_in_at: Option<String>,
}

/// The organization a member works for, as the console shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffOrganization {
    pub id: String,
    pub display_name: String,
}

/// `GET /api/v1/staff/me` (and the answer to signing in).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffMeResponse {
    pub member: MemberResponse,
    pub organization: StaffOrganization,
    /// The session this request came with.
    pub session_id: String,
}

/// A member's session, as they list their own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StaffSessionResponse {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session of the request that listed it.
    pub current: bool,
}

/// `POST /api/v1/team`: invite a member (the invitation is a sign-in link).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteMemberRequest {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Their emails' language; the organization's when absent.
    #[serde(default)]
    pub locale: Option<String>,
}

/// `PATCH /api/v1/team/{id}`: change a member's role.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMemberRequest {
    pub role: Role,
}

/// `POST /api/v1/customers/{id}/assign`: the member who works the account,
/// or `null` for nobody.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignCustomerRequest {
    pub member_id: Option<String>,
}

/// `POST /api/v1/staff/sign-out-everywhere`: how many sessions ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SignedOutResponse {
    pub sessions_ended: u32,
}
