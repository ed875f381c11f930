//! Organizations (tenants). The platform operator creates them; an
//! organization's API key reads its own.

use crate::error::ApiError;
use crate::params;
use crate::rows::{OrganizationRow, PAYMENT_METHODS};
use crate::security::{self, OsRandom, TokenKind};
use crate::worker::api::{reminder_config, team};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http, queue};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    Branding, CreateOrganizationRequest, CreateOrganizationResponse, UpdateOrganizationRequest,
};
use settle_shared::branding;
use settle_shared::ids::{ApiKeyId, EmailId, MemberId, OrganizationId, PolicyId};
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError, limits};
use worker::{Request, Response};

/// `POST /api/v1/organizations`
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    http::operator(ctx, &req)?;
    let body: CreateOrganizationRequest = http::json_body(req).await?;
    let name = text::bounded("name", &body.name, limits::NAME)?;
    let b = checked_branding(&body.branding)?;
    let ttl = body.link_ttl_days.unwrap_or(30);
    if !(1..=365).contains(&ttl) {
        return Err(FieldError::invalid("link_ttl_days", "must be between 1 and 365").into());
    }
    let admin = match &body.admin {
        Some(a) => Some((
            text::bounded("admin.name", &a.name, limits::NAME)?,
            text::email("admin.email", &a.email)?,
        )),
        None => None,
    };

    let org_id = OrganizationId::generate(ctx.now_ms() as u64, ctx.random10());
    let key_id = ApiKeyId::generate(ctx.now_ms() as u64, ctx.random10());
    let policy_id = PolicyId::generate(ctx.now_ms() as u64, ctx.random10());
    let api_key = security::new_token(TokenKind::ApiKey, &mut OsRandom);
    let hint = format!("{}…", &api_key[..7]);
    let mut stmts = vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO organizations (id, name, display_name, logo_url, primary_color, support_email, link_ttl_days, created_at, \
             accent_color, sender_name, reply_to, footer_text, default_locale, default_currency) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                org_id.as_str(),
                &name,
                &b.display_name,
                b.logo_url.clone(),
                b.primary_color.clone(),
                &b.support_email,
                i64::from(ttl),
                ctx.now_ms(),
                b.accent_color.clone(),
                b.sender_name.clone(),
                b.reply_to.clone(),
                b.footer_text.clone(),
                b.default_locale.clone().unwrap_or_else(|| "en".into()),
                b.default_currency.clone()
            ],
        )?,
        // Its risk model is due at once (the cron trains it when there is
        // history to learn from).
        db::stmt(
            &ctx.db,
            "INSERT INTO risk_models (organization_id, model, examples, trained_at) VALUES (?1, NULL, 0, 0)",
            params![org_id.as_str()],
        )?,
        db::stmt(
            &ctx.db,
            "INSERT INTO api_keys (id, organization_id, key_hash, hint, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                key_id.as_str(),
                org_id.as_str(),
                security::hash_token(&api_key),
                &hint,
                ctx.now_ms()
            ],
        )?,
        ctx.audit(Audit {
            org: Some(org_id.as_str()),
            actor: "operator",
            action: "organization.created",
            subject: org_id.as_str(),
            detail: json!({ "name": name }),
        })?,
        ctx.audit(Audit {
            org: Some(org_id.as_str()),
            actor: "operator",
            action: "api_key.created",
            subject: key_id.as_str(),
            detail: json!({ "hint": hint }),
        })?,
        reminder_config::insert_default_policy(ctx, org_id.as_str(), policy_id.as_str())?,
        ctx.audit(Audit {
            org: Some(org_id.as_str()),
            actor: "operator",
            action: "reminder_policy.created",
            subject: policy_id.as_str(),
            detail: json!({ "name": reminder_config::DEFAULT_POLICY_NAME, "is_default": true }),
        })?,
    ];
    // The first admin, invited at once: their invitation is a sign-in link.
    let first = admin.as_ref().map(|_| {
        (
            MemberId::generate(ctx.now_ms() as u64, ctx.random10()),
            EmailId::generate(ctx.now_ms() as u64, ctx.random10()),
        )
    });
    if let (Some((name, email)), Some((member_id, email_id))) = (&admin, &first) {
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO members (id, organization_id, name, email, email_lower, role, created_at)              VALUES (?1, ?2, ?3, ?4, ?5, 'admin', ?6)",
            params![
                member_id.as_str(),
                org_id.as_str(),
                name,
                email,
                email.to_lowercase(),
                ctx.now_ms()
            ],
        )?);
        stmts.extend(team::sign_in_link_stmts(
            ctx,
            org_id.as_str(),
            member_id.as_str(),
            email,
            email_id,
        )?);
        stmts.push(ctx.audit(Audit {
            org: Some(org_id.as_str()),
            actor: "operator",
            action: "member.invited",
            subject: member_id.as_str(),
            detail: json!({ "email": email, "role": "admin" }),
        })?);
    }
    db::batch(&ctx.db, stmts).await?;
    let org = load(ctx, org_id.as_str()).await?;
    let admin = match &first {
        Some((member_id, email_id)) => {
            queue::enqueue_email(ctx, email_id.as_str()).await;
            Some(
                team::load(ctx, org_id.as_str(), member_id.as_str())
                    .await?
                    .view(),
            )
        }
        None => None,
    };
    http::json(
        201,
        &CreateOrganizationResponse {
            organization: org.view(),
            api_key,
            admin,
        },
    )
}

