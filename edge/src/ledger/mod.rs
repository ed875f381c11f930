//! The books: the one engine that decides every change of money.
//!
//! Given what is recorded for the invoices and the checkout session that one
//! incoming fact concerns (a Stripe event, a manual payment, a void), the
//! engine returns its effects: the ledger rows with their exact external
//! ids, each invoice's new paid amount and status, checkout session states,
//! the emails to queue, the audit rows, and the guards under which all of it
//! may be written. The worker reads what [`stripe::reads`] asks for, calls
//! the engine and writes the effects in one D1 batch; when a guard fails
//! (another delivery changed the same invoice in between), it reads again and
//! runs the engine again. It holds no ledger or status rule of its own.
//!
//! - Where is a refund applied? [`stripe::decide`] (`refund`).
//! - Where is the invoice status decided? [`settle`], through
//!   `InvoiceStatus::after_payments`.
//! - Where is the customer's credit? [`credit`].
//! - Where is a credit note decided? [`manual::credit_note`].
//! - Where is a card dispute recorded? [`chargebacks`].

pub mod chargebacks;
pub mod checkout;
pub mod discounts;
pub mod history;
pub mod manual;
pub mod memory;
pub mod reads;
pub mod stripe;

#[cfg(test)]
mod property;

use serde_json::Value;
use settle_shared::invoice::InvoiceStatus;

pub use chargebacks::{Chargeback, chargeback_state};

/// The kinds of ledger row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Payment,
    Refund,
    Chargeback,
    Reversal,
    /// The company gave up part of what the invoice asks (a dispute
    /// resolved with a credit note): it settles the balance like a payment,
    /// but no money moved.
    CreditNote,
    /// An early-payment discount the company allowed with a payment that
    /// came in time: it settles the rest like a credit note.
    Discount,
    /// The discount taken back when its payment was refunded in full.
    DiscountReversal,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Payment => "payment",
            Kind::Refund => "refund",
            Kind::Chargeback => "chargeback",
            Kind::Reversal => "reversal",
            Kind::CreditNote => "credit_note",
            Kind::Discount => "discount",
            Kind::DiscountReversal => "discount_reversal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "payment" => Kind::Payment,
            "refund" => Kind::Refund,
            "chargeback" => Kind::Chargeback,
            "reversal" => Kind::Reversal,
            "credit_note" => Kind::CreditNote,
            "discount" => Kind::Discount,
            "discount_reversal" => Kind::DiscountReversal,
            _ => return None,
        })
    }

    /// Sign of the row in the paid amount.
    pub fn sign(self) -> i64 {
        match self {
            Kind::Payment | Kind::Reversal | Kind::CreditNote | Kind::Discount => 1,
            Kind::Refund | Kind::Chargeback | Kind::DiscountReversal => -1,
        }
    }
}

/// A ledger row, recorded or to be recorded. The ledger is append-only;
/// `external_id` is unique when present.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub invoice_id: String,
    pub external_id: Option<String>,
    pub kind: Kind,
    /// `stripe`, or how a manual payment arrived (`bank_transfer`, …).
    pub method: String,
    pub amount: i64,
    pub currency: String,
    /// The Stripe object the row comes from (charge, dispute, payment), or
    /// the company's own reference for a manual payment.
    pub reference: Option<String>,
    /// `YYYY-MM-DD`.
    pub received_on: String,
}

/// An invoice as the engine needs it: its terms and its ledger rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: String,
    pub number: String,
    pub customer_id: String,
    /// The customer's address, for receipts and failure notices.
    pub email: String,
    pub currency: String,
    pub total: i64,
    pub status: InvoiceStatus,
    /// Raised by every write of money or status; writes are conditional on it.
    pub version: i64,
    pub rows: Vec<Row>,
    /// The most an early-payment discount may be on it (its terms' share of
    /// the total; 0 without terms): a payment's metadata never asks more.
    pub discount_cap: i64,
}

impl Invoice {
    /// The paid amount the recorded rows give.
    pub fn paid(&self) -> i64 {
        paid(&self.rows, &self.currency)
    }

