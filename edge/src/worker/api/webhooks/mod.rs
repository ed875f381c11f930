//! Outgoing webhooks: the organization's endpoints (admins).
//!
//! - `GET`/`POST /api/v1/webhook-endpoints`,
//!   `GET`/`DELETE /api/v1/webhook-endpoints/{id}`
//! - [`deliveries`]: the delivery log, resending, and the queue job that
//!   sends them; [`emit`]: the statements that emit an event.
//!
//! The rules (event types, the envelope, the signature, addresses, when to
//! try again) are `crate::webhooks`'.

pub mod deliveries;
pub mod emit;

pub use emit::{emit, kick, kick_emitted};

use crate::error::ApiError;
use crate::params;
use crate::webhooks::{self as rules, MAX_ENDPOINTS};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{CreateWebhookEndpointRequest, ListResponse, WebhookEndpointResponse};
use settle_shared::ids::WebhookEndpointId;
use settle_shared::staff::Capability;
use settle_shared::text;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

#[derive(Debug, Deserialize)]
struct EndpointRow {
    id: String,
    url: String,
    description: Option<String>,
    events: String,
    secret_version: i64,
    disabled_at: Option<i64>,
    created_at: i64,
}

impl EndpointRow {
    fn view(&self, ctx: &Ctx, with_secret: bool) -> WebhookEndpointResponse {
        WebhookEndpointResponse {
            id: self.id.clone(),
            url: self.url.clone(),
            description: self.description.clone(),
            events: serde_json::from_str(&self.events).unwrap_or_default(),
            enabled: self.disabled_at.is_none(),
            secret: with_secret.then(|| {
                rules::endpoint_secret(
                    ctx.config.token_secret.expose(),
                    &self.id,
                    self.secret_version,
                )
            }),
            created_at: rfc3339_from_millis(self.created_at),
        }
    }
}

async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<EndpointRow, ApiError> {
    if WebhookEndpointId::parse(id).is_err() {
        return Err(ApiError::not_found("webhook endpoint"));
    }
    db::one(db::stmt(
        &ctx.db,
        "SELECT * FROM webhook_endpoints WHERE id = ?1 AND organization_id = ?2",
        params![id, org_id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

/// `GET /api/v1/webhook-endpoints`: oldest first, without secrets.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    let rows: Vec<EndpointRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM webhook_endpoints WHERE organization_id = ?1 ORDER BY id LIMIT 100",
        params![&org.id],
    )?)
    .await?;
    http::json(
        200,
        &ListResponse {
            data: rows.iter().map(|r| r.view(ctx, false)).collect(),
            next_cursor: None,
            total: None,
        },
    )
}

/// `GET /api/v1/webhook-endpoints/{id}`: with its signing secret.
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    http::json(200, &load(ctx, &org.id, id).await?.view(ctx, true))
}

/// `POST /api/v1/webhook-endpoints` → `201` with the signing secret.
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: CreateWebhookEndpointRequest = http::json_body(req).await?;
    let url = rules::endpoint_url("url", &body.url, ctx.config.webhook_allow_local_http)?;
    let description = text::optional("description", body.description.as_deref(), 200)?;
    let events = rules::event_list("events", &body.events)?;
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let live = db::one::<Count>(db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM webhook_endpoints WHERE organization_id = ?1 AND disabled_at IS NULL",
        params![&org.id],
    )?)
    .await?
    .map_or(0, |c| c.n);
    if live >= MAX_ENDPOINTS as i64 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "An organization may have at most {MAX_ENDPOINTS} webhook endpoints; delete one first."
            ),
        ));
    }
    let now = ctx.now_ms();
    let id = WebhookEndpointId::generate(now as u64, ctx.random10());
    let events_json =
        serde_json::to_string(&events).map_err(|e| ApiError::internal(e.to_string()))?;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO webhook_endpoints (id, organization_id, url, description, events, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id.as_str(), &org.id, &url, description.clone(), &events_json, now],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "webhook_endpoint.created",
                subject: id.as_str(),
                detail: json!({ "url": url, "events": events }),
            })?,
        ],
    )
    .await?;
    http::json(201, &load(ctx, &org.id, id.as_str()).await?.view(ctx, true))
}

/// `DELETE /api/v1/webhook-endpoints/{id}`: stops sending to it; its
/// deliveries not yet made are given up. The log stays.
pub async fn delete(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    let row = load(ctx, &org.id, id).await?;
    if row.disabled_at.is_none() {
        let now = ctx.now_ms();
        db::batch(
            &ctx.db,
            vec![
                db::stmt(
                    &ctx.db,
                    "UPDATE webhook_endpoints SET disabled_at = ?2, updated_at = ?2 WHERE id = ?1",
                    params![&row.id, now],
                )?,
                db::stmt(
                    &ctx.db,
                    "UPDATE webhook_deliveries SET status = 'gave_up', next_attempt_at = NULL, \
                     last_error = 'endpoint deleted', updated_at = ?2 \
                     WHERE endpoint_id = ?1 AND status IN ('pending', 'retrying')",
                    params![&row.id, now],
                )?,
                ctx.audit(Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
                    action: "webhook_endpoint.deleted",
                    subject: &row.id,
                    detail: json!({ "url": row.url }),
                })?,
            ],
        )
        .await?;
    }
    http::json(200, &load(ctx, &org.id, id).await?.view(ctx, false))
}
