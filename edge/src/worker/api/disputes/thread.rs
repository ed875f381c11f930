//! A dispute and its thread as both sides read them, and a message as both
//! sides write it: the message, the dispute's marks and the audit row in
//! one batch.

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, limits};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    AttachmentResponse, CreditNoteResponse, DisputeMessageResponse, DisputeResponse,
};
use settle_shared::dispute;
use settle_shared::ids::{EmailId, MessageId};
use settle_shared::time::rfc3339_from_millis;
use worker::D1PreparedStatement;

pub use super::row::{DisputeRow, SELECT, new_row};

/// Who reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Customer,
    Company,
}

impl Side {
    /// The column of the dispute this side's read mark is kept in.
    fn read_column(self) -> &'static str {
        match self {
            Side::Customer => "customer_read_at",
            Side::Company => "company_read_at",
        }
    }
}

#[derive(Deserialize)]
struct MessageRow {
    id: String,
    author: String,
    author_name: String,
    body: String,
    full_body: Option<String>,
    via: String,
    created_at: i64,
    file_id: Option<String>,
    file_name: Option<String>,
    file_type: Option<String>,
    file_bytes: Option<i64>,
}

impl MessageRow {
    fn view(self) -> DisputeMessageResponse {
        let attachment = match (self.file_id, self.file_name, self.file_type) {
            (Some(id), Some(name), Some(content_type)) => Some(AttachmentResponse {
                id,
                name,
                content_type,
                bytes: self.file_bytes.unwrap_or(0).max(0) as u64,
            }),
            _ => None,
        };
        DisputeMessageResponse {
            id: self.id,
            author: self.author,
            author_name: self.author_name,
            body: self.body,
            full_body: self.full_body,
            via: self.via,
            created_at: rfc3339_from_millis(self.created_at),
            attachment,
        }
    }
}

/// A message's columns with its file's, if it carries one.
const MESSAGE_COLUMNS: &str = "m.id, m.author, m.author_name, m.body, m.full_body, m.via, m.created_at, \
     f.id AS file_id, f.name AS file_name, f.content_type AS file_type, f.bytes AS file_bytes";

/// The most messages a thread shows: the newest, in the order written.
const THREAD_LIMIT: i64 = 1000;

/// The thread of a dispute: its newest messages, oldest first.
pub async fn messages(
    ctx: &Ctx,
    dispute_id: &str,
) -> Result<Vec<DisputeMessageResponse>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM \
             (SELECT *, rowid AS seq FROM dispute_messages WHERE dispute_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2) m \
             LEFT JOIN dispute_attachments f ON f.message_id = m.id ORDER BY m.created_at, m.seq"
        ),
        params![dispute_id, THREAD_LIMIT],
    )?;
    Ok(db::all::<MessageRow>(s)
        .await?
        .into_iter()
        .map(MessageRow::view)
        .collect())
}

/// One message by id.
pub async fn message(ctx: &Ctx, id: &str) -> Result<Option<DisputeMessageResponse>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM dispute_messages m LEFT JOIN dispute_attachments f ON f.message_id = m.id WHERE m.id = ?1"
        ),
        params![id],
    )?;
    Ok(db::one::<MessageRow>(s).await?.map(MessageRow::view))
}

