//! Card disputes as records in the company's list of disputes: one per
//! invoice the disputed payment paid, with its share, Stripe's reason,
//! status and evidence deadline. They move no money (the chargeback and
//! reversal rows are `stripe::decide`'s); an open one holds reminders.

use super::reads::Known;
use super::{Effects, Outcome};
use crate::stripe::events::Event;
use crate::stripe::reconcile;

/// A card dispute's record on one invoice its payment paid (the invoice's
/// share of the disputed amount): created or updated, never duplicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chargeback {
    pub dispute: String,
    pub invoice_id: String,
    pub customer_id: String,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub stripe_status: String,
    /// Unix milliseconds.
    pub evidence_due_at: Option<i64>,
    /// Open holds the invoice's reminders.
    pub open: bool,
    /// How it ended: `won`, `lost`, or `resolved` (an inquiry closed, the
    /// charge refunded).
    pub outcome: Option<&'static str>,
}

/// Whether a card dispute in Stripe's `status` is still open, and how a
/// closed one ended.
pub fn chargeback_state(status: &str) -> (bool, Option<&'static str>) {
    match status {
        "won" => (false, Some("won")),
        "lost" => (false, Some("lost")),
        "warning_closed" | "charge_refunded" | "prevented" => (false, Some("resolved")),
        _ => (true, None),
    }
}

/// A card dispute's record on each invoice its payment paid, with that
/// invoice's share of the amount; a dispute whose payment is not booked yet
/// gets its record when the event is decided again.
pub(super) fn record(e: &mut Effects, event: &Event, known: &Known) {
    let Some(d) = reconcile::card_dispute(event) else {
        return;
    };
    let Some(key) = d.payment.as_deref() else {
        return;
    };
    let parts = super::stripe::payment_parts(known, key);
    let amounts: Vec<i64> = parts.iter().map(|(_, a)| *a).collect();
    let shares = reconcile::fill(d.amount, &amounts);
    let (open, outcome) = chargeback_state(&d.status);
    for ((inv, _), share) in parts.iter().zip(shares) {
        e.chargebacks.push(Chargeback {
            dispute: d.dispute.clone(),
            invoice_id: inv.id.clone(),
            customer_id: inv.customer_id.clone(),
            amount: share,
            currency: d.currency.clone(),
            reason: d.reason.clone().unwrap_or_else(|| "general".into()),
            stripe_status: d.status.clone(),
            evidence_due_at: d.due_by.map(|s| s * 1000),
            open,
            outcome,
        });
    }
    // An update that moves no money still updates the record.
    if !e.chargebacks.is_empty() && e.outcome == Outcome::Ignored {
        e.outcome = Outcome::Applied;
        e.invoice_id = e.chargebacks.first().map(|c| c.invoice_id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Invoice, Kind, Row};
    use super::*;
    use serde_json::json;
    use settle_shared::invoice::InvoiceStatus;

    fn paid_invoice(id: &str, amount: i64, key: &str) -> Invoice {
        Invoice {
            id: id.into(),
            number: format!("N-{id}"),
            customer_id: "cus_1".into(),
            email: "a@example.com".into(),
            currency: "EUR".into(),
            total: amount,
            status: InvoiceStatus::Paid,
            version: 1,
            discount_cap: 0,
            rows: vec![Row {
                invoice_id: id.into(),
                external_id: Some(key.into()),
                kind: Kind::Payment,
                method: "stripe".into(),
                amount,
                currency: "EUR".into(),
                reference: None,
                received_on: "2026-12-01".into(),
            }],
        }
    }

    fn dispute_event(kind: &str, status: &str) -> Event {
        serde_json::from_value(json!({ "id": format!("evt_{kind}_{status}"), "type": kind, "created": 1_764_000_000,
            "data": { "object": { "id": "dp_1", "object": "dispute", "amount": 900, "currency": "eur", "status": status,
                                  "reason": "product_not_received", "payment_intent": "pi_1",
                                  "evidence_details": { "due_by": 1_765_000_000 } } } }))
        .unwrap()
    }

    #[test]
    fn a_card_dispute_is_recorded_on_each_invoice_its_payment_paid() {
        // A combined payment of two invoices: each gets its share.
        let known = Known {
            invoices: vec![
                paid_invoice("inv_a", 600, "payment:pi_1:inv_a"),
                paid_invoice("inv_b", 400, "payment:pi_1:inv_b"),
            ],
            sessions: vec![],
        };
        let e = super::super::stripe::decide(
            "org_1",
            &dispute_event("charge.dispute.created", "needs_response"),
            &known,
            false,
        );
        assert_eq!(e.chargebacks.len(), 2);
        assert_eq!(
            e.chargebacks.iter().map(|c| c.amount).collect::<Vec<_>>(),
            vec![600, 300]
        );
        let c = &e.chargebacks[0];
        assert!(c.open && c.outcome.is_none());
        assert_eq!(c.reason, "product_not_received");
        assert_eq!(c.evidence_due_at, Some(1_765_000_000_000));
        // An update moves no money but updates the record.
        let e = super::super::stripe::decide(
            "org_1",
            &dispute_event("charge.dispute.updated", "under_review"),
            &known,
            false,
        );
        assert_eq!(e.outcome, Outcome::Applied);
        assert!(e.rows.is_empty());
        assert_eq!(e.chargebacks[0].stripe_status, "under_review");
        // Closed: won or lost, no longer holding reminders.
        let e = super::super::stripe::decide(
            "org_1",
            &dispute_event("charge.dispute.closed", "lost"),
            &known,
            false,
        );
        assert!(!e.chargebacks[0].open);
        assert_eq!(e.chargebacks[0].outcome, Some("lost"));
        // An inquiry is recorded too; its payment unknown, nothing yet.
        let none = Known::default();
        let e = super::super::stripe::decide(
            "org_1",
            &dispute_event("charge.dispute.created", "warning_needs_response"),
            &none,
            false,
        );
        assert!(e.chargebacks.is_empty());
    }
}
