//! `/api/v1/catalog`: an organization's plans and add-ons.
//!
//! - `GET`/`POST /catalog/plans`, `PUT /catalog/plans/{code}`
//! - `GET`/`POST /catalog/add-ons`
//!
//! The rules (codes, prices per currency, quantities, which add-ons and
//! moves a plan allows) are `settle_shared::billing::catalog`'s; a plan's
//! add-ons and moves must name items that exist.

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::http;
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    CatalogAddOnRequest, CatalogItemResponse, CatalogPlanRequest, ListResponse,
};
use settle_shared::billing::{Interval, Item, Kind};
use settle_shared::decimal::Milli;
use settle_shared::ids::CatalogItemId;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// The most items (plans and add-ons) one organization's catalog holds.
const MAX_ITEMS: usize = 500;

/// A catalog row as stored.
#[derive(Debug, Clone, Deserialize)]
pub struct ItemRow {
    pub id: String,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub interval: Option<String>,
    pub prices: String,
    pub tax_rate_milli: i64,
    pub min_quantity: i64,
    pub max_quantity: Option<i64>,
    pub add_ons: String,
    pub moves_to: String,
    pub archived_at: Option<i64>,
    pub created_at: i64,
}

impl ItemRow {
    /// The item for the pure rules.
    pub fn item(&self) -> Item {
        Item {
            kind: if self.kind == "plan" {
                Kind::Plan
            } else {
                Kind::AddOn
            },
            code: self.code.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            interval: self.interval.as_deref().and_then(Interval::parse),
            prices: serde_json::from_str(&self.prices).unwrap_or_default(),
            tax_rate: Milli(self.tax_rate_milli),
            min_quantity: self.min_quantity,
            max_quantity: self.max_quantity,
            add_ons: serde_json::from_str(&self.add_ons).unwrap_or_default(),
            moves_to: serde_json::from_str(&self.moves_to).unwrap_or_default(),
        }
    }

    pub fn view(&self) -> CatalogItemResponse {
        let i = self.item();
        CatalogItemResponse {
            id: self.id.clone(),
            kind: self.kind.clone(),
            code: i.code,
            name: i.name,
            description: i.description,
            interval: i.interval.map(|v| v.as_str().to_owned()),
            prices: i.prices,
            tax_rate: i.tax_rate,
            min_quantity: i.min_quantity,
            max_quantity: i.max_quantity,
            add_ons: i.add_ons,
            moves_to: i.moves_to,
            archived: self.archived_at.is_some(),
            created_at: rfc3339_from_millis(self.created_at),
        }
    }
}

/// Every item of an organization's catalog (it is small: at most
/// [`MAX_ITEMS`]).
pub async fn all(ctx: &Ctx, org_id: &str) -> Result<Vec<ItemRow>, ApiError> {
    db::all(db::stmt(
        &ctx.db,
        "SELECT * FROM catalog_items WHERE organization_id = ?1 ORDER BY code LIMIT 500",
        params![org_id],
    )?)
    .await
}

/// The plan `code` that subscribers may take now (not archived), or the
/// `404 not_found` on `plan` the API answers.
pub fn live_plan<'a>(items: &'a [ItemRow], code: &str) -> Result<&'a ItemRow, FieldError> {
    items
        .iter()
        .find(|i| i.code == code && i.kind == Kind::Plan.as_str() && i.archived_at.is_none())
        .ok_or_else(|| {
            FieldError::new(
                ErrorCode::NotFound,
                "plan",
                format!("The catalog has no plan with the code `{code}`."),
            )
        })
}

/// The plans and add-ons subscribers may take now, for the pure rules.
pub fn live(items: &[ItemRow]) -> Vec<Item> {
    items
        .iter()
        .filter(|i| i.archived_at.is_none())
        .map(ItemRow::item)
        .collect()
}

/// `GET /api/v1/catalog/plans` or `/add-ons`: by code.
pub async fn list(ctx: &Ctx, req: &Request, kind: Kind) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let rows = all(ctx, &org.id).await?;
    http::json(
        200,
        &ListResponse {
            data: rows
                .iter()
                .filter(|r| r.kind == kind.as_str())
                .map(ItemRow::view)
                .collect(),
            next_cursor: None,
            total: None,
        },
    )
}

/// `POST /api/v1/catalog/plans` (admins).
pub async fn create_plan(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: CatalogPlanRequest = http::json_body(req).await?;
    let item = body.validate()?;
    save(ctx, &org.id, item, None).await
}

/// `POST /api/v1/catalog/add-ons` (admins).
pub async fn create_add_on(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: CatalogAddOnRequest = http::json_body(req).await?;
    let item = body.validate()?;
    save(ctx, &org.id, item, None).await
}

