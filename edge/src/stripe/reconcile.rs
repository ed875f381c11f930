//! What a Stripe event says happened, read without any stored state.
//!
//! Stripe delivers at least once and in any order, for days. Each event is
//! read here into facts and Settle's own metadata (organization, invoice,
//! allocation of a combined payment); `crate::ledger::stripe` decides what
//! the facts do to the books.

use super::events::{Event, Object};

/// Metadata keys Settle puts on Checkout Sessions and PaymentIntents.
pub const META_ORGANIZATION: &str = "settle_organization_id";
pub const META_INVOICE: &str = "settle_invoice_id";
/// How a payment for several invoices splits: `inv_a:9500,inv_b:500`.
pub const META_ALLOCATION: &str = "settle_allocation";
/// The early-payment discount a session was opened with (minor units).
pub const META_DISCOUNT: &str = "settle_discount";

/// What an event says happened, independent of any stored state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// Money arrived. `key` is the PaymentIntent (or the session without one).
    Paid {
        key: String,
        invoice: Option<String>,
        amount: i64,
        currency: String,
    },
    /// A bank debit was started from a Checkout Session: money is on its way.
    Processing {
        session: String,
        invoice: Option<String>,
    },
    /// An asynchronous payment (key: its Checkout Session) or a payment
    /// attempt (key: its PaymentIntent) failed.
    Failed {
        key: String,
        invoice: Option<String>,
    },
    /// A Checkout Session expired unpaid.
    Expired { session: String },
    /// The refunded total of a charge (Stripe sends the running total).
    RefundedTotal {
        charge: String,
        payment: Option<String>,
        total: i64,
        currency: String,
    },
    /// A card dispute opened: the money is taken back until it is decided.
    DisputeOpened {
        dispute: String,
        payment: Option<String>,
        amount: i64,
        currency: String,
    },
    /// A dispute closed; `won` gives the money back.
    DisputeClosed {
        dispute: String,
        payment: Option<String>,
        amount: i64,
        currency: String,
        won: bool,
    },
}

/// A card dispute as the company's list of disputes shows it, from any
/// `charge.dispute.*` event (inquiries included: the customer contests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardDispute {
    pub dispute: String,
    pub payment: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub reason: Option<String>,
    /// Stripe's status: `warning_needs_response`, `needs_response`,
    /// `under_review`, `won`, `lost`, `warning_closed`, …
    pub status: String,
    /// The evidence deadline, Unix seconds.
    pub due_by: Option<i64>,
}

/// The card dispute an event reports on, if it is one.
pub fn card_dispute(event: &Event) -> Option<CardDispute> {
    if !event.kind.starts_with("charge.dispute.") {
        return None;
    }
    match event.object() {
        Object::Dispute(d) => Some(CardDispute {
            payment: d.payment_intent.as_ref().map(|p| p.id().to_owned()),
            amount: d.amount,
            currency: d.currency.to_ascii_uppercase(),
            reason: d.reason,
            status: d.status,
            due_by: d.evidence_details.and_then(|e| e.due_by),
            dispute: d.id,
        }),
        _ => None,
    }
}

/// Reads an event. Unknown or irrelevant events give no facts.
pub fn facts(event: &Event) -> Vec<Fact> {
    match (event.kind.as_str(), event.object()) {
        (
            "checkout.session.completed" | "checkout.session.async_payment_succeeded",
            Object::CheckoutSession(s),
        ) if s.mode.as_deref() != Some("setup") => {
            let invoice = s
                .metadata
                .get(META_INVOICE)
                .cloned()
                .or(s.client_reference_id.clone());
            let key = s
                .payment_intent
                .as_ref()
                .map(|p| p.id().to_owned())
                .unwrap_or(s.id.clone());
            if s.payment_status == "paid" {
                vec![Fact::Paid {
                    key,
                    invoice,
                    amount: s.amount_total.unwrap_or(0),
                    currency: s.currency.unwrap_or_default().to_ascii_uppercase(),
                }]
            } else {
                vec![Fact::Processing {
                    session: s.id,
                    invoice,
                }]
            }
        }
        ("checkout.session.async_payment_failed", Object::CheckoutSession(s)) => {
            // Keyed by the session: it outranks that session's "processing".
            let invoice = s
                .metadata
                .get(META_INVOICE)
                .cloned()
                .or(s.client_reference_id.clone());
            vec![Fact::Failed { key: s.id, invoice }]
        }
        ("checkout.session.expired", Object::CheckoutSession(s)) => {
            vec![Fact::Expired { session: s.id }]
        }
        ("payment_intent.succeeded", Object::PaymentIntent(p)) => vec![Fact::Paid {
            invoice: p.metadata.get(META_INVOICE).cloned(),
            amount: p.amount_received.unwrap_or(p.amount),
            currency: p.currency.to_ascii_uppercase(),
            key: p.id,
        }],
        ("payment_intent.payment_failed", Object::PaymentIntent(p)) => {
            vec![Fact::Failed {
                invoice: p.metadata.get(META_INVOICE).cloned(),
                key: p.id,
            }]
        }
        ("charge.refunded", Object::Charge(c)) => vec![Fact::RefundedTotal {
            payment: c.payment_intent.as_ref().map(|p| p.id().to_owned()),
            total: c.amount_refunded,
            currency: c.currency.to_ascii_uppercase(),
            charge: c.id,
        }],
        // An inquiry (`warning_*`) takes no money: nothing to book.
        ("charge.dispute.created" | "charge.dispute.closed", Object::Dispute(d))
            if d.status.starts_with("warning_") =>
        {
            Vec::new()
        }
        ("charge.dispute.created", Object::Dispute(d)) => vec![Fact::DisputeOpened {
            payment: d.payment_intent.as_ref().map(|p| p.id().to_owned()),
            amount: d.amount,
            currency: d.currency.to_ascii_uppercase(),
            dispute: d.id,
        }],
        ("charge.dispute.closed", Object::Dispute(d)) => vec![Fact::DisputeClosed {
            payment: d.payment_intent.as_ref().map(|p| p.id().to_owned()),
            amount: d.amount,
            currency: d.currency.to_ascii_uppercase(),
            won: d.status == "won",
            dispute: d.id,
        }],
        _ => Vec::new(),
    }
}

