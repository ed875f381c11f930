//! The ledger engine on a real worker: a generated history of a few hundred
//! Stripe events, shuffled, every event delivered twice by four senders at
//! once, ends in the books the engine computes for the history in order;
//! a void closes the customer's checkout first, and a payment that lands on
//! a void invoice becomes the customer's credit.

use crate::helpers::{TestApp, unique};
use crate::stripe::{deliver_raw, now, secret, signature};
use serde_json::{Value, json};
use settle_edge::ledger::history::History;
use settle_edge::ledger::{Kind, Outcome};
use std::collections::BTreeMap;

/// An invoice of one line for exactly `total`.
fn invoice_for(app: &TestApp, customer: &str, total: i64) -> Value {
    let r = app.post(
        "/api/v1/invoices",
        json!({ "customer_id": customer, "number": format!("L-{}", unique()), "currency": "EUR", "due_date": "2099-12-31",
                "lines": [{ "description": "Service", "quantity": 1, "unit_amount": total }] }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

#[test]
fn a_shuffled_duplicated_history_replays_to_the_books_the_engine_computes() {
    let app = TestApp::new();
    let customer = app.create_customer("Replay");
    let cid = customer["id"].as_str().unwrap();
    let prefix = unique();
    let seed = 0x5e77_1e00 ^ now() as u64;
    // The same seed draws the same history whatever the invoice ids: draw it
    // once for the totals, create those invoices, draw it again with them.
    let placeholder = |i: usize| format!("inv_{i}");
    let draft = History::generate(
        seed,
        &app.org_id,
        &prefix,
        (0..8).map(placeholder).collect(),
        60,
    );
    let ids: Vec<String> = draft
        .invoices
        .iter()
        .map(|(_, total)| {
            invoice_for(&app, cid, *total)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let h = History::generate(seed, &app.org_id, &prefix, ids, 60);
    if h.void_first {
        let r = app.post(
            &format!("/api/v1/invoices/{}/void", h.invoices[0].0),
            json!({}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for (m, amount) in h.manual.iter().enumerate() {
        let r = TestApp::reply(
            app.http
                .post(format!("{}/api/v1/invoices/{}/payments", app.base, h.invoices.last().unwrap().0))
                .bearer_auth(&app.key)
                .header("Idempotency-Key", format!("{prefix}key{m}"))
                .json(&json!({ "amount": amount, "currency": "EUR", "method": "bank_transfer", "received_on": "2025-11-24" }))
                .send()
                .unwrap(),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let deliveries = h.deliveries(2, seed);
    assert!(
        deliveries.len() >= 200,
        "a few hundred deliveries, got {}",
        deliveries.len()
    );

    // Four senders at once, so deliveries about one invoice race.
    let queue = std::sync::Mutex::new(deliveries.into_iter());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let Some(e) = queue.lock().unwrap().next() else { break };
                    let body = serde_json::json!({ "id": e.id, "object": "event", "type": e.kind, "created": e.created,
                                                   "livemode": false, "data": { "object": e.data.object } })
                    .to_string();
                    let r = deliver_raw(&app, &app.org_id, &body, Some(signature(&secret(), now(), &body)));
                    assert_eq!(r.status, 200, "{} {}: {}", e.kind, e.id, r.body);
                }
            });
        }
    });

    let expected = h.in_order(false);
    for (id, _) in &h.invoices {
        let inv = app.get(&format!("/api/v1/invoices/{id}"));
        let want = &expected.invoices[id];
        assert_eq!(
            (
                inv.body["amount_paid"].as_i64(),
                inv.body["status"].as_str()
            ),
            (Some(expected.amount_paid[id]), Some(want.status.as_str())),
            "invoice {id}"
        );
        let rows = app.get(&format!("/api/v1/invoices/{id}/payments")).body["data"].clone();
        let mut got: BTreeMap<String, i64> = BTreeMap::new();
        for r in rows.as_array().unwrap() {
            *got.entry(r["kind"].as_str().unwrap().to_owned())
                .or_default() += r["amount"].as_i64().unwrap();
        }
        let mut want_rows: BTreeMap<String, i64> = BTreeMap::new();
        for r in &want.rows {
            *want_rows.entry(r.kind.as_str().to_owned()).or_default() += r.amount;
        }
        assert_eq!(got, want_rows, "ledger of invoice {id}");
        assert!(
            want.rows
                .iter()
                .all(|r| Kind::parse(r.kind.as_str()).is_some())
        );
    }
    // Nothing waits that the history in order applied.
    let pending = app
        .get("/api/v1/stripe-events?outcome=pending&limit=100")
        .body["data"]
        .clone();
    let mut got: Vec<String> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    let want: Vec<String> = expected
        .events
        .iter()
        .filter(|(_, (o, _, _))| *o == Outcome::Pending)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(got, want, "events still waiting for their payment");
}

/// A signed event about the Checkout Session `session` of `invoice`.
fn session_event(app: &TestApp, kind: &str, session: &str, invoice: &Value, paid: &str) -> Value {
    json!({ "id": format!("evt_{}", unique()), "object": "event", "type": kind, "created": now(), "livemode": false,
            "data": { "object": { "id": session, "object": "checkout.session", "status": "complete", "payment_status": paid,
                "amount_total": invoice["total"], "currency": "eur", "payment_intent": format!("pi_{}", unique()),
                "client_reference_id": invoice["id"],
                "metadata": { "settle_organization_id": app.org_id, "settle_invoice_id": invoice["id"] } } } })
}

#[test]
fn a_void_closes_the_open_checkout_and_a_late_payment_becomes_credit() {
    let (app, cookie, inv) = crate::checkout::setup("Vera Void");
    let id = inv["id"].as_str().unwrap();
    let session = crate::checkout::checkout(&app, &cookie, id);
    assert_eq!(session.status, 201, "{}", session.body);
    let sid = session.body["id"].as_str().unwrap();

    let r = app.post(&format!("/api/v1/invoices/{id}/void"), json!({}));
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("void")),
        "{}",
        r.body
    );
    let at_stripe = crate::checkout::sessions_for(&app, id);
    assert_eq!(at_stripe.len(), 1);
    assert_eq!(
        at_stripe[0]["status"], "expired",
        "closed at Stripe before the void"
    );

    // Paid anyway (the customer was on the page as it closed): recorded,
    // flagged for a person, and the customer's credit; never counted as due.
    let r = crate::stripe::deliver(
        &app,
        &session_event(&app, "checkout.session.completed", sid, &inv, "paid"),
    );
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("flagged")),
        "{}",
        r.body
    );
    let now = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(now.body["status"], "void");
    assert_eq!(now.body["amount_due"], 0);
    assert_eq!(now.body["overpaid"], inv["total"]);
    let customer = app.get(&format!(
        "/api/v1/customers/{}",
        inv["customer_id"].as_str().unwrap()
    ));
    assert_eq!(
        customer.body["credit"][0]["amount"], inv["total"],
        "{}",
        customer.body
    );
    let flagged = app.get("/api/v1/stripe-events?outcome=flagged").body["data"].clone();
    assert!(
        flagged[0]["note"]
            .as_str()
            .unwrap_or_default()
            .contains("void"),
        "{flagged}"
    );
}

#[test]
fn a_void_is_refused_while_a_bank_debit_is_on_its_way() {
    let (app, cookie, inv) = crate::checkout::setup("Dora Debit");
    let id = inv["id"].as_str().unwrap();
    let session = crate::checkout::checkout(&app, &cookie, id);
    let sid = session.body["id"].as_str().unwrap();
    let r = crate::stripe::deliver(
        &app,
        &session_event(&app, "checkout.session.completed", sid, &inv, "unpaid"),
    );
    assert_eq!(r.body["status"], "applied", "{}", r.body);

    let r = app.post(&format!("/api/v1/invoices/{id}/void"), json!({}));
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bank debit"),
        "{}",
        r.body
    );
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}")).body["status"],
        "open",
        "nothing changed"
    );

    // The debit fails: now the invoice can be voided.
    let r = crate::stripe::deliver(
        &app,
        &session_event(
            &app,
            "checkout.session.async_payment_failed",
            sid,
            &inv,
            "unpaid",
        ),
    );
    assert_eq!(r.body["status"], "applied", "{}", r.body);
    let r = app.post(&format!("/api/v1/invoices/{id}/void"), json!({}));
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("void")),
        "{}",
        r.body
    );
}
