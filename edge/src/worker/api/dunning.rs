//! Reminders at work: what the company sees of them (occurrences, emails
//! and dead letters, alerts, a customer's timeline), what stops them
//! (promises, disputes, the customer's own preferences), the email
//! provider's delivery events, and the demo clock of local development.

use super::{customers, invoices};
use crate::cursor;
use crate::email::webhook::{self, DeliveryKind};
use crate::error::ApiError;
use crate::params;
use crate::security;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http, jobs};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use settle_shared::ErrorCode;
use settle_shared::api::ListResponse;
use settle_shared::ids::{AlertId, DisputeId, PromiseId};
use settle_shared::text::{self, FieldError};
use settle_shared::time::{parse_date, rfc3339_from_millis};
use worker::{Request, Response};

fn ts(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339_from_millis)
}

// ---- Demo clock (local development and tests only) ----

/// Refuses unless clock travel is on and the caller is the operator.
fn operator(ctx: &Ctx, req: &Request) -> Result<(), ApiError> {
    if !ctx.config.clock_travel {
        return Err(ApiError::not_found("route"));
    }
    http::operator(ctx, req)
}

#[derive(Deserialize, Default)]
struct Offset {
    offset_ms: i64,
}

async fn offset(ctx: &Ctx) -> Result<i64, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT offset_ms FROM dev_clock WHERE id = 1",
        Vec::new(),
    )?;
    Ok(db::one::<Offset>(s).await?.unwrap_or_default().offset_ms)
}

#[derive(Serialize)]
struct ClockResponse {
    now: String,
    offset_seconds: i64,
    /// Emails queued and ready to go (not waiting for a window): the demo
    /// command waits for none before moving on.
    pending_emails: i64,
}

async fn pending(ctx: &Ctx) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct N {
        n: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM emails WHERE status = 'queued' AND (not_before IS NULL OR not_before <= ?1)",
        params![ctx.now_ms],
    )?;
    Ok(db::one::<N>(s).await?.map_or(0, |n| n.n))
}

/// `GET /api/v1/operator/clock`
pub async fn get_clock(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    operator(ctx, req)?;
    let off = offset(ctx).await?;
    http::json(
        200,
        &ClockResponse {
            now: rfc3339_from_millis(ctx.now_ms),
            offset_seconds: off / 1000,
            pending_emails: pending(ctx).await?,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveClock {
    #[serde(default)]
    advance_seconds: Option<i64>,
    /// RFC 3339.
    #[serde(default)]
    set: Option<String>,
}

/// `POST /api/v1/operator/clock` `{"advance_seconds": 3600}` or `{"set": "2026-12-01T09:00:00Z"}`.
/// The clock only moves forward: reminders already sent stay in the past.
pub async fn move_clock(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    operator(ctx, &req)?;
    let body: MoveClock = http::json_body(req).await?;
    let off = offset(ctx).await?;
    let real_now = ctx.now_ms - off;
    let target = match (body.advance_seconds, body.set.as_deref()) {
        (Some(s), None) if (0..=366 * 86_400).contains(&s) => ctx.now_ms + s * 1000,
        (Some(_), None) => {
            return Err(
                FieldError::invalid("advance_seconds", "must be from 0 to one year").into(),
            );
        }
        (None, Some(at)) => chrono::DateTime::parse_from_rfc3339(at)
            .map_err(|_| FieldError::invalid("set", "must be a time such as 2026-12-01T09:00:00Z"))?
            .timestamp_millis(),
        _ => {
            return Err(FieldError::invalid(
                "advance_seconds",
                "give one of advance_seconds or set",
            )
            .into());
        }
    };
    if target < ctx.now_ms {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The demo clock only moves forward.",
        ));
    }
    let new_offset = target - real_now;
    db::stmt(
        &ctx.db,
        "INSERT INTO dev_clock (id, offset_ms) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET offset_ms = ?1",
        params![new_offset],
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("clock: {e}")))?;
    http::json(
        200,
        &ClockResponse {
            now: rfc3339_from_millis(target),
            offset_seconds: new_offset / 1000,
            pending_emails: 0,
        },
    )
}

