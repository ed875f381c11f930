//! The reminder cron: finds invoices whose next look has come (an indexed
//! range of `invoices_next_reminder`, in bounded batches with a cursor),
//! asks the planner what is due, records each occurrence under its
//! deterministic key with one queued email per customer, and puts the
//! emails on the queue. The same for monthly statements. Sending and the
//! checks made just before it are in [`prepare`], called by the consumer.
//!
//! Every write of one batch goes to D1 in one transaction; the queue
//! message only names the email. If the worker dies after the write, the
//! sweep enqueues the email again; if it dies before, the invoice is still
//! due and the next tick does the same work under the same keys.

use super::api::{invoices, organizations, reminder_config};
use super::ctx::{Audit, Ctx};
use super::db;
use super::jobs::{self, Job};
use crate::email::render::{ReminderEmail, ReminderLine, Rendered};
use crate::error::ApiError;
use crate::params;
use crate::reminders::plan::{Look, look, slots};
use crate::reminders::segment::{self, Facts, Segment};
use crate::reminders::window::Window;
use crate::reminders::{Check, Skip, firmest, occurrence_key, recheck, zone};
use crate::views::{CustomerRow, InvoiceRow, OrganizationRow};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use settle_shared::ids::EmailId;
use settle_shared::reminders::{ReminderSettings, ReminderStep, Tone, WindowSpec};
use settle_shared::{Currency, Money};
use std::collections::{BTreeMap, HashMap};
use worker::D1PreparedStatement;

/// Invoices read per query.
const BATCH: i64 = 200;
/// Batches per tick: a tick handles at most 5,000 due invoices and leaves
/// the rest (still due) to the next one.
const MAX_BATCHES: usize = 25;
/// Statements written per D1 transaction.
const FLUSH_AT: usize = 90;

/// What one tick did, for logs and the benchmark.
#[derive(Debug, Default, Serialize)]
pub struct TickReport {
    pub invoices_looked_at: u32,
    pub occurrences_queued: u32,
    pub occurrences_superseded: u32,
    pub invoices_waiting: u32,
    pub emails_queued: u32,
    pub statements_queued: u32,
    pub batches: u32,
    pub d1_rows_read: u64,
    pub d1_rows_written: u64,
}

/// An organization's reminder configuration, read once per tick.
struct OrgPlan {
    settings: ReminderSettings,
    spec: WindowSpec,
    policies: HashMap<String, Vec<ReminderStep>>,
    default_id: String,
    segments: Vec<Segment>,
    /// Days overdue at which a segment starts to match.
    thresholds: Vec<i32>,
}

impl OrgPlan {
    async fn load(ctx: &Ctx, org_id: &str) -> Result<Self, ApiError> {
        let org = organizations::load(ctx, org_id).await?;
        let settings = org.reminders();
        let default_id = reminder_config::ensure_default_policy(ctx, org_id).await?;
        let policies = reminder_config::load_policies(ctx, org_id)
            .await?
            .into_iter()
            .map(|(id, steps, _)| (id, steps))
            .collect();
        let segments = reminder_config::load_segments(ctx, org_id).await?;
        let mut thresholds: Vec<i32> = segments
            .iter()
            .filter_map(|s| s.rules.min_days_overdue)
            .collect();
        thresholds.sort_unstable();
        thresholds.dedup();
        Ok(OrgPlan {
            spec: window_spec(&settings),
            settings,
            policies,
            default_id,
            segments,
            thresholds,
        })
    }

    /// The policy for these facts: the first matching segment's, or the default.
    fn policy(&self, facts: &Facts<'_>) -> (&str, &[ReminderStep]) {
        segment::pick(&self.segments, facts)
            .and_then(|s| {
                self.policies
                    .get(&s.policy_id)
                    .map(|p| (s.policy_id.as_str(), p.as_slice()))
            })
            .or_else(|| {
                self.policies
                    .get(&self.default_id)
                    .map(|p| (self.default_id.as_str(), p.as_slice()))
            })
            .unwrap_or(("", &[]))
    }
}

/// The window of stored settings (they were validated when saved; the
/// defaults stand in if they no longer read).
pub fn window_spec(settings: &ReminderSettings) -> WindowSpec {
    settings.validate().unwrap_or_else(|_| WindowSpec {
        start_min: 540,
        end_min: 1020,
        days: 0b11111,
        holidays: Vec::new(),
    })
}

