//! Property tests of the engine itself: random histories (see
//! [`super::history`]) delivered permuted, duplicated and with racing
//! deliveries end in the same books as the history in order.

use super::history::{Attempt, History, Op, Way, apply, shuffle, summary};
use super::{Outcome, credit};
use crate::stripe::events::Event;
use proptest::prelude::*;
use settle_shared::ids::InvoiceId;
use settle_shared::invoice::InvoiceStatus;

const ORG: &str = "org_0193f1c2a4b1000000000000000000";

fn invoice_id(i: usize) -> String {
    InvoiceId::generate(1_700_000_000_000 + i as u64, [i as u8; 10])
        .as_str()
        .to_owned()
}

fn history_of(
    totals: Vec<i64>,
    void_first: bool,
    attempts: Vec<Attempt>,
    manual: Vec<i64>,
) -> History {
    History {
        org: ORG.into(),
        prefix: String::new(),
        invoices: totals
            .into_iter()
            .enumerate()
            .map(|(i, t)| (invoice_id(i), t))
            .collect(),
        void_first,
        attempts,
        manual,
    }
}

fn in_order(h: &History) -> super::memory::Store {
    h.in_order(true)
}

fn attempt(invoices: usize) -> impl Strategy<Value = Attempt> {
    (
        0u8..4,
        proptest::collection::vec((0..invoices, 1i64..12_000), 1..3),
        proptest::collection::vec(1i64..3_000, 0..4),
        proptest::option::of((1i64..4_000, any::<bool>())),
    )
        .prop_map(|(way, mut parts, refunds, dispute)| {
            settle_shared::sort::sort_by_key(&mut parts, |p| p.0);
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
        .prop_map(|(totals, void_first, attempts, manual)| {
            history_of(totals, void_first, attempts, manual)
        })
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
        let mut s = h.store(true);
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
        let mut events: Vec<Event> = h.events();
        // Every event twice, shuffled, delivered two at a time.
        events.extend(events.clone());
        shuffle(&mut events, seed);
        let mut s = h.store(true);
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
    let h = history_of(
        vec![10_000, 10_000, 5_000, 5_000],
        false,
        vec![
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
        vec![],
    );
    let ops: Vec<Event> = h.events();
    let mut s = h.store(true);
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
    let h = history_of(
        vec![10_000, 1_000, 1_000, 1_000],
        true,
        vec![Attempt {
            way: Way::Card,
            parts: vec![(0, 10_000)],
            refunds: vec![],
            dispute: None,
        }],
        vec![],
    );
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
    let h = history_of(
        vec![10_000, 1_000, 1_000, 1_000],
        false,
        vec![Attempt {
            way: Way::Card,
            parts: vec![(0, 10_000)],
            refunds: vec![2_500],
            dispute: None,
        }],
        vec![],
    );
    let ops = h.ops();
    let mut s = h.store(true);
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
    let h = history_of(
        vec![10_000, 1_000, 1_000, 1_000],
        false,
        vec![Attempt {
            way: Way::Card,
            parts: vec![(0, 10_000)],
            refunds: vec![4_000],
            dispute: None,
        }],
        vec![],
    );
    let ops: Vec<Event> = h.events();
    let mut s = h.store(true);
    s.deliver_racing(&ops[0], &ops[2]);
    assert_eq!(s.events["evt_0_r0"].0, Outcome::Applied);
    assert_eq!(s.amount_paid[&invoice_id(0)], 6_000);
}

#[test]
fn generated_histories_end_in_the_same_books_delivered_twice_in_any_order() {
    // The histories the replay test and the load benchmark send to a worker.
    for seed in 1..60 {
        let h = History::generate(seed, ORG, "", (0..6).map(invoice_id).collect(), 30);
        let expected = summary(&h.in_order(false));
        let mut s = h.store(false);
        for e in h.deliveries(2, seed) {
            s.deliver(&e);
        }
        for op in h.ops().iter().filter(|o| matches!(o, Op::Manual(..))) {
            apply(&mut s, op);
        }
        assert_eq!(summary(&s), expected, "seed {seed}");
    }
}

/// An early-payment discount travels in the payment's metadata: paid at
/// the discounted amount, the allowance closes the invoice at zero, once,
/// whichever of the session's and the PaymentIntent's events comes first
/// and however often; a payment that does not match gets no allowance.
#[test]
fn an_early_payment_discount_closes_the_invoice_once() {
    use super::memory::Store;
    use super::{Invoice, Kind};
    let store = |inv: &str| {
        let mut s = Store::new(ORG);
        s.add_invoice(Invoice {
            id: inv.into(),
            number: "NW-1".into(),
            customer_id: "cus_1".into(),
            email: "c@example.com".into(),
            currency: "EUR".into(),
            total: 10_000,
            status: InvoiceStatus::Open,
            version: 0,
            rows: vec![],
            discount_cap: 200,
        });
        s
    };
    let events = |inv: &str, amount: i64| -> Vec<Event> {
        let meta = serde_json::json!({
            "settle_organization_id": ORG, "settle_invoice_id": inv, "settle_discount": "200"
        });
        let session = serde_json::json!({ "id": "cs_d", "object": "checkout.session", "status": "complete",
            "payment_status": "paid", "amount_total": amount, "currency": "eur", "payment_intent": "pi_d", "metadata": meta });
        let pi = serde_json::json!({ "id": "pi_d", "object": "payment_intent", "amount": amount,
            "amount_received": amount, "currency": "eur", "status": "succeeded", "metadata": meta });
        [
            ("evt_s", "checkout.session.completed", session),
            ("evt_p", "payment_intent.succeeded", pi),
        ]
        .into_iter()
        .map(|(id, kind, object)| {
            serde_json::from_value(
                serde_json::json!({ "id": id, "type": kind, "created": 1_764_000_000,
                    "data": { "object": object } }),
            )
            .unwrap()
        })
        .collect()
    };
    let inv = invoice_id(0);
    for order in [[0, 1, 0, 1], [1, 0, 1, 1]] {
        let mut s = store(&inv);
        let evs = events(&inv, 9_800);
        for i in order {
            s.deliver(&evs[i]);
        }
        assert_eq!(s.amount_paid[&inv], 10_000, "{order:?}");
        assert_eq!(s.status(&inv), Some(InvoiceStatus::Paid));
        let kinds: Vec<(Kind, i64)> = s.rows(&inv).iter().map(|r| (r.kind, r.amount)).collect();
        assert_eq!(kinds, vec![(Kind::Payment, 9_800), (Kind::Discount, 200)]);
    }
    // Refunded in part, the discount stands; refunded in full, it goes
    // with the payment (in any order, however often).
    let refund = |total: i64, n: u32| -> Event {
        serde_json::from_value(serde_json::json!({ "id": format!("evt_r{n}"), "type": "charge.refunded",
            "created": 1_764_000_000, "data": { "object": { "id": "ch_d", "object": "charge", "amount": 9_800,
            "amount_refunded": total, "currency": "eur", "payment_intent": "pi_d" } } }))
        .unwrap()
    };
    let mut s = store(&inv);
    for e in events(&inv, 9_800) {
        s.deliver(&e);
    }
    s.deliver(&refund(4_000, 1));
    assert_eq!(
        s.amount_paid[&inv], 6_000,
        "part refunded: the discount stands"
    );
    for e in [refund(9_800, 2), refund(4_000, 1), refund(9_800, 2)] {
        s.deliver(&e);
    }
    assert_eq!(
        s.amount_paid[&inv], 0,
        "refunded in full: nothing paid, nothing allowed"
    );
    assert_eq!(s.status(&inv), Some(InvoiceStatus::Open));

    // Half paid with the discount's metadata: booked as it is.
    let mut s = store(&inv);
    for e in events(&inv, 5_000) {
        s.deliver(&e);
    }
    assert_eq!(s.amount_paid[&inv], 5_000);
    assert_eq!(s.status(&inv), Some(InvoiceStatus::Open));
    // Metadata asking more than the invoice's terms allow gets nothing.
    let mut s = store(&inv);
    for mut e in events(&inv, 9_700) {
        e.data.object["metadata"]["settle_discount"] = serde_json::json!("300");
        s.deliver(&e);
    }
    assert_eq!(s.amount_paid[&inv], 9_700, "no allowance past the terms");
}
