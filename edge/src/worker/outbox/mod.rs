//! The outbox: emails recorded as `queued` in the same batch as the change
//! that causes them, then sent by the queue consumer.
//!
//! Each attempt is counted on the row before it starts, so nothing retries
//! forever (`crate::email::delivery` decides sending or retrying); if a
//! message is lost, the cron enqueues rows not tried for a while. The link
//! inside an email is derived from the email's id, so every attempt sends the
//! same body under the same `Idempotency-Key`, and the provider delivers it
//! once.
//!
//! One send is one sequence, read in order here: claim the attempt, prepare
//! (or reload) the body, store it, send the company's copy and the email,
//! record the outcome. Its decisions are `email::delivery`'s; preparing the
//! body of each kind is in `prepare`.
//!
//! About 500 lines: the send is one sequence of reads and writes whose order
//! is the point (a crash between any two steps must not send twice), so it
//! stays in one file to be read top to bottom.

mod prepare;
mod sign_in;

use super::api::{links, organizations};
use super::fetch::WorkerFetch;
use super::queue::Outcome;
use super::reminders;
use crate::email::{
    EmailError, EmailSender, OutgoingEmail, Rendered,
    delivery::{self, Decision},
    resend::ResendSender,
};
use crate::error::ApiError;
use crate::params;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
pub use prepare::brand;
use prepare::{prepare_plain, stored_again};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ids::EmailId;
use worker::D1PreparedStatement;

/// An email to queue: to whom, about what.
pub struct QueuedEmail<'a> {
    pub id: &'a EmailId,
    pub org_id: &'a str,
    pub customer_id: &'a str,
    pub invoice_id: Option<&'a str>,
    /// `invoice`, `link`, `receipt`, `payment_failed`
    pub kind: &'a str,
    pub to: &'a str,
    /// Set for emails due once per fact: a second one is not stored.
    pub dedupe_key: Option<String>,
}

/// The statement that records an email as queued.
pub fn queue_email_stmt(ctx: &Ctx, e: QueuedEmail<'_>) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO emails (id, organization_id, customer_id, invoice_id, kind, status, to_address, dedupe_key, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8)",
        params![
            e.id.as_str(),
            e.org_id,
            e.customer_id,
            e.invoice_id,
            e.kind,
            e.to,
            e.dedupe_key,
            ctx.now_ms()
        ],
    )
}

/// A stored email, as the consumer reads it.
#[derive(Deserialize)]
pub struct EmailRow {
    pub id: String,
    pub organization_id: String,
    /// The customer it is for; none for an email to a team member.
    pub customer_id: Option<String>,
    /// The team member it is for (sign-in links).
    #[serde(default)]
    pub member_id: Option<String>,
    pub invoice_id: Option<String>,
    pub kind: String,
    pub attempts: i64,
    pub created_at: i64,
    /// What the first attempt rendered (with the link token replaced by
    /// the link id); a retry sends exactly this again.
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub bcc: Option<String>,
    /// The thread an answer email is about.
    #[serde(default)]
    pub dispute_id: Option<String>,
    /// Set for emails due once per fact (a plan's decision names its plan).
    #[serde(default)]
    pub dedupe_key: Option<String>,
}

/// What is sent, and the occurrences it carries (reminders only).
pub struct Ready {
    pub rendered: Rendered,
    pub link: SecretLink,
    pub bcc: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Reminder occurrences the email carries, with the balance of each.
    pub occurrences: Vec<(String, i64)>,
}

/// The secret link inside an email: sent as it is, stored with the secret
/// replaced (`redacted`), with the statements that store the link itself.
pub struct SecretLink {
    pub url: String,
    pub redacted: String,
    pub stmts: Vec<D1PreparedStatement>,
}

impl SecretLink {
    /// A customer's portal link: stored as `/c/[<link id>]`.
    pub fn customer(ctx: &Ctx, link: links::NewLink) -> SecretLink {
        SecretLink {
            redacted: format!("{}/c/[{}]", ctx.config.public_base_url, link.id),
            url: link.url,
            stmts: link.stmts,
        }
    }
}

