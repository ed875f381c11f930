//! Histories of one organization's payments, as Stripe and the company
//! make them: card and bank debit payments (partial, over and combined),
//! expired sessions, refunds in several steps, disputes won and lost,
//! manual payments, a void invoice. The property tests draw them at random;
//! the replay test and the load benchmark send them to a real worker and
//! compare what it recorded with what [`History::in_order`] gives.

use super::checkout::{Session, SessionState};
use super::manual::{self, ManualPayment};
use super::memory::Store;
use super::{Invoice, Kind, Outcome, credit, paid};
use crate::stripe::events::Event;
use crate::stripe::reconcile::{META_ALLOCATION, META_INVOICE, META_ORGANIZATION};
use serde_json::{Value, json};
use settle_shared::invoice::InvoiceStatus;
use std::collections::BTreeMap;

/// How one payment attempt goes.
#[derive(Debug, Clone)]
pub enum Way {
    Card,
    DebitSettles,
    DebitFails,
    Expires,
}

/// One payment attempt and what follows it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub way: Way,
    /// (invoice index, amount); two or more parts make a combined payment.
    pub parts: Vec<(usize, i64)>,
    /// Refunds in steps (each an increment of the running total).
    pub refunds: Vec<i64>,
    /// A dispute over this much, and whether it is won.
    pub dispute: Option<(i64, bool)>,
}

/// Something that happens: a Stripe event or a manual payment.
#[derive(Debug, Clone)]
pub enum Op {
    Stripe(Event),
    /// (invoice, external id, amount)
    Manual(String, String, i64),
}

/// A history of one organization's invoices.
#[derive(Debug, Clone)]
pub struct History {
    pub org: String,
    /// Makes Stripe ids (events, sessions, payments) unique to the history.
    pub prefix: String,
    /// (invoice id, total in EUR minor units). The last one takes only
    /// manual payments.
    pub invoices: Vec<(String, i64)>,
    /// The first invoice is void before anything happens.
    pub void_first: bool,
    pub attempts: Vec<Attempt>,
    /// Manual payments on the last invoice, within its total.
    pub manual: Vec<i64>,
}

/// The customer every invoice of a history belongs to.
pub const CUSTOMER_EMAIL: &str = "ada@example.com";

fn event(id: String, kind: &str, object: Value) -> Event {
    serde_json::from_value(
        json!({ "id": id, "type": kind, "created": 1_764_000_000, "data": { "object": object } }),
    )
    .expect("a valid event")
}

impl History {
    /// The store before anything happens: the invoices, the first maybe
    /// void, and (`sessions`) the Checkout Sessions Settle created for the
    /// attempts.
    pub fn store(&self, sessions: bool) -> Store {
        let mut s = Store::new(&self.org);
        for (i, (id, total)) in self.invoices.iter().enumerate() {
            s.add_invoice(Invoice {
                id: id.clone(),
                number: format!("NW-{i}"),
                customer_id: "cus_1".into(),
                email: CUSTOMER_EMAIL.into(),
                currency: "EUR".into(),
                total: *total,
                status: if i == 0 && self.void_first {
                    InvoiceStatus::Void
                } else {
                    InvoiceStatus::Open
                },
                version: 0,
                rows: vec![],
                discount_cap: 0,
            });
        }
        for (n, a) in self.attempts.iter().enumerate().filter(|_| sessions) {
            s.add_session(Session {
                id: self.id("cs", n),
                invoice_id: self.invoices[a.parts[0].0].0.clone(),
                amount: a.parts.iter().map(|p| p.1).sum(),
                state: SessionState::Open,
            });
        }
        s
    }

    /// A Stripe id of this history: `cs_{prefix}{n}`.
    pub fn id(&self, kind: &str, n: usize) -> String {
        format!("{kind}_{}{n}", self.prefix)
    }

