//! The cron (every 5 minutes): plan and queue reminders, enqueue emails that
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

/// A queued email not tried for this long is enqueued again by the sweep.
const STALE_MS: i64 = 10 * 60 * 1000;

/// Cron: plan reminders, enqueue emails that wait or whose message was
/// lost, reconcile with Stripe, and forget old rate-limit windows.
pub async fn sweep(env: &Env) -> Result<(), ApiError> {
    let ctx = Ctx::for_env(env)?.with_clock().await?;
    sweep_with(&ctx).await.map(|_| ())
}

/// [`sweep`] with a given context; answers what the reminder tick did.
pub async fn sweep_with(ctx: &Ctx) -> Result<reminders::TickReport, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    // Reminders first: they are what the cron is mostly for. A failure is
    // logged and the rest of the sweep still runs.
    let report = match reminders::tick(ctx).await {
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
    // Emails whose window has opened, then emails whose message was lost.
    let waiting = db::stmt(
        &ctx.db,
        "UPDATE emails SET not_before = NULL, last_attempt_at = ?1 WHERE id IN (SELECT id FROM emails WHERE status = 'queued' \
         AND not_before IS NOT NULL AND not_before <= ?1 LIMIT 500) RETURNING id",
        params![ctx.now_ms],
    )?;
    let stale = db::stmt(
        &ctx.db,
        "SELECT id FROM emails WHERE status = 'queued' AND not_before IS NULL \
         AND MAX(COALESCE(retry_at, 0), COALESCE(last_attempt_at, created_at)) < ?1 LIMIT 100",
        params![ctx.now_ms - STALE_MS],
    )?;
    let mut ids = db::all::<Id>(waiting).await?;
    ids.extend(db::all::<Id>(stale).await?);
    for row in ids {
        enqueue_email(ctx, &row.id).await;
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
        params![ctx.now_ms / 1000 - 2 * 86_400],
    )?;
    old.run()
        .await
        .map_err(|e| ApiError::internal(format!("rate limit cleanup: {e}")))?;
    Ok(report)
}
