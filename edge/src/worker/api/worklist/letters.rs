//! `GET /api/v1/customers/{id}/letter` (`?format=pdf` for the PDF): the
//! collection letter listing the customer's overdue invoices, in the
//! company's branding and the customer's language (`crate::letters`).
//! Each letter made is on the record.

use crate::error::ApiError;
use crate::ledger;
use crate::letters::{self, Item, Letter};
use crate::params;
use crate::worker::api::{customers, organizations};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::invoice::InvoiceStatus;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use worker::{Request, Response};

/// What the customer is asked to pay within.
const PAY_WITHIN_DAYS: i64 = 10;

#[derive(Deserialize)]
struct Overdue {
    number: String,
    issue_date: String,
    due_date: String,
    currency: String,
    total: i64,
    amount_paid: i64,
}

pub async fn letter(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org_row = http::organization(ctx, req, Capability::WorkAccounts).await?;
    ctx.use_clock_of(&org_row.id).await?;
    let format = match http::query(req, "format").as_deref() {
        None | Some("html") => "html",
        Some("pdf") => "pdf",
        Some(_) => return Err(FieldError::invalid("format", "must be `html` or `pdf`").into()),
    };
    let customer = customers::load(ctx, &org_row.id, id).await?;
    let org = organizations::load(ctx, &org_row.id).await?;
    let today = crate::rows::local_date(ctx.now_ms(), &customer.time_zone);
    let rows: Vec<Overdue> = db::all(db::stmt(
        &ctx.db,
        "SELECT number, issue_date, due_date, currency, total, amount_paid FROM invoices \
         WHERE organization_id = ?1 AND customer_id = ?2 AND status = 'open' AND due_date < ?3 \
         ORDER BY due_date, number LIMIT 500",
        params![&org.id, &customer.id, today.to_string()],
    )?)
    .await?;
    let items: Vec<Item> = rows
        .into_iter()
        .filter_map(|r| {
            let due = ledger::due(InvoiceStatus::Open, r.total, r.amount_paid);
            let days_late =
                settle_shared::time::parse_date(&r.due_date).map(|d| (today - d).num_days())?;
            (due > 0).then_some(Item {
                number: r.number,
                issue_date: r.issue_date,
                due_date: r.due_date,
                days_late,
                due,
                currency: r.currency,
            })
        })
        .collect();
    if items.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "This customer has nothing overdue: there is no letter to send.",
        ));
    }
    let b = org.branding();
    let colour = b
        .primary_color
        .filter(|c| {
            c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit())
        })
        .unwrap_or_else(|| "#1f2328".into());
    let l = Letter {
        company: b.display_name,
        support_email: Some(b.support_email),
        footer: b.footer_text,
        colour,
        logo_url: b
            .logo_url
            .filter(|u| u.starts_with("https://") || u.starts_with('/')),
        customer: customer.name.clone(),
        customer_email: customer.email.clone(),
        locale: customer.locale.clone(),
        today: today.to_string(),
        pay_within_days: PAY_WITHIN_DAYS,
        pay_url: format!("{}/link", ctx.config.public_base_url),
        items,
    };
    db::batch(
        &ctx.db,
        vec![ctx.audit(Audit {
            org: Some(&org.id),
            actor: &ctx.actor(),
            action: "letter.generated",
            subject: &customer.id,
            detail: json!({ "customer_id": customer.id, "format": format,
                            "invoices": l.items.iter().map(|i| &i.number).collect::<Vec<_>>() }),
        })?],
    )
    .await?;
    let err = |e: worker::Error| ApiError::internal(format!("letter: {e}"));
    let resp = if format == "pdf" {
        let r = Response::from_bytes(letters::pdf(&l)).map_err(err)?;
        r.headers()
            .set("Content-Type", "application/pdf")
            .map_err(err)?;
        r.headers()
            .set(
                "Content-Disposition",
                &format!(
                    "attachment; filename=\"letter-{}-{today}.pdf\"",
                    customer.id
                ),
            )
            .map_err(err)?;
        r
    } else {
        let r = Response::from_html(letters::html(&l)).map_err(err)?;
        r.headers()
            .set(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src https: 'self'",
            )
            .map_err(err)?;
        r
    };
    resp.headers()
        .set("Cache-Control", "no-store")
        .map_err(err)?;
    Ok(resp)
}