#[derive(Deserialize)]
struct DueRow {
    id: String,
    organization_id: String,
    customer_id: String,
    currency: String,
    due_date: String,
    total: i64,
    amount_paid: i64,
    reminder_cursor: Option<i64>,
    next_reminder_at: i64,
    created_at: i64,
    time_zone: String,
    tags: String,
    email: String,
}

/// One step to send, waiting for its customer's email.
struct Planned {
    key: String,
    invoice_id: String,
    policy_id: String,
    step: ReminderStep,
    due_at: i64,
}

/// Statements of one transaction and the emails to enqueue after it.
struct Writes {
    stmts: Vec<D1PreparedStatement>,
    emails: Vec<String>,
}

impl Writes {
    async fn flush(&mut self, ctx: &Ctx, report: &mut TickReport) -> Result<(), ApiError> {
        if !self.stmts.is_empty() {
            let results = db::batch(&ctx.db, std::mem::take(&mut self.stmts)).await?;
            for r in &results {
                if let Ok(Some(m)) = r.meta() {
                    report.d1_rows_read += m.rows_read.unwrap_or(0) as u64;
                    report.d1_rows_written += m.rows_written.unwrap_or(0) as u64;
                }
            }
        }
        let emails = std::mem::take(&mut self.emails);
        for chunk in emails.chunks(100) {
            let jobs: Vec<Job> = chunk
                .iter()
                .map(|id| Job::SendEmail {
                    email_id: id.clone(),
                })
                .collect();
            let sent = match ctx.env.queue("JOBS") {
                Ok(q) => q.send_batch(jobs).await,
                Err(e) => Err(e),
            };
            if let Err(e) = sent {
                // The rows are stored as queued: the sweep enqueues them.
                worker::console_error!("enqueue reminders: {e}; the sweep will retry");
            }
        }
        Ok(())
    }
}

/// A customer's steps due together, and the writes that must commit with
/// their email (their invoices' cursor moves): all in one transaction.
struct Group {
    to: String,
    items: Vec<Planned>,
    moves: Vec<D1PreparedStatement>,
}

