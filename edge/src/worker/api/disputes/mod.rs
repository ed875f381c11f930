//! Disputes: what a customer says is wrong with an invoice (`portal`), or
//! what the company records, talked through in a thread (`thread`) and
//! ended with a credit note, a rejection the customer may contest once, or
//! simply settled. An open dispute pauses its invoice's reminders; ending it
//! resumes them where they stand. The rules are
//! `settle_shared::dispute`'s; credit notes are the ledger engine's
//! (`crate::ledger::manual::credit_note`).

mod end;
mod files;
pub mod portal;
pub mod replies;
mod row;
pub mod thread;

pub use end::{reject, resolve_dispute};

use super::{customers, invoices};
use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::DisputeMessageRequest;
use settle_shared::dispute::{self, Status, Step};
use settle_shared::ids::{DisputeId, MemberId};
use settle_shared::staff::Capability;
use settle_shared::text::{self};
use settle_shared::time::rfc3339_from_millis;
use thread::{DisputeRow, NewMessage, SELECT, Side};
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisputeRequest {
    reason: String,
}

/// `POST /api/v1/invoices/{id}/disputes`: the company records a dispute it
/// heard of (by phone, by letter); reminders for the invoice pause while it
/// is open.
pub async fn open_dispute(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: DisputeRequest = http::json_body(req).await?;
    let inv = invoices::load(ctx, &org.id, id).await?;
    let reason = text::bounded("reason", &body.reason, text::limits::DESCRIPTION)?;
    let did = DisputeId::generate(ctx.now_ms() as u64, ctx.random10());
    let due = ledger::due(inv.status(), inv.total, inv.amount_paid);
    let write = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO disputes (id, organization_id, invoice_id, customer_id, kind, status, reason, disputed_amount, opened_by, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, 'company', 'open', ?5, ?8, ?7, ?6, ?6)",
                params![did.as_str(), &org.id, &inv.id, &inv.customer_id, &reason, ctx.now_ms(), ctx.actor(), due],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "dispute.opened",
                subject: &inv.id,
                detail: json!({ "dispute_id": did.as_str(), "customer_id": inv.customer_id, "reason": reason }),
            })?,
        ]
        .into_iter()
        .chain(crate::worker::api::webhooks::emit(
            ctx,
            &org.id,
            "dispute.opened",
            &json!({ "id": did.as_str(), "kind": "company", "status": "open", "invoice_id": inv.id,
                     "customer_id": inv.customer_id, "reason": reason, "disputed_amount": due }),
        )?)
        .collect(),
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
                 "created_at": rfc3339_from_millis(ctx.now_ms()) }),
    )
}

/// A dispute of the organization the caller may work: agents only those of
/// their accounts (`403`), anyone else's id `404`.
async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<DisputeRow, ApiError> {
    if DisputeId::parse(id).is_err() {
        return Err(ApiError::not_found("dispute"));
    }
    let s = db::stmt(
        &ctx.db,
        &format!("{SELECT} WHERE d.id = ?1 AND d.organization_id = ?2"),
        params![id, org_id],
    )?;
    let row = db::one::<DisputeRow>(s)
        .await?
        .ok_or_else(|| ApiError::not_found("dispute"))?;
    if ctx.only_accounts_of().is_some() {
        customers::load(ctx, org_id, &row.customer_id).await?;
    }
    Ok(row)
}

/// `GET /api/v1/disputes`: newest first; `?status=open|resolved|rejected`,
/// `?kind=customer|company|chargeback|conversation`, `?customer_id=`, `?assigned_to=`;
/// an agent sees the disputes of their accounts.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let status = http::query(req, "status");
    if let Some(s) = &status
        && Status::parse(s).is_none()
    {
        return Err(ApiError::Client {
            code: ErrorCode::InvalidField,
            message: "`status` is open, resolved or rejected.".into(),
            field: Some("status".into()),
        });
    }
    let kind = http::query(req, "kind");
    if let Some(k) = &kind
        && !["customer", "company", "chargeback", "conversation"].contains(&k.as_str())
    {
        return Err(ApiError::Client {
            code: ErrorCode::InvalidField,
            message: "`kind` is customer, company, chargeback or conversation.".into(),
            field: Some("kind".into()),
        });
    }
    let limit = customers::page_limit(req);
    let start = customers::page_start(req)?;
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE d.organization_id = ?1 AND d.id < ?2 AND (?3 IS NULL OR d.status = ?3) AND (?4 IS NULL OR d.kind = ?4) \
             AND (?5 IS NULL OR d.customer_id = ?5) AND (?6 IS NULL OR d.assigned_to = ?6) \
             AND (?7 IS NULL OR c.assigned_to = ?7) ORDER BY d.id DESC LIMIT ?8"
        ),
        params![
            &org.id,
            start,
            status,
            kind,
            http::query(req, "customer_id"),
            http::query(req, "assigned_to"),
            ctx.only_accounts_of(),
            limit + 1
        ],
    )?;
    let rows: Vec<DisputeRow> = db::all(s).await?;
    customers::page(
        rows,
        limit,
        |r| &r.id,
        |r| r.view(Side::Company, Vec::new(), None),
    )
}

/// `GET /api/v1/disputes/{id}`: the dispute and its whole thread; the
/// customer's messages are marked read.
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let d = load(ctx, &org.id, id).await?;
    http::json(200, &thread::read(ctx, d, Side::Company).await?)
}

/// `GET /api/v1/disputes/{id}/live` (WebSocket): the thread's changes as
/// they happen, for the staff who may read it.
pub async fn live(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let d = load(ctx, &org.id, id).await?;
    let (who, by_cookie) = match ctx.member_id() {
        Some(id) => (crate::worker::live::member_tag(&id), true),
        _ => ("api_key".to_owned(), false),
    };
    crate::worker::live::connect(ctx, req, &d.id, "company", &who, by_cookie).await
}

