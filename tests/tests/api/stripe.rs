//! Stripe webhooks: verified on the raw body, recorded once by event id,
//! applied to the ledger the same way whatever the order of delivery.

use crate::helpers::{Reply, TestApp, unique};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub fn secret() -> String {
    std::env::var("SETTLE_STRIPE_WEBHOOK_SECRET")
        .expect("SETTLE_STRIPE_WEBHOOK_SECRET: run with `cargo xtask test`")
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn deliver_raw(app: &TestApp, org: &str, body: &str, header: Option<String>) -> Reply {
    let mut r = app
        .http
        .post(format!("{}/api/stripe/webhook/{org}", app.base))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(h) = header {
        r = r.header("Stripe-Signature", h);
    }
    TestApp::reply(r.send().unwrap())
}

pub fn deliver(app: &TestApp, event: &Value) -> Reply {
    let body = event.to_string();
    deliver_raw(
        app,
        &app.org_id,
        &body,
        Some(signature(&secret(), now(), &body)),
    )
}

fn event(kind: &str, object: Value) -> Value {
    json!({ "id": format!("evt_{}", unique()), "object": "event", "type": kind, "created": now(), "livemode": false,
            "api_version": "2025-04-30.basil", "data": { "object": object } })
}

fn session(app: &TestApp, invoice: &Value, pi: &str, paid: &str, currency: &str) -> Value {
    json!({ "id": format!("cs_test_{}", unique()), "object": "checkout.session", "status": "complete", "payment_status": paid,
            "amount_total": invoice["total"], "currency": currency, "payment_intent": pi, "client_reference_id": invoice["id"],
            "metadata": { "settle_organization_id": app.org_id, "settle_invoice_id": invoice["id"] } })
}

/// Delivers `checkout.session.completed` for a session of `invoice`.
fn deliver_paid(app: &TestApp, invoice: &Value, pi: &str, paid: &str, currency: &str) -> Reply {
    deliver(
        app,
        &event(
            "checkout.session.completed",
            session(app, invoice, pi, paid, currency),
        ),
    )
}

fn events(app: &TestApp) -> Vec<Value> {
    let r = app.get("/api/v1/stripe-events?limit=100");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().cloned().unwrap_or_default()
}

#[test]
fn bad_signatures_and_bodies_are_refused_and_stored_nowhere() {
    let app = TestApp::new();
    let body = event(
        "checkout.session.completed",
        json!({ "id": "cs_x", "object": "checkout.session" }),
    )
    .to_string();
    let cases = [
        (
            "wrong secret",
            Some(signature("whsec_someone_else", now(), &body)),
        ),
        ("stale", Some(signature(&secret(), now() - 600, &body))),
        ("garbled", Some("I'm not a signature".to_owned())),
        ("missing", None),
        (
            "tampered",
            Some(signature(&secret(), now(), &body.replace("cs_x", "cs_y"))),
        ),
    ];
    for (what, header) in cases {
        let r = deliver_raw(&app, &app.org_id, &body, header);
        assert_eq!(
            (r.status, r.code()),
            (400, "signature_invalid"),
            "{what}: {}",
            r.body
        );
    }
    let not_json = "this is not json";
    let r = deliver_raw(
        &app,
        &app.org_id,
        not_json,
        Some(signature(&secret(), now(), not_json)),
    );
    assert_eq!((r.status, r.code()), (400, "invalid_json"));
    assert!(events(&app).is_empty(), "nothing refused was stored");
}

#[test]
fn a_paid_checkout_is_applied_once() {
    let app = TestApp::new();
    let c = app.create_customer("Stella Stripe");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let pi = format!("pi_{}", unique());
    let completed = event(
        "checkout.session.completed",
        session(&app, &inv, &pi, "paid", "eur"),
    );
    let r = deliver(&app, &completed);
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("applied")),
        "{}",
        r.body
    );
    let again = deliver(&app, &completed);
    assert_eq!(again.body["status"], "duplicate");
    let succeeded = event(
        "payment_intent.succeeded",
        json!({ "id": pi, "object": "payment_intent", "amount": inv["total"], "amount_received": inv["total"], "currency": "eur",
                "status": "succeeded", "metadata": { "settle_organization_id": app.org_id, "settle_invoice_id": id } }),
    );
    assert_eq!(deliver(&app, &succeeded).body["status"], "applied");
    let now = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(now.body["status"], "paid");
    assert_eq!(now.body["amount_paid"], inv["total"]);
    let ledger = app.get(&format!("/api/v1/invoices/{id}/payments"));
    assert_eq!(
        ledger.body["data"].as_array().unwrap().len(),
        1,
        "one payment, whatever Stripe repeats"
    );
    assert_eq!(ledger.body["data"][0]["method"], "stripe");
}

