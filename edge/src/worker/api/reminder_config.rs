//! Reminder configuration of an organization: policies (steps relative to
//! the due date), segments (which customers get which policy) and email
//! templates. The reminder cron reads them through [`ensure_default_policy`],
//! [`load_policies`], [`load_segments`] and [`template_for`].

use crate::email::render::{self, Brand};
use crate::email::template::{self, Template, TemplateError, default_template};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::params;
use crate::reminders::default_steps;
use crate::reminders::segment::Segment;
use crate::views::OrganizationRow;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::ListResponse;
use settle_shared::ids::{PolicyId, SegmentId};
use settle_shared::reminders::{
    PolicyRequest, PolicyResponse, ReminderStep, SegmentRequest, SegmentResponse, SegmentRules,
    TemplatePreviewResponse, TemplateRequest, TemplateResponse, template_key, validate_steps,
};
use settle_shared::text::{self, FieldError, limits};
use settle_shared::time::rfc3339_from_millis;
use worker::{D1PreparedStatement, Request, Response};

/// The name of the policy every organization starts with.
pub const DEFAULT_POLICY_NAME: &str = "Standard";
/// Most policies an organization keeps; the cron reads them all.
pub const MAX_POLICIES: i64 = 50;
/// Most segments an organization keeps.
pub const MAX_SEGMENTS: i64 = 50;
/// Most template keys an organization saves (replaced built-ins count).
pub const MAX_TEMPLATE_KEYS: i64 = 50;
/// The languages templates are written in, in the order they are listed.
const LANGS: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Ar];

/// `reminder_policies`
#[derive(Deserialize)]
struct PolicyRow {
    id: String,
    name: String,
    steps: String,
    is_default: i64,
    created_at: i64,
    updated_at: i64,
}

impl PolicyRow {
    fn steps(&self) -> Result<Vec<ReminderStep>, ApiError> {
        serde_json::from_str(&self.steps).map_err(|e| {
            ApiError::internal(format!("policy {} has unreadable steps: {e}", self.id))
        })
    }

    fn view(&self) -> Result<PolicyResponse, ApiError> {
        Ok(PolicyResponse {
            id: self.id.clone(),
            name: self.name.clone(),
            steps: self.steps()?,
            is_default: self.is_default != 0,
            created_at: rfc3339_from_millis(self.created_at),
            updated_at: rfc3339_from_millis(self.updated_at),
        })
    }
}

/// `segments`
#[derive(Deserialize)]
struct SegmentRow {
    id: String,
    name: String,
    priority: i64,
    rules: String,
    policy_id: String,
    created_at: i64,
}

impl SegmentRow {
    fn rules(&self) -> Result<SegmentRules, ApiError> {
        serde_json::from_str(&self.rules).map_err(|e| {
            ApiError::internal(format!("segment {} has unreadable rules: {e}", self.id))
        })
    }

    fn view(&self) -> Result<SegmentResponse, ApiError> {
        Ok(SegmentResponse {
            id: self.id.clone(),
            name: self.name.clone(),
            priority: self.priority as i32,
            rules: self.rules()?,
            policy_id: self.policy_id.clone(),
            created_at: rfc3339_from_millis(self.created_at),
        })
    }
}

/// `email_templates`
#[derive(Deserialize)]
struct TemplateRow {
    key: String,
    locale: String,
    subject: String,
    body: String,
    updated_at: i64,
}

impl TemplateRow {
    fn view(&self) -> TemplateResponse {
        TemplateResponse {
            key: self.key.clone(),
            locale: self.locale.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            built_in: false,
            updated_at: Some(rfc3339_from_millis(self.updated_at)),
        }
    }
}

#[derive(Deserialize)]
struct IdRow {
    id: String,
}

#[derive(Deserialize)]
struct KeyRow {
    key: String,
}

fn too_many(what: &str, max: i64) -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        format!("An organization has at most {max} {what}; change one of them instead."),
    )
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(format!("encode: {e}")))
}

// ---------------------------------------------------------------------------
// For the reminder cron

