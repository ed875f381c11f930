//! Runs the ledger engine (`crate::ledger`) against D1: one read batch for
//! what the engine asks, one write batch for its effects. Every write is
//! conditional on what was read (an invoice's version, a session's state, a
//! payment still absent); a guard that no longer holds fails the whole batch
//! through the `write_conflicts` table, and the caller decides again.

use crate::error::ApiError;
use crate::ledger::checkout::{Session, SessionState};
use crate::ledger::stripe::{Known, Reads};
use crate::ledger::{Effects, Guard, Invoice, Kind, Row, Update};
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
use crate::worker::outbox;
use serde::Deserialize;
use settle_shared::ids::{EmailId, PaymentId};
use settle_shared::invoice::InvoiceStatus;
use worker::D1PreparedStatement;

/// How many times a write is decided again after a conflict before the
/// request gives up (Stripe redelivers; the sweep repairs).
pub const MAX_ATTEMPTS: usize = 8;

/// The ids of the invoices a read concerns: those named, and those payment
/// `?3` paid (its row `payment:{key}` or its parts `payment:{key}:{invoice}`).
const CONCERNED: &str = "WITH concerned(id) AS (SELECT value FROM json_each(?2) \
     UNION SELECT invoice_id FROM payments WHERE ?3 IS NOT NULL AND (external_id = 'payment:' || ?3 \
     OR (external_id > 'payment:' || ?3 || ':' AND external_id < 'payment:' || ?3 || ';')) AND organization_id = ?1) ";

#[derive(Deserialize)]
struct InvoiceRow {
    id: String,
    number: String,
    customer_id: String,
    email: String,
    currency: String,
    total: i64,
    status: String,
    version: i64,
    early_payment_bp: Option<i64>,
}

#[derive(Deserialize)]
struct LedgerRow {
    invoice_id: String,
    external_id: Option<String>,
    kind: String,
    method: String,
    amount: i64,
    currency: String,
    reference: Option<String>,
    received_on: String,
}

#[derive(Deserialize)]
struct SessionRow {
    id: String,
    invoice_id: String,
    amount: i64,
    state: String,
}

/// A Stripe event recorded as waiting for a payment.
#[derive(Deserialize)]
pub struct Waiting {
    pub id: String,
    pub payload: String,
}

/// What one read brings: what the engine asked for, and the events waiting
/// for the payment the fact may book ([`Reads::wakes`]).
pub struct Read {
    pub known: Known,
    pub waiting: Vec<Waiting>,
    /// The outcome the Stripe event asked about is recorded with, if it is
    /// recorded (a redelivery, or an event waiting for its payment).
    pub recorded: Option<String>,
}

