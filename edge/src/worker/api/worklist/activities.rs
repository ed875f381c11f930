//! Calls and notes an agent logs on an account:
//! `POST /api/v1/customers/{id}/activities` and `GET …/activities`. A call
//! has an outcome; a call that obtained a promise names it (the promise is
//! recorded on its invoice first, by the promises API, with its rules).

use crate::error::ApiError;
use crate::params;
use crate::worker::api::customers;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::api::{ActivityRequest, ActivityResponse, ListResponse};
use settle_shared::ids::ActivityId;
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError};
use settle_shared::time::rfc3339_from_millis;
use std::collections::HashMap;
use worker::{Request, Response};

/// Outcomes a call may have.
pub const OUTCOMES: [&str; 4] = ["promised", "refused", "wrong_contact", "no_answer"];
/// Characters a call's or note's text may have.
pub const BODY_MAX: usize = 4_000;

#[derive(Deserialize, Clone)]
pub struct ActivityRow {
    id: String,
    customer_id: String,
    member_id: Option<String>,
    member_name: Option<String>,
    kind: String,
    outcome: Option<String>,
    body: String,
    invoice_id: Option<String>,
    promise_id: Option<String>,
    created_at: i64,
}

impl ActivityRow {
    pub fn view(self) -> ActivityResponse {
        ActivityResponse {
            id: self.id,
            customer_id: self.customer_id,
            kind: self.kind,
            outcome: self.outcome,
            body: self.body,
            invoice_id: self.invoice_id,
            promise_id: self.promise_id,
            member_id: self.member_id,
            member_name: self.member_name,
            created_at: rfc3339_from_millis(self.created_at),
        }
    }
}

const COLUMNS: &str = "a.id, a.customer_id, a.member_id, m.name AS member_name, a.kind, a.outcome, a.body, \
     a.invoice_id, a.promise_id, a.created_at";

/// `POST /api/v1/customers/{id}/activities`
pub async fn create(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: ActivityRequest = http::json_body(req).await?;
    let customer = customers::load(ctx, &org.id, id).await?;
    if !matches!(body.kind.as_str(), "call" | "note") {
        return Err(FieldError::invalid("kind", "must be `call` or `note`").into());
    }
    let outcome = match (&body.kind[..], body.outcome.as_deref()) {
        (_, None) => None,
        ("call", Some(o)) if OUTCOMES.contains(&o) => Some(o.to_owned()),
        ("call", Some(_)) => {
            return Err(FieldError::invalid(
                "outcome",
                "must be one of promised, refused, wrong_contact, no_answer",
            )
            .into());
        }
        _ => return Err(FieldError::invalid("outcome", "only a call has an outcome").into()),
    };
    let text = text::bounded("body", &body.body, BODY_MAX)?;
    if let Some(inv) = &body.invoice_id {
        let i = crate::worker::api::invoices::load(ctx, &org.id, inv)
            .await
            .map_err(|_| {
                FieldError::invalid("invoice_id", "is not an invoice of this organization")
            })?;
        if i.customer_id != customer.id {
            return Err(
                FieldError::invalid("invoice_id", "is not an invoice of this customer").into(),
            );
        }
    }
    if let Some(p) = &body.promise_id {
        #[derive(Deserialize)]
        struct P {
            customer_id: String,
        }
        let found: Option<P> = db::one(db::stmt(
            &ctx.db,
            "SELECT customer_id FROM promises WHERE id = ?1 AND organization_id = ?2",
            params![p, &org.id],
        )?)
        .await?;
        if found.is_none_or(|f| f.customer_id != customer.id) {
            return Err(
                FieldError::invalid("promise_id", "is not a promise of this customer").into(),
            );
        }
        if outcome.as_deref() != Some("promised") {
            return Err(
                FieldError::invalid("promise_id", "goes with the outcome `promised`").into(),
            );
        }
    }
    let aid = ActivityId::generate(ctx.now_ms() as u64, ctx.random10());
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO activities (id, organization_id, customer_id, member_id, actor, kind, outcome, body, invoice_id, \
                 promise_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    aid.as_str(),
                    &org.id,
                    &customer.id,
                    ctx.member_id(),
                    ctx.actor(),
                    &body.kind,
                    outcome.clone(),
                    &text,
                    body.invoice_id.clone(),
                    body.promise_id.clone(),
                    ctx.now_ms()
                ],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: if body.kind == "call" { "call.logged" } else { "note.added" },
                subject: aid.as_str(),
                detail: json!({ "customer_id": customer.id, "outcome": outcome, "body": text,
                                "invoice_id": body.invoice_id, "promise_id": body.promise_id }),
            })?,
        ],
    )
    .await?;
    let row = one(ctx, &org.id, aid.as_str()).await?;
    http::json(201, &row.view())
}

async fn one(ctx: &Ctx, org_id: &str, id: &str) -> Result<ActivityRow, ApiError> {
    db::one(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {COLUMNS} FROM activities a LEFT JOIN members m ON m.id = a.member_id \
             WHERE a.id = ?1 AND a.organization_id = ?2"
        ),
        params![id, org_id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("activity"))
}

/// `GET /api/v1/customers/{id}/activities`: newest first (the latest 200).
pub async fn list(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let customer = customers::load(ctx, &org.id, id).await?;
    let rows: Vec<ActivityRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {COLUMNS} FROM activities a LEFT JOIN members m ON m.id = a.member_id \
             WHERE a.organization_id = ?1 AND a.customer_id = ?2 ORDER BY a.created_at DESC LIMIT 200"
        ),
        params![&org.id, &customer.id],
    )?)
    .await?;
    http::json(
        200,
        &ListResponse {
            data: rows.into_iter().map(ActivityRow::view).collect(),
            next_cursor: None,
            total: None,
        },
    )
}

/// The latest activity of each of these customers.
pub async fn last_of(
    ctx: &Ctx,
    org_id: &str,
    ids: &[&str],
) -> Result<HashMap<String, ActivityResponse>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let rows: Vec<ActivityRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {COLUMNS} FROM activities a LEFT JOIN members m ON m.id = a.member_id \
             WHERE a.organization_id = ?1 AND a.customer_id IN (SELECT value FROM json_each(?2)) \
             AND a.created_at = (SELECT MAX(b.created_at) FROM activities b \
               WHERE b.organization_id = a.organization_id AND b.customer_id = a.customer_id)"
        ),
        params![org_id, ids.as_str()],
    )?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.customer_id.clone(), r.view()))
        .collect())
}
