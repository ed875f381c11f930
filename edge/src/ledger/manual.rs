//! What the company does to the books by hand: record money received
//! outside Stripe, and void an invoice.

use super::checkout::{Session, SessionState};
use super::{AuditEntry, Effects, Invoice, Kind, Outcome, Row};
use serde_json::json;
use settle_shared::invoice::InvoiceStatus;

/// Money received outside Stripe, as the company states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualPayment {
    /// `api:{organization}:{Idempotency-Key}` when the request carried one.
    pub external_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub method: String,
    pub reference: Option<String>,
    pub received_on: String,
}

/// Why a manual payment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManualRefusal {
    #[error("the invoice is in {invoice}; record the payment in that currency")]
    CurrencyMismatch { invoice: String },
    #[error("invoice {number} is {status}; payments go to open invoices")]
    NotOpen {
        number: String,
        status: &'static str,
    },
    #[error("must be between 1 and the balance due, {due} minor units")]
    AmountOutOfRange { due: i64 },
}

/// Books a manual payment on an open invoice, up to its balance;
/// `payment_id` is the id the row will have, for the audit trail.
pub fn record(inv: &Invoice, p: ManualPayment, payment_id: &str) -> Result<Effects, ManualRefusal> {
    if p.currency != inv.currency {
        return Err(ManualRefusal::CurrencyMismatch {
            invoice: inv.currency.clone(),
        });
    }
    if inv.status != InvoiceStatus::Open {
        return Err(ManualRefusal::NotOpen {
            number: inv.number.clone(),
            status: inv.status.as_str(),
        });
    }
    let due = super::due(inv.status, inv.total, inv.paid());
    if p.amount <= 0 || p.amount > due {
        return Err(ManualRefusal::AmountOutOfRange { due });
    }
    let mut e = Effects::new(Outcome::Applied);
    let row = Row {
        invoice_id: inv.id.clone(),
        external_id: p.external_id,
        kind: Kind::Payment,
        method: p.method,
        amount: p.amount,
        currency: p.currency,
        reference: p.reference,
        received_on: p.received_on,
    };
    let detail = json!({ "invoice_id": inv.id, "amount": row.amount, "currency": row.currency, "method": row.method });
    e.book(inv, vec![row]);
    let mut detail = detail;
    detail["status_after"] = json!(e.invoices[0].status.as_str());
    e.audit.push(AuditEntry {
        action: "payment.recorded".into(),
        subject: payment_id.to_owned(),
        detail,
    });
    Ok(e)
}

/// Why an invoice cannot be voided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoidRefusal {
    #[error(
        "invoice {number} is {status} with {paid} paid; only an unpaid open invoice can be voided"
    )]
    NotVoidable {
        number: String,
        status: &'static str,
        paid: i64,
    },
    #[error(
        "a bank debit for invoice {number} is on its way; void it once the debit has settled or failed"
    )]
    DebitProcessing { number: String },
}

/// A void: the sessions to expire at Stripe first, then the invoice's change.
#[derive(Debug, Clone, PartialEq)]
pub struct Void {
    /// Open Checkout Sessions: expired at Stripe before the void is written,
    /// so nothing can be paid on a void invoice.
    pub expire: Vec<String>,
    pub effects: Effects,
}

/// Voids an unpaid open (or draft) invoice with no debit on its way.
/// `sessions` are the invoice's sessions that are open or processing.
pub fn void(inv: &Invoice, sessions: &[Session]) -> Result<Void, VoidRefusal> {
    let paid = inv.paid();
    if !matches!(inv.status, InvoiceStatus::Open | InvoiceStatus::Draft) || paid != 0 {
        return Err(VoidRefusal::NotVoidable {
            number: inv.number.clone(),
            status: inv.status.as_str(),
            paid,
        });
    }
    let mine = || sessions.iter().filter(|s| s.invoice_id == inv.id);
    if mine().any(|s| s.state == SessionState::Processing) {
        return Err(VoidRefusal::DebitProcessing {
            number: inv.number.clone(),
        });
    }
    let mut effects = Effects::new(Outcome::Applied);
    let mut update = super::settle(inv, &[]);
    update.status = InvoiceStatus::Void;
    update.voided = true;
    effects.invoices.push(update);
    effects.invoice_id = Some(inv.id.clone());
    effects.audit.push(AuditEntry {
        action: "invoice.voided".into(),
        subject: inv.id.clone(),
        detail: json!({ "number": inv.number }),
    });
    Ok(Void {
        expire: mine()
            .filter(|s| s.state == SessionState::Open)
            .map(|s| s.id.clone())
            .collect(),
        effects,
    })
}