    /// Everything in Stripe's usual order.
    pub fn ops(&self) -> Vec<Op> {
        let inv = |i: usize| self.invoices[i].0.clone();
        let mut out = Vec::new();
        for (n, a) in self.attempts.iter().enumerate() {
            let amount: i64 = a.parts.iter().map(|p| p.1).sum();
            let mut meta = json!({ META_ORGANIZATION: self.org, META_INVOICE: inv(a.parts[0].0) });
            if a.parts.len() > 1 {
                let alloc: Vec<String> = a
                    .parts
                    .iter()
                    .map(|(i, x)| format!("{}:{x}", inv(*i)))
                    .collect();
                meta[META_ALLOCATION] = json!(alloc.join(","));
            }
            let session = |status: &str, paid: &str| {
                json!({ "id": self.id("cs", n), "object": "checkout.session", "status": status, "payment_status": paid,
                        "amount_total": amount, "currency": "eur", "payment_intent": self.id("pi", n), "metadata": meta })
            };
            let pi = json!({ "id": self.id("pi", n), "object": "payment_intent", "amount": amount, "amount_received": amount,
                             "currency": "eur", "status": "succeeded", "metadata": meta });
            let ev = |suffix: &str, kind: &str, object: Value| {
                Op::Stripe(event(
                    format!("{}_{suffix}", self.id("evt", n)),
                    kind,
                    object,
                ))
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
                    "id": self.id("ch", n), "object": "charge", "amount": amount, "amount_refunded": total,
                    "currency": "eur", "payment_intent": self.id("pi", n) })));
            }
            if let Some((amount, won)) = a.dispute {
                let d = |status: &str| {
                    json!({ "id": self.id("dp", n), "object": "dispute", "amount": amount, "currency": "eur",
                                               "status": status, "charge": self.id("ch", n), "payment_intent": self.id("pi", n) })
                };
                out.push(ev("d1", "charge.dispute.created", d("needs_response")));
                out.push(ev(
                    "d2",
                    "charge.dispute.closed",
                    d(if won { "won" } else { "lost" }),
                ));
            }
        }
        let last = inv(self.invoices.len() - 1);
        for (m, amount) in self.manual.iter().enumerate() {
            out.push(Op::Manual(
                last.clone(),
                format!("api:{}:{}key{m}", self.org, self.prefix),
                *amount,
            ));
        }
        out
    }

    /// The books after everything happened in order.
    pub fn in_order(&self, sessions: bool) -> Store {
        let mut s = self.store(sessions);
        for op in self.ops() {
            apply(&mut s, &op);
        }
        s
    }

    /// A history drawn from `seed`: `invoices` invoices (at least two) and
    /// `attempts` payment attempts, with refunds, disputes, combined
    /// payments and manual payments. `ids` names the invoices (the real ones
    /// of a test organization, or made up).
    pub fn generate(
        seed: u64,
        org: &str,
        prefix: &str,
        ids: Vec<String>,
        attempts: usize,
    ) -> History {
        let mut rng = Rng(seed | 1);
        let n = ids.len();
        assert!(n >= 2, "a history needs two invoices");
        let invoices: Vec<(String, i64)> = ids
            .into_iter()
            .map(|id| (id, rng.range(1_000, 15_000)))
            .collect();
        let attempts = (0..attempts)
            .map(|_| {
                let mut parts = vec![(rng.below(n - 1), rng.range(1, 12_000))];
                if rng.below(4) == 0 {
                    parts.push((rng.below(n - 1), rng.range(1, 6_000)));
                }
                settle_shared::sort::sort_by_key(&mut parts, |p| p.0);
                parts.dedup_by_key(|p| p.0);
                Attempt {
                    way: match rng.below(4) {
                        0 | 1 => Way::Card,
                        2 => Way::DebitSettles,
                        _ if rng.below(2) == 0 => Way::DebitFails,
                        _ => Way::Expires,
                    },
                    parts,
                    refunds: (0..rng.below(4)).map(|_| rng.range(1, 3_000)).collect(),
                    dispute: (rng.below(3) == 0).then(|| (rng.range(1, 4_000), rng.below(2) == 0)),
                }
            })
            .collect();
        let manual = (0..rng.below(4)).map(|_| rng.range(1, 250)).collect();
        History {
            org: org.to_owned(),
            prefix: prefix.to_owned(),
            invoices,
            void_first: rng.below(4) == 0,
            attempts,
            manual,
        }
    }

    /// The Stripe events of [`History::ops`], in order.
    pub fn events(&self) -> Vec<Event> {
        self.ops()
            .into_iter()
            .filter_map(|o| match o {
                Op::Stripe(e) => Some(e),
                Op::Manual(..) => None,
            })
            .collect()
    }

    /// The Stripe events of [`History::ops`], each `copies` times, in an
    /// order drawn from `seed`.
    pub fn deliveries(&self, copies: usize, seed: u64) -> Vec<Event> {
        let events = self.events();
        let mut all: Vec<Event> = (0..copies).flat_map(|_| events.clone()).collect();
        shuffle(&mut all, seed);
        all
    }
}

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
}

/// Runs one op on the store as the worker would.
pub fn apply(store: &mut Store, op: &Op) {
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
pub struct Summary {
    /// Per invoice: written paid amount, status, money per kind, credit.
    pub invoices: BTreeMap<String, (i64, InvoiceStatus, BTreeMap<Kind, i64>, i64)>,
    pub sessions: BTreeMap<String, SessionState>,
    pub emails: Vec<String>,
    /// Events still waiting for their payment. (Which of two events about
    /// one payment booked it, and so was flagged, depends on the order.)
    pub waiting: Vec<String>,
}

pub fn summary(s: &Store) -> Summary {
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

/// Fisher–Yates with a small deterministic generator.
pub fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..v.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        v.swap(i, (state % (i as u64 + 1)) as usize);
    }
}
