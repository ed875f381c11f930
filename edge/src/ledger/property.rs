//! Property tests of the engine itself: random histories of several
//! invoices (card and bank debit payments, partial, over and combined
//! payments, expired sessions, refunds in several steps, disputes won and
//! lost, manual payments, a void invoice) delivered permuted, duplicated and
//! with racing deliveries end in the same books as the history in order.

use super::checkout::{Session, SessionState};
use super::manual::{self, ManualPayment};
use super::memory::Store;
use super::{Invoice, Kind, Outcome, credit, paid};
use crate::stripe::events::Event;
use crate::stripe::reconcile::{META_ALLOCATION, META_INVOICE, META_ORGANIZATION};
use proptest::prelude::*;
use serde_json::{Value, json};
use settle_shared::ids::InvoiceId;
use settle_shared::invoice::InvoiceStatus;
use std::collections::BTreeMap;

const ORG: &str = "org_0193f1c2a4b1000000000000000000";

fn invoice_id(i: usize) -> String {
    InvoiceId::generate(1_700_000_000_000 + i as u64, [i as u8; 10])
        .as_str()
        .to_owned()
}

/// How one payment attempt goes.
#[derive(Debug, Clone)]
enum Way {
    Card,
    DebitSettles,
    DebitFails,
    Expires,
}

/// One payment attempt and what follows it.
#[derive(Debug, Clone)]
struct Attempt {
    way: Way,
    /// (invoice index, amount); two or more parts make a combined payment.
    parts: Vec<(usize, i64)>,
    /// Refunds in steps (each an increment of the running total).
    refunds: Vec<i64>,
    /// A dispute over this much, and whether it is won.
    dispute: Option<(i64, bool)>,
}

/// Something that happens: a Stripe event or a manual payment.
#[derive(Debug, Clone)]
enum Op {
    Stripe(Event),
    /// (invoice, idempotency key, amount)
    Manual(String, String, i64),
}

#[derive(Debug, Clone)]
struct History {
    totals: Vec<i64>,
    void_first: bool,
    attempts: Vec<Attempt>,
    /// Manual payments on the last invoice (never paid through Stripe).
    manual: Vec<i64>,
}

fn event(id: String, kind: &str, object: Value) -> Event {
    serde_json::from_value(
        json!({ "id": id, "type": kind, "created": 1_764_000_000, "data": { "object": object } }),
    )
    .expect("a valid event")
}

impl History {
    /// The store before anything happens: the invoices, the sessions
    /// Settle created for the attempts, the first invoice maybe void.
    fn store(&self) -> Store {
        let mut s = Store::new(ORG);
        for (i, total) in self.totals.iter().enumerate() {
            s.add_invoice(Invoice {
                id: invoice_id(i),
                number: format!("NW-{i}"),
                customer_id: "cus_1".into(),
                email: "ada@example.com".into(),
                currency: "EUR".into(),
                total: *total,
                status: if i == 0 && self.void_first {
                    InvoiceStatus::Void
                } else {
                    InvoiceStatus::Open
                },
                version: 0,
                rows: vec![],
            });
        }
        for (n, a) in self.attempts.iter().enumerate() {
            s.add_session(Session {
                id: format!("cs_{n}"),
                invoice_id: invoice_id(a.parts[0].0),
                amount: a.parts.iter().map(|p| p.1).sum(),
                state: SessionState::Open,
            });
        }
        s
    }