/// A statement that inserts the default policy ("Standard", the built-in
/// steps) unless the organization already has a default. The unique partial
/// index `one_default_policy` makes a second one impossible.
pub fn insert_default_policy(
    ctx: &Ctx,
    org_id: &str,
    policy_id: &str,
) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO reminder_policies (id, organization_id, name, steps, is_default, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        params![
            policy_id,
            org_id,
            DEFAULT_POLICY_NAME,
            to_json(&default_steps())?,
            ctx.now_ms
        ],
    )
}

async fn default_policy_id(ctx: &Ctx, org_id: &str) -> Result<Option<String>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id FROM reminder_policies WHERE organization_id = ?1 AND is_default = 1",
        params![org_id],
    )?;
    Ok(db::one::<IdRow>(s).await?.map(|r| r.id))
}

/// The id of the organization's default policy, created with the built-in
/// steps when it has none. Safe to race: only one insert can win.
pub async fn ensure_default_policy(ctx: &Ctx, org_id: &str) -> Result<String, ApiError> {
    if let Some(id) = default_policy_id(ctx, org_id).await? {
        return Ok(id);
    }
    let id = PolicyId::generate(ctx.now_ms as u64, ctx.random10());
    db::batch(
        &ctx.db,
        vec![
            insert_default_policy(ctx, org_id, id.as_str())?,
            ctx.audit_if(
                Audit {
                    org: Some(org_id),
                    actor: "system",
                    action: "reminder_policy.created",
                    subject: id.as_str(),
                    detail: json!({ "name": DEFAULT_POLICY_NAME, "is_default": true }),
                },
                "SELECT 1 FROM reminder_policies WHERE id = ?9",
                params![id.as_str()],
            )?,
        ],
    )
    .await?;
    default_policy_id(ctx, org_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("no default policy for {org_id} after insert")))
}

/// Every policy of the organization: id, steps, whether it is the default.
pub async fn load_policies(
    ctx: &Ctx,
    org_id: &str,
) -> Result<Vec<(String, Vec<ReminderStep>, bool)>, ApiError> {
    let rows = policy_rows(ctx, org_id).await?;
    rows.iter()
        .map(|r| Ok((r.id.clone(), r.steps()?, r.is_default != 0)))
        .collect()
}

/// Every segment of the organization, in the order they are tried.
pub async fn load_segments(ctx: &Ctx, org_id: &str) -> Result<Vec<Segment>, ApiError> {
    let rows = segment_rows(ctx, org_id).await?;
    rows.iter()
        .map(|r| {
            Ok(Segment {
                id: r.id.clone(),
                priority: r.priority as i32,
                rules: r.rules()?,
                policy_id: r.policy_id.clone(),
            })
        })
        .collect()
}

/// The template a customer with `locale` reads for `key`: the
/// organization's version in the customer's language, else its English
/// version, else the built-in one in the language, else the built-in
/// `friendly` one.
pub async fn template_for(
    ctx: &Ctx,
    org_id: &str,
    key: &str,
    locale: &str,
) -> Result<Template, ApiError> {
    let lang = Lang::from_locale(locale);
    let s = db::stmt(
        &ctx.db,
        "SELECT key, locale, subject, body, updated_at FROM email_templates \
         WHERE organization_id = ?1 AND key = ?2 AND locale IN (?3, 'en')",
        params![org_id, key, lang.code()],
    )?;
    let rows: Vec<TemplateRow> = db::all(s).await?;
    let own = |code: &str| {
        let row = rows.iter().find(|r| r.locale == code)?;
        // Saved templates were parsed when saved; one that no longer parses
        // (a stricter parser) falls back rather than stopping reminders.
        Template::parse(&row.subject, &row.body)
            .inspect_err(|e| {
                worker::console_warn!("template {org_id}/{key}/{code} no longer parses: {e}");
            })
            .ok()
    };
    own(lang.code())
        .or_else(|| own("en"))
        .or_else(|| default_template(key, lang))
        .or_else(|| default_template("friendly", lang))
        .ok_or_else(|| ApiError::internal("the built-in friendly template is missing"))
}