/// One cron tick: reminders, then statements.
pub async fn tick(ctx: &Ctx) -> Result<TickReport, ApiError> {
    let mut report = TickReport::default();
    let mut orgs: HashMap<String, OrgPlan> = HashMap::new();
    let mut after: (i64, String) = (i64::MIN, String::new());
    let mut writes = Writes {
        stmts: Vec::new(),
        emails: Vec::new(),
    };
    // (organization, customer) → steps to send in one email, across batches
    // so that a customer's invoices never split over two emails.
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for _ in 0..MAX_BATCHES {
        let s = db::stmt(
            &ctx.db,
            "SELECT i.id, i.organization_id, i.customer_id, i.currency, i.due_date, i.total, i.amount_paid, \
             i.reminder_cursor, i.next_reminder_at, i.created_at, c.time_zone, c.tags, c.email \
             FROM invoices i JOIN customers c ON c.id = i.customer_id \
             WHERE i.status = 'open' AND i.next_reminder_at IS NOT NULL AND i.next_reminder_at <= ?1 \
             AND (i.next_reminder_at > ?2 OR (i.next_reminder_at = ?2 AND i.id > ?3)) \
             ORDER BY i.next_reminder_at, i.id LIMIT ?4",
            params![ctx.now_ms, after.0, after.1.clone(), BATCH],
        )?;
        let (rows, read) = db::all_counted::<DueRow>(s).await?;
        report.d1_rows_read += read;
        report.batches += 1;
        let Some(last) = rows.last() else { break };
        after = (last.next_reminder_at, last.id.clone());
        let full = rows.len() as i64 == BATCH;
        for r in &rows {
            if !orgs.contains_key(&r.organization_id) {
                let plan = OrgPlan::load(ctx, &r.organization_id).await?;
                orgs.insert(r.organization_id.clone(), plan);
            }
        }
        let history = late_payments(ctx, &rows, &orgs, &mut report).await?;
        for r in &rows {
            report.invoices_looked_at += 1;
            let plan = &orgs[&r.organization_id];
            let w = Window::new(&plan.spec, zone(&r.time_zone));
            let Some(due) = settle_shared::time::parse_date(&r.due_date) else {
                continue;
            };
            let tags: Vec<String> = serde_json::from_str(&r.tags).unwrap_or_default();
            let Ok(currency) = Currency::parse(&r.currency) else {
                continue;
            };
            let facts = Facts {
                tags: &tags,
                balance: Money {
                    amount: r.total - r.amount_paid,
                    currency,
                },
                days_overdue: (w.local(ctx.now_ms).0 - due).num_days(),
                late_payments_12m: history.get(&r.customer_id).copied().unwrap_or(0),
            };
            let (policy_id, steps) = plan.policy(&facts);
            let cursor = r.reminder_cursor.unwrap_or(r.created_at);
            match look(steps, due, &w, cursor, ctx.now_ms) {
                Look::Wait { until } => {
                    report.invoices_waiting += 1;
                    writes.stmts.push(move_invoice(ctx, r, cursor, until)?);
                }
                Look::Act {
                    send,
                    superseded,
                    cursor,
                    next,
                } => {
                    let at: HashMap<usize, i64> = slots(steps, due, &w)
                        .into_iter()
                        .map(|s| (s.step, s.at_ms))
                        .collect();
                    for i in superseded {
                        report.occurrences_superseded += 1;
                        let p = planned(r, policy_id, &steps[i], at[&i]);
                        writes
                            .stmts
                            .extend(skipped_occurrence(ctx, r, &p, Skip::Superseded)?);
                    }
                    // A segment that starts at some days overdue may bring
                    // another policy then: look again on that day too.
                    let next = plan
                        .thresholds
                        .iter()
                        .filter_map(|d| w.opening_from(due + Duration::days((*d).into())))
                        .filter(|t| *t > ctx.now_ms)
                        .chain(next)
                        .min();
                    let moved = move_invoice(ctx, r, cursor, next)?;
                    match send {
                        Some(i) => {
                            report.occurrences_queued += 1;
                            let g = groups
                                .entry((r.organization_id.clone(), r.customer_id.clone()))
                                .or_insert_with(|| Group {
                                    to: r.email.clone(),
                                    items: Vec::new(),
                                    moves: Vec::new(),
                                });
                            g.items.push(planned(r, policy_id, &steps[i], at[&i]));
                            g.moves.push(moved);
                        }
                        None => writes.stmts.push(moved),
                    }
                }
            }
            // Only writes that need no email go now; see `groups` below.
            if writes.stmts.len() >= FLUSH_AT {
                writes.flush(ctx, &mut report).await?;
            }
        }
        if !full {
            break;
        }
    }
    writes.flush(ctx, &mut report).await?;
    // Each customer's email, its occurrences and its invoices' moves commit
    // together: a crash before leaves the invoices due for the next tick.
    for ((org_id, customer_id), g) in groups {
        let bcc = orgs[&org_id].settings.bcc.clone();
        let email_id = group_email(
            ctx,
            &mut writes,
            &org_id,
            &customer_id,
            &g.to,
            bcc,
            &g.items,
        )?;
        writes.stmts.extend(g.moves);
        report.emails_queued += 1;
        writes.emails.push(email_id);
        if writes.stmts.len() >= FLUSH_AT {
            writes.flush(ctx, &mut report).await?;
        }
    }
    writes.flush(ctx, &mut report).await?;
    statements(ctx, &mut orgs, &mut report).await?;
    apply_pending_actions(ctx, None).await?;
    Ok(report)
}

fn planned(r: &DueRow, policy_id: &str, step: &ReminderStep, due_at: i64) -> Planned {
    Planned {
        key: occurrence_key(&r.id, policy_id, step.offset_days),
        invoice_id: r.id.clone(),
        policy_id: policy_id.to_owned(),
        step: step.clone(),
        due_at,
    }
}

/// Moves an invoice's cursor and next look, unless another tick already did.
fn move_invoice(
    ctx: &Ctx,
    r: &DueRow,
    cursor: i64,
    next: Option<i64>,
) -> Result<D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "UPDATE invoices SET reminder_cursor = ?1, next_reminder_at = ?2 WHERE id = ?3 AND next_reminder_at = ?4",
        params![cursor, next, &r.id, r.next_reminder_at],
    )
}

fn occurrence_stmt(
    ctx: &Ctx,
    org_id: &str,
    customer_id: &str,
    p: &Planned,
    status: &str,
    reason: Option<&str>,
    email_id: Option<&str>,
) -> Result<D1PreparedStatement, ApiError> {
    let actions: Vec<&str> = p.step.actions.iter().map(|a| a.as_str()).collect();
    db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO reminder_occurrences (id, organization_id, invoice_id, customer_id, policy_id, offset_days, tone, \
         template, actions, due_at, status, skip_reason, email_id, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        params![
            &p.key,
            org_id,
            &p.invoice_id,
            customer_id,
            &p.policy_id,
            i64::from(p.step.offset_days),
            p.step.tone.as_str(),
            p.step.template_key(),
            serde_json::to_string(&actions).unwrap_or_default(),
            p.due_at,
            status,
            reason,
            email_id,
            ctx.now_ms
        ],
    )
}