    /// Everything in Stripe's usual order.
    fn ops(&self) -> Vec<Op> {
        let mut out = Vec::new();
        for (n, a) in self.attempts.iter().enumerate() {
            let amount: i64 = a.parts.iter().map(|p| p.1).sum();
            let mut meta =
                json!({ META_ORGANIZATION: ORG, META_INVOICE: invoice_id(a.parts[0].0) });
            if a.parts.len() > 1 {
                let alloc: Vec<String> = a
                    .parts
                    .iter()
                    .map(|(i, x)| format!("{}:{x}", invoice_id(*i)))
                    .collect();
                meta[META_ALLOCATION] = json!(alloc.join(","));
            }
            let session = |status: &str, paid: &str| {
                json!({ "id": format!("cs_{n}"), "object": "checkout.session", "status": status, "payment_status": paid,
                        "amount_total": amount, "currency": "eur", "payment_intent": format!("pi_{n}"), "metadata": meta })
            };
            let pi = json!({ "id": format!("pi_{n}"), "object": "payment_intent", "amount": amount, "amount_received": amount,
                             "currency": "eur", "status": "succeeded", "metadata": meta });
            let ev = |suffix: &str, kind: &str, object: Value| {
                Op::Stripe(event(format!("evt_{n}_{suffix}"), kind, object))
            };
            let settles = match a.way {
                Way::Card => {
                    out.push(ev(
                        "c",
                        "checkout.session.completed",
                        session("complete", "paid"),
                    ));
                    out.push(ev("p", "payment_intent.succeeded", pi));
                    true
                }
                Way::DebitSettles => {
                    out.push(ev(
                        "c",
                        "checkout.session.completed",
                        session("complete", "unpaid"),
                    ));
                    out.push(ev(
                        "a",
                        "checkout.session.async_payment_succeeded",
                        session("complete", "paid"),
                    ));
                    out.push(ev("p", "payment_intent.succeeded", pi));
                    true
                }
                Way::DebitFails => {
                    out.push(ev(
                        "c",
                        "checkout.session.completed",
                        session("complete", "unpaid"),
                    ));
                    out.push(ev(
                        "f",
                        "checkout.session.async_payment_failed",
                        session("complete", "unpaid"),
                    ));
                    false
                }
                Way::Expires => {
                    out.push(ev(
                        "x",
                        "checkout.session.expired",
                        session("expired", "unpaid"),
                    ));
                    false
                }
            };
            if !settles {
                continue;
            }
            let mut total = 0;
            for (r, step) in a.refunds.iter().enumerate() {
                total += step;
                out.push(ev(&format!("r{r}"), "charge.refunded", json!({
                    "id": format!("ch_{n}"), "object": "charge", "amount": amount, "amount_refunded": total,
                    "currency": "eur", "payment_intent": format!("pi_{n}") })));
            }
            if let Some((amount, won)) = a.dispute {
                let d = |status: &str| {
                    json!({ "id": format!("dp_{n}"), "object": "dispute", "amount": amount, "currency": "eur",
                                               "status": status, "charge": format!("ch_{n}"), "payment_intent": format!("pi_{n}") })
                };
                out.push(ev("d1", "charge.dispute.created", d("needs_response")));
                out.push(ev(
                    "d2",
                    "charge.dispute.closed",
                    d(if won { "won" } else { "lost" }),
                ));
            }
        }
        let last = invoice_id(self.totals.len() - 1);
        for (m, amount) in self.manual.iter().enumerate() {
            out.push(Op::Manual(
                last.clone(),
                format!("api:{ORG}:key{m}"),
                *amount,
            ));
        }
        out
    }
}

/// Runs one op on the store as the worker would.
fn apply(store: &mut Store, op: &Op) {
    match op {
        Op::Stripe(e) => {
            store.deliver(e);
        }
        Op::Manual(invoice, key, amount) => {
            if store
                .invoices
                .values()
                .any(|i| i.rows.iter().any(|r| r.external_id.as_deref() == Some(key)))
            {
                return; // a retried request with the same key
            }
            loop {
                let inv = store.invoices[invoice].clone();
                let p = ManualPayment {
                    external_id: Some(key.clone()),
                    amount: *amount,
                    currency: "EUR".into(),
                    method: "bank_transfer".into(),
                    reference: None,
                    received_on: "2026-11-24".into(),
                };
                let e = manual::record(&inv, p, "pay_1").expect("within the balance");
                if store.write(&e).is_ok() {
                    break;
                }
            }
        }
    }
}

/// What must not depend on the order of delivery.
#[derive(Debug, PartialEq)]
struct Summary {
    /// Per invoice: written paid amount, status, money per kind, credit.
    invoices: BTreeMap<String, (i64, InvoiceStatus, BTreeMap<Kind, i64>, i64)>,
    sessions: BTreeMap<String, SessionState>,
    emails: Vec<String>,
    /// Events still waiting for their payment. (Which of two events about
    /// one payment booked it, and so was flagged, depends on the order.)
    waiting: Vec<String>,
}

