//! How a dispute ends: resolved as it stands, resolved with a credit note
//! through the ledger engine or with a corrected invoice that replaces the
//! old one, or rejected with a reason the customer sees.
//! The end, its message and its audit row are one guarded batch.

use super::thread::{self, DisputeRow, NewMessage, Side};
use super::{load, respond};
use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::worker::api::{customers, invoices};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http, ledger as books, queue};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{CorrectedInvoiceRequest, RejectDisputeRequest, ResolveDisputeRequest};
use settle_shared::dispute::{self, Status, Step};
use settle_shared::ids::{CreditNoteId, EmailId, InvoiceId};
use settle_shared::invoice::correction;
use settle_shared::staff::Capability;
use settle_shared::text;
use worker::{Request, Response};

/// A chargeback is decided at Stripe, not here (`409`).
fn not_a_chargeback(d: &DisputeRow) -> Result<(), ApiError> {
    if d.kind == "chargeback" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "A chargeback is decided by the card network: answer it in Stripe's dashboard; it ends here when Stripe says so.",
        ));
    }
    Ok(())
}

/// `POST /api/v1/disputes/{id}/resolve`: `{"resolution"}` (settled, nothing
/// to change), `{"outcome": "credit_note", "credit_amount", "resolution"}`:
/// a credit note through the ledger engine (the balance drops; the note is
/// a document the customer can open), or `{"outcome": "corrected_invoice",
/// "corrected_invoice": {…}, "resolution"}`: the invoice is voided and its
/// correction issued and emailed. The resolution is the thread's last
/// message; reminders resume where they stand.
pub async fn resolve_dispute(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: ResolveDisputeRequest = http::json_body(req).await?;
    let resolution = text::bounded("resolution", &body.resolution, text::limits::MEMO)?;
    let d = load(ctx, &org.id, id).await?;
    not_a_chargeback(&d)?;
    dispute::next(d.status(), d.reopened as u32, Step::Resolve).map_err(thread::refused)?;
    let outcome = body.outcome.as_deref().unwrap_or("resolved");
    // Each outcome takes its own fields and no other's.
    let stray = [
        ("credit_amount", body.credit_amount.is_some(), "credit_note"),
        (
            "corrected_invoice",
            body.corrected_invoice.is_some(),
            "corrected_invoice",
        ),
    ];
    if let Some((field, _, with)) = stray
        .iter()
        .find(|(_, given, with)| *given && *with != outcome)
    {
        return Err(ApiError::Client {
            code: ErrorCode::InvalidField,
            message: format!("`{field}` goes with the outcome {with}."),
            field: Some((*field).into()),
        });
    }
    match outcome {
        "resolved" => {
            let end = End {
                outcome: "resolved",
                status: Status::Resolved,
                words: &resolution,
                credit_note: None,
                corrected_invoice: None,
            };
            finish(ctx, &org.id, &org.display_name, &d, &end).await?;
        }
        "credit_note" => {
            let amount = body.credit_amount.ok_or_else(|| ApiError::Client {
                code: ErrorCode::MissingField,
                message:
                    "A credit note needs `credit_amount`, in minor units of the invoice's currency."
                        .into(),
                field: Some("credit_amount".into()),
            })?;
            credit(ctx, &org.id, &org.display_name, &d, amount, &resolution).await?;
        }
        "corrected_invoice" => {
            let correction = body
                .corrected_invoice
                .as_ref()
                .ok_or_else(|| ApiError::Client {
                    code: ErrorCode::MissingField,
                    message:
                        "A corrected invoice needs `corrected_invoice`, with at least its `lines`."
                            .into(),
                    field: Some("corrected_invoice".into()),
                })?;
            correct(ctx, &org.display_name, &d, correction, &resolution).await?;
        }
        other => {
            return Err(ApiError::Client {
                code: ErrorCode::InvalidField,
                message: format!(
                    "`outcome` is credit_note, corrected_invoice or resolved, not {other}."
                ),
                field: Some("outcome".into()),
            });
        }
    }
    crate::worker::live::changed(ctx, id).await;
    respond(ctx, &org.id, id).await
}

