//! A promise as read from D1 with its invoice, customer and the invoice's
//! disputes, and the facts the promise rules ask for.

use crate::error::ApiError;
use crate::params;
use crate::promises::{self, Current, Invoice, Rules};
use crate::rows::InvoiceRow;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::zone::Zone;
use chrono::NaiveDate;
use serde::Deserialize;
use settle_shared::api::PromiseResponse;
use settle_shared::time::{parse_date, rfc3339_from_millis};

/// Every column a [`PromiseRow`] reads.
pub const SELECT: &str = "SELECT p.id, p.organization_id, p.invoice_id, i.number AS invoice_number, p.customer_id, \
     c.name AS customer_name, c.email AS customer_email, c.time_zone, \
     (c.reminders_opt_out != 0 OR c.email_status != 'ok') AS no_reminders, i.status AS invoice_status, i.promise_needs_approval, \
     i.total - i.amount_paid AS amount_due, i.currency, p.promised_date, p.note, p.status, p.source, p.changes, \
     p.made_on, p.remind_at, p.reminded_at, p.created_at, p.ended_at, \
     (SELECT json_group_array(json_array(d.created_at, d.resolved_at)) FROM disputes d \
      WHERE d.invoice_id = p.invoice_id AND d.kind IN ('customer', 'company', 'chargeback')) AS disputes \
     FROM promises p JOIN invoices i ON i.id = p.invoice_id JOIN customers c ON c.id = p.customer_id";

/// `promises`, with what the rules and the views need.
#[derive(Debug, Clone, Deserialize)]
pub struct PromiseRow {
    pub id: String,
    pub organization_id: String,
    pub invoice_id: String,
    pub invoice_number: String,
    pub customer_id: String,
    pub customer_name: String,
    pub customer_email: String,
    pub time_zone: String,
    /// The customer opted out of reminders, or mail to them fails.
    pub no_reminders: i64,
    pub invoice_status: String,
    pub promise_needs_approval: i64,
    pub amount_due: i64,
    pub currency: String,
    pub promised_date: String,
    pub note: Option<String>,
    pub status: String,
    pub source: String,
    pub changes: i64,
    pub made_on: Option<String>,
    pub remind_at: Option<i64>,
    pub reminded_at: Option<i64>,
    pub created_at: i64,
    pub ended_at: Option<i64>,
    /// JSON: `[[opened_ms, resolved_ms|null], …]`.
    pub disputes: Option<String>,
}

impl PromiseRow {
    pub fn zone(&self) -> Zone {
        Zone::or_utc(&self.time_zone)
    }

    pub fn date(&self) -> Option<NaiveDate> {
        parse_date(&self.promised_date)
    }

    /// The customer's date the promise was made on.
    pub fn made_on(&self) -> NaiveDate {
        self.made_on
            .as_deref()
            .and_then(parse_date)
            .unwrap_or_else(|| self.zone().date(self.created_at))
    }

    /// The invoice's disputes as the rules count them.
    pub fn pauses(&self) -> Vec<promises::Pause> {
        let spans: Vec<(i64, Option<i64>)> = self
            .disputes
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        promises::pauses(&self.zone(), &spans)
    }

    /// The customer's day it breaks on if still unpaid (while active and
    /// no dispute is open).
    pub fn breaks_on(&self, rules: &Rules) -> Option<NaiveDate> {
        if self.status != "active" {
            return None;
        }
        promises::breaks_on(rules, self.made_on(), self.date()?, &self.pauses())
    }

    pub fn current(&self) -> Option<Current> {
        (self.status == "active").then_some(Current {
            date: self.date()?,
            changes: self.changes.max(0) as u32,
        })
    }

    pub fn view(&self, rules: &Rules) -> PromiseResponse {
        PromiseResponse {
            id: self.id.clone(),
            invoice_id: self.invoice_id.clone(),
            invoice_number: self.invoice_number.clone(),
            customer_id: self.customer_id.clone(),
            customer_name: self.customer_name.clone(),
            amount_due: self.amount_due.max(0),
            currency: self.currency.clone(),
            promised_date: self.promised_date.clone(),
            note: self.note.clone(),
            status: self.status.clone(),
            source: self.source.clone(),
            changes: self.changes.max(0) as u32,
            reminder_at: self.remind_at.map(rfc3339_from_millis),
            reminded_at: self.reminded_at.map(rfc3339_from_millis),
            breaks_on: self.breaks_on(rules).map(|d| d.to_string()),
            created_at: rfc3339_from_millis(self.created_at),
            ended_at: self.ended_at.map(rfc3339_from_millis),
            needs_approval: self.promise_needs_approval != 0,
        }
    }
}

/// The invoice's active promise, if any.
pub async fn active(ctx: &Ctx, invoice_id: &str) -> Result<Option<PromiseRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!("{SELECT} WHERE p.invoice_id = ?1 AND p.status = 'active'"),
        params![invoice_id],
    )?;
    db::one(s).await
}

/// One promise of the organization (agents: of their accounts).
pub async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<PromiseRow, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE p.id = ?1 AND p.organization_id = ?2 AND (?3 IS NULL OR c.assigned_to = ?3)"
        ),
        params![id, org_id, ctx.only_accounts_of()],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("promise"))
}

/// The invoice as the promise rules see it.
pub async fn facts(ctx: &Ctx, inv: &InvoiceRow) -> Result<Invoice<'static>, ApiError> {
    #[derive(Deserialize)]
    struct F {
        promise_needs_approval: i64,
        in_plan: i64,
        scheduled: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT promise_needs_approval, EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id \
         WHERE pi.invoice_id = ?1 AND p.status IN ('proposed', 'active')) AS in_plan, EXISTS (SELECT 1 FROM scheduled_payments s \
         WHERE s.invoice_id = ?1 AND s.status IN ('scheduled', 'charging', 'processing', 'retrying')) AS scheduled \
         FROM invoices WHERE id = ?1",
        params![&inv.id],
    )?;
    let f = db::one::<F>(s).await?;
    let needs_approval = f.as_ref().is_some_and(|f| f.promise_needs_approval != 0);
    let in_plan = f.as_ref().is_some_and(|f| f.in_plan != 0);
    let scheduled = f.as_ref().is_some_and(|f| f.scheduled != 0);
    let status = match inv.status.as_str() {
        "open" => "open",
        "paid" => "paid",
        "void" => "void",
        _ => "draft",
    };
    Ok(Invoice {
        status,
        amount_due: inv.total - inv.amount_paid,
        open_dispute: inv.dispute_id.is_some(),
        in_plan,
        scheduled,
        needs_approval,
    })
}
