//! Cron: the reconciliation sweep. Asks Stripe for recent Checkout Sessions
//! and PaymentIntents and applies, through the same path as a webhook, every
//! paid one whose payment the ledger lacks; applies events that waited for a
//! payment that has arrived meanwhile.

use super::{apply_pending, record};
use crate::error::ApiError;
use crate::outbound::HttpClient;
use crate::params;
use crate::stripe::api::Listed;
use crate::stripe::events::Event;
use crate::stripe::reconcile::META_ORGANIZATION;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{api, db, fetch};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ids::OrganizationId;
use std::collections::HashMap;

/// How far back the sweep looks: Stripe retries deliveries for three days.
const SWEEP_LOOKBACK_SECS: i64 = 3 * 24 * 3600;
/// At most this many pages of sessions per sweep (cron runs every 5 minutes).
const SWEEP_MAX_PAGES: usize = 5;

/// Cron: asks Stripe for the recent Checkout Sessions and applies, through
/// the same path as a webhook, every paid one whose payment the ledger lacks
/// (its webhook was lost: an endpoint down for days, a wrong secret). What it
/// repairs is recorded as a Stripe event with a note, and in the audit trail.
///
/// It asks the deployment's account, whose objects name their organization
/// (only Settle holds its key), and a few organizations' own accounts per
/// run, the least recently asked first, whose objects count only for their
/// organization: an account cannot pay another organization's invoice by
/// naming it in its metadata. One account failing does not stop the others.
pub async fn sweep(ctx: &Ctx) -> Result<usize, ApiError> {
    // Stripe's clock, not the demo one.
    let since = ctx.real_now_ms / 1000 - SWEEP_LOOKBACK_SECS;
    let mut repaired = 0;
    if let Some(secret) = ctx.config.stripe_secret_key.clone() {
        repaired += logged(
            sweep_account(ctx, secret.expose(), None, since).await,
            "deployment",
        );
    }
    #[derive(Deserialize)]
    struct Due {
        organization_id: String,
    }
    let due = db::stmt(
        &ctx.db,
        "UPDATE stripe_accounts SET swept_at = ?1 WHERE organization_id IN \
         (SELECT organization_id FROM stripe_accounts WHERE swept_at < ?1 ORDER BY swept_at LIMIT ?2) RETURNING organization_id",
        params![ctx.real_now_ms, SWEEP_ACCOUNTS_PER_RUN],
    )?;
    for d in db::all::<Due>(due).await? {
        let org = d.organization_id.as_str();
        match api::stripe_account::keys(ctx, org).await {
            Ok(Some(k)) if k.own => {
                repaired += logged(
                    sweep_account(ctx, k.secret_key.expose(), Some(org), since).await,
                    org,
                );
            }
            Ok(_) => {}
            Err(e) => worker::console_error!("sweep: keys of {org}: {e:?}"),
        }
    }
    // Bank debits settle days after their session was created, possibly
    // beyond the look-back: ask for each one still processing here, at the
    // account of its organization.
    #[derive(Deserialize)]
    struct Processing {
        id: String,
        organization_id: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT id, organization_id FROM checkout_sessions WHERE state = 'processing' ORDER BY created_at LIMIT 50",
        Vec::new(),
    )?;
    let mut keys_of: HashMap<String, Option<api::stripe_account::StripeKeys>> = HashMap::new();
    for p in db::all::<Processing>(s).await? {
        if !keys_of.contains_key(&p.organization_id) {
            let k = api::stripe_account::keys(ctx, &p.organization_id)
                .await
                .unwrap_or(None);
            keys_of.insert(p.organization_id.clone(), k);
        }
        let Some(Some(k)) = keys_of.get(&p.organization_id) else {
            continue;
        };
        let request = crate::stripe::api::get_checkout(
            &ctx.config.stripe_api_base,
            k.secret_key.expose(),
            &p.id,
        );
        let answer = match fetch::WorkerFetch.send(request).await {
            Ok(a) if (200..300).contains(&a.status) => a,
            _ => continue,
        };
        let Ok(session) = serde_json::from_str::<serde_json::Value>(&answer.body) else {
            continue;
        };
        let only = k.own.then_some(p.organization_id.as_str());
        repaired += counted(repair(ctx, &session, only).await, &session);
    }
    Ok(repaired)
}

