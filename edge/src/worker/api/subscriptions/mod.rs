//! `/api/v1/subscriptions`: customers subscribed to catalog plans.
//!
//! - `POST /subscriptions`, `GET /subscriptions?customer_id=`,
//!   `GET /subscriptions/{id}`
//! - [`change`]: changes mid-period, quoted (company and portal), and
//!   cancelling; [`apply`] writes them; [`portal`] is the customer's list.
//! - [`runs`]: the billing run that invoices them, and `/billing-runs`.
//!
//! A subscription is billed from `billed_to`, the first day not yet
//! invoiced; what a period costs and when it ends are
//! `settle_shared::billing`'s rules.

mod apply;
mod bill;
mod change;
mod credit;
mod portal;
pub mod runs;

pub use change::{change, portal_change, portal_quote, quote};
pub use portal::portal_list;

use super::catalog::{self, ItemRow};
use super::customers::{self, page, page_limit, page_start};
use crate::error::ApiError;
use crate::params;
use crate::rows::{CustomerRow, OrganizationRow};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::http;
use crate::zone::Zone;
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use serde_json::json;
use settle_shared::api::{
    AddOnQuantity, CreateSubscriptionRequest, NextInvoice, SubscriptionResponse,
};
use settle_shared::billing::{self, NextBill, Selection};
use settle_shared::ids::SubscriptionId;
use settle_shared::ids::{EmailId, InvoiceId};
use settle_shared::invoice::NewInvoice;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::{parse_date, rfc3339_from_millis};
use settle_shared::{Currency, ErrorCode};
use worker::{Request, Response};

/// How far ahead a subscription may start.
const MAX_START_DAYS: u64 = 366;

/// A subscription as stored, with its plan's code and name.
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub customer_id: String,
    pub number: String,
    pub plan_id: String,
    pub currency: String,
    pub quantity: i64,
    pub add_ons: String,
    pub status: String,
    pub start_date: String,
    pub billed_to: String,
    pub created_at: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub cancel_at: Option<String>,
    #[serde(default)]
    pub credit: i64,
    pub plan_code: String,
    pub plan_name: String,
    pub customer_name: String,
}

pub(super) const SELECT: &str = "SELECT s.*, p.code AS plan_code, p.name AS plan_name, c.name AS customer_name \
     FROM subscriptions s JOIN catalog_items p ON p.id = s.plan_id JOIN customers c ON c.id = s.customer_id";

impl SubscriptionRow {
    pub fn add_ons(&self) -> Vec<AddOnQuantity> {
        serde_json::from_str(&self.add_ons).unwrap_or_default()
    }

    pub fn billed_to(&self) -> Option<NaiveDate> {
        parse_date(&self.billed_to)
    }

    /// What it takes, checked against the catalog as it is now (an error
    /// when the catalog no longer allows it, such as a price removed).
    pub fn selection(&self, items: &[ItemRow]) -> Result<Selection, FieldError> {
        let plan = items
            .iter()
            .find(|i| i.id == self.plan_id)
            .ok_or_else(|| FieldError::invalid("plan", "the plan is no longer in the catalog"))?;
        let currency = Currency::parse(&self.currency)
            .map_err(|e| FieldError::invalid("currency", e.to_string()))?;
        let catalog: Vec<_> = items.iter().map(ItemRow::item).collect();
        billing::choose(
            &plan.item(),
            currency,
            self.quantity,
            &self.add_ons(),
            &catalog,
        )
    }

    /// The next period it bills, by the organization's cut-off day.
    pub fn next_bill(&self, sel: &Selection, cutoff_day: u32) -> Option<NextBill> {
        let interval = sel.plan.interval?;
        Some(billing::next_bill(self.billed_to()?, cutoff_day, interval))
    }

