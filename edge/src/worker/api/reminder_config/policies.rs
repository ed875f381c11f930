//! Reminder policies: list, create, read, replace, make default.

use super::*;
use settle_shared::staff::Capability;

pub(super) async fn policy_rows(ctx: &Ctx, org_id: &str) -> Result<Vec<PolicyRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM reminder_policies WHERE organization_id = ?1 ORDER BY id DESC",
        params![org_id],
    )?;
    db::all(s).await
}

pub(super) async fn load_policy(
    ctx: &Ctx,
    org_id: &str,
    id: &str,
) -> Result<Option<PolicyRow>, ApiError> {
    if PolicyId::parse(id).is_err() {
        return Ok(None);
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM reminder_policies WHERE id = ?1 AND organization_id = ?2",
        params![id, org_id],
    )?;
    db::one(s).await
}

async fn policy_or_404(ctx: &Ctx, org_id: &str, id: &str) -> Result<PolicyRow, ApiError> {
    load_policy(ctx, org_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("reminder policy"))
}

/// A policy body, checked: its name trimmed, its steps in order, and every
/// template it names built in or saved by the organization.
async fn checked_policy(ctx: &Ctx, org_id: &str, body: &PolicyRequest) -> Result<String, ApiError> {
    let name = text::bounded("name", &body.name, limits::NAME)?;
    validate_steps(&body.steps)?;
    let named: Vec<(usize, &str)> = body
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.template.as_deref().map(|t| (i, t)))
        .filter(|(_, t)| !template::KEYS.contains(t))
        .collect();
    if !named.is_empty() {
        let saved = saved_keys(ctx, org_id).await?;
        if let Some((i, key)) = named
            .into_iter()
            .find(|(_, t)| !saved.iter().any(|k| k == t))
        {
            return Err(FieldError::invalid(
                format!("steps[{i}].template"),
                format!(
                    "names the template \"{key}\", which does not exist: use one of {} or save it first with PUT /api/v1/templates/{key}",
                    template::KEYS.join(", ")
                ),
            )
            .into());
        }
    }
    Ok(name)
}

/// `GET /api/v1/reminder-policies`
pub async fn list_policies(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    ensure_default_policy(ctx, &org.id).await?;
    let data = policy_rows(ctx, &org.id)
        .await?
        .iter()
        .map(PolicyRow::view)
        .collect::<Result<Vec<_>, _>>()?;
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
            total: None,
        },
    )
}

/// `POST /api/v1/reminder-policies`
pub async fn create_policy(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: PolicyRequest = http::json_body(req).await?;
    let name = checked_policy(ctx, &org.id, &body).await?;
    let id = PolicyId::generate(ctx.now_ms() as u64, ctx.random10());
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO reminder_policies (id, organization_id, name, steps, is_default, created_at, updated_at) \
                 SELECT ?1, ?2, ?3, ?4, 0, ?5, ?5 \
                 WHERE (SELECT COUNT(*) FROM reminder_policies WHERE organization_id = ?2) < ?6",
                params![
                    id.as_str(),
                    &org.id,
                    &name,
                    to_json(&body.steps)?,
                    ctx.now_ms(),
                    MAX_POLICIES
                ],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
                    action: "reminder_policy.created",
                    subject: id.as_str(),
                    detail: json!({ "name": name, "steps": body.steps }),
                },
                "SELECT 1 FROM reminder_policies WHERE id = ?9",
                params![id.as_str()],
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(too_many("reminder policies", MAX_POLICIES));
    }
    http::json(
        201,
        &policy_or_404(ctx, &org.id, id.as_str()).await?.view()?,
    )
}

/// `GET /api/v1/reminder-policies/{id}`
pub async fn get_policy(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    http::json(200, &policy_or_404(ctx, &org.id, id).await?.view()?)
}

/// `PUT /api/v1/reminder-policies/{id}`: a new name and steps. Steps are
/// known by their offset, so a kept step is never sent twice.
pub async fn replace_policy(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let policy = policy_or_404(ctx, &org.id, id).await?;
    let body: PolicyRequest = http::json_body(req).await?;
    let name = checked_policy(ctx, &org.id, &body).await?;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE reminder_policies SET name = ?1, steps = ?2, updated_at = ?3 WHERE id = ?4 AND organization_id = ?5",
                params![&name, to_json(&body.steps)?, ctx.now_ms(), &policy.id, &org.id],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "reminder_policy.updated",
                subject: &policy.id,
                detail: json!({ "name": name, "steps": body.steps }),
            })?,
        ],
    )
    .await?;
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(200, &policy_or_404(ctx, &org.id, &policy.id).await?.view()?)
}

/// `POST /api/v1/reminder-policies/{id}/default`: this policy becomes the
/// one for customers in no segment; the previous default stops being it in
/// the same transaction.
pub async fn set_default_policy(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    let policy = policy_or_404(ctx, &org.id, id).await?;
    if policy.is_default != 0 {
        return http::json(200, &policy.view()?);
    }
    let previous = default_policy_id(ctx, &org.id).await?;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE reminder_policies SET is_default = 0, updated_at = ?3 \
                 WHERE organization_id = ?1 AND is_default = 1 AND id <> ?2",
                params![&org.id, &policy.id, ctx.now_ms()],
            )?,
            db::stmt(
                &ctx.db,
                "UPDATE reminder_policies SET is_default = 1, updated_at = ?3 WHERE id = ?2 AND organization_id = ?1",
                params![&org.id, &policy.id, ctx.now_ms()],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "reminder_policy.default_set",
                subject: &policy.id,
                detail: json!({ "previous": previous }),
            })?,
        ],
    )
    .await?;
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(200, &policy_or_404(ctx, &org.id, &policy.id).await?.view()?)
}
