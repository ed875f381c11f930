//! Follow-up tasks: an agent schedules one on an account for a time; when
//! that time comes (on the organization's clock), it is due, and the
//! console alerts whoever it is assigned to.
//!
//! `POST /api/v1/tasks`, `GET /api/v1/tasks?status=open|done&due=true&customer=&assignee=`,
//! `POST /api/v1/tasks/{id}/done`.

use crate::error::ApiError;
use crate::params;
use crate::worker::api::{customers, team};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{ListResponse, TaskRequest, TaskResponse};
use settle_shared::ids::TaskId;
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use settle_shared::time::rfc3339_from_millis;
use std::collections::HashMap;
use worker::{Request, Response};

/// How far ahead a task may be scheduled.
const MAX_AHEAD_MS: i64 = 366 * 86_400_000;

#[derive(Deserialize)]
struct TaskRow {
    id: String,
    customer_id: String,
    customer_name: String,
    assigned_to: String,
    due_at: i64,
    note: String,
    status: String,
    created_at: i64,
    done_at: Option<i64>,
}

impl TaskRow {
    fn view(self, now: i64) -> TaskResponse {
        TaskResponse {
            due: self.status == "open" && self.due_at <= now,
            id: self.id,
            customer_id: self.customer_id,
            customer_name: self.customer_name,
            assigned_to: self.assigned_to,
            due_at: rfc3339_from_millis(self.due_at),
            note: self.note,
            status: self.status,
            created_at: rfc3339_from_millis(self.created_at),
            done_at: self.done_at.map(rfc3339_from_millis),
        }
    }
}

const COLUMNS: &str = "t.id, t.customer_id, c.name AS customer_name, t.assigned_to, t.due_at, t.note, t.status, \
     t.created_at, t.done_at";

/// `POST /api/v1/tasks`: a follow-up on an account, for the caller unless a
/// supervisor names another member.
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    ctx.use_clock_of(&org.id).await?;
    let body: TaskRequest = http::json_body(req).await?;
    let customer = customers::load(ctx, &org.id, &body.customer_id)
        .await
        .map_err(|_| {
            FieldError::invalid("customer_id", "is not a customer of this organization")
        })?;
    let due_at = chrono::DateTime::parse_from_rfc3339(&body.due_at)
        .map_err(|_| FieldError::invalid("due_at", "must be a time like 2026-12-07T09:30:00Z"))?
        .timestamp_millis();
    let now = ctx.now_ms();
    if due_at < now - 60_000 {
        return Err(FieldError::invalid("due_at", "is in the past").into());
    }
    if due_at > now + MAX_AHEAD_MS {
        return Err(FieldError::invalid("due_at", "is more than a year ahead").into());
    }
    let note = text::bounded("note", &body.note, 1_000)?;
    let me = ctx.member_id();
    let assignee = match (&body.assigned_to, &me) {
        (Some(m), Some(me)) if m == me => me.clone(),
        (Some(m), _) => {
            if ctx.only_accounts_of().is_some() {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "Only a supervisor or an admin can give a task to someone else.",
                ));
            }
            team::load(ctx, &org.id, m)
                .await
                .map_err(|_| FieldError::invalid("assigned_to", "is not a member of this team"))?
                .id
        }
        (None, Some(me)) => me.clone(),
        (None, None) => {
            return Err(FieldError::new(
                ErrorCode::MissingField,
                "assigned_to",
                "name the member who follows up (an API key is nobody)",
            )
            .into());
        }
    };
    let id = TaskId::generate(now as u64, ctx.random10());
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO tasks (id, organization_id, customer_id, assigned_to, due_at, note, status, created_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?8)",
                params![id.as_str(), &org.id, &customer.id, &assignee, due_at, &note, ctx.actor(), now],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "task.scheduled",
                subject: id.as_str(),
                detail: json!({ "customer_id": customer.id, "assigned_to": assignee,
                                "due_at": rfc3339_from_millis(due_at), "note": note }),
            })?,
        ],
    )
    .await?;
    let row = one(ctx, &org.id, id.as_str()).await?;
    http::json(201, &row.view(now))
}

