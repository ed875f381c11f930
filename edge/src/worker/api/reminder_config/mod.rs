//! Reminder configuration of an organization: policies (steps relative to
//! the due date), segments (which customers get which policy) and email
//! templates. The reminder cron reads them through [`ensure_default_policy`],
//! [`load_policies`], [`load_segments`] and [`template_for`]; the company
//! API's handlers are in [`policies`], [`segments`] and [`templates`].

mod policies;
mod segments;
mod templates;

pub use policies::{create_policy, get_policy, list_policies, replace_policy, set_default_policy};
use policies::{load_policy, policy_rows};
use segments::segment_rows;
pub use segments::{
    create_segment, delete_segment, early_terms, list_segments, replace_segment, segment_rules,
};
use templates::saved_keys;
pub use templates::{list_templates, preview_template, save_template};

use crate::email::render;
use crate::email::template::{self, Template, TemplateError, default_template};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::params;
use crate::reminders::default_steps;
use crate::reminders::segment::Segment;
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
    #[serde(default)]
    early_payment_bp: Option<i64>,
    #[serde(default)]
    early_payment_days: Option<i64>,
}

impl SegmentRow {
    /// Its early-payment terms, if it has any.
    fn early_payment(&self) -> Option<settle_shared::invoice::discount::EarlyPayment> {
        Some(settle_shared::invoice::discount::EarlyPayment {
            basis_points: u32::try_from(self.early_payment_bp?).ok()?,
            days: u32::try_from(self.early_payment_days?).ok()?,
        })
    }

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
            early_payment: self.early_payment(),
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
            ctx.now_ms()
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
    let id = PolicyId::generate(ctx.now_ms() as u64, ctx.random10());
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
                early_payment: r.early_payment(),
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
