//! The ways a caller proves who it is: the operator's token, an
//! organization API key, a staff session (the console), a customer session
//! (the portal); and the same-origin check every cookie-authenticated
//! request that changes state must pass (CSRF). What a member may do once
//! known is `settle_shared::staff`; the session rules are `crate::staff`.

use super::http::header;
use crate::error::ApiError;
use crate::params;
use crate::rows::{CustomerRow, MemberRow, OrganizationRow};
use crate::security::{self, SESSION_COOKIE, TokenKind};
use crate::staff::{self, STAFF_COOKIE, SessionUse};
use crate::worker::ctx::{Caller, Ctx};
use crate::worker::db;
use serde::de::DeserializeOwned;
use settle_shared::ErrorCode;
use settle_shared::staff::Capability;
use worker::Request;

/// Refuses unless the caller presents the platform operator's token.
pub fn operator(ctx: &Ctx, req: &Request) -> Result<(), ApiError> {
    let token = ctx
        .config
        .operator_token
        .as_ref()
        .ok_or_else(ApiError::unauthorized)?;
    let auth = header(req, "Authorization");
    let presented = security::bearer(auth.as_deref()).ok_or_else(ApiError::unauthorized)?;
    if security::constant_time_eq(presented.as_bytes(), token.expose().as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::unauthorized())
    }
}

/// The organization of the caller, who must be allowed to do `need`: an
/// API key (which may do what an admin may), or, without an
/// `Authorization` header, a member signed in to the console (their role
/// decides; a state-changing request must come from our own origin).
pub async fn organization(
    ctx: &Ctx,
    req: &Request,
    need: Capability,
) -> Result<OrganizationRow, ApiError> {
    if header(req, "Authorization").is_none()
        && security::cookie(header(req, "Cookie").as_deref(), STAFF_COOKIE).is_some()
    {
        let s = staff(ctx, req).await?;
        if !s.member.role().may(need) {
            return Err(ApiError::new(ErrorCode::Forbidden, need.refusal()));
        }
        return Ok(s.org);
    }
    let org = api_key(ctx, req).await?;
    ctx.set_caller(Caller::ApiKey);
    Ok(org)
}

/// The organization whose API key authorizes this request.
async fn api_key(ctx: &Ctx, req: &Request) -> Result<OrganizationRow, ApiError> {
    let auth = header(req, "Authorization");
    let key = security::bearer(auth.as_deref()).ok_or_else(ApiError::unauthorized)?;
    if !security::well_formed(TokenKind::ApiKey, key) {
        return Err(ApiError::unauthorized());
    }
    let hash = security::hash_token(key);
    // One round trip: the key's use is noted (at most once an hour, so the
    // write is almost always a no-op) and its organization read.
    let stmts = vec![
        db::stmt(
            &ctx.db,
            "UPDATE api_keys SET last_used_at = ?2 WHERE key_hash = ?1 AND revoked_at IS NULL \
             AND (last_used_at IS NULL OR last_used_at < ?2 - 3600000)",
            params![hash.as_str(), ctx.real_now_ms],
        )?,
        db::stmt(
            &ctx.db,
            "SELECT o.* FROM api_keys k JOIN organizations o ON o.id = k.organization_id WHERE k.key_hash = ?1 AND k.revoked_at IS NULL",
            params![hash.as_str()],
        )?,
    ];
    let results = ctx
        .db
        .batch(stmts)
        .await
        .map_err(|e| ApiError::internal(format!("api key: {e}")))?;
    let rows: Vec<OrganizationRow> = results
        .get(1)
        .ok_or_else(|| ApiError::internal("api key: no result"))?
        .results()
        .map_err(|e| ApiError::internal(format!("api key: {e}")))?;
    let org = rows.into_iter().next().ok_or_else(ApiError::unauthorized)?;
    ctx.use_clock_of(&org.id).await?;
    Ok(org)
}

/// A member signed in to the console.
pub struct Staff {
    pub session_id: String,
    pub member: MemberRow,
    pub org: OrganizationRow,
}

/// Refuses a state-changing request that did not come from our own origin
/// (CSRF): the browser says where a request comes from in `Sec-Fetch-Site`,
/// or else `Origin`.
pub fn same_origin_only(req: &Request, what: &str) -> Result<(), ApiError> {
    if req.method() == worker::Method::Get || req.method() == worker::Method::Head {
        return Ok(());
    }
    let own = req
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    if security::same_origin(
        header(req, "Sec-Fetch-Site").as_deref(),
        header(req, "Origin").as_deref(),
        &own,
    ) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::CsrfRejected,
            format!("This request did not come from the {what}."),
        ))
    }
}

