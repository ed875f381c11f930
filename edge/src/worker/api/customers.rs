//! Customers of an organization.

use crate::cursor;
use crate::error::ApiError;
use crate::params;
use crate::reminders::preferences::{self, OptOut};
use crate::rows::{CustomerRow, is_time_zone};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::api::{
    AssignCustomerRequest, CreateCustomerRequest, ListResponse, UpdateCustomerRequest,
};
use settle_shared::ids::CustomerId;
use settle_shared::staff::Capability;
use settle_shared::text::{self, FieldError, limits};
use worker::{Request, Response};

/// `POST /api/v1/customers`
/// A customer to add, its fields checked.
pub(crate) struct NewCustomer<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub locale: &'a str,
    pub time_zone: &'a str,
    pub external_id: Option<&'a str>,
}

/// The statement that adds a customer (the API's and imports').
pub(crate) fn insert(
    ctx: &Ctx,
    org_id: &str,
    id: &CustomerId,
    c: &NewCustomer<'_>,
    assigned_to: Option<String>,
) -> Result<worker::D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "INSERT INTO customers (id, organization_id, name, email, email_lower, locale, time_zone, external_id, created_at, assigned_to) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            id.as_str(),
            org_id,
            c.name,
            c.email,
            c.email.to_lowercase(),
            c.locale,
            c.time_zone,
            c.external_id,
            ctx.now_ms(),
            assigned_to
        ],
    )
}

pub async fn create(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: CreateCustomerRequest = http::json_body(req).await?;
    let name = text::bounded("name", &body.name, limits::NAME)?;
    let email = text::email("email", &body.email)?;
    let locale = match &body.locale {
        Some(l) => text::locale("locale", l)?,
        None => "en".to_owned(),
    };
    let time_zone = body
        .time_zone
        .as_deref()
        .map(str::trim)
        .unwrap_or("UTC")
        .to_owned();
    if !is_time_zone(&time_zone) {
        return Err(FieldError::invalid(
            "time_zone",
            "must be an IANA time zone such as Europe/Paris",
        )
        .into());
    }
    let external_id = text::optional(
        "external_id",
        body.external_id.as_deref(),
        limits::REFERENCE,
    )?;
    let id = CustomerId::generate(ctx.now_ms() as u64, ctx.random10());
    // An agent who adds an account works it.
    let assigned_to = ctx.only_accounts_of();
    let new = NewCustomer {
        name: &name,
        email: &email,
        locale: &locale,
        time_zone: &time_zone,
        external_id: external_id.as_deref(),
    };
    let stmts = vec![
        insert(ctx, &org.id, &id, &new, assigned_to)?,
        ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: "customer.created",
            subject: id.as_str(),
            detail: json!({ "name": name, "email": email }),
        })?,
    ];
    db::batch(&ctx.db, stmts).await?;
    let c = load(ctx, &org.id, id.as_str()).await?;
    http::json(201, &c.view())
}

