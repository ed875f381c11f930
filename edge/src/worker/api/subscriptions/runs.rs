//! The billing run: each organization's subscriptions invoiced for the
//! period that starts on or before its local date (its cut-off date, or a
//! subscription's start between cut-off dates).
//!
//! - The cron ([`sweep`]) opens one run per organization and local date
//!   when something is due, and starts it again when it stalled.
//! - A queued job ([`batch`]) bills [`BATCH`] subscriptions after the
//!   run's cursor, then queues the next batch. Each subscription's period
//!   is written in one D1 batch with its invoice, its lines, its email, its
//!   `subscription_periods` row (primary key: subscription and period
//!   start) and `billed_to` moved on, guarded on `billed_to` as read: a
//!   repeated, overlapping or interrupted run issues nothing twice.
//! - `GET /api/v1/billing-runs` shows their progress; `POST` starts
//!   today's run now (admins).

use super::{SELECT, SubscriptionRow, bill, billing_today};
use crate::error::ApiError;
use crate::params;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::api::catalog;
use crate::worker::api::customers::{page, page_limit, page_start};
use crate::worker::cron::Scope;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::worker::http;
use crate::worker::queue::{self, Job, Outcome};
use serde::Deserialize;
use settle_shared::api::BillingRunResponse;
use settle_shared::ids::BillingRunId;
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// Subscriptions billed by one queued job, side by side: about four D1
/// queries each, well inside the 1,000 queries a Worker invocation may
/// make.
const BATCH: i64 = 100;
/// A running run not moved on for this long is queued again by the cron
/// (its message was lost, or the worker died mid-batch).
const STALLED_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Deserialize)]
struct RunRow {
    id: String,
    organization_id: String,
    run_date: String,
    status: String,
    cursor: Option<String>,
    due: i64,
    issued: i64,
    skipped: i64,
    failed: i64,
    started_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

impl RunRow {
    fn view(&self) -> BillingRunResponse {
        BillingRunResponse {
            id: self.id.clone(),
            run_date: self.run_date.clone(),
            status: self.status.clone(),
            due: self.due,
            issued: self.issued,
            skipped: self.skipped,
            failed: self.failed,
            started_at: rfc3339_from_millis(self.started_at),
            finished_at: self.finished_at.map(rfc3339_from_millis),
        }
    }
}

/// The condition of a subscription the run bills on `?{d}`.
const DUE: &str =
    "s.status = 'active' AND (s.failed_period IS NULL OR s.failed_period <> s.billed_to)";

/// Cron: opens or restarts the billing run of each organization with
/// subscriptions due. Answers how many runs it queued.
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Org {
        organization_id: String,
    }
    // No time zone's date is past tomorrow in UTC.
    let latest = (ctx.today_utc() + chrono::Days::new(1)).to_string();
    let mut args = params![&latest];
    args.extend(scope.params(ctx));
    let orgs: Vec<Org> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT DISTINCT s.organization_id FROM subscriptions s WHERE s.status = 'active' AND s.billed_to <= ?1 AND {} LIMIT 100",
            Scope::filter("s.organization_id", 2, 3)
        ),
        args,
    )?)
    .await?;
    let mut queued = 0;
    for o in orgs {
        ctx.use_clock_of(&o.organization_id).await?;
        let Some(org) = organization(ctx, &o.organization_id).await? else {
            continue;
        };
        if open(ctx, &org).await?.1 {
            queued += 1;
        }
    }
    Ok(queued)
}

async fn organization(ctx: &Ctx, id: &str) -> Result<Option<OrganizationRow>, ApiError> {
    db::one(db::stmt(
        &ctx.db,
        "SELECT * FROM organizations WHERE id = ?1",
        params![id],
    )?)
    .await
}

/// Opens today's run for `org` when subscriptions are due (or starts it
/// again when it stalled or has new work); answers the run and whether a
/// batch was queued.
async fn open(ctx: &Ctx, org: &OrganizationRow) -> Result<(Option<RunRow>, bool), ApiError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let today = billing_today(ctx, org).to_string();
    let due = db::one::<Count>(db::stmt(
        &ctx.db,
        &format!(
            "SELECT COUNT(*) AS n FROM subscriptions s WHERE s.organization_id = ?1 AND s.billed_to <= ?2 AND {DUE}"
        ),
        params![&org.id, &today],
    )?)
    .await?
    .map_or(0, |c| c.n);
    let now = ctx.now_ms();
    let run = find(ctx, &org.id, &today).await?;
    let start = match &run {
        None if due > 0 => {
            let id = BillingRunId::generate(now as u64, ctx.random10());
            db::stmt(
                &ctx.db,
                "INSERT INTO billing_runs (id, organization_id, run_date, status, due, started_at, updated_at) \
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?5) ON CONFLICT (organization_id, run_date) DO NOTHING",
                params![id.as_str(), &org.id, &today, due, now],
            )?
            .run()
            .await
            .map_err(|e| ApiError::internal(format!("open billing run: {e}")))?;
            true
        }
        // New subscriptions due after the run ended (started today).
        Some(r) if r.status == "done" && due > 0 => {
            db::stmt(
                &ctx.db,
                "UPDATE billing_runs SET status = 'running', cursor = NULL, due = issued + skipped + failed + ?2, \
                 finished_at = NULL, updated_at = ?3 WHERE id = ?1 AND status = 'done'",
                params![&r.id, due, now],
            )?
            .run()
            .await
            .map_err(|e| ApiError::internal(format!("reopen billing run: {e}")))?;
            true
        }
        Some(r) => r.status == "running" && r.updated_at < now - STALLED_MS,
        None => false,
    };
    let run = find(ctx, &org.id, &today).await?;
    if start && let Some(r) = &run {
        // Touch it so that the next cron does not queue it again at once.
        db::stmt(
            &ctx.db,
            "UPDATE billing_runs SET updated_at = ?2 WHERE id = ?1",
            params![&r.id, now],
        )?
        .run()
        .await
        .map_err(|e| ApiError::internal(format!("touch billing run: {e}")))?;
        queue::enqueue(
            ctx,
            Job::BillingBatch {
                run_id: r.id.clone(),
            },
        )
        .await
        .map_err(|e| ApiError::internal(format!("queue billing batch: {e}")))?;
    }
    Ok((run, start))
}

