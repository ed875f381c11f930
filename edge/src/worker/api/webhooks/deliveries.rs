//! Sending outgoing webhooks, and their log.
//!
//! - The `Webhooks` job (queue `settle-webhooks`, apart from emails and
//!   charges so that a slow receiver holds up nothing else) claims up to
//!   [`CLAIM`] due deliveries of one organization and sends them at once,
//!   each with a 10 s limit, signed with the endpoint's secret. Each
//!   attempt is logged; a 2xx answer delivers, anything else is tried again
//!   on `webhooks::next_attempt`'s schedule for three days.
//! - The cron ([`sweep`]) queues a job for every organization with
//!   deliveries due, and puts back deliveries left `sending` by a worker
//!   that died mid-send (the receiver may then get an event twice: its
//!   `id` tells).
//! - `GET /api/v1/webhook-deliveries`, `POST /…/{id}/resend`.

use super::kick;
use crate::error::ApiError;
use crate::outbound::{HttpClient, HttpRequest};
use crate::params;
use crate::webhooks as rules;
use crate::worker::api::customers::{page, page_limit, page_start};
use crate::worker::cron::Scope;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::fetch::WorkerFetch;
use crate::worker::queue::{self, Job, Outcome};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{WebhookAttemptResponse, WebhookDeliveryResponse};
use settle_shared::ids::WebhookDeliveryId;
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// Deliveries one job sends at once.
const CLAIM: i64 = 20;
/// A delivery `sending` for this long was lost with its worker.
const LOST_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Deserialize)]
struct DeliveryRow {
    id: String,
    event_id: String,
    endpoint_id: String,
    status: String,
    attempts: i64,
    next_attempt_at: Option<i64>,
    last_status: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<i64>,
    created_at: i64,
    event_type: String,
    url: String,
    /// JSON array of the attempts.
    log: String,
}

const SELECT: &str = "SELECT d.*, ev.type AS event_type, e.url, \
     (SELECT json_group_array(json_object('attempt', a.attempt, 'at', a.at, 'status', a.status, 'error', a.error, 'duration_ms', a.duration_ms)) \
      FROM webhook_attempts a WHERE a.delivery_id = d.id) AS log \
     FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id";

impl DeliveryRow {
    fn view(&self) -> WebhookDeliveryResponse {
        #[derive(Deserialize)]
        struct A {
            attempt: i64,
            at: i64,
            status: Option<i64>,
            error: Option<String>,
            duration_ms: i64,
        }
        let mut log: Vec<A> = serde_json::from_str(&self.log).unwrap_or_default();
        settle_shared::sort::sort_by_key(&mut log, |a| a.attempt);
        WebhookDeliveryResponse {
            id: self.id.clone(),
            event_id: self.event_id.clone(),
            event_type: self.event_type.clone(),
            endpoint_id: self.endpoint_id.clone(),
            url: self.url.clone(),
            status: self.status.clone(),
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at.map(rfc3339_from_millis),
            last_status: self.last_status,
            last_error: self.last_error.clone(),
            delivered_at: self.delivered_at.map(rfc3339_from_millis),
            created_at: rfc3339_from_millis(self.created_at),
            log: log
                .into_iter()
                .map(|a| WebhookAttemptResponse {
                    attempt: a.attempt,
                    at: rfc3339_from_millis(a.at),
                    status: a.status,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

/// `GET /api/v1/webhook-deliveries?endpoint_id=&status=&event_type=`:
/// newest first, each with its attempts.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    let limit = page_limit(req);
    let before = page_start(req)?;
    let rows: Vec<DeliveryRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE d.organization_id = ?1 AND d.id < ?2 AND (?3 IS NULL OR d.endpoint_id = ?3) \
             AND (?4 IS NULL OR d.status = ?4) AND (?5 IS NULL OR ev.type = ?5) ORDER BY d.id DESC LIMIT ?6"
        ),
        params![
            &org.id,
            &before,
            http::query(req, "endpoint_id"),
            http::query(req, "status"),
            http::query(req, "event_type"),
            limit + 1
        ],
    )?)
    .await?;
    page(rows, limit, |r| &r.id, DeliveryRow::view)
}

/// `POST /api/v1/webhook-deliveries/{id}/resend`: tries it again now,
/// whatever became of it (delivered, given up); `409` while it is being
/// sent or when its endpoint was deleted.
pub async fn resend(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    if WebhookDeliveryId::parse(id).is_err() {
        return Err(ApiError::not_found("webhook delivery"));
    }
    let load = || async {
        db::one::<DeliveryRow>(db::stmt(
            &ctx.db,
            &format!("{SELECT} WHERE d.id = ?1 AND d.organization_id = ?2"),
            params![id, &org.id],
        )?)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook delivery"))
    };
    let row = load().await?;
    if row.status == "sending" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This delivery is being sent right now.",
        ));
    }
    let now = ctx.now_ms();
    let moved = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?2, updated_at = ?2 \
                 WHERE id = ?1 AND status <> 'sending' \
                 AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = endpoint_id AND e.disabled_at IS NULL)",
                params![&row.id, now],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "webhook_delivery.resent",
                subject: &row.id,
                detail: json!({ "event_id": row.event_id, "event_type": row.event_type, "status_before": row.status }),
            })?,
        ],
    )
    .await?;
    if moved.first().map_or(0, db::changes) == 0 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This delivery cannot be sent again: its endpoint was deleted, or it is being sent.",
        ));
    }
    kick(ctx, &org.id).await;
    http::json(202, &load().await?.view())
}