/// `PATCH /api/v1/customers/{id}`: only the given fields change. A new
/// address clears a bounce or complaint, so mail to the customer resumes.
pub async fn update(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::WorkAccounts).await?;
    let body: UpdateCustomerRequest = http::json_body(req).await?;
    let c = load(ctx, &org.id, id).await?;
    let name = match &body.name {
        Some(n) => text::bounded("name", n, limits::NAME)?,
        None => c.name.clone(),
    };
    let email = match &body.email {
        Some(e) => text::email("email", e)?,
        None => c.email.clone(),
    };
    let locale = match &body.locale {
        Some(l) => text::locale("locale", l)?,
        None => c.locale.clone(),
    };
    let time_zone = match &body.time_zone {
        Some(z) if is_time_zone(z.trim()) => z.trim().to_owned(),
        Some(_) => {
            return Err(FieldError::invalid(
                "time_zone",
                "must be an IANA time zone such as Europe/Paris",
            )
            .into());
        }
        None => c.time_zone.clone(),
    };
    let tags = match &body.tags {
        Some(t) => {
            if t.len() > 50 {
                return Err(FieldError::invalid("tags", "at most 50 tags").into());
            }
            for tag in t {
                settle_shared::reminders::tag("tags", tag)?;
            }
            let mut t = t.clone();
            settle_shared::sort::sort(&mut t);
            t.dedup();
            serde_json::to_string(&t).unwrap_or_else(|_| "[]".into())
        }
        None => c.tags.clone(),
    };
    let current = OptOut::stored(c.reminders_opt_out != 0, c.opt_out_by.as_deref());
    let opt_out = preferences::company_sets(current, body.reminders_opt_out)
        .map_err(|e| FieldError::new(ErrorCode::Conflict, "reminders_opt_out", e.to_string()))?;
    let address_changed = email.to_lowercase() != c.email.to_lowercase();
    let mut stmts = vec![db::stmt(
        &ctx.db,
        "UPDATE customers SET name = ?1, email = ?2, email_lower = ?3, locale = ?4, time_zone = ?5, tags = ?6, \
         reminders_opt_out = ?7, opt_out_by = ?10, email_status = CASE WHEN ?8 = 1 THEN 'ok' ELSE email_status END, \
         email_status_at = CASE WHEN ?8 = 1 THEN NULL ELSE email_status_at END, \
         payment_plans_blocked = COALESCE(?11, payment_plans_blocked) WHERE id = ?9",
        params![
            &name,
            &email,
            email.to_lowercase(),
            &locale,
            &time_zone,
            &tags,
            i64::from(opt_out.opted_out()),
            i64::from(address_changed),
            &c.id,
            opt_out.by(),
            body.payment_plans_blocked.map(i64::from)
        ],
    )?];
    if address_changed {
        // Links went to the old address: whoever reads it may no longer
        // open this customer's invoices.
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE access_links SET revoked_at = ?1 WHERE organization_id = ?2 AND customer_id = ?3 AND revoked_at IS NULL",
            params![ctx.now_ms(), &org.id, &c.id],
        )?);
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE customer_sessions SET ended_at = ?1 WHERE organization_id = ?2 AND customer_id = ?3 AND ended_at IS NULL",
            params![ctx.now_ms(), &org.id, &c.id],
        )?);
    }
    stmts.push(
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "customer.updated",
                subject: &c.id,
                detail: json!({ "customer_id": c.id, "changed": {
                    "name": body.name.is_some(), "email": address_changed, "locale": body.locale.is_some(),
                    "time_zone": body.time_zone.is_some(), "tags": body.tags.is_some(), "reminders_opt_out": body.reminders_opt_out,
                    "payment_plans_blocked": body.payment_plans_blocked,
                }, "email_status_cleared": address_changed && c.email_status != "ok", "links_revoked": address_changed }),
            })?);
    db::batch(&ctx.db, stmts).await?;
    if body.tags.is_some() || body.time_zone.is_some() {
        // Another segment or another window may now apply.
        crate::worker::reminders::replan(ctx, &org.id, Some(&c.id)).await?;
    }
    if time_zone != c.time_zone {
        // Scheduled charges keep their date, now in the new zone.
        crate::worker::api::autopay::schedules::rezone(ctx, &org, &c.id, &time_zone).await?;
    }
    let c = load(ctx, &org.id, &c.id).await?;
    http::json(200, &c.view())
}

/// `GET /api/v1/customers?limit=&cursor=`
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = page_start(req)?;
    // `?q=` finds a name or an address containing the words, whatever the
    // case; an agent sees only the accounts assigned to them.
    let q = http::query(req, "q")
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(FieldError::invalid("q", "must be at most 200 characters").into());
    }
    let pattern = q.map(|q| text::contains_pattern(&q));
    let filter = "organization_id = ?1 AND (?4 IS NULL OR assigned_to = ?4) \
         AND (?5 IS NULL OR lower(name) LIKE ?5 ESCAPE '\\' OR email_lower LIKE ?5 ESCAPE '\\')";
    let args = || {
        params![
            &org.id,
            before.as_str(),
            i64::from(limit) + 1,
            ctx.only_accounts_of(),
            pattern.clone()
        ]
    };
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                &format!(
                    "SELECT * FROM customers WHERE {filter} AND id < ?2 ORDER BY id DESC LIMIT ?3"
                ),
                args(),
            )?,
            db::stmt(
                &ctx.db,
                &format!("SELECT COUNT(*) AS n FROM customers WHERE {filter}"),
                args(),
            )?,
        ],
    )
    .await?;
    let decode = |e: worker::Error| ApiError::internal(format!("customers: {e}"));
    #[derive(serde::Deserialize)]
    struct N {
        n: i64,
    }
    let mut rows: Vec<CustomerRow> = results[0].results().map_err(decode)?;
    let total = results[1]
        .results::<N>()
        .map_err(decode)?
        .first()
        .map_or(0, |n| n.n as u64);
    let next = next_cursor(&mut rows, limit, |r| &r.id);
    http::json(
        200,
        &ListResponse {
            data: rows.iter().map(CustomerRow::view).collect(),
            next_cursor: next,
            total: Some(total),
        },
    )
}

