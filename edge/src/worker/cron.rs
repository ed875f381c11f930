//! The cron (every 5 minutes): plan and queue reminders, remind and end
//! promises to pay, open billing runs, enqueue emails that
//! wait for their window or whose message was lost, reconcile with Stripe,
//! forget old rate-limit windows.

use super::queue::enqueue_email;
use super::reminders;
use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use serde::Deserialize;
use worker::Env;

/// Whose work a cron run does.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Every organization: the scheduled handler. With clock travel on,
    /// organizations whose demo clock was moved are left to their own runs.
    All,
    /// One organization, on its own demo clock (`POST /operator/cron`).
    Organization(&'a str),
}

impl Scope<'_> {
    /// The two SQL parameters of [`Scope::FILTER`]: the organization, or
    /// none; and whether to leave out organizations on a demo clock.
    pub fn params(self, ctx: &Ctx) -> Vec<db::V> {
        match self {
            Scope::All => params![None::<String>, i64::from(ctx.config.clock_travel)],
            Scope::Organization(org) => params![org, 0],
        }
    }

    /// The condition on an `organization_id` column written `{org}`, with
    /// the two parameters numbered `{a}` and `{b}`.
    pub fn filter(column: &str, a: u8, b: u8) -> String {
        format!(
            "(?{a} IS NULL OR {column} = ?{a}) AND (?{b} = 0 OR NOT EXISTS              (SELECT 1 FROM dev_clocks k WHERE k.organization_id = {column}))"
        )
    }
}

/// A queued email not tried for this long is enqueued again by the sweep.
const STALE_MS: i64 = 10 * 60 * 1000;

/// Cron: plan reminders, enqueue emails that wait or whose message was
/// lost, reconcile with Stripe, and forget old rate-limit windows.
pub async fn sweep(env: &Env) -> Result<(), ApiError> {
    let ctx = Ctx::for_env(env)?;
    sweep_with(&ctx, Scope::All).await.map(|_| ())
}

