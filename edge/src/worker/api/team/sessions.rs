//! A member's own sessions: who am I, where am I signed in, sign out here
//! or everywhere. Sessions use the real time, never a demo clock.

use crate::error::ApiError;
use crate::params;
use crate::rows::StaffSessionRow;
use crate::staff;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::api::{ListResponse, SignedOutResponse, StaffMeResponse, StaffOrganization};
use settle_shared::ids::StaffSessionId;
use worker::{Request, Response};

/// `GET /api/v1/staff/me`: the signed-in member and their organization.
pub async fn me(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::staff(ctx, req).await?;
    http::json(
        200,
        &StaffMeResponse {
            member: s.member.view(),
            organization: StaffOrganization {
                id: s.org.id.clone(),
                display_name: s.org.display_name.clone(),
            },
            session_id: s.session_id,
        },
    )
}

/// `GET /api/v1/staff/sessions`: the member's sessions still open, newest
/// first, the current one marked.
pub async fn list_sessions(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::staff(ctx, req).await?;
    let q = db::stmt(
        &ctx.db,
        "SELECT id, member_id, ip, user_agent, created_at, last_seen_at, expires_at, ended_at FROM staff_sessions \
         WHERE member_id = ?1 AND ended_at IS NULL AND expires_at > ?2 ORDER BY created_at DESC LIMIT 100",
        params![&s.member.id, ctx.real_now_ms],
    )?;
    let rows: Vec<StaffSessionRow> = db::all(q).await?;
    let now = ctx.real_now_ms;
    let data = rows
        .iter()
        .filter(|r| now < r.last_seen_at + staff::SESSION_IDLE_MS)
        .map(|r| r.view(&s.session_id))
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

/// Ends sessions of the member's matching `which` (`?3`: one id, or all
/// when null); answers how many ended.
async fn end(
    ctx: &Ctx,
    s: &http::Staff,
    which: Option<&str>,
    action: &str,
) -> Result<u32, ApiError> {
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE staff_sessions SET ended_at = ?1 WHERE member_id = ?2 AND ended_at IS NULL AND (?3 IS NULL OR id = ?3)",
                params![ctx.real_now_ms, &s.member.id, which],
            )?,
            ctx.audit(Audit {
                org: Some(&s.org.id),
                actor: &ctx.actor(),
                action,
                subject: which.unwrap_or(&s.member.id),
                detail: json!({ "member_id": s.member.id }),
            })?,
        ],
    )
    .await?;
    Ok(results.first().map_or(0, db::changes) as u32)
}

/// `DELETE /api/v1/staff/sessions/{id}`: ends one of the member's own
/// sessions (another device's, say).
pub async fn end_session(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::staff(ctx, req).await?;
    if StaffSessionId::parse(id).is_err() {
        return Err(ApiError::not_found("session"));
    }
    if end(ctx, &s, Some(id), "member.session_ended").await? == 0 {
        return Err(ApiError::not_found("session"));
    }
    let resp = http::json(200, &SignedOutResponse { sessions_ended: 1 })?;
    if id == s.session_id {
        http::with_cookie(resp, &staff::clear_session_cookie())
    } else {
        Ok(resp)
    }
}

/// `POST /api/v1/staff/sign-out`: ends this session.
pub async fn sign_out(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::staff(ctx, req).await?;
    let id = s.session_id.clone();
    let n = end(ctx, &s, Some(&id), "member.signed_out").await?;
    http::with_cookie(
        http::json(200, &SignedOutResponse { sessions_ended: n })?,
        &staff::clear_session_cookie(),
    )
}

/// `POST /api/v1/staff/sign-out-everywhere`: ends every session of the
/// member, this one included.
pub async fn sign_out_everywhere(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::staff(ctx, req).await?;
    let n = end(ctx, &s, None, "member.signed_out_everywhere").await?;
    http::with_cookie(
        http::json(200, &SignedOutResponse { sessions_ended: n })?,
        &staff::clear_session_cookie(),
    )
}
