//! The customer's side: `GET` and `POST /api/v1/portal/invoices/{id}/plan`.
//! A proposal inside the organization's rules is active at once; past them
//! it waits for a supervisor. Either way the customer's agreement (the terms
//! word for word, the time, their IP address and browser) is kept.

use super::row;
use super::{decision_email, refused};

use crate::error::ApiError;
use crate::params;
use crate::rows::{InvoiceRow, OrganizationRow};
use crate::worker::api::organizations;
use crate::worker::api::promises::portal::own_invoice;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::http;
use serde::Deserialize;
use serde_json::json;
use settle_shared::Currency;
use settle_shared::ErrorCode;
use settle_shared::api::{PlanRequest, PortalPlanResponse, PortalRefusal};
use settle_shared::ids::PlanId;
use settle_shared::plan::{self, Facts, PlanError};
use settle_shared::text::FieldError;
use worker::{D1PreparedStatement, Request, Response};

/// What the rules ask about the invoice and its customer.
async fn facts<'a>(ctx: &Ctx, inv: &'a InvoiceRow) -> Result<Facts<'a>, ApiError> {
    #[derive(Deserialize)]
    struct F {
        blocked: i64,
        live: i64,
        needs_approval: i64,
        scheduled: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT c.payment_plans_blocked AS blocked, i.promise_needs_approval AS needs_approval, \
         EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id WHERE pi.invoice_id = i.id AND p.status IN ('proposed', 'active')) AS live, \
         EXISTS (SELECT 1 FROM scheduled_payments s WHERE s.invoice_id = i.id \
           AND s.status IN ('scheduled', 'charging', 'processing', 'retrying')) AS scheduled \
         FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.id = ?1",
        params![&inv.id],
    )?;
    let f = db::one::<F>(s)
        .await?
        .ok_or_else(|| ApiError::not_found("invoice"))?;
    Ok(Facts {
        status: &inv.status,
        balance: (inv.total - inv.amount_paid).max(0),
        open_dispute: inv.dispute_id.is_some(),
        plans_blocked: f.blocked != 0,
        live_plan: f.live != 0,
        needs_approval: f.needs_approval != 0,
        scheduled: f.scheduled != 0,
    })
}

/// The invoices a plan over the customer's whole overdue balance would
/// cover, asked from `inv` (`settle_shared::plan::whole_balance`); fewer
/// than two: the choice is not offered.
async fn whole_balance(
    ctx: &Ctx,
    org_id: &str,
    inv: &InvoiceRow,
) -> Result<Vec<plan::Member>, ApiError> {
    #[derive(Deserialize)]
    struct C {
        id: String,
        number: String,
        currency: String,
        due_date: String,
        status: String,
        balance: i64,
        blocked: i64,
        needs_approval: i64,
        disputed: i64,
        live: i64,
        scheduled: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT i.id, i.number, i.currency, i.due_date, i.status, i.total - i.amount_paid AS balance, \
         c.payment_plans_blocked AS blocked, i.promise_needs_approval AS needs_approval, \
         EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id AND d.status = 'open' AND d.kind IN ('customer', 'company')) AS disputed, \
         EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id WHERE pi.invoice_id = i.id AND p.status IN ('proposed', 'active')) AS live, \
         EXISTS (SELECT 1 FROM scheduled_payments s WHERE s.invoice_id = i.id \
           AND s.status IN ('scheduled', 'charging', 'processing', 'retrying')) AS scheduled \
         FROM invoices i JOIN customers c ON c.id = i.customer_id \
         WHERE i.organization_id = ?1 AND i.customer_id = ?2 AND i.status = 'open' AND i.currency = ?3 \
         ORDER BY i.id LIMIT 500",
        params![org_id, &inv.customer_id, &inv.currency],
    )?;
    let rows: Vec<C> = db::all(s).await?;
    let candidates: Vec<plan::Candidate<'_>> = rows
        .iter()
        .filter_map(|r| {
            Some(plan::Candidate {
                id: &r.id,
                number: &r.number,
                currency: &r.currency,
                due_date: settle_shared::time::parse_date(&r.due_date)?,
                facts: Facts {
                    status: &r.status,
                    balance: r.balance.max(0),
                    open_dispute: r.disputed != 0,
                    plans_blocked: r.blocked != 0,
                    live_plan: r.live != 0,
                    needs_approval: r.needs_approval != 0,
                    scheduled: r.scheduled != 0,
                },
            })
        })
        .collect();
    let today = crate::rows::local_date(ctx.now_ms(), &inv.time_zone);
    let members = plan::whole_balance(&inv.id, &candidates, today);
    Ok(if members.len() > 1 {
        members
    } else {
        Vec::new()
    })
}

