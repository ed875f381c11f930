//! What the cron will send: the planner run ahead over open invoices.

use super::*;

/// A step expected to go out, as things stand now.
#[derive(Debug, Serialize)]
pub struct Upcoming {
    pub at: String,
    pub customer_id: String,
    pub invoice_id: String,
    pub number: String,
    pub policy_id: String,
    pub offset_days: i32,
    pub tone: &'static str,
}

#[derive(Deserialize)]
struct OpenRow {
    id: String,
    customer_id: String,
    number: String,
    currency: String,
    due_date: String,
    total: i64,
    amount_paid: i64,
    reminder_cursor: Option<i64>,
    created_at: i64,
    time_zone: String,
    tags: String,
    stopped: i64,
    disputed: i64,
    promised: i64,
}

/// The reminder steps of an organization's open invoices due after now
/// and up to `until`, computed by the same planner the cron uses, as
/// things stand now: invoices under a dispute or a promise (in the
/// customer's own date), and customers who opted out or whose address
/// fails, are left out. Steps of one customer at one time are one email.
pub async fn upcoming(ctx: &Ctx, org_id: &str, until: i64) -> Result<Vec<Upcoming>, ApiError> {
    let plan = OrgPlan::load(ctx, org_id).await?;
    let s = db::stmt(
        &ctx.db,
        "SELECT i.id, i.customer_id, i.number, i.currency, i.due_date, i.total, i.amount_paid, i.reminder_cursor, i.created_at, \
         c.time_zone, c.tags, (c.reminders_opt_out != 0 OR c.email_status != 'ok') AS stopped, \
         EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.status = 'open' AND d.kind != 'conversation') AS disputed, \
         EXISTS (SELECT 1 FROM promises p WHERE p.invoice_id = i.id AND p.status = 'active') \
         OR EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans pp ON pp.id = pi.plan_id WHERE pi.invoice_id = i.id AND pp.status = 'active') AS promised \
         FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.organization_id = ?1 AND i.status = 'open' ORDER BY i.due_date, i.id LIMIT 1000",
        params![org_id],
    )?;
    let rows: Vec<OpenRow> = db::all(s).await?;
    let history = if segment::needs_history(&plan.segments) {
        let mut customers: Vec<&str> = rows.iter().map(|r| r.customer_id.as_str()).collect();
        settle_shared::sort::sort(&mut customers);
        customers.dedup();
        late_payments_of(ctx, org_id, &customers).await?.0
    } else {
        HashMap::new()
    };
    let mut out = Vec::new();
    for r in &rows {
        if r.stopped != 0 || r.disputed != 0 || r.promised != 0 {
            continue;
        }
        let w = Window::new(&plan.spec, zone(&r.time_zone));
        let today = w.local(ctx.now_ms()).0;
        let (Some(due), Ok(currency)) = (
            settle_shared::time::parse_date(&r.due_date),
            Currency::parse(&r.currency),
        ) else {
            continue;
        };
        let tags: Vec<String> = serde_json::from_str(&r.tags).unwrap_or_default();
        let facts = Facts {
            tags: &tags,
            balance: Money {
                amount: r.total - r.amount_paid,
                currency,
            },
            days_overdue: (today - due).num_days(),
            late_payments_12m: history.get(&r.customer_id).copied().unwrap_or(0),
        };
        let (policy_id, steps) = plan.policy(&facts);
        let from = r.reminder_cursor.unwrap_or(r.created_at).max(ctx.now_ms());
        // Steps sharing a slot: only the latest goes (the others are superseded).
        let mut by_slot: BTreeMap<i64, usize> = BTreeMap::new();
        for sl in slots(steps, due, &w) {
            if sl.at_ms > from && sl.at_ms <= until {
                by_slot.insert(sl.at_ms, sl.step);
            }
        }
        for (at, i) in by_slot {
            out.push(Upcoming {
                at: settle_shared::time::rfc3339_from_millis(at),
                customer_id: r.customer_id.clone(),
                invoice_id: r.id.clone(),
                number: r.number.clone(),
                policy_id: policy_id.to_owned(),
                offset_days: steps[i].offset_days,
                tone: steps[i].tone.as_str(),
            });
        }
    }
    settle_shared::sort::sort_by(&mut out, |a, b| {
        a.at.cmp(&b.at)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    Ok(out)
}