/// An audit row for an occurrence, written once per (occurrence, action).
fn occurrence_audit(
    ctx: &Ctx,
    org_id: &str,
    key: &str,
    action: &str,
    detail: serde_json::Value,
) -> Result<D1PreparedStatement, ApiError> {
    ctx.audit_if(
        Audit {
            org: Some(org_id),
            actor: "system",
            action,
            subject: key,
            detail,
        },
        "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE organization_id = ?2 AND subject = ?5 AND action = ?4)",
        Vec::new(),
    )
}

fn skipped_occurrence(
    ctx: &Ctx,
    r: &DueRow,
    p: &Planned,
    why: Skip,
) -> Result<Vec<D1PreparedStatement>, ApiError> {
    Ok(vec![
        occurrence_stmt(
            ctx,
            &r.organization_id,
            &r.customer_id,
            p,
            "skipped",
            Some(why.as_str()),
            None,
        )?,
        occurrence_audit(
            ctx,
            &r.organization_id,
            &p.key,
            "reminder.skipped",
            json!({ "invoice_id": p.invoice_id, "customer_id": r.customer_id, "offset_days": p.step.offset_days, "reason": why.as_str(), "due_at": settle_shared::time::rfc3339_from_millis(p.due_at) }),
        )?,
    ])
}

/// The email for a customer's steps due together. Its id comes from the
/// steps' keys, so a tick repeated after a crash writes the same row.
fn group_email(
    ctx: &Ctx,
    writes: &mut Writes,
    org_id: &str,
    customer_id: &str,
    to: &str,
    bcc: Option<String>,
    items: &[Planned],
) -> Result<String, ApiError> {
    let mut keys: Vec<&str> = items.iter().map(|p| p.key.as_str()).collect();
    keys.sort_unstable();
    let first_due = items.iter().map(|p| p.due_at).min().unwrap_or(ctx.now_ms);
    let id = EmailId::generate(
        first_due as u64,
        crate::security::stable_bytes(&format!("reminder:{}", keys.join(","))),
    );
    writes.stmts.push(db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO emails (id, organization_id, customer_id, invoice_id, kind, status, to_address, bcc, created_at) \
         VALUES (?1, ?2, ?3, ?4, 'reminder', 'queued', ?5, ?6, ?7)",
        params![id.as_str(), org_id, customer_id, &items[0].invoice_id, to, bcc, ctx.now_ms],
    )?);
    for p in items {
        writes.stmts.push(occurrence_stmt(
            ctx,
            org_id,
            customer_id,
            p,
            "queued",
            None,
            Some(id.as_str()),
        )?);
        writes.stmts.push(occurrence_audit(
            ctx,
            org_id,
            &p.key,
            "reminder.planned",
            json!({ "invoice_id": p.invoice_id, "customer_id": customer_id, "policy_id": p.policy_id, "offset_days": p.step.offset_days, "tone": p.step.tone.as_str(), "due_at": settle_shared::time::rfc3339_from_millis(p.due_at), "email_id": id.as_str() }),
        )?);
    }
    Ok(id.as_str().to_owned())
}

/// Invoices paid late in the last 12 months, per customer of the batch,
/// read only when a segment of the organization asks for it.
async fn late_payments(
    ctx: &Ctx,
    rows: &[DueRow],
    orgs: &HashMap<String, OrgPlan>,
    report: &mut TickReport,
) -> Result<HashMap<String, u32>, ApiError> {
    let mut by_org: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| segment::needs_history(&orgs[&r.organization_id].segments))
    {
        by_org
            .entry(r.organization_id.as_str())
            .or_default()
            .push(r.customer_id.as_str());
    }
    let mut out = HashMap::new();
    for (org_id, mut customers) in by_org {
        customers.sort_unstable();
        customers.dedup();
        let (found, read) = late_payments_of(ctx, org_id, &customers).await?;
        report.d1_rows_read += read;
        out.extend(found);
    }
    Ok(out)
}

