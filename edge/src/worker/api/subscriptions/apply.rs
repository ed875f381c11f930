//! Writing a decided change in one D1 batch (see [`super::change`]).

use super::change::{Ask, Decided, view_quote};
use super::credit::{self, Note};
use super::{SubscriptionRow, load};
use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::api::catalog::{self};
use crate::worker::api::invoices;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::queue;
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::ChangeResponse;
use settle_shared::billing::change::{self as rules};
use settle_shared::ids::{EmailId, InvoiceId};

/// The invoice the subscription's billed period was issued as, if the
/// billing run issued it.
async fn period_invoice(ctx: &Ctx, sub: &SubscriptionRow) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        invoice_id: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT invoice_id FROM subscription_periods WHERE subscription_id = ?1 AND period_end = ?2 \
         ORDER BY period_start DESC LIMIT 1",
        params![&sub.id, &sub.billed_to],
    )?;
    Ok(db::one::<Id>(s).await?.map(|r| r.invoice_id))
}

/// How many credit notes an invoice has.
async fn notes_on(ctx: &Ctx, org_id: &str, invoice_id: &str) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM credit_notes WHERE organization_id = ?1 AND invoice_id = ?2",
        params![org_id, invoice_id],
    )?;
    Ok(db::one::<Count>(s).await?.map_or(0, |c| c.n))
}

/// Applies a decided change in one batch; a change made meanwhile fails
/// the guard and is refused (409), so a doubled click changes once.
pub(super) async fn apply(
    ctx: &Ctx,
    org: &OrganizationRow,
    customer: &CustomerRow,
    sub: &SubscriptionRow,
    d: &Decided,
    actor: &str,
) -> Result<ChangeResponse, ApiError> {
    let settings = org.billing();
    let q = &d.quote;
    let mut stmts = vec![db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM subscriptions WHERE id = ?1 AND version = ?2 AND status = 'active')",
        params![&sub.id, sub.version],
    )?];
    let mut emails: Vec<EmailId> = Vec::new();
    // Credit targets: the invoice, its sessions, its next note number.
    let mut targets: Vec<(ledger::Invoice, Vec<ledger::checkout::Session>, i64)> = Vec::new();
    let mut issued = None;
    let change_no = sub.version + 1;
    if let Some(req) = q.invoice(
        &customer.id,
        &sub.number,
        change_no,
        d.old.currency.code(),
        settings.due_days,
    ) {
        let inv = req.validate(d.today)?;
        let id = InvoiceId::generate(ctx.now_ms() as u64, ctx.random10());
        let email = EmailId::generate(ctx.now_ms() as u64, ctx.random10());
        stmts.extend(super::issue(ctx, org, customer, &id, &inv, &email).await?);
        emails.push(email);
        targets.push((credit::fresh(&id, &inv, customer), Vec::new(), 1));
        issued = Some((id.as_str().to_owned(), inv.number.clone()));
    }
    if q.credit.total > 0
        && let Some(invoice_id) = period_invoice(ctx, sub).await?
    {
        let (inv, sessions) = invoices::books_of(ctx, &org.id, &invoice_id).await?;
        let seq = notes_on(ctx, &org.id, &invoice_id).await? + 1;
        targets.push((inv, sessions, seq));
    }
    let owed: Vec<i64> = targets
        .iter()
        .map(|(inv, _, _)| ledger::due(inv.status, inv.total, inv.paid()))
        .collect();
    let (notes, mut carried) = rules::spread(q.credit.total, &owed);
    let mut credited = 0;
    let reason = format!("Subscription {}: change on {}", sub.number, d.today);
    for ((inv, sessions, seq), amount) in targets.iter().zip(notes) {
        if amount == 0 {
            continue;
        }
        let note = Note {
            org_id: &org.id,
            subscription_id: &sub.id,
            inv,
            sessions,
            amount,
            seq: *seq,
            reason: &reason,
            actor,
        };
        match credit::note(ctx, &note)? {
            Some(w) => {
                for session in &w.expire {
                    invoices::close_open_session(ctx, &org.id, session).await?;
                }
                stmts.extend(w.stmts);
                emails.extend(w.emails);
                credited += amount;
            }
            None => carried += amount,
        }
    }
    let (plan_id, quantity, add_ons) = match &d.ask {
        Ask::Change { sel, plan_id } => (plan_id.clone(), sel.quantity, sel.add_on_quantities()),
        _ => (sub.plan_id.clone(), sub.quantity, d.old.add_on_quantities()),
    };
    let today = d.today.to_string();
    // Nothing billed ahead of today: cancelling at the period's end is
    // cancelling now.
    let ends_now = matches!(d.ask, Ask::CancelNow)
        || (matches!(d.ask, Ask::CancelAtEnd) && sub.billed_to <= today);
    let (status, cancel_at) = match d.ask {
        _ if ends_now => ("canceled", Some(today.clone())),
        Ask::CancelAtEnd => ("active", Some(sub.billed_to.clone())),
        _ => ("active", None),
    };
    let add_ons_json =
        serde_json::to_string(&add_ons).map_err(|e| ApiError::internal(e.to_string()))?;
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE subscriptions SET plan_id = ?2, quantity = ?3, add_ons = ?4, status = ?5, cancel_at = ?6, \
         credit = credit + ?7, version = version + 1, failed_period = NULL, updated_at = ?8 WHERE id = ?1",
        params![
            &sub.id,
            &plan_id,
            quantity,
            &add_ons_json,
            status,
            cancel_at.clone(),
            carried,
            ctx.now_ms()
        ],
    )?);
    let quote = view_quote(d);
    let plan_code = items_code(&d.ask).unwrap_or_else(|| sub.plan_code.clone());
    let object = json!({
        "id": sub.id, "number": sub.number, "customer_id": customer.id, "status": status,
        "cancel_at": cancel_at, "change": d.ask.action(),
        "from": { "plan": sub.plan_code, "quantity": sub.quantity, "add_ons": d.old.add_on_quantities() },
        "to": { "plan": plan_code, "quantity": quantity, "add_ons": add_ons },
        "proration": { "currency": quote.currency, "charge": quote.charge, "credit": quote.credit, "net": quote.net,
                       "invoice_id": issued.as_ref().map(|i| i.0.clone()), "credited": credited, "carried": carried },
    });
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor,
        action: d.ask.action(),
        subject: &sub.id,
        detail: object.clone(),
    })?);
    stmts.extend(crate::worker::api::webhooks::emit(
        ctx,
        &org.id,
        "subscription.changed",
        &object,
    )?);
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(WriteError::Conflict | WriteError::Unique(_)) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "This subscription or its invoice changed meanwhile; nothing was changed. Look at it again.",
            ));
        }
        Err(WriteError::Other(e)) => return Err(e),
    }
    for e in &emails {
        queue::enqueue_email(ctx, e.as_str()).await;
    }
    let row = load(ctx, &org.id, &sub.id).await?;
    let items = catalog::all(ctx, &org.id).await?;
    Ok(ChangeResponse {
        quote,
        subscription: row.view(org, &items),
        invoice_id: issued.as_ref().map(|i| i.0.clone()),
        invoice_number: issued.map(|i| i.1),
        credited,
        carried,
    })
}

/// The plan code a change moves to, when it names one.
fn items_code(ask: &Ask) -> Option<String> {
    match ask {
        Ask::Change { sel, .. } => Some(sel.plan.code.clone()),
        _ => None,
    }
}
