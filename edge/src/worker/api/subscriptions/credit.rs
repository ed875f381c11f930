//! Credit from a subscription change, through the ledger engine: a credit
//! note on one invoice (`ledger::manual::credit_note`), with its
//! `credit_notes` row naming the subscription. Used by a change (on its
//! proration invoice and the period's open invoice) and by the billing run
//! (credit carried to the next invoice).

use crate::error::ApiError;
use crate::ledger::{self, checkout::Session};
use crate::params;
use crate::rows::CustomerRow;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::worker::ledger as books;
use settle_shared::ids::{CreditNoteId, EmailId, InvoiceId};
use settle_shared::invoice::{InvoiceStatus, NewInvoice};
use worker::D1PreparedStatement;

/// One credit note to write.
pub(super) struct Note<'a> {
    pub org_id: &'a str,
    pub subscription_id: &'a str,
    pub inv: &'a ledger::Invoice,
    pub sessions: &'a [Session],
    pub amount: i64,
    /// The note's number among the invoice's notes (1 for the first).
    pub seq: i64,
    pub reason: &'a str,
    pub actor: &'a str,
}

/// What writing a note takes: its statements, the checkouts to close at
/// Stripe first, and the emails to send once written.
pub(super) struct Written {
    pub stmts: Vec<D1PreparedStatement>,
    pub expire: Vec<String>,
    pub emails: Vec<EmailId>,
}

/// An invoice issued in the same batch, as the ledger engine sees it.
pub(super) fn fresh(id: &InvoiceId, inv: &NewInvoice, customer: &CustomerRow) -> ledger::Invoice {
    ledger::Invoice {
        id: id.as_str().to_owned(),
        number: inv.number.clone(),
        customer_id: customer.id.clone(),
        email: customer.email.clone(),
        currency: inv.currency.code().to_owned(),
        total: inv.totals.total,
        status: InvoiceStatus::Open,
        version: 0,
        rows: Vec::new(),
        discount_cap: 0,
    }
}

/// The statements of a credit note; `None` when the ledger refuses it
/// (the invoice is no longer open, or a bank debit on it is on its way):
/// the caller carries the credit instead.
pub(super) fn note(ctx: &Ctx, n: &Note<'_>) -> Result<Option<Written>, ApiError> {
    let id = CreditNoteId::generate(ctx.now_ms() as u64, ctx.random10());
    let cn = ledger::manual::CreditNote {
        id: id.as_str().to_owned(),
        number: format!("CN-{}-{}", n.inv.number, n.seq),
        amount: n.amount,
        issued_on: ctx.today_utc().to_string(),
    };
    let Ok(planned) = ledger::manual::credit_note(n.inv, n.sessions, &cn) else {
        return Ok(None);
    };
    let (mut stmts, emails) = books::statements(ctx, n.org_id, &planned.effects, n.actor)?;
    stmts.push(db::stmt(
        &ctx.db,
        "INSERT INTO credit_notes (id, organization_id, invoice_id, customer_id, subscription_id, number, amount, currency, \
         reason, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            &cn.id,
            n.org_id,
            &n.inv.id,
            &n.inv.customer_id,
            n.subscription_id,
            &cn.number,
            n.amount,
            &n.inv.currency,
            n.reason,
            n.actor,
            ctx.now_ms()
        ],
    )?);
    Ok(Some(Written {
        stmts,
        expire: planned.expire,
        emails,
    }))
}
