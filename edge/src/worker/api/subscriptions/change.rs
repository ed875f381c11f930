//! Changing a subscription mid-period: its quantity, its plan (one the
//! catalog lets it move to), its add-ons, or cancelling it.
//!
//! - `POST /api/v1/subscriptions/{id}/quote` and `…/change` (the company)
//! - `GET /api/v1/portal/subscriptions`, and
//!   `POST /api/v1/portal/subscriptions/{id}/quote` and `…/change` (the
//!   customer, on their own subscriptions)
//!
//! A quote and a change run the same rules (`settle_shared::billing::change`):
//! the unused part of the billed period is credited and the new choice's
//! days charged, to the day. A change is written in one D1 batch, guarded
//! on the version it was quoted on: the proration invoice and its email,
//! the credit notes (on that invoice first, then on the period's invoice
//! while it is open), the credit carried to the next invoice, the
//! subscription, its audit row and the `subscription.changed` event.

use super::credit::{self, Note};
use super::{SubscriptionRow, billing_today, load};
use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::api::catalog::{self, ItemRow};
use crate::worker::api::invoices::{self, Issue};
use crate::worker::api::{customers, organizations};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::{http, queue};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    ChangeQuote, ChangeResponse, ChangeSubscriptionRequest, ListResponse, PortalOption,
    PortalSubscription, ProrationLine,
};
use settle_shared::billing::change::{self as rules, Quote};
use settle_shared::billing::{self, Item, Kind, Selection};
use settle_shared::ids::{EmailId, InvoiceId};
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::parse_date;
use worker::{Request, Response};

/// What a request asks, checked.
enum Ask {
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
    fn action(&self) -> &'static str {
        match self {
            Ask::Change { .. } => "subscription.changed",
            Ask::CancelAtEnd | Ask::CancelNow => "subscription.canceled",
            Ask::Resume => "subscription.resumed",
        }
    }
}

/// A request decided: what it asks and what it costs.
struct Decided {
    ask: Ask,
    old: Selection,
    quote: Quote,
    today: NaiveDate,
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
    let live = |i: &&ItemRow| i.archived_at.is_none();
    let plan_row = match &body.plan {
        None => items
            .iter()
            .find(|i| i.id == sub.plan_id)
            .ok_or_else(|| FieldError::invalid("plan", "the plan is no longer in the catalog"))?,
        Some(code) => items
            .iter()
            .filter(live)
            .find(|i| &i.code == code && i.kind == Kind::Plan.as_str())
            .ok_or_else(|| {
                FieldError::new(
                    ErrorCode::NotFound,
                    "plan",
                    format!("The catalog has no plan with the code `{code}`."),
                )
            })?,
    };
    let plan = plan_row.item();
    rules::check_move(&old.plan, &plan)?;
    let catalog: Vec<Item> = items.iter().filter(live).map(ItemRow::item).collect();
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
fn view_quote(d: &Decided) -> ChangeQuote {
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

/// The invoice the subscription's billed period was issued as, if the
/// billing run issued it.
async fn period_invoice(ctx: &Ctx, sub: &SubscriptionRow) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        invoice_id: String,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT invoice_id FROM subscription_periods WHERE subscription_id = ?1 AND period_end = ?2 \
         ORDER BY period_start DESC LIMIT 1",
        params![&sub.id, &sub.billed_to],
    )?;
    Ok(db::one::<Id>(s).await?.map(|r| r.invoice_id))
}

/// How many credit notes an invoice has.
async fn notes_on(ctx: &Ctx, org_id: &str, invoice_id: &str) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT COUNT(*) AS n FROM credit_notes WHERE organization_id = ?1 AND invoice_id = ?2",
        params![org_id, invoice_id],
    )?;
    Ok(db::one::<Count>(s).await?.map_or(0, |c| c.n))
}

