//! The customer's side of disputes, under the portal session: say what is
//! wrong with an invoice, read and write the thread, contest a rejection
//! once. Every query is scoped by the session's organization and customer:
//! anything else is `404`.

use super::thread::{self, DisputeRow, NewMessage, SELECT, Side};
use crate::error::ApiError;
use crate::params;
use crate::ratelimit::DISPUTES_PER_CUSTOMER;
use crate::rows::{InvoiceRow, LineRow};
use crate::worker::api::invoices;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http, limits};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{DisputeMessageRequest, ListResponse, OpenDisputeRequest};
use settle_shared::dispute::{self, Claim, Status, Step};
use settle_shared::ids::{DisputeId, InvoiceId};
use settle_shared::invoice::InvoiceStatus;
use worker::{Request, Response};

/// `POST /api/v1/portal/invoices/{id}/disputes`: the customer says what is
/// wrong; the invoice's reminders pause, and the thread opens with their
/// message. `409` while the invoice has an open dispute (its id in the
/// message's place: `dispute_id`).
pub async fn open(ctx: &Ctx, req: Request, invoice_id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: OpenDisputeRequest = http::json_body(req).await?;
    let (org, customer) = (&s.customer.organization_id, &s.customer);
    let not_found = || ApiError::not_found("invoice");
    if InvoiceId::parse(invoice_id).is_err() {
        return Err(not_found());
    }
    let inv_stmt = db::stmt(
        &ctx.db,
        &format!(
            "{} WHERE i.id = ?1 AND i.organization_id = ?2 AND i.customer_id = ?3",
            invoices::SELECT_INVOICE
        ),
        params![invoice_id, org, &customer.id],
    )?;
    let inv = db::one::<InvoiceRow>(inv_stmt)
        .await?
        .ok_or_else(not_found)?;
    if inv.status() != InvoiceStatus::Open {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "Invoice {} is {}; only an invoice still to pay can be disputed here.",
                inv.number, inv.status
            ),
        ));
    }
    let lines_stmt = db::stmt(
        &ctx.db,
        "SELECT * FROM invoice_lines WHERE invoice_id = ?1 ORDER BY position",
        params![invoice_id],
    )?;
    let lines: Vec<LineRow> = db::all(lines_stmt).await?;
    let totals: Vec<i64> = lines.iter().map(|l| l.net + l.tax).collect();
    let due = crate::ledger::due(inv.status(), inv.total, inv.amount_paid);
    let claim = Claim {
        reason: body.reason,
        lines: body.lines.as_deref(),
        expected_amount: body.expected_amount,
    };
    let disputed = dispute::disputed_amount(&claim, &totals, due)?;
    let message = match body.message.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => Some(thread::checked_body(m).map_err(|e| match e {
            ApiError::Client { code, message, .. } => ApiError::Client {
                code,
                message,
                field: Some("message".into()),
            },
            other => other,
        })?),
    };
    if let Err(retry) = limits::count(
        ctx,
        &format!("disputes:customer:{}", customer.id),
        DISPUTES_PER_CUSTOMER,
    )
    .await?
    {
        return Err(limits::limited("disputes opened", retry));
    }
    let id = DisputeId::generate(ctx.now_ms() as u64, ctx.random10());
    let now = ctx.now_ms();
    let actor = format!("customer:{}", customer.id);
    let mut stmts = vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO disputes (id, organization_id, invoice_id, customer_id, kind, status, reason, reason_code, line_ids, \
             expected_amount, disputed_amount, opened_by, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'customer', 'open', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            params![
                id.as_str(),
                org,
                invoice_id,
                &customer.id,
                body.reason.as_str(),
                body.lines.as_ref().map(|l| serde_json::to_string(l).unwrap_or_default()),
                body.expected_amount,
                disputed,
                &actor,
                now
            ],
        )?,
        ctx.audit(Audit {
            org: Some(org),
            actor: &actor,
            action: "dispute.opened",
            subject: invoice_id,
            detail: json!({ "dispute_id": id.as_str(), "customer_id": customer.id, "reason": body.reason.as_str(),
                            "lines": body.lines, "expected_amount": body.expected_amount, "disputed_amount": disputed }),
        })?,
    ];
    stmts.extend(crate::worker::api::webhooks::emit(
        ctx,
        org,
        "dispute.opened",
        &json!({ "id": id.as_str(), "kind": "customer", "status": "open", "invoice_id": invoice_id,
                 "customer_id": customer.id, "reason": body.reason.as_str(), "disputed_amount": disputed }),
    )?);
    if let Some(text) = &message {
        let row = thread::new_row(&id, org, invoice_id, &customer.id, &customer.name);
        let (_, more) = thread::write(
            ctx,
            &row,
            &NewMessage {
                side: Side::Customer,
                author: "customer",
                member_id: None,
                author_name: &customer.name,
                body: text,
                full_body: None,
                via: "portal",
            },
        )?;
        stmts.extend(more);
    }
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(db::WriteError::Unique(_)) => return Err(already_open(&inv.number)),
        Err(e) => return Err(e.into()),
    }
    let view = thread::read(ctx, load(ctx, &s, id.as_str()).await?, Side::Customer).await?;
    http::json(201, &view)
}

/// `409`: the invoice has an open dispute already (the customer's list of
/// disputes has it).
fn already_open(number: &str) -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        format!("Invoice {number} is already in dispute; write in that conversation."),
    )
}