fn summary(s: &Store) -> Summary {
    let mut invoices = BTreeMap::new();
    for inv in s.invoices.values() {
        let written = s.amount_paid[&inv.id];
        assert_eq!(
            written,
            paid(&inv.rows, &inv.currency),
            "the written paid amount is what the rows give"
        );
        let mut by_kind = BTreeMap::new();
        for r in &inv.rows {
            *by_kind.entry(r.kind).or_insert(0) += r.amount;
        }
        invoices.insert(
            inv.id.clone(),
            (
                written,
                inv.status,
                by_kind,
                credit(inv.status, inv.total, written),
            ),
        );
    }
    Summary {
        invoices,
        sessions: s
            .sessions
            .values()
            .map(|x| (x.id.clone(), x.state))
            .collect(),
        emails: s.emails.iter().cloned().collect(),
        waiting: s
            .events
            .iter()
            .filter(|(_, (o, _, _))| *o == Outcome::Pending)
            .map(|(id, _)| id.clone())
            .collect(),
    }
}

fn in_order(h: &History) -> Store {
    let mut s = h.store();
    for op in h.ops() {
        apply(&mut s, &op);
    }
    s
}

fn attempt(invoices: usize) -> impl Strategy<Value = Attempt> {
    (
        0u8..4,
        proptest::collection::vec((0..invoices, 1i64..12_000), 1..3),
        proptest::collection::vec(1i64..3_000, 0..4),
        proptest::option::of((1i64..4_000, any::<bool>())),
    )
        .prop_map(|(way, mut parts, refunds, dispute)| {
            parts.sort_by_key(|p| p.0);
            parts.dedup_by_key(|p| p.0);
            Attempt {
                way: match way {
                    0 => Way::Card,
                    1 => Way::DebitSettles,
                    2 => Way::DebitFails,
                    _ => Way::Expires,
                },
                parts,
                refunds,
                dispute,
            }
        })
}

fn history() -> impl Strategy<Value = History> {
    // Invoices 0..3 take Stripe payments; the last (index 3) takes manual ones.
    (
        proptest::collection::vec(1_000i64..15_000, 4),
        any::<bool>(),
        proptest::collection::vec(attempt(3), 0..5),
        proptest::collection::vec(1i64..250, 0..4),
    )
        .prop_map(|(totals, void_first, attempts, manual)| History {
            totals,
            void_first,
            attempts,
            manual,
        })
}

/// Fisher–Yates with a small deterministic generator.
fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..v.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        v.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any permutation of a history, with any events repeated, ends in the
    /// same books as the history in order.
    #[test]
    fn order_and_duplicates_do_not_matter(
        h in history(),
        seed in any::<u64>(),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let expected = summary(&in_order(&h));
        let ops = h.ops();
        let mut delivered = ops.clone();
        if !ops.is_empty() {
            for d in dups {
                delivered.push(ops[d.index(ops.len())].clone());
            }
        }
        shuffle(&mut delivered, seed);
        let mut s = h.store();
        for op in &delivered {
            apply(&mut s, op);
        }
        prop_assert_eq!(summary(&s), expected);
    }

    /// Deliveries that race (both read before either writes) lose nothing
    /// and double nothing: the guards refuse the stale write and the engine
    /// decides it again.
    #[test]
    fn racing_deliveries_end_in_the_same_books(h in history(), seed in any::<u64>()) {
        let expected = summary(&in_order(&h));
        let mut events: Vec<Event> = h.ops().into_iter().filter_map(|o| match o { Op::Stripe(e) => Some(e), Op::Manual(..) => None }).collect();
        // Every event twice, shuffled, delivered two at a time.
        events.extend(events.clone());
        shuffle(&mut events, seed);
        let mut s = h.store();
        for pair in events.chunks(2) {
            match pair {
                [a, b] => s.deliver_racing(a, b),
                [a] => { s.deliver(a); }
                _ => {}
            }
        }
        for op in h.ops().iter().filter(|o| matches!(o, Op::Manual(..))) {
            apply(&mut s, op);
        }
        prop_assert_eq!(summary(&s), expected);
    }
}

