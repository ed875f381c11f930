//! A scheduled payment as read from D1 with its invoice, customer and
//! method; its views; and what its failure email says.

use super::{LIVE, label};
use crate::autopay::{self, ScheduleError, Status};
use crate::email::Purpose;
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::zone::Zone;
use chrono::NaiveDate;
use serde::Deserialize;
use settle_shared::api::ScheduledPaymentResponse;
use settle_shared::time::{parse_date, rfc3339_from_millis};

/// Every column a [`ScheduleRow`] reads.
pub const SELECT: &str = "SELECT s.id, s.organization_id, s.customer_id, s.invoice_id, s.payment_method_id, s.charge_on, s.source, \
     s.status, s.attempts, s.attempt_key, s.attempt_amount, s.attempt_discount, s.attempt_allocation, s.amount_cap, s.plan_id, s.next_attempt_at, s.payment_intent_id, s.last_error, \
     s.last_error_code, s.created_at, s.updated_at, s.ended_at, s.ended_by, i.number AS invoice_number, \
     i.total - i.amount_paid AS amount_due, i.currency, c.name AS customer_name, c.email AS customer_email, c.time_zone, \
     m.kind AS method_kind, m.brand AS method_brand, m.last4 AS method_last4, m.stripe_customer_id, m.account AS method_account, \
     m.removed_at AS method_removed_at \
     FROM scheduled_payments s JOIN invoices i ON i.id = s.invoice_id JOIN customers c ON c.id = s.customer_id \
     JOIN payment_methods m ON m.id = s.payment_method_id";

/// `scheduled_payments`, with its invoice, customer and method.
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleRow {
    pub id: String,
    pub organization_id: String,
    pub customer_id: String,
    pub invoice_id: String,
    pub payment_method_id: String,
    pub charge_on: String,
    pub source: String,
    pub status: String,
    pub attempts: i64,
    pub attempt_key: Option<String>,
    pub attempt_amount: Option<i64>,
    pub attempt_discount: i64,
    /// How the attempt spreads over a plan's invoices
    /// (`inv_a:9500,inv_b:500`), when it covers several.
    #[serde(default)]
    pub attempt_allocation: Option<String>,
    /// An instalment's charge: what is left of it at most.
    pub amount_cap: Option<i64>,
    pub plan_id: Option<String>,
    pub next_attempt_at: Option<i64>,
    pub payment_intent_id: Option<String>,
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub ended_at: Option<i64>,
    pub ended_by: Option<String>,
    pub invoice_number: String,
    pub amount_due: i64,
    pub currency: String,
    pub customer_name: String,
    pub customer_email: String,
    pub time_zone: String,
    pub method_kind: String,
    pub method_brand: Option<String>,
    pub method_last4: String,
    pub stripe_customer_id: String,
    pub method_account: String,
    pub method_removed_at: Option<i64>,
}

impl ScheduleRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Cancelled)
    }

    pub fn date(&self) -> Option<NaiveDate> {
        parse_date(&self.charge_on)
    }

    pub fn zone(&self) -> Zone {
        Zone::or_utc(&self.time_zone)
    }

    pub fn method(&self) -> String {
        label(
            &self.method_kind,
            self.method_brand.as_deref(),
            &self.method_last4,
        )
    }

    /// Whether the customer may still change or cancel it, `today` (theirs).
    pub fn may_change(&self, today: NaiveDate) -> Result<(), ScheduleError> {
        let date = self.date().ok_or(ScheduleError::Locked)?;
        autopay::may_change(self.status(), date, today)
    }

    pub fn view(&self, now_ms: i64) -> ScheduledPaymentResponse {
        let today = self.zone().date(now_ms);
        let live = self.status().is_live();
        ScheduledPaymentResponse {
            id: self.id.clone(),
            invoice_id: self.invoice_id.clone(),
            invoice_number: self.invoice_number.clone(),
            customer_id: self.customer_id.clone(),
            customer_name: self.customer_name.clone(),
            charge_on: self.charge_on.clone(),
            source: self.source.clone(),
            status: self.status.clone(),
            payment_method_id: self.payment_method_id.clone(),
            payment_method: self.method(),
            amount: match (live, self.attempt_amount) {
                (false, Some(a)) => a,
                _ => autopay::amount(self.amount_due, None, self.amount_cap),
            },
            currency: self.currency.clone(),
            attempts: self.attempts.max(0) as u32,
            next_attempt_at: self
                .next_attempt_at
                .filter(|_| live)
                .map(rfc3339_from_millis),
            last_error: self.last_error.clone(),
            last_error_code: self.last_error_code.clone(),
            payment_intent_id: self.payment_intent_id.clone(),
            can_change: self.may_change(today).is_ok(),
            created_at: rfc3339_from_millis(self.created_at),
            ended_at: self.ended_at.map(rfc3339_from_millis),
            ended_by: self.ended_by.clone(),
        }
    }
}

/// The invoice's live schedule, if any.
pub async fn live(ctx: &Ctx, invoice_id: &str) -> Result<Option<ScheduleRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!("{SELECT} WHERE s.invoice_id = ?1 AND s.status IN {LIVE}"),
        params![invoice_id],
    )?;
    db::one(s).await
}

/// The invoice's latest schedule when it failed (its payment did not go
/// through), while the invoice is open.
pub async fn last_failed(ctx: &Ctx, invoice_id: &str) -> Result<Option<ScheduleRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT * FROM ({SELECT} WHERE s.invoice_id = ?1 ORDER BY s.id DESC LIMIT 1) WHERE status = 'failed'"
        ),
        params![invoice_id],
    )?;
    db::one(s).await
}

/// One schedule by id (of the organization, agents: of their accounts).
pub async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<ScheduleRow, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE s.id = ?1 AND s.organization_id = ?2 AND (?3 IS NULL OR c.assigned_to = ?3)"
        ),
        params![id, org_id, ctx.only_accounts_of()],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("scheduled payment"))
}

/// One schedule by id, whoever's (the charge job).
pub async fn by_id(ctx: &Ctx, id: &str) -> Result<Option<ScheduleRow>, ApiError> {
    let s = db::stmt(&ctx.db, &format!("{SELECT} WHERE s.id = ?1"), params![id])?;
    db::one(s).await
}

/// What a `scheduled_payment_failed` email says, from its dedupe key
/// (`schedule:{id}:{attempt}`): the purpose, the next attempt's date (the
/// customer's) and the method with the bank's words; `None` when the
/// schedule moved on since (paid, cancelled, tried again).
pub async fn failure_email(
    ctx: &Ctx,
    dedupe_key: &str,
) -> Result<Option<(Purpose, Option<String>, String)>, ApiError> {
    let mut parts = dedupe_key.split(':');
    let (Some("schedule"), Some(id), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let Some(row) = super::row::by_id(ctx, id).await? else {
        return Ok(None);
    };
    if row.attempts.to_string() != n {
        return Ok(None);
    }
    let words = format!(
        "{}: {}",
        row.method(),
        row.last_error.clone().unwrap_or_default()
    );
    Ok(match row.status() {
        Status::Retrying => {
            let next = row
                .next_attempt_at
                .map(|at| row.zone().date(at).to_string());
            Some((Purpose::ScheduledRetry, next, words))
        }
        Status::Failed => Some((Purpose::ScheduledGaveUp, None, words)),
        _ => None,
    })
}
