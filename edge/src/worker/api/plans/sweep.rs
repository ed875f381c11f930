//! The cron's part: each active plan's next instalment is reminded the day
//! before (at the send window's opening; on its day when the window is
//! closed the day before), and a plan ends when the invoice is paid
//! (completed), voided (cancelled) or an instalment is missed past the grace
//! days (broken: the account is flagged and only an agent's agreement lets
//! the customer set new dates). With the customer's autopay on, each
//! instalment is charged on its day (`autopay::charge`). Each plan is one
//! conditional batch, so a repeated run changes nothing twice.

use super::row::{PlanRow, SELECT};
use crate::error::ApiError;
use crate::params;
use crate::reminders::window::Window;
use crate::worker::api::organizations;
use crate::worker::cron::Scope;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
use crate::worker::outbox::{QueuedEmail, queue_email_stmt};
use crate::worker::queue::enqueue_email;
use crate::worker::reminders::window_spec;
use chrono::Duration;
use serde_json::json;
use settle_shared::ids::EmailId;
use settle_shared::plan;
use std::collections::HashMap;

/// Plans read per query, and queries per run (20,000 live plans a run).
const PAGE: usize = 500;
const MAX_PAGES: usize = 40;

/// What a sweep did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct SweepReport {
    pub reminded: usize,
    /// Instalments handed to the charge job (autopay).
    pub charges: usize,
    pub completed: usize,
    pub broken: usize,
    pub cancelled: usize,
}

/// Reminds and ends the active plans.
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<SweepReport, ApiError> {
    let mut report = SweepReport::default();
    let mut orgs = HashMap::new();
    // Every live plan, a page at a time (a cursor on the id), so that none
    // waits behind others however many there are.
    let mut after = String::new();
    let mut plans: Vec<PlanRow> = Vec::new();
    for _ in 0..MAX_PAGES {
        let mut args = params![after.clone()];
        args.extend(scope.params(ctx));
        let s = db::stmt(
            &ctx.db,
            &format!(
                "{SELECT} WHERE p.status IN ('proposed', 'active') AND p.id > ?1 AND {} ORDER BY p.id LIMIT {PAGE}",
                Scope::filter("p.organization_id", 2, 3)
            ),
            args,
        )?;
        let page: Vec<PlanRow> = db::all(s).await?;
        let full = page.len() == PAGE;
        after = page.last().map(|p| p.id.clone()).unwrap_or_default();
        plans.extend(page);
        if !full {
            break;
        }
    }
    for p in plans {
        // A proposal ends only when one of its invoices was paid or voided
        // meanwhile (what it splits is no longer there).
        if p.status == "proposed" {
            if p.members().iter().any(|m| m.status != "open")
                && end(ctx, &p, "cancelled", "plan.cancelled").await?
            {
                report.cancelled += 1;
            }
            continue;
        }
        if !orgs.contains_key(&p.organization_id) {
            let org = organizations::load(ctx, &p.organization_id).await?;
            orgs.insert(p.organization_id.clone(), org);
        }
        let org = &orgs[&p.organization_id];
        let inst = p.instalments();
        let zone = p.zone();
        let today = zone.date(ctx.now_ms());
        if let Some((status, action)) = p.ending(today) {
            if end(ctx, &p, status, action).await? {
                match status {
                    "completed" => report.completed += 1,
                    "broken" => report.broken += 1,
                    _ => report.cancelled += 1,
                }
            }
            continue;
        }
        let Some((k, left)) = plan::next_due(&inst, p.paid()) else {
            continue;
        };
        let spec = window_spec(&org.reminders());
        let w = Window::new(&spec, zone);
        let date = inst[k].date;
        let due_day = today == date - Duration::days(1)
            || (today == date && !w.allows_day(date - Duration::days(1)));
        if (k as i64) > p.reminded_through
            && due_day
            && w.contains(ctx.now_ms())
            && remind(ctx, &p, k, left).await?
        {
            report.reminded += 1;
        }
        // With autopay on, the instalment is charged on its day.
        if crate::autopay::charges_instalment(p.autopay_on != 0, date, left, today)
            && crate::worker::api::autopay::instalments::schedule_instalment(
                ctx, org, &p, k, date, left,
            )
            .await?
        {
            report.charges += 1;
        }
    }
    Ok(report)
}

