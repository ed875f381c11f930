//! The charge: the cron finds schedules whose time has come and queues a
//! job for each; the job charges the saved method off-session.
//!
//! Exactly once: an attempt is written down (its Idempotency-Key and
//! amount) before Stripe is asked, conditional on the schedule not having
//! moved, so two jobs cannot both start it. A job that dies after Stripe
//! charged and before the outcome was recorded leaves the attempt
//! `charging`; the next run asks Stripe again with the same key and the
//! same parameters, Stripe answers with the same PaymentIntent, and the
//! ledger (keyed by the PaymentIntent) books it once.

use super::row::ScheduleRow;
use super::{account, send};
use crate::autopay::{self, Answer, Next, Status};

use crate::error::ApiError;
use crate::params;
use crate::stripe::api::StripeError;
use crate::stripe::saved::{self, NewCharge};
use crate::worker::api::{invoices, organizations, plans};
use crate::worker::cron::Scope;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db;
use crate::worker::outbox::{QueuedEmail, queue_email_stmt};
use crate::worker::queue::{self, Job, Outcome, enqueue_email};
use crate::worker::stripe_events;
use serde::Deserialize;
use serde_json::{Value, json};
use settle_shared::ids::EmailId;

/// An attempt not recorded for this long is asked again (the job died).
const STALLED_MS: i64 = 10 * 60 * 1000;
/// How often a bank debit still settling is looked at.
const PROCESSING_CHECK_MS: i64 = 60 * 60 * 1000;

/// Cron: queues a job for every schedule whose time has come (its charge,
/// a retry, a stalled attempt, a debit to look at again). Answers how many.
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Due {
        id: String,
    }
    let mut args = params![ctx.now_ms()];
    args.extend(scope.params(ctx));
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT id FROM scheduled_payments WHERE status IN {} AND next_attempt_at <= ?1 AND {} ORDER BY next_attempt_at LIMIT 200",
            super::LIVE,
            Scope::filter("organization_id", 2, 3)
        ),
        args,
    )?;
    let due: Vec<Due> = db::all(s).await?;
    for d in &due {
        let job = Job::Charge {
            schedule_id: d.id.clone(),
        };
        if let Err(e) = queue::enqueue(ctx, job).await {
            worker::console_error!("enqueue charge {}: {e}; the next run will", d.id);
        }
    }
    Ok(due.len())
}

/// The queued job: one step of a schedule whose time has come.
pub async fn run(ctx: &Ctx, id: &str) -> Result<Outcome, ApiError> {
    let Some(row) = super::row::by_id(ctx, id).await? else {
        return Ok(Outcome::Done);
    };
    ctx.use_clock_of(&row.organization_id).await?;
    // An attempt under way may always be asked again (same key, same
    // answer); anything else waits for its time.
    let early = row.next_attempt_at.is_none_or(|at| at > ctx.now_ms());
    if early && row.status() != Status::Charging {
        return Ok(Outcome::Done);
    }
    match row.status() {
        Status::Scheduled | Status::Retrying => start(ctx, row).await,
        Status::Charging => attempt(ctx, row).await,
        Status::Processing => look_again(ctx, row).await,
        _ => Ok(Outcome::Done),
    }
}

/// A statement that fails its batch unless the schedule is still as it was
/// read: a repeated job, or the customer's change meanwhile, writes nothing.
fn as_read(ctx: &Ctx, row: &ScheduleRow) -> Result<worker::D1PreparedStatement, ApiError> {
    db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM scheduled_payments WHERE id = ?1 AND status = ?2 AND attempts = ?3 AND updated_at = ?4)",
        params![&row.id, &row.status, row.attempts, row.updated_at],
    )
}

