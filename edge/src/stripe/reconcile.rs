//! From Stripe events to ledger rows, the same whatever the order.
//!
//! Stripe delivers at least once and in any order, for days. Each event is
//! turned into facts; each fact into ledger rows with a deterministic
//! external id, so a repeated fact adds nothing; and every derived state is
//! a maximum over what was seen (a refund total only grows, a settled
//! payment outranks "processing"), so any permutation with any duplicates
//! ends in the same books.

use super::events::{Event, Object};
use std::collections::{BTreeMap, BTreeSet};

/// Metadata keys Settle puts on Checkout Sessions and PaymentIntents.
pub const META_ORGANIZATION: &str = "settle_organization_id";
pub const META_INVOICE: &str = "settle_invoice_id";
/// How a payment for several invoices splits: `inv_a:9500,inv_b:500`.
pub const META_ALLOCATION: &str = "settle_allocation";

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

/// Reads an event. Unknown or irrelevant events give no facts.
pub fn facts(event: &Event) -> Vec<Fact> {
    match (event.kind.as_str(), event.object()) {
        (
            "checkout.session.completed" | "checkout.session.async_payment_succeeded",
            Object::CheckoutSession(s),
        ) => {
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

/// The kinds of ledger row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Payment,
    Refund,
    Chargeback,
    Reversal,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Payment => "payment",
            Kind::Refund => "refund",
            Kind::Chargeback => "chargeback",
            Kind::Reversal => "reversal",
        }
    }

    /// Sign of the row in the paid amount.
    pub fn sign(self) -> i64 {
        match self {
            Kind::Payment | Kind::Reversal => 1,
            Kind::Refund | Kind::Chargeback => -1,
        }
    }
}

/// A ledger row. `external_id` is unique: inserting it twice is a no-op.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub external_id: String,
    pub kind: Kind,
    /// The payment (PaymentIntent) the row belongs to.
    pub payment: String,
    pub amount: i64,
    pub currency: String,
}

/// Where a checkout stands, ordered so that the later state wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Checkout {
    Expired,
    Processing,
    Failed,
    Settled,
}

/// The books for one invoice, as the stored ledger would hold them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Books {
    pub rows: BTreeSet<Row>,
    pub checkouts: BTreeMap<String, Checkout>,
    /// Payments Settle knows: PaymentIntent → invoice.
    pub payments: BTreeMap<String, Option<String>>,
}

impl Books {
    fn insert(&mut self, row: Row) {
        if !self.rows.iter().any(|r| r.external_id == row.external_id) {
            self.rows.insert(row);
        }
    }

    fn refunded(&self, charge: &str) -> i64 {
        let prefix = format!("refund:{charge}:");
        self.rows
            .iter()
            .filter(|r| r.external_id.starts_with(&prefix))
            .map(|r| r.amount)
            .sum()
    }

    /// Applies one fact. Safe to repeat, in any order.
    pub fn apply(&mut self, fact: &Fact) {
        match fact {
            Fact::Paid {
                key,
                invoice,
                amount,
                currency,
            } => {
                self.payments.entry(key.clone()).or_insert(invoice.clone());
                self.insert(Row {
                    external_id: format!("payment:{key}"),
                    kind: Kind::Payment,
                    payment: key.clone(),
                    amount: *amount,
                    currency: currency.clone(),
                });
            }
            Fact::Processing { session, .. } => self.raise(session, Checkout::Processing),
            Fact::Failed { key, .. } => self.raise(key, Checkout::Failed),
            Fact::Expired { session } => self.raise(session, Checkout::Expired),
            Fact::RefundedTotal {
                charge,
                payment,
                total,
                currency,
            } => {
                let already = self.refunded(charge);
                if *total > already {
                    self.insert(Row {
                        external_id: format!("refund:{charge}:{total}"),
                        kind: Kind::Refund,
                        payment: payment.clone().unwrap_or_default(),
                        amount: total - already,
                        currency: currency.clone(),
                    });
                }
            }
            Fact::DisputeOpened {
                dispute,
                payment,
                amount,
                currency,
            } => self.insert(Row {
                external_id: format!("chargeback:{dispute}"),
                kind: Kind::Chargeback,
                payment: payment.clone().unwrap_or_default(),
                amount: *amount,
                currency: currency.clone(),
            }),
            Fact::DisputeClosed {
                dispute,
                payment,
                amount,
                currency,
                won,
            } => {
                // A closed dispute implies it was opened, even if that event is late.
                let opened = Fact::DisputeOpened {
                    dispute: dispute.clone(),
                    payment: payment.clone(),
                    amount: *amount,
                    currency: currency.clone(),
                };
                self.apply(&opened);
                if *won {
                    self.insert(Row {
                        external_id: format!("reversal:{dispute}"),
                        kind: Kind::Reversal,
                        payment: payment.clone().unwrap_or_default(),
                        amount: *amount,
                        currency: currency.clone(),
                    });
                }
            }
        }
    }