/// Organizations' own accounts asked per run (each takes two to ten
/// requests to Stripe).
const SWEEP_ACCOUNTS_PER_RUN: i64 = 20;

fn logged(result: Result<usize, ApiError>, account: &str) -> usize {
    result.unwrap_or_else(|e| {
        worker::console_error!("reconciliation sweep of {account}: {e:?}");
        0
    })
}

/// Sweeps one account; with `only`, its objects count for that organization
/// alone.
async fn sweep_account(
    ctx: &Ctx,
    secret: &str,
    only: Option<&str>,
    since: i64,
) -> Result<usize, ApiError> {
    let mut repaired = 0;
    // Sessions, then PaymentIntents: a payment whose session event and its
    // own event were both lost.
    for session in recent(ctx, secret, Listed::CheckoutSessions, since).await? {
        repaired += counted(repair(ctx, &session, only).await, &session);
        counted(record_open(ctx, &session, only).await, &session);
    }
    for intent in recent(ctx, secret, Listed::PaymentIntents, since).await? {
        repaired += counted(repair_intent(ctx, &intent, only).await, &intent);
    }
    Ok(repaired)
}

/// The organization an object names, if it may count for it: with `only`
/// (an organization's own account), that organization alone.
fn organization_of<'a>(object: &'a serde_json::Value, only: Option<&str>) -> Option<&'a str> {
    let named = object["metadata"][META_ORGANIZATION].as_str()?;
    match only {
        Some(o) if o != named => None,
        _ => Some(named),
    }
}

/// Cron: applies waiting events whose payment has arrived meanwhile (a
/// follow-up cut short, or a refund and its payment racing each other).
pub async fn sweep_pending(ctx: &Ctx) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Waiting {
        organization_id: String,
        payment_key: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT DISTINCT e.organization_id, e.payment_key FROM stripe_events e \
         WHERE e.outcome = 'pending' AND EXISTS (SELECT 1 FROM payments p WHERE p.organization_id = e.organization_id \
         AND (p.external_id = 'payment:' || e.payment_key OR (p.external_id > 'payment:' || e.payment_key || ':' \
         AND p.external_id < 'payment:' || e.payment_key || ';'))) LIMIT 100",
        Vec::new(),
    )?;
    for w in db::all::<Waiting>(s).await? {
        apply_pending(ctx, &w.organization_id, &w.payment_key).await?;
    }
    Ok(())
}

/// Everything of one kind Stripe created since `since`, newest first, at most
/// `SWEEP_MAX_PAGES` pages.
async fn recent(
    ctx: &Ctx,
    secret: &str,
    what: Listed,
    since: i64,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..SWEEP_MAX_PAGES {
        let request = crate::stripe::api::list(
            &ctx.config.stripe_api_base,
            secret,
            what,
            since,
            after.as_deref(),
        );
        let answer = fetch::WorkerFetch
            .send(request)
            .await
            .map_err(|e| ApiError::internal(format!("list {what:?}: {e}")))?;
        let (page, more) = crate::stripe::api::read_list(answer.status, &answer.body)
            .map_err(|e| ApiError::internal(format!("list {what:?}: {e}")))?;
        after = page
            .last()
            .and_then(|o| o["id"].as_str())
            .map(str::to_owned);
        all.extend(page);
        if !more || after.is_none() {
            break;
        }
    }
    Ok(all)
}

/// 1 for a repair, 0 otherwise; an error is logged and the sweep goes on, so
/// one unreadable or foreign object cannot stop the others.
fn counted(result: Result<bool, ApiError>, object: &serde_json::Value) -> usize {
    match result {
        Ok(repaired) => usize::from(repaired),
        Err(e) => {
            worker::console_error!("sweep: {}: {e:?}", object["id"]);
            0
        }
    }
}

/// Applies one paid session the ledger does not know. Returns whether it did.
async fn repair(
    ctx: &Ctx,
    session: &serde_json::Value,
    only: Option<&str>,
) -> Result<bool, ApiError> {
    let paid = session["status"] == "complete" && session["payment_status"] == "paid";
    let (Some(org), Some(pi)) = (
        organization_of(session, only),
        session["payment_intent"].as_str(),
    ) else {
        return Ok(false);
    };
    if !paid {
        return Ok(false);
    }
    repair_payment(ctx, org, pi, "checkout.session.completed", session).await
}