async fn remind(ctx: &Ctx, p: &PlanRow, k: usize, left: i64) -> Result<bool, ApiError> {
    let key = format!("plan:{}:instalment:{k}", p.id);
    let email = (p.no_reminders == 0)
        .then(|| EmailId::generate(ctx.now_ms() as u64, crate::security::stable_bytes(&key)));
    let mut stmts = vec![db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM payment_plans WHERE id = ?1 AND status = 'active' AND reminded_through < ?2)",
        params![&p.id, k as i64],
    )?];
    if let Some(id) = &email {
        stmts.push(queue_email_stmt(
            ctx,
            QueuedEmail {
                id,
                org_id: &p.organization_id,
                customer_id: &p.customer_id,
                invoice_id: Some(&p.open_member()),
                kind: "instalment_reminder",
                to: &p.customer_email,
                dedupe_key: Some(key),
            },
        )?);
    }
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE payment_plans SET reminded_through = ?1 WHERE id = ?2",
        params![k as i64, &p.id],
    )?);
    stmts.push(ctx.audit(Audit {
        org: Some(&p.organization_id),
        actor: "system",
        action: "plan.instalment_reminded",
        subject: &p.invoice_id,
        detail: json!({ "plan_id": p.id, "customer_id": p.customer_id, "instalment": k + 1, "amount": left }),
    })?);
    let done = db::batch_unless_raced(&ctx.db, stmts).await?;
    if let (true, Some(id)) = (done, &email) {
        enqueue_email(ctx, id.as_str()).await;
    }
    Ok(done)
}

async fn end(ctx: &Ctx, p: &PlanRow, status: &str, action: &str) -> Result<bool, ApiError> {
    let mut stmts = vec![
        db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM payment_plans WHERE id = ?1 AND status = ?2)",
            params![&p.id, &p.status],
        )?,
        // Broken only as read: no payment landed on any of its invoices
        // meanwhile and none was voided (those already paid stay paid).
        db::conflict_unless(
            &ctx.db,
            "?3 = 0 OR ((SELECT SUM(m.amount_paid) FROM plan_invoices pi JOIN invoices m ON m.id = pi.invoice_id WHERE pi.plan_id = ?1) = ?2 \
             AND NOT EXISTS (SELECT 1 FROM plan_invoices pi JOIN invoices m ON m.id = pi.invoice_id WHERE pi.plan_id = ?1 AND m.status = 'void'))",
            params![&p.id, p.members_paid(), i64::from(status == "broken")],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE payment_plans SET status = ?1, ended_at = ?2 WHERE id = ?3",
            params![status, ctx.now_ms(), &p.id],
        )?,
    ];
    if status == "broken" {
        let numbers: Vec<String> = p.members().into_iter().map(|m| m.number).collect();
        let why = format!("Instalment plan on invoice {} not kept", numbers.join(", "));
        stmts.extend(crate::worker::api::promises::lock_after_break(
            ctx,
            &p.invoice_id,
            &p.customer_id,
            why,
        )?);
        // Every invoice it covered needs an agent's agreement for new dates.
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE invoices SET promise_needs_approval = 1 WHERE id IN (SELECT invoice_id FROM plan_invoices WHERE plan_id = ?1) AND status = 'open'",
            params![&p.id],
        )?);
    }
    stmts.push(ctx.audit(Audit {
        org: Some(&p.organization_id),
        actor: "system",
        action,
        subject: &p.invoice_id,
        detail: json!({ "plan_id": p.id, "customer_id": p.customer_id, "paid": p.paid(), "total": p.total, "currency": p.currency }),
    })?);
    db::batch_unless_raced(&ctx.db, stmts).await
}