// ---------------------------------------------------------------------------
// Policies

async fn policy_rows(ctx: &Ctx, org_id: &str) -> Result<Vec<PolicyRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM reminder_policies WHERE organization_id = ?1 ORDER BY id DESC",
        params![org_id],
    )?;
    db::all(s).await
}

async fn load_policy(ctx: &Ctx, org_id: &str, id: &str) -> Result<Option<PolicyRow>, ApiError> {
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
    let org = http::organization(ctx, req).await?;
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
        },
    )
}

/// `POST /api/v1/reminder-policies`
pub async fn create_policy(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let body: PolicyRequest = http::json_body(req).await?;
    let name = checked_policy(ctx, &org.id, &body).await?;
    let id = PolicyId::generate(ctx.now_ms as u64, ctx.random10());
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
                    ctx.now_ms,
                    MAX_POLICIES
                ],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: "api_key",
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
    let org = http::organization(ctx, req).await?;
    http::json(200, &policy_or_404(ctx, &org.id, id).await?.view()?)
}

/// `PUT /api/v1/reminder-policies/{id}`: a new name and steps. Steps are
/// known by their offset, so a kept step is never sent twice.
pub async fn replace_policy(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let policy = policy_or_404(ctx, &org.id, id).await?;
    let body: PolicyRequest = http::json_body(req).await?;
    let name = checked_policy(ctx, &org.id, &body).await?;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE reminder_policies SET name = ?1, steps = ?2, updated_at = ?3 WHERE id = ?4 AND organization_id = ?5",
                params![&name, to_json(&body.steps)?, ctx.now_ms, &policy.id, &org.id],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: "api_key",
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
    let org = http::organization(ctx, req).await?;
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
                params![&org.id, &policy.id, ctx.now_ms],
            )?,
            db::stmt(
                &ctx.db,
                "UPDATE reminder_policies SET is_default = 1, updated_at = ?3 WHERE id = ?2 AND organization_id = ?1",
                params![&org.id, &policy.id, ctx.now_ms],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: "api_key",
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

// ---------------------------------------------------------------------------
// Segments

async fn segment_rows(ctx: &Ctx, org_id: &str) -> Result<Vec<SegmentRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM segments WHERE organization_id = ?1 ORDER BY priority, id",
        params![org_id],
    )?;
    db::all(s).await
}

async fn segment_or_404(ctx: &Ctx, org_id: &str, id: &str) -> Result<SegmentRow, ApiError> {
    if SegmentId::parse(id).is_err() {
        return Err(ApiError::not_found("segment"));
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM segments WHERE id = ?1 AND organization_id = ?2",
        params![id, org_id],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("segment"))
}

/// A segment body, checked; answers the trimmed name and the rules as JSON.
/// The policy must be one of this organization's (policies are never
/// deleted, so it stays one).
async fn checked_segment(
    ctx: &Ctx,
    org_id: &str,
    body: &SegmentRequest,
) -> Result<(String, String), ApiError> {
    body.validate()?;
    let name = text::bounded("name", &body.name, limits::NAME)?;
    if load_policy(ctx, org_id, body.policy_id.trim())
        .await?
        .is_none()
    {
        return Err(FieldError::invalid(
            "policy_id",
            "is not a reminder policy of this organization",
        )
        .into());
    }
    Ok((name, to_json(&body.rules)?))
}

/// `GET /api/v1/segments`: in the order they are tried.
pub async fn list_segments(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let data = segment_rows(ctx, &org.id)
        .await?
        .iter()
        .map(SegmentRow::view)
        .collect::<Result<Vec<_>, _>>()?;
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
        },
    )
}