    fn raise(&mut self, key: &str, to: Checkout) {
        let e = self.checkouts.entry(key.to_owned()).or_insert(to);
        *e = (*e).max(to);
    }

    /// The paid amount in `currency`: payments and won disputes minus refunds
    /// and chargebacks. Rows in other currencies are not counted.
    pub fn paid(&self, currency: &str) -> i64 {
        self.rows
            .iter()
            .filter(|r| r.currency == currency)
            .map(|r| r.kind.sign() * r.amount)
            .sum()
    }

    /// Refund totals per charge: the largest total seen for each.
    pub fn refunds_by_charge(&self) -> BTreeMap<String, i64> {
        let mut m = BTreeMap::new();
        for r in self.rows.iter().filter(|r| r.kind == Kind::Refund) {
            let charge = r
                .external_id
                .split(':')
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            *m.entry(charge).or_insert(0) += r.amount;
        }
        m
    }

    /// Whether a bank debit is still on its way (and nothing settled yet).
    pub fn processing(&self) -> bool {
        self.rows.iter().all(|r| r.kind != Kind::Payment)
            && self.checkouts.values().any(|c| *c == Checkout::Processing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn event(id: &str, kind: &str, object: serde_json::Value) -> Event {
        serde_json::from_value(
            json!({ "id": id, "type": kind, "created": 1, "data": { "object": object } }),
        )
        .unwrap()
    }

    fn session(status: &str, paid: &str) -> serde_json::Value {
        json!({ "id": "cs_1", "object": "checkout.session", "status": status, "payment_status": paid,
                "amount_total": 10_000, "currency": "eur", "payment_intent": "pi_1",
                "metadata": { META_INVOICE: "inv_1", META_ORGANIZATION: "org_1" } })
    }

    /// A valid history of one invoice's payment, in Stripe's usual order.
    fn history(kind: u8, refunds: &[i64], dispute: Option<bool>) -> Vec<Event> {
        let pi = json!({ "id": "pi_1", "object": "payment_intent", "amount": 10_000, "amount_received": 10_000,
                         "currency": "eur", "status": "succeeded", "metadata": { META_INVOICE: "inv_1" } });
        let mut out = match kind {
            0 => vec![
                event(
                    "evt_c",
                    "checkout.session.completed",
                    session("complete", "paid"),
                ),
                event("evt_p", "payment_intent.succeeded", pi),
            ],
            1 => vec![
                event(
                    "evt_c",
                    "checkout.session.completed",
                    session("complete", "unpaid"),
                ),
                event(
                    "evt_a",
                    "checkout.session.async_payment_succeeded",
                    session("complete", "paid"),
                ),
                event("evt_p", "payment_intent.succeeded", pi),
            ],
            2 => vec![
                event(
                    "evt_c",
                    "checkout.session.completed",
                    session("complete", "unpaid"),
                ),
                event(
                    "evt_f",
                    "checkout.session.async_payment_failed",
                    session("complete", "unpaid"),
                ),
            ],
            _ => vec![event(
                "evt_x",
                "checkout.session.expired",
                session("expired", "unpaid"),
            )],
        };
        if kind <= 1 {
            let mut total = 0;
            for (i, r) in refunds.iter().enumerate() {
                total += r;
                out.push(event(&format!("evt_r{i}"), "charge.refunded", json!({
                    "id": "ch_1", "object": "charge", "amount": 10_000, "amount_refunded": total, "currency": "eur", "payment_intent": "pi_1"
                })));
            }
            if let Some(won) = dispute {
                let d = |status: &str| json!({ "id": "dp_1", "object": "dispute", "amount": 2_000, "currency": "eur", "status": status, "charge": "ch_1", "payment_intent": "pi_1" });
                out.push(event(
                    "evt_d1",
                    "charge.dispute.created",
                    d("needs_response"),
                ));
                out.push(event(
                    "evt_d2",
                    "charge.dispute.closed",
                    d(if won { "won" } else { "lost" }),
                ));
            }
        }
        out
    }

    /// Applies events as the worker does: each event id once.
    fn run(events: &[Event]) -> Books {
        let mut seen = BTreeSet::new();
        let mut books = Books::default();
        for e in events {
            if seen.insert(e.id.clone()) {
                for f in facts(e) {
                    books.apply(&f);
                }
            }
        }
        books
    }

    /// What must not depend on order: money per kind, refund totals, state.
    #[derive(Debug, PartialEq)]
    struct Summary {
        paid: i64,
        refunds: BTreeMap<String, i64>,
        processing: bool,
        by_kind: BTreeMap<Kind, i64>,
    }

    fn summary(b: &Books) -> Summary {
        let mut by_kind = BTreeMap::new();
        for r in &b.rows {
            *by_kind.entry(r.kind).or_insert(0) += r.amount;
        }
        Summary {
            paid: b.paid("EUR"),
            refunds: b.refunds_by_charge(),
            processing: b.processing(),
            by_kind,
        }
    }

    #[test]
    fn card_payment_then_partial_refund_and_lost_dispute() {
        let b = run(&history(0, &[3_000], Some(false)));
        assert_eq!(b.paid("EUR"), 10_000 - 3_000 - 2_000);
        assert_eq!(
            b.rows.iter().filter(|r| r.kind == Kind::Payment).count(),
            1,
            "completed and succeeded are one payment"
        );
        assert!(!b.processing());
    }

    #[test]
    fn bank_debit_is_processing_until_it_settles() {
        let h = history(1, &[], None);
        assert!(run(&h[..1]).processing());
        assert_eq!(run(&h[..1]).paid("EUR"), 0);
        assert!(!run(&h).processing());
        assert_eq!(run(&h).paid("EUR"), 10_000);
        let failed = run(&history(2, &[], None));
        assert!(!failed.processing(), "a failed debit reopens the invoice");
        assert_eq!(failed.paid("EUR"), 0);
    }

    #[test]
    fn a_late_dispute_creation_changes_nothing() {
        let mut h = history(0, &[], Some(true));
        h.swap(2, 3);
        let b = run(&h);
        assert_eq!(b.paid("EUR"), 10_000, "won dispute: money back");
        assert_eq!(b.rows.len(), 3);
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
    }

    proptest! {
        /// Any permutation of a valid history, with any events repeated,
        /// ends in the same books as the history in order.
        #[test]
        fn order_and_duplicates_do_not_matter(
            kind in 0u8..4,
            refunds in proptest::collection::vec(1i64..2_000, 0..4),
            dispute in proptest::option::of(any::<bool>()),
            shuffle in any::<u64>(),
            dups in proptest::collection::vec(0usize..16, 0..8),
        ) {
            let h = history(kind, &refunds, dispute);
            let expected = summary(&run(&h));
            let mut delivered = h.clone();
            for d in dups {
                delivered.push(h[d % h.len()].clone());
            }
            // Fisher–Yates with a small deterministic generator.
            let mut state = shuffle | 1;
            for i in (1..delivered.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                delivered.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(summary(&run(&delivered)), expected);
        }
    }
}