/// The member signed in with the staff session cookie: the session, its
/// member and their organization in one round trip; the session's rules
/// are `crate::staff::use_session`.
pub async fn staff(ctx: &Ctx, req: &Request) -> Result<Staff, ApiError> {
    let ended = || {
        ApiError::new(
            ErrorCode::SessionExpired,
            "Your console session has ended. Sign in again with a link sent to your email.",
        )
    };
    let cookies = header(req, "Cookie");
    let token = security::cookie(cookies.as_deref(), STAFF_COOKIE).ok_or_else(ended)?;
    if !security::well_formed(TokenKind::StaffSession, token) {
        return Err(ended());
    }
    same_origin_only(req, "console")?;
    #[derive(serde::Deserialize)]
    struct SessionRow {
        id: String,
        created_at: i64,
        last_seen_at: i64,
        expires_at: i64,
        ended_at: Option<i64>,
    }
    let hash = security::hash_token(token);
    let Some((session, member, org)) = with_member::<SessionRow>(
        ctx,
        "staff_sessions",
        "id, created_at, last_seen_at, expires_at, ended_at",
        &hash,
    )
    .await?
    else {
        return Err(ended());
    };
    ctx.use_clock_of(&org.id).await?;
    let now = ctx.real_now_ms;
    let state = staff::Session {
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        expires_at: session.expires_at,
        ended: session.ended_at.is_some(),
        member_removed: member.removed_at.is_some(),
    };
    match staff::use_session(&state, now) {
        SessionUse::Ended => return Err(ended()),
        SessionUse::Valid { touch: true } => {
            db::stmt(
                &ctx.db,
                "UPDATE staff_sessions SET last_seen_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
                params![&session.id, now],
            )?
            .run()
            .await
            .map_err(|e| ApiError::internal(format!("staff session seen: {e}")))?;
        }
        SessionUse::Valid { touch: false } => {}
    }
    ctx.set_caller(Caller::Member {
        id: member.id.clone(),
        role: member.role(),
        session_id: session.id.clone(),
    });
    Ok(Staff {
        session_id: session.id,
        member,
        org,
    })
}

/// A row of `table` found by its `token_hash` (its `columns`), with the
/// member and the organization it names, in one round trip; `None` when
/// any of the three is missing. Staff sessions and sign-in links are read
/// this way.
pub async fn with_member<T: DeserializeOwned>(
    ctx: &Ctx,
    table: &str,
    columns: &str,
    hash: &str,
) -> Result<Option<(T, MemberRow, OrganizationRow)>, ApiError> {
    let by_hash = |sql: String| db::stmt(&ctx.db, &sql, params![hash]);
    let results = db::batch(
        &ctx.db,
        vec![
            by_hash(format!("SELECT {columns} FROM {table} WHERE token_hash = ?1"))?,
            by_hash(format!(
                "SELECT m.* FROM members m WHERE m.id = (SELECT member_id FROM {table} WHERE token_hash = ?1)"
            ))?,
            by_hash(format!(
                "SELECT o.* FROM organizations o WHERE o.id = (SELECT organization_id FROM {table} WHERE token_hash = ?1)"
            ))?,
        ],
    )
    .await?;
    let decode = |e: worker::Error| ApiError::internal(format!("{table}: {e}"));
    let [row, member, org] = results.as_slice() else {
        return Err(ApiError::internal(format!(
            "{table}: three results expected"
        )));
    };
    let row = row.results::<T>().map_err(decode)?.into_iter().next();
    let member = member
        .results::<MemberRow>()
        .map_err(decode)?
        .into_iter()
        .next();
    let org = org
        .results::<OrganizationRow>()
        .map_err(decode)?
        .into_iter()
        .next();
    Ok(match (row, member, org) {
        (Some(r), Some(m), Some(o)) => Some((r, m, o)),
        _ => None,
    })
}

/// The signed-in customer of a portal request.
pub struct Session {
    pub token_hash: String,
    pub customer: CustomerRow,
    pub link_invoice_id: Option<String>,
}

/// One row of the session query. Columns are listed out: `serde(flatten)`
/// cannot read D1's numbers (they arrive as doubles).
#[derive(serde::Deserialize)]
struct SessionRow {
    token_hash: String,
    expires_at: i64,
    link_invoice_id: Option<String>,
    id: String,
    organization_id: String,
    name: String,
    email: String,
    locale: String,
    time_zone: String,
    external_id: Option<String>,
    created_at: i64,
}

/// The customer session from the cookie; state-changing requests must also
/// come from our own origin.
pub async fn session(ctx: &Ctx, req: &Request) -> Result<Session, ApiError> {
    let expired = || {
        ApiError::new(
            ErrorCode::SessionExpired,
            "Your session has ended. Open the link in your latest email again.",
        )
    };
    let cookies = header(req, "Cookie");
    let token = security::cookie(cookies.as_deref(), SESSION_COOKIE).ok_or_else(expired)?;
    if !security::well_formed(TokenKind::Session, token) {
        return Err(expired());
    }
    same_origin_only(req, "portal")?;
    let s = db::stmt(
        &ctx.db,
        "SELECT s.token_hash, s.expires_at, l.invoice_id AS link_invoice_id, c.id, c.organization_id, c.name, c.email, c.locale, \
         c.time_zone, c.external_id, c.created_at FROM customer_sessions s \
         JOIN customers c ON c.id = s.customer_id AND c.organization_id = s.organization_id \
         JOIN access_links l ON l.id = s.link_id \
         WHERE s.token_hash = ?1 AND s.ended_at IS NULL AND l.revoked_at IS NULL",
        params![security::hash_token(token)],
    )?;
    let row = db::one::<SessionRow>(s).await?.ok_or_else(expired)?;
    // The expiry is read against the organization's clock (the demo clock
    // in development; the real time in production).
    ctx.use_clock_of(&row.organization_id).await?;
    if row.expires_at <= ctx.now_ms() {
        return Err(expired());
    }
    let customer = CustomerRow {
        id: row.id,
        organization_id: row.organization_id,
        name: row.name,
        email: row.email,
        locale: row.locale,
        time_zone: row.time_zone,
        external_id: row.external_id,
        created_at: row.created_at,
        tags: "[]".into(),
        reminders_opt_out: 0,
        opt_out_by: None,
        reply_received_at: None,
        email_status: "ok".into(),
        flag_reason: None,
        payment_plans_blocked: 0,
        assigned_to: None,
    };
    Ok(Session {
        token_hash: row.token_hash,
        customer,
        link_invoice_id: row.link_invoice_id,
    })
}