/// Applies a succeeded PaymentIntent (Settle's metadata on it) whose
/// payment the ledger lacks.
async fn repair_intent(
    ctx: &Ctx,
    intent: &serde_json::Value,
    only: Option<&str>,
) -> Result<bool, ApiError> {
    let (Some(org), Some(pi)) = (organization_of(intent, only), intent["id"].as_str()) else {
        return Ok(false);
    };
    if intent["status"] != "succeeded" {
        return Ok(false);
    }
    repair_payment(ctx, org, pi, "payment_intent.succeeded", intent).await
}

/// Applies, as a webhook would, a paid object whose payment `pi` the ledger
/// of `org` lacks; noted as repaired.
async fn repair_payment(
    ctx: &Ctx,
    org: &str,
    pi: &str,
    kind: &str,
    object: &serde_json::Value,
) -> Result<bool, ApiError> {
    let Some(id) = object["id"].as_str() else {
        return Ok(false);
    };
    if OrganizationId::parse(org).is_err() || api::organizations::load(ctx, org).await.is_err() {
        return Ok(false);
    }
    // The payment's row, or any part of a combined payment.
    let known = db::stmt(
        &ctx.db,
        "SELECT invoice_id FROM payments WHERE (external_id = 'payment:' || ?2 \
         OR (external_id > 'payment:' || ?2 || ':' AND external_id < 'payment:' || ?2 || ';')) AND organization_id = ?1 LIMIT 1",
        params![org, pi],
    )?;
    if db::one::<serde_json::Value>(known).await?.is_some() {
        return Ok(false);
    }
    let event_id = format!("evt_sweep_{id}");
    let payload = json!({ "id": event_id, "object": "event", "type": kind,
                          "created": object["created"], "livemode": object["livemode"], "data": { "object": object } })
    .to_string();
    let event = Event::parse(payload.as_bytes())
        .map_err(|e| ApiError::internal(format!("sweep event: {e}")))?;
    let outcome = record(ctx, org, &event, &payload, "reconciliation").await?;
    if outcome == "duplicate" {
        return Ok(false);
    }
    db::batch(&ctx.db, vec![
        db::stmt(
            &ctx.db,
            "UPDATE stripe_events SET note = COALESCE(note || '; ', '') || 'repaired by the reconciliation sweep: its webhook never arrived' WHERE id = ?1",
            params![&event_id],
        )?,
        ctx.audit(Audit {
            org: Some(org),
            actor: "reconciliation",
            action: "reconciliation.repaired",
            subject: id,
            detail: json!({ "payment_intent": pi, "outcome": outcome, "event_id": event_id }),
        })?,
    ])
    .await?;
    Ok(outcome == "applied")
}

/// Records an open session Settle created at Stripe but never wrote down
/// (the worker stopped, or D1 failed, right after Stripe answered), so that
/// the next checkout for its invoice closes it first: one payable session
/// per invoice holds even then. Returns whether it recorded one.
async fn record_open(
    ctx: &Ctx,
    session: &serde_json::Value,
    only: Option<&str>,
) -> Result<bool, ApiError> {
    let meta = &session["metadata"];
    let (Some(id), Some(org), Some(invoice), Some(url)) = (
        session["id"].as_str(),
        organization_of(session, only),
        meta[crate::stripe::reconcile::META_INVOICE].as_str(),
        session["url"].as_str(),
    ) else {
        return Ok(false);
    };
    if session["status"] != "open" {
        return Ok(false);
    }
    let amount = session["amount_total"].as_i64().unwrap_or(0);
    let expires_at = session["expires_at"].as_i64().unwrap_or(0) * 1000;
    let s = db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO checkout_sessions (id, organization_id, customer_id, invoice_id, fingerprint, amount, currency, url, expires_at, created_at) \
         SELECT ?1, i.organization_id, i.customer_id, i.id, 'recovered', ?2, i.currency, ?3, ?4, ?5 FROM invoices i \
         WHERE i.id = ?6 AND i.organization_id = ?7 AND ?2 > 0",
        params![id, amount, url, expires_at, ctx.now_ms(), invoice, org],
    )?;
    let r = s
        .run()
        .await
        .map_err(|e| ApiError::internal(format!("record open session: {e}")))?;
    let recorded = r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) > 0;
    if recorded {
        worker::console_log!("sweep: recorded open session {id} that was never written down");
    }
    Ok(recorded)
}
