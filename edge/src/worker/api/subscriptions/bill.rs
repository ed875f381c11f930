//! Billing one subscription in a run: every period that has started by
//! the run's date, each written in one D1 batch with its invoice (see
//! [`super::runs`] for how runs and batches go).

use super::SubscriptionRow;
use super::credit;
use crate::error::ApiError;
use crate::params;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::api::catalog::ItemRow;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use settle_shared::ids::{EmailId, InvoiceId};

/// Periods one subscription may catch up on in one pass.
const MAX_CATCH_UP: usize = 12;

/// What one batch did.
#[derive(Default)]
pub(super) struct Tally {
    pub issued: i64,
    pub skipped: i64,
    pub failed: i64,
    pub emails: Vec<String>,
}

/// Bills one subscription every period that has started by `run_date`.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site, each a read of the batch"
)]
pub(super) async fn bill(
    ctx: &Ctx,
    org: &OrganizationRow,
    run_id: &str,
    run_date: NaiveDate,
    sub: &SubscriptionRow,
    customer: &CustomerRow,
    items: &[ItemRow],
    tally: &mut Tally,
) -> Result<(), ApiError> {
    let settings = org.billing();
    let mut from = sub.billed_to.clone();
    // Credit carried from changes, taken off the invoices in turn.
    let mut credit = sub.credit;
    for _ in 0..MAX_CATCH_UP {
        if sub
            .cancel_at
            .as_deref()
            .is_some_and(|end| end <= from.as_str())
        {
            return end(ctx, org, sub, &from, tally).await;
        }
        let sel = match sub.selection(items) {
            Ok(s) => s,
            Err(e) => return fail(ctx, org, sub, &from, &e.message, tally).await,
        };
        let Some(bill) = settle_shared::time::parse_date(&from).and_then(|f| {
            sel.plan
                .interval
                .map(|iv| settle_shared::billing::next_bill(f, settings.cutoff_day, iv))
        }) else {
            return fail(ctx, org, sub, &from, "the plan has no interval", tally).await;
        };
        if bill.billed.start > run_date {
            return Ok(());
        }
        let req = sel.invoice(
            &customer.id,
            &sub.number,
            &bill,
            run_date,
            settings.due_days,
        );
        let mut inv = match req.validate(run_date) {
            Ok(i) => i,
            Err(e) => {
                return fail(
                    ctx,
                    org,
                    sub,
                    &from,
                    &format!("{}: {}", e.field, e.message),
                    tally,
                )
                .await;
            }
        };
        inv.early_payment =
            crate::worker::api::reminder_config::early_terms(ctx, &org.id, customer, &inv).await?;
        let id = InvoiceId::generate(ctx.now_ms() as u64, ctx.random10());
        let email = EmailId::generate(ctx.now_ms() as u64, ctx.random10());
        let end = bill.billed.end.to_string();
        let mut stmts = vec![db::conflict_unless(
            &ctx.db,
            "EXISTS (SELECT 1 FROM subscriptions WHERE id = ?1 AND status = 'active' AND billed_to = ?2 \
             AND version = ?3 AND credit = ?4)",
            params![&sub.id, &from, sub.version, credit],
        )?];
        stmts.extend(super::issue(ctx, org, customer, &id, &inv, &email).await?);
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO subscription_periods (subscription_id, period_start, period_end, invoice_id, billing_run_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![&sub.id, &from, &end, id.as_str(), run_id, ctx.now_ms()],
        )?);
        // Carried credit: a credit note on the new invoice, up to its total.
        let used = credit.min(inv.totals.total);
        let mut note_emails = Vec::new();
        if used > 0 {
            let fresh = credit::fresh(&id, &inv, customer);
            let reason = format!("Subscription {}: credit from earlier changes", sub.number);
            let note = credit::Note {
                org_id: &org.id,
                subscription_id: &sub.id,
                inv: &fresh,
                sessions: &[],
                amount: used,
                seq: 1,
                reason: &reason,
                actor: "system:billing_run",
            };
            if let Some(w) = credit::note(ctx, &note)? {
                stmts.extend(w.stmts);
                note_emails = w.emails;
            }
        }
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE subscriptions SET billed_to = ?2, failed_period = NULL, credit = credit - ?4, updated_at = ?3 WHERE id = ?1",
            params![&sub.id, &end, ctx.now_ms(), used],
        )?);
        stmts.push(ctx.audit(Audit {
            org: Some(&org.id),
            actor: "system:billing_run",
            action: "subscription.invoiced",
            subject: &sub.id,
            detail: json!({ "invoice_id": id.as_str(), "number": inv.number, "period_start": from,
                            "period_end": bill.billed.last_day().to_string(), "partial": bill.is_partial(),
                            "total": inv.totals.total, "billing_run_id": run_id }),
        })?);
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => {
                tally.issued += 1;
                tally.emails.push(email.to_string());
                tally
                    .emails
                    .extend(note_emails.iter().map(ToString::to_string));
                credit -= used;
                from = end;
            }
            Err(WriteError::Conflict) => {
                tally.skipped += 1;
                return Ok(());
            }
            // Billed already (its number or its period's row exists), or
            // a number taken by another invoice.
            Err(WriteError::Unique(_)) => {
                if catch_up(ctx, sub, &from).await? {
                    tally.skipped += 1;
                    return Ok(());
                }
                let why = format!("an invoice numbered {} exists already", inv.number);
                return fail(ctx, org, sub, &from, &why, tally).await;
            }
            Err(WriteError::Other(e)) => return Err(e),
        }
    }
    Ok(())
}