    pub fn view(&self, org: &OrganizationRow, items: &[ItemRow]) -> SubscriptionResponse {
        let next_invoice = (self.status == "active" && self.cancel_at.is_none())
            .then(|| self.preview(org, items))
            .flatten();
        SubscriptionResponse {
            id: self.id.clone(),
            number: self.number.clone(),
            customer_id: self.customer_id.clone(),
            customer_name: self.customer_name.clone(),
            plan: self.plan_code.clone(),
            plan_name: self.plan_name.clone(),
            currency: self.currency.clone(),
            quantity: self.quantity,
            add_ons: self.add_ons(),
            status: self.status.clone(),
            start_date: self.start_date.clone(),
            billed_to: self.billed_to.clone(),
            next_invoice,
            version: self.version,
            cancel_at: self.cancel_at.clone(),
            credit: self.credit,
            created_at: rfc3339_from_millis(self.created_at),
        }
    }

    /// The invoice the next run issues, computed by the same rules.
    fn preview(&self, org: &OrganizationRow, items: &[ItemRow]) -> Option<NextInvoice> {
        let sel = self.selection(items).ok()?;
        let settings = org.billing();
        let bill = self.next_bill(&sel, settings.cutoff_day)?;
        let req = sel.invoice(
            &self.customer_id,
            &self.number,
            &bill,
            bill.billed.start,
            settings.due_days,
        );
        let inv = req.validate(bill.billed.start).ok()?;
        Some(NextInvoice {
            issue_date: bill.billed.start.to_string(),
            period_start: bill.billed.start.to_string(),
            period_end: bill.billed.last_day().to_string(),
            subtotal: inv.totals.subtotal,
            tax: inv.totals.tax,
            total: inv.totals.total,
            partial: bill.is_partial(),
        })
    }
}

/// The organization's local date for billing.
pub fn billing_today(ctx: &Ctx, org: &OrganizationRow) -> NaiveDate {
    Zone::or_utc(&org.billing().time_zone).date(ctx.now_ms())
}

/// `POST /api/v1/subscriptions`
pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: CreateSubscriptionRequest = http::json_body(req).await?;
    let customer = customers::load(ctx, &org.id, &body.customer_id)
        .await
        .map_err(|e| match e {
            ApiError::Client {
                code: ErrorCode::NotFound,
                ..
            } => FieldError::new(
                ErrorCode::NotFound,
                "customer_id",
                "`customer_id` names no customer of this organization.",
            )
            .into(),
            other => other,
        })?;
    let items = catalog::all(ctx, &org.id).await?;
    let plan = catalog::live_plan(&items, &body.plan)?;
    let currency = Currency::parse(&body.currency)
        .map_err(|e| FieldError::new(ErrorCode::UnsupportedCurrency, "currency", e.to_string()))?;
    let catalog = catalog::live(&items);
    let sel = billing::choose(
        &plan.item(),
        currency,
        body.quantity.unwrap_or(plan.min_quantity),
        &body.add_ons,
        &catalog,
    )?;
    let today = billing_today(ctx, &org);
    let start = match &body.start_date {
        None => today,
        Some(s) => parse_date(s).ok_or_else(|| {
            FieldError::invalid("start_date", "must be a date such as 2027-01-31")
        })?,
    };
    check_start(start, today)?;
    let (id, stmts) = insert(ctx, &org.id, &customer.id, plan, &sel, start)?;
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => {}
        // Two subscriptions drew the same number: 1 in 4 billion.
        Err(WriteError::Unique(_)) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "Please send the request again.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let row = load(ctx, &org.id, id.as_str()).await?;
    http::json(201, &row.view(&org, &items))
}

/// The statements that issue a subscription's invoice (a period's, or a
/// change's proration) and email it, with the autopay charge of a
/// customer on autopay.
pub(super) async fn issue(
    ctx: &Ctx,
    org: &OrganizationRow,
    customer: &CustomerRow,
    id: &InvoiceId,
    inv: &NewInvoice,
    email: &EmailId,
) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let mut stmts = super::invoices::issue(
        ctx,
        &super::invoices::Issue {
            org_id: &org.id,
            customer,
            id,
            inv,
            replaces: None,
            email: Some(email),
        },
    )?;
    stmts.extend(
        super::autopay::schedules::for_new_invoice(ctx, org, customer, id.as_str(), inv.due_date)
            .await?,
    );
    Ok(stmts)
}

