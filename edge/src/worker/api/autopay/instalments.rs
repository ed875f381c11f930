//! Autopay and instalment plans: an active plan's instalment, on its day,
//! becomes a charge with the customer's autopay method.

use super::account;
use crate::autopay;
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
use serde_json::json;

/// Cron (from the plans' sweep): an active plan's instalment, on its day,
/// becomes a charge with the customer's autopay method, at most what is
/// left of it; once per instalment, and not while another charge of the
/// invoice is under way.
pub async fn schedule_instalment(
    ctx: &Ctx,
    org: &crate::rows::OrganizationRow,
    plan: &crate::worker::api::plans::row::PlanRow,
    k: usize,
    date: chrono::NaiveDate,
    left: i64,
) -> Result<bool, ApiError> {
    let Some(acct) = account(ctx, &org.id).await? else {
        return Ok(false);
    };
    let spec = crate::worker::reminders::window_spec(&org.reminders());
    let at = autopay::charge_at(&plan.zone(), spec.start_min, date);
    let now = ctx.now_ms();
    let sid = settle_shared::ids::ScheduleId::generate(now as u64, ctx.random10());
    // The charge is filed under the plan's oldest open invoice; it spreads
    // over the plan's invoices when it is made (`charge::start`).
    let invoice_id = plan.open_member();
    let stmts = vec![
        db::stmt(
            &ctx.db,
            &format!(
                "INSERT INTO scheduled_payments (id, organization_id, customer_id, invoice_id, payment_method_id, charge_on, source, status, \
                 next_attempt_at, amount_cap, plan_id, instalment, created_at, updated_at) \
                 SELECT ?1, ?2, ?3, ?4, m.id, ?5, 'plan', 'scheduled', ?6, ?7, ?8, ?9, ?10, ?10 \
                 FROM customers c JOIN payment_methods m ON m.id = c.autopay_method_id AND m.removed_at IS NULL AND m.account = ?11 \
                 WHERE c.id = ?3 AND NOT EXISTS (SELECT 1 FROM scheduled_payments WHERE invoice_id = ?4 AND status IN {}) \
                 AND NOT EXISTS (SELECT 1 FROM scheduled_payments WHERE plan_id = ?8 AND instalment = ?9)",
                super::LIVE
            ),
            params![sid.as_str(), &org.id, &plan.customer_id, &invoice_id, date.to_string(), at.max(now), left,
                    &plan.id, k as i64, now, &acct.name],
        )?,
        ctx.audit_if(
            Audit {
                org: Some(&org.id),
                actor: "autopay",
                action: "scheduled_payment.created",
                subject: &invoice_id,
                detail: json!({ "scheduled_payment_id": sid.as_str(), "charge_on": date.to_string(), "plan_id": plan.id,
                                "instalment": k + 1, "amount": left }),
            },
            "SELECT 1 FROM scheduled_payments WHERE id = ?9",
            params![sid.as_str()],
        )?,
    ];
    let results = db::batch(&ctx.db, stmts).await.map_err(ApiError::from)?;
    Ok(results.first().is_some_and(|r| db::changes(r) > 0))
}
