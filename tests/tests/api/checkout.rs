//! Paying from the portal: a Stripe Checkout Session through the Stripe
//! stand-in, reused on repeat, and Stripe's failures survived without a
//! second session or charge.

use crate::helpers::{Reply, TestApp, eventually};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub fn stripe() -> String {
    std::env::var("SETTLE_STRIPE_URL").expect("SETTLE_STRIPE_URL: run with `cargo xtask test`")
}

pub fn checkout(app: &TestApp, cookie: &str, invoice: &str) -> Reply {
    TestApp::reply(
        app.http
            .post(format!(
                "{}/api/v1/portal/invoices/{invoice}/checkout",
                app.base
            ))
            .header("Cookie", cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .json(&json!({}))
            .send()
            .unwrap(),
    )
}

pub fn sessions_for(app: &TestApp, invoice: &str) -> Vec<Value> {
    let all: Value = app
        .http
        .get(format!("{}/__sim/sessions", stripe()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["client_reference_id"] == invoice)
        .cloned()
        .collect()
}

fn fail_next(app: &TestApp, invoice: &str, count: u32, status: u16) {
    let r = app
        .http
        .post(format!("{}/__sim/fail", stripe()))
        .json(&json!({ "count": count, "status": status, "match": invoice }))
        .send()
        .unwrap();
    assert!(r.status().is_success());
}

/// Submits the stand-in's hosted checkout form, as the customer's browser would.
fn pay_at(app: &TestApp, url: &str, form: &[(&str, &str)]) -> reqwest::blocking::Response {
    app.http.post(url).form(form).send().unwrap()
}

pub fn setup(name: &str) -> (TestApp, String, Value) {
    let app = TestApp::new();
    let c = app.create_customer(name);
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let cookie = app.session(c["id"].as_str().unwrap());
    (app, cookie, inv)
}

#[test]
fn a_second_click_reuses_the_open_session() {
    let (app, cookie, inv) = setup("Cleo Click");
    let id = inv["id"].as_str().unwrap();
    let first = checkout(&app, &cookie, id);
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(
        first.body["url"]
            .as_str()
            .unwrap()
            .contains("/pay/cs_test_")
    );
    let second = checkout(&app, &cookie, id);
    assert_eq!(second.status, 200);
    assert_eq!(second.body["id"], first.body["id"]);
    let s = sessions_for(&app, id);
    assert_eq!(s.len(), 1, "one session at Stripe");
    assert_eq!(s[0]["amount_total"], inv["total"]);
    assert_eq!(s[0]["currency"], "eur");
    assert_eq!(s[0]["metadata"]["settle_invoice_id"], id);
    assert_eq!(s[0]["metadata"]["settle_organization_id"], app.org_id);
}

#[test]
fn stripe_failures_leave_no_second_session() {
    let (app, cookie, inv) = setup("Fay Fault");
    let id = inv["id"].as_str().unwrap();
    for status in [500, 429] {
        fail_next(&app, id, 1, status);
        let r = checkout(&app, &cookie, id);
        assert_eq!(
            (r.status, r.code()),
            (503, "payment_provider_unavailable"),
            "Stripe {status}: {}",
            r.body
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Nothing was charged")
        );
    }
    fail_next(&app, id, 1, 0); // Stripe hangs: the worker gives up
    let started = Instant::now();
    let r = checkout(&app, &cookie, id);
    assert_eq!(r.code(), "payment_provider_unavailable");
    assert!(started.elapsed() < Duration::from_secs(25));
    let ok = checkout(&app, &cookie, id);
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(checkout(&app, &cookie, id).body["id"], ok.body["id"]);
    assert_eq!(
        sessions_for(&app, id).len(),
        1,
        "retries made one session, not several"
    );
}

#[test]
fn paying_by_card_marks_the_invoice_paid_once() {
    let (app, cookie, inv) = setup("Carl Card");
    let id = inv["id"].as_str().unwrap();
    let session = checkout(&app, &cookie, id);
    let url = session.body["url"].as_str().unwrap();
    let declined = pay_at(
        &app,
        url,
        &[("method", "card"), ("card", "4000 0000 0000 0002")],
    );
    assert_eq!(declined.status().as_u16(), 402);
    assert!(declined.text().unwrap().contains("declined"));
    let paid = pay_at(
        &app,
        url,
        &[("method", "card"), ("card", "4242 4242 4242 4242")],
    );
    assert_eq!(paid.status().as_u16(), 303);
    let back = paid.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.ends_with(&format!(
            "/invoices/{id}?checkout={}",
            session.body["id"].as_str().unwrap()
        )),
        "{back}"
    );
    app.wait_for_status(id, "paid", "the webhook never landed");
    // Both of the payment's events recorded: whatever else arrives is a
    // redelivery, answered `duplicate`.
    eventually(10, "the session's and the PaymentIntent's events", || {
        app.get("/api/v1/stripe-events?limit=100").body["data"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    });
    let ledger = app.get(&format!("/api/v1/invoices/{id}/payments"));
    assert_eq!(
        ledger.body["data"].as_array().unwrap().len(),
        1,
        "completed + payment_intent.succeeded = one payment"
    );
    let email = app.customer_email(inv["customer_id"].as_str().unwrap());
    let receipts = app.wait_for_emails(&email, 1);
    assert_eq!(receipts.len(), 1, "one receipt for one payment");
    assert_eq!(
        receipts[0]["subject"],
        format!(
            "Receipt for invoice {} from Test Co",
            inv["number"].as_str().unwrap()
        )
    );
    // One receipt on record, sent once: the provider got one request for it
    // (a retry would reuse its idempotency key and not count here).
    let receipts = app.get(&format!(
        "/api/v1/emails?customer_id={}&kind=receipt",
        inv["customer_id"].as_str().unwrap()
    ));
    let receipts = receipts.body["data"].as_array().unwrap().clone();
    assert_eq!(receipts.len(), 1, "one receipt on record: {receipts:?}");
    assert_eq!(receipts[0]["status"], "sent");
    assert_eq!(app.emails_to(&email).len(), 1, "still one receipt");
    let paid_again = checkout(&app, &cookie, id);
    assert_eq!((paid_again.status, paid_again.code()), (409, "conflict"));
}

#[test]
fn a_bank_debit_is_processing_until_it_settles() {
    let (app, cookie, inv) = setup("Bea Bank");
    let id = inv["id"].as_str().unwrap();
    let session = checkout(&app, &cookie, id);
    let url = session.body["url"].as_str().unwrap();
    let r = pay_at(&app, url, &[("method", "debit"), ("result", "succeed")]);
    assert_eq!(r.status().as_u16(), 303);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut saw_processing = false;
    loop {
        let now = app.portal_get(&cookie, &format!("/invoices/{id}"));
        if now.body["processing"] == true {
            saw_processing = true;
            assert_eq!(now.body["status"], "open", "processing is not paid");
        }
        if now.body["status"] == "paid" {
            assert_eq!(now.body["processing"], false);
            break;
        }
        assert!(Instant::now() < deadline, "never settled: {}", now.body);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        saw_processing,
        "the invoice showed processing before it was paid"
    );
}

#[test]
fn only_the_customers_own_open_invoice_can_be_paid() {
    let (app, cookie, _) = setup("Ola Own");
    let other = app.create_customer("Pia Other");
    let theirs = app.create_invoice(other["id"].as_str().unwrap());
    let r = checkout(&app, &cookie, theirs["id"].as_str().unwrap());
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let cross = TestApp::reply(
        app.http
            .post(format!(
                "{}/api/v1/portal/invoices/{}/checkout",
                app.base,
                theirs["id"].as_str().unwrap()
            ))
            .header("Cookie", &cookie)
            .header("Sec-Fetch-Site", "cross-site")
            .json(&json!({}))
            .send()
            .unwrap(),
    );
    assert_eq!((cross.status, cross.code()), (403, "csrf_rejected"));
}

#[test]
fn a_failed_bank_debit_reopens_the_invoice_and_tells_the_customer() {
    let (app, cookie, inv) = setup("Finn Failed");
    let id = inv["id"].as_str().unwrap();
    let email = app.customer_email(inv["customer_id"].as_str().unwrap());
    let session = checkout(&app, &cookie, id);
    let r = pay_at(
        &app,
        session.body["url"].as_str().unwrap(),
        &[("method", "debit"), ("result", "fail")],
    );
    assert_eq!(r.status().as_u16(), 303);
    let mails = app.wait_for_emails(&email, 1);
    assert_eq!(mails.len(), 1, "the customer hears the debit failed");
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .contains("did not go through"),
        "{}",
        mails[0]["subject"]
    );
    let now = app.portal_get(&cookie, &format!("/invoices/{id}"));
    assert_eq!(
        (
            now.body["status"].as_str(),
            now.body["processing"].as_bool()
        ),
        (Some("open"), Some(false))
    );
    let again = checkout(&app, &cookie, id);
    assert_eq!(again.status, 201, "they can pay again: {}", again.body);
}

#[test]
fn webhooks_duplicated_and_reversed_by_the_stand_in_still_pay_once() {
    let (app, cookie, inv) = setup("Rory Reorder");
    let id = inv["id"].as_str().unwrap();
    let email = app.customer_email(inv["customer_id"].as_str().unwrap());
    let session = checkout(&app, &cookie, id);
    let r = pay_at(
        &app,
        session.body["url"].as_str().unwrap(),
        &[
            ("method", "card"),
            ("card", "4242424242424242"),
            ("delivery", "duplicate,reverse"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    app.wait_for_status(id, "paid", "never paid");
    // Four deliveries (two events, each twice, newest first) land as one payment.
    eventually(10, "both events recorded", || {
        app.get("/api/v1/stripe-events?limit=100").body["data"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    });
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}/payments")).body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}")).body["amount_paid"],
        inv["total"]
    );
    assert_eq!(app.wait_for_emails(&email, 1).len(), 1, "one receipt");
}

#[test]
fn a_payment_whose_webhooks_were_lost_is_repaired_by_the_sweep() {
    let (app, cookie, inv) = setup("Luca Lost");
    let id = inv["id"].as_str().unwrap();
    let session = checkout(&app, &cookie, id);
    let r = pay_at(
        &app,
        session.body["url"].as_str().unwrap(),
        &[
            ("method", "card"),
            ("card", "4242424242424242"),
            ("delivery", "drop"),
        ],
    );
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}")).body["status"],
        "open",
        "no webhook arrived"
    );
    assert!(
        app.get("/api/v1/stripe-events").body["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing recorded"
    );
    let cron = app
        .http
        .get(format!("{}/__scheduled?cron=*/5+*+*+*+*", app.base))
        .send()
        .unwrap();
    assert!(cron.status().is_success(), "the cron trigger ran");
    app.wait_for_status(id, "paid", "the sweep did not repair the payment");
    let events = app.get("/api/v1/stripe-events").body["data"]
        .as_array()
        .cloned()
        .unwrap();
    let repaired: Vec<_> = events
        .iter()
        .filter(|e| {
            e["note"]
                .as_str()
                .is_some_and(|n| n.contains("reconciliation sweep"))
        })
        .collect();
    assert_eq!(repaired.len(), 1, "{events:?}");
    let trail = app.get(&format!(
        "/api/v1/audit-events?subject={}",
        session.body["id"].as_str().unwrap()
    ));
    assert!(
        trail.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "reconciliation.repaired")
    );
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}/payments")).body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