/// A statement that fails the batch unless the invoice is as a new plan
/// read it: open with this balance, not in dispute, in a plan, scheduled or
/// waiting for an agent, and its customer may have plans.
fn unchanged(ctx: &Ctx, invoice_id: &str, balance: i64) -> Result<D1PreparedStatement, ApiError> {
    db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.id = ?1 AND i.status = 'open' \
           AND i.total - i.amount_paid = ?2 AND i.promise_needs_approval = 0 AND c.payment_plans_blocked = 0) \
         AND NOT EXISTS (SELECT 1 FROM disputes WHERE invoice_id = ?1 AND status = 'open' AND kind IN ('customer', 'company')) \
         AND NOT EXISTS (SELECT 1 FROM scheduled_payments WHERE invoice_id = ?1 \
           AND status IN ('scheduled', 'charging', 'processing', 'retrying')) \
         AND NOT EXISTS (SELECT 1 FROM plan_invoices pi JOIN payment_plans p ON p.id = pi.plan_id \
           WHERE pi.invoice_id = ?1 AND p.status IN ('proposed', 'active'))",
        params![invoice_id, balance],
    )
}

async fn view(
    ctx: &Ctx,
    org: &OrganizationRow,
    inv: &InvoiceRow,
) -> Result<PortalPlanResponse, ApiError> {
    let f = facts(ctx, inv).await?;
    let balance = f.balance;
    let may = plan::may_propose(&f);
    let whole = match may {
        Ok(()) => whole_balance(ctx, &org.id, inv).await?,
        Err(_) => Vec::new(),
    };
    Ok(PortalPlanResponse {
        invoice_id: inv.id.clone(),
        number: inv.number.clone(),
        currency: inv.currency.clone(),
        balance,
        today: crate::rows::local_date(ctx.now_ms(), &inv.time_zone).to_string(),
        rules: org.plan_rules(),
        grace_days: org.promise_rules().grace_days,
        plan: row::latest(ctx, &inv.id).await?.map(|p| p.view()),
        refusal: may.err().map(|r| {
            let body = refused(r).body();
            PortalRefusal {
                code: body.error.code.as_str().to_owned(),
                message: body.error.message,
            }
        }),
        whole_balance: whole,
    })
}

/// `GET /api/v1/portal/invoices/{id}/plan`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let inv = own_invoice(ctx, &s, id).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    http::json(200, &view(ctx, &org, &inv).await?)
}

fn plan_error(e: PlanError) -> ApiError {
    let message = crate::worker::api::disputes::thread::sentence(&e.to_string());
    FieldError::invalid(e.field(), message).into()
}