/// Invoices of these customers paid after their due date in the last 12
/// months (by the indexes on organization and customer, and on the ledger).
async fn late_payments_of(
    ctx: &Ctx,
    org_id: &str,
    customers: &[&str],
) -> Result<(HashMap<String, u32>, u64), ApiError> {
    #[derive(Deserialize)]
    struct Late {
        customer_id: String,
        n: i64,
    }
    let since =
        settle_shared::time::datetime_from_millis(ctx.now_ms).date_naive() - Duration::days(365);
    let s = db::stmt(
        &ctx.db,
        "SELECT i.customer_id, COUNT(*) AS n FROM invoices i \
         WHERE i.organization_id = ?1 AND i.customer_id IN (SELECT value FROM json_each(?2)) AND i.status = 'paid' \
         AND i.due_date >= ?3 AND EXISTS (SELECT 1 FROM payments p WHERE p.organization_id = i.organization_id \
         AND p.invoice_id = i.id AND p.kind = 'payment' AND p.received_on > i.due_date) \
         GROUP BY i.customer_id",
        params![
            org_id,
            serde_json::to_string(customers).unwrap_or_default(),
            since.to_string()
        ],
    )?;
    let (late, read) = db::all_counted::<Late>(s).await?;
    Ok((
        late.into_iter()
            .map(|l| (l.customer_id, l.n as u32))
            .collect(),
        read,
    ))
}

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
async fn statements(
    ctx: &Ctx,
    orgs: &mut HashMap<String, OrgPlan>,
    report: &mut TickReport,
) -> Result<(), ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT c.id, c.organization_id, c.time_zone, c.email, c.next_statement_at, \
         (SELECT COUNT(*) FROM invoices i WHERE i.organization_id = c.organization_id AND i.customer_id = c.id AND i.status = 'open') AS open_count \
         FROM customers c WHERE c.next_statement_at IS NOT NULL AND c.next_statement_at <= ?1 \
         ORDER BY c.next_statement_at, c.id LIMIT ?2",
        params![ctx.now_ms, BATCH],
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
        let today = w.local(ctx.now_ms).0;
        let next = if c.open_count == 0 {
            None
        } else if today.day() > 20 {
            // Still the month before in the customer's zone (a time set
            // in UTC, west of it): wait for their own first of the month.
            w.opening_from(first_of_next_month(today))
        } else if !w.contains(ctx.now_ms) {
            w.next_open(ctx.now_ms)
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
                    params![id.as_str(), &c.organization_id, &c.id, &c.email, plan.settings.bcc.clone(), format!("statement:{}:{month}", c.id), ctx.now_ms],
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
    promised_until: Option<String>,
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
         EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.status = 'open') AS disputed, \
         (SELECT MAX(p.promised_date) FROM promises p WHERE p.invoice_id = i.id) AS promised_until \
         FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.organization_id = ?1 AND i.status = 'open' ORDER BY i.due_date, i.id LIMIT 1000",
        params![org_id],
    )?;
    let rows: Vec<OpenRow> = db::all(s).await?;
    let history = if segment::needs_history(&plan.segments) {
        let mut customers: Vec<&str> = rows.iter().map(|r| r.customer_id.as_str()).collect();
        customers.sort_unstable();
        customers.dedup();
        late_payments_of(ctx, org_id, &customers).await?.0
    } else {
        HashMap::new()
    };
    let mut out = Vec::new();
    for r in &rows {
        let w = Window::new(&plan.spec, zone(&r.time_zone));
        let today = w.local(ctx.now_ms).0;
        let promised = r
            .promised_until
            .as_deref()
            .is_some_and(|p| p >= today.to_string().as_str());
        if r.stopped != 0 || r.disputed != 0 || promised {
            continue;
        }
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
        let from = r.reminder_cursor.unwrap_or(r.created_at).max(ctx.now_ms);
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
    out.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    Ok(out)
}

/// Midnight of the first of next month in a customer's zone: when their
/// first monthly statement is looked at.
pub fn first_statement_at(now_ms: i64, time_zone: &str) -> Option<i64> {
    use chrono::TimeZone;
    let tz = zone(time_zone);
    let today = crate::views::local_date(now_ms, time_zone);
    let midnight = first_of_next_month(today).and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.timestamp_millis())
}

/// After a change to policies, segments, the send window or a customer's
/// tags or zone, the open invoices concerned are looked at again by the
/// next tick (their cursor stays: nothing already dealt with is resent).
pub async fn replan(ctx: &Ctx, org_id: &str, customer_id: Option<&str>) -> Result<(), ApiError> {
    db::stmt(
        &ctx.db,
        "UPDATE invoices SET next_reminder_at = ?1 WHERE organization_id = ?2 AND status = 'open' \
         AND (?3 IS NULL OR customer_id = ?3) AND (next_reminder_at IS NULL OR next_reminder_at > ?1)",
        params![ctx.now_ms, org_id, customer_id],
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("replan reminders: {e}")))?;
    Ok(())
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

