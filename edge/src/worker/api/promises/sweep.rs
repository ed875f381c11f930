//! The cron's part: each active promise's reminder the day before, and its
//! end (kept when paid, cancelled when void, broken when unpaid past the date
//! and grace). Each promise is one batch, conditional on it still being
//! active, so a repeated or overlapping run changes nothing twice; the
//! reminder's email id and dedupe key come from the promise and its date.

use super::row::{PromiseRow, SELECT};
use crate::error::ApiError;
use crate::params;
use crate::promises::{self, Ending, Rules};
use crate::worker::api::organizations;
use crate::worker::cron::Scope;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
use crate::worker::outbox::{QueuedEmail, queue_email_stmt};
use crate::worker::queue::enqueue_email;
use serde_json::json;
use settle_shared::ids::EmailId;
use std::collections::HashMap;
use worker::D1PreparedStatement;

/// Promises read per query, and queries per run.
const PAGE: usize = 500;
const MAX_PAGES: usize = 40;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct SweepReport {
    pub reminded: usize,
    pub kept: usize,
    pub broken: usize,
    pub cancelled: usize,
}

/// Reminds and ends the promises that are due.
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<SweepReport, ApiError> {
    let mut report = SweepReport::default();
    let mut args = params![ctx.now_ms()];
    args.extend(scope.params(ctx));
    let s = db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE p.status = 'active' AND p.reminded_at IS NULL AND p.remind_at <= ?1 AND {} LIMIT 200",
            Scope::filter("p.organization_id", 2, 3)
        ),
        args,
    )?;
    for p in db::all::<PromiseRow>(s).await? {
        if remind(ctx, &p).await? {
            report.reminded += 1;
        }
    }
    // Dates up to tomorrow in UTC cover every zone's today; invoices paid
    // or voided end their promise whatever its date.
    // A page at a time by id, so that promises an open dispute holds (which
    // come back every run) never keep the others from their end.
    let tomorrow = ctx.today_utc() + chrono::Duration::days(1);
    let mut candidates: Vec<PromiseRow> = Vec::new();
    let mut after = String::new();
    for _ in 0..MAX_PAGES {
        let mut args = params![tomorrow.to_string(), after.clone()];
        args.extend(scope.params(ctx));
        let s = db::stmt(
            &ctx.db,
            &format!(
                "{SELECT} WHERE p.status = 'active' AND p.id > ?2 \
                 AND (p.promised_date <= ?1 OR i.status != 'open' OR i.total <= i.amount_paid) \
                 AND {} ORDER BY p.id LIMIT {PAGE}",
                Scope::filter("p.organization_id", 3, 4)
            ),
            args,
        )?;
        let page: Vec<PromiseRow> = db::all(s).await?;
        let full = page.len() == PAGE;
        after = page.last().map(|p| p.id.clone()).unwrap_or_default();
        candidates.extend(page);
        if !full {
            break;
        }
    }
    let mut rules: HashMap<String, Rules> = HashMap::new();
    for p in candidates {
        if !rules.contains_key(&p.organization_id) {
            let org = organizations::load(ctx, &p.organization_id).await?;
            rules.insert(p.organization_id.clone(), org.promise_rules());
        }
        let Some(date) = p.date() else { continue };
        let today = p.zone().date(ctx.now_ms());
        let ending = promises::ending(
            &rules[&p.organization_id],
            &p.invoice_status,
            p.amount_due,
            p.made_on(),
            date,
            &p.pauses(),
            today,
        );
        let Some(ending) = ending else { continue };
        if end(ctx, &p, ending).await? {
            match ending {
                Ending::Kept => report.kept += 1,
                Ending::Broken => report.broken += 1,
                Ending::Cancelled => report.cancelled += 1,
            }
        }
    }
    Ok(report)
}

/// Only while the promise is still active (and, for a reminder, not yet
/// reminded for this date).
fn still_active(ctx: &Ctx, p: &PromiseRow) -> Result<D1PreparedStatement, ApiError> {
    db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM promises WHERE id = ?1 AND status = 'active' AND promised_date = ?2 AND reminded_at IS NULL)",
        params![&p.id, &p.promised_date],
    )
}