/// `PUT /api/v1/catalog/plans/{code}` (admins): replaces a plan's name,
/// prices, limits, add-ons and moves. Subscriptions bill at the new prices
/// from their next period.
pub async fn replace_plan(ctx: &Ctx, req: Request, code: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: CatalogPlanRequest = http::json_body(req).await?;
    let item = body.validate()?;
    if item.code != code {
        return Err(FieldError::invalid(
            "code",
            "must be the code in the path; codes do not change",
        )
        .into());
    }
    save(ctx, &org.id, item, Some(code)).await
}

/// Checks links against the catalog and writes the item: a new one, or
/// the plan `replacing`.
async fn save(
    ctx: &Ctx,
    org_id: &str,
    item: Item,
    replacing: Option<&str>,
) -> Result<Response, ApiError> {
    let rows = all(ctx, org_id).await?;
    let existing = replacing.and_then(|c| rows.iter().find(|r| r.code == c && r.kind == "plan"));
    if replacing.is_some() && existing.is_none() {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("No plan has the code `{}`.", item.code),
        ));
    }
    if replacing.is_none() && rows.len() >= MAX_ITEMS {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("A catalog holds at most {MAX_ITEMS} plans and add-ons."),
        ));
    }
    let kind_of = |code: &str| {
        rows.iter()
            .find(|r| r.code == code)
            .map(|r| r.kind.as_str())
    };
    for (n, c) in item.add_ons.iter().enumerate() {
        if kind_of(c) != Some("add_on") {
            return Err(FieldError::invalid(
                format!("add_ons[{n}]"),
                format!("`{c}` is not an add-on of this catalog"),
            )
            .into());
        }
    }
    for (n, c) in item.moves_to.iter().enumerate() {
        if kind_of(c) != Some("plan") {
            return Err(FieldError::invalid(
                format!("moves_to[{n}]"),
                format!("`{c}` is not a plan of this catalog"),
            )
            .into());
        }
    }
    let now = ctx.now_ms();
    let id = match existing {
        Some(r) => r.id.clone(),
        None => CatalogItemId::generate(now as u64, ctx.random10()).to_string(),
    };
    let prices =
        serde_json::to_string(&item.prices).map_err(|e| ApiError::internal(e.to_string()))?;
    let add_ons =
        serde_json::to_string(&item.add_ons).map_err(|e| ApiError::internal(e.to_string()))?;
    let moves_to =
        serde_json::to_string(&item.moves_to).map_err(|e| ApiError::internal(e.to_string()))?;
    let args = params![
        &id,
        org_id,
        item.kind.as_str(),
        &item.code,
        &item.name,
        item.description.clone(),
        item.interval.map(|i| i.as_str()),
        &prices,
        item.tax_rate.0,
        item.min_quantity,
        item.max_quantity,
        &add_ons,
        &moves_to,
        now
    ];
    let write = if existing.is_some() {
        "UPDATE catalog_items SET name = ?5, description = ?6, interval = ?7, prices = ?8, tax_rate_milli = ?9, \
         min_quantity = ?10, max_quantity = ?11, add_ons = ?12, moves_to = ?13, updated_at = ?14 \
         WHERE id = ?1 AND organization_id = ?2 AND kind = ?3 AND code = ?4"
    } else {
        "INSERT INTO catalog_items (id, organization_id, kind, code, name, description, interval, prices, tax_rate_milli, \
         min_quantity, max_quantity, add_ons, moves_to, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)"
    };
    let action = match (item.kind, existing.is_some()) {
        (Kind::Plan, false) => "catalog.plan_created",
        (Kind::Plan, true) => "catalog.plan_updated",
        (Kind::AddOn, _) => "catalog.add_on_created",
    };
    let audit = ctx.audit(Audit {
        org: Some(org_id),
        actor: &ctx.actor(),
        action,
        subject: &id,
        detail: json!({ "code": item.code, "prices": item.prices, "before": existing.map(ItemRow::view) }),
    })?;
    match db::batch(&ctx.db, vec![db::stmt(&ctx.db, write, args)?, audit]).await {
        Ok(_) => {}
        Err(WriteError::Unique(_)) => {
            return Err(FieldError::new(
                ErrorCode::Conflict,
                "code",
                format!(
                    "The catalog already has an item with the code `{}`.",
                    item.code
                ),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    let row: ItemRow = db::one(db::stmt(
        &ctx.db,
        "SELECT * FROM catalog_items WHERE id = ?1",
        params![&id],
    )?)
    .await?
    .ok_or_else(|| ApiError::internal("catalog item vanished"))?;
    http::json(if existing.is_some() { 200 } else { 201 }, &row.view())
}
