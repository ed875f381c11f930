//! `/api/v1/imports`: customers, invoices and subscriptions from CSV.
//!
//! - `POST /imports/{kind}?dry_run=true`: the file (`text/csv`) read and
//!   checked whole, every row error listed by line and column; nothing
//!   written.
//! - `POST /imports/{kind}`: the same check; a file with any error is
//!   refused whole (422 with the report). Otherwise its rows are kept in R2
//!   in parts of [`PART`] and written part by part through the queue
//!   ([`write::run`]): each part in one D1 batch that also moves the import's
//!   cursor, so an interrupted import resumes where it stopped and never
//!   writes a part twice (resumable per batch).
//! - `GET /imports`, `GET /imports/{id}`: progress.
//!
//! The rules (reading odd CSV, typing rows, checking them against what
//! the organization has) are `crate::import`'s; writing the parts is
//! [`write`]'s.

mod write;

pub use write::{run, sweep};

use super::catalog::{self, ItemRow};
use super::subscriptions;
use crate::error::ApiError;
use crate::import::{self, Kind, Known, RowError, Rows};
use crate::params;
use crate::rows::OrganizationRow;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self};
use crate::worker::http;
use crate::worker::queue::{self, Job};
use serde::{Deserialize, Serialize};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    AddOnQuantity, CreateInvoiceRequest, ImportReport, ImportResponse, ListResponse,
};
use settle_shared::billing::{self};
use settle_shared::ids::ImportId;
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use std::collections::HashSet;
use worker::{Request, Response};

/// Rows (or invoices) per part: one D1 batch each.
const PART: usize = 100;
/// Parts one queue job writes before handing on to the next job.
pub(super) const PARTS_PER_JOB: i64 = 10;
/// The largest file taken.
const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// What one part writes, resolved when the file was checked.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "items", rename_all = "snake_case")]
pub(super) enum Part {
    Customers(Vec<import::Customer>),
    /// Each invoice with its customer's id.
    Invoices(Vec<CreateInvoiceRequest>),
    Subscriptions(Vec<NewSubscription>),
}

#[derive(Clone, Serialize, Deserialize)]
pub(super) struct NewSubscription {
    pub customer_id: String,
    pub plan: String,
    pub currency: String,
    pub quantity: i64,
    pub add_ons: Vec<AddOnQuantity>,
    pub start_date: String,
}

#[derive(Deserialize)]
pub(super) struct ImportRow {
    pub id: String,
    pub organization_id: String,
    pub kind: String,
    pub status: String,
    pub rows: i64,
    pub parts: i64,
    pub cursor: i64,
    pub written: i64,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl ImportRow {
    fn view(&self) -> ImportResponse {
        ImportResponse {
            id: self.id.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
            rows: self.rows,
            written: self.written,
            error: self.error.clone(),
            created_at: rfc3339_from_millis(self.created_at),
            finished_at: self.finished_at.map(rfc3339_from_millis),
        }
    }
}

pub(super) fn bucket(ctx: &Ctx) -> Result<worker::Bucket, ApiError> {
    ctx.env
        .bucket("FILES")
        .map_err(|e| ApiError::internal(format!("FILES bucket: {e}")))
}

pub(super) fn part_key(org_id: &str, id: &str, n: i64) -> String {
    format!("imports/{org_id}/{id}/{n}.json")
}

/// `POST /api/v1/imports/{kind}`
pub async fn create(ctx: &Ctx, req: Request, kind: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::AllAccounts).await?;
    let kind = Kind::parse(kind).ok_or_else(|| ApiError::Client {
        code: ErrorCode::NotFound,
        message: "Imports are of `customers`, `invoices` or `subscriptions`.".into(),
        field: None,
    })?;
    let dry_run = http::query(&req, "dry_run").is_some_and(|v| v == "true" || v == "1");
    let bytes = http::raw_body(req, MAX_FILE_BYTES).await?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidField,
            "Send the CSV file as the body (`Content-Type: text/csv`).",
        ));
    }
    let (rows, mut errors, count) = import::read(kind, &bytes);
    // Every row error, also those only the organization's data shows.
    let parts = resolve(ctx, &org, &rows, &mut errors).await?;
    settle_shared::sort::sort_by(&mut errors, |a, b| {
        (a.line, &a.column).cmp(&(b.line, &b.column))
    });
    let mut report = ImportReport {
        kind: kind.as_str().into(),
        dry_run,
        rows: count as i64,
        error_count: errors.len() as i64,
        errors: errors.into_iter().take(import::MAX_LISTED).collect(),
        import: None,
    };
    if count == 0 && report.errors.is_empty() {
        report.error_count = 1;
        report.errors.push(RowError {
            line: 2,
            column: String::new(),
            reason: "the file has a header but no rows".into(),
        });
    }
    if dry_run {
        return http::json(200, &report);
    }
    if report.error_count > 0 {
        return http::json(422, &report);
    }
    report.import = Some(start(ctx, &org, kind, rows.len() as i64, &parts).await?);
    http::json(202, &report)
}