/// `GET /api/v1/organization`: the caller's own organization.
pub async fn get(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    http::json(200, &org.view())
}

/// `PATCH /api/v1/organization`: the caller's payment and reminder settings.
pub async fn update(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: UpdateOrganizationRequest = http::json_body(req).await?;
    // Everything is checked before anything is written.
    if let Some(r) = &body.reminders {
        r.validate()?;
    }
    if let Some(p) = &body.plans {
        p.validate()
            .map_err(|(field, why)| FieldError::invalid(field, why))?;
    }
    if let Some(p) = &body.promises {
        use crate::promises::{MAX_DAYS_CAP, MAX_GRACE_DAYS};
        if !(1..=MAX_DAYS_CAP).contains(&p.max_days) {
            return Err(FieldError::invalid(
                "promises.max_days",
                format!("must be from 1 to {MAX_DAYS_CAP} days"),
            )
            .into());
        }
        if p.grace_days > MAX_GRACE_DAYS {
            return Err(FieldError::invalid(
                "promises.grace_days",
                format!("must be from 0 to {MAX_GRACE_DAYS} days"),
            )
            .into());
        }
    }
    if let Some(b) = &body.billing {
        checked_billing(b)?;
    }
    let branding = body.branding.as_ref().map(checked_branding).transpose()?;
    if let Some(p) = &body.payments {
        if !(0..=settle_shared::money::MAX_AMOUNT_MINOR).contains(&p.min_partial_amount) {
            return Err(FieldError::new(
                ErrorCode::AmountOutOfRange,
                "payments.min_partial_amount",
                "must be 0 or more minor units",
            )
            .into());
        }
        if let Some(bad) = p
            .methods
            .iter()
            .find(|m| !PAYMENT_METHODS.contains(&m.as_str()))
        {
            return Err(FieldError::invalid(
                "payments.methods",
                format!("`{bad}` is not one of card, sepa_debit, us_bank_account"),
            )
            .into());
        }
        let mut methods = vec!["card".to_owned()];
        methods.extend(p.methods.iter().filter(|m| *m != "card").cloned());
        methods.dedup();
        save(ctx, &org.id, "UPDATE organizations SET allow_partial_payments = ?1, min_partial_amount = ?2, payment_methods = ?3 WHERE id = ?4", params![i64::from(p.allow_partial), p.min_partial_amount, methods.join(","), &org.id], "organization.payments_updated", json!({ "allow_partial": p.allow_partial, "min_partial_amount": p.min_partial_amount, "methods": methods })).await?;
    }
    if let Some(p) = &body.promises {
        save(
            ctx,
            &org.id,
            "UPDATE organizations SET promise_max_days = ?1, promise_grace_days = ?2 WHERE id = ?3",
            params![i64::from(p.max_days), i64::from(p.grace_days), &org.id],
            "organization.promises_updated",
            json!({ "before": org.view().promises, "after": p }),
        )
        .await?;
    }
    if let Some(p) = &body.plans {
        save(ctx, &org.id, "UPDATE organizations SET plan_max_count = ?1, plan_min_instalment = ?2, plan_max_span_days = ?3 WHERE id = ?4", params![
                        i64::from(p.max_count),
                        p.min_instalment,
                        i64::from(p.max_span_days),
                        &org.id
                    ], "organization.plans_updated", json!({ "before": org.plan_rules(), "after": p })).await?;
    }
    if let Some(b) = &body.billing {
        save(ctx, &org.id, "UPDATE organizations SET billing_cutoff_day = ?1, billing_time_zone = ?2, billing_due_days = ?3, \
                     billing_immediate_cancel = ?4 WHERE id = ?5", params![
                        i64::from(b.cutoff_day),
                        &b.time_zone,
                        i64::from(b.due_days),
                        i64::from(b.immediate_cancel),
                        &org.id
                    ], "organization.billing_updated", json!({ "before": org.billing(), "after": b })).await?;
    }
    if let Some(b) = &branding {
        save(ctx, &org.id, "UPDATE organizations SET display_name = ?1, logo_url = ?2, primary_color = ?3, support_email = ?4, accent_color = ?5, \
                 sender_name = ?6, reply_to = ?7, footer_text = ?8, default_locale = ?9, default_currency = ?10, \
                 logo_key = CASE WHEN ?2 IS logo_url THEN logo_key END WHERE id = ?11", params![
                    &b.display_name,
                    b.logo_url.clone(),
                    b.primary_color.clone(),
                    &b.support_email,
                    b.accent_color.clone(),
                    b.sender_name.clone(),
                    b.reply_to.clone(),
                    b.footer_text.clone(),
                    b.default_locale.clone().unwrap_or_else(|| "en".into()),
                    b.default_currency.clone(),
                    &org.id
                ], "organization.branding_updated", json!({ "before": org.branding(), "after": b })).await?;
    }
    if let Some(r) = &body.reminders {
        let settings = serde_json::to_string(r)
            .map_err(|e| ApiError::internal(format!("encode reminder settings: {e}")))?;
        save(
            ctx,
            &org.id,
            "UPDATE organizations SET reminder_settings = ?1 WHERE id = ?2",
            params![&settings, &org.id],
            "organization.reminders_updated",
            json!({ "reminders": r }),
        )
        .await?;
        // A new window or calendar moves every open invoice's next look.
        crate::worker::reminders::replan(ctx, &org.id, None).await?;
    }
    http::json(200, &load(ctx, &org.id).await?.view())
}

