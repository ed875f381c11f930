//! Instalment plans: customers propose them in the portal (`portal`);
//! supervisors approve or reject the ones past the organization's rules with
//! a message the customer sees; agents list and cancel them; the cron
//! reminds each instalment and ends plans that are paid, void or missed
//! (`sweep`). The rules are `settle_shared::plan`.

pub mod portal;
pub mod row;
pub mod sweep;

use super::customers;
use super::disputes::thread::sentence;
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::http;
use crate::worker::outbox::{QueuedEmail, queue_email_stmt};
use row::PlanRow;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::PlanDecisionRequest;
use settle_shared::ids::EmailId;
use settle_shared::plan::Refusal;
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use worker::{D1PreparedStatement, Request, Response};

/// A refusal of the rules as the API's error.
pub fn refused(r: Refusal) -> ApiError {
    ApiError::new(r.code(), sentence(&r.to_string()))
}

/// The email telling the customer how their plan was decided (accepted at
/// once, approved or rejected): once per plan and outcome.
pub fn decision_email(
    ctx: &Ctx,
    org_id: &str,
    invoice_id: &str,
    customer_id: &str,
    to: &str,
    plan_id: &str,
    outcome: &str,
) -> Result<(D1PreparedStatement, EmailId), ApiError> {
    let key = format!("plan:{plan_id}:{outcome}");
    let id = EmailId::generate(ctx.now_ms() as u64, crate::security::stable_bytes(&key));
    let stmt = queue_email_stmt(
        ctx,
        QueuedEmail {
            id: &id,
            org_id,
            customer_id,
            invoice_id: Some(invoice_id),
            kind: "plan_decision",
            to,
            dedupe_key: Some(key),
        },
    )?;
    Ok((stmt, id))
}

/// The statement that ends the active promises of the plan's invoices when
/// the plan takes over their dates (after its `plan_invoices` rows).
pub fn replace_promise(
    ctx: &Ctx,
    plan_id: &str,
    actor: &str,
) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "UPDATE promises SET status = 'cancelled', ended_at = ?1, ended_by = ?2 \
         WHERE invoice_id IN (SELECT invoice_id FROM plan_invoices WHERE plan_id = ?3) AND status = 'active'",
        params![ctx.now_ms(), actor, plan_id],
    )
}

/// `GET /api/v1/plans`: the organization's plans (agents: of their
/// accounts), newest first, by `status`, `customer_id` or `invoice_id`.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let status = http::one_of(
        "status",
        http::query(req, "status"),
        &[
            "proposed",
            "active",
            "rejected",
            "completed",
            "broken",
            "cancelled",
        ],
    )?;
    let limit = customers::page_limit(req);
    let start = customers::page_start(req)?;
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{} WHERE p.organization_id = ?1 AND p.id < ?2 AND (?3 IS NULL OR p.status = ?3) AND (?4 IS NULL OR p.customer_id = ?4) \
             AND (?5 IS NULL OR p.id IN (SELECT plan_id FROM plan_invoices WHERE invoice_id = ?5)) AND (?6 IS NULL OR c.assigned_to = ?6) ORDER BY p.id DESC LIMIT ?7",
            row::SELECT
        ),
        params![
            &org.id,
            start,
            status,
            http::query(req, "customer_id"),
            http::query(req, "invoice_id"),
            ctx.only_accounts_of(),
            limit + 1
        ],
    )?;
    let rows: Vec<PlanRow> = db::all(s).await?;
    customers::page(rows, limit, |r| &r.id, PlanRow::view)
}