    /// Whether a row with this external id is recorded.
    pub fn has(&self, external_id: &str) -> bool {
        self.rows
            .iter()
            .any(|r| r.external_id.as_deref() == Some(external_id))
    }
}

/// The paid amount in `currency`: payments, won disputes and credit notes
/// minus refunds and chargebacks, never below zero. Rows in other currencies (a payment
/// flagged for a person) are not counted.
pub fn paid<'a>(rows: impl IntoIterator<Item = &'a Row>, currency: &str) -> i64 {
    rows.into_iter()
        .filter(|r| r.currency == currency)
        .map(|r| r.kind.sign() * r.amount)
        .sum::<i64>()
        .max(0)
}

/// What credit notes took off the invoice, in its currency.
pub fn credited(inv: &Invoice) -> i64 {
    inv.rows
        .iter()
        .filter(|r| r.kind == Kind::CreditNote && r.currency == inv.currency)
        .map(|r| r.amount)
        .sum()
}

/// What a customer has paid beyond what an invoice asks: the whole paid
/// amount of a void invoice, the excess over the total of any other.
pub fn credit(status: InvoiceStatus, total: i64, amount_paid: i64) -> i64 {
    match status {
        InvoiceStatus::Void => amount_paid.max(0),
        _ => (amount_paid - total).max(0),
    }
}

/// What is left to pay on an invoice: the total less what is paid, on an
/// open invoice; nothing on a paid, void or draft one.
pub fn due(status: InvoiceStatus, total: i64, amount_paid: i64) -> i64 {
    match status {
        InvoiceStatus::Open => (total - amount_paid).max(0),
        _ => 0,
    }
}

/// An invoice's new paid amount and status, written only if its version is
/// still the one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub invoice_id: String,
    pub expected_version: i64,
    pub amount_paid: i64,
    pub status: InvoiceStatus,
    /// Its status before the change.
    pub was: InvoiceStatus,
    /// Set when the invoice is voided by this change.
    pub voided: bool,
}

/// The paid amount and status of `inv` once `new` rows are added.
pub fn settle(inv: &Invoice, new: &[Row]) -> Update {
    let amount_paid = paid(
        inv.rows
            .iter()
            .chain(new.iter().filter(|r| r.invoice_id == inv.id)),
        &inv.currency,
    );
    Update {
        invoice_id: inv.id.clone(),
        expected_version: inv.version,
        amount_paid,
        status: inv.status.after_payments(inv.total, amount_paid),
        was: inv.status,
        voided: false,
    }
}

/// What became of an incoming fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Its effects are written.
    Applied,
    /// It needs a payment that has not arrived; it is applied when it does.
    Pending,
    /// Recorded for a person; not (or not wholly) applied.
    Flagged,
    /// Nothing to do.
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Pending => "pending",
            Outcome::Flagged => "flagged",
            Outcome::Ignored => "ignored",
        }
    }
}

/// An email to queue, once per `dedupe_key`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Email {
    pub kind: &'static str,
    pub customer_id: String,
    pub to: String,
    pub invoice_id: String,
    pub dedupe_key: String,
}

/// A row of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub action: String,
    pub subject: String,
    pub detail: Value,
}

/// What must still hold when the effects are written; otherwise nothing is
/// written and the fact is decided again on what is recorded then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The checkout session is still in the state read.
    SessionState {
        session: String,
        state: checkout::SessionState,
    },
    /// Still no ledger row of this payment (a fact waits for it).
    PaymentAbsent { payment: String },
}

/// Everything one fact does.
#[derive(Debug, Clone, PartialEq)]
pub struct Effects {
    pub outcome: Outcome,
    /// Why it was flagged or what it waits for.
    pub note: Option<String>,
    /// The payment the fact belongs to (what a waiting fact waits for).
    pub payment_key: Option<String>,
    /// The first invoice concerned, for the company's list of events.
    pub invoice_id: Option<String>,
    pub rows: Vec<Row>,
    pub invoices: Vec<Update>,
    /// Checkout sessions moved forward: (session, new state).
    pub sessions: Vec<(String, checkout::SessionState)>,
    pub emails: Vec<Email>,
    pub audit: Vec<AuditEntry>,
    pub guards: Vec<Guard>,
    /// Card disputes' records in the company's list of disputes.
    pub chargebacks: Vec<Chargeback>,
}