fn checkout_amount(app: &TestApp, cookie: &str, invoice: &str, amount: i64) -> Reply {
    TestApp::reply(
        app.http
            .post(format!(
                "{}/api/v1/portal/invoices/{invoice}/checkout",
                app.base
            ))
            .header("Cookie", cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .json(&json!({ "amount": amount }))
            .send()
            .unwrap(),
    )
}

fn patch_org(app: &TestApp, body: Value) -> Reply {
    TestApp::reply(
        app.http
            .patch(format!("{}/api/v1/organization", app.base))
            .bearer_auth(&app.key)
            .json(&body)
            .send()
            .unwrap(),
    )
}

#[test]
fn partial_payments_follow_the_organizations_settings() {
    let (app, cookie, inv) = setup("Pam Partial");
    let id = inv["id"].as_str().unwrap();
    let total = inv["total"].as_i64().unwrap();
    let off = checkout_amount(&app, &cookie, id, 2000);
    assert_eq!(
        (off.status, off.code()),
        (422, "amount_out_of_range"),
        "partial payments are off by default"
    );

    let bad = patch_org(
        &app,
        json!({ "payments": { "allow_partial": true, "min_partial_amount": 1000, "methods": ["bitcoin"] } }),
    );
    assert_eq!((bad.status, bad.code()), (422, "invalid_field"));
    let negative = patch_org(
        &app,
        json!({ "payments": { "allow_partial": true, "min_partial_amount": -1, "methods": [] } }),
    );
    assert_eq!(negative.code(), "amount_out_of_range");
    let on = patch_org(
        &app,
        json!({ "payments": { "allow_partial": true, "min_partial_amount": 1000, "methods": ["sepa_debit", "us_bank_account"] } }),
    );
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(
        on.body["payments"]["methods"],
        json!(["card", "sepa_debit", "us_bank_account"]),
        "card is always offered"
    );
    assert_eq!(
        app.portal_get(&cookie, "/session").body["payments"]["allow_partial"],
        true
    );

    for wrong in [999, total + 1, 0, -5] {
        let r = checkout_amount(&app, &cookie, id, wrong);
        assert_eq!(
            (r.status, r.code()),
            (422, "amount_out_of_range"),
            "{wrong}"
        );
    }
    let part = checkout_amount(&app, &cookie, id, 2000);
    assert_eq!(part.status, 201, "{}", part.body);
    let s = sessions_for(&app, id);
    let session = s.iter().find(|x| x["id"] == part.body["id"]).unwrap();
    assert_eq!(session["amount_total"], 2000);
    assert_eq!(
        session["payment_method_types"],
        json!(["card", "sepa_debit"]),
        "US bank debits are for USD invoices"
    );
    let r = pay_at(
        &app,
        part.body["url"].as_str().unwrap(),
        &[("method", "card"), ("card", "4242424242424242")],
    );
    assert_eq!(r.status().as_u16(), 303);
    eventually(20, "the partial payment never landed", || {
        app.get(&format!("/api/v1/invoices/{id}")).body["amount_paid"] == 2000
    });
    let now = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(
        (now.body["status"].as_str(), now.body["amount_due"].as_i64()),
        (Some("open"), Some(total - 2000))
    );
    let rest = checkout(&app, &cookie, id);
    assert_eq!(rest.status, 201, "the rest can be paid: {}", rest.body);
}

#[test]
fn a_new_amount_closes_the_other_open_session() {
    let (app, cookie, inv) = setup("Tess Tabs");
    let id = inv["id"].as_str().unwrap();
    let on = patch_org(
        &app,
        json!({ "payments": { "allow_partial": true, "min_partial_amount": 100, "methods": [] } }),
    );
    assert_eq!(on.status, 200);
    let full = checkout(&app, &cookie, id);
    assert_eq!(full.status, 201);
    let part = checkout_amount(&app, &cookie, id, 1000);
    assert_eq!(part.status, 201, "{}", part.body);
    let sessions = sessions_for(&app, id);
    let state = |sid: &Value| sessions.iter().find(|s| s["id"] == *sid).unwrap()["status"].clone();
    assert_eq!(
        state(&full.body["id"]),
        "expired",
        "the first tab's session can no longer be paid"
    );
    assert_eq!(state(&part.body["id"]), "open");
    let late = pay_at(
        &app,
        full.body["url"].as_str().unwrap(),
        &[("method", "card"), ("card", "4242424242424242")],
    );
    assert_eq!(
        late.status().as_u16(),
        409,
        "paying the closed session is refused"
    );
}

#[test]
fn several_invoices_are_paid_together_once_each() {
    let app = TestApp::new();
    let c = app.create_customer("Sol Several");
    let cid = c["id"].as_str().unwrap();
    let a = app.create_invoice(cid);
    let b = app.create_invoice(cid);
    let usd = app
        .post("/api/v1/invoices", TestApp::invoice_body(cid, "USD"))
        .body;
    let cookie = app.session(cid);
    let many = |ids: Vec<&Value>| {
        TestApp::reply(
            app.http
                .post(format!("{}/api/v1/portal/checkout", app.base))
                .header("Cookie", &cookie)
                .header("Sec-Fetch-Site", "same-origin")
                .json(&json!({ "invoice_ids": ids.iter().map(|i| i["id"].clone()).collect::<Vec<_>>() }))
                .send()
                .unwrap(),
        )
    };
    assert_eq!(many(vec![&a, &usd]).code(), "currency_mismatch");
    assert_eq!(many(vec![&a]).code(), "invalid_field", "two or more");
    let stranger = app.create_customer("Sam Stranger");
    let theirs = app.create_invoice(stranger["id"].as_str().unwrap());
    assert_eq!(many(vec![&a, &theirs]).status, 404);

    let both = many(vec![&a, &b]);
    assert_eq!(both.status, 201, "{}", both.body);
    let sim: Value = app
        .http
        .get(format!(
            "{}/v1/checkout/sessions/{}",
            stripe(),
            both.body["id"].as_str().unwrap()
        ))
        .bearer_auth("sk_test_local_not_a_secret")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let total = a["total"].as_i64().unwrap() + b["total"].as_i64().unwrap();
    assert_eq!(sim["amount_total"], total);
    assert!(
        sim["metadata"]["settle_allocation"]
            .as_str()
            .unwrap()
            .contains(a["id"].as_str().unwrap())
    );
    let r = pay_at(
        &app,
        both.body["url"].as_str().unwrap(),
        &[("method", "card"), ("card", "4242424242424242")],
    );
    assert_eq!(r.status().as_u16(), 303);
    for inv in [&a, &b] {
        let id = inv["id"].as_str().unwrap();
        app.wait_for_status(id, "paid", "each invoice of the combined payment is paid");
        let ledger = app.get(&format!("/api/v1/invoices/{id}/payments"));
        assert_eq!(ledger.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(ledger.body["data"][0]["amount"], inv["total"]);
    }
    assert_eq!(
        app.wait_for_emails(c["email"].as_str().unwrap(), 2).len(),
        2,
        "a receipt per invoice"
    );
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{}", usd["id"].as_str().unwrap()))
            .body["status"],
        "open"
    );
}

/// Open sessions the stand-in holds for `invoice`.
fn open_at_stripe(app: &TestApp, invoice: &str) -> Vec<Value> {
    sessions_for(app, invoice)
        .into_iter()
        .filter(|s| s["status"] == "open")
        .collect()
}

#[test]
fn two_amounts_asked_at_once_never_leave_two_payable_sessions() {
    let (app, cookie, inv) = setup("Tia Twotabs");
    let id = inv["id"].as_str().unwrap();
    let r = patch_org(
        &app,
        json!({ "payments": { "allow_partial": true, "min_partial_amount": 100, "methods": [] } }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let total = inv["total"].as_i64().unwrap();
    for round in 0..4 {
        // Two tabs at the same moment: the whole balance and a part of it.
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| checkout(&app, &cookie, id));
            let b = s.spawn(|| checkout_amount(&app, &cookie, id, total - 100 - round));
            (a.join().unwrap(), b.join().unwrap())
        });
        for r in [&a, &b] {
            assert!(
                [200, 201, 409].contains(&r.status),
                "round {round}: {} {}",
                r.status,
                r.body
            );
        }
        assert!(
            a.status != 409 || b.status != 409,
            "one of them gets a session"
        );
        let open = open_at_stripe(&app, id);
        assert!(
            open.len() <= 1,
            "round {round}: {} payable sessions: {open:?}",
            open.len()
        );
    }
}