/// Checks rows against the organization and resolves them into parts;
/// the errors found are added to `errors`.
async fn resolve(
    ctx: &Ctx,
    org: &OrganizationRow,
    rows: &Rows,
    errors: &mut Vec<RowError>,
) -> Result<Vec<Part>, ApiError> {
    let known = known(ctx, &org.id, rows).await?;
    errors.extend(import::check(rows, &known));
    let resolved = |r: &str| import::customer_of(&known, r).cloned().unwrap_or_default();
    Ok(match rows {
        Rows::Customers(v) => v
            .chunks(PART)
            .map(|c| Part::Customers(c.to_vec()))
            .collect(),
        Rows::Invoices(lines) => {
            let today = ctx.today_utc();
            let mut invs = Vec::new();
            for (mut req, at) in import::invoices(lines) {
                req.customer_id = resolved(&req.customer_id);
                if let Err(e) = req.validate(today) {
                    let (line, column) = import::invoice_error(&e.field, &at);
                    errors.push(RowError {
                        line,
                        column,
                        reason: e.message,
                    });
                }
                invs.push(req);
            }
            invs.chunks(PART)
                .map(|c| Part::Invoices(c.to_vec()))
                .collect()
        }
        Rows::Subscriptions(v) => {
            let items = catalog::all(ctx, &org.id).await?;
            let today = subscriptions::billing_today(ctx, org);
            let mut subs = Vec::new();
            for s in v {
                match subscription(&items, s, today) {
                    Ok(n) => subs.push(NewSubscription {
                        customer_id: resolved(&s.customer),
                        ..n
                    }),
                    Err((column, reason)) => errors.push(RowError {
                        line: s.line,
                        column,
                        reason,
                    }),
                }
            }
            subs.chunks(PART)
                .map(|c| Part::Subscriptions(c.to_vec()))
                .collect()
        }
    })
}

/// A subscription row checked by the API's own rules; an error names the
/// column and why.
fn subscription(
    items: &[ItemRow],
    s: &import::Subscription,
    today: chrono::NaiveDate,
) -> Result<NewSubscription, (String, String)> {
    let plan = catalog::live_plan(items, &s.plan).map_err(|e| (e.field, e.message))?;
    let currency = settle_shared::Currency::parse(&s.currency)
        .map_err(|e| ("currency".to_owned(), e.to_string()))?;
    let catalog = catalog::live(items);
    let sel = billing::choose(
        &plan.item(),
        currency,
        s.quantity.unwrap_or(plan.min_quantity),
        &s.add_ons,
        &catalog,
    )
    .map_err(|e| {
        let column = if e.field.starts_with("add_ons") {
            "add_ons".into()
        } else {
            e.field
        };
        (column, e.message)
    })?;
    let start = s.start_date.unwrap_or(today);
    subscriptions::check_start(start, today).map_err(|e| (e.field, e.message))?;
    Ok(NewSubscription {
        customer_id: String::new(),
        plan: plan.code.clone(),
        currency: currency.code().to_owned(),
        quantity: sel.quantity,
        add_ons: sel.add_on_quantities(),
        start_date: start.to_string(),
    })
}