/// `POST /api/v1/segments`
pub async fn create_segment(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let body: SegmentRequest = http::json_body(req).await?;
    let (name, rules) = checked_segment(ctx, &org.id, &body).await?;
    let policy_id = body.policy_id.trim();
    let id = SegmentId::generate(ctx.now_ms as u64, ctx.random10());
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO segments (id, organization_id, name, priority, rules, policy_id, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 \
                 WHERE (SELECT COUNT(*) FROM segments WHERE organization_id = ?2) < ?8",
                params![
                    id.as_str(),
                    &org.id,
                    &name,
                    i64::from(body.priority),
                    &rules,
                    policy_id,
                    ctx.now_ms,
                    MAX_SEGMENTS
                ],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: "api_key",
                    action: "segment.created",
                    subject: id.as_str(),
                    detail: json!({ "name": name, "priority": body.priority, "rules": body.rules, "policy_id": policy_id }),
                },
                "SELECT 1 FROM segments WHERE id = ?9",
                params![id.as_str()],
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(too_many("segments", MAX_SEGMENTS));
    }
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(
        201,
        &segment_or_404(ctx, &org.id, id.as_str()).await?.view()?,
    )
}

/// `PUT /api/v1/segments/{id}`
pub async fn replace_segment(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let segment = segment_or_404(ctx, &org.id, id).await?;
    let body: SegmentRequest = http::json_body(req).await?;
    let (name, rules) = checked_segment(ctx, &org.id, &body).await?;
    let policy_id = body.policy_id.trim();
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE segments SET name = ?1, priority = ?2, rules = ?3, policy_id = ?4 WHERE id = ?5 AND organization_id = ?6",
                params![&name, i64::from(body.priority), &rules, policy_id, &segment.id, &org.id],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: "api_key",
                action: "segment.updated",
                subject: &segment.id,
                detail: json!({ "name": name, "priority": body.priority, "rules": body.rules, "policy_id": policy_id }),
            })?,
        ],
    )
    .await?;
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(
        200,
        &segment_or_404(ctx, &org.id, &segment.id).await?.view()?,
    )
}

/// `DELETE /api/v1/segments/{id}`: its customers fall to the next segment
/// that takes them, or to the default policy.
pub async fn delete_segment(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let segment = segment_or_404(ctx, &org.id, id).await?;
    let results = db::batch(
        &ctx.db,
        vec![
            // The audit row first: it is written only while the segment exists.
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: "api_key",
                    action: "segment.deleted",
                    subject: &segment.id,
                    detail: json!({ "name": segment.name, "policy_id": segment.policy_id }),
                },
                "SELECT 1 FROM segments WHERE id = ?9",
                params![&segment.id],
            )?,
            db::stmt(
                &ctx.db,
                "DELETE FROM segments WHERE id = ?1 AND organization_id = ?2",
                params![&segment.id, &org.id],
            )?,
        ],
    )
    .await?;
    if results.get(1).map(db::changes) != Some(1) {
        return Err(ApiError::not_found("segment"));
    }
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(200, &json!({ "id": segment.id, "deleted": true }))
}

// ---------------------------------------------------------------------------
// Templates

async fn saved_keys(ctx: &Ctx, org_id: &str) -> Result<Vec<String>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT DISTINCT key FROM email_templates WHERE organization_id = ?1 ORDER BY key",
        params![org_id],
    )?;
    Ok(db::all::<KeyRow>(s)
        .await?
        .into_iter()
        .map(|r| r.key)
        .collect())
}

/// The locale of a template body, normalized (`fr-CA`), and the language it
/// is stored under. Templates exist in the languages Settle writes.
fn template_locale(locale: &str) -> Result<(String, Lang), FieldError> {
    let tag = text::locale("locale", locale)?;
    let lang = Lang::from_locale(&tag);
    if tag.split('-').next() != Some(lang.code()) {
        return Err(FieldError::invalid(
            "locale",
            "must be a language Settle writes emails in: en, fr or ar",
        ));
    }
    Ok((tag, lang))
}

/// A template body, parsed; a mistake is `422 template_invalid` naming the
/// field and where in it.
fn parse_template(body: &TemplateRequest) -> Result<Template, ApiError> {
    Template::parse(&body.subject, &body.body).map_err(|e: TemplateError| ApiError::Client {
        code: ErrorCode::TemplateInvalid,
        message: e.message(),
        field: Some(e.field().to_owned()),
    })
}