/// Splits `total` over parts of at most `caps` each, in order: the first
/// part fills up first. Each share only grows as `total` grows, so running
/// totals (refunds) split the same whatever order they arrive in. What
/// exceeds every cap goes to the last part.
pub fn fill(total: i64, caps: &[i64]) -> Vec<i64> {
    let mut left = total.max(0);
    let mut out: Vec<i64> = caps
        .iter()
        .map(|cap| {
            let take = left.min((*cap).max(0));
            left -= take;
            take
        })
        .collect();
    if let Some(last) = out.last_mut() {
        *last += left;
    }
    out
}

/// How a payment for several invoices splits, from Settle's metadata
/// (`inv_a:9500,inv_b:500`); `None` when absent or unreadable.
pub fn allocation(event: &Event) -> Option<Vec<(String, i64)>> {
    let raw = match event.object() {
        Object::CheckoutSession(s) => s.metadata.get(META_ALLOCATION).cloned(),
        Object::PaymentIntent(p) => p.metadata.get(META_ALLOCATION).cloned(),
        _ => None,
    }?;
    parse_allocation(&raw)
}

/// Reads an allocation as Settle writes it (`inv_a:9500,inv_b:500`).
pub fn parse_allocation(raw: &str) -> Option<Vec<(String, i64)>> {
    raw.split(',')
        .map(|part| {
            let (id, amount) = part.split_once(':')?;
            Some((id.to_owned(), amount.parse().ok()?))
        })
        .collect()
}

/// The early-payment discount the payment came with (0 when none or
/// unreadable).
pub fn discount(event: &Event) -> i64 {
    match event.object() {
        Object::CheckoutSession(s) => s.metadata.get(META_DISCOUNT).cloned(),
        Object::PaymentIntent(p) => p.metadata.get(META_DISCOUNT).cloned(),
        _ => None,
    }
    .and_then(|d| d.parse().ok())
    .filter(|d: &i64| *d > 0)
    .unwrap_or(0)
}

/// The organization Settle's metadata names on the object, if any.
pub fn named_organization(event: &Event) -> Option<String> {
    match event.object() {
        Object::CheckoutSession(s) => s.metadata.get(META_ORGANIZATION).cloned(),
        Object::PaymentIntent(p) => p.metadata.get(META_ORGANIZATION).cloned(),
        _ => None,
    }
}

/// Whether the event is of a kind Settle acts on but its object could not
/// be read (kept for a person, never silently ignored).
pub fn unreadable(event: &Event) -> bool {
    let acted_on = [
        "checkout.session.",
        "payment_intent.",
        "charge.refunded",
        "charge.dispute.",
    ]
    .iter()
    .any(|p| event.kind.starts_with(p));
    acted_on && matches!(event.object(), Object::Other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: &str, kind: &str, object: serde_json::Value) -> Event {
        serde_json::from_value(
            json!({ "id": id, "type": kind, "created": 1, "data": { "object": object } }),
        )
        .unwrap()
    }

    #[test]
    fn dispute_inquiries_take_no_money() {
        let inquiry = |kind: &str, status: &str| {
            event(
                "evt_i",
                kind,
                json!({ "id": "dp_i", "object": "dispute", "amount": 100, "currency": "usd", "status": status, "payment_intent": "pi_1" }),
            )
        };
        assert!(facts(&inquiry("charge.dispute.created", "warning_needs_response")).is_empty());
        assert!(facts(&inquiry("charge.dispute.closed", "warning_closed")).is_empty());
        assert_eq!(
            facts(&inquiry("charge.dispute.created", "needs_response")).len(),
            1
        );
    }

    #[test]
    fn amounts_split_in_order_and_only_grow() {
        assert_eq!(fill(500, &[1000]), vec![500]);
        assert_eq!(fill(1200, &[1000, 500]), vec![1000, 200]);
        assert_eq!(fill(1500, &[1000, 500]), vec![1000, 500]);
        assert_eq!(fill(0, &[1000, 500]), vec![0, 0]);
        for t in 0..1600 {
            let (a, b) = (fill(t, &[1000, 500]), fill(t + 1, &[1000, 500]));
            assert!(
                a.iter().zip(&b).all(|(x, y)| x <= y),
                "shares shrink between {t} and {}",
                t + 1
            );
            assert_eq!(b.iter().sum::<i64>(), t + 1);
        }
    }

    #[test]
    fn unknown_events_give_no_facts() {
        let e = event(
            "evt_u",
            "customer.created",
            json!({ "id": "cus_1", "object": "customer" }),
        );
        assert!(facts(&e).is_empty());
        // A card saved through Checkout in setup mode moves no money.
        let setup = event(
            "evt_s",
            "checkout.session.completed",
            json!({ "id": "cs_1", "object": "checkout.session", "mode": "setup", "status": "complete",
                    "payment_status": "no_payment_required", "setup_intent": "seti_1" }),
        );
        assert!(facts(&setup).is_empty());
    }
}