/// Issues a credit note on the dispute's invoice and resolves the dispute,
/// in one batch under the ledger's guard (read again when the invoice
/// changed meanwhile).
async fn credit(
    ctx: &Ctx,
    org_id: &str,
    company: &str,
    d: &DisputeRow,
    amount: i64,
    resolution: &str,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    for _ in 0..books::MAX_ATTEMPTS {
        let (inv, sessions) = invoices::books_of(ctx, org_id, &d.invoice_id).await?;
        let count = db::stmt(
            &ctx.db,
            "SELECT COUNT(*) AS n FROM credit_notes WHERE organization_id = ?1 AND invoice_id = ?2",
            params![org_id, &d.invoice_id],
        )?;
        let n = db::one::<Count>(count).await?.map_or(0, |c| c.n) + 1;
        let note = ledger::manual::CreditNote {
            id: CreditNoteId::generate(ctx.now_ms() as u64, ctx.random10())
                .as_str()
                .to_owned(),
            number: format!("CN-{}-{n}", inv.number),
            amount,
            issued_on: ctx.today_utc().to_string(),
        };
        let planned = ledger::manual::credit_note(&inv, &sessions, &note).map_err(|e| match e {
            ledger::manual::CreditRefusal::AmountOutOfRange { .. } => ApiError::Client {
                code: ErrorCode::AmountOutOfRange,
                message: format!("`credit_amount` {}.", e),
                field: Some("credit_amount".into()),
            },
            other => ApiError::new(ErrorCode::Conflict, thread::sentence(&other.to_string())),
        })?;
        // What was credited must not be paid: checkouts open for more than
        // the balance left are closed at Stripe first.
        for session in &planned.expire {
            invoices::close_open_session(ctx, org_id, session).await?;
        }
        let effects = planned.effects;
        let (mut stmts, _) = books::statements(ctx, org_id, &effects, &ctx.actor())?;
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO credit_notes (id, organization_id, invoice_id, customer_id, dispute_id, number, amount, currency, reason, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                &note.id,
                org_id,
                &d.invoice_id,
                &d.customer_id,
                &d.id,
                &note.number,
                amount,
                &inv.currency,
                resolution,
                ctx.actor(),
                ctx.now_ms()
            ],
        )?);
        let end = End {
            outcome: "credit_note",
            status: Status::Resolved,
            words: resolution,
            credit_note: Some(&note.id),
            corrected_invoice: None,
        };
        stmts.extend(finish_stmts(ctx, org_id, company, d, &end)?);
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => return Ok(()),
            // The invoice changed under the credit note, the number was
            // taken by a note at the same moment, or the dispute was ended
            // meanwhile: read again (an ended dispute is refused then).
            Err(db::WriteError::Conflict | db::WriteError::Unique(_)) => {
                still_open(ctx, org_id, d).await?;
                continue;
            }
            Err(db::WriteError::Other(e)) => return Err(e),
        }
    }
    Err(ApiError::new(
        ErrorCode::Conflict,
        "The invoice kept changing while the credit note was issued; try again.",
    ))
}