/// [`sweep`] with a given context and scope; answers what the reminder tick
/// did. The Stripe sweeps and the rate-limit cleanup belong to the whole
/// deployment: only a run for every organization does them.
pub async fn sweep_with(ctx: &Ctx, scope: Scope<'_>) -> Result<reminders::TickReport, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    // Reminders first: they are what the cron is mostly for. A failure is
    // logged and the rest of the sweep still runs.
    let report = match reminders::tick(ctx, scope).await {
        Ok(r) => {
            if r.invoices_looked_at > 0 || r.statements_queued > 0 {
                worker::console_log!(
                    "reminders: {}",
                    serde_json::to_string(&r).unwrap_or_default()
                );
            }
            r
        }
        Err(e) => {
            worker::console_error!("reminder tick: {e:?}");
            reminders::TickReport::default()
        }
    };
    // Promises: the reminder the day before, and their ends.
    match super::api::promises::sweep::sweep(ctx, scope).await {
        Ok(r) if r.reminded + r.kept + r.broken + r.cancelled > 0 => {
            worker::console_log!(
                "promises: {}",
                serde_json::to_string(&r).unwrap_or_default()
            );
        }
        Ok(_) => {}
        Err(e) => worker::console_error!("promise sweep: {e:?}"),
    }
    // Instalment plans: each instalment's reminder, and their ends.
    match super::api::plans::sweep::sweep(ctx, scope).await {
        Ok(r) if r.reminded + r.completed + r.broken + r.cancelled > 0 => {
            worker::console_log!("plans: {}", serde_json::to_string(&r).unwrap_or_default());
        }
        Ok(_) => {}
        Err(e) => worker::console_error!("plan sweep: {e:?}"),
    }
    // Scheduled payments whose time has come: a queued job charges each.
    match super::api::autopay::charge::sweep(ctx, scope).await {
        Ok(n) if n > 0 => worker::console_log!("scheduled payments: {n} queued"),
        Ok(_) => {}
        Err(e) => worker::console_error!("scheduled payment sweep: {e:?}"),
    }
    // Subscriptions whose period has started: the billing run.
    match super::api::subscriptions::runs::sweep(ctx, scope).await {
        Ok(n) if n > 0 => worker::console_log!("billing runs: {n} queued"),
        Ok(_) => {}
        Err(e) => worker::console_error!("billing run sweep: {e:?}"),
    }
    // Imports whose job was lost.
    match super::api::imports::sweep(ctx).await {
        Ok(n) if n > 0 => worker::console_log!("imports: {n} queued again"),
        Ok(_) => {}
        Err(e) => worker::console_error!("import sweep: {e:?}"),
    }
    // Late-payment risk models older than a day.
    match super::api::risk::sweep(ctx, scope).await {
        Ok(n) if n > 0 => worker::console_log!("risk: {n} models retrained"),
        Ok(_) => {}
        Err(e) => worker::console_error!("risk sweep: {e:?}"),
    }
    // Metric days up to yesterday, for the dashboards opened.
    match super::api::metrics::days::sweep(ctx, scope).await {
        Ok(n) if n > 0 => worker::console_log!("metric days: {n} queued"),
        Ok(_) => {}
        Err(e) => worker::console_error!("metric days sweep: {e:?}"),
    }
    // The audit rows written since the last minute get their place in
    // their organization's hash chain.
    match super::api::evidence::seal::sweep(ctx, scope).await {
        Ok(n) if n > 0 => worker::console_log!("audit trail: {n} rows sealed"),
        Ok(_) => {}
        Err(e) => worker::console_error!("audit seal sweep: {e:?}"),
    }
    // Outgoing webhooks due (and sends lost with their worker).
    match super::api::webhooks::deliveries::sweep(ctx, scope).await {
        Ok(n) if n > 0 => worker::console_log!("webhooks: {n} organizations queued"),
        Ok(_) => {}
        Err(e) => worker::console_error!("webhook sweep: {e:?}"),
    }
    // Emails whose window has opened, then emails whose message was lost.
    let mut args = params![ctx.now_ms()];
    args.extend(scope.params(ctx));
    let waiting = db::stmt(
        &ctx.db,
        &format!(
            "UPDATE emails SET not_before = NULL, last_attempt_at = ?1 WHERE id IN (SELECT id FROM emails WHERE status = 'queued' \
             AND not_before IS NOT NULL AND not_before <= ?1 AND {} LIMIT 500) RETURNING id",
            Scope::filter("organization_id", 2, 3)
        ),
        args,
    )?;
    let mut args = params![ctx.now_ms() - STALE_MS];
    args.extend(scope.params(ctx));
    let stale = db::stmt(
        &ctx.db,
        &format!(
            "SELECT id FROM emails WHERE status = 'queued' AND not_before IS NULL \
             AND MAX(COALESCE(retry_at, 0), COALESCE(last_attempt_at, created_at)) < ?1 AND {} LIMIT 100",
            Scope::filter("organization_id", 2, 3)
        ),
        args,
    )?;
    let mut ids = db::all::<Id>(waiting).await?;
    ids.extend(db::all::<Id>(stale).await?);
    for row in ids {
        enqueue_email(ctx, &row.id).await;
    }
    if let Scope::Organization(_) = scope {
        return Ok(report);
    }
    if let Err(e) = super::stripe_events::sweep_pending(ctx).await {
        worker::console_error!("pending events sweep: {e:?}");
    }
    match super::stripe_events::sweep(ctx).await {
        Ok(n) if n > 0 => worker::console_log!("reconciliation repaired {n} payments"),
        Ok(_) => {}
        Err(e) => worker::console_error!("reconciliation sweep: {e:?}"),
    }
    let old = db::stmt(
        &ctx.db,
        "DELETE FROM rate_limits WHERE window_start < ?1",
        params![ctx.real_now_ms / 1000 - 2 * 86_400],
    )?;
    old.run()
        .await
        .map_err(|e| ApiError::internal(format!("rate limit cleanup: {e}")))?;
    Ok(report)
}