/// `POST /api/v1/operator/cron`: runs the cron's work now and answers what
/// the reminder tick did (the scheduled handler runs exactly this).
pub async fn run_cron(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    operator(ctx, req)?;
    let report = jobs::sweep_with(ctx).await?;
    http::json(200, &report)
}

// ---- What the company sees ----

#[derive(Deserialize)]
struct EmailListRow {
    id: String,
    customer_id: String,
    invoice_id: Option<String>,
    kind: String,
    status: String,
    to_address: String,
    bcc: Option<String>,
    subject: Option<String>,
    attempts: i64,
    last_error: Option<String>,
    provider_id: Option<String>,
    delivery: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl EmailListRow {
    fn view(&self) -> Value {
        json!({
            "id": self.id, "customer_id": self.customer_id, "invoice_id": self.invoice_id,
            "kind": self.kind, "status": self.status, "to": self.to_address, "bcc": self.bcc,
            "subject": self.subject, "attempts": self.attempts, "last_error": self.last_error,
            "provider_id": self.provider_id, "delivery": self.delivery,
            "created_at": rfc3339_from_millis(self.created_at), "sent_at": ts(self.sent_at),
        })
    }
}

fn one_of(field: &str, v: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match v {
        Some(x) if !allowed.contains(&x.as_str()) => {
            Err(FieldError::invalid(field, format!("must be one of {}", allowed.join(", "))).into())
        }
        other => Ok(other),
    }
}

/// `GET /api/v1/emails?status=failed&kind=&customer_id=`: failed emails are
/// the dead letters: every attempt was made and the reason is kept.
pub async fn list_emails(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = customers::page_start(req)?;
    let status = one_of(
        "status",
        http::query(req, "status"),
        &["queued", "sent", "failed", "skipped"],
    )?;
    let kind = one_of(
        "kind",
        http::query(req, "kind"),
        &[
            "invoice",
            "link",
            "receipt",
            "payment_failed",
            "reminder",
            "statement",
        ],
    )?;
    let customer = http::query(req, "customer_id");
    let s = db::stmt(
        &ctx.db,
        "SELECT id, customer_id, invoice_id, kind, status, to_address, bcc, subject, attempts, last_error, provider_id, delivery, \
         created_at, sent_at FROM emails WHERE organization_id = ?1 AND id < ?2 AND (?3 IS NULL OR status = ?3) \
         AND (?4 IS NULL OR kind = ?4) AND (?5 IS NULL OR customer_id = ?5) ORDER BY id DESC LIMIT ?6",
        params![
            &org.id,
            before,
            status,
            kind,
            customer,
            i64::from(limit) + 1
        ],
    )?;
    let mut rows: Vec<EmailListRow> = db::all(s).await?;
    let next = customers::next_cursor(&mut rows, limit, |r| &r.id);
    http::json(
        200,
        &ListResponse {
            data: rows.iter().map(EmailListRow::view).collect::<Vec<_>>(),
            next_cursor: next,
        },
    )
}

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
    fn view(&self) -> Value {
        json!({
            "id": self.id, "invoice_id": self.invoice_id, "customer_id": self.customer_id,
            "policy_id": self.policy_id, "offset_days": self.offset_days, "tone": self.tone,
            "template": self.template, "due_at": rfc3339_from_millis(self.due_at), "status": self.status,
            "skip_reason": self.skip_reason, "email_id": self.email_id, "amount_due": self.amount_due,
            "created_at": rfc3339_from_millis(self.created_at), "updated_at": rfc3339_from_millis(self.updated_at),
        })
    }
}

/// `GET /api/v1/reminders?invoice_id=&customer_id=&status=`: occurrences, by due time.
pub async fn list_reminders(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let status = one_of(
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
            data: rows.iter().map(OccurrenceRow::view).collect::<Vec<_>>(),
            next_cursor: None,
        },
    )
}