/// `POST /api/v1/portal/invoices/{id}/plan`: the customer proposes a plan.
pub async fn post(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let s = http::session(ctx, &req).await?;
    let user_agent =
        http::header(&req, "User-Agent").map(|u| u.chars().take(300).collect::<String>());
    let body: PlanRequest = http::json_body(req).await?;
    let inv = own_invoice(ctx, &s, id).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let f = facts(ctx, &inv).await?;
    plan::may_propose(&f).map_err(refused)?;
    // This invoice, or the whole overdue balance in its currency.
    let members = if body.whole_balance {
        let members = whole_balance(ctx, &org.id, &inv).await?;
        if members.is_empty() {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "No other overdue invoice can join this plan now; reload and split this invoice alone.",
            ));
        }
        members
    } else {
        vec![plan::Member {
            id: inv.id.clone(),
            number: inv.number.clone(),
            due_date: inv.due_date.clone(),
            balance: f.balance,
        }]
    };
    let balance: i64 = members.iter().map(|m| m.balance).sum();
    let today = crate::rows::local_date(ctx.now_ms(), &inv.time_zone);
    let outside =
        plan::check(&org.plan_rules(), balance, today, &body.instalments).map_err(plan_error)?;
    if !body.accept_terms {
        return Err(ApiError::Client {
            code: ErrorCode::TermsNotAccepted,
            message: "Tick the box to agree to the plan's terms.".into(),
            field: Some("accept_terms".into()),
        });
    }
    let currency =
        Currency::parse(&inv.currency).map_err(|e| ApiError::internal(format!("currency: {e}")))?;
    let grace_days = org.promise_rules().grace_days;
    let numbers: Vec<String> = members.iter().map(|m| m.number.clone()).collect();
    let terms = plan::terms(
        &s.customer.locale,
        &org.display_name,
        &numbers,
        currency,
        &body.instalments,
        grace_days,
    );
    let status = if outside.is_empty() {
        "active"
    } else {
        "proposed"
    };
    let pid = PlanId::generate(ctx.now_ms() as u64, ctx.random10());
    let actor = format!("customer:{}", s.customer.id);
    let instalments = serde_json::to_string(&body.instalments)
        .map_err(|e| ApiError::internal(format!("encode instalments: {e}")))?;
    let outside_json = serde_json::to_string(&outside)
        .map_err(|e| ApiError::internal(format!("encode rules: {e}")))?;
    let mut stmts = Vec::new();
    for m in &members {
        stmts.push(unchanged(ctx, &m.id, m.balance)?);
    }
    stmts.push(db::stmt(
        &ctx.db,
        "INSERT INTO payment_plans (id, organization_id, invoice_id, customer_id, currency, total, start_paid, instalments, \
         status, outside_rules, terms, agreed_at, agreed_ip, agreed_user_agent, created_at, grace_days) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?12, ?15)",
        params![
            pid.as_str(),
            &org.id,
            &inv.id,
            &inv.customer_id,
            &inv.currency,
            balance,
            inv.amount_paid,
            instalments,
            status,
            outside_json,
            &terms,
            ctx.now_ms(),
            ctx.ip.clone(),
            user_agent.clone(),
            i64::from(grace_days)
        ],
    )?);
    // The invoices the plan covers, each with what it had been paid.
    for m in &members {
        stmts.push(db::stmt(
            &ctx.db,
            "INSERT INTO plan_invoices (plan_id, invoice_id, start_paid) SELECT ?1, id, amount_paid FROM invoices WHERE id = ?2",
            params![pid.as_str(), &m.id],
        )?);
    }
    // A plan that starts replaces the invoice's promise, if it had one (a
    // proposal leaves it standing until a supervisor approves).
    if outside.is_empty() {
        stmts.push(super::replace_promise(ctx, pid.as_str(), &actor)?);
    }
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor: &actor,
        action: if outside.is_empty() {
            "plan.accepted"
        } else {
            "plan.proposed"
        },
        subject: &inv.id,
        detail: json!({
            "plan_id": pid.as_str(), "customer_id": inv.customer_id, "invoice_number": inv.number,
            "instalments": body.instalments, "total": balance, "currency": inv.currency,
            "invoices": members,
            "outside_rules": outside, "terms": terms, "user_agent": user_agent,
        }),
    })?);
    let email = if outside.is_empty() {
        let (stmt, id) = decision_email(
            ctx,
            &org.id,
            &inv.id,
            &inv.customer_id,
            &s.customer.email,
            pid.as_str(),
            "active",
        )?;
        stmts.push(stmt);
        Some(id)
    } else {
        None
    };
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(WriteError::Conflict | WriteError::Unique(_)) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "The invoice changed meanwhile; reload and try again.",
            ));
        }
        Err(WriteError::Other(e)) => return Err(e),
    }
    if let Some(id) = email {
        crate::worker::queue::enqueue_email(ctx, id.as_str()).await;
    }
    http::json(201, &view(ctx, &org, &inv).await?)
}