/// Reads what the engine asks for, in one round trip; `None` when the
/// organization does not exist.
/// `event`: a Stripe event whose being recorded already is read too.
pub async fn read(
    ctx: &Ctx,
    org_id: &str,
    r: &Reads,
    event: Option<&str>,
) -> Result<Option<Read>, ApiError> {
    let ids = serde_json::to_string(&r.invoices).unwrap_or_else(|_| "[]".into());
    let args = || params![org_id, ids.as_str(), r.payment.clone()];
    let stmts = vec![
        // The organization, and its demo clock in the same round trip
        // (always absent in production, where nothing writes the table).
        db::stmt(
            &ctx.db,
            "SELECT o.id, (SELECT k.offset_ms FROM dev_clocks k WHERE k.organization_id = o.id) AS clock_offset_ms \
             FROM organizations o WHERE o.id = ?1",
            params![org_id],
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "{CONCERNED}SELECT i.id, i.number, i.customer_id, c.email, i.currency, i.total, i.status, i.version, i.early_payment_bp \
                 FROM invoices i JOIN customers c ON c.id = i.customer_id \
                 WHERE i.organization_id = ?1 AND i.id IN (SELECT id FROM concerned)"
            ),
            args(),
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "{CONCERNED}SELECT invoice_id, external_id, kind, method, amount, currency, reference, received_on \
                 FROM payments WHERE organization_id = ?1 AND invoice_id IN (SELECT id FROM concerned)"
            ),
            args(),
        )?,
        db::stmt(
            &ctx.db,
            &format!(
                "{CONCERNED}SELECT id, invoice_id, amount, state FROM checkout_sessions WHERE organization_id = ?1 \
                 AND (id = ?4 OR (invoice_id IN (SELECT id FROM concerned) AND state IN ('open', 'processing')))"
            ),
            {
                let mut a = args();
                a.push(r.session.clone().into());
                a
            },
        )?,
        db::stmt(
            &ctx.db,
            "SELECT id, payload FROM stripe_events WHERE organization_id = ?1 AND payment_key = ?2 AND outcome = 'pending' ORDER BY received_at",
            params![org_id, r.wakes.clone()],
        )?,
        db::stmt(
            &ctx.db,
            "SELECT outcome FROM stripe_events WHERE id = ?1",
            params![event],
        )?,
    ];
    let results = ctx
        .db
        .batch(stmts)
        .await
        .map_err(|e| ApiError::internal(format!("ledger read: {e}")))?;
    let [org, invoices, rows, sessions, waiting, recorded] = results.as_slice() else {
        return Err(ApiError::internal("ledger read: six results expected"));
    };
    let decode = |e: worker::Error| ApiError::internal(format!("ledger read: {e}"));
    #[derive(Deserialize)]
    struct Org {
        clock_offset_ms: Option<i64>,
    }
    let Some(org) = org.results::<Org>().map_err(decode)?.into_iter().next() else {
        return Ok(None);
    };
    ctx.clock_read(org.clock_offset_ms.unwrap_or(0));
    let rows: Vec<LedgerRow> = rows.results().map_err(decode)?;
    let invoices: Vec<InvoiceRow> = invoices.results().map_err(decode)?;
    let sessions: Vec<SessionRow> = sessions.results().map_err(decode)?;
    let waiting: Vec<Waiting> = waiting.results().map_err(decode)?;
    let known = Known {
        invoices: invoices
            .into_iter()
            .map(|i| Invoice {
                rows: rows
                    .iter()
                    .filter(|r| r.invoice_id == i.id)
                    .filter_map(|r| {
                        Some(Row {
                            invoice_id: r.invoice_id.clone(),
                            external_id: r.external_id.clone(),
                            kind: Kind::parse(&r.kind)?,
                            method: r.method.clone(),
                            amount: r.amount,
                            currency: r.currency.clone(),
                            reference: r.reference.clone(),
                            received_on: r.received_on.clone(),
                        })
                    })
                    .collect(),
                status: InvoiceStatus::parse(&i.status).unwrap_or(InvoiceStatus::Open),
                id: i.id,
                number: i.number,
                customer_id: i.customer_id,
                email: i.email,
                currency: i.currency,
                total: i.total,
                version: i.version,
                discount_cap: i.early_payment_bp.map_or(0, |bp| {
                    settle_shared::money::round_div(i128::from(i.total) * i128::from(bp), 10_000)
                        as i64
                }),
            })
            .collect(),
        sessions: sessions
            .into_iter()
            .filter_map(|s| {
                Some(Session {
                    state: SessionState::parse(&s.state)?,
                    id: s.id,
                    invoice_id: s.invoice_id,
                    amount: s.amount,
                })
            })
            .collect(),
    };
    let recorded = recorded
        .results::<serde_json::Value>()
        .map_err(decode)?
        .first()
        .and_then(|r| r["outcome"].as_str().map(str::to_owned));
    Ok(Some(Read {
        known,
        waiting,
        recorded,
    }))
}