/// `POST /api/v1/plans/{id}/approve` and `…/reject`: a supervisor decides a
/// proposal past the rules; the customer is told by email, with the message.
pub async fn decide(
    ctx: &Ctx,
    req: Request,
    id: &str,
    approve: bool,
) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Approve).await?;
    let body: PlanDecisionRequest = http::json_body_or_default(req).await?;
    let message = text::optional(
        "message",
        body.message.as_deref(),
        text::limits::DESCRIPTION,
    )?;
    if !approve && message.is_none() {
        return Err(FieldError::invalid("message", "says why, for the customer").into());
    }
    let p = row::load(ctx, &org.id, id).await?;
    if p.status != "proposed" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("The plan is {}: only a proposed plan is decided.", p.status),
        ));
    }
    // An approval starts the plan: its dates must still be ahead of a
    // missed instalment (the customer's today).
    if approve {
        let today = p.zone().date(ctx.now_ms());
        if let settle_shared::plan::Standing::Broken { instalment } = settle_shared::plan::standing(
            &p.instalments(),
            p.paid(),
            p.grace_days.clamp(0, 30) as u32,
            today,
        ) {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "Instalment {} of this proposal is already past its date; reject it and ask the customer for new dates.",
                    instalment + 1
                ),
            ));
        }
    }
    let outcome = if approve { "active" } else { "rejected" };
    let (email, email_id) = decision_email(
        ctx,
        &org.id,
        &p.invoice_id,
        &p.customer_id,
        &p.customer_email,
        &p.id,
        outcome,
    )?;
    let mut stmts = vec![
        db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM payment_plans WHERE id = ?1 AND status = 'proposed') \
             AND NOT EXISTS (SELECT 1 FROM plan_invoices pi JOIN invoices m ON m.id = pi.invoice_id WHERE pi.plan_id = ?1 AND m.status != 'open')",
            params![&p.id],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE payment_plans SET status = ?1, decided_by = ?2, decided_at = ?3, decision_message = ?4, \
             ended_at = CASE WHEN ?1 = 'rejected' THEN ?3 END WHERE id = ?5",
            params![outcome, ctx.actor(), ctx.now_ms(), message.clone(), &p.id],
        )?,
        ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: if approve {
                "plan.approved"
            } else {
                "plan.rejected"
            },
            subject: &p.invoice_id,
            detail: json!({ "plan_id": p.id, "customer_id": p.customer_id, "message": message }),
        })?,
        email,
    ];
    if approve {
        // An approved plan takes over from the invoice's promise.
        stmts.push(replace_promise(ctx, &p.id, &ctx.actor())?);
    }
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(WriteError::Conflict) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "The plan or its invoices changed meanwhile; reload and try again.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    crate::worker::queue::enqueue_email(ctx, email_id.as_str()).await;
    http::json(200, &row::load(ctx, &org.id, id).await?.view())
}

/// `POST /api/v1/plans/{id}/cancel`: an agent ends a proposed or active
/// plan; the invoice's reminders resume.
pub async fn cancel(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let p = row::load(ctx, &org.id, id).await?;
    if !["proposed", "active"].contains(&p.status.as_str()) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "The plan is {}: only a live plan can be cancelled.",
                p.status
            ),
        ));
    }
    let stmts = vec![
        db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM payment_plans WHERE id = ?1 AND status IN ('proposed', 'active'))",
            params![&p.id],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE payment_plans SET status = 'cancelled', ended_at = ?1, decided_by = COALESCE(decided_by, ?2) WHERE id = ?3",
            params![ctx.now_ms(), ctx.actor(), &p.id],
        )?,
        ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: "plan.cancelled",
            subject: &p.invoice_id,
            detail: json!({ "plan_id": p.id, "customer_id": p.customer_id }),
        })?,
    ];
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(WriteError::Conflict) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "The plan changed meanwhile.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    http::json(200, &row::load(ctx, &org.id, id).await?.view())
}

/// The invoice's active plan's next instalment: its date and what is left
/// of it (what an instalment reminder says, and what Checkout takes alone).
pub async fn next_due(ctx: &Ctx, invoice_id: &str) -> Result<Option<(String, i64)>, ApiError> {
    Ok(row::active(ctx, invoice_id).await?.and_then(|p| {
        let inst = p.instalments();
        settle_shared::plan::next_due(&inst, p.paid())
            .map(|(k, left)| (inst[k].date.to_string(), left))
    }))
}

/// When `amount` is what is left of the next instalment of the invoice's
/// active plan: how it spreads over the plan's invoices (see
/// [`PlanRow::split`]); what Checkout charges for it.
pub async fn instalment_parts(
    ctx: &Ctx,
    invoice_id: &str,
    amount: i64,
) -> Result<Option<Vec<(String, String, i64)>>, ApiError> {
    let Some(p) = row::active(ctx, invoice_id).await? else {
        return Ok(None);
    };
    let next = settle_shared::plan::next_due(&p.instalments(), p.paid());
    Ok(next
        .filter(|(_, left)| *left == amount)
        .map(|_| p.split(amount))
        .filter(|parts| !parts.is_empty()))
}

/// The plan a decision email is about, named by its dedupe key
/// (`plan:{id}:{outcome}`), with the outcome it tells.
pub async fn decided(
    ctx: &Ctx,
    org_id: &str,
    dedupe_key: &str,
) -> Result<Option<(PlanRow, String)>, ApiError> {
    let mut parts = dedupe_key.splitn(3, ':');
    let (Some("plan"), Some(id), Some(outcome)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    match row::load(ctx, org_id, id).await {
        Ok(p) => Ok(Some((p, outcome.to_owned()))),
        Err(ApiError::Client { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