#[test]
fn a_refund_before_its_payment_waits_and_then_applies() {
    let app = TestApp::new();
    let c = app.create_customer("Otto Order");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let total = inv["total"].as_i64().unwrap();
    let pi = format!("pi_{}", unique());
    let charge = format!("ch_{}", unique());
    let refund = |t: i64| {
        event(
            "charge.refunded",
            json!({ "id": charge, "object": "charge", "amount": total, "amount_refunded": t, "currency": "eur", "payment_intent": pi }),
        )
    };
    assert_eq!(deliver(&app, &refund(1500)).body["status"], "pending");
    assert_eq!(deliver(&app, &refund(1000)).body["status"], "pending");
    let dispute = event(
        "charge.dispute.closed",
        json!({ "id": format!("dp_{}", unique()), "object": "dispute", "amount": 500, "currency": "eur", "status": "won", "charge": charge, "payment_intent": pi }),
    );
    assert_eq!(deliver(&app, &dispute).body["status"], "pending");
    assert_eq!(
        deliver_paid(&app, &inv, &pi, "paid", "eur").body["status"],
        "applied"
    );
    let now = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(
        now.body["amount_paid"],
        total - 1500,
        "the largest refund total counts, once; the won dispute nets to zero"
    );
    assert_eq!(now.body["status"], "open");
    let recorded = events(&app);
    assert_eq!(recorded.len(), 4, "{recorded:?}");
    assert!(
        recorded.iter().all(|e| e["outcome"] == "applied"),
        "the waiting events applied: {recorded:?}"
    );
}

#[test]
fn events_that_need_a_person_are_flagged_not_applied() {
    let app = TestApp::new();
    let other = TestApp::new();
    let c = app.create_customer("Fran Flag");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();

    // Another organization's event delivered to this endpoint.
    let theirs = event(
        "checkout.session.completed",
        session(&other, &inv, &format!("pi_{}", unique()), "paid", "eur"),
    );
    assert_eq!(deliver(&app, &theirs).body["status"], "flagged");
    // An invoice that does not exist here.
    let mut unknown = session(&app, &inv, &format!("pi_{}", unique()), "paid", "eur");
    unknown["metadata"]["settle_invoice_id"] = json!("inv_00000000000000000000000000000000");
    assert_eq!(
        deliver(&app, &event("checkout.session.completed", unknown)).body["status"],
        "flagged"
    );
    // Paid in another currency: recorded, flagged, not applied.
    let usd = event(
        "checkout.session.completed",
        session(&app, &inv, &format!("pi_{}", unique()), "paid", "usd"),
    );
    assert_eq!(deliver(&app, &usd).body["status"], "flagged");
    let now = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(
        (
            now.body["status"].as_str(),
            now.body["amount_paid"].as_i64()
        ),
        (Some("open"), Some(0))
    );
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}/payments")).body["data"][0]["currency"],
        "USD"
    );
    // An event Settle does not act on is acknowledged and kept.
    let r = deliver(
        &app,
        &event(
            "customer.created",
            json!({ "id": "cus_x", "object": "customer" }),
        ),
    );
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("ignored"))
    );
    let flagged = app.get("/api/v1/stripe-events?outcome=flagged").body["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(flagged, 3);
}