/// One organization by id.
pub async fn load(ctx: &Ctx, id: &str) -> Result<OrganizationRow, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM organizations WHERE id = ?1",
        params![id],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such organization."))
}

/// Branding as it will be stored: every field checked and trimmed, and the
/// colour pairs readable (WCAG AA), or the first problem with its field.
fn checked_branding(b: &Branding) -> Result<Branding, ApiError> {
    let colour = |field: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(|c| text::hex_colour(field, c))
            .transpose()
    };
    let primary_color = colour("branding.primary_color", &b.primary_color)?;
    let accent_color = colour("branding.accent_color", &b.accent_color)?;
    if let Err(f) = branding::check_colours(primary_color.as_deref(), accent_color.as_deref()) {
        return Err(FieldError::invalid(f.field, f.message()).into());
    }
    let optional =
        |field: &str, v: &Option<String>, max: usize| text::optional(field, v.as_deref(), max);
    let locale = optional("branding.default_locale", &b.default_locale, 16)?
        .map(|l| text::locale("branding.default_locale", &l))
        .transpose()?;
    let currency = optional("branding.default_currency", &b.default_currency, 3)?
        .map(|c| {
            settle_shared::Currency::parse(&c.to_uppercase())
                .map(|c| c.code().to_owned())
                .map_err(|_| {
                    FieldError::invalid(
                        "branding.default_currency",
                        "is not a currency Settle supports",
                    )
                })
        })
        .transpose()?;
    Ok(Branding {
        display_name: text::bounded("branding.display_name", &b.display_name, limits::NAME)?,
        logo_url: b
            .logo_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| text::url("branding.logo_url", u))
            .transpose()?,
        primary_color,
        support_email: text::email("branding.support_email", &b.support_email)?,
        accent_color,
        sender_name: optional("branding.sender_name", &b.sender_name, limits::NAME)?,
        reply_to: optional("branding.reply_to", &b.reply_to, limits::NAME)?
            .map(|r| text::email("branding.reply_to", &r))
            .transpose()?,
        footer_text: optional("branding.footer_text", &b.footer_text, 500)?,
        default_locale: locale,
        default_currency: currency,
    })
}

