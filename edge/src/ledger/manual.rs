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
}
