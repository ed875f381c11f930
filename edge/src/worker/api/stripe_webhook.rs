//! `POST /api/stripe/webhook/{organization}`: Stripe's events, verified on
//! the raw bytes first, then recorded by id in the same D1 batch as their
//! effects on the ledger, so that a redelivery changes nothing and any order
//! of delivery ends in the same books (see `crate::stripe::reconcile`).

use super::customers::{next_cursor, page_start};
use crate::cursor;
use crate::error::ApiError;
use crate::outbound::HttpClient;
use crate::params;
use crate::stripe::api::Listed;
use crate::stripe::events::Event;
use crate::stripe::reconcile::{self, Fact, META_ALLOCATION, META_ORGANIZATION};
use crate::stripe::signature;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::{http, jobs};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::ids::{EmailId, InvoiceId, OrganizationId, PaymentId};
use settle_shared::text::FieldError;
use worker::{D1PreparedStatement, Request, Response};

/// Stripe's events are small; a quarter megabyte leaves room for expansions.
const MAX_EVENT_BYTES: usize = 256 * 1024;

/// The paid amount of an invoice, from the ledger, in the invoice's currency.
const LEDGER_SUM: &str = "MAX(0, (SELECT COALESCE(SUM(CASE p.kind WHEN 'payment' THEN p.amount WHEN 'reversal' THEN p.amount ELSE -p.amount END), 0) \
     FROM payments p WHERE p.invoice_id = invoices.id AND p.currency = invoices.currency))";

/// The statement that derives an invoice's paid amount and status from its
/// ledger rows. Safe to run any number of times.
pub fn recompute_invoice(
    ctx: &Ctx,
    org_id: &str,
    invoice_id: &str,
) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        &format!(
            "UPDATE invoices SET amount_paid = {LEDGER_SUM}, \
             status = CASE WHEN status IN ('void', 'draft') THEN status WHEN {LEDGER_SUM} >= total THEN 'paid' ELSE 'open' END \
             WHERE id = ?1 AND organization_id = ?2"
        ),
        params![invoice_id, org_id],
    )
}

#[derive(Deserialize)]
struct InvoiceRef {
    id: String,
    currency: String,
    customer_id: String,
    email: String,
}

async fn invoice_ref(
    ctx: &Ctx,
    org_id: &str,
    invoice_id: &str,
) -> Result<Option<InvoiceRef>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT i.id, i.currency, c.id AS customer_id, c.email FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.id = ?1 AND i.organization_id = ?2",
        params![invoice_id, org_id],
    )?;
    db::one(s).await
}

/// Queues an email about `inv`, once per `dedupe_key`.
fn email_about(
    ctx: &Ctx,
    p: &mut Plan,
    org_id: &str,
    inv: &InvoiceRef,
    kind: &str,
    dedupe_key: String,
) -> Result<(), ApiError> {
    let id = EmailId::generate(ctx.now_ms as u64, ctx.random10());
    p.stmts.push(jobs::queue_email_stmt(
        ctx,
        jobs::QueuedEmail {
            id: &id,
            org_id,
            customer_id: &inv.customer_id,
            invoice_id: Some(&inv.id),
            kind,
            to: &inv.email,
            dedupe_key: Some(dedupe_key),
        },
    )?);
    p.emails.push(id);
    Ok(())
}

/// What an event does here: its outcome and the statements that do it.
struct Plan {
    outcome: &'static str,
    note: Option<String>,
    payment_key: Option<String>,
    invoice_id: Option<String>,
    stmts: Vec<D1PreparedStatement>,
    /// Emails this event sends (receipts, a failed debit).
    emails: Vec<EmailId>,
}

impl Plan {
    fn new(outcome: &'static str) -> Self {
        Plan {
            outcome,
            note: None,
            payment_key: None,
            invoice_id: None,
            stmts: Vec::new(),
            emails: Vec::new(),
        }
    }
    fn flag(note: impl Into<String>) -> Self {
        Plan {
            note: Some(note.into()),
            ..Plan::new("flagged")
        }
    }
}

