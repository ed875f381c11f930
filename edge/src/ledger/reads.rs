//! What the engine needs read to decide a Stripe event, what was read, and
//! how a payment's ledger rows are named and found.

use super::checkout::{self, Session};
use super::{Effects, Invoice, Kind, Outcome, Row};
use crate::stripe::events::Event;
use crate::stripe::reconcile::{self, Fact};

/// What the engine needs read before it can decide an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Invoices by id, with their ledger rows.
    pub invoices: Vec<String>,
    /// The invoices a payment (PaymentIntent) paid, with their ledger rows.
    pub payment: Option<String>,
    /// The checkout session the event reports on.
    pub session: Option<String>,
    /// The payment the event may book: events waiting for it are read too,
    /// to be decided again once it is booked.
    pub wakes: Option<String>,
}

/// What was read for [`Reads`]: the invoices (with every ledger row) and the
/// checkout sessions of those invoices that are open or processing, plus the
/// session the event names, in whatever state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub invoices: Vec<Invoice>,
    pub sessions: Vec<Session>,
}

impl Known {
    /// A read invoice by id.
    pub fn invoice(&self, id: &str) -> Option<&Invoice> {
        self.invoices.iter().find(|i| i.id == id)
    }
}

/// What to read to decide `event`.
pub fn reads(event: &Event) -> Reads {
    let mut r = Reads {
        session: checkout::reported(event).map(|(s, _)| s),
        ..Reads::default()
    };
    match reconcile::facts(event).into_iter().next() {
        Some(Fact::Paid { invoice, key, .. }) => {
            r.wakes = Some(key);
            r.invoices = match reconcile::allocation(event) {
                Some(a) if a.len() > 1 => a.into_iter().map(|(id, _)| id).collect(),
                _ => invoice.into_iter().collect(),
            };
        }
        Some(Fact::Failed {
            invoice: Some(invoice),
            ..
        }) => r.invoices = vec![invoice],
        Some(
            Fact::RefundedTotal { payment, .. }
            | Fact::DisputeOpened { payment, .. }
            | Fact::DisputeClosed { payment, .. },
        ) => r.payment = payment,
        // A dispute's other events (updated, funds withdrawn) move no money
        // but update its record: its payment's invoices are read.
        _ => r.payment = reconcile::card_dispute(event).and_then(|d| d.payment),
    }
    r
}

/// The external id of payment `key`'s row on one invoice: `payment:{key}`
/// for a payment of one invoice, `payment:{key}:{invoice}` for a part of a
/// combined one.
pub fn payment_row_id(key: &str, combined_invoice: Option<&str>) -> String {
    match combined_invoice {
        Some(inv) => format!("payment:{key}:{inv}"),
        None => format!("payment:{key}"),
    }
}

/// Whether a row belongs to payment `key`.
pub fn is_row_of_payment(row: &Row, key: &str) -> bool {
    row.kind == Kind::Payment
        && row.external_id.as_deref().is_some_and(|id| {
            id == format!("payment:{key}") || id.starts_with(&format!("payment:{key}:"))
        })
}

/// The payment whose waiting events are decided again after these effects
/// are written: one this event booked (or recorded and flagged).
pub fn wakes(e: &Effects) -> Option<&str> {
    matches!(e.outcome, Outcome::Applied | Outcome::Flagged)
        .then_some(e.payment_key.as_deref())
        .flatten()
}