#[test]
fn a_session_stripe_made_but_settle_never_wrote_down_is_closed_before_the_next() {
    let (app, cookie, inv) = setup("Otto Orphan");
    let id = inv["id"].as_str().unwrap();
    // As if the worker stopped right after Stripe answered: the session
    // exists at Stripe with Settle's metadata, and nowhere in Settle.
    let orphan: Value = app
        .http
        .post(format!("{}/v1/checkout/sessions", stripe()))
        .bearer_auth("sk_test_local_not_a_secret")
        .header("Idempotency-Key", format!("orphan-{id}"))
        .form(&[
            ("mode", "payment"),
            ("success_url", "http://127.0.0.1/ok"),
            ("cancel_url", "http://127.0.0.1/no"),
            ("client_reference_id", id),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][product_data][name]", "Invoice"),
            ("line_items[0][price_data][unit_amount]", "1000"),
            ("line_items[0][quantity]", "1"),
            ("metadata[settle_organization_id]", &app.org_id),
            ("metadata[settle_invoice_id]", id),
        ])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let orphan_id = orphan["id"]
        .as_str()
        .expect("the stand-in made a session")
        .to_owned();
    let cron = app
        .http
        .get(format!("{}/__scheduled?cron=*/5+*+*+*+*", app.base))
        .send()
        .unwrap();
    assert!(cron.status().is_success());
    let r = checkout(&app, &cookie, id);
    assert_eq!(r.status, 201, "{}", r.body);
    let open = open_at_stripe(&app, id);
    assert_eq!(open.len(), 1, "{open:?}");
    assert_ne!(
        open[0]["id"],
        orphan_id.as_str(),
        "the orphan was closed first"
    );
}