/// Writes a message's statements; `409` when the dispute was resolved
/// meanwhile (the batch's guard refused it).
pub async fn commit(ctx: &Ctx, stmts: Vec<D1PreparedStatement>) -> Result<(), ApiError> {
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => Ok(()),
        Err(db::WriteError::Conflict) => Err(refused(dispute::StepRefusal::Closed)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CreditNoteRow {
    id: String,
    number: String,
    invoice_id: String,
    amount: i64,
    currency: String,
    reason: String,
    created_at: i64,
}

/// The credit note a dispute was resolved with.
pub async fn credit_note(
    ctx: &Ctx,
    org_id: &str,
    id: Option<&str>,
) -> Result<Option<CreditNoteResponse>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let s = db::stmt(
        &ctx.db,
        "SELECT id, number, invoice_id, amount, currency, reason, created_at FROM credit_notes WHERE id = ?1 AND organization_id = ?2",
        params![id, org_id],
    )?;
    Ok(db::one::<CreditNoteRow>(s)
        .await?
        .map(|c| CreditNoteResponse {
            id: c.id,
            number: c.number,
            invoice_id: c.invoice_id,
            amount: c.amount,
            currency: c.currency,
            reason: c.reason,
            created_at: rfc3339_from_millis(c.created_at),
        }))
}

/// A dispute (as loaded, with the reader's checks passed) with its thread;
/// marks the other side's messages read for `side`.
pub async fn read(ctx: &Ctx, row: DisputeRow, side: Side) -> Result<DisputeResponse, ApiError> {
    let (id, org_id) = (row.id.as_str(), row.organization_id.as_str());
    let msgs = messages(ctx, id).await?;
    let note = credit_note(ctx, org_id, row.credit_note_id.as_deref()).await?;
    let view = row.view(side, msgs, note);
    // Reading what the other side wrote shows them it was read; the
    // company reading what the customer wrote also takes the account's
    // "reply received" mark away.
    if view.unread > 0 {
        // Up to the last message, even one written in this millisecond.
        let mut stmts = vec![db::stmt(
            &ctx.db,
            &format!(
                "UPDATE disputes SET {col} = MAX(?3, COALESCE(last_message_at, 0)) WHERE id = ?1 AND organization_id = ?2 \
                 AND COALESCE({col}, 0) < MAX(?3, COALESCE(last_message_at, 0))",
                col = side.read_column()
            ),
            params![id, org_id, ctx.now_ms()],
        )?];
        if side == Side::Company {
            stmts.push(db::stmt(
                &ctx.db,
                "UPDATE customers SET reply_received_at = NULL WHERE id = ?1 AND organization_id = ?2 AND reply_received_at IS NOT NULL",
                params![&row.customer_id, org_id],
            )?);
        }
        let results = db::batch(&ctx.db, stmts).await?;
        if results.first().map(db::changes).unwrap_or(0) > 0 {
            crate::worker::live::changed(ctx, id).await;
        }
    }
    Ok(view)
}

/// A message as someone writes it.
pub struct NewMessage<'a> {
    pub side: Side,
    /// `customer`, `member` or `system`.
    pub author: &'a str,
    pub member_id: Option<&'a str>,
    /// Shown when no member's name applies (a customer's name, the
    /// company's for an API key).
    pub author_name: &'a str,
    pub body: &'a str,
    /// The whole message as received, where `body` shows less of it.
    pub full_body: Option<&'a str>,
    pub via: &'a str,
}