/// `GET /api/v1/customers/{id}`
pub async fn get(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let customer = load(ctx, &org.id, id).await?;
    #[derive(serde::Deserialize)]
    struct Paid {
        currency: String,
        status: String,
        total: i64,
        amount_paid: i64,
    }
    // What the customer paid beyond their invoices stays theirs, per currency.
    let s = db::stmt(
        &ctx.db,
        "SELECT currency, status, total, amount_paid FROM invoices \
         WHERE organization_id = ?1 AND customer_id = ?2 AND amount_paid > 0",
        params![&org.id, &customer.id],
    )?;
    let mut credit: std::collections::BTreeMap<String, i64> = Default::default();
    for p in db::all::<Paid>(s).await? {
        let status = settle_shared::invoice::InvoiceStatus::parse(&p.status)
            .unwrap_or(settle_shared::invoice::InvoiceStatus::Open);
        *credit.entry(p.currency).or_default() +=
            crate::ledger::credit(status, p.total, p.amount_paid);
    }
    let mut view = customer.view();
    for (currency, amount) in credit.into_iter().filter(|(_, a)| *a > 0) {
        if let Ok(currency) = settle_shared::Currency::parse(&currency)
            && let Ok(m) = settle_shared::Money::new(amount, currency)
        {
            view.credit.push(m);
        }
    }
    http::json(200, &view)
}

/// A customer of this organization, or 404 (also for other organizations' ids).
pub async fn load(ctx: &Ctx, org_id: &str, id: &str) -> Result<CustomerRow, ApiError> {
    if CustomerId::parse(id).is_err() {
        return Err(ApiError::not_found("customer"));
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM customers WHERE id = ?1 AND organization_id = ?2",
        params![id, org_id],
    )?;
    let row: CustomerRow = db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    if let Some(me) = ctx.only_accounts_of()
        && row.assigned_to.as_deref() != Some(me.as_str())
    {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "This account is not assigned to you. Ask a supervisor to assign it to you.",
        ));
    }
    Ok(row)
}

/// The id to continue below, from `?cursor=`; the top of the collection without one.
pub fn page_start(req: &Request) -> Result<String, ApiError> {
    match http::query(req, "cursor") {
        None => Ok("~".to_owned()), // sorts after every id
        Some(c) => cursor::decode(&c).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidField,
                "`cursor` is not a cursor this API gave out.",
            )
        }),
    }
}

/// `limit` of a list: 50 unless asked, from 1 to 200. Lists fetch one row
/// more to learn whether another page exists (see [`page`]).
pub fn page_limit(req: &Request) -> i64 {
    http::query(req, "limit")
        .and_then(|l| l.parse::<i64>().ok())
        .unwrap_or(50)
        .clamp(1, 200)
}

/// One page of a list answer: up to `limit` rows as their views, and the
/// cursor of the next page when the extra row says there is one.
pub fn page<T, V: serde::Serialize>(
    mut rows: Vec<T>,
    limit: i64,
    id: impl Fn(&T) -> &str,
    view: impl Fn(&T) -> V,
) -> Result<Response, ApiError> {
    let next = next_cursor(&mut rows, limit as u32, id);
    http::json(
        200,
        &settle_shared::api::ListResponse {
            data: rows.iter().map(view).collect(),
            next_cursor: next,
            total: None,
        },
    )
}

/// Trims the extra row fetched to learn whether another page exists.
pub fn next_cursor<T>(rows: &mut Vec<T>, limit: u32, id: impl Fn(&T) -> &str) -> Option<String> {
    if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| cursor::encode(id(r)))
    } else {
        None
    }
}

/// `POST /api/v1/customers/{id}/assign` `{"member_id": "mem_…" | null}`:
/// who works the account (supervisors and admins).
pub async fn assign(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Approve).await?;
    let body: AssignCustomerRequest = http::json_body(req).await?;
    let customer = load(ctx, &org.id, id).await?;
    if let Some(m) = &body.member_id {
        // Anything but an active member of this organization is refused.
        super::team::load(ctx, &org.id, m)
            .await
            .map_err(|_| FieldError::invalid("member_id", "is not a member of this team"))?;
    }
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE customers SET assigned_to = ?1 WHERE id = ?2 AND organization_id = ?3",
                params![body.member_id.clone(), &customer.id, &org.id],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "customer.assigned",
                subject: &customer.id,
                detail: json!({ "customer_id": customer.id, "from": customer.assigned_to, "to": body.member_id }),
            })?,
        ],
    )
    .await?;
    let customer = load(ctx, &org.id, id).await?;
    http::json(200, &customer.view())
}