/// Reads what the rows refer to: customers by reference and email, taken
/// emails and references, taken invoice numbers.
async fn known(ctx: &Ctx, org_id: &str, rows: &Rows) -> Result<Known, ApiError> {
    #[derive(Deserialize)]
    struct C {
        id: String,
        email_lower: String,
        external_id: Option<String>,
    }
    #[derive(Deserialize)]
    struct N {
        number: String,
    }
    let mut k = Known::default();
    let refs: Vec<String> = match rows {
        Rows::Customers(v) => v
            .iter()
            .flat_map(|c| std::iter::once(c.email.to_lowercase()).chain(c.external_id.clone()))
            .collect(),
        Rows::Invoices(v) => v.iter().map(|l| l.customer.clone()).collect(),
        Rows::Subscriptions(v) => v.iter().map(|s| s.customer.clone()).collect(),
    };
    let refs: Vec<String> = refs
        .into_iter()
        .flat_map(|r| [r.to_lowercase(), r])
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let refs = serde_json::to_string(&refs).map_err(|e| ApiError::internal(e.to_string()))?;
    let found: Vec<C> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, email_lower, external_id FROM customers \
         WHERE organization_id = ?1 AND email_lower IN (SELECT value FROM json_each(?2)) \
         UNION SELECT id, email_lower, external_id FROM customers \
         WHERE organization_id = ?1 AND external_id IN (SELECT value FROM json_each(?2))",
        params![org_id, &refs],
    )?)
    .await?;
    for c in found {
        k.taken.insert(c.email_lower.clone());
        if let Some(x) = &c.external_id {
            k.taken.insert(x.clone());
            k.customers.insert(x.clone(), c.id.clone());
        }
        k.customers.entry(c.email_lower.clone()).or_insert(c.id);
    }
    if let Rows::Invoices(v) = rows {
        let numbers: Vec<&str> = v
            .iter()
            .map(|l| l.number.as_str())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let taken: Vec<N> = db::all(db::stmt(
            &ctx.db,
            "SELECT number FROM invoices WHERE organization_id = ?1 AND number IN (SELECT value FROM json_each(?2))",
            params![org_id, serde_json::to_string(&numbers).unwrap_or_default()],
        )?)
        .await?;
        k.numbers = taken.into_iter().map(|n| n.number).collect();
    }
    Ok(k)
}

/// Keeps the parts in R2, records the import and queues its first job.
async fn start(
    ctx: &Ctx,
    org: &OrganizationRow,
    kind: Kind,
    rows: i64,
    parts: &[Part],
) -> Result<ImportResponse, ApiError> {
    let now = ctx.now_ms();
    let id = ImportId::generate(now as u64, ctx.random10());
    let b = bucket(ctx)?;
    for (n, p) in parts.iter().enumerate() {
        let body = serde_json::to_vec(p).map_err(|e| ApiError::internal(e.to_string()))?;
        b.put(part_key(&org.id, id.as_str(), n as i64), body)
            .execute()
            .await
            .map_err(|e| ApiError::internal(format!("import part: {e}")))?;
    }
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO imports (id, organization_id, kind, status, rows, parts, created_by, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?7)",
                params![id.as_str(), &org.id, kind.as_str(), rows, parts.len() as i64, ctx.actor(), now],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "import.started",
                subject: id.as_str(),
                detail: json!({ "kind": kind.as_str(), "rows": rows, "parts": parts.len() }),
            })?,
        ],
    )
    .await?;
    kick(ctx, id.as_str()).await;
    Ok(load(ctx, &org.id, id.as_str()).await?.view())
}

pub(super) async fn kick(ctx: &Ctx, id: &str) {
    if let Err(e) = queue::enqueue(
        ctx,
        Job::ImportBatch {
            import_id: id.to_owned(),
        },
    )
    .await
    {
        worker::console_error!("import {id}: {e}");
    }
}

pub(super) async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<ImportRow, ApiError> {
    if ImportId::parse(id).is_err() {
        return Err(ApiError::not_found("import"));
    }
    db::one(db::stmt(
        &ctx.db,
        "SELECT * FROM imports WHERE id = ?1 AND organization_id = ?2",
        params![id, org_id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("import"))
}

/// `GET /api/v1/imports/{id}`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    http::json(200, &load(ctx, &org.id, id).await?.view())
}

/// `GET /api/v1/imports`: the latest 20.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    let rows: Vec<ImportRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM imports WHERE organization_id = ?1 ORDER BY id DESC LIMIT 20",
        params![&org.id],
    )?)
    .await?;
    http::json(
        200,
        &ListResponse {
            data: rows.iter().map(ImportRow::view).collect(),
            next_cursor: None,
            total: None,
        },
    )
}
