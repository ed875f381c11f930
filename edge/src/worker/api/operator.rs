//! The demo clock and the cron on demand: local development and tests
//! only (`CLOCK_TRAVEL=1` and the operator token).

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{cron, db, http};
use serde::{Deserialize, Serialize};
use settle_shared::ErrorCode;
use settle_shared::text::FieldError;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

// ---- Demo clock (local development and tests only) ----

/// Refuses unless clock travel is on and the caller is the operator.
fn operator(ctx: &Ctx, req: &Request) -> Result<(), ApiError> {
    if !ctx.config.clock_travel {
        return Err(ApiError::not_found("route"));
    }
    http::operator(ctx, req)
}

#[derive(Deserialize, Default)]
struct Offset {
    offset_ms: i64,
}

async fn offset(ctx: &Ctx) -> Result<i64, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT offset_ms FROM dev_clock WHERE id = 1",
        Vec::new(),
    )?;
    Ok(db::one::<Offset>(s).await?.unwrap_or_default().offset_ms)
}

#[derive(Serialize)]
struct ClockResponse {
    now: String,
    offset_seconds: i64,
    /// Emails queued and ready to go (not waiting for a window): the demo
    /// command waits for none before moving on.
    pending_emails: i64,
}

async fn pending(ctx: &Ctx) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct N {
        n: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM emails WHERE status = 'queued' AND (not_before IS NULL OR not_before <= ?1)",
        params![ctx.now_ms],
    )?;
    Ok(db::one::<N>(s).await?.map_or(0, |n| n.n))
}

/// `GET /api/v1/operator/clock`
pub async fn get_clock(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    operator(ctx, req)?;
    let off = offset(ctx).await?;
    http::json(
        200,
        &ClockResponse {
            now: rfc3339_from_millis(ctx.now_ms),
            offset_seconds: off / 1000,
            pending_emails: pending(ctx).await?,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveClock {
    #[serde(default)]
    advance_seconds: Option<i64>,
    /// RFC 3339.
    #[serde(default)]
    set: Option<String>,
}

/// `POST /api/v1/operator/clock` `{"advance_seconds": 3600}` or `{"set": "2026-12-01T09:00:00Z"}`.
/// The clock only moves forward: reminders already sent stay in the past.
pub async fn move_clock(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    operator(ctx, &req)?;
    let body: MoveClock = http::json_body(req).await?;
    let off = offset(ctx).await?;
    let real_now = ctx.now_ms - off;
    let target = match (body.advance_seconds, body.set.as_deref()) {
        (Some(s), None) if (0..=366 * 86_400).contains(&s) => ctx.now_ms + s * 1000,
        (Some(_), None) => {
            return Err(
                FieldError::invalid("advance_seconds", "must be from 0 to one year").into(),
            );
        }
        (None, Some(at)) => chrono::DateTime::parse_from_rfc3339(at)
            .map_err(|_| FieldError::invalid("set", "must be a time such as 2026-12-01T09:00:00Z"))?
            .timestamp_millis(),
        _ => {
            return Err(FieldError::invalid(
                "advance_seconds",
                "give one of advance_seconds or set",
            )
            .into());
        }
    };
    if target < ctx.now_ms {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The demo clock only moves forward.",
        ));
    }
    let new_offset = target - real_now;
    db::stmt(
        &ctx.db,
        "INSERT INTO dev_clock (id, offset_ms) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET offset_ms = ?1",
        params![new_offset],
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("clock: {e}")))?;
    http::json(
        200,
        &ClockResponse {
            now: rfc3339_from_millis(target),
            offset_seconds: new_offset / 1000,
            pending_emails: 0,
        },
    )
}

/// `POST /api/v1/operator/cron`: runs the cron's work now and answers what
/// the reminder tick did (the scheduled handler runs exactly this).
pub async fn run_cron(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    operator(ctx, req)?;
    let report = cron::sweep_with(ctx).await?;
    http::json(200, &report)
}
