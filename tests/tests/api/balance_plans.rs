//! A plan over the customer's whole overdue balance in one currency: the
//! portal offers it from any invoice, the terms name every invoice, each
//! payment (Checkout or an autopay charge) settles the oldest invoice
//! first, and a missed instalment breaks the plan and locks every invoice
//! it covered until an agent agrees.

use crate::autopay::{cron_at, intents, portal, portal_post, save_card};
use crate::checkout::stripe;
use crate::helpers::{Clock, TestApp, eventually, unique};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

fn paid(app: &TestApp, id: &str) -> i64 {
    app.get(&format!("/api/v1/invoices/{id}")).body["amount_paid"]
        .as_i64()
        .unwrap()
}

/// An invoice of 95.00 EUR issued 30 days before it is due.
fn invoice(app: &TestApp, customer: &str, due: NaiveDate, number: &str) -> String {
    let mut body = TestApp::invoice_body(customer, "EUR");
    body["number"] = json!(number);
    body["issue_date"] = json!((due - Duration::days(30)).to_string());
    body["due_date"] = json!(due.to_string());
    let r = app.post("/api/v1/invoices", body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

fn customer(app: &TestApp, name: &str) -> (String, String) {
    let email = format!("{}-{}@example.com", name.to_lowercase(), unique());
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": name, "email": email, "time_zone": "UTC", "locale": "en-GB" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    (r.body["id"].as_str().unwrap().to_owned(), email)
}

fn instalments(dates: &[NaiveDate], amounts: &[i64]) -> Value {
    json!(
        dates
            .iter()
            .zip(amounts)
            .map(|(d, a)| json!({ "date": d.to_string(), "amount": a }))
            .collect::<Vec<_>>()
    )
}

#[test]
fn a_plan_over_the_whole_overdue_balance_pays_the_oldest_invoice_first() {
    let app = TestApp::new();
    let (c, _) = customer(&app, "Wanda");
    let cookie = app.session(&c);
    // An invoice not due yet, and today as the organization's clock has
    // it, from its plan page.
    let n = unique();
    let now = invoice(
        &app,
        &c,
        NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
        &format!("WB-{n}-3"),
    );
    let today: NaiveDate = app
        .portal_get(&cookie, &format!("/invoices/{now}/plan"))
        .body["today"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let day = |k: i64| today + Duration::days(k);
    // Two overdue invoices, and an overdue one in dollars.
    let old = invoice(&app, &c, day(-20), &format!("WB-{n}-1"));
    let mid = invoice(&app, &c, day(-10), &format!("WB-{n}-2"));
    let mut usd = TestApp::invoice_body(&c, "USD");
    usd["issue_date"] = json!(day(-45).to_string());
    usd["due_date"] = json!(day(-15).to_string());
    assert_eq!(app.post("/api/v1/invoices", usd).status, 201);

    // From the newest: this invoice (95.00), or the whole overdue balance
    // in euros (285.00), the oldest first.
    let path = format!("/invoices/{now}/plan");
    let r = app.portal_get(&cookie, &path);
    assert_eq!(r.body["balance"], 9500, "{}", r.body);
    let whole: Vec<(&str, i64)> = r.body["whole_balance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["balance"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        whole,
        [
            (old.as_str(), 9500),
            (mid.as_str(), 9500),
            (now.as_str(), 9500)
        ]
    );

    // Bad input: instalments that add up to the invoice, not the balance.
    let dates = [day(7), day(37), day(67)];
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": instalments(&dates, &[3200, 3150, 3150]), "accept_terms": true, "whole_balance": true }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("28500"),
        "{}",
        r.body
    );

    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": instalments(&dates, &[12000, 8500, 8000]), "accept_terms": true, "whole_balance": true }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let plan = &r.body["plan"];
    assert_eq!(plan["status"], "active", "{}", r.body);
    assert_eq!(plan["total"], 28500);
    assert_eq!(
        plan["invoice_numbers"],
        json!([
            format!("WB-{n}-1"),
            format!("WB-{n}-2"),
            format!("WB-{n}-3")
        ])
    );
    let terms = plan["terms"].as_str().unwrap();
    assert!(
        terms.contains(&format!(
            "285.00 EUR for invoices WB-{n}-1, WB-{n}-2 and WB-{n}-3 in 3 instalments"
        )),
        "{terms}"
    );
    // Every invoice it covers is in it: no second plan, no promise.
    for id in [&old, &mid] {
        let r = app.portal_get(&cookie, &format!("/invoices/{id}/plan"));
        assert_eq!(r.body["plan"]["id"], plan["id"], "{}", r.body);
        let r = portal_post(
            &app,
            &cookie,
            &format!("/invoices/{id}/promise"),
            json!({ "promised_date": day(3).to_string() }),
        );
        assert_eq!((r.status, r.code()), (409, "invoice_in_plan"), "{}", r.body);
    }
    let r = app.get(&format!("/api/v1/plans?invoice_id={mid}"));
    assert_eq!(r.body["data"][0]["id"], plan["id"], "{}", r.body);

    // The first instalment, paid through Checkout from the newest invoice,
    // settles the oldest and part of the next.
    let checkout = |from: &str, amount: i64| {
        TestApp::reply(
            app.http
                .post(format!(
                    "{}/api/v1/portal/invoices/{from}/checkout",
                    app.base
                ))
                .header("Cookie", &cookie)
                .header("Sec-Fetch-Site", "same-origin")
                .json(&json!({ "amount": amount }))
                .send()
                .unwrap(),
        )
    };
    let session = |id: &str| -> Value {
        app.http
            .get(format!("{}/v1/checkout/sessions/{id}", stripe()))
            .bearer_auth("sk_test_local_not_a_secret")
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let r = checkout(&now, 12000);
    assert_eq!(r.status, 201, "{}", r.body);
    let s = session(r.body["id"].as_str().unwrap());
    assert_eq!(s["amount_total"], 12000);
    assert_eq!(
        s["metadata"]["settle_allocation"],
        format!("{old}:9500,{mid}:2500")
    );
    let back = app
        .http
        .post(r.body["url"].as_str().unwrap())
        .form(&[("method", "card"), ("card", "4242424242424242")])
        .send()
        .unwrap();
    assert_eq!(back.status().as_u16(), 303);
    app.wait_for_status(&old, "paid", "the oldest invoice is paid first");
    eventually(30, "the rest lands on the next", || {
        paid(&app, &mid) == 2500
    });
    assert_eq!(paid(&app, &now), 0);
    let r = app.get(&format!("/api/v1/plans?invoice_id={now}"));
    let p = &r.body["data"][0];
    assert_eq!(
        (p["paid"].as_i64(), p["status"].as_str()),
        (Some(12000), Some("active"))
    );
    assert_eq!(p["next_due"]["amount"], 8500);

    // The next, asked from the invoice already paid, spreads over the two
    // left; any other amount from a paid invoice is refused.
    let r = checkout(&old, 8500);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        session(r.body["id"].as_str().unwrap())["metadata"]["settle_allocation"],
        format!("{mid}:7000,{now}:1500")
    );
    assert_eq!(checkout(&old, 8000).status, 409);

    // Nothing else overdue: the whole balance is not offered, and asking
    // for it is refused.
    let (lone, _) = customer(&app, "Lone");
    let lone_cookie = app.session(&lone);
    let single = invoice(&app, &lone, day(-3), &format!("WB-{n}-L"));
    let r = app.portal_get(&lone_cookie, &format!("/invoices/{single}/plan"));
    assert_eq!(r.body["whole_balance"], json!([]), "{}", r.body);
    let r = portal_post(
        &app,
        &lone_cookie,
        &format!("/invoices/{single}/plan"),
        json!({ "instalments": instalments(&dates[..2], &[4500, 5000]), "accept_terms": true, "whole_balance": true }),
    );
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert_eq!(
        app.get(&format!("/api/v1/plans?customer_id={lone}")).body["data"],
        json!([]),
        "nothing written"
    );
}

#[test]
fn autopay_charges_a_whole_balance_instalment_across_invoices_and_a_missed_one_locks_them_all() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let start = (clock.now() + Duration::days(2)).date_naive();
    clock.set(Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).unwrap()));
    let at = |day: i64, h: u32| {
        Utc.from_utc_datetime(&(start + Duration::days(day)).and_hms_opt(h, 5, 0).unwrap())
    };
    let day = |n: i64| start + Duration::days(n);
    let n = unique();

    // Ada: autopay on, a plan over an overdue invoice and a newer one.
    let (ada, _) = customer(&app, "Ada");
    let old = invoice(&app, &ada, day(-5), &format!("WA-{n}-1"));
    let new = invoice(&app, &ada, day(10), &format!("WA-{n}-2"));
    let cookie = app.session(&ada);
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{new}/plan"),
        json!({ "instalments": instalments(&[day(2), day(9)], &[12000, 7000]), "accept_terms": true, "whole_balance": true }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["plan"]["status"], "active", "{}", r.body);
    let visa = save_card(&app, &cookie, "4242424242424242");
    let r = portal(
        &app,
        &cookie,
        reqwest::Method::PUT,
        "/autopay",
        Some(json!({ "payment_method_id": visa })),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // Bea: a plan over three invoices without autopay. She pays the first
    // instalment by bank transfer (the oldest invoice and part of the
    // next), then misses the second.
    let (bea, _) = customer(&app, "Bea");
    let b_old = invoice(&app, &bea, day(-5), &format!("WB-{n}-1"));
    let b_mid = invoice(&app, &bea, day(-3), &format!("WB-{n}-2"));
    let b_new = invoice(&app, &bea, day(10), &format!("WB-{n}-3"));
    let b_cookie = app.session(&bea);
    let r = portal_post(
        &app,
        &b_cookie,
        &format!("/invoices/{b_new}/plan"),
        json!({ "instalments": instalments(&[day(2), day(5)], &[12000, 16500]), "accept_terms": true, "whole_balance": true }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    for (id, amount) in [(&b_old, 9500), (&b_mid, 2500)] {
        let r = app.post(
            &format!("/api/v1/invoices/{id}/payments"),
            json!({ "amount": amount, "currency": "EUR", "method": "bank_transfer", "received_on": day(0).to_string() }),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // Day 2: Ada's first instalment is one charge, split oldest first.
    cron_at(&clock, at(2, 9));
    app.wait_for_status(&old, "paid", "the oldest invoice is paid by the charge");
    eventually(30, "the rest of the charge lands on the newer", || {
        paid(&app, &new) == 2500
    });
    let first = intents(&app, &old);
    assert_eq!(first.len(), 1, "one charge: {first:?}");
    assert_eq!(first[0]["amount"], 12000);
    assert_eq!(
        first[0]["metadata"]["settle_allocation"],
        format!("{old}:9500,{new}:2500")
    );
    cron_at(&clock, at(2, 10));
    assert_eq!(intents(&app, &old).len(), 1, "charged once");
    // Day 9: the second, all on the newer invoice, completes the plan.
    cron_at(&clock, at(9, 9));
    app.wait_for_status(&new, "paid", "the last instalment pays the newer invoice");
    let last = intents(&app, &new);
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!(last[0]["amount"], 7000);
    cron_at(&clock, at(9, 10));
    let r = app.get(&format!("/api/v1/plans?customer_id={ada}"));
    assert_eq!(r.body["data"][0]["status"], "completed", "{}", r.body);

    // Bea's plan broke after the second instalment's grace days (3), her
    // oldest invoice paid: each invoice still open now needs an agent's
    // agreement before new dates, and her account is flagged (a new link:
    // a week on, the first session has ended).
    let b_cookie = app.session(&bea);
    let r = app.get(&format!("/api/v1/plans?customer_id={bea}"));
    assert_eq!(r.body["data"][0]["status"], "broken", "{}", r.body);
    assert_eq!(r.body["data"][0]["paid"], 12000, "{}", r.body);
    for id in [&b_mid, &b_new] {
        let r = app.portal_get(&b_cookie, &format!("/invoices/{id}/plan"));
        assert_eq!(
            r.body["refusal"]["code"], "promise_needs_approval",
            "{}",
            r.body
        );
    }
    assert_eq!(app.audit_events("plan.broken").len(), 1, "Bea's, once");
    let r = app.get(&format!("/api/v1/customers/{bea}"));
    assert!(r.body["flag_reason"].is_string(), "flagged: {}", r.body);
    // One agreement unlocks every invoice of the broken plan.
    let r = app.post(
        &format!("/api/v1/invoices/{b_new}/promises/approval"),
        json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for id in [&b_mid, &b_new] {
        let r = app.portal_get(&b_cookie, &format!("/invoices/{id}/plan"));
        assert_eq!(r.body["refusal"], Value::Null, "{}", r.body);
    }
}
