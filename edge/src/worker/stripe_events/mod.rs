//! Stripe events: `POST /api/stripe/webhook/{organization}` receives them,
//! verified on the raw bytes first; each is recorded by its id in the same
//! D1 batch as its effects, which the ledger engine decides
//! (`crate::ledger::stripe`), so that a redelivery changes nothing and any
//! order of delivery ends in the same books. `list` shows them to the
//! company; `sweep` repairs what never arrived.

mod list;
mod sweep;

pub use list::list;
pub use sweep::{sweep, sweep_pending};

use crate::error::ApiError;
use crate::ledger::{self, Effects, Outcome};
use crate::params;
use crate::stripe::events::Event;
use crate::stripe::signature;
use crate::worker::ctx::Ctx;
use crate::worker::db::{self, WriteError};
use crate::worker::{api, http, ledger as books, queue};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::ids::{EmailId, OrganizationId};
use worker::{Request, Response};

/// Stripe's events are small; a quarter megabyte leaves room for expansions.
const MAX_EVENT_BYTES: usize = 256 * 1024;

/// `POST /api/stripe/webhook/{organization}`
pub async fn receive(ctx: &Ctx, req: Request, org_id: &str) -> Result<Response, ApiError> {
    if OrganizationId::parse(org_id).is_err() {
        return Err(ApiError::not_found("organization"));
    }
    // The organization's own account's signing secret, else the
    // deployment's: an event signed for another organization is refused.
    let secret = api::stripe_account::keys(ctx, org_id)
        .await?
        .and_then(|k| k.webhook_secret)
        .ok_or_else(|| ApiError::not_found("Stripe account"))?;
    let header = http::header(&req, "Stripe-Signature");
    let body = http::raw_body(req, MAX_EVENT_BYTES).await?;
    // Verify before anything reads the body; a refusal is stored nowhere.
    signature::verify(
        &body,
        header.as_deref(),
        secret.expose(),
        ctx.real_now_ms / 1000,
        signature::DEFAULT_TOLERANCE_SECS,
    )
    .map_err(|e| ApiError::Client {
        code: ErrorCode::SignatureInvalid,
        message: format!("{e} ({}).", e.code()),
        field: None,
    })?;
    let event = Event::parse(&body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("The body is not a Stripe event: {e}."),
        )
    })?;
    // A card or bank account saved through Checkout in setup mode. A
    // failure is logged, not answered: the customer's way back saves it
    // too, and the event's own record must not wait on it.
    if let Err(e) = api::autopay::setup::from_event(ctx, org_id, &event).await {
        worker::console_error!("saving the method of {}: {e:?}", event.id);
    }
    // The organization's demo clock comes with the ledger's read.
    let outcome = record(
        ctx,
        org_id,
        &event,
        &String::from_utf8_lossy(&body),
        "stripe",
    )
    .await?;
    http::json(200, &json!({ "received": true, "status": outcome }))
}

/// Records a verified event by its id and applies what the engine decides,
/// in one batch (decided again on a conflict); then sends what it queued and
/// applies events that waited for its payment. Returns the outcome, or
/// `duplicate` when the event was already recorded.
pub async fn record(
    ctx: &Ctx,
    org_id: &str,
    event: &Event,
    payload: &str,
    actor: &str,
) -> Result<&'static str, ApiError> {
    for _ in 0..books::MAX_ATTEMPTS {
        let read = books::read(ctx, org_id, &ledger::stripe::reads(event), Some(&event.id))
            .await?
            .ok_or_else(|| ApiError::not_found("organization"))?;
        if read.recorded.is_some() {
            // A redelivery: nothing to write. What waits for its payment
            // (a follow-up cut short) is applied still.
            apply_waiting(ctx, org_id, read.waiting).await?;
            return Ok("duplicate");
        }
        let e = ledger::stripe::decide(org_id, event, &read.known, false);
        let mut stmts = vec![db::stmt(
            &ctx.db,
            "INSERT INTO stripe_events (id, organization_id, type, created, received_at, outcome, payment_key, invoice_id, note, payload) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                &event.id,
                org_id,
                &event.kind,
                event.created,
                ctx.now_ms(),
                e.outcome.as_str(),
                e.payment_key.clone(),
                e.invoice_id.clone(),
                e.note.clone(),
                payload
            ],
        )?];
        let (write, emails) = books::statements(ctx, org_id, &e, actor)?;
        stmts.extend(write);
        if let Some(key) = ledger::stripe::wakes(&e) {
            // An event that started waiting for this payment after the read
            // would wait until the cron: decide again instead.
            stmts.push(books::waiting_unchanged(
                ctx,
                org_id,
                key,
                read.waiting.len(),
            )?);
        }
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => {
                return Ok(finish(ctx, org_id, &e, &emails, read.waiting)
                    .await?
                    .as_str());
            }
            // Already recorded: still finish the follow-up, which a failure
            // after the first commit may have cut short.
            // Recorded by a delivery at the same moment: decided again, it
            // is a redelivery.
            Err(WriteError::Unique(m)) if m.contains("stripe_events") => continue,
            // Another delivery wrote the same books in between.
            Err(WriteError::Conflict | WriteError::Unique(_)) => continue,
            Err(WriteError::Other(e)) => return Err(e),
        }
    }
    Err(busy())
}