/// `GET /api/v1/templates`: every built-in key and every key of the
/// organization, in English, French and Arabic; the organization's version
/// where it saved one.
pub async fn list_templates(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT key, locale, subject, body, updated_at FROM email_templates WHERE organization_id = ?1 ORDER BY key, locale",
        params![&org.id],
    )?;
    let rows: Vec<TemplateRow> = db::all(s).await?;
    let mut keys: Vec<&str> = template::KEYS.to_vec();
    for r in &rows {
        if !keys.contains(&r.key.as_str()) {
            keys.push(&r.key);
        }
    }
    let mut data = Vec::new();
    for key in keys {
        for lang in LANGS {
            if let Some(r) = rows
                .iter()
                .find(|r| r.key == key && r.locale == lang.code())
            {
                data.push(r.view());
            } else if let Some(t) = default_template(key, lang) {
                data.push(TemplateResponse {
                    key: key.to_owned(),
                    locale: lang.code().to_owned(),
                    subject: t.subject().to_owned(),
                    body: t.body().to_owned(),
                    built_in: true,
                    updated_at: None,
                });
            }
        }
    }
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
        },
    )
}

/// `PUT /api/v1/templates/{key}`: saves the organization's version of a
/// template in one language (a built-in key is replaced for it).
pub async fn save_template(ctx: &Ctx, req: Request, key: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    template_key("key", key)?;
    let body: TemplateRequest = http::json_body(req).await?;
    let (_, lang) = template_locale(&body.locale)?;
    let template = parse_template(&body)?;
    let built_in = i64::from(template::KEYS.contains(&key));
    let results = db::batch(
        &ctx.db,
        vec![
            // A new key only while the organization is under its limit.
            db::stmt(
                &ctx.db,
                "INSERT INTO email_templates (organization_id, key, locale, subject, body, updated_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
                 WHERE ?7 = 1 \
                    OR EXISTS (SELECT 1 FROM email_templates WHERE organization_id = ?1 AND key = ?2) \
                    OR (SELECT COUNT(DISTINCT key) FROM email_templates WHERE organization_id = ?1) < ?8 \
                 ON CONFLICT (organization_id, key, locale) DO UPDATE SET \
                    subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at",
                params![
                    &org.id,
                    key,
                    lang.code(),
                    template.subject(),
                    template.body(),
                    ctx.now_ms,
                    built_in,
                    MAX_TEMPLATE_KEYS
                ],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: "api_key",
                    action: "template.saved",
                    subject: key,
                    detail: json!({ "key": key, "locale": lang.code(), "subject": template.subject() }),
                },
                "SELECT 1 FROM email_templates WHERE organization_id = ?2 AND key = ?9 AND locale = ?10 AND updated_at = ?8",
                params![key, lang.code()],
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(too_many("templates", MAX_TEMPLATE_KEYS));
    }
    http::json(
        200,
        &TemplateResponse {
            key: key.to_owned(),
            locale: lang.code().to_owned(),
            subject: template.subject().to_owned(),
            body: template.body().to_owned(),
            built_in: false,
            updated_at: Some(rfc3339_from_millis(ctx.now_ms)),
        },
    )
}

/// `POST /api/v1/templates/preview`: the email a customer would read, with
/// sample invoices and the organization's branding. Nothing is stored.
pub async fn preview_template(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req).await?;
    let body: TemplateRequest = http::json_body(req).await?;
    let (tag, _) = template_locale(&body.locale)?;
    let template = parse_template(&body)?;
    let rendered = render::preview(&template, brand(&org), &tag, &ctx.config.public_base_url);
    http::json(
        200,
        &TemplatePreviewResponse {
            subject: rendered.subject,
            html: rendered.html,
            text: rendered.text,
            variables: template::VARIABLES
                .iter()
                .map(|v| (*v).to_owned())
                .collect(),
        },
    )
}

fn brand(org: &OrganizationRow) -> Brand<'_> {
    Brand {
        display_name: &org.display_name,
        logo_url: org.logo_url.as_deref(),
        primary_color: org.primary_color.as_deref(),
        support_email: &org.support_email,
    }
}
