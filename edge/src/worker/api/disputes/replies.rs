//! Replies by email: an `email.received` event from the email provider
//! (verified by the email webhook) whose reply-to address names one of our
//! emails to a customer becomes that customer's message in the thread of
//! the invoice the email was about: its open dispute, or else its open
//! conversation, opened for the reply (a conversation holds no reminders).
//! The account gets a "reply received" mark until the company reads it.
//! Each event is handled once (`inbound_emails`); the rules are
//! `crate::email::inbound`'s.

use super::thread::{self, DisputeRow, NewMessage, SELECT, Side};
use crate::email::inbound;
use crate::error::ApiError;
use crate::outbound::{HttpClient, HttpRequest};
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
use crate::worker::fetch::WorkerFetch;
use crate::worker::http;
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::ids::DisputeId;
use worker::Response;

#[derive(Deserialize)]
struct Replied {
    organization_id: String,
    customer_id: Option<String>,
    invoice_id: Option<String>,
    kind: String,
    customer_name: Option<String>,
}

/// Records what became of a received email that made no message.
async fn record(
    ctx: &Ctx,
    event_id: &str,
    org: Option<&str>,
    r: &inbound::Received,
    outcome: &str,
) -> Result<Response, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO inbound_emails (id, organization_id, email_id, from_address, subject, outcome, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            event_id,
            org,
            &r.email_id,
            r.from.chars().take(320).collect::<String>(),
            r.subject.chars().take(500).collect::<String>(),
            outcome,
            ctx.now_ms()
        ],
    )?;
    s.run()
        .await
        .map_err(|e| ApiError::internal(format!("inbound record: {e}")))?;
    http::json(200, &json!({ "received": true, "outcome": outcome }))
}

/// Fetches the received email's text from the provider's received-emails
/// API; `503` (the provider retries the event) when it cannot be had.
async fn fetch_text(ctx: &Ctx, email_id: &str) -> Result<String, ApiError> {
    let unavailable = |why: String| {
        ApiError::new(
            ErrorCode::EmailProviderUnavailable,
            format!("The received email could not be fetched ({why}); deliver the event again."),
        )
    };
    let well_formed = !email_id.is_empty()
        && email_id.len() <= 100
        && email_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            "`data.email_id` is not a received email's id.",
        ));
    }
    let answer = WorkerFetch
        .send(HttpRequest {
            method: "GET",
            url: format!("{}/emails/receiving/{email_id}", ctx.config.email_api_base),
            headers: vec![(
                "Authorization".into(),
                format!("Bearer {}", ctx.config.email_api_key.expose()),
            )],
            body: String::new(),
        })
        .await
        .map_err(unavailable)?;
    if answer.status != 200 {
        return Err(unavailable(format!("HTTP {}", answer.status)));
    }
    inbound::text_of(&answer.body).ok_or_else(|| unavailable("an unreadable answer".into()))
}