/// What the consumer does with a reminder or statement email.
pub enum Prepared {
    /// Send this.
    Send(Box<Ready>),
    /// Not now: outside the customer's window; try again at this time.
    Wait(i64),
    /// Nothing to send, for this reason.
    Skip(String),
}

/// A rendered email and what goes with it.
pub struct Ready {
    pub rendered: Rendered,
    pub link: super::api::links::NewLink,
    pub bcc: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Occurrences this email carries, with the balance of each.
    pub occurrences: Vec<(String, i64)>,
}

#[derive(Deserialize)]
struct OccurrenceRow {
    id: String,
    invoice_id: String,
    offset_days: i64,
    tone: String,
    template: String,
    actions: String,
}

#[derive(Deserialize)]
struct Hold {
    invoice_id: String,
    disputed: i64,
    promised: i64,
}

/// Checks a reminder or statement again just before sending and renders it.
pub async fn prepare(
    ctx: &Ctx,
    email: &jobs::EmailRow,
    org: &OrganizationRow,
    customer: &CustomerRow,
) -> Result<Prepared, ApiError> {
    let settings = org.reminders();
    let spec = window_spec(&settings);
    let w = Window::new(&spec, zone(&customer.time_zone));
    if !w.contains(ctx.now_ms) {
        return Ok(match w.next_open(ctx.now_ms) {
            Some(at) => Prepared::Wait(at),
            None => Prepared::Skip("the send window never opens".into()),
        });
    }
    let today = w.local(ctx.now_ms).0;
    let statement = email.kind == "statement";
    let occurrences: Vec<OccurrenceRow> = if statement {
        Vec::new()
    } else {
        let s = db::stmt(
            &ctx.db,
            "SELECT id, invoice_id, offset_days, tone, template, actions FROM reminder_occurrences WHERE email_id = ?1 AND status = 'queued' ORDER BY id",
            params![&email.id],
        )?;
        db::all(s).await?
    };
    if !statement && occurrences.is_empty() {
        return Ok(Prepared::Skip("no reminder left in this email".into()));
    }
    // Open invoices of the customer, with what holds reminders back.
    let s = db::stmt(
        &ctx.db,
        "SELECT i.id AS invoice_id, \
         EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.status = 'open') AS disputed, \
         EXISTS (SELECT 1 FROM promises p WHERE p.invoice_id = i.id AND p.promised_date >= ?3) AS promised \
         FROM invoices i WHERE i.organization_id = ?1 AND i.customer_id = ?2 AND i.status = 'open'",
        params![&org.id, &customer.id, today.to_string()],
    )?;
    let holds: HashMap<String, Hold> = db::all::<Hold>(s)
        .await?
        .into_iter()
        .map(|h| (h.invoice_id.clone(), h))
        .collect();
    let mut stmts = Vec::new();
    let mut kept: Vec<&OccurrenceRow> = Vec::new();
    let mut invoices_of: HashMap<String, InvoiceRow> = HashMap::new();
    for o in &occurrences {
        let inv = invoices::load(ctx, &org.id, &o.invoice_id).await?;
        let hold = holds.get(&o.invoice_id);
        let check = Check {
            invoice_status: &inv.status,
            balance: inv.total - inv.amount_paid,
            open_dispute: hold.is_some_and(|h| h.disputed != 0),
            active_promise: hold.is_some_and(|h| h.promised != 0),
            opted_out: customer.reminders_opt_out != 0,
            address_failing: customer.email_status != "ok",
        };
        match recheck(&check) {
            Ok(()) => kept.push(o),
            Err(why) => {
                stmts.push(db::stmt(
                    &ctx.db,
                    "UPDATE reminder_occurrences SET status = 'skipped', skip_reason = ?1, updated_at = ?2 WHERE id = ?3 AND status = 'queued'",
                    params![why.as_str(), ctx.now_ms, &o.id],
                )?);
                stmts.push(occurrence_audit(
                    ctx,
                    &org.id,
                    &o.id,
                    "reminder.skipped",
                    json!({ "invoice_id": o.invoice_id, "customer_id": customer.id, "offset_days": o.offset_days, "reason": why.as_str(), "email_id": email.id }),
                )?);
            }
        }
        invoices_of.insert(o.invoice_id.clone(), inv);
    }
    if !stmts.is_empty() {
        db::batch(&ctx.db, stmts).await?;
    }
    if statement && (customer.reminders_opt_out != 0 || customer.email_status != "ok") {
        return Ok(Prepared::Skip(if customer.reminders_opt_out != 0 {
            Skip::OptedOut.as_str().into()
        } else {
            Skip::AddressFailing.as_str().into()
        }));
    }
    if !statement && kept.is_empty() {
        return Ok(Prepared::Skip("every reminder in it was skipped".into()));
    }
    // What the email lists: the reminded invoices and every other overdue
    // one not held back (a statement: every open invoice).
    let s = db::stmt(
        &ctx.db,
        "SELECT i.*, c.time_zone FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.organization_id = ?1 AND i.customer_id = ?2 AND i.status = 'open' ORDER BY i.due_date, i.id LIMIT 50",
        params![&org.id, &customer.id],
    )?;
    let open: Vec<InvoiceRow> = db::all(s).await?;
    let reminded: Vec<&str> = kept.iter().map(|o| o.invoice_id.as_str()).collect();
    let listed: Vec<&InvoiceRow> = open
        .iter()
        .filter(|i| {
            statement
                || reminded.contains(&i.id.as_str())
                || (i.due_date < today.to_string()
                    && holds
                        .get(&i.id)
                        .is_none_or(|h| h.disputed == 0 && h.promised == 0))
        })
        .collect();
    if listed.is_empty() {
        return Ok(Prepared::Skip("no open invoice to list".into()));
    }
    let tone = firmest(kept.iter().map(|o| tone_of(&o.tone)));
    let mut key = if statement {
        "statement".to_owned()
    } else {
        kept.iter()
            .find(|o| tone_of(&o.tone) == tone)
            .map(|o| o.template.clone())
            .unwrap_or_else(|| tone.as_str().to_owned())
    };
    // A friendly "is due on …" cannot speak for an overdue invoice listed
    // beside it: the built-in firm wording does.
    let overdue_listed = listed.iter().any(|i| i.due_date < today.to_string());
    if key == Tone::Friendly.as_str() && overdue_listed {
        key = Tone::Firm.as_str().to_owned();
    }
    let template = reminder_config::template_for(ctx, &org.id, &key, &customer.locale).await?;
    let locale = customer.locale.as_str();
    let amounts: Vec<String> = listed
        .iter()
        .map(|i| crate::i18n::amount(i.total - i.amount_paid, &i.currency, locale))
        .collect();
    let dates: Vec<String> = listed
        .iter()
        .map(|i| crate::i18n::date(&i.due_date, locale))
        .collect();
    let lines: Vec<ReminderLine<'_>> = listed
        .iter()
        .enumerate()
        .map(|(n, i)| ReminderLine {
            number: &i.number,
            due_date: &dates[n],
            days_overdue: settle_shared::time::parse_date(&i.due_date)
                .map(|d| (today - d).num_days())
                .unwrap_or(0),
            amount_due: &amounts[n],
        })
        .collect();
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for i in &listed {
        *totals.entry(i.currency.as_str()).or_default() += i.total - i.amount_paid;
    }
    let total_due = totals
        .iter()
        .map(|(c, a)| crate::i18n::amount(*a, c, locale))
        .collect::<Vec<_>>()
        .join(" + ");
    // The Pay button lands on the most overdue invoice reminded.
    let target = if statement {
        listed[0].id.clone()
    } else {
        listed
            .iter()
            .find(|i| reminded.contains(&i.id.as_str()))
            .map(|i| i.id.clone())
            .unwrap_or_else(|| listed[0].id.clone())
    };
    let link = super::api::links::email_link(
        ctx,
        &email.id,
        email.created_at,
        &org.id,
        &customer.id,
        Some(&target),
        org.link_ttl_days,
    )?;
    let preferences = format!(
        "{}{}",
        ctx.config.public_base_url,
        crate::security::preferences_path(ctx.config.token_secret.expose(), &customer.id)
    );
    let rendered = ReminderEmail {
        brand: jobs::brand(org),
        locale,
        customer_name: &customer.name,
        template: &template,
        lines: &lines,
        total_due: &total_due,
        pay_link: &link.url,
        portal_link: &link.url,
        preferences_link: &preferences,
    }
    .render();
    let occurrences = kept
        .iter()
        .map(|o| {
            let inv = &invoices_of[&o.invoice_id];
            (o.id.clone(), inv.total - inv.amount_paid)
        })
        .collect();
    Ok(Prepared::Send(Box::new(Ready {
        rendered,
        link,
        bcc: settings.bcc.clone(),
        headers: unsubscribe_headers(&preferences),
        occurrences,
    })))
}