/// Writes the next attempt down, then makes it; or ends the schedule when
/// there is nothing to charge.
async fn start(ctx: &Ctx, row: ScheduleRow) -> Result<Outcome, ApiError> {
    let inv = invoices::load(ctx, &row.organization_id, &row.invoice_id).await?;
    let now = ctx.now_ms();
    let offer = inv.early_offer(now).map(|(_, o)| o);
    let due = (inv.total - inv.amount_paid).max(0);
    let mut amount = autopay::amount(due, offer.map(|o| o.pay), row.amount_cap);
    let mut discount = offer.filter(|o| o.pay == amount).map_or(0, |o| o.discount);
    // An instalment's charge stands only while its plan does; for a plan
    // over several invoices it spreads over them, the oldest due first.
    let plan = match &row.plan_id {
        Some(id) => Some(plans::row::load(ctx, &row.organization_id, id).await?),
        None => None,
    };
    let plan_live = plan.as_ref().is_none_or(|p| p.status == "active");
    let mut allocation = None;
    // A payment on its way, or a dispute, on any invoice the charge covers.
    let (mut held, mut disputed) = (inv.processing != 0, inv.dispute_id.is_some());
    if let Some(p) = plan.as_ref().filter(|p| p.members().len() > 1) {
        let parts = p.split(row.amount_cap.unwrap_or(0));
        amount = parts.iter().map(|(_, _, a)| a).sum();
        discount = 0;
        let split: Vec<String> = parts.iter().map(|(i, _, a)| format!("{i}:{a}")).collect();
        allocation = Some(split.join(","));
        for (id, _, _) in parts.iter().filter(|(id, _, _)| *id != inv.id) {
            let other = invoices::load(ctx, &row.organization_id, id).await?;
            held |= other.processing != 0;
            disputed |= other.dispute_id.is_some();
        }
    }
    // A Checkout payment of the invoice is on its way (a bank debit
    // settling): look again in an hour rather than charge it twice.
    if held {
        db::batch_unless_raced(
            &ctx.db,
            vec![
                as_read(ctx, &row)?,
                db::stmt(
                    &ctx.db,
                    "UPDATE scheduled_payments SET next_attempt_at = ?1 WHERE id = ?2",
                    params![now + PROCESSING_CHECK_MS, &row.id],
                )?,
            ],
        )
        .await?;
        return Ok(Outcome::Done);
    }
    // Nothing to charge, or nothing that may be: the schedule ends here.
    let ended = if (allocation.is_none() && inv.status != "open") || amount == 0 {
        Some("invoice_settled")
    } else if disputed {
        Some("invoice_disputed")
    } else if !plan_live {
        Some("plan_ended")
    } else {
        None
    };
    if let Some(why) = ended {
        db::batch_unless_raced(
            &ctx.db,
            vec![
                as_read(ctx, &row)?,
                db::stmt(
                    &ctx.db,
                    "UPDATE scheduled_payments SET status = 'cancelled', ended_at = ?1, ended_by = ?2, updated_at = ?1, next_attempt_at = NULL WHERE id = ?3",
                    params![now, why, &row.id],
                )?,
                ctx.audit(Audit {
                    org: Some(&row.organization_id),
                    actor: "autopay",
                    action: "scheduled_payment.cancelled",
                    subject: &row.invoice_id,
                    detail: json!({ "scheduled_payment_id": row.id, "reason": why }),
                })?,
            ],
        )
        .await?;
        return Ok(Outcome::Done);
    }
    let n = row.attempts.max(0) as u32 + 1;
    let key = autopay::attempt_key(&row.id, n);
    let started = db::batch_unless_raced(
        &ctx.db,
        vec![
            as_read(ctx, &row)?,
            db::stmt(
                &ctx.db,
                "UPDATE scheduled_payments SET status = 'charging', attempts = ?1, attempt_key = ?2, attempt_amount = ?3, \
                 attempt_discount = ?4, attempt_allocation = ?8, next_attempt_at = ?5, updated_at = ?6 WHERE id = ?7",
                params![i64::from(n), &key, amount, discount, now + STALLED_MS, now, &row.id, allocation],
            )?,
        ],
    )
    .await?;
    if !started {
        return Ok(Outcome::Done);
    }
    let Some(r) = super::row::by_id(ctx, &row.id).await? else {
        return Ok(Outcome::Done);
    };
    // A method removed, or saved at another Stripe account than the one
    // the company uses now: this attempt fails without asking Stripe.
    let usable = r.method_removed_at.is_none()
        && account(ctx, &r.organization_id)
            .await?
            .is_some_and(|a| a.name == r.method_account);
    if !usable {
        let org = organizations::load(ctx, &r.organization_id).await?;
        let gone = Answer::MethodGone {
            message: "The saved card or bank account can no longer be used.".into(),
        };
        return settle(ctx, &org, &r, gone, None).await;
    }
    attempt(ctx, r).await
}

