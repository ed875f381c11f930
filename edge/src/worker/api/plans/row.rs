//! A plan as read from D1 with its invoice and customer, and its view.

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::zone::Zone;
use serde::Deserialize;
use settle_shared::api::{InstalmentView, NextDue, PlanResponse};
use settle_shared::plan::{self, Instalment, Outside};
use settle_shared::time::rfc3339_from_millis;

/// Every column a [`PlanRow`] reads.
pub const SELECT: &str = "SELECT p.id, p.organization_id, p.invoice_id, p.customer_id, p.currency, p.total, \
     p.instalments, p.status, p.outside_rules, p.terms, p.agreed_at, p.agreed_ip, p.agreed_user_agent, p.decided_by, \
     p.decided_at, p.decision_message, p.grace_days, p.reminded_through, p.created_at, p.ended_at, \
     i.number AS invoice_number, \
     c.name AS customer_name, c.email AS customer_email, c.time_zone, \
     (c.reminders_opt_out != 0 OR c.email_status != 'ok') AS no_reminders, \
     (c.autopay_method_id IS NOT NULL) AS autopay_on, \
     (SELECT COALESCE(SUM(MAX(m.amount_paid - pi.start_paid, 0)), 0) FROM plan_invoices pi \
      JOIN invoices m ON m.id = pi.invoice_id WHERE pi.plan_id = p.id) AS paid_since, \
     (SELECT json_group_array(json_object('id', m.id, 'number', m.number, 'due_date', m.due_date, 'status', m.status, \
        'total', m.total, 'amount_paid', m.amount_paid)) FROM plan_invoices pi \
      JOIN invoices m ON m.id = pi.invoice_id WHERE pi.plan_id = p.id) AS members \
     FROM payment_plans p JOIN invoices i ON i.id = p.invoice_id JOIN customers c ON c.id = p.customer_id";

/// `payment_plans`, with what the rules and the views need.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanRow {
    pub id: String,
    pub organization_id: String,
    pub invoice_id: String,
    pub customer_id: String,
    pub currency: String,
    pub total: i64,
    pub instalments: String,
    pub status: String,
    pub outside_rules: String,
    pub terms: String,
    pub agreed_at: i64,
    pub agreed_ip: Option<String>,
    pub agreed_user_agent: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_message: Option<String>,
    pub grace_days: i64,
    pub reminded_through: i64,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    pub invoice_number: String,
    pub customer_name: String,
    pub customer_email: String,
    pub time_zone: String,
    pub no_reminders: i64,
    /// The customer has autopay on: instalments are charged on their day.
    #[serde(default)]
    pub autopay_on: i64,
    /// What the invoices it covers were paid since it was proposed (each
    /// from what it had then).
    #[serde(default)]
    pub paid_since: i64,
    /// The invoices it covers, as JSON ([`PlanRow::members`]).
    #[serde(default)]
    pub members: Option<String>,
}

/// An invoice a plan covers, as it stands now.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberNow {
    pub id: String,
    pub number: String,
    pub due_date: String,
    pub status: String,
    pub total: i64,
    pub amount_paid: i64,
}

impl MemberNow {
    pub fn balance(&self) -> i64 {
        if self.status == "open" {
            (self.total - self.amount_paid).max(0)
        } else {
            0
        }
    }
}

impl PlanRow {
    pub fn zone(&self) -> Zone {
        Zone::or_utc(&self.time_zone)
    }

    pub fn instalments(&self) -> Vec<Instalment> {
        serde_json::from_str(&self.instalments).unwrap_or_default()
    }

    /// The invoices it covers, the oldest due first.
    pub fn members(&self) -> Vec<MemberNow> {
        let mut m: Vec<MemberNow> = self
            .members
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        settle_shared::sort::sort_by(&mut m, |a, b| {
            (&a.due_date, &a.number, &a.id).cmp(&(&b.due_date, &b.number, &b.id))
        });
        m
    }

    /// The open invoice a message about the plan names: the oldest still
    /// open, else its own.
    pub fn open_member(&self) -> String {
        self.members()
            .into_iter()
            .find(|m| m.status == "open")
            .map_or_else(|| self.invoice_id.clone(), |m| m.id)
    }

