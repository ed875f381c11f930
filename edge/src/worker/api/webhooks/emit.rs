//! Emitting an event: the statements that store it and one delivery per
//! endpoint subscribed to its type, written in the caller's batch with the
//! change the event tells of, so an event exists exactly when its change
//! does. When the request or job ends, [`kick_emitted`] asks the webhook
//! queue to deliver at once; the cron delivers anything a lost kick left.

use crate::error::ApiError;
use crate::params;
use crate::webhooks::{API_VERSION, Data, Envelope};
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::worker::queue::{self, Job};
use serde::Serialize;
use settle_shared::ids::WebhookEventId;
use settle_shared::time::rfc3339_from_millis;
use worker::D1PreparedStatement;

/// The statements that emit `kind` about `object` for `org_id`.
pub fn emit<T: Serialize>(
    ctx: &Ctx,
    org_id: &str,
    kind: &str,
    object: &T,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    *ctx.webhooks_emitted.borrow_mut() = Some(org_id.to_owned());
    let now = ctx.now_ms();
    let id = WebhookEventId::generate(now as u64, ctx.random10());
    let created = rfc3339_from_millis(now);
    let payload = serde_json::to_string(&Envelope {
        id: id.as_str(),
        kind,
        created: &created,
        organization_id: org_id,
        api_version: API_VERSION,
        data: Data { object },
    })
    .map_err(|e| ApiError::internal(format!("webhook payload: {e}")))?;
    Ok(vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO webhook_events (id, organization_id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.as_str(), org_id, kind, &payload, now],
        )?,
        // Which endpoints want it is `webhooks::wants`, spelled in SQL
        // here so the fan-out is in the same batch: `["*"]` or the type.
        db::stmt(
            &ctx.db,
            "INSERT INTO webhook_deliveries (id, organization_id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at) \
             SELECT 'whd_' || substr(?1, 5, 12) || lower(hex(randomblob(10))), ?2, ?1, e.id, 'pending', ?4, ?4, ?4 FROM webhook_endpoints e \
             WHERE e.organization_id = ?2 AND e.disabled_at IS NULL \
             AND EXISTS (SELECT 1 FROM json_each(e.events) j WHERE j.value IN ('*', ?3))",
            params![id.as_str(), org_id, kind, now],
        )?,
    ])
}

/// Asks the webhook queue to deliver `org_id`'s due deliveries now, after
/// the answer (`waitUntil`) when in a request.
pub async fn kick(ctx: &Ctx, org_id: &str) {
    let job = Job::Webhooks {
        organization_id: org_id.to_owned(),
    };
    if let Some(background) = &ctx.background {
        let env = ctx.env.clone();
        background.wait_until(async move {
            if let Err(e) = queue::enqueue_to(&env, queue::WEBHOOKS, job).await {
                worker::console_error!("webhook kick: {e}; the cron will deliver");
            }
        });
        return;
    }
    if let Err(e) = queue::enqueue_to(&ctx.env, queue::WEBHOOKS, job).await {
        worker::console_error!("webhook kick: {e}; the cron will deliver");
    }
}

/// Kicks the delivery of what the request or job emitted, if anything.
pub async fn kick_emitted(ctx: &Ctx) {
    let org = ctx.webhooks_emitted.borrow_mut().take();
    if let Some(org) = org {
        kick(ctx, &org).await;
    }
}