/// Books an off-session PaymentIntent Settle made and saw succeed (a
/// scheduled payment), through the same path as its webhook; nothing
/// changes when the webhook came first, or when this runs again.
pub async fn record_charged(
    ctx: &Ctx,
    org_id: &str,
    intent: &serde_json::Value,
) -> Result<(), ApiError> {
    let id = intent["id"].as_str().unwrap_or_default();
    let payload = json!({ "id": format!("evt_charge_{id}"), "object": "event", "type": "payment_intent.succeeded",
                          "created": intent["created"], "livemode": intent["livemode"], "data": { "object": intent } })
    .to_string();
    let event = Event::parse(payload.as_bytes())
        .map_err(|e| ApiError::internal(format!("charge event: {e}")))?;
    record(ctx, org_id, &event, &payload, "autopay")
        .await
        .map(|_| ())
}

fn busy() -> ApiError {
    ApiError::Client {
        code: ErrorCode::Conflict,
        message: "The books changed under this event too many times; Stripe will deliver it again."
            .into(),
        field: None,
    }
}

/// After a write: sends its emails and applies the events the read found
/// waiting for its payment (the write's guard made sure no other started
/// waiting in between).
async fn finish(
    ctx: &Ctx,
    org_id: &str,
    e: &Effects,
    emails: &[EmailId],
    waiting: Vec<books::Waiting>,
) -> Result<Outcome, ApiError> {
    for email in emails {
        queue::enqueue_email(ctx, email.as_str()).await;
    }
    if ledger::stripe::wakes(e).is_some() {
        apply_waiting(ctx, org_id, waiting).await?;
    }
    Ok(e.outcome)
}

/// Applies the events that were waiting for payment `key`.
pub(crate) async fn apply_pending(ctx: &Ctx, org_id: &str, key: &str) -> Result<(), ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id, payload FROM stripe_events WHERE organization_id = ?1 AND payment_key = ?2 AND outcome = 'pending' ORDER BY received_at",
        params![org_id, key],
    )?;
    apply_waiting(ctx, org_id, db::all(s).await?).await
}

/// Decides waiting events again, each written once it no longer waits.
async fn apply_waiting(
    ctx: &Ctx,
    org_id: &str,
    waiting: Vec<books::Waiting>,
) -> Result<(), ApiError> {
    for pending in waiting {
        let Ok(event) = Event::parse(pending.payload.as_bytes()) else {
            continue;
        };
        for _ in 0..books::MAX_ATTEMPTS {
            let reads = ledger::stripe::reads(&event);
            let Some(read) = books::read(ctx, org_id, &reads, Some(&pending.id)).await? else {
                return Ok(());
            };
            // Applied meanwhile by another delivery's wake-up, or the cron's.
            if read.recorded.as_deref() != Some("pending") {
                break;
            }
            let e = ledger::stripe::decide(org_id, &event, &read.known, true);
            if e.outcome == Outcome::Pending {
                break;
            }
            let mut stmts = vec![
                books::still_waiting(ctx, &pending.id)?,
                db::stmt(
                    &ctx.db,
                    "UPDATE stripe_events SET outcome = ?1, invoice_id = ?2, note = ?3 WHERE id = ?4 AND outcome = 'pending'",
                    params![
                        e.outcome.as_str(),
                        e.invoice_id.clone(),
                        e.note.clone(),
                        &pending.id
                    ],
                )?,
            ];
            let (write, emails) = books::statements(ctx, org_id, &e, "stripe")?;
            stmts.extend(write);
            match db::batch(&ctx.db, stmts).await {
                Ok(_) => {
                    for email in &emails {
                        queue::enqueue_email(ctx, email.as_str()).await;
                    }
                    break;
                }
                Err(WriteError::Conflict | WriteError::Unique(_)) => continue,
                Err(WriteError::Other(e)) => return Err(e),
            }
        }
    }
    Ok(())
}
