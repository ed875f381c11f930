//! Connecting, replacing and disconnecting the organization's own Stripe
//! account: pasted values checked, a new key tried at Stripe, both secrets
//! sealed, and no switch while a payment is under way at the account in use.

use super::{keys, row, sealing_key, view, webhook_url};
use crate::error::ApiError;
use crate::params;
use crate::security::{OsRandom, Random};
use crate::stripe::account as rules;
use crate::stripe::account::CheckReport;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::fetch::WorkerFetch;
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::ConnectStripeRequest;
use settle_shared::staff::Capability;
use worker::{Request, Response};

fn field_error(field: &str, problem: rules::KeyProblem) -> ApiError {
    ApiError::Client {
        code: ErrorCode::InvalidField,
        message: problem.to_string(),
        field: Some(field.into()),
    }
}

/// Trims a pasted value; an empty one counts as not given.
fn pasted(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `PUT /api/v1/organization/stripe` `{"secret_key", "webhook_secret"}`:
/// connects the organization's own account, or replaces either secret. A new
/// key is tried at Stripe first and refused (`422 stripe_key_rejected`,
/// nothing saved) when Stripe refuses it.
pub async fn connect(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: ConnectStripeRequest = http::json_body(req).await?;
    let Some(key) = sealing_key(ctx) else {
        return Err(ApiError::new(
            ErrorCode::NotConfigured,
            "This deployment cannot store Stripe keys yet: its operator must set the ENCRYPTION_KEY secret (docs/DEPLOY.md).",
        ));
    };
    let (secret_key, webhook_secret) = (pasted(&body.secret_key), pasted(&body.webhook_secret));
    let mode = match &secret_key {
        Some(k) => Some(rules::check_secret_key(k).map_err(|p| field_error("secret_key", p))?),
        None => None,
    };
    if let Some(w) = &webhook_secret {
        rules::check_webhook_secret(w).map_err(|p| field_error("webhook_secret", p))?;
    }
    let existing = row(ctx, &org.id).await?;
    if existing.is_none() {
        for (name, value) in [
            ("secret_key", &secret_key),
            ("webhook_secret", &webhook_secret),
        ] {
            if value.is_none() {
                return Err(ApiError::Client {
                    code: ErrorCode::MissingField,
                    message: format!(
                        "Connecting a Stripe account needs both the secret key and the webhook signing secret; `{name}` is missing."
                    ),
                    field: Some(name.into()),
                });
            }
        }
    } else if secret_key.is_none() && webhook_secret.is_none() {
        return Err(ApiError::Client {
            code: ErrorCode::MissingField,
            message: "Give a new secret key, a new webhook signing secret, or both.".into(),
            field: Some("secret_key".into()),
        });
    }
    // A new key is tried before it replaces one that works.
    let report = match &secret_key {
        Some(k) => Some(tried(ctx, &org.id, k).await?),
        None => None,
    };
    // A key that may be of another account (first connection, or an
    // account either key does not name) must not orphan a payment under
    // way at the account in use: the write below is refused while one is.
    let switching = match (&existing, &report) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(old), Some(new)) => {
            old.account_id.is_none() || new.account_id.is_none() || new.account_id != old.account_id
        }
    };
    // Replacing one secret alone keeps the other: it must still open.
    if let Some(old) = &existing
        && (secret_key.is_none() || webhook_secret.is_none())
        && keys(ctx, &org.id).await.is_err()
    {
        let missing = if secret_key.is_none() {
            "secret_key"
        } else {
            "webhook_secret"
        };
        return Err(ApiError::Client {
            code: ErrorCode::MissingField,
            message: format!(
                "The saved keys (ending in {} and {}) can no longer be read on this installation; paste both again.",
                old.secret_key_last4, old.webhook_secret_last4
            ),
            field: Some(missing.into()),
        });
    }
    let sealed = |field: &str, v: &Option<String>| {
        v.as_ref()
            .map(|v| rules::seal(&key, &org.id, field, v, OsRandom.bytes::<12>()))
    };
    let (sealed_key, sealed_hook) = (
        sealed("secret_key", &secret_key),
        sealed("webhook_secret", &webhook_secret),
    );
    let last4 = |v: &Option<String>| v.as_deref().map(rules::last4);
    let report_json = report
        .as_ref()
        .map(|r| serde_json::to_string(r).unwrap_or_default());
    let now = ctx.now_ms();
    let actor = ctx.actor();
    let action = if existing.is_none() {
        "stripe_account.connected"
    } else {
        "stripe_account.replaced"
    };
    // The same values, inserted the first time; then each secret given
    // replaces its own and the other stays.
    let values = params![
        &org.id,
        sealed_key.clone(),
        last4(&secret_key),
        sealed_hook.clone(),
        last4(&webhook_secret),
        mode.map(|m| i64::from(m == rules::Mode::Live)),
        report.as_ref().and_then(|r| r.account_id.clone()),
        report.as_ref().and_then(|r| r.account_name.clone()),
        now,
        report_json.clone(),
        actor.as_str()
    ];
    let sql = if existing.is_none() {
        "INSERT INTO stripe_accounts (organization_id, secret_key_sealed, secret_key_last4, webhook_secret_sealed, webhook_secret_last4, \
         livemode, account_id, account_name, checked_at, check_ok, check_report, connected_at, updated_at, updated_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?9, ?9, ?11)"
    } else {
        "UPDATE stripe_accounts SET \
         secret_key_sealed = COALESCE(?2, secret_key_sealed), secret_key_last4 = COALESCE(?3, secret_key_last4), \
         webhook_secret_sealed = COALESCE(?4, webhook_secret_sealed), webhook_secret_last4 = COALESCE(?5, webhook_secret_last4), \
         livemode = COALESCE(?6, livemode), \
         account_id = CASE WHEN ?2 IS NULL THEN account_id ELSE ?7 END, \
         account_name = CASE WHEN ?2 IS NULL THEN account_name ELSE ?8 END, \
         checked_at = CASE WHEN ?2 IS NULL THEN checked_at ELSE ?9 END, \
         check_ok = CASE WHEN ?2 IS NULL THEN check_ok ELSE 1 END, \
         check_report = CASE WHEN ?2 IS NULL THEN check_report ELSE ?10 END, \
         updated_at = ?9, updated_by = ?11 WHERE organization_id = ?1"
    };
    let write = db::stmt(&ctx.db, sql, values)?;
    let mut stmts = Vec::new();
    if switching {
        stmts.push(db::conflict_unless(
            &ctx.db,
            &format!(
                "NOT EXISTS (SELECT 1 FROM checkout_sessions WHERE organization_id = ?1 AND {IN_FLIGHT})"
            ),
            params![&org.id, ctx.real_now_ms],
        )?);
    }
    // A replacement must find the row it read (not disconnected meanwhile).
    if existing.is_some() {
        stmts.push(db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM stripe_accounts WHERE organization_id = ?1)",
            params![&org.id],
        )?);
    }
    stmts.push(write);
    let written = db::batch(
        &ctx.db,
        stmts
            .into_iter()
            .chain([ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &actor,
                    action,
                    subject: &org.id,
                    detail: json!({
                        "secret_key_last4": last4(&secret_key),
                        "webhook_secret_last4": last4(&webhook_secret),
                        "account_id": report.as_ref().and_then(|r| r.account_id.clone()),
                        "mode": mode,
                    }),
                },
                "SELECT 1 FROM stripe_accounts WHERE organization_id = ?9",
                params![&org.id],
            )?])
            .collect(),
    )
    .await;
    match written {
        Ok(_) => http::json(200, &view(ctx, &org.id).await?),
        Err(db::WriteError::Unique(m)) if m.contains("account_id") => Err(account_taken()),
        // Connected by another request at the same moment.
        Err(db::WriteError::Unique(_)) => Err(changed_meanwhile()),
        Err(db::WriteError::Conflict) if switching && in_flight(ctx, &org.id).await? => {
            Err(ApiError::new(
                ErrorCode::Conflict,
                "A customer's payment is under way at the Stripe account in use (a checkout open for up to an hour, or a bank debit settling for a few days); connect another account once it has finished.",
            ))
        }
        Err(db::WriteError::Conflict) => Err(changed_meanwhile()),
        Err(db::WriteError::Other(e)) => Err(e),
    }
}