/// Asks Stripe to charge the attempt written down (again, after a crash:
/// the same key and parameters get the same PaymentIntent back, whatever
/// happened to the method since).
async fn attempt(ctx: &Ctx, row: ScheduleRow) -> Result<Outcome, ApiError> {
    let (Some(key), Some(amount)) = (row.attempt_key.clone(), row.attempt_amount) else {
        return Ok(Outcome::Done);
    };
    let org = organizations::load(ctx, &row.organization_id).await?;
    let Some(acct) = account(ctx, &org.id).await? else {
        // Payments were switched off meanwhile: the attempt waits.
        return Ok(Outcome::RetryIn(600));
    };
    let description = format!("Invoice {}", row.invoice_number);
    let currency = row.currency.to_ascii_lowercase();
    // A plan's instalment over several invoices: the split written down
    // with the attempt, and the first invoice it names.
    let allocation = row
        .attempt_allocation
        .as_deref()
        .and_then(crate::stripe::reconcile::parse_allocation)
        .unwrap_or_default();
    let invoice_id = allocation
        .first()
        .map_or(row.invoice_id.as_str(), |(i, _)| i);
    let request = saved::create_charge(
        &ctx.config.stripe_api_base,
        acct.key.expose(),
        &key,
        &NewCharge {
            organization_id: &org.id,
            invoice_id,
            schedule_id: &row.id,
            description: &description,
            amount,
            currency: &currency,
            stripe_customer: &row.stripe_customer_id,
            payment_method: &row.payment_method_id,
            kind: &row.method_kind,
            discount: row.attempt_discount,
            allocation: &allocation,
        },
    );
    let Ok(reply) = send(request).await else {
        return Ok(Outcome::RetryIn(60));
    };
    let answer = match saved::read_charge(reply.status, &reply.body) {
        Ok(a) => a,
        Err(StripeError::Unavailable(m)) => {
            worker::console_error!("charge {}: {m}; asked again", row.id);
            return Ok(Outcome::RetryIn(60));
        }
        // Stripe refused the request itself (nothing was charged).
        Err(StripeError::Refused(m)) => Answer::Declined {
            payment_intent: None,
            code: "payment_refused".into(),
            message: m,
        },
    };
    let intent = serde_json::from_str::<Value>(&reply.body).ok();
    settle(ctx, &org, &row, answer, intent).await
}

/// A bank debit still settling: where it stands at Stripe now. Only a
/// success or a failure moves it; anything else (no answer, an account
/// changed meanwhile) is looked at again in an hour.
async fn look_again(ctx: &Ctx, row: ScheduleRow) -> Result<Outcome, ApiError> {
    let org = organizations::load(ctx, &row.organization_id).await?;
    let answer = match (row.payment_intent_id.clone(), account(ctx, &org.id).await?) {
        (Some(pi), Some(acct)) => {
            match send(saved::get_charge(
                &ctx.config.stripe_api_base,
                acct.key.expose(),
                &pi,
            ))
            .await
            {
                Ok(reply) => saved::read_charge(reply.status, &reply.body)
                    .ok()
                    .map(|a| (a, serde_json::from_str::<Value>(&reply.body).ok())),
                Err(_) => None,
            }
        }
        _ => None,
    };
    match answer {
        Some((a @ (Answer::Succeeded { .. } | Answer::Declined { .. }), intent)) => {
            settle(ctx, &org, &row, a, intent).await
        }
        _ => {
            db::stmt(
                &ctx.db,
                "UPDATE scheduled_payments SET next_attempt_at = ?1 WHERE id = ?2 AND status = 'processing'",
                params![ctx.now_ms() + PROCESSING_CHECK_MS, &row.id],
            )?
            .run()
            .await
            .map_err(|e| ApiError::internal(format!("schedule check: {e}")))?;
            Ok(Outcome::Done)
        }
    }
}

