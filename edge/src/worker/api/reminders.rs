//! `GET /api/v1/reminders` and `/reminders/upcoming`: reminder
//! occurrences as planned, sent and skipped, and what the planner expects.

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::api::{ListResponse, ReminderResponse};
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

#[derive(Deserialize)]
struct OccurrenceRow {
    id: String,
    invoice_id: String,
    customer_id: String,
    policy_id: String,
    offset_days: i64,
    tone: String,
    template: String,
    due_at: i64,
    status: String,
    skip_reason: Option<String>,
    email_id: Option<String>,
    amount_due: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl OccurrenceRow {
    fn view(self) -> ReminderResponse {
        ReminderResponse {
            id: self.id,
            invoice_id: self.invoice_id,
            customer_id: self.customer_id,
            policy_id: self.policy_id,
            offset_days: self.offset_days,
            tone: self.tone,
            template: self.template,
            due_at: rfc3339_from_millis(self.due_at),
            status: self.status,
            skip_reason: self.skip_reason,
            email_id: self.email_id,
            amount_due: self.amount_due,
            created_at: rfc3339_from_millis(self.created_at),
            updated_at: rfc3339_from_millis(self.updated_at),
        }
    }
}

/// `GET /api/v1/reminders?invoice_id=&customer_id=&status=`: occurrences, by due time.
pub async fn list_reminders(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    let status = http::one_of(
        "status",
        http::query(req, "status"),
        &["queued", "sent", "skipped", "failed"],
    )?;
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM reminder_occurrences WHERE organization_id = ?1 AND (?2 IS NULL OR invoice_id = ?2) \
         AND (?3 IS NULL OR customer_id = ?3) AND (?4 IS NULL OR status = ?4) ORDER BY due_at, id LIMIT 500",
        params![
            &org.id,
            http::query(req, "invoice_id"),
            http::query(req, "customer_id"),
            status
        ],
    )?;
    let rows: Vec<OccurrenceRow> = db::all(s).await?;
    http::json(
        200,
        &ListResponse {
            data: rows
                .into_iter()
                .map(OccurrenceRow::view)
                .collect::<Vec<_>>(),
            next_cursor: None,
            total: None,
        },
    )
}

/// `GET /api/v1/reminders/upcoming?until=<RFC 3339>` (at most 90 days
/// ahead; 30 days when absent): the steps expected to go out, and how many
/// emails they make (one per customer and time).
pub async fn upcoming(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    let until = match http::query(req, "until") {
        Some(u) => chrono::DateTime::parse_from_rfc3339(&u)
            .map_err(|_| {
                FieldError::invalid("until", "must be a time such as 2026-12-01T09:00:00Z")
            })?
            .timestamp_millis(),
        None => ctx.now_ms() + 30 * 86_400_000,
    };
    if until < ctx.now_ms() || until > ctx.now_ms() + 90 * 86_400_000 {
        return Err(FieldError::invalid("until", "must be from now to 90 days ahead").into());
    }
    let steps = crate::worker::reminders::upcoming(ctx, &org.id, until).await?;
    let mut emails: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s.customer_id.as_str(), s.at.as_str()))
        .collect();
    settle_shared::sort::sort(&mut emails);
    emails.dedup();
    http::json(
        200,
        &json!({ "until": rfc3339_from_millis(until), "emails": emails.len(), "data": steps }),
    )
}
