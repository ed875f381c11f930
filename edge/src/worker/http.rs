//! Reading requests and writing responses: body limits, JSON, errors,
//! query strings, and the ways a caller proves who it is: an API key, a
//! staff session (the console), a customer session (the portal), the
//! operator's token.

use crate::error::ApiError;
use crate::params;
use crate::rows::{CustomerRow, MemberRow, OrganizationRow};
use crate::security::{self, SESSION_COOKIE, TokenKind};
use crate::staff::{self, STAFF_COOKIE, SessionUse};
use crate::worker::ctx::{Caller, Ctx};
use crate::worker::db;
use serde::Serialize;
use serde::de::DeserializeOwned;
use settle_shared::ErrorCode;
use settle_shared::staff::Capability;
use worker::{Headers, Request, Response};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads a JSON body: size limit, content type, then strict parsing.
pub async fn json_body<T: DeserializeOwned>(req: Request) -> Result<T, ApiError> {
    let bytes = body_bytes(req).await?;
    parse_json(&bytes)
}

/// Like [`json_body`], but an empty body gives `T::default()`.
pub async fn json_body_or_default<T: DeserializeOwned + Default>(
    req: Request,
) -> Result<T, ApiError> {
    let bytes = body_bytes(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(&bytes)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, then shape: a truncated body is invalid JSON even when
    // its first values already have the wrong type.
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ApiError::from_json(&e))?;
    serde_json::from_value(value).map_err(|e| ApiError::from_json(&e))
}

/// The body, refused past [`MAX_BODY_BYTES`] without reading the rest
/// (whether or not the client sent `Content-Length`).
async fn body_bytes(req: Request) -> Result<Vec<u8>, ApiError> {
    let has_body = header(&req, "Content-Length").is_none_or(|l| l != "0");
    let ct = header(&req, "Content-Type").unwrap_or_default();
    if has_body && !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the body as `Content-Type: application/json`.",
        ));
    }
    raw_body(req, MAX_BODY_BYTES).await
}

/// The body's exact bytes, at most `limit` of them (webhooks verify these).
pub async fn raw_body(mut req: Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("The body is larger than {} KiB.", limit / 1024),
        )
    };
    if let Some(len) = header(&req, "Content-Length").and_then(|l| l.parse::<usize>().ok())
        && len > limit
    {
        return Err(too_large());
    }
    let mut out = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(out); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidJson,
                format!("The body could not be read: {e}."),
            )
        })?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A header's value.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// One query parameter.
pub fn query(req: &Request, name: &str) -> Option<String> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A JSON response.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let resp = Response::from_json(body)
        .map_err(|e| ApiError::internal(format!("encode: {e}")))?
        .with_status(status);
    no_store(resp)
}

/// Adds a `Set-Cookie` to a response.
pub fn with_cookie(mut resp: Response, cookie: &str) -> Result<Response, ApiError> {
    resp.headers_mut()
        .set("Set-Cookie", cookie)
        .map_err(|e| ApiError::internal(format!("header: {e}")))?;
    Ok(resp)
}

fn no_store(mut resp: Response) -> Result<Response, ApiError> {
    let h = resp.headers_mut();
    let set = |k: &str, v: &str| {
        h.set(k, v)
            .map_err(|e| ApiError::internal(format!("header: {e}")))
    };
    set("Cache-Control", "no-store")?;
    set("X-Content-Type-Options", "nosniff")?;
    Ok(resp)
}

/// The error envelope.
pub fn error(e: &ApiError) -> worker::Result<Response> {
    let mut resp = Response::from_json(&e.body())?.with_status(e.status());
    resp.headers_mut().set("Cache-Control", "no-store")?;
    if let Some(secs) = e.retry_after() {
        resp.headers_mut()
            .set("Retry-After", &secs.max(1).to_string())?;
    }
    Ok(resp)
}

/// A `303 See Other` to a path of our own, optionally setting a cookie.
pub fn redirect(location: &str, cookie: Option<&str>) -> Result<Response, ApiError> {
    let headers = Headers::new();
    let f = |e: worker::Error| ApiError::internal(format!("header: {e}"));
    headers.set("Location", location).map_err(f)?;
    headers.set("Cache-Control", "no-store").map_err(f)?;
    headers.set("Referrer-Policy", "no-referrer").map_err(f)?;
    if let Some(c) = cookie {
        headers.set("Set-Cookie", c).map_err(f)?;
    }
    Ok(Response::empty()
        .map_err(f)?
        .with_status(303)
        .with_headers(headers))
}

/// The landing page of a customer link: HTML with the session cookie. Its
/// `Content-Location` names the page the portal continues on.
pub fn landing_page(html: &str, location: &str, cookie: &str) -> Result<Response, ApiError> {
    let headers = Headers::new();
    let f = |e: worker::Error| ApiError::internal(format!("header: {e}"));
    headers
        .set("Content-Type", "text/html; charset=utf-8")
        .map_err(f)?;
    headers.set("Content-Location", location).map_err(f)?;
    headers.set("Cache-Control", "no-store").map_err(f)?;
    headers.set("Referrer-Policy", "no-referrer").map_err(f)?;
    headers.set("Set-Cookie", cookie).map_err(f)?;
    Ok(Response::ok(html).map_err(f)?.with_headers(headers))
}

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
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "SELECT id, created_at, last_seen_at, expires_at, ended_at FROM staff_sessions WHERE token_hash = ?1",
                params![hash.as_str()],
            )?,
            db::stmt(
                &ctx.db,
                "SELECT m.* FROM members m WHERE m.id = (SELECT member_id FROM staff_sessions WHERE token_hash = ?1)",
                params![hash.as_str()],
            )?,
            db::stmt(
                &ctx.db,
                "SELECT o.* FROM organizations o WHERE o.id = (SELECT organization_id FROM staff_sessions WHERE token_hash = ?1)",
                params![hash.as_str()],
            )?,
        ],
    )
    .await?;
    let decode = |e: worker::Error| ApiError::internal(format!("staff session: {e}"));
    let [session, member, org] = results.as_slice() else {
        return Err(ApiError::internal("staff session: three results expected"));
    };
    let session = session
        .results::<SessionRow>()
        .map_err(decode)?
        .into_iter()
        .next();
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
    let (Some(session), Some(member), Some(org)) = (session, member, org) else {
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

/// A query value that must be one of `allowed` (absent is fine).
pub fn one_of(
    field: &str,
    v: Option<String>,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match v {
        Some(x) if !allowed.contains(&x.as_str()) => Err(settle_shared::text::FieldError::invalid(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )
        .into()),
        other => Ok(other),
    }
}