/// Applies a decided change in one batch; a change made meanwhile fails
/// the guard and is refused (409), so a doubled click changes once.
async fn apply(
    ctx: &Ctx,
    org: &OrganizationRow,
    customer: &CustomerRow,
    sub: &SubscriptionRow,
    d: &Decided,
    actor: &str,
) -> Result<ChangeResponse, ApiError> {
    let settings = org.billing();
    let q = &d.quote;
    let mut stmts = vec![db::conflict_unless(
        &ctx.db,
        "EXISTS (SELECT 1 FROM subscriptions WHERE id = ?1 AND version = ?2 AND status = 'active')",
        params![&sub.id, sub.version],
    )?];
    let mut emails: Vec<EmailId> = Vec::new();
    // Credit targets: the invoice, its sessions, its next note number.
    let mut targets: Vec<(ledger::Invoice, Vec<ledger::checkout::Session>, i64)> = Vec::new();
    let mut issued = None;
    let change_no = sub.version + 1;
    if let Some(req) = q.invoice(
        &customer.id,
        &sub.number,
        change_no,
        d.old.currency.code(),
        settings.due_days,
    ) {
        let inv = req.validate(d.today)?;
        let id = InvoiceId::generate(ctx.now_ms() as u64, ctx.random10());
        let email = EmailId::generate(ctx.now_ms() as u64, ctx.random10());
        stmts.extend(invoices::issue(
            ctx,
            &Issue {
                org_id: &org.id,
                customer,
                id: &id,
                inv: &inv,
                replaces: None,
                email: Some(&email),
            },
        )?);
        stmts.extend(
            crate::worker::api::autopay::schedules::for_new_invoice(
                ctx,
                org,
                customer,
                id.as_str(),
                inv.due_date,
            )
            .await?,
        );
        emails.push(email);
        targets.push((credit::fresh(&id, &inv, customer), Vec::new(), 1));
        issued = Some((id.as_str().to_owned(), inv.number.clone()));
    }
    if q.credit.total > 0
        && let Some(invoice_id) = period_invoice(ctx, sub).await?
    {
        let (inv, sessions) = invoices::books_of(ctx, &org.id, &invoice_id).await?;
        let seq = notes_on(ctx, &org.id, &invoice_id).await? + 1;
        targets.push((inv, sessions, seq));
    }
    let owed: Vec<i64> = targets
        .iter()
        .map(|(inv, _, _)| ledger::due(inv.status, inv.total, inv.paid()))
        .collect();
    let (notes, mut carried) = rules::spread(q.credit.total, &owed);
    let mut credited = 0;
    let reason = format!("Subscription {}: change on {}", sub.number, d.today);
    for ((inv, sessions, seq), amount) in targets.iter().zip(notes) {
        if amount == 0 {
            continue;
        }
        let note = Note {
            org_id: &org.id,
            subscription_id: &sub.id,
            inv,
            sessions,
            amount,
            seq: *seq,
            reason: &reason,
            actor,
        };
        match credit::note(ctx, &note)? {
            Some(w) => {
                for session in &w.expire {
                    invoices::close_open_session(ctx, &org.id, session).await?;
                }
                stmts.extend(w.stmts);
                emails.extend(w.emails);
                credited += amount;
            }
            None => carried += amount,
        }
    }
    let (plan_id, quantity, add_ons) = match &d.ask {
        Ask::Change { sel, plan_id } => (plan_id.clone(), sel.quantity, sel.add_on_quantities()),
        _ => (sub.plan_id.clone(), sub.quantity, d.old.add_on_quantities()),
    };
    let today = d.today.to_string();
    // Nothing billed ahead of today: cancelling at the period's end is
    // cancelling now.
    let ends_now = matches!(d.ask, Ask::CancelNow)
        || (matches!(d.ask, Ask::CancelAtEnd) && sub.billed_to <= today);
    let (status, cancel_at) = match d.ask {
        _ if ends_now => ("canceled", Some(today.clone())),
        Ask::CancelAtEnd => ("active", Some(sub.billed_to.clone())),
        _ => ("active", None),
    };
    let add_ons_json =
        serde_json::to_string(&add_ons).map_err(|e| ApiError::internal(e.to_string()))?;
    stmts.push(db::stmt(
        &ctx.db,
        "UPDATE subscriptions SET plan_id = ?2, quantity = ?3, add_ons = ?4, status = ?5, cancel_at = ?6, \
         credit = credit + ?7, version = version + 1, failed_period = NULL, updated_at = ?8 WHERE id = ?1",
        params![
            &sub.id,
            &plan_id,
            quantity,
            &add_ons_json,
            status,
            cancel_at.clone(),
            carried,
            ctx.now_ms()
        ],
    )?);
    let quote = view_quote(d);
    let plan_code = items_code(&d.ask).unwrap_or_else(|| sub.plan_code.clone());
    let object = json!({
        "id": sub.id, "number": sub.number, "customer_id": customer.id, "status": status,
        "cancel_at": cancel_at, "change": d.ask.action(),
        "from": { "plan": sub.plan_code, "quantity": sub.quantity, "add_ons": d.old.add_on_quantities() },
        "to": { "plan": plan_code, "quantity": quantity, "add_ons": add_ons },
        "proration": { "currency": quote.currency, "charge": quote.charge, "credit": quote.credit, "net": quote.net,
                       "invoice_id": issued.as_ref().map(|i| i.0.clone()), "credited": credited, "carried": carried },
    });
    stmts.push(ctx.audit(Audit {
        org: Some(&org.id),
        actor,
        action: d.ask.action(),
        subject: &sub.id,
        detail: object.clone(),
    })?);
    stmts.extend(crate::worker::api::webhooks::emit(
        ctx,
        &org.id,
        "subscription.changed",
        &object,
    )?);
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        Err(WriteError::Conflict | WriteError::Unique(_)) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "This subscription or its invoice changed meanwhile; nothing was changed. Look at it again.",
            ));
        }
        Err(WriteError::Other(e)) => return Err(e),
    }
    for e in &emails {
        queue::enqueue_email(ctx, e.as_str()).await;
    }
    let row = load(ctx, &org.id, &sub.id).await?;
    let items = catalog::all(ctx, &org.id).await?;
    Ok(ChangeResponse {
        quote,
        subscription: row.view(org, &items),
        invoice_id: issued.as_ref().map(|i| i.0.clone()),
        invoice_number: issued.map(|i| i.1),
        credited,
        carried,
    })
}

