//! Signing in by email link. The request is answered at once and the same
//! way for any address; the queue looks the address up (so the answer's
//! time says nothing either) and sends each member found a link. Opening
//! the link is a `POST` from the console page it leads to (a mail scanner
//! that follows links cannot use it up), which starts a session.

use crate::error::ApiError;
use crate::params;
use crate::rows::MemberRow;
use crate::security::{self, OsRandom, TokenKind};
use crate::staff::{self, SignInLink, SignInProblem};
use crate::worker::ctx::{Audit, Caller, Ctx};
use crate::worker::queue::{self, Job, Outcome};
use crate::worker::{db, http, limits};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    RedeemSignInRequest, SignInRequest, SignInRequested, StaffMeResponse, StaffOrganization,
};
use settle_shared::ids::{EmailId, StaffSessionId};
use settle_shared::text;
use worker::{D1PreparedStatement, Request, Response};

/// The sign-in link inside the email with id `email_id` (the same on every
/// attempt to send it). The token is in the fragment: browsers never send
/// it to a server or put it in a log.
pub fn link_url(ctx: &Ctx, email_id: &str) -> String {
    let token = token(ctx, email_id);
    format!("{}/console/sign-in#{token}", ctx.config.public_base_url)
}

fn token(ctx: &Ctx, email_id: &str) -> String {
    security::derived_token(
        TokenKind::StaffSignIn,
        ctx.config.token_secret.expose(),
        &staff::sign_in_purpose(email_id),
    )
}

/// The statements that queue a sign-in email to a member and store its
/// link (its hash): both or neither, and a repeat of the same email id
/// changes nothing.
pub fn link_stmts(
    ctx: &Ctx,
    org_id: &str,
    member_id: &str,
    to: &str,
    email_id: &EmailId,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    Ok(vec![
        db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO emails (id, organization_id, member_id, kind, status, to_address, created_at) \
             VALUES (?1, ?2, ?3, 'sign_in', 'queued', ?4, ?5)",
            params![email_id.as_str(), org_id, member_id, to, ctx.now_ms()],
        )?,
        db::stmt(
            &ctx.db,
            "INSERT OR IGNORE INTO sign_in_links (token_hash, organization_id, member_id, email_id, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                security::hash_token(&token(ctx, email_id.as_str())),
                org_id,
                member_id,
                email_id.as_str(),
                ctx.real_now_ms + staff::SIGN_IN_TTL_MS,
                ctx.real_now_ms
            ],
        )?,
    ])
}

const REQUESTED: &str = "If this address belongs to a team on Settle, a sign-in link is on its way. It works once, within 15 minutes.";

/// `POST /api/v1/staff/sign-in` `{"email": …}`: always `202` with the same
/// words; limited per address and per network.
pub async fn request(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let body: SignInRequest = http::json_body(req).await?;
    let email = text::email("email", &body.email)?.to_lowercase();
    let network = staff::network(ctx.ip.as_deref().unwrap_or("unknown"));
    // Per network; per address from one network (someone flooding an
    // address from elsewhere does not lock its owner out); and per address
    // overall, higher, so that an inbox cannot be flooded either.
    let address = security::hash_token(&email);
    let counted = [
        (format!("signin-net:{network}"), staff::SIGN_IN_PER_NETWORK),
        (
            format!("signin-email:{address}:{network}"),
            staff::SIGN_IN_PER_ADDRESS_AND_NETWORK,
        ),
        (
            format!("signin-email:{address}"),
            staff::SIGN_IN_PER_ADDRESS,
        ),
    ];
    for (key, limit) in counted {
        if let Err(secs) = limits::count(ctx, &key, limit).await? {
            return Err(limits::limited("sign-in requests", secs));
        }
    }
    queue::enqueue(
        ctx,
        Job::SignInRequest {
            email,
            requested_at: ctx.real_now_ms,
            ip: ctx.ip.clone(),
        },
    )
    .await
    .map_err(|e| ApiError::internal(format!("enqueue sign-in request: {e}")))?;
    http::json(
        202,
        &SignInRequested {
            message: REQUESTED.into(),
        },
    )
}

