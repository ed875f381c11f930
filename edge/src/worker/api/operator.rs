//! The demo clock and the cron on demand: local development and tests
//! only (`CLOCK_TRAVEL=1` and the operator token).

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{cron, db, http};
use serde::{Deserialize, Serialize};
use settle_shared::ErrorCode;
use settle_shared::ids::OrganizationId;
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

/// The organization whose demo clock a call reads or moves: each
/// organization has its own, so tests that travel run beside the rest.
fn organization(v: Option<&str>) -> Result<String, ApiError> {
    let v = v.ok_or_else(|| {
        ApiError::from(FieldError::invalid(
            "organization_id",
            "give the organization whose demo clock this is",
        ))
    })?;
    OrganizationId::parse(v)
        .map(|_| v.to_owned())
        .map_err(|_| FieldError::invalid("organization_id", "is not an organization id").into())
}

#[derive(Serialize)]
struct ClockResponse {
    now: String,
    offset_seconds: i64,
    /// Emails queued and ready to go (not waiting for a window): the demo
    /// command waits for none before moving on.
    pending_emails: i64,
}

async fn pending(ctx: &Ctx, org: &str) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct N {
        n: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM emails WHERE organization_id = ?2 AND status = 'queued' \
         AND (not_before IS NULL OR not_before <= ?1)",
        params![ctx.now_ms(), org],
    )?;
    Ok(db::one::<N>(s).await?.map_or(0, |n| n.n))
}

/// `GET /api/v1/operator/clock?organization_id=org_…`
pub async fn get_clock(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    operator(ctx, req)?;
    let org = organization(http::query(req, "organization_id").as_deref())?;
    ctx.use_clock_of(&org).await?;
    http::json(
        200,
        &ClockResponse {
            now: rfc3339_from_millis(ctx.now_ms()),
            offset_seconds: (ctx.now_ms() - ctx.real_now_ms) / 1000,
            pending_emails: pending(ctx, &org).await?,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveClock {
    #[serde(default)]
    organization_id: Option<String>,
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
    let org = organization(body.organization_id.as_deref())?;
    ctx.use_clock_of(&org).await?;
    let real_now = ctx.real_now_ms;
    let target = match (body.advance_seconds, body.set.as_deref()) {
        (Some(s), None) if (0..=366 * 86_400).contains(&s) => ctx.now_ms() + s * 1000,
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
    if target < ctx.now_ms() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "The demo clock only moves forward.",
        ));
    }
    let new_offset = target - real_now;
    db::stmt(
        &ctx.db,
        "INSERT INTO dev_clocks (organization_id, offset_ms) VALUES (?2, ?1) \
         ON CONFLICT (organization_id) DO UPDATE SET offset_ms = ?1",
        params![new_offset, &org],
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RunCron {
    /// One organization's work on its own demo clock; all of them on the
    /// real time when absent (what the scheduled handler does).
    #[serde(default)]
    organization_id: Option<String>,
}

/// `POST /api/v1/operator/cron` `{"organization_id": "org_…"}`: runs the
/// cron's work now and answers what the reminder tick did (the scheduled
/// handler runs exactly this, for every organization).
pub async fn run_cron(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    operator(ctx, &req)?;
    let body: RunCron = http::json_body_or_default(req).await?;
    let org = match body.organization_id.as_deref() {
        Some(o) => {
            let org = organization(Some(o))?;
            ctx.use_clock_of(&org).await?;
            Some(org)
        }
        None => None,
    };
    let scope = match org.as_deref() {
        Some(o) => cron::Scope::Organization(o),
        None => cron::Scope::All,
    };
    let report = cron::sweep_with(ctx, scope).await?;
    http::json(200, &report)
}
