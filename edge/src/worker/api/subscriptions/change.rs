//! Changing a subscription mid-period: its quantity, its plan (one the
//! catalog lets it move to), its add-ons, or cancelling it.
//!
//! - `POST /api/v1/subscriptions/{id}/quote` and `…/change` (the company)
//! - `GET /api/v1/portal/subscriptions`, and
//!   `POST /api/v1/portal/subscriptions/{id}/quote` and `…/change` (the
//!   customer, on their own subscriptions)
//!
//! A quote and a change run the same rules (`settle_shared::billing::change`);
//! [`super::apply`] writes a change, [`super::portal`] lists the
//! customer's subscriptions.
//!
//! the unused part of the billed period is credited and the new choice's
//! days charged, to the day. A change is written in one D1 batch, guarded
//! on the version it was quoted on: the proration invoice and its email,
//! the credit notes (on that invoice first, then on the period's invoice
//! while it is open), the credit carried to the next invoice, the
//! subscription, its audit row and the `subscription.changed` event.

use super::{SubscriptionRow, billing_today, load};
use crate::error::ApiError;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::api::catalog::{self, ItemRow};
use crate::worker::api::{customers, organizations};
use crate::worker::ctx::Ctx;
use crate::worker::http;
use chrono::NaiveDate;
use settle_shared::ErrorCode;
use settle_shared::api::{ChangeQuote, ChangeSubscriptionRequest, ProrationLine};
use settle_shared::billing::change::{self as rules, Quote};
use settle_shared::billing::{self, Selection};
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::parse_date;
use worker::{Request, Response};

/// What a request asks, checked.
pub(super) enum Ask {
    /// A new choice, on the plan row `plan_id`.
    Change {
        sel: Selection,
        plan_id: String,
    },
    CancelAtEnd,
    CancelNow,
    Resume,
}

impl Ask {
    pub(super) fn action(&self) -> &'static str {
        match self {
            Ask::Change { .. } => "subscription.changed",
            Ask::CancelAtEnd | Ask::CancelNow => "subscription.canceled",
            Ask::Resume => "subscription.resumed",
        }
    }
}

/// A request decided: what it asks and what it costs.
pub(super) struct Decided {
    pub ask: Ask,
    pub old: Selection,
    pub quote: Quote,
    pub today: NaiveDate,
}

/// Checks a request against the subscription and the catalog, and prices
/// it. Writes nothing.
fn decide(
    org: &OrganizationRow,
    sub: &SubscriptionRow,
    items: &[ItemRow],
    body: &ChangeSubscriptionRequest,
    today: NaiveDate,
) -> Result<Decided, ApiError> {
    if sub.status != "active" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This subscription has ended; it cannot be changed.",
        ));
    }
    if body.version != sub.version {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This subscription changed since it was shown; look at it again before changing it.",
        ));
    }
    let old = sub.selection(items)?;
    let settings = org.billing();
    let interval = old
        .plan
        .interval
        .ok_or_else(|| FieldError::invalid("plan", "the plan has no interval"))?;
    let billed_to = sub
        .billed_to()
        .ok_or_else(|| ApiError::internal("billed_to is not a date"))?;
    let start = parse_date(&sub.start_date).unwrap_or(billed_to);
    let billed = rules::billed_period(start, billed_to, settings.cutoff_day, interval, today);
    let other = body.plan.is_some() || body.quantity.is_some() || body.add_ons.is_some();
    let ask = match (body.cancel.as_deref(), body.resume) {
        (Some(_), _) if other || body.resume => {
            return Err(FieldError::invalid(
                "cancel",
                "a cancellation is asked alone, without other changes",
            )
            .into());
        }
        (Some("period_end"), _) => Ask::CancelAtEnd,
        (Some("now"), _) if settings.immediate_cancel => Ask::CancelNow,
        (Some("now"), _) => {
            return Err(FieldError::invalid(
                "cancel",
                "this company ends subscriptions at the end of the period; ask for `period_end`",
            )
            .into());
        }
        (Some(_), _) => {
            return Err(FieldError::invalid("cancel", "must be `period_end` or `now`").into());
        }
        (None, true) if other => {
            return Err(FieldError::invalid(
                "resume",
                "keep the subscription first, then change it",
            )
            .into());
        }
        (None, true) if sub.cancel_at.is_none() => {
            return Err(FieldError::invalid("resume", "this subscription is not ending").into());
        }
        (None, true) => Ask::Resume,
        (None, false) => {
            if let Some(end) = &sub.cancel_at {
                return Err(FieldError::invalid(
                    "cancel",
                    format!("this subscription ends on {end}; keep it first, then change it"),
                )
                .into());
            }
            change_to(sub, items, &old, body)?
        }
    };
    if matches!(ask, Ask::CancelAtEnd) && sub.cancel_at.is_some() {
        return Err(FieldError::invalid("cancel", "this subscription is already ending").into());
    }
    let new = match &ask {
        Ask::Change { sel, .. } => Some(sel),
        Ask::CancelNow => None,
        // Nothing changes before the period's end.
        Ask::CancelAtEnd | Ask::Resume => Some(&old),
    };
    let quote = rules::quote(&old, new, billed, today)?;
    Ok(Decided {
        ask,
        old,
        quote,
        today,
    })
}

