//! A sent step's actions: the late fee, the flag for agents, stopping plans.

use super::send::OccurrenceRow;
use super::*;
use crate::reminders::actions::ActionEffect;
use settle_shared::reminders::StepAction;

/// Applies the actions of sent steps that have not been applied yet: those
/// of one email right after it is sent, or (`None`) any left over by a
/// worker that stopped in between, from the cron. Actions run only once the
/// reminder is sent: a reminder that never went out adds no fee.
pub async fn apply_pending_actions(
    ctx: &Ctx,
    email_id: Option<&str>,
    scope: Scope<'_>,
) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Pending {
        id: String,
        organization_id: String,
        customer_id: String,
        invoice_id: String,
        offset_days: i64,
        tone: String,
        template: String,
        actions: String,
    }
    let mut args = params![email_id];
    args.extend(scope.params(ctx));
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT id, organization_id, customer_id, invoice_id, offset_days, tone, template, actions FROM reminder_occurrences \
             WHERE status = 'sent' AND actions != '[]' AND actions_applied_at IS NULL AND (?1 IS NULL OR email_id = ?1) AND {} LIMIT 100",
            Scope::filter("organization_id", 2, 3)
        ),
        args,
    )?;
    for p in db::all::<Pending>(s).await? {
        let org = organizations::load(ctx, &p.organization_id).await?;
        let s = db::stmt(
            &ctx.db,
            "SELECT * FROM customers WHERE id = ?1",
            params![&p.customer_id],
        )?;
        let Some(customer) = db::one::<CustomerRow>(s).await? else {
            continue;
        };
        let inv = invoices::load(ctx, &org.id, &p.invoice_id).await?;
        let o = OccurrenceRow {
            id: p.id,
            invoice_id: p.invoice_id,
            offset_days: p.offset_days,
            tone: p.tone,
            template: p.template,
            actions: p.actions,
        };
        apply_actions(ctx, &org, &org.reminders(), &customer, &o, &inv).await?;
    }
    Ok(())
}

/// A step's actions: the late fee (when the organization has one), the
/// flag for agents, stopping self-service plans. The first statement marks
/// the occurrence; every other one runs only if that mark was made now, so
/// a retry applies nothing twice.
async fn apply_actions(
    ctx: &Ctx,
    org: &OrganizationRow,
    settings: &ReminderSettings,
    customer: &CustomerRow,
    o: &OccurrenceRow,
    inv: &InvoiceRow,
) -> Result<(), ApiError> {
    let actions: Vec<StepAction> = serde_json::from_str(&o.actions).unwrap_or_default();
    if actions.is_empty() {
        return Ok(());
    }
    // Each guarded statement binds its own values as ?1.. and the guard as ?9, ?10.
    let mine =
        "EXISTS (SELECT 1 FROM reminder_occurrences WHERE id = ?9 AND actions_applied_at = ?10)";
    let guarded = |sql: String, mut args: Vec<db::V>| {
        args.resize_with(8, || db::V::N);
        args.extend(params![&o.id, ctx.now_ms()]);
        db::stmt(&ctx.db, &sql, args)
    };
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "UPDATE reminder_occurrences SET actions_applied_at = ?1 WHERE id = ?2 AND actions_applied_at IS NULL",
        params![ctx.now_ms(), &o.id],
    )?];
    let mut done = Vec::new();
    let effects = crate::reminders::actions::effects(
        &actions,
        settings.late_fee_percent,
        inv.total - inv.amount_paid,
        o.offset_days,
        &inv.number,
    );
    for effect in effects {
        match effect {
            ActionEffect::LateFee {
                amount,
                description,
            } => {
                stmts.push(guarded(
                    format!(
                        "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_amount, tax_rate_milli, net, tax) \
                         SELECT ?1, (SELECT COALESCE(MAX(position), -1) + 1 FROM invoice_lines WHERE invoice_id = ?1), ?2, 1000, ?3, 0, ?3, 0 WHERE {mine}"
                    ),
                    params![&inv.id, description, amount],
                )?);
                // A new total changes what the ledger engine decides on.
                stmts.push(guarded(
                    format!(
                        "UPDATE invoices SET subtotal = subtotal + ?1, total = total + ?1, version = version + 1 WHERE id = ?2 AND status = 'open' AND {mine}"
                    ),
                    params![amount, &inv.id],
                )?);
                // Its sale was counted on its issue date: the metric days
                // from then on are written again (see metrics::days).
                stmts.push(crate::worker::api::metrics::days::send_back(
                    ctx,
                    &org.id,
                    &inv.currency,
                    &inv.issue_date,
                )?);
                done.push(
                    json!({ "action": "late_fee", "amount": amount, "currency": inv.currency }),
                );
            }
            ActionEffect::Flag { reason } => {
                stmts.push(guarded(
                    format!(
                        "UPDATE customers SET flagged_at = COALESCE(flagged_at, ?1), flag_reason = ?2 WHERE id = ?3 AND {mine}"
                    ),
                    params![ctx.now_ms(), reason, &customer.id],
                )?);
                done.push(json!({ "action": "flag_account" }));
            }
            ActionEffect::StopPaymentPlans => {
                stmts.push(guarded(
                    format!(
                        "UPDATE customers SET payment_plans_blocked = 1 WHERE id = ?1 AND {mine}"
                    ),
                    params![&customer.id],
                )?);
                done.push(json!({ "action": "stop_payment_plans" }));
            }
        }
    }
    stmts.push(ctx.audit_if(
        Audit {
            org: Some(&org.id),
            actor: "system",
            action: "reminder.actions_applied",
            subject: &o.id,
            detail: json!({ "invoice_id": inv.id, "customer_id": customer.id, "actions": done }),
        },
        "SELECT 1 FROM reminder_occurrences WHERE id = ?9 AND actions_applied_at = ?10",
        params![&o.id, ctx.now_ms()],
    )?);
    db::batch(&ctx.db, stmts).await?;
    Ok(())
}