/// `POST /api/v1/organization/branding/preview` `{"branding": {…}}`
/// (admins): an invoice email as it would look with this branding, before
/// it is saved; nothing is stored. The same checks as saving apply.
pub async fn preview_branding(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: UpdateOrganizationRequest = http::json_body(req).await?;
    let b = match &body.branding {
        Some(b) => checked_branding(b)?,
        None => org.branding(),
    };
    let locale = b.default_locale.clone().unwrap_or_else(|| "en".into());
    let rendered = crate::email::InvoiceEmail {
        purpose: crate::email::Purpose::Invoice,
        brand: crate::email::render::Brand {
            display_name: &b.display_name,
            logo_url: b.logo_url.as_deref(),
            primary_color: b.primary_color.as_deref(),
            support_email: &b.support_email,
            footer: b.footer_text.as_deref(),
        },
        locale: &locale,
        customer_name: "Ada Lovelace",
        number: "INV-0001",
        amount_due: "€120.00",
        amount_paid: "€0.00",
        due_date: "2026-12-31",
        link: &format!("{}/c/[preview]", ctx.config.public_base_url),
        replaces: None,
        promised_date: None,
        message: None,
        saving: None,
    }
    .render();
    http::json(
        200,
        &json!({
            "from": crate::email::mailbox(b.sender_name.as_deref().unwrap_or(&b.display_name), &ctx.config.email_from),
            "reply_to": b.reply_to.clone().unwrap_or_else(|| b.support_email.clone()),
            "subject": rendered.subject,
            "html": rendered.html,
            "text": rendered.text,
        }),
    )
}

/// Checks billing settings: a cut-off day of the month, a time zone the
/// runtime knows, and days to pay of at most a year.
fn checked_billing(b: &settle_shared::api::BillingSettings) -> Result<(), ApiError> {
    if !settle_shared::billing::period::CUTOFF_DAYS.contains(&b.cutoff_day) {
        return Err(FieldError::invalid(
            "billing.cutoff_day",
            "must be a day of the month from 1 to 31 (past a short month's end, its last day)",
        )
        .into());
    }
    if crate::zone::Zone::parse(&b.time_zone).is_none() {
        return Err(FieldError::invalid(
            "billing.time_zone",
            "must be an IANA time zone such as Europe/Paris",
        )
        .into());
    }
    if b.due_days > 365 {
        return Err(FieldError::invalid("billing.due_days", "must be from 0 to 365 days").into());
    }
    Ok(())
}

/// Writes one group of settings with its audit row, in one batch.
async fn save(
    ctx: &Ctx,
    org_id: &str,
    sql: &str,
    args: Vec<db::V>,
    action: &str,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    db::batch(
        &ctx.db,
        vec![
            db::stmt(&ctx.db, sql, args)?,
            ctx.audit(Audit {
                org: Some(org_id),
                actor: &ctx.actor(),
                action,
                subject: org_id,
                detail,
            })?,
        ],
    )
    .await?;
    Ok(())
}