/// Sends a queued email once (see the module doc).
pub(super) async fn send_email(ctx: &Ctx, email_id: &str) -> Result<Outcome, ApiError> {
    if ctx.config.clock_travel {
        // Development only: the email's organization's demo clock.
        #[derive(serde::Deserialize)]
        struct Org {
            organization_id: String,
        }
        let s = db::stmt(
            &ctx.db,
            "SELECT organization_id FROM emails WHERE id = ?1",
            params![email_id],
        )?;
        if let Some(o) = db::one::<Org>(s).await? {
            ctx.use_clock_of(&o.organization_id).await?;
        }
    }
    // Count the attempt before making it: a crash mid-send still counts.
    let claim = db::stmt(
        &ctx.db,
        "UPDATE emails SET attempts = attempts + 1, last_attempt_at = ?1 WHERE id = ?2 AND status = 'queued' RETURNING *",
        params![ctx.now_ms(), email_id],
    )?;
    let Some(row) = db::one::<EmailRow>(claim).await? else {
        return Ok(Outcome::Done); // unknown, or already finished
    };
    if let Some(Decision::Failed { reason }) = delivery::before_attempt(row.attempts) {
        finish(ctx, &row, "failed", None, Some(reason), None).await?;
        return Ok(Outcome::Done);
    }
    let org = organizations::load(ctx, &row.organization_id).await?;
    let prepared = match row.member_id.as_deref() {
        Some(member) => sign_in::prepare(ctx, &row, &org, member).await?,
        None => for_customer(ctx, &row, &org).await?,
    };
    let Some((to, ready)) = prepared else {
        return Ok(Outcome::Done);
    };
    deliver(ctx, &row, &org, &to, ready).await
}

/// A customer's email, ready to go to their address; `None` when it was
/// skipped or deferred (and recorded as such).
async fn for_customer(
    ctx: &Ctx,
    row: &EmailRow,
    org: &OrganizationRow,
) -> Result<Option<(String, Ready)>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM customers WHERE id = ?1",
        params![row.customer_id.as_deref()],
    )?;
    let customer: CustomerRow = db::one(s)
        .await?
        .ok_or_else(|| ApiError::internal("email for a missing customer"))?;
    // A bounced or complaining address gets nothing more until it changes.
    if customer.email_status != "ok" {
        let note = format!(
            "the address {} is failing ({})",
            customer.email, customer.email_status
        );
        finish_as(
            ctx,
            row,
            "skipped",
            None,
            Some(note),
            None,
            Some(crate::reminders::Skip::AddressFailing.as_str()),
        )
        .await?;
        return Ok(None);
    }
    // A retry resends what the first attempt rendered, byte for byte, under
    // the same key: that attempt may have reached the provider, so nothing
    // is checked or rendered again (and the window does not hold it).
    let retry = row.attempts > 1 && row.text.is_some();
    let ready = match &row.kind[..] {
        _ if retry => stored_again(ctx, row, org, &customer).await?,
        "reminder" | "statement" => match reminders::prepare(ctx, row, org, &customer).await? {
            reminders::Prepared::Send(r) => *r,
            reminders::Prepared::Wait(at) => {
                // Outside the customer's hours: not an attempt; the sweep
                // enqueues it when the window opens.
                let s = db::stmt(
                    &ctx.db,
                    "UPDATE emails SET attempts = attempts - 1, not_before = ?1 WHERE id = ?2 AND status = 'queued'",
                    params![at, &row.id],
                )?;
                s.run()
                    .await
                    .map_err(|e| ApiError::internal(format!("defer email: {e}")))?;
                return Ok(None);
            }
            reminders::Prepared::Skip(reason) => {
                finish(ctx, row, "skipped", None, Some(reason), None).await?;
                return Ok(None);
            }
        },
        "dispute_answer" => match prepare::prepare_answer(ctx, row, org, &customer).await? {
            Some(r) => r,
            None => return Ok(None),
        },
        _ => match prepare_plain(ctx, row, org, &customer).await? {
            Some(r) => r,
            None => return Ok(None),
        },
    };
    Ok(Some((customer.email.clone(), ready)))
}