/// `GET /api/v1/reminders/upcoming?until=<RFC 3339>` (at most 90 days
/// ahead; 30 days when absent): the steps expected to go out, and how many
/// emails they make (one per customer and time).
pub async fn upcoming(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let until = match http::query(req, "until") {
        Some(u) => chrono::DateTime::parse_from_rfc3339(&u)
            .map_err(|_| {
                FieldError::invalid("until", "must be a time such as 2026-12-01T09:00:00Z")
            })?
            .timestamp_millis(),
        None => ctx.now_ms + 30 * 86_400_000,
    };
    if until < ctx.now_ms || until > ctx.now_ms + 90 * 86_400_000 {
        return Err(FieldError::invalid("until", "must be from now to 90 days ahead").into());
    }
    let steps = crate::worker::reminders::upcoming(ctx, &org.id, until).await?;
    let mut emails: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s.customer_id.as_str(), s.at.as_str()))
        .collect();
    emails.sort_unstable();
    emails.dedup();
    http::json(
        200,
        &json!({ "until": rfc3339_from_millis(until), "emails": emails.len(), "data": steps }),
    )
}

#[derive(Deserialize)]
struct AlertRow {
    id: String,
    kind: String,
    customer_id: Option<String>,
    message: String,
    detail: String,
    created_at: i64,
    resolved_at: Option<i64>,
}

/// `GET /api/v1/alerts`: newest first.
pub async fn list_alerts(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM alerts WHERE organization_id = ?1 ORDER BY id DESC LIMIT 200",
        params![&org.id],
    )?;
    let rows: Vec<AlertRow> = db::all(s).await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "kind": a.kind, "customer_id": a.customer_id, "message": a.message,
                "detail": serde_json::from_str::<Value>(&a.detail).unwrap_or(Value::Null),
                "created_at": rfc3339_from_millis(a.created_at), "resolved_at": ts(a.resolved_at),
            })
        })
        .collect();
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
        },
    )
}

#[derive(Deserialize)]
struct TimelineEmail {
    id: String,
    invoice_id: Option<String>,
    kind: String,
    status: String,
    to_address: String,
    bcc: Option<String>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
    last_error: Option<String>,
    delivery: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

#[derive(Deserialize)]
struct TimelineAudit {
    actor: String,
    action: String,
    subject: String,
    detail: String,
    created_at: i64,
}

/// `GET /api/v1/customers/{id}/timeline`: everything that happened with a
/// customer (the latest 2,000 events and 500 emails), oldest first: reminders planned, skipped (with the reason),
/// sent and failed; each email with its content as sent; payments, link
/// views, promises and disputes from the audit trail.
pub async fn timeline(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let customer = customers::load(ctx, &org.id, id).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT id, invoice_id, kind, status, to_address, bcc, subject, text, html, last_error, delivery, created_at, sent_at \
         FROM emails WHERE organization_id = ?1 AND customer_id = ?2 ORDER BY created_at DESC LIMIT 500",
        params![&org.id, &customer.id],
    )?;
    let emails: Vec<TimelineEmail> = db::all(s).await?;
    // Audit rows about this customer: by subject (the customer, its
    // invoices, occurrences, emails) or naming it in their detail.
    let s = db::stmt(
        &ctx.db,
        "SELECT actor, action, subject, detail, created_at FROM audit_events WHERE id IN ( \
           SELECT id FROM audit_events WHERE organization_id = ?1 AND subject = ?2 \
           UNION SELECT id FROM audit_events WHERE organization_id = ?1 AND json_extract(detail, '$.customer_id') = ?2 \
           UNION SELECT a.id FROM invoices i JOIN audit_events a ON a.organization_id = i.organization_id AND a.subject = i.id \
             WHERE i.organization_id = ?1 AND i.customer_id = ?2) \
         ORDER BY id DESC LIMIT 2000",
        params![&org.id, &customer.id],
    )?;
    let audits: Vec<TimelineAudit> = db::all(s).await?;
    let mut events: Vec<(i64, Value)> = Vec::new();
    for a in audits {
        events.push((
            a.created_at,
            json!({
                "at": rfc3339_from_millis(a.created_at), "type": a.action, "actor": a.actor, "subject": a.subject,
                "detail": serde_json::from_str::<Value>(&a.detail).unwrap_or(Value::Null),
            }),
        ));
    }
    for e in emails {
        let at = e.sent_at.unwrap_or(e.created_at);
        events.push((
            at,
            json!({
                "at": rfc3339_from_millis(at), "type": "email", "subject": e.id,
                "email": {
                    "id": e.id, "kind": e.kind, "status": e.status, "invoice_id": e.invoice_id, "to": e.to_address,
                    "bcc": e.bcc, "subject": e.subject, "text": e.text, "html": e.html, "error": e.last_error,
                    "delivery": e.delivery, "created_at": rfc3339_from_millis(e.created_at), "sent_at": ts(e.sent_at),
                }
            }),
        ));
    }
    events.sort_by_key(|(at, _)| *at);
    http::json(
        200,
        &json!({
            "customer": customer.view(),
            "events": events.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        }),
    )
}