/// Records what an attempt came to: the payment in the ledger (as its
/// webhook would), then the schedule's next state, its email and audit row,
/// conditional on the attempt still being the one under way.
async fn settle(
    ctx: &Ctx,
    org: &crate::rows::OrganizationRow,
    row: &ScheduleRow,
    answer: Answer,
    intent: Option<Value>,
) -> Result<Outcome, ApiError> {
    let today = row.zone().date(ctx.now_ms());
    let date = row.date().unwrap_or(today);
    let n = row.attempts.max(0) as u32;
    let next = autopay::after(&answer, n, date, &org.retry_days());
    if let (Next::Paid, Some(pi)) = (next, &intent) {
        // First the money: if the job dies here, the next run books the
        // same PaymentIntent, which the ledger takes once.
        stripe_events::record_charged(ctx, &org.id, pi).await?;
    }
    let now = ctx.now_ms();
    let pi = match &answer {
        Answer::Succeeded { payment_intent } | Answer::Processing { payment_intent } => {
            Some(payment_intent.clone())
        }
        Answer::Declined { payment_intent, .. } => payment_intent.clone(),
        Answer::MethodGone { .. } => None,
    };
    let (error, code) = match &answer {
        Answer::Declined { code, message, .. } => (Some(message.clone()), Some(code.clone())),
        Answer::MethodGone { message } => (
            Some(message.clone()),
            Some("payment_method_removed".to_owned()),
        ),
        _ => (None, None),
    };
    let was = if row.status() == Status::Processing {
        "processing"
    } else {
        "charging"
    };
    let mut stmts = vec![db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM scheduled_payments WHERE id = ?1 AND status = ?2 AND attempts = ?3)",
        params![&row.id, was, row.attempts],
    )?];
    let (status, next_at, ended, action) = match next {
        Next::Paid => ("paid", None, Some(now), "scheduled_payment.charged"),
        Next::Processing => (
            "processing",
            Some(now + PROCESSING_CHECK_MS),
            None,
            "scheduled_payment.processing",
        ),
        Next::RetryOn(day) => {
            let spec = crate::worker::reminders::window_spec(&org.reminders());
            let mut at = autopay::charge_at(&row.zone(), spec.start_min, day);
            // A debit that failed days after its date: its retry day may
            // have passed already; then tomorrow, never in the past.
            if at <= now {
                at = autopay::charge_at(
                    &row.zone(),
                    spec.start_min,
                    today + chrono::Duration::days(1),
                );
            }
            ("retrying", Some(at), None, "scheduled_payment.failed")
        }
        Next::GiveUp => ("failed", None, Some(now), "scheduled_payment.failed"),
    };
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE scheduled_payments SET status = ?1, next_attempt_at = ?2, ended_at = ?3, ended_by = CASE WHEN ?3 IS NULL THEN NULL ELSE 'autopay' END, \
         payment_intent_id = COALESCE(?4, payment_intent_id), last_error = ?5, last_error_code = ?6, updated_at = ?7 WHERE id = ?8",
        params![status, next_at, ended, pi.clone(), error.clone(), code.clone(), now, &row.id],
    )?);
    let mut email = None;
    if matches!(next, Next::RetryOn(_) | Next::GiveUp) {
        let key = format!("schedule:{}:{n}", row.id);
        let eid = EmailId::generate(now as u64, crate::security::stable_bytes(&key));
        stmts.push(queue_email_stmt(
            ctx,
            QueuedEmail {
                id: &eid,
                org_id: &row.organization_id,
                customer_id: &row.customer_id,
                invoice_id: Some(&row.invoice_id),
                kind: "scheduled_payment_failed",
                to: &row.customer_email,
                dedupe_key: Some(key),
            },
        )?);
        email = Some(eid);
    }
    stmts.push(ctx.audit(Audit {
        org: Some(&row.organization_id),
        actor: "autopay",
        action,
        subject: &row.invoice_id,
        detail: json!({ "scheduled_payment_id": row.id, "attempt": n, "amount": row.attempt_amount, "currency": row.currency,
                        "payment_intent": pi, "error": error, "code": code, "method": row.method(),
                        "next_attempt_on": match next { Next::RetryOn(d) => Some(d.to_string()), _ => None } }),
    })?);
    if db::batch_unless_raced(&ctx.db, stmts).await?
        && let Some(eid) = email
    {
        enqueue_email(ctx, eid.as_str()).await;
    }
    Ok(Outcome::Done)
}