/// Stores what is about to be sent, sends the company's copy and the email,
/// and records the outcome (sent, retry, or failed).
async fn deliver(
    ctx: &Ctx,
    row: &EmailRow,
    org: &OrganizationRow,
    to: &str,
    ready: Ready,
) -> Result<Outcome, ApiError> {
    let mut link = ready.link;
    let rendered = ready.rendered;
    // Stored before sending, as evidence and for retries: the body with
    // the secret token replaced by the link id.
    let redacted = |s: &str| s.replace(&link.url, &link.redacted);
    let mut first = std::mem::take(&mut link.stmts);
    first.push(db::stmt(
        &ctx.db,
        "UPDATE emails SET subject = ?1, html = ?2, text = ?3, to_address = ?4 WHERE id = ?5 AND status = 'queued'",
        params![
            &rendered.subject,
            redacted(&rendered.html),
            redacted(&rendered.text),
            to,
            &row.id
        ],
    )?);
    db::batch(&ctx.db, first).await?;
    let stored = Stored {
        subject: rendered.subject.clone(),
        occurrences: ready.occurrences,
    };
    let email = OutgoingEmail {
        from: crate::email::mailbox(
            org.sender_name.as_deref().unwrap_or(&org.display_name),
            &ctx.config.email_from,
        ),
        to: to.to_owned(),
        bcc: ready.bcc,
        headers: ready.headers,
        // A reply to an email to a customer comes back into their thread
        // when replies are received; otherwise it goes to the company.
        reply_to: Some(match (&ctx.config.email_reply_domain, &row.customer_id) {
            (Some(domain), Some(_)) => crate::email::mailbox(
                org.sender_name.as_deref().unwrap_or(&org.display_name),
                &crate::email::inbound::reply_address(
                    ctx.config.token_secret.expose(),
                    &row.id,
                    domain,
                ),
            ),
            _ => org
                .reply_to
                .clone()
                .unwrap_or_else(|| org.support_email.clone()),
        }),
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        idempotency_key: row.id.clone(),
        email_id: row.id.clone(),
    };
    let sender = ResendSender {
        base_url: &ctx.config.email_api_base,
        api_key: ctx.config.email_api_key.expose(),
        client: WorkerFetch,
    };
    // The company's copy goes on its own, with no working link in it; it
    // goes first, so that a retry after it failed sends both.
    let mut secret_links = email.unsubscribe_links();
    secret_links.push(link.url.clone());
    let links: Vec<&str> = secret_links.iter().map(String::as_str).collect();
    let copy = email.company_copy(&links, "[link removed in this copy]");
    let mut email = email;
    email.bcc = None;
    let copied = match &copy {
        Some(copy) => match sender.send(copy).await {
            Err(EmailError::Transient(e)) => {
                Err(EmailError::Transient(format!("company copy: {e}")))
            }
            Err(EmailError::Rejected(e)) => {
                worker::console_error!("company copy of {} refused: {e}", row.id);
                Ok(())
            }
            _ => Ok(()),
        },
        None => Ok(()),
    };
    let answer = match copied {
        Ok(()) => sender.send(&email).await,
        Err(e) => Err(e),
    };
    let provider_id = answer.as_ref().ok().cloned();
    match delivery::after_attempt(
        row.attempts,
        answer.map(|_| ()),
        &ctx.config.email_retry_schedule,
    ) {
        Decision::Sent { note } => {
            finish(ctx, row, "sent", provider_id, note, Some(stored)).await?;
            reminders::apply_pending_actions(
                ctx,
                Some(&row.id),
                super::cron::Scope::Organization(&row.organization_id),
            )
            .await?;
            Ok(Outcome::Done)
        }
        Decision::Failed { reason } => {
            finish(ctx, row, "failed", None, Some(reason), Some(stored)).await?;
            Ok(Outcome::Done)
        }
        Decision::Retry { after_secs, reason } => {
            db::batch(
                &ctx.db,
                vec![
                    // The sweep leaves it to the queue's retry until then.
                    db::stmt(
                        &ctx.db,
                        "UPDATE emails SET last_error = ?1, retry_at = ?2 WHERE id = ?3 AND status = 'queued'",
                        params![
                            &reason,
                            ctx.now_ms() + i64::from(after_secs) * 1000,
                            &row.id
                        ],
                    )?,
                    ctx.audit(Audit {
                        org: Some(&row.organization_id),
                        actor: "system",
                        action: "email.attempt_failed",
                        subject: &row.id,
                        detail: json!({ "attempt": row.attempts, "error": reason, "kind": row.kind, "customer_id": row.customer_id }),
                    })?,
                ],
            )
            .await?;
            Ok(Outcome::RetryIn(after_secs))
        }
    }
}

/// What the end of an email records: its subject (for the audit row) and
/// the reminder occurrences (with the balance each reminded) it carried.
struct Stored {
    subject: String,
    occurrences: Vec<(String, i64)>,
}

/// Records the end of an email's life: sent, failed or skipped. The audit
/// row is added only by the attempt that actually ended it; the reminder
/// occurrences it carried end with it.
async fn finish(
    ctx: &Ctx,
    row: &EmailRow,
    status: &str,
    provider_id: Option<String>,
    note: Option<String>,
    content: Option<Stored>,
) -> Result<(), ApiError> {
    finish_as(ctx, row, status, provider_id, note, content, None).await
}