#[test]
fn a_race_on_one_invoice_is_decided_again_not_lost() {
    // A card payment and a refund of it delivered at once after the payment
    // landed through its PaymentIntent: both write the same invoice.
    let h = History {
        totals: vec![10_000, 10_000, 5_000, 5_000],
        void_first: false,
        attempts: vec![
            Attempt {
                way: Way::Card,
                parts: vec![(1, 5_000)],
                refunds: vec![1_000],
                dispute: None,
            },
            Attempt {
                way: Way::Card,
                parts: vec![(1, 2_000)],
                refunds: vec![],
                dispute: None,
            },
        ],
        manual: vec![],
    };
    let ops: Vec<Event> = h
        .ops()
        .into_iter()
        .filter_map(|o| match o {
            Op::Stripe(e) => Some(e),
            Op::Manual(..) => None,
        })
        .collect();
    let mut s = h.store();
    // The two PaymentIntents race: both read the invoice at version 0.
    s.deliver_racing(&ops[1], &ops[4]);
    assert_eq!(s.conflicts, 1, "the second write met a newer invoice");
    let inv = invoice_id(1);
    assert_eq!(s.amount_paid[&inv], 7_000, "neither payment was lost");
    for e in &ops {
        s.deliver(e);
    }
    assert_eq!(s.amount_paid[&inv], 6_000);
    assert_eq!(s.status(&inv), Some(InvoiceStatus::Open));
}

#[test]
fn a_payment_on_a_void_invoice_is_flagged_and_becomes_credit() {
    let h = History {
        totals: vec![10_000, 1_000, 1_000, 1_000],
        void_first: true,
        attempts: vec![Attempt {
            way: Way::Card,
            parts: vec![(0, 10_000)],
            refunds: vec![],
            dispute: None,
        }],
        manual: vec![],
    };
    let s = in_order(&h);
    let inv = invoice_id(0);
    assert_eq!(s.status(&inv), Some(InvoiceStatus::Void));
    assert_eq!(
        credit(InvoiceStatus::Void, 10_000, s.amount_paid[&inv]),
        10_000
    );
    assert_eq!(s.events["evt_0_c"].0, Outcome::Flagged);
}

#[test]
fn a_refund_before_its_payment_waits_then_is_audited_when_applied() {
    let h = History {
        totals: vec![10_000, 1_000, 1_000, 1_000],
        void_first: false,
        attempts: vec![Attempt {
            way: Way::Card,
            parts: vec![(0, 10_000)],
            refunds: vec![2_500],
            dispute: None,
        }],
        manual: vec![],
    };
    let ops = h.ops();
    let mut s = h.store();
    apply(&mut s, &ops[2]);
    assert_eq!(s.events["evt_0_r0"].0, Outcome::Pending);
    apply(&mut s, &ops[0]);
    assert_eq!(s.events["evt_0_r0"].0, Outcome::Applied);
    assert_eq!(s.amount_paid[&invoice_id(0)], 7_500);
    assert_eq!(
        s.audit,
        vec![
            "stripe_event.pending",
            "stripe_event.applied",
            "stripe_event.applied"
        ],
        "the waiting refund has its own audit row when applied"
    );
}

#[test]
fn a_refund_racing_its_payment_does_not_wait_forever() {
    // The refund reads before the payment is written and decides to wait;
    // its write must not land after the payment's (nothing would wake it).
    let h = History {
        totals: vec![10_000, 1_000, 1_000, 1_000],
        void_first: false,
        attempts: vec![Attempt {
            way: Way::Card,
            parts: vec![(0, 10_000)],
            refunds: vec![4_000],
            dispute: None,
        }],
        manual: vec![],
    };
    let ops: Vec<Event> = h
        .ops()
        .into_iter()
        .filter_map(|o| match o {
            Op::Stripe(e) => Some(e),
            Op::Manual(..) => None,
        })
        .collect();
    let mut s = h.store();
    s.deliver_racing(&ops[0], &ops[2]);
    assert_eq!(s.events["evt_0_r0"].0, Outcome::Applied);
    assert_eq!(s.amount_paid[&invoice_id(0)], 6_000);
}