#[test]
fn every_captured_stripe_event_is_acknowledged() {
    // What each captured event does in an organization with no invoices:
    // payments that name no Settle invoice are flagged for a person, refunds
    // and disputes wait for a payment Settle does not have, inquiries and
    // events Settle does not act on are kept and ignored, failures and
    // expiries of unknown sessions change nothing and are applied.
    let expected = [
        (
            "charge.dispute.closed__lago_2025-04-30.basil.json",
            "ignored",
        ),
        (
            "charge.dispute.closed__won__lago_2020-08-27.json",
            "pending",
        ),
        (
            "charge.dispute.created__lago_2025-04-30.basil.json",
            "pending",
        ),
        (
            "charge.refund.updated__lago_2025-04-30.basil.json",
            "ignored",
        ),
        (
            "charge.refunded__pay-rails_envelope-constructed.json",
            "pending",
        ),
        (
            "checkout.session.async_payment_failed__constructed.json",
            "applied",
        ),
        (
            "checkout.session.async_payment_succeeded__constructed.json",
            "flagged",
        ),
        (
            "checkout.session.completed__async-unpaid__constructed.json",
            "applied",
        ),
        (
            "checkout.session.completed__jam-coop_2023-10-16.json",
            "flagged",
        ),
        ("checkout.session.expired__constructed.json", "applied"),
        (
            "payment_intent.canceled__lago_2025-04-30.basil.json",
            "ignored",
        ),
        (
            "payment_intent.payment_failed__lago_2020-08-27.json",
            "applied",
        ),
        (
            "payment_intent.payment_failed__lago_2025-04-30.basil.json",
            "applied",
        ),
        ("payment_intent.payment_failed__localstripe.json", "applied"),
        (
            "payment_intent.succeeded__lago_2024-09-30.acacia.json",
            "flagged",
        ),
        (
            "payment_intent.succeeded__lago_2025-04-30.basil.json",
            "flagged",
        ),
        ("payment_intent.succeeded__localstripe.json", "flagged"),
    ];
    let app = TestApp::new();
    let dir = settle_edge::stripe::reference_data().join("events");
    let mut n = 0;
    let mut ids = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name == "manifest.json" {
            continue;
        }
        let body = std::fs::read_to_string(entry.path()).unwrap();
        let r = deliver_raw(
            &app,
            &app.org_id,
            &body,
            Some(signature(&secret(), now(), &body)),
        );
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        n += 1;
        // Some captures share an event id (the same event, two versions):
        // the second is a redelivery.
        let id: Value = serde_json::from_str(&body).unwrap();
        if !ids.insert(id["id"].as_str().unwrap().to_owned()) {
            assert_eq!(r.body["status"], "duplicate", "{name}: {}", r.body);
            continue;
        }
        let want = expected
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, o)| *o)
            .unwrap_or_else(|| panic!("{name}: a captured event with no expected outcome"));
        assert_eq!(r.body["status"], want, "{name}: {}", r.body);
    }
    assert_eq!(n, expected.len(), "every expected event was delivered");
    // Each distinct event is on record once.
    let recorded = app.get("/api/v1/stripe-events?limit=100").body["data"].clone();
    assert_eq!(recorded.as_array().unwrap().len(), ids.len());
}

#[test]
fn an_overpayment_becomes_the_customers_credit() {
    let app = TestApp::new();
    let c = app.create_customer("Olga Over");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let total = inv["total"].as_i64().unwrap();
    // Two payments for the same invoice (two tabs, a card and a debit).
    for _ in 0..2 {
        let pi = format!("pi_{}", unique());
        assert_eq!(
            deliver_paid(&app, &inv, &pi, "paid", "eur").body["status"],
            "applied"
        );
    }
    let now = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(
        (now.body["status"].as_str(), now.body["amount_due"].as_i64()),
        (Some("paid"), Some(0))
    );
    assert_eq!(now.body["overpaid"], total);
    let customer = app.get(&format!("/api/v1/customers/{}", c["id"].as_str().unwrap()));
    assert_eq!(
        customer.body["credit"],
        json!([{ "amount": total, "currency": "EUR" }])
    );
}

#[test]
fn an_unreadable_payment_object_is_flagged_not_ignored() {
    let app = TestApp::new();
    let broken = event(
        "charge.refunded",
        json!({ "id": "ch_broken", "object": "charge", "amount": "not a number" }),
    );
    let r = deliver(&app, &broken);
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("flagged")),
        "{}",
        r.body
    );
    let flagged = app.get("/api/v1/stripe-events?outcome=flagged");
    assert!(
        flagged.body["data"][0]["note"]
            .as_str()
            .unwrap()
            .contains("could not be read")
    );
}