/// [`finish`], with a reason code for the reminder occurrences the email
/// carried (their skip reason; the note otherwise).
async fn finish_as(
    ctx: &Ctx,
    row: &EmailRow,
    status: &str,
    provider_id: Option<String>,
    note: Option<String>,
    content: Option<Stored>,
    code: Option<&str>,
) -> Result<(), ApiError> {
    // The body was stored before the send (see `send_email`).
    let (subject, occurrences) = match content {
        Some(c) => (Some(c.subject), c.occurrences),
        None => (None, Vec::new()),
    };
    let sent_at = (status == "sent").then_some(ctx.now_ms());
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "UPDATE emails SET status = ?1, provider_id = ?2, last_error = ?3, subject = COALESCE(?4, subject), sent_at = ?5 \
         WHERE id = ?6 AND status = 'queued'",
        params![
            status,
            provider_id.clone(),
            note.clone(),
            subject.clone(),
            sent_at,
            &row.id
        ],
    )?];
    if status == "sent" && row.kind == "invoice" {
        stmts.push(db::stmt(
            &ctx.db,
            // A bounce can be reported before the provider's answer: an
            // email that bounced never makes the invoice "sent".
            "UPDATE invoices SET sent_at = COALESCE(sent_at, ?1) WHERE id = ?2 \
             AND NOT EXISTS (SELECT 1 FROM emails WHERE id = ?3 AND delivery IN ('bounced', 'complained'))",
            params![ctx.now_ms(), row.invoice_id.clone(), &row.id],
        )?);
    }
    if row.kind == "reminder" {
        // Occurrences in the email end as it does; those skipped before
        // sending are already marked.
        let end = match status {
            "sent" => "sent",
            "failed" => "failed",
            _ => "skipped",
        };
        let sent: std::collections::HashMap<&str, i64> =
            occurrences.iter().map(|(k, b)| (k.as_str(), *b)).collect();
        let keys: Vec<&str> = sent.keys().copied().collect();
        let reason = code.map(str::to_owned).or_else(|| note.clone());
        // Occurrences that end with the email without being named (given
        // up, address failing…): one audit row each, written only by the
        // attempt that ends the email (before its status changes below).
        stmts.insert(
            0,
            db::stmt(
                &ctx.db,
                "INSERT INTO audit_events (id, organization_id, actor, action, subject, ip, detail, created_at) \
                 SELECT 'aud_' || printf('%012x', ?1) || lower(hex(randomblob(10))), organization_id, 'system', ?2, id, NULL, \
                 json_object('email_id', ?3, 'customer_id', customer_id, 'invoice_id', invoice_id, 'reason', ?4), ?1 \
                 FROM reminder_occurrences WHERE email_id = ?3 AND status = 'queued' \
                 AND id NOT IN (SELECT value FROM json_each(?5)) \
                 AND EXISTS (SELECT 1 FROM emails WHERE id = ?3 AND status = 'queued')",
                params![
                    ctx.now_ms(),
                    format!("reminder.{end}"),
                    &row.id,
                    reason.clone(),
                    serde_json::to_string(&keys).unwrap_or_default()
                ],
            )?,
        );
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE reminder_occurrences SET status = ?1, skip_reason = CASE WHEN ?1 = 'sent' THEN skip_reason ELSE ?2 END, \
             updated_at = ?3 WHERE email_id = ?4 AND status = 'queued'",
            params![end, reason, ctx.now_ms(), &row.id],
        )?);
        for (key, balance) in &sent {
            stmts.push(db::stmt(
                &ctx.db,
                "UPDATE reminder_occurrences SET amount_due = ?1 WHERE id = ?2",
                params![*balance, *key],
            )?);
            stmts.push(ctx.audit_if(
                Audit {
                    org: Some(&row.organization_id),
                    actor: "system",
                    action: &format!("reminder.{end}"),
                    subject: key,
                    detail: json!({ "email_id": row.id, "customer_id": row.customer_id, "amount_due": balance, "note": note }),
                },
                "SELECT 1 FROM emails WHERE id = ?9 AND status = ?10 \
                 AND NOT EXISTS (SELECT 1 FROM audit_events WHERE organization_id = ?2 AND subject = ?5 AND action = ?4)",
                params![&row.id, status],
            )?);
        }
    }
    stmts.push(ctx.audit_if(
        Audit {
            org: Some(&row.organization_id),
            actor: "system",
            action: &format!("email.{status}"),
            subject: &row.id,
            detail: json!({ "kind": row.kind, "invoice_id": row.invoice_id, "customer_id": row.customer_id, "subject": subject, "provider_id": provider_id, "note": note }),
        },
        "SELECT 1 FROM emails WHERE id = ?5 AND status = ?9 \
         AND NOT EXISTS (SELECT 1 FROM audit_events WHERE organization_id = ?2 AND subject = ?5 AND action = ?4)",
        params![status],
    )?);
    db::batch(&ctx.db, stmts).await?;
    Ok(())
}
