//! The collections worklist, calls and notes, and follow-up tasks.

use crate::Money;
use crate::reminders::SegmentRules;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Why an account ranks where it does (see the edge's `worklist` rule):
/// one entry per part that counted, largest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum WorklistReason {
    /// The largest overdue balance, and the share of overdue accounts in
    /// that currency that owe less (0–1).
    OverdueAmount {
        amount: Money,
        rank: f64,
        points: f64,
    },
    DaysOverdue {
        days: i64,
        points: f64,
    },
    BrokenPromises {
        count: u32,
        points: f64,
    },
    Risk {
        probability: f64,
        points: f64,
    },
    OpenDisputes {
        count: u32,
        points: f64,
    },
    /// A promise to pay on this date stands: the rest counts for 30 %.
    PromisedDate {
        date: NaiveDate,
    },
}

impl WorklistReason {
    /// The points this part adds (none for a promised date).
    pub fn points(&self) -> f64 {
        match self {
            WorklistReason::OverdueAmount { points, .. }
            | WorklistReason::DaysOverdue { points, .. }
            | WorklistReason::BrokenPromises { points, .. }
            | WorklistReason::Risk { points, .. }
            | WorklistReason::OpenDisputes { points, .. } => *points,
            WorklistReason::PromisedDate { .. } => 0.0,
        }
    }
}

/// The late-payment risk model's features, in its order: the names
/// `GET /api/v1/customers/{id}/risk` gives its drivers by.
pub const RISK_FEATURES: [&str; 8] = [
    "late_share",
    "average_days_late",
    "late_last_time",
    "amount",
    "amount_vs_usual",
    "disputes_12m",
    "broken_promises_12m",
    "pays_automatically",
];

/// The last call or note on an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityResponse {
    pub id: String,
    pub customer_id: String,
    /// `call` or `note`.
    pub kind: String,
    /// `promised`, `refused`, `wrong_contact`, `no_answer` (calls).
    pub outcome: Option<String>,
    pub body: String,
    pub invoice_id: Option<String>,
    pub promise_id: Option<String>,
    pub member_id: Option<String>,
    pub member_name: Option<String>,
    pub created_at: String,
}

/// One overdue account in the worklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorklistItem {
    pub customer_id: String,
    pub name: String,
    pub assigned_to: Option<String>,
    /// 0–100: the sum of the reasons' points (times 0.3 under a promise).
    pub priority: f64,
    pub reasons: Vec<WorklistReason>,
    /// Overdue balance per currency.
    pub overdue: Vec<Money>,
    pub oldest_due: NaiveDate,
    pub days_overdue: i64,
    pub overdue_invoices: u32,
    pub last_activity: Option<ActivityResponse>,
    /// The next open follow-up task's due time.
    pub next_task_at: Option<String>,
}

/// An agent's share of the overdue accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentLoad {
    /// `None`: accounts nobody works.
    pub member_id: Option<String>,
    pub name: Option<String>,
    pub accounts: u32,
    pub overdue: Vec<Money>,
    pub open_tasks: u32,
    pub tasks_due: u32,
}

/// `GET /api/v1/worklist`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorklistResponse {
    pub data: Vec<WorklistItem>,
    pub next_cursor: Option<String>,
    /// Overdue accounts matching the filters.
    pub total: u32,
    /// Per agent (and the unassigned), over every overdue account: only
    /// for supervisors and admins.
    pub load: Vec<AgentLoad>,
}

/// One rule of `POST /api/v1/worklist/assign`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRule {
    /// Who takes the accounts it matches, dealt in turn.
    pub member_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// Inline segment rules (tags, amount, days overdue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<SegmentRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<Money>,
    /// First letters of the name, `A-M`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letters: Option<String>,
}

/// `POST /api/v1/worklist/assign`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRulesRequest {
    pub rules: Vec<AssignRule>,
    /// Leave accounts that have an agent as they are (default true).
    #[serde(default = "yes")]
    pub only_unassigned: bool,
    /// Answer what would change, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

fn yes() -> bool {
    true
}

/// What `POST /api/v1/worklist/assign` did (or would do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignRulesResponse {
    pub assigned: u32,
    /// `(member_id, accounts)` newly given to each.
    pub by_member: Vec<(String, u32)>,
    pub dry_run: bool,
}

/// `POST /api/v1/customers/{id}/activities`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    /// `call` or `note`.
    pub kind: String,
    #[serde(default)]
    pub outcome: Option<String>,
    pub body: String,
    #[serde(default)]
    pub invoice_id: Option<String>,
    /// The promise this call obtained (recorded first on the invoice).
    #[serde(default)]
    pub promise_id: Option<String>,
}

/// A follow-up task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResponse {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub assigned_to: String,
    pub due_at: String,
    pub note: String,
    /// `open` or `done`.
    pub status: String,
    /// Whether it is due now (on the organization's clock).
    pub due: bool,
    pub created_at: String,
    pub done_at: Option<String>,
}

/// `POST /api/v1/tasks`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    pub customer_id: String,
    /// RFC 3339.
    pub due_at: String,
    pub note: String,
    /// Who does it (supervisors may name another member); the caller
    /// when absent.
    #[serde(default)]
    pub assigned_to: Option<String>,
}