/// The session's customer's dispute, or `404` (also for anyone else's).
async fn load(ctx: &Ctx, s: &http::Session, id: &str) -> Result<DisputeRow, ApiError> {
    if DisputeId::parse(id).is_err() {
        return Err(ApiError::not_found("dispute"));
    }
    let q = db::stmt(
        &ctx.db,
        &format!("{SELECT} WHERE d.id = ?1 AND d.organization_id = ?2 AND d.customer_id = ?3"),
        params![id, &s.customer.organization_id, &s.customer.id],
    )?;
    db::one::<DisputeRow>(q)
        .await?
        .ok_or_else(|| ApiError::not_found("dispute"))
}

/// `GET /api/v1/portal/disputes`: the customer's disputes, newest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let q = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE d.organization_id = ?1 AND d.customer_id = ?2 ORDER BY d.id DESC LIMIT 100"
        ),
        params![&s.customer.organization_id, &s.customer.id],
    )?;
    let rows: Vec<DisputeRow> = db::all(q).await?;
    http::json(
        200,
        &ListResponse {
            data: rows
                .iter()
                .map(|r| r.view(Side::Customer, Vec::new(), None))
                .collect(),
            next_cursor: None,
            total: None,
        },
    )
}

/// `GET /api/v1/portal/disputes/{id}`: the dispute and its thread; the
/// company's messages are marked read.
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let d = load(ctx, &s, id).await?;
    http::json(200, &thread::read(ctx, d, Side::Customer).await?)
}

/// `GET /api/v1/portal/disputes/{id}/live` (WebSocket): the thread's
/// changes as they happen, for its customer.
pub async fn live(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let d = load(ctx, &s, id).await?;
    let who = crate::worker::live::session_tag(&s.token_hash);
    crate::worker::live::connect(ctx, req, &d.id, "customer", &who, true).await
}

/// `POST /api/v1/portal/disputes/{id}/messages` `{"body"}`.
pub async fn message(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: DisputeMessageRequest = http::json_body(req).await?;
    let d = load(ctx, &s, id).await?;
    let text = thread::checked_body(&body.body)?;
    dispute::next(d.status(), d.reopened as u32, Step::Message).map_err(thread::refused)?;
    thread::limit(ctx, &d, Side::Customer).await?;
    let (mid, stmts) = thread::write(
        ctx,
        &d,
        &NewMessage {
            side: Side::Customer,
            author: "customer",
            member_id: None,
            author_name: &s.customer.name,
            body: &text,
            full_body: None,
            via: "portal",
        },
    )?;
    thread::commit(ctx, stmts).await?;
    crate::worker::live::changed(ctx, id).await;
    let written = thread::message(ctx, mid.as_str())
        .await?
        .ok_or_else(|| ApiError::internal("the message just written is missing"))?;
    http::json(201, &written)
}

/// `POST /api/v1/portal/disputes/{id}/reopen` `{"body"}`: the customer
/// contests a rejection, once, saying why; reminders pause again.
pub async fn reopen(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let body: DisputeMessageRequest = http::json_body(req).await?;
    let d = load(ctx, &s, id).await?;
    let text = thread::checked_body(&body.body)?;
    let to = dispute::next(d.status(), d.reopened as u32, Step::Reopen).map_err(thread::refused)?;
    let actor = format!("customer:{}", s.customer.id);
    let (_, message) = thread::write(
        ctx,
        &d,
        &NewMessage {
            side: Side::Customer,
            author: "customer",
            member_id: None,
            author_name: &s.customer.name,
            body: &text,
            full_body: None,
            via: "portal",
        },
    )?;
    let mut stmts = vec![
        db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM disputes WHERE id = ?1 AND status = 'rejected' AND reopened = 0)",
            params![id],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE disputes SET status = ?2, reopened = reopened + 1, outcome = NULL, resolved_at = NULL, updated_at = ?3 WHERE id = ?1",
            params![id, to.as_str(), ctx.now_ms()],
        )?,
    ];
    stmts.extend(message);
    stmts.push(ctx.audit(Audit {
        org: Some(&s.customer.organization_id),
        actor: &actor,
        action: "dispute.reopened",
        subject: &d.invoice_id,
        detail: json!({ "dispute_id": id, "customer_id": s.customer.id }),
    })?);
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(db::WriteError::Conflict) => {
            return Err(thread::refused(dispute::StepRefusal::ReopenedAlready));
        }
        // Another dispute of the invoice was opened since the rejection.
        Err(db::WriteError::Unique(_)) => {
            return Err(already_open(&d.invoice_number));
        }
        Err(e) => return Err(e.into()),
    }
    crate::worker::live::changed(ctx, id).await;
    let view = thread::read(ctx, load(ctx, &s, id).await?, Side::Customer).await?;
    debug_assert_eq!(view.status, Status::Open.as_str());
    http::json(200, &view)
}

/// `POST /api/v1/portal/disputes/{id}/attachments?name=` (the file as the
/// body): the customer sends a photo or a PDF.
pub async fn attach(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let d = load(ctx, &s, id).await?;
    super::files::attach(
        ctx,
        req,
        &d,
        super::files::Sender {
            side: Side::Customer,
            author: "customer",
            member_id: None,
            author_name: &s.customer.name,
            via: "portal",
        },
    )
    .await
}

/// `GET /api/v1/portal/disputes/{id}/attachments/{file}`: a file of the
/// customer's thread, as a download.
pub async fn file(ctx: &Ctx, req: &Request, id: &str, file: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let d = load(ctx, &s, id).await?;
    super::files::download(ctx, &d, file).await
}