/// A card dispute's record, created or brought up to date; one that ended
/// stays ended (a late `created` does not reopen it).
fn chargeback(
    ctx: &Ctx,
    org_id: &str,
    c: &crate::ledger::Chargeback,
) -> Result<D1PreparedStatement, ApiError> {
    let id = settle_shared::ids::DisputeId::generate(ctx.now_ms() as u64, ctx.random10());
    let status = if c.open { "open" } else { "resolved" };
    db::stmt(
        &ctx.db,
        "INSERT INTO disputes (id, organization_id, invoice_id, customer_id, kind, status, reason, reason_code, disputed_amount, currency, \
         stripe_dispute_id, stripe_status, evidence_due_at, outcome, opened_by, created_at, updated_at, resolved_at) \
         VALUES (?1, ?2, ?3, ?4, 'chargeback', ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'stripe', ?13, ?13, CASE WHEN ?5 = 'open' THEN NULL ELSE ?13 END) \
         ON CONFLICT (stripe_dispute_id, invoice_id) WHERE stripe_dispute_id IS NOT NULL DO UPDATE SET \
         stripe_status = CASE WHEN disputes.status = 'open' THEN excluded.stripe_status ELSE disputes.stripe_status END, \
         evidence_due_at = COALESCE(excluded.evidence_due_at, disputes.evidence_due_at), \
         disputed_amount = MAX(disputes.disputed_amount, excluded.disputed_amount), \
         outcome = CASE WHEN disputes.status = 'open' THEN excluded.outcome ELSE disputes.outcome END, \
         resolved_at = CASE WHEN disputes.status = 'open' AND excluded.status != 'open' THEN excluded.updated_at ELSE disputes.resolved_at END, \
         status = CASE WHEN disputes.status = 'open' THEN excluded.status ELSE disputes.status END, \
         updated_at = excluded.updated_at",
        params![
            id.as_str(),
            org_id,
            &c.invoice_id,
            &c.customer_id,
            status,
            &c.reason,
            c.amount,
            &c.currency,
            &c.dispute,
            &c.stripe_status,
            c.evidence_due_at,
            c.outcome,
            ctx.now_ms()
        ],
    )
}

/// The statements that write `e`, guards first, and the emails to enqueue
/// once they are written. `actor` signs the audit rows.
pub fn statements(
    ctx: &Ctx,
    org_id: &str,
    e: &Effects,
    actor: &str,
) -> Result<(Vec<D1PreparedStatement>, Vec<EmailId>), ApiError> {
    statements_with_ids(ctx, org_id, e, actor, None)
}

/// [`statements`], with the id of the first ledger row given (a manual
/// payment answers with its row).
pub fn statements_with_ids(
    ctx: &Ctx,
    org_id: &str,
    e: &Effects,
    actor: &str,
    first_row_id: Option<&str>,
) -> Result<(Vec<D1PreparedStatement>, Vec<EmailId>), ApiError> {
    let mut stmts = Vec::new();
    for g in &e.guards {
        stmts.push(guard(ctx, org_id, g)?);
    }
    for u in &e.invoices {
        stmts.push(conflict_unless(
            ctx,
            "EXISTS (SELECT 1 FROM invoices WHERE id = ?1 AND organization_id = ?2 AND version = ?3)",
            params![&u.invoice_id, org_id, u.expected_version],
        )?);
    }
    for (i, row) in e.rows.iter().enumerate() {
        let id = match first_row_id.filter(|_| i == 0) {
            Some(id) => id.to_owned(),
            None => PaymentId::generate(ctx.now_ms() as u64, ctx.random10())
                .as_str()
                .to_owned(),
        };
        stmts.push(insert_row(ctx, org_id, &id, row)?);
    }
    for u in &e.invoices {
        stmts.push(update_invoice(ctx, org_id, u)?);
    }
    for c in &e.chargebacks {
        stmts.push(chargeback(ctx, org_id, c)?);
    }
    for (session, state) in &e.sessions {
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE checkout_sessions SET state = ?1 WHERE id = ?2 AND organization_id = ?3",
            params![state.as_str(), session, org_id],
        )?);
    }
    let mut emails = Vec::new();
    for m in &e.emails {
        let id = EmailId::generate(ctx.now_ms() as u64, ctx.random10());
        stmts.push(outbox::queue_email_stmt(
            ctx,
            outbox::QueuedEmail {
                id: &id,
                org_id,
                customer_id: &m.customer_id,
                invoice_id: Some(&m.invoice_id),
                kind: m.kind,
                to: &m.to,
                dedupe_key: Some(m.dedupe_key.clone()),
            },
        )?);
        emails.push(id);
    }
    for a in &e.audit {
        stmts.push(ctx.audit(Audit {
            org: Some(org_id),
            actor,
            action: &a.action,
            subject: &a.subject,
            detail: a.detail.clone(),
        })?);
    }
    for (kind, object) in crate::webhooks::from_ledger(e) {
        stmts.extend(super::api::webhooks::emit(ctx, org_id, kind, &object)?);
    }
    Ok((stmts, emails))
}