#[test]
fn an_early_payment_discount_is_charged_and_allowed_so_the_invoice_closes_at_zero() {
    let app = TestApp::new();
    let c = app.create_customer("Erin Early");
    let cid = c["id"].as_str().unwrap();
    // Bad terms are refused by field.
    for (terms, field) in [
        (
            json!({ "basis_points": 0, "days": 10 }),
            "early_payment.basis_points",
        ),
        (
            json!({ "basis_points": 200, "days": 0 }),
            "early_payment.days",
        ),
        (
            json!({ "basis_points": 9000, "days": 10 }),
            "early_payment.basis_points",
        ),
    ] {
        let mut body = TestApp::invoice_body(cid, "EUR");
        body["early_payment"] = terms;
        let r = app.post("/api/v1/invoices", body);
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (422, Some(field)),
            "{}",
            r.body
        );
    }
    // 2 % off within 10 days of issue on 95.00: 1.90 off, 93.10 to pay.
    let mut body = TestApp::invoice_body(cid, "EUR");
    body["early_payment"] = json!({ "basis_points": 200, "days": 10 });
    body["send"] = json!(true);
    let r = app.post("/api/v1/invoices", body);
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let offer = &r.body["early_payment"];
    assert_eq!(
        (offer["discount"].as_i64(), offer["pay"].as_i64()),
        (Some(190), Some(9310)),
        "{}",
        r.body
    );
    let email = app.customer_email(cid);
    let mail = app.wait_for_emails(&email, 1);
    assert!(
        mail[0]["text"].as_str().unwrap().contains("to save €1.90"),
        "the invoice email says what paying early saves: {}",
        mail[0]["text"]
    );

    let cookie = app.session(cid);
    let session = checkout(&app, &cookie, &id);
    assert_eq!(session.status, 201, "{}", session.body);
    let at_stripe = sessions_for(&app, &id);
    assert_eq!(
        at_stripe[0]["amount_total"], 9310,
        "Checkout charges the discounted amount"
    );
    assert_eq!(at_stripe[0]["metadata"]["settle_discount"], "190");
    let paid = pay_at(
        &app,
        session.body["url"].as_str().unwrap(),
        &[("method", "card"), ("card", "4242 4242 4242 4242")],
    );
    assert_eq!(paid.status().as_u16(), 303);
    app.wait_for_status(
        &id,
        "paid",
        "the discounted payment never closed the invoice",
    );
    let ledger = app.get(&format!("/api/v1/invoices/{id}/payments"));
    let rows: Vec<(String, i64)> = ledger.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(rows.contains(&("payment".into(), 9310)), "{rows:?}");
    assert!(rows.contains(&("discount".into(), 190)), "{rows:?}");
    assert_eq!(rows.len(), 2, "{rows:?}");
    let inv = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(
        (
            inv.body["amount_due"].as_i64(),
            inv.body["early_payment"].is_null()
        ),
        (Some(0), true)
    );
}