async fn one(ctx: &Ctx, org_id: &str, id: &str) -> Result<TaskRow, ApiError> {
    db::one(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {COLUMNS} FROM tasks t JOIN customers c ON c.id = t.customer_id \
             WHERE t.id = ?1 AND t.organization_id = ?2"
        ),
        params![id, org_id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("task"))
}

/// `GET /api/v1/tasks`: open tasks (soonest first) unless `status=done`;
/// `due=true` only those due now; `customer=` one account's. Agents see
/// their own; others theirs unless `assignee=all` or a member id.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    ctx.use_clock_of(&org.id).await?;
    let now = ctx.now_ms();
    let status = match http::query(req, "status").as_deref() {
        None | Some("open") => "open",
        Some("done") => "done",
        Some(_) => return Err(FieldError::invalid("status", "must be `open` or `done`").into()),
    };
    let due_only = match http::query(req, "due").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(FieldError::invalid("due", "must be `true` or `false`").into()),
    };
    let assignee: Option<String> = match (ctx.only_accounts_of(), http::query(req, "assignee")) {
        (Some(me), _) => Some(me),
        (None, Some(a)) if a == "all" => None,
        (None, Some(a)) => Some(a),
        (None, None) => ctx.member_id(),
    };
    let customer = http::query(req, "customer");
    let (order, limit) = if status == "open" {
        ("t.due_at ASC", 200)
    } else {
        ("t.done_at DESC", 100)
    };
    let rows: Vec<TaskRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {COLUMNS} FROM tasks t JOIN customers c ON c.id = t.customer_id \
             WHERE t.organization_id = ?1 AND t.status = ?2 AND (?3 IS NULL OR t.assigned_to = ?3) \
             AND (?4 = 0 OR t.due_at <= ?5) AND (?6 IS NULL OR t.customer_id = ?6) ORDER BY {order} LIMIT {limit}"
        ),
        params![&org.id, status, assignee, i64::from(due_only), now, customer],
    )?)
    .await?;
    http::json(
        200,
        &ListResponse {
            data: rows.into_iter().map(|r| r.view(now)).collect(),
            next_cursor: None,
            total: None,
        },
    )
}

/// `POST /api/v1/tasks/{id}/done`: once; the second time answers 409.
pub async fn done(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    ctx.use_clock_of(&org.id).await?;
    let t = one(ctx, &org.id, id).await?;
    if let Some(me) = ctx.only_accounts_of()
        && t.assigned_to != me
    {
        return Err(ApiError::not_found("task"));
    }
    if t.status != "open" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This task is already done.",
        ));
    }
    let now = ctx.now_ms();
    let written = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE tasks SET status = 'done', done_at = ?2, done_by = ?3 WHERE id = ?1 AND status = 'open'",
                params![&t.id, now, ctx.actor()],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
                    action: "task.done",
                    subject: &t.id,
                    detail: json!({ "customer_id": t.customer_id }),
                },
                "SELECT 1 WHERE changes() > 0",
                Vec::new(),
            )?,
        ],
    )
    .await?;
    if written.first().map(db::changes) != Some(1) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This task is already done.",
        ));
    }
    let row = one(ctx, &org.id, id).await?;
    http::json(200, &row.view(now))
}

/// The next open task's due time for each of these customers.
pub async fn next_of(
    ctx: &Ctx,
    org_id: &str,
    ids: &[&str],
) -> Result<HashMap<String, i64>, ApiError> {
    #[derive(Deserialize)]
    struct Next {
        customer_id: String,
        due_at: i64,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let rows: Vec<Next> = db::all(db::stmt(
        &ctx.db,
        "SELECT customer_id, MIN(due_at) AS due_at FROM tasks WHERE organization_id = ?1 AND status = 'open' \
         AND customer_id IN (SELECT value FROM json_each(?2)) GROUP BY customer_id",
        params![org_id, ids.as_str()],
    )?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.customer_id, r.due_at))
        .collect())
}