/// RFC 8058 one-click unsubscribe, pointing at the preferences page.
pub fn unsubscribe_headers(preferences: &str) -> Vec<(String, String)> {
    vec![
        (
            "List-Unsubscribe".into(),
            format!("<{preferences}?one-click=1>"),
        ),
        (
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        ),
    ]
}

fn tone_of(s: &str) -> Tone {
    match s {
        "final" => Tone::Final,
        "firm" => Tone::Firm,
        _ => Tone::Friendly,
    }
}

/// Applies the actions of sent steps that have not been applied yet: those
/// of one email right after it is sent, or (`None`) any left over by a
/// worker that stopped in between, from the cron. Actions run only once the
/// reminder is sent: a reminder that never went out adds no fee.
pub async fn apply_pending_actions(ctx: &Ctx, email_id: Option<&str>) -> Result<(), ApiError> {
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
    let s = db::stmt(
        &ctx.db,
        "SELECT id, organization_id, customer_id, invoice_id, offset_days, tone, template, actions FROM reminder_occurrences \
         WHERE status = 'sent' AND actions != '[]' AND actions_applied_at IS NULL AND (?1 IS NULL OR email_id = ?1) LIMIT 100",
        params![email_id],
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
    let actions: Vec<String> = serde_json::from_str(&o.actions).unwrap_or_default();
    if actions.is_empty() {
        return Ok(());
    }
    // Each guarded statement binds its own values as ?1.. and the guard as ?9, ?10.
    let mine =
        "EXISTS (SELECT 1 FROM reminder_occurrences WHERE id = ?9 AND actions_applied_at = ?10)";
    let guarded = |sql: String, mut args: Vec<db::V>| {
        args.resize_with(8, || db::V::N);
        args.extend(params![&o.id, ctx.now_ms]);
        db::stmt(&ctx.db, &sql, args)
    };
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "UPDATE reminder_occurrences SET actions_applied_at = ?1 WHERE id = ?2 AND actions_applied_at IS NULL",
        params![ctx.now_ms, &o.id],
    )?];
    let mut done = Vec::new();
    for a in &actions {
        match a.as_str() {
            "late_fee" => {
                let Some(percent) = settings.late_fee_percent else {
                    continue;
                };
                // Thousandths of a percent: 1.5 % is 1500, so divide by 100,000.
                let fee = settle_shared::money::round_div(
                    i128::from(inv.total - inv.amount_paid) * i128::from(percent.0),
                    100_000,
                ) as i64;
                if fee <= 0 {
                    continue;
                }
                stmts.push(guarded(
                    format!(
                        "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_amount, tax_rate_milli, net, tax) \
                         SELECT ?1, (SELECT COALESCE(MAX(position), -1) + 1 FROM invoice_lines WHERE invoice_id = ?1), ?2, 1000, ?3, 0, ?3, 0 WHERE {mine}"
                    ),
                    params![&inv.id, format!("Late fee ({percent}%)"), fee],
                )?);
                stmts.push(guarded(
                    format!(
                        "UPDATE invoices SET subtotal = subtotal + ?1, total = total + ?1 WHERE id = ?2 AND status = 'open' AND {mine}"
                    ),
                    params![fee, &inv.id],
                )?);
                done.push(json!({ "action": "late_fee", "amount": fee, "currency": inv.currency }));
            }
            "flag_account" => {
                stmts.push(guarded(
                    format!(
                        "UPDATE customers SET flagged_at = COALESCE(flagged_at, ?1), flag_reason = ?2 WHERE id = ?3 AND {mine}"
                    ),
                    params![
                        ctx.now_ms,
                        format!("Reminder {:+} days on invoice {}", o.offset_days, inv.number),
                        &customer.id
                    ],
                )?);
                done.push(json!({ "action": "flag_account" }));
            }
            "stop_payment_plans" => {
                stmts.push(guarded(
                    format!(
                        "UPDATE customers SET payment_plans_blocked = 1 WHERE id = ?1 AND {mine}"
                    ),
                    params![&customer.id],
                )?);
                done.push(json!({ "action": "stop_payment_plans" }));
            }
            _ => {}
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
        params![&o.id, ctx.now_ms],
    )?);
    db::batch(&ctx.db, stmts).await?;
    Ok(())
}
