//! `GET /api/v1/customers/{id}/timeline`: everything that happened with a
//! customer, in order.

use super::customers;
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::{Value, json};
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

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
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
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
                    "delivery": e.delivery, "created_at": rfc3339_from_millis(e.created_at), "sent_at": e.sent_at.map(rfc3339_from_millis),
                }
            }),
        ));
    }
    settle_shared::sort::sort_by_key(&mut events, |(at, _)| *at);
    http::json(
        200,
        &json!({
            "customer": customer.view(),
            "events": events.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        }),
    )
}

// ---- What stops reminders ----