/// One Stripe account takes one organization's payments: its events reach
/// every endpoint of the account, and each organization would take the
/// other's for its own.
pub(super) fn account_taken() -> ApiError {
    ApiError::Client {
        code: ErrorCode::Conflict,
        message: "This Stripe account is already connected to another organization here; each organization connects an account of its own.".into(),
        field: Some("secret_key".into()),
    }
}

/// Checkout sessions whose payment is still under way at the account that
/// created them (`?2`: now, in Stripe's time).
const IN_FLIGHT: &str = "((state = 'open' AND expires_at > ?2) OR state = 'processing')";

/// Whether a payment is under way at the organization's account.
async fn in_flight(ctx: &Ctx, org_id: &str) -> Result<bool, ApiError> {
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT 1 AS one FROM checkout_sessions WHERE organization_id = ?1 AND {IN_FLIGHT} LIMIT 1"
        ),
        params![org_id, ctx.real_now_ms],
    )?;
    Ok(db::one::<serde_json::Value>(s).await?.is_some())
}

fn changed_meanwhile() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "The Stripe account was changed by someone else at the same moment; read it again.",
    )
}

/// What Stripe says of a new key; refused (nothing saved) when Stripe
/// refuses it or cannot be asked.
async fn tried(ctx: &Ctx, org_id: &str, key: &str) -> Result<CheckReport, ApiError> {
    let r = rules::check(
        &WorkerFetch,
        &ctx.config.stripe_api_base,
        key,
        &webhook_url(ctx, org_id),
    )
    .await;
    if r.unreachable {
        return Err(ApiError::new(
            ErrorCode::PaymentProviderUnavailable,
            "Stripe could not be reached to try the key; nothing was saved. Try again in a moment.",
        ));
    }
    if !r.ok {
        let why = r
            .problems
            .first()
            .map(|p| p.message.clone())
            .unwrap_or_default();
        return Err(ApiError::Client {
            code: ErrorCode::StripeKeyRejected,
            message: format!("{why} Nothing was saved."),
            field: Some("secret_key".into()),
        });
    }
    Ok(r)
}