/// The reminder the day before: an email about the invoice, once per
/// promise and date (a changed date is reminded again).
async fn remind(ctx: &Ctx, p: &PromiseRow) -> Result<bool, ApiError> {
    let mut stmts = vec![still_active(ctx, p)?];
    let unpaid = p.invoice_status == "open" && p.amount_due > 0;
    let email = (unpaid && p.no_reminders == 0).then(|| {
        EmailId::generate(
            p.remind_at.unwrap_or(ctx.now_ms()) as u64,
            crate::security::stable_bytes(&format!("promise:{}:{}", p.id, p.promised_date)),
        )
    });
    if let Some(id) = &email {
        stmts.push(queue_email_stmt(
            ctx,
            QueuedEmail {
                id,
                org_id: &p.organization_id,
                customer_id: &p.customer_id,
                invoice_id: Some(&p.invoice_id),
                kind: "promise_reminder",
                to: &p.customer_email,
                dedupe_key: Some(format!("promise:{}:{}", p.id, p.promised_date)),
            },
        )?);
    }
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE promises SET reminded_at = ?1 WHERE id = ?2",
        params![ctx.now_ms(), &p.id],
    )?);
    let done = db::batch_unless_raced(&ctx.db, stmts).await?;
    if let (true, Some(id)) = (done, &email) {
        enqueue_email(ctx, id.as_str()).await;
    }
    Ok(done && email.is_some())
}

/// The promise's end, with what follows from it: a broken promise flags the
/// account for its agent, and the customer needs an agent's agreement to
/// promise again on the invoice. The invoice's reminders resume by
/// themselves (they hold only while a promise is active).
async fn end(ctx: &Ctx, p: &PromiseRow, ending: Ending) -> Result<bool, ApiError> {
    let (status, action) = match ending {
        Ending::Kept => ("kept", "promise.kept"),
        Ending::Cancelled => ("cancelled", "promise.cancelled"),
        Ending::Broken => ("broken", "promise.broken"),
    };
    let mut stmts = vec![
        db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM promises WHERE id = ?1 AND status = 'active' AND promised_date = ?2)",
            params![&p.id, &p.promised_date],
        )?,
        // Broken only as read: no payment or dispute landed meanwhile.
        db::conflict_unless(
            &ctx.db,
            "?3 = 0 OR (EXISTS (SELECT 1 FROM invoices WHERE id = ?1 AND status = 'open' AND total - amount_paid = ?2) \
             AND NOT EXISTS (SELECT 1 FROM disputes WHERE invoice_id = ?1 AND status = 'open' AND kind != 'conversation'))",
            params![
                &p.invoice_id,
                p.amount_due,
                i64::from(ending == Ending::Broken)
            ],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE promises SET status = ?1, ended_at = ?2, ended_by = 'system' WHERE id = ?3",
            params![status, ctx.now_ms(), &p.id],
        )?,
    ];
    if ending == Ending::Broken {
        let why = format!(
            "Promise to pay invoice {} by {} not kept",
            p.invoice_number, p.promised_date
        );
        stmts.extend(super::lock_after_break(
            ctx,
            &p.invoice_id,
            &p.customer_id,
            why,
        )?);
    }
    stmts.push(ctx.audit(Audit {
        org: Some(&p.organization_id),
        actor: "system",
        action,
        subject: &p.invoice_id,
        detail: json!({
            "promise_id": p.id, "customer_id": p.customer_id, "invoice_number": p.invoice_number,
            "promised_date": p.promised_date, "amount_due": p.amount_due.max(0), "currency": p.currency,
        }),
    })?);
    if ending == Ending::Broken {
        stmts.extend(crate::worker::api::webhooks::emit(
            ctx,
            &p.organization_id,
            "promise.broken",
            &json!({ "id": p.id, "status": "broken", "invoice_id": p.invoice_id, "invoice_number": p.invoice_number,
                     "customer_id": p.customer_id, "promised_date": p.promised_date,
                     "amount_due": p.amount_due.max(0), "currency": p.currency }),
        )?);
    }
    db::batch_unless_raced(&ctx.db, stmts).await
}
