//! `GET /api/v1/alerts`: what the company should look at (bounces and
//! complaints).

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use serde::Deserialize;
use settle_shared::api::{AlertResponse, ListResponse};
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

#[derive(Deserialize)]
struct AlertRow {
    id: String,
    kind: String,
    customer_id: Option<String>,
    message: String,
    detail: String,
    created_at: i64,
    resolved_at: Option<i64>,
}

/// `GET /api/v1/alerts`: newest first.
pub async fn list_alerts(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM alerts WHERE organization_id = ?1 ORDER BY id DESC LIMIT 200",
        params![&org.id],
    )?;
    let rows: Vec<AlertRow> = db::all(s).await?;
    let data: Vec<AlertResponse> = rows
        .into_iter()
        .map(|a| AlertResponse {
            detail: serde_json::from_str(&a.detail).unwrap_or(serde_json::Value::Null),
            created_at: rfc3339_from_millis(a.created_at),
            resolved_at: a.resolved_at.map(rfc3339_from_millis),
            id: a.id,
            kind: a.kind,
            customer_id: a.customer_id,
            message: a.message,
        })
        .collect();
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
            total: None,
        },
    )
}