/// `DELETE /api/v1/organization/stripe`: forgets the organization's own
/// keys; its payments go back to the deployment's account, if any.
/// Refused while a payment is under way at that account: its events would
/// be refused and the sweep could no longer ask for it.
pub async fn disconnect(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    let actor = ctx.actor();
    let deleted = db::stmt(
        &ctx.db,
        &format!(
            "DELETE FROM stripe_accounts WHERE organization_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM checkout_sessions WHERE organization_id = ?1 AND {IN_FLIGHT})"
        ),
        params![&org.id, ctx.real_now_ms],
    )?;
    let results = db::batch(&ctx.db, vec![deleted]).await?;
    if results.first().map(db::changes).unwrap_or(0) == 0 {
        return Err(match row(ctx, &org.id).await? {
            None => ApiError::not_found("Stripe account"),
            Some(_) => ApiError::new(
                ErrorCode::Conflict,
                "A customer's payment is under way at this Stripe account (a checkout open for up to an hour, or a bank debit settling for a few days); disconnect it once that payment has finished.",
            ),
        });
    }
    db::batch(
        &ctx.db,
        vec![ctx.audit(Audit {
            org: Some(&org.id),
            actor: &actor,
            action: "stripe_account.disconnected",
            subject: &org.id,
            detail: json!({}),
        })?],
    )
    .await?;
    http::json(200, &view(ctx, &org.id).await?)
}
