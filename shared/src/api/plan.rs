//! Instalment plans, as the company API, the console and the portal see them.

use crate::plan::{Instalment, Outside, PlanRules};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/portal/invoices/{id}/plan`: the customer's proposal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// In order, dated in the customer's time zone, adding up to what is
    /// left to pay on the invoice.
    pub instalments: Vec<Instalment>,
    /// The customer ticked "I agree to pay these instalments on these dates".
    pub accept_terms: bool,
    /// Split the customer's whole overdue balance in the invoice's currency
    /// (the invoices `PortalPlanResponse::whole_balance` lists) instead of
    /// this invoice alone.
    #[serde(default)]
    pub whole_balance: bool,
}

/// `POST /api/v1/plans/{id}/approve` and `…/reject`: a supervisor's decision,
/// with a message the customer sees (required to reject).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDecisionRequest {
    #[serde(default)]
    pub message: Option<String>,
}

/// An instalment with how far it is paid.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstalmentView {
    pub date: String,
    pub amount: i64,
    /// Paid in full (payments count in order).
    pub paid: bool,
}

/// An instalment plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanResponse {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub currency: String,
    /// What was left to pay when it was proposed.
    pub total: i64,
    /// Paid towards it since.
    pub paid: i64,
    pub instalments: Vec<InstalmentView>,
    /// `proposed` (a supervisor decides), `active`, `rejected`, `completed`,
    /// `broken` or `cancelled`.
    pub status: String,
    /// Where the proposal went past the organization's rules.
    pub outside_rules: Vec<Outside>,
    /// The invoices it covers (one, or the whole overdue balance), the
    /// oldest due first.
    #[serde(default)]
    pub invoice_numbers: Vec<String>,
    /// The terms the customer agreed to, as shown to them, with the time,
    /// IP address and browser of the agreement.
    pub terms: String,
    pub agreed_at: String,
    pub agreed_ip: Option<String>,
    pub agreed_user_agent: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_message: Option<String>,
    /// The next instalment and what is left of it (while active).
    pub next_due: Option<NextDue>,
    pub created_at: String,
    pub ended_at: Option<String>,
}

/// The first instalment not yet covered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NextDue {
    pub date: String,
    pub amount: i64,
}

/// `GET /api/v1/portal/invoices/{id}/plan`: what the customer may propose.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalPlanResponse {
    pub invoice_id: String,
    pub number: String,
    pub currency: String,
    /// What is left to pay: what a new plan splits.
    pub balance: i64,
    /// The customer's today.
    pub today: String,
    pub rules: PlanRules,
    /// Days after an instalment's date before a missed one ends the plan
    /// (they appear in the terms).
    pub grace_days: u32,
    /// The live or latest plan on the invoice.
    pub plan: Option<PlanResponse>,
    /// Why the customer cannot propose a plan now (code and sentence).
    pub refusal: Option<super::PortalRefusal>,
    /// The customer's whole overdue balance in the invoice's currency, when
    /// other overdue invoices could join this one in a plan: each invoice
    /// with what is left on it, the oldest due first.
    #[serde(default)]
    pub whole_balance: Vec<crate::plan::Member>,
}
