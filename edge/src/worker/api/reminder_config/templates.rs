//! Email templates: the organization's own versions, and previews.

use super::*;
use settle_shared::staff::Capability;

pub(super) async fn saved_keys(ctx: &Ctx, org_id: &str) -> Result<Vec<String>, ApiError> {
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
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
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
            total: None,
        },
    )
}

/// `PUT /api/v1/templates/{key}`: saves the organization's version of a
/// template in one language (a built-in key is replaced for it).
pub async fn save_template(ctx: &Ctx, req: Request, key: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
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
                    ctx.now_ms(),
                    built_in,
                    MAX_TEMPLATE_KEYS
                ],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
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
            updated_at: Some(rfc3339_from_millis(ctx.now_ms())),
        },
    )
}

/// `POST /api/v1/templates/preview`: the email a customer would read, with
/// sample invoices and the organization's branding. Nothing is stored.
pub async fn preview_template(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: TemplateRequest = http::json_body(req).await?;
    let (tag, _) = template_locale(&body.locale)?;
    let template = parse_template(&body)?;
    let rendered = render::preview(
        &template,
        crate::worker::outbox::brand(&org),
        &tag,
        &ctx.config.public_base_url,
    );
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
