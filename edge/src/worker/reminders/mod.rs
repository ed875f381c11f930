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
//!
//! About 580 lines: the tick is one cursor loop whose reads and batched
//! writes belong together (its rules are `crate::reminders`); sending,
//! statements, actions and the forecast have their own files beside it.
//!
//! [`send`] checks and renders an email just before it goes, [`actions`]
//! applies a sent step's actions, [`statements`] plans the monthly
//! statements, [`upcoming`] predicts what will go out.

mod actions;
mod send;
mod statements;
mod upcoming;

pub use actions::apply_pending_actions;
pub use send::{Prepared, prepare, unsubscribe_headers};
pub use statements::first_statement_at;
pub use upcoming::upcoming;

use super::api::{invoices, organizations, reminder_config};
use super::cron::Scope;
use super::ctx::{Audit, Ctx};
use super::db;
use super::outbox;
use super::queue::Job;
use crate::email::render::{ReminderEmail, ReminderLine};
use crate::error::ApiError;
use crate::params;
use crate::reminders::plan::{Look, look, slots};
use crate::reminders::segment::{self, Facts, Segment};
use crate::reminders::window::Window;
use crate::reminders::{Check, Skip, firmest, occurrence_key, recheck, zone};
use crate::rows::{CustomerRow, InvoiceRow, OrganizationRow};
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
        settle_shared::sort::sort(&mut thresholds);
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
pub async fn tick(ctx: &Ctx, scope: Scope<'_>) -> Result<TickReport, ApiError> {
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
        let mut args = params![ctx.now_ms(), after.0, after.1.clone(), BATCH];
        args.extend(scope.params(ctx));
        let s = db::stmt(
            &ctx.db,
            &format!(
                "SELECT i.id, i.organization_id, i.customer_id, i.currency, i.due_date, i.total, i.amount_paid, \
             i.reminder_cursor, i.next_reminder_at, i.created_at, c.time_zone, c.tags, c.email \
             FROM invoices i JOIN customers c ON c.id = i.customer_id \
             WHERE i.status = 'open' AND i.next_reminder_at IS NOT NULL AND i.next_reminder_at <= ?1 \
             AND (i.next_reminder_at > ?2 OR (i.next_reminder_at = ?2 AND i.id > ?3)) \
             AND {} ORDER BY i.next_reminder_at, i.id LIMIT ?4",
                Scope::filter("i.organization_id", 5, 6)
            ),
            args,
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
                days_overdue: (w.local(ctx.now_ms()).0 - due).num_days(),
                late_payments_12m: history.get(&r.customer_id).copied().unwrap_or(0),
            };
            let (policy_id, steps) = plan.policy(&facts);
            let cursor = r.reminder_cursor.unwrap_or(r.created_at);
            match look(steps, due, &w, cursor, ctx.now_ms()) {
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
                        .filter(|t| *t > ctx.now_ms())
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
    statements::plan(ctx, scope, &mut orgs, &mut report).await?;
    apply_pending_actions(ctx, None, scope).await?;
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
            ctx.now_ms()
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
    ctx.audit_once(Audit {
        org: Some(org_id),
        actor: "system",
        action,
        subject: key,
        detail,
    })
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
    settle_shared::sort::sort(&mut keys);
    let first_due = items.iter().map(|p| p.due_at).min().unwrap_or(ctx.now_ms());
    let id = EmailId::generate(
        first_due as u64,
        crate::security::stable_bytes(&format!("reminder:{}", keys.join(","))),
    );
    writes.stmts.push(db::stmt(
        &ctx.db,
        "INSERT OR IGNORE INTO emails (id, organization_id, customer_id, invoice_id, kind, status, to_address, bcc, created_at) \
         VALUES (?1, ?2, ?3, ?4, 'reminder', 'queued', ?5, ?6, ?7)",
        params![id.as_str(), org_id, customer_id, &items[0].invoice_id, to, bcc, ctx.now_ms()],
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
        settle_shared::sort::sort(&mut customers);
        customers.dedup();
        let (found, read) = late_payments_of(ctx, org_id, &customers).await?;
        report.d1_rows_read += read;
        out.extend(found);
    }
    Ok(out)
}

/// Invoices of these customers paid after their due date in the last 12
/// months (by the indexes on organization and customer, and on the ledger).
pub(crate) async fn late_payments_of(
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
        settle_shared::time::datetime_from_millis(ctx.now_ms()).date_naive() - Duration::days(365);
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

/// After a change to policies, segments, the send window or a customer's
/// tags or zone, the open invoices concerned are looked at again by the
/// next tick (their cursor stays: nothing already dealt with is resent).
pub async fn replan(ctx: &Ctx, org_id: &str, customer_id: Option<&str>) -> Result<(), ApiError> {
    db::stmt(
        &ctx.db,
        "UPDATE invoices SET next_reminder_at = ?1 WHERE organization_id = ?2 AND status = 'open' \
         AND (?3 IS NULL OR customer_id = ?3) AND (next_reminder_at IS NULL OR next_reminder_at > ?1)",
        params![ctx.now_ms(), org_id, customer_id],
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("replan reminders: {e}")))?;
    Ok(())
}
