//! "Check connection": Stripe asked now, with the keys in use.

use super::connect::account_taken;
use super::{keys, view, webhook_url};
use crate::error::ApiError;
use crate::params;
use crate::stripe::account as rules;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::fetch::WorkerFetch;
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::staff::Capability;
use worker::{Request, Response};

/// `POST /api/v1/organization/stripe/check`: asks Stripe, with the keys in
/// use (the organization's own, else the deployment's), whether payments can
/// be taken and events will arrive; the conclusion of a check of its own
/// account is kept and shown with it.
pub async fn check(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    let Some(k) = keys(ctx, &org.id).await? else {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "No Stripe account is connected: paste a secret key and a webhook signing secret first.",
        ));
    };
    let report = rules::check(
        &WorkerFetch,
        &ctx.config.stripe_api_base,
        k.secret_key.expose(),
        &webhook_url(ctx, &org.id),
    )
    .await;
    let actor = ctx.actor();
    let mut stmts = vec![ctx.audit(Audit {
        org: Some(&org.id),
        actor: &actor,
        action: "stripe_account.checked",
        subject: &org.id,
        detail: json!({ "ok": report.ok, "own": k.own,
                        "problems": report.problems.iter().map(|p| p.code.as_str()).collect::<Vec<_>>() }),
    })?];
    // What Stripe could not be asked about changes nothing kept.
    if k.own && !report.unreachable {
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE stripe_accounts SET checked_at = ?2, check_ok = ?3, check_report = ?4, \
             account_id = COALESCE(?5, account_id), account_name = COALESCE(?6, account_name) WHERE organization_id = ?1",
            params![
                &org.id,
                ctx.now_ms(),
                i64::from(report.ok),
                serde_json::to_string(&report).unwrap_or_default(),
                report.account_id.clone(),
                report.account_name.clone()
            ],
        )?);
    }
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(db::WriteError::Unique(_)) => return Err(account_taken()),
        Err(e) => return Err(e.into()),
    }
    let mut report = report;
    if !k.own {
        // The deployment's account is the operator's: whether it works, not
        // whose it is.
        report.account_id = None;
        report.account_name = None;
        report.endpoint_found = None;
        report.missing_events.clear();
        report
            .problems
            .retain(|p| !p.code.starts_with("endpoint") && !p.code.starts_with("events"));
    }
    let mut v = view(ctx, &org.id).await?;
    // The deployment's account, or an unreachable Stripe: this check's
    // conclusion, not kept.
    v.check = Some(report);
    http::json(200, &v)
}