#[test]
fn a_refund_of_a_combined_payment_is_split_over_its_invoices() {
    let app = TestApp::new();
    let c = app.create_customer("Cora Combined");
    let x = app.create_invoice(c["id"].as_str().unwrap());
    let y = app.create_invoice(c["id"].as_str().unwrap());
    // Shares fill the invoices in id order.
    let (first, second) = if x["id"].as_str() < y["id"].as_str() {
        (&x, &y)
    } else {
        (&y, &x)
    };
    let (t1, t2) = (
        first["total"].as_i64().unwrap(),
        second["total"].as_i64().unwrap(),
    );
    let pi = format!("pi_{}", unique());
    let mut s = session(&app, first, &pi, "paid", "eur");
    s["amount_total"] = json!(t1 + t2);
    s["metadata"]["settle_allocation"] = json!(format!(
        "{}:{t1},{}:{t2}",
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap()
    ));
    let charge = format!("ch_{}", unique());
    let refund = |total: i64| {
        event(
            "charge.refunded",
            json!({ "id": charge, "object": "charge", "amount": t1 + t2, "amount_refunded": total, "currency": "eur", "payment_intent": pi }),
        )
    };
    // The larger running total arrives first, then an older, smaller one,
    // and one before the payment itself: all end in the same books.
    assert_eq!(deliver(&app, &refund(50)).body["status"], "pending");
    assert_eq!(
        deliver(&app, &event("checkout.session.completed", s)).body["status"],
        "applied"
    );
    assert_eq!(deliver(&app, &refund(t1 + 100)).body["status"], "applied");
    assert_eq!(deliver(&app, &refund(t1 / 2)).body["status"], "applied");
    let paid = |inv: &Value| {
        app.get(&format!("/api/v1/invoices/{}", inv["id"].as_str().unwrap()))
            .body["amount_paid"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        paid(first),
        0,
        "the first invoice's share is refunded in full"
    );
    assert_eq!(
        paid(second),
        t2 - 100,
        "the rest of the refund comes off the second"
    );
}

#[test]
fn a_chargeback_is_a_dispute_that_holds_reminders_until_it_closes() {
    let app = TestApp::new();
    let c = app.create_customer("Carla Chargeback");
    let mut body = TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR");
    let due = chrono::DateTime::from_timestamp(now(), 0)
        .unwrap()
        .date_naive()
        + chrono::Days::new(10);
    body["due_date"] = json!(due.to_string());
    let r = app.post("/api/v1/invoices", body);
    assert_eq!(r.status, 201, "{}", r.body);
    let inv = r.body;
    let id = inv["id"].as_str().unwrap();
    let pi = format!("pi_{}", unique());
    assert_eq!(deliver_paid(&app, &inv, &pi, "paid", "eur").status, 200);
    let reminded = || {
        app.get("/api/v1/reminders/upcoming").body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["invoice_id"] == id)
    };
    assert!(!reminded(), "paid: no reminders");
    let dp = format!("dp_{}", unique());
    let due_by = now() + 7 * 86_400;
    let dispute = |status: &str| {
        json!({ "id": dp, "object": "dispute", "amount": inv["total"], "currency": "eur", "status": status,
                "reason": "fraudulent", "payment_intent": pi, "evidence_details": { "due_by": due_by } })
    };
    let r = deliver(
        &app,
        &event("charge.dispute.created", dispute("needs_response")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // The money is taken back: the invoice is open again, and the
    // chargeback, open in the list of disputes, holds its reminders.
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}")).body["status"],
        "open"
    );
    let list = app.get("/api/v1/disputes?kind=chargeback");
    assert_eq!(list.status, 200, "{}", list.body);
    let d = &list.body["data"][0];
    assert_eq!(d["status"], "open");
    assert_eq!(d["reason"], "fraudulent");
    assert_eq!(d["disputed_amount"], inv["total"]);
    assert_eq!(d["stripe_dispute_id"], dp.as_str());
    assert_eq!(d["stripe_status"], "needs_response");
    assert!(d["evidence_due_at"].is_string(), "{d}");
    assert!(!reminded(), "an open chargeback holds the reminders");
    // Updated, then lost: the record follows; closed, it holds nothing.
    let r = deliver(
        &app,
        &event("charge.dispute.updated", dispute("under_review")),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get("/api/v1/disputes?kind=chargeback").body["data"][0]["stripe_status"],
        "under_review"
    );
    let r = deliver(&app, &event("charge.dispute.closed", dispute("lost")));
    assert_eq!(r.status, 200, "{}", r.body);
    let list = app.get("/api/v1/disputes?kind=chargeback").body;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "one record");
    assert_eq!(list["data"][0]["status"], "resolved");
    assert_eq!(list["data"][0]["outcome"], "lost");
    assert!(
        reminded(),
        "the chargeback lost, the invoice is reminded again"
    );
    // A late `created` does not reopen it.
    let late = json!({ "id": format!("evt_{}", unique()), "object": "event", "type": "charge.dispute.created", "created": now(),
                       "livemode": false, "data": { "object": dispute("needs_response") } });
    assert_eq!(deliver(&app, &late).status, 200);
    assert_eq!(
        app.get("/api/v1/disputes?kind=chargeback").body["data"][0]["status"],
        "resolved"
    );
}
