//! `GET /api/v1/exports/{customers|invoices|payments|aging}.csv`
//! (supervisors and admins): the organization's records as CSV files a
//! spreadsheet opens as they are (UTF-8 with a byte-order mark, RFC 4180
//! quoting, formulas defused, amounts as decimals of their currency).
//!
//! Lists come in parts of [`PART`] rows in id order; a part that is not
//! the last says where the next starts in `Settle-Next-Cursor` (pass it as
//! `?cursor=`). The aging is one file over every open invoice.

use crate::error::ApiError;
use crate::export::{self, AGING_HEADER, Open, amount, text};
use crate::params;
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::ErrorCode;
use settle_shared::staff::Capability;
use settle_shared::time::{parse_date, rfc3339_from_millis};
use worker::{Request, Response};

/// Rows in one part of a list.
const PART: i64 = 10_000;
/// Open invoices the aging reads at most.
const AGING_MAX: usize = 200_000;

/// The export answer: the file, named for the organization's today.
pub fn file(
    ctx: &Ctx,
    name: &str,
    body: String,
    next: Option<String>,
) -> Result<Response, ApiError> {
    let err = |e: worker::Error| ApiError::internal(format!("export headers: {e}"));
    let headers = worker::Headers::new();
    headers
        .set("Content-Type", "text/csv; charset=utf-8")
        .map_err(err)?;
    headers
        .set(
            "Content-Disposition",
            &format!("attachment; filename=\"{name}-{}.csv\"", ctx.today_utc()),
        )
        .map_err(err)?;
    headers.set("Cache-Control", "no-store").map_err(err)?;
    if let Some(n) = next {
        headers
            .set("Settle-Next-Cursor", &crate::cursor::encode(&n))
            .map_err(err)?;
    }
    Ok(Response::ok(format!("\u{FEFF}{body}"))
        .map_err(err)?
        .with_headers(headers))
}

fn after(req: &Request) -> Result<String, ApiError> {
    match http::query(req, "cursor") {
        None => Ok(String::new()),
        Some(c) => crate::cursor::decode(&c).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidField,
                "`cursor` is not a cursor this API gave out.",
            )
        }),
    }
}

