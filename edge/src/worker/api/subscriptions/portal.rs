//! `GET /api/v1/portal/subscriptions`: what the customer's account page
//! shows, with the plans and add-ons each subscription may change to.

use super::SubscriptionRow;
use crate::error::ApiError;
use crate::params;
use crate::rows::OrganizationRow;
use crate::worker::api::catalog::{self, ItemRow};
use crate::worker::api::organizations;
use crate::worker::ctx::Ctx;
use crate::worker::db::{self};
use crate::worker::http;
use settle_shared::api::{ListResponse, PortalOption, PortalSubscription};
use settle_shared::billing::Kind;
use settle_shared::billing::change::{self as rules};
use worker::{Request, Response};

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