/// `POST /api/stripe/webhook/{organization}`
pub async fn receive(ctx: &Ctx, req: Request, org_id: &str) -> Result<Response, ApiError> {
    let secret = ctx
        .config
        .stripe_webhook_secret
        .clone()
        .ok_or_else(|| ApiError::internal("STRIPE_WEBHOOK_SECRET is not configured"))?;
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
    if OrganizationId::parse(org_id).is_err() {
        return Err(ApiError::not_found("organization"));
    }
    super::organizations::load(ctx, org_id)
        .await
        .map_err(|_| ApiError::not_found("organization"))?;

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

/// Records a verified event by its id and applies it, in one batch; then
/// sends what it queued and applies events that waited for it. Returns the
/// outcome, or `duplicate` when the event was already recorded.
pub async fn record(
    ctx: &Ctx,
    org_id: &str,
    event: &Event,
    payload: &str,
    actor: &str,
) -> Result<&'static str, ApiError> {
    let mut plan = plan(ctx, org_id, event).await?;
    if plan.outcome != "flagged"
        && let Some(stmt) = checkout_state(ctx, org_id, event)?
    {
        plan.stmts.push(stmt);
    }
    let outcome = plan.outcome;
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "INSERT INTO stripe_events (id, organization_id, type, created, received_at, outcome, payment_key, invoice_id, note, payload) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            &event.id,
            org_id,
            &event.kind,
            event.created,
            ctx.now_ms,
            outcome,
            plan.payment_key.clone(),
            plan.invoice_id.clone(),
            plan.note.clone(),
            payload
        ],
    )?];
    stmts.extend(plan.stmts);
    stmts.push(ctx.audit(Audit {
        org: Some(org_id),
        actor,
        action: &format!("stripe_event.{outcome}"),
        subject: &event.id,
        detail: json!({ "type": event.kind, "invoice_id": plan.invoice_id, "note": plan.note }),
    })?);
    let result = match db::batch(&ctx.db, stmts).await {
        Ok(_) => outcome,
        // Already recorded: still finish the follow-up below, which a
        // failure after the first commit may have cut short.
        Err(WriteError::Unique(_)) => "duplicate",
        Err(WriteError::Other(e)) => return Err(e),
    };
    if result != "duplicate" {
        for email in &plan.emails {
            jobs::enqueue_email(ctx, email.as_str()).await;
        }
    }
    // A payment (applied, or recorded in another currency) may unblock events
    // that arrived before it.
    if matches!(outcome, "applied" | "flagged")
        && let Some(key) = &plan.payment_key
    {
        apply_pending(ctx, org_id, key).await?;
    }
    Ok(result)
}