impl Effects {
    pub fn new(outcome: Outcome) -> Self {
        Effects {
            outcome,
            note: None,
            payment_key: None,
            invoice_id: None,
            rows: Vec::new(),
            invoices: Vec::new(),
            sessions: Vec::new(),
            emails: Vec::new(),
            audit: Vec::new(),
            guards: Vec::new(),
            chargebacks: Vec::new(),
        }
    }

    pub fn flag(note: impl Into<String>) -> Self {
        Effects {
            note: Some(note.into()),
            ..Effects::new(Outcome::Flagged)
        }
    }

    /// Adds rows to `inv` and its new paid amount and status.
    fn book(&mut self, inv: &Invoice, rows: Vec<Row>) {
        self.rows.extend(rows);
        let update = settle(inv, &self.rows);
        self.invoices.retain(|u| u.invoice_id != inv.id);
        self.invoices.push(update);
        self.invoice_id.get_or_insert(inv.id.clone());
    }

    /// A receipt or notice about `inv`.
    fn email(&mut self, inv: &Invoice, kind: &'static str, dedupe_key: String) {
        self.emails.push(Email {
            kind,
            customer_id: inv.customer_id.clone(),
            to: inv.email.clone(),
            invoice_id: inv.id.clone(),
            dedupe_key,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: Kind, amount: i64, currency: &str) -> Row {
        Row {
            invoice_id: "inv_1".into(),
            external_id: None,
            kind,
            method: "stripe".into(),
            amount,
            currency: currency.into(),
            reference: None,
            received_on: "2026-12-01".into(),
        }
    }

    #[test]
    fn paid_counts_the_invoice_currency_and_never_goes_negative() {
        let rows = [
            row(Kind::Payment, 1_000, "EUR"),
            row(Kind::Refund, 300, "EUR"),
            row(Kind::Chargeback, 200, "EUR"),
            row(Kind::Reversal, 200, "EUR"),
            row(Kind::Payment, 5_000, "USD"),
        ];
        assert_eq!(paid(&rows, "EUR"), 700);
        assert_eq!(paid(&rows[1..3], "EUR"), 0);
    }

    #[test]
    fn status_follows_the_rows() {
        let mut inv = Invoice {
            id: "inv_1".into(),
            number: "NW-1".into(),
            customer_id: "cus_1".into(),
            email: "a@example.com".into(),
            currency: "EUR".into(),
            total: 1_000,
            status: InvoiceStatus::Open,
            version: 3,
            rows: vec![],
            discount_cap: 0,
        };
        let u = settle(&inv, &[row(Kind::Payment, 1_000, "EUR")]);
        assert_eq!(
            (u.amount_paid, u.status, u.expected_version),
            (1_000, InvoiceStatus::Paid, 3)
        );
        inv.rows.push(row(Kind::Payment, 1_000, "EUR"));
        inv.status = InvoiceStatus::Paid;
        let u = settle(&inv, &[row(Kind::Refund, 1, "EUR")]);
        assert_eq!((u.amount_paid, u.status), (999, InvoiceStatus::Open));
        inv.status = InvoiceStatus::Void;
        assert_eq!(settle(&inv, &[]).status, InvoiceStatus::Void);
    }

    #[test]
    fn credit_is_what_exceeds_the_invoice() {
        assert_eq!(credit(InvoiceStatus::Paid, 1_000, 1_250), 250);
        assert_eq!(credit(InvoiceStatus::Open, 1_000, 400), 0);
        assert_eq!(credit(InvoiceStatus::Void, 1_000, 400), 400);
        assert_eq!(due(InvoiceStatus::Open, 1_000, 400), 600);
        assert_eq!(due(InvoiceStatus::Void, 1_000, 0), 0);
    }
}