/// The queue's half of a request: a link to each active member with the
/// address (in every organization they belong to). Repeating the job
/// repeats nothing: the email ids come from the request's time and member.
pub async fn sign_in_request_job(
    ctx: &Ctx,
    email: &str,
    requested_at: i64,
    ip: Option<&str>,
) -> Result<Outcome, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM members WHERE email_lower = ?1 AND removed_at IS NULL ORDER BY id LIMIT 10",
        params![email],
    )?;
    let found: Vec<MemberRow> = db::all(s).await?;
    for m in &found {
        let eid = EmailId::generate(
            requested_at as u64,
            security::stable_bytes(&format!("sign-in:{}:{requested_at}", m.id)),
        );
        let mut stmts = link_stmts(ctx, &m.organization_id, &m.id, &m.email, &eid)?;
        stmts.push(ctx.audit_once(Audit {
            org: Some(&m.organization_id),
            // Anyone may type the address: not the member's own act.
            actor: "system",
            action: "member.sign_in_requested",
            subject: eid.as_str(),
            detail: json!({ "member_id": m.id, "ip": ip }),
        })?);
        db::batch(&ctx.db, stmts).await?;
        queue::enqueue_email(ctx, eid.as_str()).await;
    }
    Ok(Outcome::Done)
}

fn problem(p: SignInProblem) -> ApiError {
    let code = match p {
        SignInProblem::Unknown => ErrorCode::SignInInvalid,
        SignInProblem::Expired => ErrorCode::SignInExpired,
        SignInProblem::Used => ErrorCode::SignInUsed,
        SignInProblem::Removed => ErrorCode::MemberRemoved,
    };
    ApiError::new(code, p.message())
}

/// `POST /api/v1/staff/sessions` `{"token": "sl_…"}`: uses the sign-in
/// link up and starts a session (`Set-Cookie: settle_staff=…`).
pub async fn redeem(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    http::same_origin_only(&req, "console")?;
    let user_agent =
        http::header(&req, "User-Agent").map(|ua| ua.chars().take(300).collect::<String>());
    let body: RedeemSignInRequest = http::json_body(req).await?;
    if !security::well_formed(TokenKind::StaffSignIn, body.token.trim()) {
        return Err(problem(SignInProblem::Unknown));
    }
    let hash = security::hash_token(body.token.trim());
    #[derive(serde::Deserialize)]
    struct LinkRow {
        expires_at: i64,
        used_at: Option<i64>,
    }
    let Some((link, member, org)) =
        http::with_member::<LinkRow>(ctx, "sign_in_links", "expires_at, used_at", &hash).await?
    else {
        return Err(problem(SignInProblem::Unknown));
    };
    let now = ctx.real_now_ms;
    staff::redeem(
        Some(&SignInLink {
            expires_at: link.expires_at,
            used_at: link.used_at,
            member_removed: member.removed_at.is_some(),
        }),
        now,
    )
    .map_err(problem)?;
    ctx.use_clock_of(&org.id).await?;
    let session_token = security::new_token(TokenKind::StaffSession, &mut OsRandom);
    let session_id = StaffSessionId::generate(now as u64, ctx.random10());
    let expires_at = staff::session_expiry(now);
    ctx.set_caller(Caller::Member {
        id: member.id.clone(),
        role: member.role(),
        session_id: session_id.to_string(),
    });
    let stmts = vec![
        // Two tabs opening the same link at once: one session, not two.
        db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM sign_in_links WHERE token_hash = ?1 AND used_at IS NULL)",
            params![hash.as_str()],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE sign_in_links SET used_at = ?2 WHERE token_hash = ?1",
            params![hash.as_str(), now],
        )?,
        db::stmt(
            &ctx.db,
            "INSERT INTO staff_sessions (id, token_hash, organization_id, member_id, ip, user_agent, created_at, last_seen_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
            params![
                session_id.as_str(),
                security::hash_token(&session_token),
                &org.id,
                &member.id,
                ctx.ip.clone(),
                user_agent.clone(),
                now,
                expires_at
            ],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE members SET last_sign_in_at = ?2 WHERE id = ?1",
            params![&member.id, now],
        )?,
        ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: "member.signed_in",
            subject: session_id.as_str(),
            detail: json!({ "member_id": member.id, "user_agent": user_agent }),
        })?,
    ];
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(db::WriteError::Conflict) => return Err(problem(SignInProblem::Used)),
        Err(e) => return Err(e.into()),
    }
    let mut member = member;
    member.last_sign_in_at = Some(now);
    let body = StaffMeResponse {
        member: member.view(),
        organization: StaffOrganization {
            id: org.id.clone(),
            display_name: org.display_name.clone(),
        },
        session_id: session_id.to_string(),
    };
    http::with_cookie(
        http::json(201, &body)?,
        &staff::session_cookie(&session_token, (expires_at - now) / 1000),
    )
}