// ---- What stops reminders ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromiseRequest {
    promised_date: String,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/invoices/{id}/promises`: the customer promised to pay by a
/// date (recorded by an agent). Reminders for the invoice hold until then.
pub async fn create_promise(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let body: PromiseRequest = http::json_body(req).await?;
    let inv = invoices::load(ctx, &org.id, id).await?;
    if inv.status != "open" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "Invoice {} is {}: there is nothing to promise.",
                inv.number, inv.status
            ),
        ));
    }
    let date = parse_date(&body.promised_date)
        .ok_or_else(|| FieldError::invalid("promised_date", "must be a date such as 2026-12-15"))?;
    let today = crate::views::local_date(ctx.now_ms, &inv.time_zone);
    if date < today || (date - today).num_days() > 90 {
        return Err(FieldError::invalid(
            "promised_date",
            "must be from today to 90 days ahead, in the customer's time zone",
        )
        .into());
    }
    let note = text::optional("note", body.note.as_deref(), text::limits::DESCRIPTION)?;
    let pid = PromiseId::generate(ctx.now_ms as u64, ctx.random10());
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO promises (id, organization_id, invoice_id, customer_id, promised_date, note, created_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'api_key', ?7)",
                params![pid.as_str(), &org.id, &inv.id, &inv.customer_id, date.to_string(), note.clone(), ctx.now_ms],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: "api_key",
                action: "promise.recorded",
                subject: &inv.id,
                detail: json!({ "promise_id": pid.as_str(), "customer_id": inv.customer_id, "promised_date": date.to_string(), "note": note }),
            })?,
        ],
    )
    .await?;
    http::json(
        201,
        &json!({ "id": pid.as_str(), "invoice_id": inv.id, "promised_date": date.to_string(), "note": note,
                 "created_at": rfc3339_from_millis(ctx.now_ms) }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeRequest {
    reason: String,
}

/// `POST /api/v1/invoices/{id}/disputes`: reminders for the invoice pause
/// while the dispute is open.
pub async fn open_dispute(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let body: DisputeRequest = http::json_body(req).await?;
    let inv = invoices::load(ctx, &org.id, id).await?;
    let reason = text::bounded("reason", &body.reason, text::limits::DESCRIPTION)?;
    let did = DisputeId::generate(ctx.now_ms as u64, ctx.random10());
    let write = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO disputes (id, organization_id, invoice_id, customer_id, status, reason, opened_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'open', ?5, 'api_key', ?6)",
                params![did.as_str(), &org.id, &inv.id, &inv.customer_id, &reason, ctx.now_ms],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: "api_key",
                action: "dispute.opened",
                subject: &inv.id,
                detail: json!({ "dispute_id": did.as_str(), "customer_id": inv.customer_id, "reason": reason }),
            })?,
        ],
    )
    .await;
    match write {
        Ok(_) => {}
        Err(db::WriteError::Unique(_)) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("Invoice {} already has an open dispute.", inv.number),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    http::json(
        201,
        &json!({ "id": did.as_str(), "invoice_id": inv.id, "status": "open", "reason": reason,
                 "created_at": rfc3339_from_millis(ctx.now_ms) }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveRequest {
    resolution: String,
}

/// `POST /api/v1/disputes/{id}/resolve`: reminders resume at the next step.
pub async fn resolve_dispute(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let body: ResolveRequest = http::json_body(req).await?;
    let resolution = text::bounded("resolution", &body.resolution, text::limits::DESCRIPTION)?;
    if DisputeId::parse(id).is_err() {
        return Err(ApiError::not_found("dispute"));
    }
    #[derive(Deserialize)]
    struct D {
        invoice_id: String,
        customer_id: String,
    }
    let gone = || {
        ApiError::new(
            ErrorCode::NotFound,
            "There is no open dispute with this id.",
        )
    };
    let s = db::stmt(
        &ctx.db,
        "SELECT invoice_id, customer_id FROM disputes WHERE id = ?1 AND organization_id = ?2 AND status = 'open'",
        params![id, &org.id],
    )?;
    let d = db::one::<D>(s).await?.ok_or_else(gone)?;
    // The change and its audit row in one transaction; the audit row only
    // if this request is the one that resolved it.
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE disputes SET status = 'resolved', resolution = ?1, resolved_at = ?2 \
                 WHERE id = ?3 AND organization_id = ?4 AND status = 'open'",
                params![&resolution, ctx.now_ms, id, &org.id],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: "api_key",
                    action: "dispute.resolved",
                    subject: &d.invoice_id,
                    detail: json!({ "dispute_id": id, "customer_id": d.customer_id, "resolution": resolution }),
                },
                "SELECT 1 WHERE changes() = 1",
                Vec::new(),
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(gone());
    }
    http::json(
        200,
        &json!({ "id": id, "invoice_id": d.invoice_id, "status": "resolved", "resolution": resolution }),
    )
}

// ---- Delivery events from the email provider ----

/// `POST /api/v1/webhooks/email`: verified (Svix signature over the raw
/// body), recorded by event id, applied once. A bounce or complaint stops
/// mail to the address until the company changes it, and raises an alert.
pub async fn email_webhook(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let Some(secret) = ctx.config.email_webhook_secret.as_ref() else {
        return Err(ApiError::not_found("route"));
    };
    let id = http::header(&req, "svix-id");
    let timestamp = http::header(&req, "svix-timestamp");
    let signature = http::header(&req, "svix-signature");
    let body = http::raw_body(req, 256 * 1024).await?;
    let refuse = |e: webhook::WebhookError| {
        ApiError::new(
            ErrorCode::SignatureInvalid,
            format!("Delivery refused: {e}."),
        )
    };
    webhook::verify(
        secret.expose(),
        id.as_deref(),
        timestamp.as_deref(),
        signature.as_deref(),
        &body,
        // Signatures are made in real time, whatever the demo clock says.
        ctx.real_now_ms / 1000,
    )
    .map_err(refuse)?;
    let event =
        webhook::parse(&body).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.to_string()))?;
    let event_id = id.unwrap_or_default();
    #[derive(Deserialize)]
    struct E {
        id: String,
        organization_id: String,
        customer_id: String,
        invoice_id: Option<String>,
        kind: String,
        to_address: String,
    }
    // Our email: by the provider's id, or by our id echoed in its tags.
    let s = db::stmt(
        &ctx.db,
        "SELECT id, organization_id, customer_id, invoice_id, kind, to_address FROM emails \
         WHERE (provider_id = ?1 AND ?1 != '') OR id = ?2 LIMIT 1",
        params![
            &event.provider_id,
            event.id_hint.clone().unwrap_or_default()
        ],
    )?;
    let email = db::one::<E>(s).await?;
    let (kind, delivery) = match &event.kind {
        DeliveryKind::Delivered => ("delivered", Some("delivered")),
        DeliveryKind::Bounced { permanent: true } => ("bounced", Some("bounced")),
        DeliveryKind::Bounced { permanent: false } => ("soft_bounce", Some("delayed")),
        DeliveryKind::Complained => ("complained", Some("complained")),
        DeliveryKind::DeliveryDelayed => ("delayed", Some("delayed")),
        DeliveryKind::Other(_) => ("other", None),
    };
    let outcome = match (&email, delivery) {
        (None, _) => "unknown_email",
        (Some(_), None) => "ignored",
        (Some(_), Some(_)) => "applied",
    };
    let org_id = email.as_ref().map(|e| e.organization_id.clone());
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO email_events (id, organization_id, provider_id, type, outcome, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            &event_id,
            org_id.clone(),
            &event.provider_id,
            kind,
            outcome,
            ctx.now_ms
        ],
    )?];
    // Effects run only in the batch that recorded the event first.
    let first = "EXISTS (SELECT 1 FROM email_events WHERE id = ?9 AND received_at = ?10)";
    let guarded = |sql: String, mut args: Vec<db::V>| {
        args.resize_with(8, || db::V::N);
        args.extend(params![&event_id, ctx.now_ms]);
        db::stmt(&ctx.db, &sql, args)
    };
    if let (Some(e), Some(delivery)) = (&email, delivery) {
        // A bounce or complaint wins over a later "delivered" of the same email.
        stmts.push(guarded(
            format!(
                "UPDATE emails SET delivery = ?1, delivery_at = ?2 WHERE id = ?3 \
                 AND (delivery IS NULL OR delivery NOT IN ('bounced', 'complained')) AND {first}"
            ),
            params![delivery, ctx.now_ms, &e.id],
        )?);
        if matches!(kind, "bounced" | "complained") {
            // Only if the customer still has this address.
            stmts.push(guarded(
                format!(
                    "UPDATE customers SET email_status = ?1, email_status_at = ?2 WHERE id = ?3 AND email_lower = lower(?4) \
                     AND lower(?4) IN (SELECT lower(value) FROM json_each(?5)) AND {first}"
                ),
                // Only the customer's own address, as the event names it
                // (not a blind copy's mailbox), and only if it is still theirs.
                params![
                    kind,
                    ctx.now_ms,
                    &e.customer_id,
                    &e.to_address,
                    serde_json::to_string(&event.to).unwrap_or_else(|_| "[]".into())
                ],
            )?);
            let aid = AlertId::generate(
                ctx.now_ms as u64,
                security::stable_bytes(&format!("alert:{event_id}")),
            );
            let message = if kind == "bounced" {
                format!(
                    "Email to {} bounced: {}. Reminders to this address are stopped until it is changed.",
                    e.to_address, event.detail
                )
            } else {
                format!(
                    "{} marked an email as spam. Reminders to this address are stopped until it is changed.",
                    e.to_address
                )
            };
            stmts.push(guarded(
                format!(
                    "INSERT OR IGNORE INTO alerts (id, organization_id, kind, customer_id, message, detail, created_at) \
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE {first}"
                ),
                params![
                    aid.as_str(),
                    &e.organization_id,
                    format!("email_{kind}"),
                    &e.customer_id,
                    message,
                    json!({ "email_id": e.id, "address": e.to_address, "detail": event.detail }).to_string(),
                    ctx.now_ms
                ],
            )?);
            if e.kind == "invoice" {
                // The invoice did not reach the customer: it is not "sent".
                stmts.push(guarded(
                    format!(
                        "UPDATE invoices SET sent_at = NULL WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM emails WHERE invoice_id = ?1 \
                         AND kind = 'invoice' AND status = 'sent' AND id != ?2 AND COALESCE(delivery, '') NOT IN ('bounced', 'complained')) AND {first}"
                    ),
                    params![e.invoice_id.clone(), &e.id],
                )?);
            }
        }
        stmts.push(ctx.audit_if(
            Audit {
                org: Some(&e.organization_id),
                actor: "email_provider",
                action: &format!("email.{kind}"),
                subject: &e.id,
                detail: json!({ "customer_id": e.customer_id, "invoice_id": e.invoice_id, "event_id": event_id, "to": event.to, "detail": event.detail, "occurred_at": event.occurred_at }),
            },
            "SELECT 1 FROM email_events WHERE id = ?9 AND received_at = ?10",
            params![&event_id, ctx.now_ms],
        )?);
    }
    db::batch(&ctx.db, stmts).await?;
    http::json(200, &json!({ "received": true, "outcome": outcome }))
}

// ---- The customer's reminder preferences: `/u/<customer>/<mac>` ----

/// The words of the preferences page, per language.
struct PrefText {
    title: &'static str,
    hello: &'static str,
    on: &'static str,
    stop: &'static str,
    off: &'static str,
    resume: &'static str,
    stopped: &'static str,
    resumed: &'static str,
    invalid: &'static str,
}

fn pref_text(lang: crate::i18n::Lang) -> PrefText {
    use crate::i18n::Lang;
    match lang {
        Lang::Fr => PrefText {
            title: "Préférences de relance",
            hello: "Bonjour {name}.",
            on: "{company} vous envoie des rappels de paiement avant et après les échéances, ainsi qu'un relevé mensuel.",
            stop: "Arrêter les rappels et les relevés",
            off: "Vous ne recevez plus de rappels de paiement ni de relevés mensuels de {company}. Les factures et les reçus vous parviennent toujours.",
            resume: "Recevoir à nouveau les rappels",
            stopped: "C'est fait : vous ne recevrez plus de rappels ni de relevés.",
            resumed: "C'est fait : les rappels sont réactivés.",
            invalid: "Ce lien n'est pas valide. Utilisez le lien de votre dernier e-mail.",
        },
        Lang::Ar => PrefText {
            title: "تفضيلات التذكير",
            hello: "مرحبًا {name}.",
            on: "ترسل لك {company} تذكيرات بالدفع قبل مواعيد الاستحقاق وبعدها، وكشف حساب شهريًا.",
            stop: "إيقاف التذكيرات وكشوف الحساب",
            off: "لن تصلك تذكيرات دفع أو كشوف حساب شهرية من {company}. ستصلك الفواتير والإيصالات كالمعتاد.",
            resume: "أرسلوا لي التذكيرات مجددًا",
            stopped: "تم: لن تصلك تذكيرات أو كشوف حساب بعد الآن.",
            resumed: "تم: أُعيد تفعيل التذكيرات.",
            invalid: "هذا الرابط غير صالح. استخدم الرابط الموجود في أحدث رسالة وصلتك.",
        },
        _ => PrefText {
            title: "Reminder preferences",
            hello: "Hello {name}.",
            on: "{company} sends you payment reminders before and after due dates, and a monthly statement.",
            stop: "Stop reminders and statements",
            off: "You get no payment reminders or monthly statements from {company}. Invoices and receipts still reach you.",
            resume: "Send me reminders again",
            stopped: "Done: you will get no more reminders or statements.",
            resumed: "Done: reminders are on again.",
            invalid: "This link is not valid. Use the link in your latest email.",
        },
    }
}

/// `GET` shows the page; `POST` with `action=stop|resume` (a form) or with
/// `List-Unsubscribe=One-Click` (RFC 8058, sent by mail clients) changes it.
/// The page speaks the customer's language; user text is escaped.
pub async fn preferences(
    ctx: &Ctx,
    req: Request,
    customer_id: &str,
    mac: &str,
) -> Result<Response, ApiError> {
    use crate::email::render::escape;
    use crate::i18n::Lang;
    use crate::reminders::preferences;
    let secret = ctx.config.token_secret.expose();
    let valid = security::preferences_customer(secret, customer_id, mac).is_some();
    #[derive(Deserialize)]
    struct C {
        organization_id: String,
        name: String,
        locale: String,
        reminders_opt_out: i64,
        opt_out_by: Option<String>,
        display_name: String,
        primary_color: Option<String>,
    }
    let customer = if valid {
        let s = db::stmt(
            &ctx.db,
            "SELECT c.organization_id, c.name, c.locale, c.reminders_opt_out, c.opt_out_by, o.display_name, o.primary_color \
             FROM customers c JOIN organizations o ON o.id = c.organization_id WHERE c.id = ?1",
            params![customer_id],
        )?;
        db::one::<C>(s).await?
    } else {
        None
    };
    let Some(c) = customer else {
        let t = pref_text(Lang::En);
        return page(
            404,
            Lang::En,
            t.title,
            "",
            &format!("<p>{}</p>", t.invalid),
            None,
        );
    };
    let lang = Lang::from_locale(&c.locale);
    let t = pref_text(lang);
    let mut opted_out = c.reminders_opt_out != 0;
    let mut note = String::new();
    if req.method() == worker::Method::Post {
        // The List-Unsubscribe URL carries `?one-click=1`: a POST to it is
        // a one-click unsubscribe whatever its body's encoding (RFC 8058
        // senders may post multipart/form-data).
        let one_click_url = http::query(&req, "one-click").is_some_and(|v| v == "1");
        let content_type = http::header(&req, "Content-Type");
        let body = http::raw_body(req, 4096).await?;
        let change = preferences::read(&body, content_type.as_deref(), one_click_url);
        let current = preferences::OptOut::stored(opted_out, c.opt_out_by.as_deref());
        let after = preferences::customer_sets(change, current);
        let (stop, one_click) = match change {
            preferences::Change::Stop { one_click } => (true, one_click),
            _ => (false, false),
        };
        if change != preferences::Change::Nothing {
            db::batch(
                &ctx.db,
                vec![
                    db::stmt(
                        &ctx.db,
                        "UPDATE customers SET reminders_opt_out = ?1, opt_out_by = ?2 WHERE id = ?3",
                        params![i64::from(after.opted_out()), after.by(), customer_id],
                    )?,
                    ctx.audit(Audit {
                        org: Some(&c.organization_id),
                        actor: &format!("customer:{customer_id}"),
                        action: if stop {
                            "customer.reminders_stopped"
                        } else {
                            "customer.reminders_resumed"
                        },
                        subject: customer_id,
                        detail: json!({ "customer_id": customer_id, "one_click": one_click }),
                    })?,
                ],
            )
            .await?;
            opted_out = after.opted_out();
            note = format!(
                "<p role=\"status\" class=\"ok\">{}</p>",
                if stop { t.stopped } else { t.resumed }
            );
        }
    }
    let company = escape(&c.display_name);
    let fill = |s: &str| s.replace("{company}", &company);
    let state = if opted_out {
        format!(
            "<p>{}</p><form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"resume\"><button>{}</button></form>",
            fill(t.off),
            t.resume
        )
    } else {
        format!(
            "<p>{}</p><form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"stop\"><button>{}</button></form>",
            fill(t.on),
            t.stop
        )
    };
    let html = format!(
        "<p>{}</p>{note}{state}",
        t.hello.replace("{name}", &escape(&c.name))
    );
    page(
        200,
        lang,
        t.title,
        &company,
        &html,
        c.primary_color.as_deref(),
    )
}

fn page(
    status: u16,
    lang: crate::i18n::Lang,
    title: &str,
    company: &str,
    body: &str,
    colour: Option<&str>,
) -> Result<Response, ApiError> {
    let colour = colour
        .filter(|c| text::hex_colour("colour", c).is_ok())
        .unwrap_or("#1a56db");
    let dir = if lang.rtl() { "rtl" } else { "ltr" };
    let html = format!(
        "<!doctype html><html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1f2328;line-height:1.5}}\
         main{{max-width:32rem;margin:1.5rem auto;background:#fff;border-top:6px solid {colour};border-radius:8px;padding:1.25rem 1.5rem;margin-inline:max(1rem,calc(50% - 16rem))}}\
         .co{{font-weight:700;font-size:1.1rem;margin:0}}h1{{font-size:1.35rem;margin:.5rem 0 1rem}}\
         button{{font:inherit;background:{colour};color:#fff;border:0;border-radius:6px;padding:.75rem 1.25rem;cursor:pointer;min-height:44px}}\
         button:focus-visible{{outline:3px solid #1f2328;outline-offset:2px}}.ok{{background:#e6f4ea;padding:.5rem .75rem;border-radius:6px}}</style>\
         </head><body><main><p class=\"co\">{company}</p><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
    );
    let mut resp = Response::from_html(html).map_err(|e| ApiError::internal(e.to_string()))?;
    resp = resp.with_status(status);
    let h = resp.headers_mut();
    let _ = h.set("Cache-Control", "no-store");
    let _ = h.set("Referrer-Policy", "no-referrer");
    let _ = h.set("X-Frame-Options", "DENY");
    let _ = h.set(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    );
    Ok(resp)
}