/// A credit note the company grants on an invoice (resolving a dispute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    /// The credit note's id; the row's external id is `credit:<id>`.
    pub id: String,
    pub number: String,
    pub amount: i64,
    pub issued_on: String,
}

/// Why a credit note is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditRefusal {
    #[error("invoice {number} is {status}; credit notes go to open invoices")]
    NotOpen {
        number: String,
        status: &'static str,
    },
    #[error("must be between 1 and the balance due, {due} minor units")]
    AmountOutOfRange { due: i64 },
    #[error(
        "a bank debit for invoice {number} is on its way; issue the credit note once it has settled or failed"
    )]
    DebitProcessing { number: String },
}

/// A credit note: the checkouts to close at Stripe first (open for more
/// than the balance left), then the books' change.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    pub expire: Vec<String>,
    pub effects: Effects,
}

/// Takes a credit note off an open invoice, up to its balance: a ledger row
/// of kind `credit_note`, so the balance drops and a fully credited invoice
/// is settled. Refused while a bank debit is on its way (it could settle
/// the old balance); an open checkout for more than the new balance is
/// closed first, so the customer cannot pay what was credited.
pub fn credit_note(
    inv: &Invoice,
    sessions: &[Session],
    c: &CreditNote,
) -> Result<Credit, CreditRefusal> {
    if inv.status != InvoiceStatus::Open {
        return Err(CreditRefusal::NotOpen {
            number: inv.number.clone(),
            status: inv.status.as_str(),
        });
    }
    let due = super::due(inv.status, inv.total, inv.paid());
    if c.amount <= 0 || c.amount > due {
        return Err(CreditRefusal::AmountOutOfRange { due });
    }
    let mine = || sessions.iter().filter(|s| s.invoice_id == inv.id);
    if mine().any(|s| s.state == SessionState::Processing) {
        return Err(CreditRefusal::DebitProcessing {
            number: inv.number.clone(),
        });
    }
    let left = due - c.amount;
    let expire = mine()
        .filter(|s| s.state == SessionState::Open && s.amount > left)
        .map(|s| s.id.clone())
        .collect();
    let mut e = Effects::new(Outcome::Applied);
    let row = Row {
        invoice_id: inv.id.clone(),
        external_id: Some(format!("credit:{}", c.id)),
        kind: Kind::CreditNote,
        method: "credit_note".into(),
        amount: c.amount,
        currency: inv.currency.clone(),
        reference: Some(c.number.clone()),
        received_on: c.issued_on.clone(),
    };
    e.book(inv, vec![row]);
    e.invoice_id = Some(inv.id.clone());
    e.audit.push(AuditEntry {
        action: "credit_note.issued".into(),
        subject: c.id.clone(),
        detail: json!({ "invoice_id": inv.id, "number": c.number, "amount": c.amount, "currency": inv.currency,
                        "status_after": e.invoices[0].status.as_str() }),
    });
    Ok(Credit { expire, effects: e })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice() -> Invoice {
        Invoice {
            id: "inv_1".into(),
            number: "NW-1".into(),
            customer_id: "cus_1".into(),
            email: "a@example.com".into(),
            currency: "USD".into(),
            total: 10_000,
            status: InvoiceStatus::Open,
            version: 0,
            rows: vec![],
            discount_cap: 0,
        }
    }

    fn payment(amount: i64) -> ManualPayment {
        ManualPayment {
            external_id: None,
            amount,
            currency: "USD".into(),
            method: "bank_transfer".into(),
            reference: None,
            received_on: "2026-12-01".into(),
        }
    }

    fn session(state: SessionState) -> Session {
        Session {
            id: "cs_1".into(),
            invoice_id: "inv_1".into(),
            amount: 10_000,
            state,
        }
    }

    #[test]
    fn a_manual_payment_up_to_the_balance_is_booked() {
        let e = record(&invoice(), payment(10_000), "pay_1").unwrap();
        assert_eq!(e.rows.len(), 1);
        assert_eq!(e.invoices[0].status, InvoiceStatus::Paid);
        assert_eq!(
            record(&invoice(), payment(10_001), "pay_1"),
            Err(ManualRefusal::AmountOutOfRange { due: 10_000 })
        );
        assert!(record(&invoice(), payment(0), "pay_1").is_err());
        let mut eur = payment(1);
        eur.currency = "EUR".into();
        assert!(matches!(
            record(&invoice(), eur, "pay_1"),
            Err(ManualRefusal::CurrencyMismatch { .. })
        ));
        let mut void = invoice();
        void.status = InvoiceStatus::Void;
        assert!(matches!(
            record(&void, payment(1), "pay_1"),
            Err(ManualRefusal::NotOpen { .. })
        ));
    }

    #[test]
    fn a_void_expires_open_sessions_and_refuses_a_debit_on_its_way() {
        let v = void(&invoice(), &[session(SessionState::Open)]).unwrap();
        assert_eq!(v.expire, vec!["cs_1".to_owned()]);
        assert_eq!(v.effects.invoices[0].status, InvoiceStatus::Void);
        assert!(v.effects.invoices[0].voided);
        assert!(matches!(
            void(&invoice(), &[session(SessionState::Processing)]),
            Err(VoidRefusal::DebitProcessing { .. })
        ));
        let mut paid = invoice();
        paid.rows.push(Row {
            invoice_id: "inv_1".into(),
            external_id: None,
            kind: Kind::Payment,
            method: "cash".into(),
            amount: 1,
            currency: "USD".into(),
            reference: None,
            received_on: "2026-12-01".into(),
        });
        assert!(matches!(
            void(&paid, &[]),
            Err(VoidRefusal::NotVoidable { paid: 1, .. })
        ));
    }

    fn note(amount: i64) -> CreditNote {
        CreditNote {
            id: "crn_1".into(),
            number: "CN-NW-1-1".into(),
            amount,
            issued_on: "2026-12-05".into(),
        }
    }

    #[test]
    fn a_credit_note_lowers_the_balance_and_may_settle_the_invoice() {
        let part = credit_note(&invoice(), &[], &note(2_500)).unwrap().effects;
        assert_eq!(part.rows[0].kind, Kind::CreditNote);
        assert_eq!(part.rows[0].external_id.as_deref(), Some("credit:crn_1"));
        assert_eq!(part.invoices[0].amount_paid, 2_500);
        assert_eq!(part.invoices[0].status, InvoiceStatus::Open);
        let mut inv = invoice();
        inv.rows = part.rows.clone();
        assert_eq!(super::super::credited(&inv), 2_500);
        assert_eq!(super::super::due(inv.status, inv.total, inv.paid()), 7_500);
        let rest = credit_note(&inv, &[], &note(7_500)).unwrap().effects;
        assert_eq!(rest.invoices[0].status, InvoiceStatus::Paid);
        assert_eq!(
            credit_note(&inv, &[], &note(7_501)),
            Err(CreditRefusal::AmountOutOfRange { due: 7_500 })
        );
        assert!(credit_note(&inv, &[], &note(0)).is_err());
        let mut void = invoice();
        void.status = InvoiceStatus::Void;
        assert!(matches!(
            credit_note(&void, &[], &note(1)),
            Err(CreditRefusal::NotOpen { .. })
        ));
        // A debit on its way could settle the old balance: refused. An open
        // checkout for more than what is left is closed first; one for less
        // (the undisputed part) stays.
        let processing = Session {
            state: SessionState::Processing,
            ..session(SessionState::Open)
        };
        assert!(matches!(
            credit_note(&invoice(), &[processing], &note(100)),
            Err(CreditRefusal::DebitProcessing { .. })
        ));
        let whole = session(SessionState::Open);
        let part_session = Session {
            id: "cs_2".into(),
            amount: 5_000,
            ..session(SessionState::Open)
        };
        let c = credit_note(&invoice(), &[whole, part_session], &note(2_500)).unwrap();
        assert_eq!(c.expire, vec!["cs_1".to_owned()]);
        // A credit note is not money: the customer's credit stays nothing.
        assert_eq!(
            super::super::credit(rest.invoices[0].status, 10_000, 10_000),
            0
        );
    }
}