    /// How a payment of `amount` towards the plan spreads over its open
    /// invoices, the oldest due first (`settle_shared::plan::allocate`):
    /// (invoice id, number, part), each part more than zero. The parts add
    /// up to `amount`, or less when its invoices have less left on them.
    pub fn split(&self, amount: i64) -> Vec<(String, String, i64)> {
        let members = self.members();
        let balances: Vec<i64> = members.iter().map(MemberNow::balance).collect();
        plan::allocate(&balances, amount)
            .into_iter()
            .zip(members)
            .filter(|(part, _)| *part > 0)
            .map(|(part, m)| (m.id, m.number, part))
            .collect()
    }

    /// How it ends now, if it does (`settle_shared::plan::ending`).
    pub fn ending(&self, today: chrono::NaiveDate) -> Option<(&'static str, &'static str)> {
        let members = self.members();
        let count = |s: &str| members.iter().filter(|m| m.status == s).count();
        let standing = plan::standing(
            &self.instalments(),
            self.paid(),
            self.grace_days.clamp(0, 30) as u32,
            today,
        );
        plan::ending(count("open"), count("void"), standing)
    }

    /// What the invoices it covers were paid in all (what a break's guard
    /// checks did not move).
    pub fn members_paid(&self) -> i64 {
        self.members().iter().map(|m| m.amount_paid).sum()
    }

    /// Paid towards the plan since it was proposed, over the invoices it
    /// covers.
    pub fn paid(&self) -> i64 {
        self.paid_since.max(0)
    }

    pub fn view(&self) -> PlanResponse {
        let instalments = self.instalments();
        let paid = self.paid();
        let met = plan::met(&instalments, paid);
        let next = (self.status == "active")
            .then(|| plan::next_due(&instalments, paid))
            .flatten()
            .map(|(k, amount)| NextDue {
                date: instalments[k].date.to_string(),
                amount,
            });
        PlanResponse {
            id: self.id.clone(),
            invoice_id: self.invoice_id.clone(),
            invoice_number: self.invoice_number.clone(),
            customer_id: self.customer_id.clone(),
            customer_name: self.customer_name.clone(),
            currency: self.currency.clone(),
            total: self.total,
            paid: paid.min(self.total),
            instalments: instalments
                .iter()
                .enumerate()
                .map(|(k, i)| InstalmentView {
                    date: i.date.to_string(),
                    amount: i.amount,
                    paid: k < met,
                })
                .collect(),
            status: self.status.clone(),
            outside_rules: serde_json::from_str::<Vec<Outside>>(&self.outside_rules)
                .unwrap_or_default(),
            invoice_numbers: self.members().into_iter().map(|m| m.number).collect(),
            terms: self.terms.clone(),
            agreed_at: rfc3339_from_millis(self.agreed_at),
            agreed_ip: self.agreed_ip.clone(),
            agreed_user_agent: self.agreed_user_agent.clone(),
            decided_by: self.decided_by.clone(),
            decided_at: self.decided_at.map(rfc3339_from_millis),
            decision_message: self.decision_message.clone(),
            next_due: next,
            created_at: rfc3339_from_millis(self.created_at),
            ended_at: self.ended_at.map(rfc3339_from_millis),
        }
    }
}

/// The invoice's live (proposed or active) plan, or else its latest.
pub async fn latest(ctx: &Ctx, invoice_id: &str) -> Result<Option<PlanRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE p.id IN (SELECT plan_id FROM plan_invoices WHERE invoice_id = ?1) \
             ORDER BY p.status IN ('proposed', 'active') DESC, p.id DESC LIMIT 1"
        ),
        params![invoice_id],
    )?;
    db::one(s).await
}

/// The invoice's active plan.
pub async fn active(ctx: &Ctx, invoice_id: &str) -> Result<Option<PlanRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE p.id IN (SELECT plan_id FROM plan_invoices WHERE invoice_id = ?1) AND p.status = 'active'"
        ),
        params![invoice_id],
    )?;
    db::one(s).await
}

/// One plan of the organization (agents: of their accounts).
pub async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<PlanRow, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE p.id = ?1 AND p.organization_id = ?2 AND (?3 IS NULL OR c.assigned_to = ?3)"
        ),
        params![id, org_id, ctx.only_accounts_of()],
    )?;
    db::one(s).await?.ok_or_else(|| ApiError::not_found("plan"))
}