/// A start date a subscription may have: from `today` to a year on.
pub fn check_start(start: NaiveDate, today: NaiveDate) -> Result<(), FieldError> {
    if start < today {
        return Err(FieldError::invalid(
            "start_date",
            format!("must be today ({today}) or later: a subscription does not bill the past"),
        ));
    }
    if start > today + Days::new(MAX_START_DAYS) {
        return Err(FieldError::invalid(
            "start_date",
            "must be within a year from today",
        ));
    }
    Ok(())
}

/// The statements that subscribe a customer (checked by
/// [`billing::choose`]) from `start`: the row, its audit row and the
/// `subscription.created` event.
pub(crate) fn insert(
    ctx: &Ctx,
    org_id: &str,
    customer_id: &str,
    plan: &ItemRow,
    sel: &Selection,
    start: NaiveDate,
) -> Result<(SubscriptionId, Vec<worker::D1PreparedStatement>), ApiError> {
    let now = ctx.now_ms();
    let id = SubscriptionId::generate(now as u64, ctx.random10());
    let r = ctx.random10();
    let number = format!("SUB-{:02X}{:02X}{:02X}{:02X}", r[0], r[1], r[2], r[3]);
    let add_ons = serde_json::to_string(&sel.add_on_quantities())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let currency = sel.currency;
    let object = json!({ "id": id.as_str(), "number": number, "customer_id": customer_id, "plan": plan.code,
                         "currency": currency.code(), "quantity": sel.quantity, "add_ons": sel.add_on_quantities(),
                         "status": "active", "start_date": start.to_string() });
    let mut stmts = vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO subscriptions (id, organization_id, customer_id, number, plan_id, currency, quantity, add_ons, \
             status, start_date, billed_to, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9, ?9, ?10, ?10)",
            params![
                id.as_str(),
                org_id,
                customer_id,
                &number,
                &plan.id,
                currency.code(),
                sel.quantity,
                &add_ons,
                start.to_string(),
                now
            ],
        )?,
        ctx.audit(Audit {
            org: Some(org_id),
            actor: &ctx.actor(),
            action: "subscription.created",
            subject: id.as_str(),
            detail: object.clone(),
        })?,
    ];
    stmts.extend(super::webhooks::emit(
        ctx,
        org_id,
        "subscription.created",
        &object,
    )?);
    Ok((id, stmts))
}

/// One subscription of the organization.
pub async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<SubscriptionRow, ApiError> {
    if SubscriptionId::parse(id).is_err() {
        return Err(ApiError::not_found("subscription"));
    }
    db::one(db::stmt(
        &ctx.db,
        &format!("{SELECT} WHERE s.id = ?1 AND s.organization_id = ?2"),
        params![id, org_id],
    )?)
    .await?
    .ok_or_else(|| ApiError::not_found("subscription"))
}

/// `GET /api/v1/subscriptions/{id}`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let row = load(ctx, &org.id, id).await?;
    let items = catalog::all(ctx, &org.id).await?;
    http::json(200, &row.view(&org, &items))
}

/// `GET /api/v1/subscriptions?customer_id=&limit=&cursor=`: newest first.
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let limit = page_limit(req);
    let before = page_start(req)?;
    let customer = http::query(req, "customer_id");
    let rows: Vec<SubscriptionRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "{SELECT} WHERE s.organization_id = ?1 AND s.id < ?2 AND (?3 IS NULL OR s.customer_id = ?3) \
             ORDER BY s.id DESC LIMIT ?4"
        ),
        params![&org.id, &before, customer, limit + 1],
    )?)
    .await?;
    let items = catalog::all(ctx, &org.id).await?;
    page(rows, limit, |r| &r.id, |r| r.view(&org, &items))
}