async fn find(ctx: &Ctx, org_id: &str, date: &str) -> Result<Option<RunRow>, ApiError> {
    db::one(db::stmt(
        &ctx.db,
        "SELECT * FROM billing_runs WHERE organization_id = ?1 AND run_date = ?2",
        params![org_id, date],
    )?)
    .await
}

/// The queued job: bills the next [`BATCH`] subscriptions of a run.
pub async fn batch(ctx: &Ctx, run_id: &str) -> Result<Outcome, ApiError> {
    let Some(run) = db::one::<RunRow>(db::stmt(
        &ctx.db,
        "SELECT * FROM billing_runs WHERE id = ?1",
        params![run_id],
    )?)
    .await?
    else {
        return Ok(Outcome::Done);
    };
    if run.status != "running" {
        return Ok(Outcome::Done);
    }
    ctx.use_clock_of(&run.organization_id).await?;
    let Some(org) = organization(ctx, &run.organization_id).await? else {
        return Ok(Outcome::Done);
    };
    let Some(run_date) = settle_shared::time::parse_date(&run.run_date) else {
        return Err(ApiError::internal("billing run without a date"));
    };
    let subs: Vec<SubscriptionRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE s.organization_id = ?1 AND s.id > ?2 AND s.billed_to <= ?3 AND {DUE} ORDER BY s.id LIMIT ?4"
        ),
        params![&org.id, run.cursor.clone().unwrap_or_default(), &run.run_date, BATCH],
    )?)
    .await?;
    let items = catalog::all(ctx, &org.id).await?;
    let ids: Vec<&str> = subs.iter().map(|s| s.customer_id.as_str()).collect();
    let customers: Vec<CustomerRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM customers WHERE organization_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        params![&org.id, serde_json::to_string(&ids).unwrap_or_default()],
    )?)
    .await?;
    // The subscriptions of a batch are billed side by side: each writes
    // its own guarded batch, so their order does not matter, and their
    // round trips to D1 overlap.
    let billed = futures_util::future::join_all(subs.iter().filter_map(|sub| {
        let customer = customers.iter().find(|c| c.id == sub.customer_id)?;
        let (org, items, run_id) = (&org, &items, run.id.as_str());
        Some(async move {
            let mut one = bill::Tally::default();
            bill::bill(ctx, org, run_id, run_date, sub, customer, items, &mut one)
                .await
                .map(|()| one)
        })
    }))
    .await;
    let mut tally = bill::Tally::default();
    for one in billed {
        let one = one?;
        tally.issued += one.issued;
        tally.skipped += one.skipped;
        tally.failed += one.failed;
        tally.emails.extend(one.emails);
    }
    let last = subs.last().map(|s| s.id.clone()).or(run.cursor.clone());
    let done = (subs.len() as i64) < BATCH;
    let now = ctx.now_ms();
    let moved = db::stmt(
        &ctx.db,
        // What was issued is counted from the periods billed under this run:
        // a job killed after its invoices but before this write left them
        // uncounted, and the job that took its place finds them billed.
        "UPDATE billing_runs SET cursor = ?2, \
         issued = (SELECT COUNT(*) FROM subscription_periods WHERE billing_run_id = ?1), \
         skipped = skipped + ?3, failed = failed + ?4, \
         updated_at = ?5, status = CASE WHEN ?6 = 1 THEN 'done' ELSE 'running' END, \
         finished_at = CASE WHEN ?6 = 1 THEN ?5 END WHERE id = ?1 AND status = 'running' AND cursor IS ?7",
        params![
            &run.id,
            last,
            tally.skipped,
            tally.failed,
            now,
            i64::from(done),
            run.cursor.clone()
        ],
    )?
    .run()
    .await
    .map_err(|e| ApiError::internal(format!("billing run progress: {e}")))?;
    for id in &tally.emails {
        queue::enqueue_email(ctx, id).await;
    }
    // Another copy of this job moved the cursor first: it goes on alone.
    let ours = moved
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0)
        > 0;
    if ours && !done {
        queue::enqueue(
            ctx,
            Job::BillingBatch {
                run_id: run.id.clone(),
            },
        )
        .await
        .map_err(|e| ApiError::internal(format!("queue billing batch: {e}")))?;
    }
    Ok(Outcome::Done)
}

/// `GET /api/v1/billing-runs`: newest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let limit = page_limit(req);
    let before = page_start(req)?;
    let rows: Vec<RunRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM billing_runs WHERE organization_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
        params![&org.id, &before, limit + 1],
    )?)
    .await?;
    page(rows, limit, |r| &r.id, RunRow::view)
}

/// `POST /api/v1/billing-runs` (admins): bills what is due today now,
/// without waiting for the cron. Answers today's run (`202` while it
/// runs), or `200` with `null` when nothing is due.
pub async fn start(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    ctx.use_clock_of(&org.id).await?;
    let (run, _) = open(ctx, &org).await?;
    match run {
        Some(r) => http::json(if r.status == "done" { 200 } else { 202 }, &r.view()),
        None => http::json(200, &serde_json::Value::Null),
    }
}