/// Replaces the dispute's invoice with its correction: the old invoice is
/// voided through the ledger engine (its open checkouts closed at Stripe
/// first), the new one issued for the same customer and currency and
/// emailed, and the dispute resolved, in one batch under the ledger's
/// guard. Only an unpaid invoice is replaced (a part-paid one takes a
/// credit note); an invoice is replaced once.
async fn correct(
    ctx: &Ctx,
    company: &str,
    d: &DisputeRow,
    req: &CorrectedInvoiceRequest,
    resolution: &str,
) -> Result<(), ApiError> {
    let org_id = d.organization_id.as_str();
    let old = invoices::load(ctx, org_id, &d.invoice_id).await?;
    let customer = customers::load(ctx, org_id, &d.customer_id).await?;
    let date = |s: &str| settle_shared::time::parse_date(s).unwrap_or_else(|| ctx.today_utc());
    let replaced = correction::Replaced {
        number: &old.number,
        currency: &old.currency,
        issue_date: date(&old.issue_date),
        due_date: date(&old.due_date),
        memo: old.memo.as_deref(),
    };
    let inv = correction::correction(&replaced, req, ctx.today_utc())?;
    let id = InvoiceId::generate(ctx.now_ms() as u64, ctx.random10());
    let email = EmailId::generate(ctx.now_ms() as u64, ctx.random10());
    for _ in 0..books::MAX_ATTEMPTS {
        let (books_inv, sessions) = invoices::books_of(ctx, org_id, &d.invoice_id).await?;
        let void = ledger::manual::void(&books_inv, &sessions).map_err(|e| match e {
            ledger::manual::VoidRefusal::NotVoidable { paid, status, .. } if paid > 0 => ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "Invoice {} is {}; a corrected invoice replaces an unpaid one. Issue a credit note for the difference instead.",
                    old.number,
                    if status == "paid" { "paid" } else { "part paid" }
                ),
            ),
            other => ApiError::new(ErrorCode::Conflict, thread::sentence(&other.to_string())),
        })?;
        for session in &void.expire {
            invoices::close_before(
                ctx,
                org_id,
                session,
                "correct the invoice once that payment has finished",
                "nothing was corrected",
            )
            .await?;
        }
        let (mut stmts, _) = books::statements(ctx, org_id, &void.effects, &ctx.actor())?;
        stmts.extend(invoices::issue(
            ctx,
            &invoices::Issue {
                org_id,
                customer: &customer,
                id: &id,
                inv: &inv,
                replaces: Some(&d.invoice_id),
                email: Some(&email),
            },
        )?);
        let end = End {
            outcome: "corrected_invoice",
            status: Status::Resolved,
            words: resolution,
            credit_note: None,
            corrected_invoice: Some(id.as_str()),
        };
        stmts.extend(finish_stmts(ctx, org_id, company, d, &end)?);
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => {
                queue::enqueue_email(ctx, email.as_str()).await;
                return Ok(());
            }
            Err(db::WriteError::Unique(m)) if m.contains("invoices.number") => {
                return Err(ApiError::Client {
                    code: ErrorCode::Conflict,
                    message: format!(
                        "An invoice numbered `{}` already exists in this organization; give the correction another `number`.",
                        inv.number
                    ),
                    field: Some("corrected_invoice.number".into()),
                });
            }
            // The invoice or the dispute changed meanwhile: read again (an
            // ended dispute or a paid invoice is refused then).
            Err(db::WriteError::Conflict | db::WriteError::Unique(_)) => {
                still_open(ctx, org_id, d).await?;
                continue;
            }
            Err(db::WriteError::Other(e)) => return Err(e),
        }
    }
    Err(ApiError::new(
        ErrorCode::Conflict,
        "The invoice kept changing while it was corrected; try again.",
    ))
}

/// After a lost race: the dispute read again, refused if someone ended it
/// meanwhile (the caller then tries again against what is now there).
async fn still_open(ctx: &Ctx, org_id: &str, d: &DisputeRow) -> Result<(), ApiError> {
    let now = load(ctx, org_id, &d.id).await?;
    if now.status != d.status {
        dispute::next(now.status(), now.reopened as u32, Step::Resolve).map_err(thread::refused)?;
    }
    Ok(())
}

/// How a dispute ends.
struct End<'a> {
    outcome: &'a str,
    status: Status,
    /// The resolution or the reason of a rejection: the thread's last
    /// message, which the customer sees.
    words: &'a str,
    credit_note: Option<&'a str>,
    corrected_invoice: Option<&'a str>,
}