/// `GET /api/v1/disputes/{id}/transcript`: the whole record, as evidence:
/// the dispute with every message (`full_body` where the thread shows less
/// of it), its credit note, and every audit row about it (the credit note's
/// included) in the order written, as a JSON download.
pub async fn transcript(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let d = load(ctx, &org.id, id).await?;
    let messages = thread::messages(ctx, id).await?;
    let note = thread::credit_note(ctx, &org.id, d.credit_note_id.as_deref()).await?;
    let audit = db::stmt(
        &ctx.db,
        "SELECT id, actor, action, subject, ip, detail, created_at FROM audit_events \
         WHERE organization_id = ?1 AND (subject = ?2 OR subject = ?4 OR (subject = ?3 AND json_extract(detail, '$.dispute_id') = ?2)) \
         ORDER BY created_at, rowid LIMIT 5000",
        params![&org.id, id, &d.invoice_id, d.credit_note_id.clone()],
    )?;
    let trail: Vec<crate::rows::AuditRow> = db::all(audit).await?;
    let body = json!({
        "exported_at": rfc3339_from_millis(ctx.now_ms()),
        "organization": org.display_name,
        "dispute": d.view(Side::Company, messages, note),
        "audit_trail": trail.iter().map(crate::rows::AuditRow::view).collect::<Vec<_>>(),
    });
    let resp = http::json(200, &body)?;
    let headers = resp.headers().clone();
    headers
        .set(
            "Content-Disposition",
            &format!(
                "attachment; filename=\"dispute-{}.json\"",
                d.invoice_number.replace(['"', '\\', '/'], "-")
            ),
        )
        .map_err(|e| ApiError::internal(format!("headers: {e}")))?;
    Ok(resp.with_headers(headers))
}

/// The dispute as it now stands, with its thread, after a change.
async fn respond(ctx: &Ctx, org_id: &str, id: &str) -> Result<Response, ApiError> {
    let d = load(ctx, org_id, id).await?;
    http::json(200, &thread::read(ctx, d, Side::Company).await?)
}

/// `POST /api/v1/disputes/{id}/messages` `{"body"}`: the company answers.
pub async fn message(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: DisputeMessageRequest = http::json_body(req).await?;
    let d = load(ctx, &org.id, id).await?;
    let text = thread::checked_body(&body.body)?;
    dispute::next(d.status(), d.reopened as u32, Step::Message).map_err(thread::refused)?;
    thread::limit(ctx, &d, Side::Company).await?;
    let member = ctx.member_id();
    let (mid, stmts) = thread::write(
        ctx,
        &d,
        &NewMessage {
            side: Side::Company,
            author: "member",
            member_id: member.as_deref(),
            author_name: &org.display_name,
            body: &text,
            full_body: None,
            via: if member.is_some() { "console" } else { "api" },
        },
    )?;
    thread::commit(ctx, stmts).await?;
    crate::worker::live::changed(ctx, id).await;
    let written = thread::message(ctx, mid.as_str())
        .await?
        .ok_or_else(|| ApiError::internal("the message just written is missing"))?;
    http::json(201, &written)
}

/// `POST /api/v1/disputes/{id}/attachments?name=` (the file as the body):
/// the company sends a photo or a PDF.
pub async fn attach(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let d = load(ctx, &org.id, id).await?;
    let member = ctx.member_id();
    files::attach(
        ctx,
        req,
        &d,
        files::Sender {
            side: Side::Company,
            author: "member",
            member_id: member.as_deref(),
            author_name: &org.display_name,
            via: if member.is_some() { "console" } else { "api" },
        },
    )
    .await
}

/// `GET /api/v1/disputes/{id}/attachments/{file}`: a file of the thread,
/// as a download.
pub async fn file(ctx: &Ctx, req: &Request, id: &str, file: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let d = load(ctx, &org.id, id).await?;
    files::download(ctx, &d, file).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignRequest {
    member_id: Option<String>,
}

/// `POST /api/v1/disputes/{id}/assign` `{"member_id"}` (or `null`): who
/// works the dispute. Agents may take one of their accounts' disputes for
/// themselves; supervisors and admins assign anyone of the team.
pub async fn assign(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: AssignRequest = http::json_body(req).await?;
    let d = load(ctx, &org.id, id).await?;
    if let Some(m) = &body.member_id
        && MemberId::parse(m).is_err()
    {
        return Err(ApiError::Client {
            code: ErrorCode::InvalidField,
            message: "`member_id` is not a member's id.".into(),
            field: Some("member_id".into()),
        });
    }
    if let Some(me) = ctx.only_accounts_of()
        && body.member_id.as_deref() != Some(me.as_str())
    {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            Capability::Approve.refusal(),
        ));
    }
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE disputes SET assigned_to = ?3, updated_at = ?4 WHERE id = ?1 AND organization_id = ?2 \
                 AND (?3 IS NULL OR EXISTS (SELECT 1 FROM members WHERE id = ?3 AND organization_id = ?2 AND removed_at IS NULL))",
                params![&d.id, &org.id, body.member_id.clone(), ctx.now_ms()],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
                    action: "dispute.assigned",
                    subject: &d.id,
                    detail: json!({ "invoice_id": d.invoice_id, "member_id": body.member_id }),
                },
                "SELECT 1 WHERE changes() = 1",
                Vec::new(),
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(ApiError::Client {
            code: ErrorCode::InvalidField,
            message: "No active member of this organization has this id.".into(),
            field: Some("member_id".into()),
        });
    }
    crate::worker::live::changed(ctx, id).await;
    respond(ctx, &org.id, id).await
}