/// Decides what an event does, reading only what it needs.
async fn plan(ctx: &Ctx, org_id: &str, event: &Event) -> Result<Plan, ApiError> {
    let facts = reconcile::facts(event);
    let Some(fact) = facts.first() else {
        // An object of a kind Settle acts on that does not read is kept for a
        // person, never silently ignored (a redelivery would be a duplicate).
        let acted_on = [
            "checkout.session.",
            "payment_intent.",
            "charge.refunded",
            "charge.dispute.",
        ]
        .iter()
        .any(|p| event.kind.starts_with(p));
        if acted_on && matches!(event.object(), crate::stripe::events::Object::Other) {
            return Ok(Plan::flag(format!(
                "the {} object could not be read",
                event.kind
            )));
        }
        return Ok(Plan::new("ignored"));
    };
    // Settle's own metadata names the organization; an event for another one
    // is recorded here and flagged, never applied.
    let named_org = match &event.object() {
        crate::stripe::events::Object::CheckoutSession(s) => {
            s.metadata.get(META_ORGANIZATION).cloned()
        }
        crate::stripe::events::Object::PaymentIntent(p) => {
            p.metadata.get(META_ORGANIZATION).cloned()
        }
        _ => None,
    };
    if let Some(other) = named_org.filter(|o| o != org_id) {
        return Ok(Plan::flag(format!(
            "the event names organization {other}, not this one"
        )));
    }
    let now_date = settle_shared::time::datetime_from_millis(event.created.max(0) * 1000)
        .date_naive()
        .to_string();
    match fact {
        Fact::Paid {
            key,
            amount,
            currency,
            ..
        } if allocation(event).is_some_and(|a| a.len() > 1) => {
            combined_payment(
                ctx,
                org_id,
                key,
                *amount,
                currency,
                &allocation(event).unwrap_or_default(),
                &now_date,
            )
            .await
        }
        Fact::Paid {
            key,
            invoice,
            amount,
            currency,
        } => {
            let Some(invoice) = invoice.clone().filter(|i| InvoiceId::parse(i).is_ok()) else {
                return Ok(Plan::flag("a payment that names no Settle invoice"));
            };
            let Some(inv) = invoice_ref(ctx, org_id, &invoice).await? else {
                return Ok(Plan::flag(format!(
                    "a payment for invoice {invoice}, unknown in this organization"
                )));
            };
            let mut p = Plan::new("applied");
            p.payment_key = Some(key.clone());
            p.invoice_id = Some(inv.id.clone());
            if *currency != inv.currency {
                p.outcome = "flagged";
                p.note = Some(format!(
                    "paid in {currency}, the invoice is in {}: recorded, not applied",
                    inv.currency
                ));
            }
            p.stmts.push(ledger_row(
                ctx,
                org_id,
                &inv.id,
                "payment",
                *amount,
                currency,
                key,
                &format!("payment:{key}"),
                &now_date,
            )?);
            p.stmts.push(recompute_invoice(ctx, org_id, &inv.id)?);
            // Whatever event told us (a session's or the PaymentIntent's),
            // the debit for this amount is no longer on its way.
            p.stmts.push(db::stmt(
                &ctx.db,
                "UPDATE checkout_sessions SET state = 'paid' WHERE organization_id = ?1 AND invoice_id = ?2 AND state = 'processing' AND amount = ?3",
                params![org_id, &inv.id, *amount],
            )?);
            if p.outcome == "applied" {
                email_about(
                    ctx,
                    &mut p,
                    org_id,
                    &inv,
                    "receipt",
                    format!("receipt:{key}"),
                )?;
            }
            Ok(p)
        }
        Fact::RefundedTotal {
            charge,
            payment,
            total,
            currency,
        } => {
            after_payment(ctx, org_id, payment.as_deref(), |p, invoice, share| {
                // Stripe sends the charge's running total; each invoice's
                // share of it only grows, so the deltas add up in any order.
                let target = share(*total);
                let prior = "COALESCE((SELECT SUM(amount) FROM payments WHERE organization_id = ?2 AND kind = 'refund' AND reference = ?4 AND invoice_id = ?3), 0)";
                p.stmts.push(db::stmt(
                    &ctx.db,
                    &format!(
                        "INSERT OR IGNORE INTO payments (id, organization_id, invoice_id, kind, method, amount, currency, reference, received_on, external_id, created_at) \
                         SELECT ?1, ?2, ?3, 'refund', 'stripe', ?5 - {prior}, ?6, ?4, ?7, ?8, ?9 WHERE ?5 > {prior}"
                    ),
                    params![
                        PaymentId::generate(ctx.now_ms as u64, ctx.random10()).as_str(),
                        org_id,
                        invoice,
                        charge.as_str(),
                        target,
                        currency.as_str(),
                        now_date.as_str(),
                        format!("refund:{charge}:{invoice}:{target}"),
                        ctx.now_ms
                    ],
                )?);
                Ok(())
            })
            .await
        }
        Fact::DisputeOpened {
            dispute,
            payment,
            amount,
            currency,
        }
        | Fact::DisputeClosed {
            dispute,
            payment,
            amount,
            currency,
            ..
        } => {
            let won = matches!(fact, Fact::DisputeClosed { won: true, .. });
            after_payment(ctx, org_id, payment.as_deref(), |p, invoice, share| {
                let part = share(*amount);
                p.stmts.push(ledger_row(
                    ctx,
                    org_id,
                    invoice,
                    "chargeback",
                    part,
                    currency,
                    dispute,
                    &format!("chargeback:{dispute}:{invoice}"),
                    &now_date,
                )?);
                if won {
                    p.stmts.push(ledger_row(
                        ctx,
                        org_id,
                        invoice,
                        "reversal",
                        part,
                        currency,
                        dispute,
                        &format!("reversal:{dispute}:{invoice}"),
                        &now_date,
                    )?);
                }
                Ok(())
            })
            .await
        }
        // Processing, failures and expiries change no money, only where the
        // checkout stands (see `checkout_state`).
        // A failed bank debit reopens the invoice: the customer is told.
        Fact::Failed {
            key,
            invoice: Some(invoice),
        } if key.starts_with("cs_") => {
            let mut p = Plan::new("applied");
            if let Some(inv) = invoice_ref(ctx, org_id, invoice).await? {
                p.invoice_id = Some(inv.id.clone());
                email_about(
                    ctx,
                    &mut p,
                    org_id,
                    &inv,
                    "payment_failed",
                    format!("payment_failed:{key}"),
                )?;
            }
            Ok(p)
        }
        Fact::Processing { .. } | Fact::Failed { .. } | Fact::Expired { .. } => {
            Ok(Plan::new("applied"))
        }
    }
}