/// Ends a dispute: its status, outcome and resolution, the resolution as the
/// thread's last message, and the audit row, in one batch; `409` when it
/// was ended by someone else meanwhile.
async fn finish(
    ctx: &Ctx,
    org_id: &str,
    company: &str,
    d: &DisputeRow,
    end: &End<'_>,
) -> Result<(), ApiError> {
    let stmts = finish_stmts(ctx, org_id, company, d, end)?;
    db::batch(&ctx.db, stmts).await.map_err(|e| match e {
        db::WriteError::Conflict => ApiError::new(
            ErrorCode::Conflict,
            "The dispute was changed by someone else at the same moment; read it again.",
        ),
        other => other.into(),
    })?;
    Ok(())
}

/// The statements of [`finish`], guarded: only a request that finds the
/// dispute as it read it ends it.
fn finish_stmts(
    ctx: &Ctx,
    org_id: &str,
    company: &str,
    d: &DisputeRow,
    end: &End<'_>,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let now = ctx.now_ms();
    let member = ctx.member_id();
    let (_, message) = thread::write(
        ctx,
        d,
        &NewMessage {
            side: Side::Company,
            author: "member",
            member_id: member.as_deref(),
            author_name: company,
            body: end.words,
            full_body: None,
            via: if member.is_some() { "console" } else { "api" },
        },
    )?;
    let mut stmts = vec![db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM disputes WHERE id = ?1 AND organization_id = ?2 AND status = ?3)",
        params![&d.id, org_id, &d.status],
    )?];
    // The resolution's message first: a message to a resolved dispute is
    // refused.
    stmts.extend(message);
    stmts.push(
        db::stmt(
            &ctx.db,
            "UPDATE disputes SET status = ?3, outcome = ?4, resolution = ?5, resolved_at = ?6, updated_at = ?6, \
             credit_note_id = COALESCE(?7, credit_note_id), corrected_invoice_id = COALESCE(?8, corrected_invoice_id) \
             WHERE id = ?1 AND organization_id = ?2",
            params![
                &d.id,
                org_id,
                end.status.as_str(),
                end.outcome,
                end.words,
                now,
                end.credit_note,
                end.corrected_invoice
            ],
        )?
    );
    stmts.push(ctx.audit(Audit {
        org: Some(org_id),
        actor: &ctx.actor(),
        action: if end.status == Status::Rejected {
            "dispute.rejected"
        } else {
            "dispute.resolved"
        },
        subject: &d.invoice_id,
        detail: json!({ "dispute_id": d.id, "customer_id": d.customer_id, "outcome": end.outcome,
                        "resolution": end.words, "credit_note_id": end.credit_note,
                        "corrected_invoice_id": end.corrected_invoice }),
    })?);
    stmts.extend(crate::worker::api::webhooks::emit(
        ctx,
        org_id,
        "dispute.resolved",
        &json!({ "id": d.id, "status": end.status.as_str(), "invoice_id": d.invoice_id, "customer_id": d.customer_id,
                 "outcome": end.outcome, "resolution": end.words, "credit_note_id": end.credit_note,
                 "corrected_invoice_id": end.corrected_invoice }),
    )?);
    Ok(stmts)
}

/// `POST /api/v1/disputes/{id}/reject` `{"reason"}`: the customer sees the
/// reason and may contest it once; reminders resume meanwhile.
pub async fn reject(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: RejectDisputeRequest = http::json_body(req).await?;
    let reason = text::bounded("reason", &body.reason, text::limits::MEMO)?;
    let d = load(ctx, &org.id, id).await?;
    not_a_chargeback(&d)?;
    dispute::next(d.status(), d.reopened as u32, Step::Reject).map_err(thread::refused)?;
    let end = End {
        outcome: "rejected",
        status: Status::Rejected,
        words: &reason,
        credit_note: None,
        corrected_invoice: None,
    };
    finish(ctx, &org.id, &org.display_name, &d, &end).await?;
    crate::worker::live::changed(ctx, id).await;
    respond(ctx, &org.id, id).await
}