/// `GET /api/v1/exports/{name}.csv`
pub async fn export(ctx: &Ctx, req: &Request, name: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::AllAccounts).await?;
    let from = after(req)?;
    let (header, rows, last): (&[&str], Vec<Vec<String>>, Option<String>) = match name {
        "customers.csv" => {
            #[derive(Deserialize)]
            struct R {
                id: String,
                name: String,
                email: String,
                locale: String,
                time_zone: String,
                external_id: Option<String>,
                tags: Option<String>,
                created_at: i64,
            }
            let rs: Vec<R> = db::all(db::stmt(
                &ctx.db,
                "SELECT id, name, email, locale, time_zone, external_id, tags, created_at FROM customers \
                 WHERE organization_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                params![&org.id, &from, PART + 1],
            )?)
            .await?;
            let last = next(&rs, |r| &r.id);
            let rows = rs
                .iter()
                .take(PART as usize)
                .map(|r| {
                    vec![
                        r.id.clone(),
                        text(&r.name),
                        text(&r.email),
                        r.locale.clone(),
                        r.time_zone.clone(),
                        text(r.external_id.as_deref().unwrap_or("")),
                        text(
                            &serde_json::from_str::<Vec<String>>(r.tags.as_deref().unwrap_or("[]"))
                                .unwrap_or_default()
                                .join("; "),
                        ),
                        rfc3339_from_millis(r.created_at),
                    ]
                })
                .collect();
            (
                &[
                    "id",
                    "name",
                    "email",
                    "locale",
                    "time_zone",
                    "external_id",
                    "tags",
                    "created_at",
                ],
                rows,
                last,
            )
        }
        "invoices.csv" => {
            #[derive(Deserialize)]
            struct R {
                id: String,
                number: String,
                customer_id: String,
                customer_name: String,
                currency: String,
                status: String,
                issue_date: String,
                due_date: String,
                subtotal: i64,
                tax: i64,
                total: i64,
                amount_paid: i64,
                created_at: i64,
            }
            let rs: Vec<R> = db::all(db::stmt(
                &ctx.db,
                "SELECT i.id, i.number, i.customer_id, c.name AS customer_name, i.currency, i.status, i.issue_date, i.due_date, \
                 i.subtotal, i.tax, i.total, i.amount_paid, i.created_at FROM invoices i JOIN customers c ON c.id = i.customer_id \
                 WHERE i.organization_id = ?1 AND i.id > ?2 ORDER BY i.id LIMIT ?3",
                params![&org.id, &from, PART + 1],
            )?)
            .await?;
            let last = next(&rs, |r| &r.id);
            let rows = rs
                .iter()
                .take(PART as usize)
                .map(|r| {
                    let balance = if r.status == "open" {
                        (r.total - r.amount_paid).max(0)
                    } else {
                        0
                    };
                    vec![
                        r.id.clone(),
                        text(&r.number),
                        r.customer_id.clone(),
                        text(&r.customer_name),
                        r.currency.clone(),
                        r.status.clone(),
                        r.issue_date.clone(),
                        r.due_date.clone(),
                        amount(r.subtotal, &r.currency),
                        amount(r.tax, &r.currency),
                        amount(r.total, &r.currency),
                        amount(r.amount_paid, &r.currency),
                        amount(balance, &r.currency),
                        rfc3339_from_millis(r.created_at),
                    ]
                })
                .collect();
            (
                &[
                    "id",
                    "number",
                    "customer_id",
                    "customer_name",
                    "currency",
                    "status",
                    "issue_date",
                    "due_date",
                    "subtotal",
                    "tax",
                    "total",
                    "amount_paid",
                    "balance",
                    "created_at",
                ],
                rows,
                last,
            )
        }
        "payments.csv" => {
            #[derive(Deserialize)]
            struct R {
                id: String,
                invoice_id: String,
                invoice_number: String,
                kind: String,
                method: String,
                amount: i64,
                currency: String,
                reference: Option<String>,
                received_on: String,
                created_at: i64,
            }
            let rs: Vec<R> = db::all(db::stmt(
                &ctx.db,
                "SELECT p.id, p.invoice_id, i.number AS invoice_number, p.kind, p.method, p.amount, p.currency, p.reference, \
                 p.received_on, p.created_at FROM payments p JOIN invoices i ON i.id = p.invoice_id \
                 WHERE p.organization_id = ?1 AND p.id > ?2 ORDER BY p.id LIMIT ?3",
                params![&org.id, &from, PART + 1],
            )?)
            .await?;
            let last = next(&rs, |r| &r.id);
            let rows = rs
                .iter()
                .take(PART as usize)
                .map(|r| {
                    vec![
                        r.id.clone(),
                        r.invoice_id.clone(),
                        text(&r.invoice_number),
                        r.kind.clone(),
                        r.method.clone(),
                        amount(r.amount, &r.currency),
                        r.currency.clone(),
                        text(r.reference.as_deref().unwrap_or("")),
                        r.received_on.clone(),
                        rfc3339_from_millis(r.created_at),
                    ]
                })
                .collect();
            (
                &[
                    "id",
                    "invoice_id",
                    "invoice_number",
                    "kind",
                    "method",
                    "amount",
                    "currency",
                    "reference",
                    "received_on",
                    "created_at",
                ],
                rows,
                last,
            )
        }
        "aging.csv" => {
            let as_of = match http::query(req, "as_of") {
                None => ctx.today_utc(),
                Some(d) => parse_date(&d).ok_or_else(|| ApiError::Client {
                    code: ErrorCode::InvalidField,
                    message: "`as_of` must be a date such as 2027-01-31.".into(),
                    field: Some("as_of".into()),
                })?,
            };
            (&AGING_HEADER, aging(ctx, &org.id, as_of).await?, None)
        }
        _ => return Err(ApiError::not_found("export")),
    };
    let body = export::document(header, &rows).map_err(ApiError::internal)?;
    if from.is_empty() {
        db::batch(
            &ctx.db,
            vec![ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "export.downloaded",
                subject: &org.id,
                detail: json!({ "file": name, "rows": rows.len() }),
            })?],
        )
        .await?;
    }
    file(ctx, name.trim_end_matches(".csv"), body, last)
}

/// The id to start the next part after, when there is one more row.
fn next<T>(rows: &[T], id: impl Fn(&T) -> &String) -> Option<String> {
    (rows.len() as i64 > PART).then(|| id(&rows[PART as usize - 1]).clone())
}

/// Every open invoice with a balance, read in parts, aged as of `as_of`.
async fn aging(
    ctx: &Ctx,
    org_id: &str,
    as_of: chrono::NaiveDate,
) -> Result<Vec<Vec<String>>, ApiError> {
    #[derive(Deserialize)]
    struct R {
        id: String,
        customer_id: String,
        customer_name: String,
        currency: String,
        balance: i64,
        due_date: String,
    }
    let mut all: Vec<R> = Vec::new();
    let mut from = String::new();
    loop {
        let part: Vec<R> = db::all(db::stmt(
            &ctx.db,
            "SELECT i.id, i.customer_id, c.name AS customer_name, i.currency, i.total - i.amount_paid AS balance, i.due_date \
             FROM invoices i JOIN customers c ON c.id = i.customer_id \
             WHERE i.organization_id = ?1 AND i.status = 'open' AND i.id > ?2 ORDER BY i.id LIMIT ?3",
            params![org_id, &from, PART],
        )?)
        .await?;
        let done = (part.len() as i64) < PART;
        if let Some(last) = part.last() {
            from = last.id.clone();
        }
        all.extend(part);
        if all.len() > AGING_MAX {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "More than {AGING_MAX} open invoices: export the invoices instead and age them there."
                ),
            ));
        }
        if done {
            break;
        }
    }
    let open: Vec<Open<'_>> = all
        .iter()
        .filter_map(|r| {
            Some(Open {
                customer_id: &r.customer_id,
                customer_name: &r.customer_name,
                currency: &r.currency,
                balance: r.balance,
                due_date: parse_date(&r.due_date)?,
            })
        })
        .collect();
    Ok(export::aging(&open, as_of))
}