/// Ends a subscription cancelled at the end of its period, once the run
/// reaches that day: no invoice from then on.
async fn end(
    ctx: &Ctx,
    org: &OrganizationRow,
    sub: &SubscriptionRow,
    from: &str,
    tally: &mut Tally,
) -> Result<(), ApiError> {
    let ended = db::batch(
        &ctx.db,
        vec![
            db::conflict_unless(
                &ctx.db,
                "EXISTS (SELECT 1 FROM subscriptions WHERE id = ?1 AND status = 'active' AND version = ?2)",
                params![&sub.id, sub.version],
            )?,
            db::stmt(
                &ctx.db,
                "UPDATE subscriptions SET status = 'canceled', updated_at = ?2 WHERE id = ?1",
                params![&sub.id, ctx.now_ms()],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: "system:billing_run",
                action: "subscription.ended",
                subject: &sub.id,
                detail: json!({ "ended_on": from, "credit_owed": sub.credit }),
            })?,
        ],
    )
    .await;
    match ended {
        Ok(_) | Err(WriteError::Conflict) => {
            tally.skipped += 1;
            Ok(())
        }
        Err(WriteError::Unique(e)) => Err(ApiError::internal(e)),
        Err(WriteError::Other(e)) => Err(e),
    }
}

/// Whether the period from `from` was billed already; if so, `billed_to`
/// (which did not follow: restored from a backup, say) is moved to the
/// end of the period recorded for it.
async fn catch_up(ctx: &Ctx, sub: &SubscriptionRow, from: &str) -> Result<bool, ApiError> {
    #[derive(Deserialize)]
    struct End {
        period_end: String,
    }
    let Some(end) = db::one::<End>(db::stmt(
        &ctx.db,
        "SELECT period_end FROM subscription_periods WHERE subscription_id = ?1 AND period_start = ?2",
        params![&sub.id, from],
    )?)
    .await?
    else {
        return Ok(false);
    };
    db::stmt(
        &ctx.db,
        "UPDATE subscriptions SET billed_to = ?3, updated_at = ?4 WHERE id = ?1 AND billed_to = ?2",
        params![&sub.id, from, &end.period_end, ctx.now_ms()],
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("billed_to catch-up: {e}")))?;
    Ok(true)
}

/// Marks a period the run cannot bill, with the reason in the audit trail.
async fn fail(
    ctx: &Ctx,
    org: &OrganizationRow,
    sub: &SubscriptionRow,
    from: &str,
    why: &str,
    tally: &mut Tally,
) -> Result<(), ApiError> {
    tally.failed += 1;
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE subscriptions SET failed_period = ?2, updated_at = ?3 WHERE id = ?1 AND billed_to = ?2",
                params![&sub.id, from, ctx.now_ms()],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: "system:billing_run",
                action: "subscription.billing_failed",
                subject: &sub.id,
                detail: json!({ "period_start": from, "reason": why }),
            })?,
        ],
    )
    .await?;
    Ok(())
}