/// Moves a Checkout Session Settle created forward (never back):
/// open < expired < processing < failed < paid.
fn checkout_state(
    ctx: &Ctx,
    org_id: &str,
    event: &Event,
) -> Result<Option<D1PreparedStatement>, ApiError> {
    let crate::stripe::events::Object::CheckoutSession(s) = event.object() else {
        return Ok(None);
    };
    let state = match (event.kind.as_str(), s.payment_status.as_str()) {
        ("checkout.session.completed", "paid")
        | ("checkout.session.async_payment_succeeded", _) => "paid",
        ("checkout.session.completed", _) => "processing",
        ("checkout.session.async_payment_failed", _) => "failed",
        ("checkout.session.expired", _) => "expired",
        _ => return Ok(None),
    };
    let rank = |of: &str| {
        format!(
            "CASE {of} WHEN 'open' THEN 0 WHEN 'expired' THEN 1 WHEN 'processing' THEN 2 WHEN 'failed' THEN 3 ELSE 4 END"
        )
    };
    let (rank, target) = (rank("state"), rank("?1"));
    Ok(Some(db::stmt(
        &ctx.db,
        &format!(
            "UPDATE checkout_sessions SET state = ?1 WHERE id = ?2 AND organization_id = ?3 AND {rank} < {target}"
        ),
        params![state, &s.id, org_id],
    )?))
}

/// How a combined payment splits, from Settle's metadata:
/// `inv_a:9500,inv_b:500`.
fn allocation(event: &Event) -> Option<Vec<(String, i64)>> {
    let raw = match event.object() {
        crate::stripe::events::Object::CheckoutSession(s) => {
            s.metadata.get(META_ALLOCATION).cloned()
        }
        crate::stripe::events::Object::PaymentIntent(p) => p.metadata.get(META_ALLOCATION).cloned(),
        _ => None,
    }?;
    raw.split(',')
        .map(|part| {
            let (id, amount) = part.split_once(':')?;
            Some((id.to_owned(), amount.parse().ok()?))
        })
        .collect()
}

/// One payment for several invoices: a ledger row and a receipt for each,
/// as the allocation made at checkout says.
async fn combined_payment(
    ctx: &Ctx,
    org_id: &str,
    key: &str,
    amount: i64,
    currency: &str,
    allocation: &[(String, i64)],
    date: &str,
) -> Result<Plan, ApiError> {
    if allocation.iter().map(|(_, a)| a).sum::<i64>() != amount
        || allocation.iter().any(|(_, a)| *a <= 0)
    {
        return Ok(Plan::flag(format!(
            "a combined payment of {amount} does not match its allocation"
        )));
    }
    let mut p = Plan::new("applied");
    p.payment_key = Some(key.to_owned());
    for (invoice_id, part) in allocation {
        let Some(inv) = invoice_ref(ctx, org_id, invoice_id).await? else {
            return Ok(Plan::flag(format!(
                "a combined payment names invoice {invoice_id}, unknown in this organization"
            )));
        };
        if inv.currency != currency {
            return Ok(Plan::flag(format!(
                "a combined payment in {currency} names invoice {invoice_id} in {}",
                inv.currency
            )));
        }
        p.stmts.push(ledger_row(
            ctx,
            org_id,
            &inv.id,
            "payment",
            *part,
            currency,
            key,
            &format!("payment:{key}:{}", inv.id),
            date,
        )?);
        p.stmts.push(recompute_invoice(ctx, org_id, &inv.id)?);
        email_about(
            ctx,
            &mut p,
            org_id,
            &inv,
            "receipt",
            format!("receipt:{key}:{}", inv.id),
        )?;
        p.invoice_id.get_or_insert(inv.id.clone());
    }
    p.stmts.push(db::stmt(
        &ctx.db,
        "UPDATE checkout_sessions SET state = 'paid' WHERE organization_id = ?1 AND invoice_id = ?2 AND state = 'processing' AND amount = ?3",
        params![org_id, &allocation[0].0, amount],
    )?);
    Ok(p)
}

/// Whether payment `key` paid several invoices (rows `payment:{key}:{invoice}`).
async fn combined_exists(ctx: &Ctx, org_id: &str, key: &str) -> Result<bool, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT invoice_id FROM payments WHERE organization_id = ?1 AND external_id LIKE ?2 LIMIT 1",
        params![org_id, format!("payment:{key}:%")],
    )?;
    Ok(db::one::<serde_json::Value>(s).await?.is_some())
}

