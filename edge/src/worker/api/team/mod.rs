//! The team: its members (`/api/v1/team`), signing in by email link
//! ([`sign_in`]) and the sessions that follow ([`sessions`]). Who may do
//! what is `settle_shared::staff`; the sign-in and session rules are
//! `crate::staff`.

mod sessions;
mod sign_in;

pub use sessions::{end_session, list_sessions, me, sign_out, sign_out_everywhere};
pub use sign_in::{
    link_stmts as sign_in_link_stmts, link_url, redeem, request, sign_in_request_job,
};

use crate::error::ApiError;
use crate::params;
use crate::rows::MemberRow;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http, queue};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{InviteMemberRequest, ListResponse, UpdateMemberRequest};
use settle_shared::ids::{EmailId, MemberId};
use settle_shared::staff::{self, Capability, TeamChange};
use settle_shared::text::{self, limits};
use worker::{Request, Response};

/// `GET /api/v1/team`: the active members, admins first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM members WHERE organization_id = ?1 AND removed_at IS NULL ORDER BY created_at LIMIT 500",
        params![&org.id],
    )?;
    let mut members: Vec<MemberRow> = db::all(s).await?;
    settle_shared::sort::sort_by_key(&mut members, |m| m.role());
    http::json(
        200,
        &ListResponse {
            data: members.iter().map(MemberRow::view).collect(),
            next_cursor: None,
            total: None,
        },
    )
}

/// An active member of the organization, or 404 (another organization's
/// id looks like no id at all).
/// A filter by assigned agent (`?agent=`): absent or empty, everyone;
/// `none`, the accounts assigned to no one; a member's id, theirs (any
/// other value is a field error).
pub async fn agent_filter(
    ctx: &Ctx,
    org_id: &str,
    value: Option<String>,
) -> Result<Option<Option<String>>, ApiError> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some("none") => Ok(Some(None)),
        Some(m) => {
            load(ctx, org_id, m).await.map_err(|_| {
                settle_shared::text::FieldError::invalid("agent", "is not a member of this team")
            })?;
            Ok(Some(Some(m.to_owned())))
        }
    }
}

pub async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<MemberRow, ApiError> {
    if MemberId::parse(id).is_err() {
        return Err(ApiError::not_found("member"));
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM members WHERE id = ?1 AND organization_id = ?2 AND removed_at IS NULL",
        params![id, org_id],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("member"))
}

/// How many admins the organization has, and the guard that fails a batch
/// if that number changed since (two admins demoting each other at once
/// must not leave none).
async fn admins(ctx: &Ctx, org_id: &str) -> Result<i64, ApiError> {
    #[derive(serde::Deserialize)]
    struct N {
        n: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM members WHERE organization_id = ?1 AND role = 'admin' AND removed_at IS NULL",
        params![org_id],
    )?;
    Ok(db::one::<N>(s).await?.map_or(0, |n| n.n))
}

fn admins_unchanged(
    ctx: &Ctx,
    org_id: &str,
    count: i64,
) -> Result<worker::D1PreparedStatement, ApiError> {
    db::conflict_unless(
        &ctx.db,
        "(SELECT COUNT(*) FROM members WHERE organization_id = ?1 AND role = 'admin' AND removed_at IS NULL) = ?2",
        params![org_id, count],
    )
}

fn refused(r: staff::TeamRefusal) -> ApiError {
    ApiError::new(ErrorCode::LastAdmin, r.message())
}

fn changed_meanwhile() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "The team changed while this was being saved. Look again and retry.",
    )
}

