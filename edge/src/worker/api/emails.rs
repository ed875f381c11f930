//! `GET /api/v1/emails`: every email Settle sent or tried to send, the
//! failed ones being the dead letters; and `POST /api/v1/webhooks/email`,
//! the provider's signed delivery events (delivered, bounced, complained).

use super::customers;
use crate::cursor;
use crate::email::webhook::{self, DeliveryKind};
use crate::error::ApiError;
use crate::params;
use crate::security;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{EmailResponse, ListResponse};
use settle_shared::ids::AlertId;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

#[derive(Deserialize)]
struct EmailListRow {
    id: String,
    customer_id: Option<String>,
    member_id: Option<String>,
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
    fn view(self) -> EmailResponse {
        EmailResponse {
            id: self.id,
            customer_id: self.customer_id,
            member_id: self.member_id,
            invoice_id: self.invoice_id,
            kind: self.kind,
            status: self.status,
            to: self.to_address,
            bcc: self.bcc,
            subject: self.subject,
            attempts: self.attempts,
            last_error: self.last_error,
            provider_id: self.provider_id,
            delivery: self.delivery,
            created_at: rfc3339_from_millis(self.created_at),
            sent_at: self.sent_at.map(rfc3339_from_millis),
        }
    }
}

/// `GET /api/v1/emails?status=failed&kind=&customer_id=`: failed emails are
/// the dead letters: every attempt was made and the reason is kept.
pub async fn list_emails(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = customers::page_start(req)?;
    let status = http::one_of(
        "status",
        http::query(req, "status"),
        &["queued", "sent", "failed", "skipped"],
    )?;
    let kind = http::one_of(
        "kind",
        http::query(req, "kind"),
        &[
            "invoice",
            "link",
            "receipt",
            "payment_failed",
            "reminder",
            "statement",
            "sign_in",
            "dispute_answer",
            "promise_reminder",
            "instalment_reminder",
            "plan_decision",
        ],
    )?;
    let customer = http::query(req, "customer_id");
    let s = db::stmt(
        &ctx.db,
        "SELECT id, customer_id, member_id, invoice_id, kind, status, to_address, bcc, subject, attempts, last_error, provider_id, delivery, \
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
            data: rows.into_iter().map(EmailListRow::view).collect::<Vec<_>>(),
            next_cursor: next,
            total: None,
        },
    )
}

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
    // A reply by a customer (inbound mail), not news of one of our emails.
    if let Some(received) = crate::email::inbound::received(&body) {
        let event_id = id.unwrap_or_default();
        return super::disputes::replies::received(ctx, &event_id, received).await;
    }
    let event =
        webhook::parse(&body).map_err(|e| ApiError::new(ErrorCode::InvalidJson, e.to_string()))?;
    let event_id = id.unwrap_or_default();
    #[derive(Deserialize)]
    struct E {
        id: String,
        organization_id: String,
        /// None for a team member's sign-in email.
        customer_id: Option<String>,
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
    if let Some(org) = &org_id {
        ctx.use_clock_of(org).await?;
    }
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO email_events (id, organization_id, provider_id, type, outcome, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            &event_id,
            org_id.clone(),
            &event.provider_id,
            kind,
            outcome,
            ctx.now_ms()
        ],
    )?];
    // Effects run only in the batch that recorded the event first.
    let first = "EXISTS (SELECT 1 FROM email_events WHERE id = ?9 AND received_at = ?10)";
    let guarded = |sql: String, mut args: Vec<db::V>| {
        args.resize_with(8, || db::V::N);
        args.extend(params![&event_id, ctx.now_ms()]);
        db::stmt(&ctx.db, &sql, args)
    };
    if let (Some(e), Some(delivery)) = (&email, delivery) {
        // A bounce or complaint wins over a later "delivered" of the same email.
        stmts.push(guarded(
            format!(
                "UPDATE emails SET delivery = ?1, delivery_at = ?2 WHERE id = ?3 \
                 AND (delivery IS NULL OR delivery NOT IN ('bounced', 'complained')) AND {first}"
            ),
            params![delivery, ctx.now_ms(), &e.id],
        )?);
        if let (true, Some(customer_id)) = (
            matches!(kind, "bounced" | "complained"),
            e.customer_id.as_deref(),
        ) {
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
                    ctx.now_ms(),
                    customer_id,
                    &e.to_address,
                    serde_json::to_string(&event.to).unwrap_or_else(|_| "[]".into())
                ],
            )?);
            let aid = AlertId::generate(
                ctx.now_ms() as u64,
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
                    customer_id,
                    message,
                    json!({ "email_id": e.id, "address": e.to_address, "detail": event.detail }).to_string(),
                    ctx.now_ms()
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
            params![&event_id, ctx.now_ms()],
        )?);
    }
    db::batch(&ctx.db, stmts).await?;
    http::json(200, &json!({ "received": true, "outcome": outcome }))
}

// ---- The customer's reminder preferences: `/u/<customer>/<mac>` ----