/// Plans an effect on the invoice that a known payment belongs to; waits
/// (`pending`) when that payment has not arrived yet.
async fn after_payment(
    ctx: &Ctx,
    org_id: &str,
    payment: Option<&str>,
    effect: impl Fn(&mut Plan, &str, &dyn Fn(i64) -> i64) -> Result<(), ApiError>,
) -> Result<Plan, ApiError> {
    let Some(key) = payment else {
        return Ok(Plan::flag("names no payment"));
    };
    #[derive(Deserialize)]
    struct Part {
        invoice_id: String,
        amount: i64,
    }
    // The payment's rows: one, or one per invoice of a combined payment.
    let s = db::stmt(
        &ctx.db,
        "SELECT invoice_id, amount FROM payments WHERE organization_id = ?1 AND kind = 'payment' \
         AND (external_id = ?2 OR external_id LIKE ?3) ORDER BY invoice_id",
        params![org_id, format!("payment:{key}"), format!("payment:{key}:%")],
    )?;
    let parts: Vec<Part> = db::all(s).await?;
    let mut p = Plan::new("applied");
    p.payment_key = Some(key.to_owned());
    if parts.is_empty() {
        p.outcome = "pending";
        p.note = Some(format!("waits for payment {key}"));
        return Ok(p);
    }
    let amounts: Vec<i64> = parts.iter().map(|x| x.amount).collect();
    for (i, part) in parts.iter().enumerate() {
        // This invoice's share of an amount taken back from the payment.
        let share = |total: i64| reconcile::fill(total, &amounts)[i];
        effect(&mut p, &part.invoice_id, &share)?;
        p.stmts
            .push(recompute_invoice(ctx, org_id, &part.invoice_id)?);
        p.invoice_id.get_or_insert(part.invoice_id.clone());
    }
    Ok(p)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one ledger row has this many columns"
)]
fn ledger_row(
    ctx: &Ctx,
    org_id: &str,
    invoice_id: &str,
    kind: &str,
    amount: i64,
    currency: &str,
    reference: &str,
    external_id: &str,
    received_on: &str,
) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO payments (id, organization_id, invoice_id, kind, method, amount, currency, reference, received_on, external_id, created_at) \
         SELECT ?1, ?2, ?3, ?4, 'stripe', ?5, ?6, ?7, ?8, ?9, ?10 WHERE ?5 > 0",
        params![
            PaymentId::generate(ctx.now_ms as u64, ctx.random10()).as_str(),
            org_id,
            invoice_id,
            kind,
            amount,
            currency,
            reference,
            received_on,
            external_id,
            ctx.now_ms
        ],
    )
}

#[derive(Deserialize)]
struct Pending {
    id: String,
    payload: String,
}

/// Applies the events that were waiting for payment `key`.
async fn apply_pending(ctx: &Ctx, org_id: &str, key: &str) -> Result<(), ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT id, payload FROM stripe_events WHERE organization_id = ?1 AND payment_key = ?2 AND outcome = 'pending' ORDER BY received_at",
        params![org_id, key],
    )?;
    for pending in db::all::<Pending>(s).await? {
        let Ok(event) = Event::parse(pending.payload.as_bytes()) else {
            continue;
        };
        let p = plan(ctx, org_id, &event).await?;
        if p.outcome == "pending" {
            continue;
        }
        let mut stmts = vec![db::stmt(
            &ctx.db,
            "UPDATE stripe_events SET outcome = ?1, invoice_id = ?2, note = ?3 WHERE id = ?4 AND outcome = 'pending'",
            params![p.outcome, p.invoice_id.clone(), p.note.clone(), &pending.id],
        )?];
        stmts.extend(p.stmts);
        db::batch(&ctx.db, stmts).await?;
    }
    Ok(())
}

/// A recorded event as the company sees it.
#[derive(Deserialize)]
struct EventRow {
    id: String,
    kind: String,
    outcome: String,
    invoice_id: Option<String>,
    note: Option<String>,
    received_at: i64,
}