/// `POST /api/v1/team`: invites a member; the invitation is a sign-in link.
pub async fn invite(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::ManageTeam).await?;
    let body: InviteMemberRequest = http::json_body(req).await?;
    let email = text::email("email", &body.email)?;
    let name = text::bounded("name", &body.name, limits::NAME)?;
    let locale = match body.locale.as_deref() {
        Some(l) => text::locale("locale", l)?,
        None => "en".to_owned(),
    };
    let id = MemberId::generate(ctx.now_ms() as u64, ctx.random10());
    let email_id = EmailId::generate(ctx.now_ms() as u64, ctx.random10());
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "INSERT INTO members (id, organization_id, name, email, email_lower, role, locale, invited_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id.as_str(),
            &org.id,
            &name,
            &email,
            email.to_lowercase(),
            body.role.as_str(),
            &locale,
            ctx.member_id(),
            ctx.now_ms()
        ],
    )?];
    stmts.extend(sign_in::link_stmts(
        ctx,
        &org.id,
        id.as_str(),
        &email,
        &email_id,
    )?);
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor: &ctx.actor(),
        action: "member.invited",
        subject: id.as_str(),
        detail: json!({ "email": email, "role": body.role }),
    })?);
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(db::WriteError::Unique(m)) if m.contains("members") => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("{email} is already a member of this team."),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    queue::enqueue_email(ctx, email_id.as_str()).await;
    let member = load(ctx, &org.id, id.as_str()).await?;
    http::json(201, &member.view())
}

/// `PATCH /api/v1/team/{id}` `{"role": …}`: the last admin stays an admin.
pub async fn update(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::ManageTeam).await?;
    let body: UpdateMemberRequest = http::json_body(req).await?;
    let member = load(ctx, &org.id, id).await?;
    let count = admins(ctx, &org.id).await?;
    staff::check_change(
        member.role(),
        TeamChange::SetRole(body.role),
        count as usize,
    )
    .map_err(refused)?;
    if member.role() != body.role {
        let stmts = vec![
            admins_unchanged(ctx, &org.id, count)?,
            db::stmt(
                &ctx.db,
                "UPDATE members SET role = ?1 WHERE id = ?2 AND organization_id = ?3 AND removed_at IS NULL",
                params![body.role.as_str(), &member.id, &org.id],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "member.role_changed",
                subject: &member.id,
                detail: json!({ "from": member.role(), "to": body.role }),
            })?,
        ];
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => {}
            Err(db::WriteError::Conflict) => return Err(changed_meanwhile()),
            Err(e) => return Err(e.into()),
        }
    }
    let member = load(ctx, &org.id, id).await?;
    http::json(200, &member.view())
}

/// `DELETE /api/v1/team/{id}`: removes a member, ends their sessions and
/// unassigns their accounts; the last admin cannot be removed.
pub async fn remove(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ManageTeam).await?;
    let member = load(ctx, &org.id, id).await?;
    let count = admins(ctx, &org.id).await?;
    staff::check_change(member.role(), TeamChange::Remove, count as usize).map_err(refused)?;
    let now = ctx.now_ms();
    let stmts = vec![
        admins_unchanged(ctx, &org.id, count)?,
        db::stmt(
            &ctx.db,
            "UPDATE members SET removed_at = ?1 WHERE id = ?2 AND organization_id = ?3 AND removed_at IS NULL",
            params![now, &member.id, &org.id],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE staff_sessions SET ended_at = ?1 WHERE member_id = ?2 AND ended_at IS NULL",
            params![ctx.real_now_ms, &member.id],
        )?,
        db::stmt(
            &ctx.db,
            "UPDATE customers SET assigned_to = NULL WHERE organization_id = ?1 AND assigned_to = ?2",
            params![&org.id, &member.id],
        )?,
        ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: "member.removed",
            subject: &member.id,
            detail: json!({ "email": member.email, "role": member.role() }),
        })?,
    ];
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(db::WriteError::Conflict) => return Err(changed_meanwhile()),
        Err(e) => return Err(e.into()),
    }
    // Their open threads lose their sockets at once.
    let threads = crate::worker::api::disputes::thread::unresolved(ctx, &org.id).await?;
    crate::worker::live::kick(ctx, &threads, &crate::worker::live::member_tag(&member.id)).await;
    http::json(200, &json!({ "removed": true, "id": member.id }))
}