/// Cron: puts back lost sends and queues a job per organization with
/// deliveries due. Answers how many jobs it queued.
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Org {
        organization_id: String,
    }
    let now = ctx.now_ms();
    let mut args = params![now - LOST_MS];
    args.extend(scope.params(ctx));
    db::stmt(
        &ctx.db,
        &format!(
            "UPDATE webhook_deliveries SET status = 'retrying', next_attempt_at = updated_at \
             WHERE status = 'sending' AND updated_at < ?1 AND {}",
            Scope::filter("organization_id", 2, 3)
        ),
        args,
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("lost webhook sends: {e}")))?;
    let mut args = params![now];
    args.extend(scope.params(ctx));
    let orgs: Vec<Org> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT DISTINCT organization_id FROM webhook_deliveries \
             WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?1 AND {} LIMIT 100",
            Scope::filter("organization_id", 2, 3)
        ),
        args,
    )?)
    .await?;
    for o in &orgs {
        let job = Job::Webhooks {
            organization_id: o.organization_id.clone(),
        };
        if let Err(e) = queue::enqueue_to(&ctx.env, queue::WEBHOOKS, job).await {
            worker::console_error!("queue webhooks of {}: {e}", o.organization_id);
        }
    }
    Ok(orgs.len())
}

/// A claimed delivery, with what sending it needs.
#[derive(Debug, Deserialize)]
struct Claimed {
    id: String,
    event_id: String,
    event_type: String,
    attempts: i64,
    event_created_at: i64,
    payload: String,
    url: String,
    endpoint_id: String,
    secret_version: i64,
}

/// The job: sends one organization's due deliveries, all at once.
pub async fn run(ctx: &Ctx, org_id: &str) -> Result<Outcome, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    ctx.use_clock_of(org_id).await?;
    let now = ctx.now_ms();
    let ids: Vec<Id> = db::all(db::stmt(
        &ctx.db,
        "UPDATE webhook_deliveries SET status = 'sending', updated_at = ?2 WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE organization_id = ?1 AND status IN ('pending', 'retrying') \
          AND next_attempt_at <= ?2 ORDER BY next_attempt_at LIMIT ?3) RETURNING id",
        params![org_id, now, CLAIM],
    )?)
    .await?;
    if ids.is_empty() {
        return Ok(Outcome::Done);
    }
    let list: Vec<&str> = ids.iter().map(|i| i.id.as_str()).collect();
    let claimed: Vec<Claimed> = db::all(db::stmt(
        &ctx.db,
        "SELECT d.id, d.event_id, ev.type AS event_type, d.attempts, ev.created_at AS event_created_at, ev.payload, \
         e.url, e.id AS endpoint_id, e.secret_version \
         FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.id IN (SELECT value FROM json_each(?1))",
        params![serde_json::to_string(&list).unwrap_or_default()],
    )?)
    .await?;
    futures_util::future::join_all(claimed.iter().map(|c| send(ctx, c))).await;
    // More may be due: go on until none is.
    if ids.len() as i64 == CLAIM {
        kick(ctx, org_id).await;
    }
    Ok(Outcome::Done)
}

/// Sends one delivery and writes down the attempt and what follows.
async fn send(ctx: &Ctx, c: &Claimed) {
    let secret = rules::endpoint_secret(
        ctx.config.token_secret.expose(),
        &c.endpoint_id,
        c.secret_version,
    );
    // The signature's time is the real one: receivers check it against
    // their own clocks, whatever the demo clock says.
    let signed_at = ctx.real_now_ms / 1000;
    let request = HttpRequest {
        method: "POST",
        url: c.url.clone(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("User-Agent".into(), "Settle-Webhooks/1".into()),
            (
                "Settle-Signature".into(),
                rules::signature_header(&secret, signed_at, &c.payload),
            ),
            ("Settle-Event-Id".into(), c.event_id.clone()),
            ("Settle-Event-Type".into(), c.event_type.clone()),
            ("Settle-Delivery-Id".into(), c.id.clone()),
        ],
        body: c.payload.clone(),
    };
    let started = worker::Date::now().as_millis() as i64;
    let answer = WorkerFetch.send(request).await;
    let took = worker::Date::now().as_millis() as i64 - started;
    let attempt = c.attempts + 1;
    let now = ctx.now_ms();
    let (status, error) = match &answer {
        Ok(r) if rules::delivered(r.status) => (Some(i64::from(r.status)), None),
        Ok(r) => (
            Some(i64::from(r.status)),
            Some(format!("HTTP {}", r.status)),
        ),
        Err(e) => (None, Some(e.chars().take(200).collect::<String>())),
    };
    let (state, next) = if error.is_none() {
        ("delivered", None)
    } else {
        match rules::next_attempt(c.event_created_at, attempt as u32, now) {
            Some(at) => ("retrying", Some(at)),
            None => ("gave_up", None),
        }
    };
    let written = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT OR IGNORE INTO webhook_attempts (delivery_id, attempt, at, status, error, duration_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![&c.id, attempt, now, status, error.clone(), took],
            )
            .ok(),
            db::stmt(
                &ctx.db,
                "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, last_status = ?5, \
                 last_error = ?6, delivered_at = CASE WHEN ?2 = 'delivered' THEN ?7 END, updated_at = ?7 \
                 WHERE id = ?1 AND status = 'sending'",
                params![&c.id, state, attempt, next, status, error, now],
            )
            .ok(),
        ]
        .into_iter()
        .flatten()
        .collect(),
    )
    .await;
    if let Err(e) = written {
        let e: ApiError = e.into();
        worker::console_error!("webhook delivery {}: {e:?}", c.id);
    }
}