/// `GET /api/v1/stripe-events?outcome=&limit=&cursor=`: what Stripe sent and
/// what Settle did with it (flagged events need a person).
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = page_start(req)?;
    let mut sql = "SELECT id, type AS kind, outcome, invoice_id, note, received_at FROM stripe_events WHERE organization_id = ?1 AND id < ?2".to_owned();
    let mut args = params![&org.id, before, i64::from(limit) + 1];
    if let Some(o) = http::query(req, "outcome") {
        if !["applied", "ignored", "flagged", "pending"].contains(&o.as_str()) {
            return Err(FieldError::invalid(
                "outcome",
                "must be applied, ignored, flagged or pending",
            )
            .into());
        }
        sql.push_str(" AND outcome = ?4");
        args.push(o.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?3");
    let mut rows: Vec<EventRow> = db::all(db::stmt(&ctx.db, &sql, args)?).await?;
    let next = next_cursor(&mut rows, limit, |r| &r.id);
    let data: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({ "id": r.id, "type": r.kind, "outcome": r.outcome, "invoice_id": r.invoice_id, "note": r.note,
                    "received_at": settle_shared::time::rfc3339_from_millis(r.received_at) })
        })
        .collect();
    http::json(200, &json!({ "data": data, "next_cursor": next }))
}

/// How far back the sweep looks: Stripe retries deliveries for three days.
const SWEEP_LOOKBACK_SECS: i64 = 3 * 24 * 3600;
/// At most this many pages of sessions per sweep (cron runs every 5 minutes).
const SWEEP_MAX_PAGES: usize = 5;

/// Cron: asks Stripe for the recent Checkout Sessions and applies, through
/// the same path as a webhook, every paid one whose payment the ledger lacks
/// (its webhook was lost: an endpoint down for days, a wrong secret). What it
/// repairs is recorded as a Stripe event with a note, and in the audit trail.
pub async fn sweep(ctx: &Ctx) -> Result<usize, ApiError> {
    let Some(secret) = ctx.config.stripe_secret_key.clone() else {
        return Ok(0);
    };
    // Stripe's clock, not the demo one.
    let since = ctx.real_now_ms / 1000 - SWEEP_LOOKBACK_SECS;
    let mut repaired = 0;
    // Sessions, then PaymentIntents: a payment whose session event and its
    // own event were both lost.
    for session in recent(ctx, secret.expose(), Listed::CheckoutSessions, since).await? {
        repaired += counted(repair(ctx, &session).await, &session);
    }
    for intent in recent(ctx, secret.expose(), Listed::PaymentIntents, since).await? {
        repaired += counted(repair_intent(ctx, &intent).await, &intent);
    }
    // Bank debits settle days after their session was created, possibly
    // beyond the look-back: ask for each one still processing here.
    #[derive(Deserialize)]
    struct Processing {
        id: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT id FROM checkout_sessions WHERE state = 'processing' ORDER BY created_at LIMIT 50",
        Vec::new(),
    )?;
    for p in db::all::<Processing>(s).await? {
        let request =
            crate::stripe::api::get_checkout(&ctx.config.stripe_api_base, secret.expose(), &p.id);
        let answer = match jobs::WorkerFetch.send(request).await {
            Ok(a) if (200..300).contains(&a.status) => a,
            _ => continue,
        };
        let Ok(session) = serde_json::from_str::<serde_json::Value>(&answer.body) else {
            continue;
        };
        repaired += counted(repair(ctx, &session).await, &session);
    }
    Ok(repaired)
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
         AND p.external_id = 'payment:' || e.payment_key) LIMIT 100",
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
        let answer = jobs::WorkerFetch
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
async fn repair(ctx: &Ctx, session: &serde_json::Value) -> Result<bool, ApiError> {
    let paid = session["status"] == "complete" && session["payment_status"] == "paid";
    let (Some(org), Some(pi)) = (
        session["metadata"][META_ORGANIZATION].as_str(),
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
async fn repair_intent(ctx: &Ctx, intent: &serde_json::Value) -> Result<bool, ApiError> {
    let (Some(org), Some(pi)) = (
        intent["metadata"][META_ORGANIZATION].as_str(),
        intent["id"].as_str(),
    ) else {
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
    if OrganizationId::parse(org).is_err() || super::organizations::load(ctx, org).await.is_err() {
        return Ok(false);
    }
    let known = db::stmt(
        &ctx.db,
        "SELECT invoice_id FROM payments WHERE organization_id = ?1 AND external_id = ?2",
        params![org, format!("payment:{pi}")],
    )?;
    if db::one::<serde_json::Value>(known).await?.is_some() || combined_exists(ctx, org, pi).await?
    {
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