/// The statements that add a message to a thread: the message (its
/// author's name looked up when a member wrote it), the dispute's last
/// message time and the writer's read mark, and the audit row.
pub fn write(
    ctx: &Ctx,
    d: &DisputeRow,
    m: &NewMessage<'_>,
) -> Result<(MessageId, Vec<D1PreparedStatement>), ApiError> {
    let id = MessageId::generate(ctx.now_ms() as u64, ctx.random10());
    let now = ctx.now_ms();
    let stmts = vec![
        // Nothing more is written in a resolved dispute, even by a message
        // that raced its resolution (a resolution's own message comes
        // before its status in the batch).
        db::conflict_unless(
            &ctx.db,
            "NOT EXISTS (SELECT 1 FROM disputes WHERE id = ?1 AND status = 'resolved')",
            params![&d.id],
        )?,
        db::stmt(
            &ctx.db,
            "INSERT INTO dispute_messages (id, organization_id, dispute_id, author, member_id, author_name, body, via, created_at, full_body) \
             VALUES (?1, ?2, ?3, ?4, ?5, COALESCE((SELECT name FROM members WHERE id = ?5 AND organization_id = ?2), ?6), ?7, ?8, ?9, ?10)",
            params![
                id.as_str(),
                &d.organization_id,
                &d.id,
                m.author,
                m.member_id,
                m.author_name,
                m.body,
                m.via,
                now,
                m.full_body
            ],
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "UPDATE disputes SET last_message_at = ?3, updated_at = ?3, {col} = ?3{wrote} WHERE id = ?1 AND organization_id = ?2",
                col = m.side.read_column(),
                wrote = if m.side == Side::Customer { ", customer_wrote_at = ?3" } else { "" }
            ),
            params![&d.id, &d.organization_id, now],
        )?,
        ctx.audit(Audit {
            org: Some(&d.organization_id),
            actor: &ctx.actor(),
            action: "dispute.message",
            subject: &d.id,
            detail: json!({ "message_id": id.as_str(), "invoice_id": d.invoice_id, "author": m.author,
                            "via": m.via, "length": m.body.chars().count() }),
        })?,
    ];
    let mut stmts = stmts;
    // The company answered: the customer hears of it by email if they do
    // not read it within a few minutes (one email per absence).
    if m.side == Side::Company && !d.customer_email.is_empty() {
        let email_id = EmailId::generate(now as u64, ctx.random10());
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO emails (id, organization_id, customer_id, invoice_id, dispute_id, kind, status, to_address, dedupe_key, \
             created_at, not_before) VALUES (?1, ?2, ?3, ?4, ?5, 'dispute_answer', 'queued', ?6, ?7, ?8, ?9)",
            params![
                email_id.as_str(),
                &d.organization_id,
                &d.customer_id,
                &d.invoice_id,
                &d.id,
                &d.customer_email,
                dispute::away_email_key(&d.id, d.customer_read_at, d.customer_wrote_at),
                now,
                now + dispute::AWAY_EMAIL_DELAY_MS
            ],
        )?);
    }
    Ok((id, stmts))
}

/// A message body as kept, or `422` naming `body`.
pub fn checked_body(body: &str) -> Result<String, ApiError> {
    dispute::check_message(body).map_err(|p| ApiError::Client {
        code: p.code(),
        message: sentence(&p.to_string()),
        field: Some("body".into()),
    })
}

/// Counts a message against the thread's limit (and the customer's, when
/// the customer writes): `429` when over.
pub async fn limit(ctx: &Ctx, d: &DisputeRow, side: Side) -> Result<(), ApiError> {
    use crate::ratelimit::{MESSAGES_PER_CUSTOMER, MESSAGES_PER_THREAD};
    if side == Side::Customer
        && let Err(retry) = limits::count(
            ctx,
            &format!("messages:customer:{}", d.customer_id),
            MESSAGES_PER_CUSTOMER,
        )
        .await?
    {
        return Err(limits::limited("messages", retry));
    }
    if let Err(retry) = limits::count(
        ctx,
        &format!("messages:thread:{}", d.id),
        MESSAGES_PER_THREAD,
    )
    .await?
    {
        return Err(limits::limited("messages in this conversation", retry));
    }
    Ok(())
}

/// `409 conflict` with the rule's words, for a step the status refuses.
pub fn refused(e: dispute::StepRefusal) -> ApiError {
    ApiError::new(ErrorCode::Conflict, sentence(&e.to_string()))
}

/// A rule's words as a sentence: capital first, full stop last.
pub fn sentence(text: &str) -> String {
    format!("{}.", super::super::invoices::capitalized(text))
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

/// A customer's disputes (whose threads their sockets may be open on).
pub async fn of_customer(
    ctx: &Ctx,
    org_id: &str,
    customer_id: &str,
) -> Result<Vec<String>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id FROM disputes WHERE organization_id = ?1 AND customer_id = ?2 ORDER BY id DESC LIMIT 200",
        params![org_id, customer_id],
    )?;
    Ok(db::all::<Id>(s).await?.into_iter().map(|i| i.id).collect())
}

/// The organization's disputes still talked about (open or rejected),
/// newest first: where a removed member's sockets may be open.
pub async fn unresolved(ctx: &Ctx, org_id: &str) -> Result<Vec<String>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id FROM disputes WHERE organization_id = ?1 AND status IN ('open', 'rejected') ORDER BY id DESC LIMIT 500",
        params![org_id],
    )?;
    Ok(db::all::<Id>(s).await?.into_iter().map(|i| i.id).collect())
}