/// A guard: Stripe event `id` still waits for its payment.
pub fn still_waiting(ctx: &Ctx, id: &str) -> Result<D1PreparedStatement, ApiError> {
    conflict_unless(
        ctx,
        "EXISTS (SELECT 1 FROM stripe_events WHERE id = ?1 AND outcome = 'pending')",
        params![id],
    )
}

/// A guard: still exactly `count` events waiting for payment `key`.
pub fn waiting_unchanged(
    ctx: &Ctx,
    org_id: &str,
    key: &str,
    count: usize,
) -> Result<D1PreparedStatement, ApiError> {
    conflict_unless(
        ctx,
        "(SELECT COUNT(*) FROM stripe_events WHERE organization_id = ?1 AND payment_key = ?2 AND outcome = 'pending') = ?3",
        params![org_id, key, count as i64],
    )
}

/// A statement that fails the batch unless `condition` holds.
fn conflict_unless(
    ctx: &Ctx,
    condition: &str,
    args: Vec<db::V>,
) -> Result<D1PreparedStatement, ApiError> {
    db::conflict_unless(&ctx.db, condition, args)
}

fn guard(ctx: &Ctx, org_id: &str, g: &Guard) -> Result<D1PreparedStatement, ApiError> {
    match g {
        Guard::SessionState { session, state } => conflict_unless(
            ctx,
            "EXISTS (SELECT 1 FROM checkout_sessions WHERE id = ?1 AND organization_id = ?2 AND state = ?3)",
            params![session, org_id, state.as_str()],
        ),
        Guard::PaymentAbsent { payment } => conflict_unless(
            ctx,
            "NOT EXISTS (SELECT 1 FROM payments WHERE (external_id = 'payment:' || ?1 \
             OR (external_id > 'payment:' || ?1 || ':' AND external_id < 'payment:' || ?1 || ';')) AND organization_id = ?2)",
            params![payment, org_id],
        ),
    }
}

fn insert_row(
    ctx: &Ctx,
    org_id: &str,
    id: &str,
    row: &Row,
) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "INSERT INTO payments (id, organization_id, invoice_id, kind, method, amount, currency, reference, received_on, external_id, created_at, \
         base_currency, base_rate) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
         (SELECT base_currency FROM exchange_rates WHERE organization_id = ?2 AND currency = ?7), \
         (SELECT rate FROM exchange_rates WHERE organization_id = ?2 AND currency = ?7))",
        params![
            id,
            org_id,
            &row.invoice_id,
            row.kind.as_str(),
            &row.method,
            row.amount,
            &row.currency,
            row.reference.clone(),
            &row.received_on,
            row.external_id.clone(),
            ctx.now_ms()
        ],
    )
}

fn update_invoice(ctx: &Ctx, org_id: &str, u: &Update) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "UPDATE invoices SET amount_paid = ?1, status = ?2, version = version + 1, \
         voided_at = CASE WHEN ?5 = 1 THEN ?6 ELSE voided_at END WHERE id = ?3 AND organization_id = ?4",
        params![
            u.amount_paid,
            u.status.as_str(),
            &u.invoice_id,
            org_id,
            i64::from(u.voided),
            ctx.now_ms()
        ],
    )
}
