//! Monthly statements: each customer with open invoices gets one on the
//! first open day of their own month, in their window.

use super::*;

#[derive(Deserialize)]
struct StatementRow {
    id: String,
    organization_id: String,
    time_zone: String,
    email: String,
    next_statement_at: i64,
    open_count: i64,
}

/// Monthly statements: customers whose statement time has come.
pub(super) async fn plan(
    ctx: &Ctx,
    scope: Scope<'_>,
    orgs: &mut HashMap<String, OrgPlan>,
    report: &mut TickReport,
) -> Result<(), ApiError> {
    let mut args = params![ctx.now_ms(), BATCH];
    args.extend(scope.params(ctx));
    let s = db::stmt(
        &ctx.db,
        &format!(
            "SELECT c.id, c.organization_id, c.time_zone, c.email, c.next_statement_at, \
         (SELECT COUNT(*) FROM invoices i WHERE i.organization_id = c.organization_id AND i.customer_id = c.id AND i.status = 'open') AS open_count \
         FROM customers c WHERE c.next_statement_at IS NOT NULL AND c.next_statement_at <= ?1 \
         AND {} ORDER BY c.next_statement_at, c.id LIMIT ?2",
            Scope::filter("c.organization_id", 3, 4)
        ),
        args,
    )?;
    let (rows, read) = db::all_counted::<StatementRow>(s).await?;
    report.d1_rows_read += read;
    let mut writes = Writes {
        stmts: Vec::new(),
        emails: Vec::new(),
    };
    for c in &rows {
        if !orgs.contains_key(&c.organization_id) {
            let plan = OrgPlan::load(ctx, &c.organization_id).await?;
            orgs.insert(c.organization_id.clone(), plan);
        }
        let plan = &orgs[&c.organization_id];
        let w = Window::new(&plan.spec, zone(&c.time_zone));
        let today = w.local(ctx.now_ms()).0;
        let next = if c.open_count == 0 {
            None
        } else if today.day() > 20 {
            // Still the month before in the customer's zone (a time set
            // in UTC, west of it): wait for their own first of the month.
            w.opening_from(first_of_next_month(today))
        } else if !w.contains(ctx.now_ms()) {
            w.next_open(ctx.now_ms())
        } else {
            if plan.settings.monthly_statement {
                let month = format!("{:04}-{:02}", today.year(), today.month());
                let id = EmailId::generate(
                    c.next_statement_at as u64,
                    crate::security::stable_bytes(&format!("statement:{}:{month}", c.id)),
                );
                writes.stmts.push(db::stmt(
                    &ctx.db,
                    "INSERT OR IGNORE INTO emails (id, organization_id, customer_id, kind, status, to_address, bcc, dedupe_key, created_at) \
                     VALUES (?1, ?2, ?3, 'statement', 'queued', ?4, ?5, ?6, ?7)",
                    params![id.as_str(), &c.organization_id, &c.id, &c.email, plan.settings.bcc.clone(), format!("statement:{}:{month}", c.id), ctx.now_ms()],
                )?);
                writes.emails.push(id.as_str().to_owned());
                report.statements_queued += 1;
            }
            w.opening_from(first_of_next_month(today))
        };
        writes.stmts.push(db::stmt(
            &ctx.db,
            "UPDATE customers SET next_statement_at = ?1 WHERE id = ?2 AND next_statement_at = ?3",
            params![next, &c.id, c.next_statement_at],
        )?);
        if writes.stmts.len() >= FLUSH_AT {
            writes.flush(ctx, report).await?;
        }
    }
    writes.flush(ctx, report).await
}

/// Midnight of the first of next month in a customer's zone: when their
/// first monthly statement is looked at.
pub fn first_statement_at(now_ms: i64, time_zone: &str) -> Option<i64> {
    let tz = zone(time_zone);
    let midnight = first_of_next_month(tz.date(now_ms)).and_hms_opt(0, 0, 0)?;
    tz.resolve(&midnight)
}

/// The first day of the month after `d`.
pub fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}
