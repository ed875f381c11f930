//! The figures computed per request from the invoices and their ledger
//! rows (at most [`MAX_INVOICES`]): before the metric days exist, and for
//! one agent's or one segment's figures.

use super::{Computed, ENTRY_COLUMNS, Entry, INVOICE_COLUMNS, Inv, MAX_INVOICES, books};
use crate::error::ApiError;
use crate::metrics::{self, InvoiceHistory, Period};
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;

/// The figures from the invoices (at most [`MAX_INVOICES`]) and their
/// ledger rows, with the agent's and segment's filters.
pub(super) async fn from_invoices(
    ctx: &Ctx,
    org_id: &str,
    books: books::Books,
    p: Period,
    agent: Option<Option<String>>,
    segment: Option<&settle_shared::reminders::SegmentRules>,
) -> Result<Computed, ApiError> {
    let end = p.end;
    let (mut invoices, mut entries) = (Vec::<Inv>::new(), Vec::<Entry>::new());
    // Each currency its share of the cap, so none is left out.
    let currencies = books::currencies(ctx, org_id, books).await?;
    let left = MAX_INVOICES / currencies.len().max(1) as i64;
    for c in currencies {
        let cur = c.code();
        invoices.extend(
            db::all::<Inv>(db::stmt(
                &ctx.db,
                &format!(
                    "SELECT {INVOICE_COLUMNS} FROM invoices WHERE organization_id = ?1 AND currency = ?2 \
                     AND issue_date <= ?3 AND status != 'draft' ORDER BY issue_date DESC LIMIT ?4"
                ),
                params![org_id, cur, end.to_string(), left],
            )?)
            .await?,
        );
        entries.extend(
            db::all::<Entry>(db::stmt(
                &ctx.db,
                // The ledger rows of the invoices just read, each looked up
                // by its invoice (not every payment of the organization).
                &format!(
                    "SELECT {ENTRY_COLUMNS} FROM payments WHERE organization_id = ?1 AND +received_on <= ?3 \
                     AND invoice_id IN (SELECT id FROM invoices WHERE organization_id = ?1 AND currency = ?2 \
                     AND issue_date <= ?3 AND status != 'draft' ORDER BY issue_date DESC LIMIT ?4)"
                ),
                params![org_id, cur, end.to_string(), left],
            )?)
            .await?,
        );
    }
    let (mut book, without_rate) = books::histories(&invoices, &entries, books);
    if agent.is_some() || segment.is_some() {
        keep(
            ctx,
            org_id,
            &mut book,
            agent,
            segment,
            books.currency(),
            end,
        )
        .await?;
    }
    Ok(Computed {
        f: metrics::figures(&book, p),
        issued: book.iter().filter(|i| p.holds(i.issue_date)).count() as u32,
        months: metrics::monthly(&book, end, 12),
        aging: metrics::aging(&book, end),
        pay: metrics::days_to_pay(&book, p),
        through: None,
        invoices_read: book.len(),
        without_rate,
    })
}

#[derive(Deserialize)]
struct Whose {
    id: String,
    tags: String,
    assigned_to: Option<String>,
}

/// Keeps the invoices of the agent's accounts and those the segment's rules
/// take (with the invoice's total as its amount and its days past due at
/// the period's end).
async fn keep(
    ctx: &Ctx,
    org_id: &str,
    book: &mut Vec<InvoiceHistory>,
    agent: Option<Option<String>>,
    segment: Option<&settle_shared::reminders::SegmentRules>,
    currency: settle_shared::Currency,
    end: NaiveDate,
) -> Result<(), ApiError> {
    let mut ids: Vec<&str> = book.iter().map(|i| i.customer_id.as_str()).collect();
    settle_shared::sort::sort(&mut ids);
    ids.dedup();
    let ids = serde_json::to_string(&ids).map_err(|e| ApiError::internal(e.to_string()))?;
    let whose: Vec<Whose> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, tags, assigned_to FROM customers WHERE organization_id = ?1 \
         AND id IN (SELECT value FROM json_each(?2))",
        params![org_id, ids.as_str()],
    )?)
    .await?;
    let whose: HashMap<String, (Vec<String>, Option<String>)> = whose
        .into_iter()
        .map(|w| {
            let tags = serde_json::from_str(&w.tags).unwrap_or_default();
            (w.id, (tags, w.assigned_to))
        })
        .collect();
    let late = metrics::late_payments_12m(book, end);
    book.retain(|i| {
        let Some((tags, assigned)) = whose.get(&i.customer_id) else {
            return false;
        };
        agent.as_ref().is_none_or(|a| assigned == a)
            && segment.is_none_or(|rules| {
                settle_shared::Money::new(i.counted(i.total), currency).is_ok_and(|balance| {
                    crate::reminders::segment::matches(
                        rules,
                        &crate::reminders::segment::Facts {
                            tags,
                            balance,
                            days_overdue: (end - i.due_date).num_days(),
                            late_payments_12m: late.get(&i.customer_id).copied().unwrap_or(0),
                        },
                    )
                })
            })
    });
    Ok(())
}