/// The plan code a change moves to, when it names one.
fn items_code(ask: &Ask) -> Option<String> {
    match ask {
        Ask::Change { sel, .. } => Some(sel.plan.code.clone()),
        _ => None,
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
    let done = apply(
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

/// `GET /api/v1/portal/subscriptions`: the customer's subscriptions, newest
/// first, each with the plans and add-ons they may choose.
pub async fn portal_list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let s = http::session(ctx, req).await?;
    let org = organizations::load(ctx, &s.customer.organization_id).await?;
    let rows: Vec<SubscriptionRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "{} WHERE s.organization_id = ?1 AND s.customer_id = ?2 ORDER BY s.id DESC LIMIT 50",
            super::SELECT
        ),
        params![&org.id, &s.customer.id],
    )?)
    .await?;
    let items = catalog::all(ctx, &org.id).await?;
    let data = rows.iter().map(|r| options(&org, r, &items)).collect();
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
            total: None,
        },
    )
}

/// A subscription with what its customer may change it to.
fn options(org: &OrganizationRow, r: &SubscriptionRow, items: &[ItemRow]) -> PortalSubscription {
    let currency = settle_shared::Currency::parse(&r.currency).ok();
    let offer = |i: &ItemRow| -> Option<PortalOption> {
        let item = i.item();
        Some(PortalOption {
            code: item.code.clone(),
            name: item.name.clone(),
            description: item.description.clone(),
            price: item.price(currency?)?,
            tax_rate: item.tax_rate,
            min_quantity: item.min_quantity,
            max_quantity: item.max_quantity,
        })
    };
    let current = items.iter().find(|i| i.id == r.plan_id);
    let plan = current.map(ItemRow::item);
    let live = |i: &&ItemRow| i.archived_at.is_none();
    let mut plans: Vec<PortalOption> = current.and_then(offer).into_iter().collect();
    if let Some(p) = &plan {
        plans.extend(
            items
                .iter()
                .filter(live)
                .filter(|i| i.kind == Kind::Plan.as_str() && p.moves_to.contains(&i.code))
                .filter(|i| rules::check_move(p, &i.item()).is_ok())
                .filter_map(offer),
        );
    }
    let add_ons = plan
        .as_ref()
        .map(|p| {
            items
                .iter()
                .filter(live)
                .filter(|i| i.kind == Kind::AddOn.as_str() && p.add_ons.contains(&i.code))
                .filter_map(offer)
                .collect()
        })
        .unwrap_or_default();
    PortalSubscription {
        subscription: r.view(org, items),
        interval: plan
            .and_then(|p| p.interval)
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default(),
        plans,
        add_ons,
        immediate_cancel: org.billing().immediate_cancel,
    }
}