/// Handles a verified `email.received` event.
pub async fn received(
    ctx: &Ctx,
    event_id: &str,
    r: inbound::Received,
) -> Result<Response, ApiError> {
    let seen = db::stmt(
        &ctx.db,
        "SELECT outcome FROM inbound_emails WHERE id = ?1",
        params![event_id],
    )?;
    #[derive(Deserialize)]
    struct Seen {
        outcome: String,
    }
    if let Some(s) = db::one::<Seen>(seen).await? {
        return http::json(
            200,
            &json!({ "received": true, "outcome": s.outcome, "duplicate": true }),
        );
    }
    let Some(domain) = ctx.config.email_reply_domain.as_deref() else {
        return record(ctx, event_id, None, &r, "replies_off").await;
    };
    let Some(email_id) = inbound::replied_email(ctx.config.token_secret.expose(), &r.to, domain)
    else {
        return record(ctx, event_id, None, &r, "unknown_address").await;
    };
    let s = db::stmt(
        &ctx.db,
        "SELECT e.organization_id, e.customer_id, e.invoice_id, e.kind, c.name AS customer_name FROM emails e \
         LEFT JOIN customers c ON c.id = e.customer_id AND c.organization_id = e.organization_id WHERE e.id = ?1",
        params![&email_id],
    )?;
    let Some(email) = db::one::<Replied>(s).await? else {
        return record(ctx, event_id, None, &r, "unknown_address").await;
    };
    let org = email.organization_id.clone();
    ctx.use_clock_of(&org).await?;
    let (Some(customer_id), Some(customer_name)) = (&email.customer_id, &email.customer_name)
    else {
        return record(ctx, event_id, Some(&org), &r, "no_customer").await;
    };
    let text = fetch_text(ctx, &r.email_id).await?;
    let Some((body, full)) = inbound::message(&text) else {
        return record(ctx, event_id, Some(&org), &r, "empty").await;
    };
    // The invoice the email was about; for an email about none (a link, a
    // statement), the customer's open invoice due soonest.
    let invoice_id = match &email.invoice_id {
        Some(i) => i.clone(),
        None => {
            #[derive(Deserialize)]
            struct Inv {
                id: String,
            }
            let s = db::stmt(
                &ctx.db,
                "SELECT id FROM invoices WHERE organization_id = ?1 AND customer_id = ?2 AND status = 'open' \
                 ORDER BY due_date, id LIMIT 1",
                params![&org, customer_id],
            )?;
            match db::one::<Inv>(s).await? {
                Some(i) => i.id,
                None => return record(ctx, event_id, Some(&org), &r, "no_invoice").await,
            }
        }
    };
    // Twice at most: a conversation opened meanwhile by another reply is
    // found the second time.
    for _ in 0..2 {
        let q = db::stmt(
            &ctx.db,
            &format!(
                "{SELECT} WHERE d.organization_id = ?1 AND d.invoice_id = ?2 AND d.status IN ('open', 'rejected') \
                 AND d.kind != 'chargeback' ORDER BY d.kind = 'conversation', d.id DESC LIMIT 1"
            ),
            params![&org, &invoice_id],
        )?;
        let existing = db::one::<DisputeRow>(q).await?;
        let mut stmts = Vec::new();
        let row = match existing {
            Some(d) => d,
            None => {
                let id = DisputeId::generate(ctx.now_ms() as u64, ctx.random10());
                stmts.push(db::stmt(
                    &ctx.db,
                    "INSERT INTO disputes (id, organization_id, invoice_id, customer_id, kind, status, reason, disputed_amount, \
                     opened_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'conversation', 'open', ?5, 0, ?6, ?7, ?7)",
                    params![
                        id.as_str(),
                        &org,
                        &invoice_id,
                        customer_id,
                        r.subject.chars().take(200).collect::<String>(),
                        format!("customer:{customer_id}"),
                        ctx.now_ms()
                    ],
                )?);
                thread::new_row(&id, &org, &invoice_id, customer_id, customer_name)
            }
        };
        let (mid, more) = thread::write(
            ctx,
            &row,
            &NewMessage {
                side: Side::Customer,
                author: "customer",
                member_id: None,
                author_name: customer_name,
                body: &body,
                full_body: full.as_deref(),
                via: "email",
            },
        )?;
        stmts.extend(more);
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO inbound_emails (id, organization_id, email_id, dispute_id, message_id, from_address, subject, outcome, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'delivered', ?8)",
            params![
                event_id,
                &org,
                &r.email_id,
                &row.id,
                mid.as_str(),
                r.from.chars().take(320).collect::<String>(),
                r.subject.chars().take(500).collect::<String>(),
                ctx.now_ms()
            ],
        )?);
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE customers SET reply_received_at = ?3 WHERE id = ?1 AND organization_id = ?2",
            params![customer_id, &org, ctx.now_ms()],
        )?);
        stmts.push(ctx.audit(Audit {
            org: Some(&org),
            actor: &format!("customer:{customer_id}"),
            action: "email.reply_received",
            subject: &invoice_id,
            detail: json!({ "customer_id": customer_id, "dispute_id": row.id, "message_id": mid.as_str(),
                            "in_reply_to": email_id, "email_kind": email.kind, "from": r.from, "subject": r.subject }),
        })?);
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => {
                crate::worker::live::changed(ctx, &row.id).await;
                return http::json(
                    200,
                    &json!({ "received": true, "outcome": "delivered", "dispute_id": row.id, "message_id": mid.as_str() }),
                );
            }
            // The same event delivered twice at once: the other one wrote it.
            Err(db::WriteError::Unique(_)) if seen_now(ctx, event_id).await? => {
                return http::json(200, &json!({ "received": true, "duplicate": true }));
            }
            Err(db::WriteError::Unique(_)) | Err(db::WriteError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        ErrorCode::Conflict,
        "The conversation changed while the reply was written; deliver the event again.",
    ))
}

async fn seen_now(ctx: &Ctx, event_id: &str) -> Result<bool, ApiError> {
    #[derive(Deserialize)]
    struct One {
        #[allow(dead_code)]
        id: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT id FROM inbound_emails WHERE id = ?1",
        params![event_id],
    )?;
    Ok(db::one::<One>(s).await?.is_some())
}