/// The new choice a change asks for.
fn change_to(
    sub: &SubscriptionRow,
    items: &[ItemRow],
    old: &Selection,
    body: &ChangeSubscriptionRequest,
) -> Result<Ask, ApiError> {
    let plan_row = match &body.plan {
        None => items
            .iter()
            .find(|i| i.id == sub.plan_id)
            .ok_or_else(|| FieldError::invalid("plan", "the plan is no longer in the catalog"))?,
        Some(code) => catalog::live_plan(items, code)?,
    };
    let plan = plan_row.item();
    rules::check_move(&old.plan, &plan)?;
    let catalog = catalog::live(items);
    let add_ons = body
        .add_ons
        .clone()
        .unwrap_or_else(|| old.add_on_quantities());
    let sel = billing::choose(
        &plan,
        old.currency,
        body.quantity.unwrap_or(old.quantity),
        &add_ons,
        &catalog,
    )?;
    rules::check_changed(old, &sel)?;
    Ok(Ask::Change {
        sel,
        plan_id: plan_row.id.clone(),
    })
}

/// A quote as the API shows it.
pub(super) fn view_quote(d: &Decided) -> ChangeQuote {
    let q = &d.quote;
    let after = match &d.ask {
        Ask::Change { sel, .. } => sel.per_period(),
        Ask::CancelNow | Ask::CancelAtEnd => 0,
        Ask::Resume => d.old.per_period(),
    };
    ChangeQuote {
        currency: d.old.currency.code().to_owned(),
        effective_on: q.on.to_string(),
        period_start: q.period.map(|p| p.start.to_string()),
        period_end: q.period.map(|p| p.last_day().to_string()),
        days_left: q.days_left,
        days: q.days,
        lines: q
            .lines
            .iter()
            .map(|l| ProrationLine {
                description: l.description.clone(),
                amount: l.amount,
                tax: l.tax,
            })
            .collect(),
        charge: q.charge.total,
        credit: q.credit.total,
        net: q.net(),
        per_period: after,
    }
}

/// Who asks, and for which subscription.
struct Scope {
    org: OrganizationRow,
    customer: CustomerRow,
    sub: SubscriptionRow,
    items: Vec<ItemRow>,
    actor: String,
}

/// The company's scope: any subscription of the organization.
async fn company(ctx: &Ctx, req: &Request, id: &str) -> Result<Scope, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let sub = load(ctx, &org.id, id).await?;
    let customer = customers::load(ctx, &org.id, &sub.customer_id).await?;
    let items = catalog::all(ctx, &org.id).await?;
    Ok(Scope {
        org,
        customer,
        sub,
        items,
        actor: ctx.actor(),
    })
}

/// The customer's scope: their own subscriptions only (another's is 404).
async fn customer(ctx: &Ctx, req: &Request, id: &str) -> Result<Scope, ApiError> {
    let s = http::session(ctx, req).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let sub = load(ctx, &org.id, id).await?;
    if sub.customer_id != s.customer.id {
        return Err(ApiError::not_found("subscription"));
    }
    let items = catalog::all(ctx, &org.id).await?;
    Ok(Scope {
        actor: format!("customer:{}", s.customer.id),
        org,
        customer: s.customer,
        sub,
        items,
    })
}

async fn quote_in(ctx: &Ctx, scope: Scope, req: Request) -> Result<Response, ApiError> {
    let body: ChangeSubscriptionRequest = http::json_body(req).await?;
    let today = billing_today(ctx, &scope.org);
    let d = decide(&scope.org, &scope.sub, &scope.items, &body, today)?;
    http::json(200, &view_quote(&d))
}

async fn change_in(ctx: &Ctx, scope: Scope, req: Request) -> Result<Response, ApiError> {
    let body: ChangeSubscriptionRequest = http::json_body(req).await?;
    let today = billing_today(ctx, &scope.org);
    let d = decide(&scope.org, &scope.sub, &scope.items, &body, today)?;
    let done = super::apply::apply(
        ctx,
        &scope.org,
        &scope.customer,
        &scope.sub,
        &d,
        &scope.actor,
    )
    .await?;
    http::json(200, &done)
}

/// `POST /api/v1/subscriptions/{id}/quote`
pub async fn quote(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let scope = company(ctx, &req, id).await?;
    quote_in(ctx, scope, req).await
}

/// `POST /api/v1/subscriptions/{id}/change`
pub async fn change(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let scope = company(ctx, &req, id).await?;
    change_in(ctx, scope, req).await
}

/// `POST /api/v1/portal/subscriptions/{id}/quote`
pub async fn portal_quote(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let scope = customer(ctx, &req, id).await?;
    quote_in(ctx, scope, req).await
}

/// `POST /api/v1/portal/subscriptions/{id}/change`
pub async fn portal_change(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let scope = customer(ctx, &req, id).await?;
    change_in(ctx, scope, req).await
}
