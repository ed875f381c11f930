//! Scheduled automatic payments and autopay, on the organization's demo
//! clock: a card saved through the stand-in's setup page, a charge on the
//! chosen local day and not before, once however often the job runs; a
//! declined card emailed and retried on the organization's days, then given
//! up; a bank debit that settles later; the bad inputs with their codes;
//! autopay on a new invoice.

use crate::helpers::{Clock, Reply, TestApp, eventually, unique};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

fn stripe() -> String {
    std::env::var("SETTLE_STRIPE_URL").expect("SETTLE_STRIPE_URL: run with `cargo xtask test`")
}

pub fn portal(
    app: &TestApp,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut r = app
        .http
        .request(method, format!("{}/api/v1/portal{path}", app.base))
        .header("Cookie", cookie)
        .header("Sec-Fetch-Site", "same-origin");
    if let Some(b) = body {
        r = r.json(&b);
    }
    TestApp::reply(r.send().unwrap())
}

/// A POST to the portal API as the signed-in customer.
pub fn portal_post(app: &TestApp, cookie: &str, path: &str, body: Value) -> Reply {
    portal(app, cookie, reqwest::Method::POST, path, Some(body))
}

/// Saves a test card through the stand-in's setup page and the way back.
pub fn save_card(app: &TestApp, cookie: &str, card: &str) -> String {
    save_method(
        app,
        cookie,
        &[("method", "card"), ("card", card)],
        &card[card.len() - 4..],
    )
}

/// Fills the stand-in's setup page with `form`, comes back, and answers
/// the id of the method saved, ending in `last4`.
fn save_method(app: &TestApp, cookie: &str, form: &[(&str, &str)], last4: &str) -> String {
    let r = portal(
        app,
        cookie,
        reqwest::Method::POST,
        "/payment-methods/setup",
        Some(json!({})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.body["url"].as_str().unwrap().to_owned();
    let back = app.http.post(&url).form(form).send().unwrap();
    assert_eq!(back.status().as_u16(), 303, "the stand-in saved it");
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    let session = location.split("saved=").nth(1).unwrap().to_owned();
    let r = portal(
        app,
        cookie,
        reqwest::Method::POST,
        "/payment-methods/confirm",
        Some(json!({ "session_id": session })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let m = r.body["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["last4"] == last4)
        .unwrap_or_else(|| panic!("the method ending {last4} is saved: {}", r.body));
    m["id"].as_str().unwrap().to_owned()
}

/// The stand-in's PaymentIntents for an invoice.
pub fn intents(app: &TestApp, invoice: &str) -> Vec<Value> {
    let v: Value = app
        .http
        .get(format!("{}/__sim/payment_intents", stripe()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["settle_invoice_id"] == invoice)
        .cloned()
        .collect()
}

fn schedule_of(app: &TestApp, invoice: &str) -> Value {
    let r = app.get(&format!("/api/v1/scheduled-payments?invoice_id={invoice}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"][0].clone()
}

fn invoice(app: &TestApp, customer: &str, due: NaiveDate, number: &str) -> String {
    let mut body = TestApp::invoice_body(customer, "EUR");
    body["number"] = json!(number);
    body["due_date"] = json!(due.to_string());
    let r = app.post("/api/v1/invoices", body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// Runs the cron at `at` and waits until the schedule is no longer due.
pub fn cron_at(clock: &Clock, at: DateTime<Utc>) {
    clock.set(at);
    clock.call("cron", Some(json!({})));
}

#[test]
fn a_saved_card_is_charged_once_on_its_local_day_and_a_declined_one_is_retried_then_given_up() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    // Midnight UTC a few days on: 05:30 in Kolkata.
    let start = (clock.now() + Duration::days(2)).date_naive();
    clock.set(Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).unwrap()));
    let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
    let local = |day: i64, h: u32, m: u32| {
        kolkata
            .from_local_datetime(&(start + Duration::days(day)).and_hms_opt(h, m, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    let day = |n: i64| start + Duration::days(n);
    let email = format!("ravi-{}@example.com", unique());
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Ravi", "email": email, "time_zone": "Asia/Kolkata", "locale": "en-IN" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let c = r.body["id"].as_str().unwrap().to_owned();
    let good = invoice(&app, &c, day(10), &format!("AP-{}", unique()));
    let bad = invoice(&app, &c, day(10), &format!("AP-{}", unique()));
    let cookie = app.session(&c);
    let visa = save_card(&app, &cookie, "4242424242424242");
    let declining = save_card(&app, &cookie, "4000000000000341");

    let path = format!("/invoices/{good}/schedule");
    let r = portal(&app, &cookie, reqwest::Method::GET, &path, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["first_date"],
        day(1).to_string(),
        "from tomorrow, in Kolkata"
    );
    assert_eq!(r.body["last_date"], day(30).to_string());
    assert_eq!(r.body["methods"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["retry_days"], json!([3, 7]));

    // Bad input: each refused with its code, nothing written.
    for (body, status, code) in [
        (
            json!({ "charge_on": day(0).to_string(), "payment_method_id": visa }),
            422,
            "invalid_field",
        ),
        (
            json!({ "charge_on": day(31).to_string(), "payment_method_id": visa }),
            422,
            "invalid_field",
        ),
        (
            json!({ "charge_on": "12/12/2026", "payment_method_id": visa }),
            422,
            "invalid_field",
        ),
        (
            json!({ "charge_on": day(3).to_string(), "payment_method_id": "pm_nope" }),
            404,
            "not_found",
        ),
        (
            json!({ "charge_on": day(3).to_string() }),
            422,
            "missing_field",
        ),
    ] {
        let r = portal_post(&app, &cookie, &path, body.clone());
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.body);
    }
    assert_eq!(schedule_of(&app, &good), Value::Null);

    // Scheduled on day 3, moved to day 4; a promise now gives way to it.
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "charge_on": day(3).to_string(), "payment_method_id": visa }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["schedule"]["status"], "scheduled");
    assert_eq!(r.body["schedule"]["payment_method"], "Visa ···· 4242");
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "charge_on": day(4).to_string(), "payment_method_id": visa }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["schedule"]["charge_on"], day(4).to_string());
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{good}/promise"),
        json!({ "promised_date": day(5).to_string() }),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "payment_scheduled"),
        "{}",
        r.body
    );
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{good}/plan"),
        json!({ "instalments": [{ "date": day(5).to_string(), "amount": 5000 }, { "date": day(9).to_string(), "amount": 5000 }], "accept_terms": true }),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "payment_scheduled"),
        "{}",
        r.body
    );
    let bad_path = format!("/invoices/{bad}/schedule");
    let r = portal_post(
        &app,
        &cookie,
        &bad_path,
        json!({ "charge_on": day(2).to_string(), "payment_method_id": declining }),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    // Day 2, 08:59 in Kolkata: nothing is charged yet.
    cron_at(&clock, local(2, 8, 59));
    // Not due, so the cron queued no charge (it queues only what is due).
    let s = schedule_of(&app, &bad);
    assert_eq!(
        (s["status"].as_str(), s["attempts"].as_u64()),
        (Some("scheduled"), Some(0)),
        "{s}"
    );
    assert_eq!(
        s["next_attempt_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        local(2, 9, 0),
        "due at the window's opening in Kolkata"
    );
    assert!(
        intents(&app, &bad).is_empty(),
        "not before the window opens"
    );
    // 09:05: the declining card is tried, and the customer is told.
    cron_at(&clock, local(2, 9, 5));
    eventually(30, "the first decline", || {
        schedule_of(&app, &bad)["status"] == "retrying"
    });
    let s = schedule_of(&app, &bad);
    assert_eq!(
        (s["attempts"].as_u64(), s["last_error_code"].as_str()),
        (Some(1), Some("card_declined")),
        "{s}"
    );
    let retry_at: DateTime<Utc> = s["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        retry_at,
        local(5, 9, 0),
        "the first retry: 3 days on, at the window's opening"
    );
    let mails = app.wait_for_emails(&email, 1);
    assert!(
        mails.iter().any(|m| m["subject"]
            .as_str()
            .unwrap_or("")
            .contains("automatic payment")),
        "{mails:?}"
    );

    // On its day the customer can no longer cancel it.
    cron_at(&clock, local(4, 8, 0));
    let r = portal(&app, &cookie, reqwest::Method::DELETE, &path, None);
    assert_eq!((r.status, r.code()), (409, "schedule_locked"), "{}", r.body);
    // Day 4, 09:05: the good card is charged, once, and the invoice is paid.
    cron_at(&clock, local(4, 9, 5));
    app.wait_for_status(&good, "paid", "the scheduled charge pays the invoice");
    eventually(30, "the schedule is paid", || {
        schedule_of(&app, &good)["status"] == "paid"
    });
    // Running again (a repeated cron, a redelivered job) charges nothing more.
    // A paid schedule is no longer due: the cron queues nothing for it.
    cron_at(&clock, local(4, 10, 0));
    cron_at(&clock, local(4, 11, 0));
    assert_eq!(schedule_of(&app, &good)["attempts"], 1);
    let paid = intents(&app, &good);
    assert_eq!(paid.len(), 1, "one charge: {paid:?}");
    assert_eq!(paid[0]["amount"], 9_500, "the balance due");
    let payments = app.get(&format!("/api/v1/invoices/{good}/payments"));
    assert_eq!(
        payments.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        payments.body
    );

    // The retries: day 5, then day 9, then it gives up.
    cron_at(&clock, local(5, 9, 5));
    eventually(30, "the second attempt's answer", || {
        let s = schedule_of(&app, &bad);
        s["attempts"] == 2 && s["status"] != "charging"
    });
    let s = schedule_of(&app, &bad);
    assert_eq!(s["status"], "retrying", "{s}");
    assert_eq!(
        s["next_attempt_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        local(9, 9, 0)
    );
    cron_at(&clock, local(9, 9, 5));
    eventually(30, "the third attempt", || {
        schedule_of(&app, &bad)["status"] == "failed"
    });
    cron_at(&clock, local(12, 9, 5));
    assert_eq!(
        schedule_of(&app, &bad)["attempts"],
        3,
        "a failed schedule is not tried again"
    );
    assert_eq!(intents(&app, &bad).len(), 3, "three attempts, one each");
    let failed = app.wait_for_emails(&email, 4);
    let about: Vec<&Value> = failed
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap_or("")
                .contains("automatic payment")
        })
        .collect();
    assert_eq!(about.len(), 3, "an email per declined attempt: {failed:?}");
    assert!(
        about.iter().any(|m| m["text"]
            .as_str()
            .unwrap_or("")
            .contains("will not be tried again")),
        "the last one says so"
    );
    let audit = app.audit_actions();
    for action in [
        "payment_method.saved",
        "scheduled_payment.created",
        "scheduled_payment.changed",
        "scheduled_payment.charged",
        "scheduled_payment.failed",
    ] {
        assert!(
            audit.iter().any(|a| a == action),
            "{action} in the audit trail"
        );
    }
}

#[test]
fn autopay_schedules_new_invoices_and_a_removed_card_cannot_be_used() {
    let app = TestApp::new();
    let c = app.create_customer("Lea")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie = app.session(&c);
    let visa = save_card(&app, &cookie, "4242424242424242");
    let r = portal(
        &app,
        &cookie,
        reqwest::Method::PUT,
        "/autopay",
        Some(json!({ "payment_method_id": visa })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["autopay_method_id"], visa);
    let inv = app.create_invoice(&c);
    let s = schedule_of(&app, inv["id"].as_str().unwrap());
    assert_eq!(
        (s["source"].as_str(), s["status"].as_str()),
        (Some("autopay"), Some("scheduled")),
        "{s}"
    );
    assert_eq!(s["charge_on"], inv["due_date"]);
    // The customer moves to Tokyo: the charge keeps its date, at 09:00 there.
    let before = s["next_attempt_at"].as_str().unwrap().to_owned();
    let r = app.patch(
        &format!("/api/v1/customers/{c}"),
        json!({ "time_zone": "Asia/Tokyo" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let s = schedule_of(&app, inv["id"].as_str().unwrap());
    assert_eq!(s["charge_on"], inv["due_date"]);
    let at: DateTime<Utc> = s["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert_ne!(s["next_attempt_at"].as_str().unwrap(), before);
    assert_eq!(
        at.format("%H:%M").to_string(),
        "00:00",
        "09:00 in Tokyo: {at}"
    );

    // Removing the card turns autopay off and cancels what it scheduled.
    let r = portal(
        &app,
        &cookie,
        reqwest::Method::DELETE,
        &format!("/payment-methods/{visa}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["methods"], json!([]));
    assert_eq!(r.body["autopay_method_id"], Value::Null);
    let s = schedule_of(&app, inv["id"].as_str().unwrap());
    assert_eq!(s["status"], "cancelled");
    let other = app.create_invoice(&c);
    let oid = other["id"].as_str().unwrap();
    assert_eq!(schedule_of(&app, oid), Value::Null, "autopay is off");
    let r = portal(
        &app,
        &cookie,
        reqwest::Method::GET,
        &format!("/invoices/{oid}/schedule"),
        None,
    );
    let tomorrow = r.body["first_date"].as_str().unwrap().to_owned();
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{oid}/schedule"),
        json!({ "charge_on": tomorrow, "payment_method_id": visa }),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "payment_method_removed"),
        "{}",
        r.body
    );
    let r = portal(
        &app,
        &cookie,
        reqwest::Method::PUT,
        "/autopay",
        Some(json!({ "payment_method_id": visa })),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "payment_method_removed"),
        "{}",
        r.body
    );
    // Another customer's card is no card of this one's.
    let c2 = app.create_customer("Max")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cookie2 = app.session(&c2);
    let theirs = save_card(&app, &cookie2, "4242424242424242");
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{oid}/schedule"),
        json!({ "charge_on": tomorrow, "payment_method_id": theirs }),
    );
    assert_eq!((r.status, r.code()), (404, "not_found"), "{}", r.body);
    let r = portal(
        &app,
        &cookie,
        reqwest::Method::DELETE,
        &format!("/payment-methods/{theirs}"),
        None,
    );
    assert_eq!((r.status, r.code()), (404, "not_found"), "{}", r.body);
    // A return address that is not one of the portal's pages is refused.
    let r = portal_post(
        &app,
        &cookie,
        "/payment-methods/setup",
        json!({ "return_to": "https://evil.example/" }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
}

#[test]
fn a_bank_debit_settles_later_and_the_schedule_follows_it() {
    let app = TestApp::new();
    let r = app.patch(
        "/api/v1/organization",
        json!({ "payments": { "allow_partial": true, "min_partial_amount": 1000, "methods": ["sepa_debit"] } }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let clock = Clock::new(&app);
    let start = (clock.now() + Duration::days(2)).date_naive();
    clock.set(Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).unwrap()));
    let at = |day: i64, h: u32, m: u32| {
        Utc.from_utc_datetime(&(start + Duration::days(day)).and_hms_opt(h, m, 0).unwrap())
    };
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Greta", "email": format!("greta-{}@example.com", unique()), "time_zone": "UTC" }),
    );
    let c = r.body["id"].as_str().unwrap().to_owned();
    let inv = invoice(
        &app,
        &c,
        start + Duration::days(10),
        &format!("DD-{}", unique()),
    );
    let cookie = app.session(&c);
    let iban = save_method(
        &app,
        &cookie,
        &[
            ("method", "sepa_debit"),
            ("iban", "DE89 3704 0044 0532 0130 00"),
        ],
        "3000",
    );
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{inv}/schedule"),
        json!({ "charge_on": (start + Duration::days(1)).to_string(), "payment_method_id": iban }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["schedule"]["payment_method"], "SEPA ···· 3000");

    // The debit is accepted on the day and settles a little later.
    cron_at(&clock, at(1, 9, 5));
    eventually(30, "the debit is under way", || {
        matches!(
            schedule_of(&app, &inv)["status"].as_str(),
            Some("processing" | "paid")
        )
    });
    app.wait_for_status(&inv, "paid", "the settled debit pays the invoice");
    // An hour on the job looks again and the schedule is paid.
    cron_at(&clock, at(1, 10, 10));
    eventually(30, "the schedule follows the debit", || {
        schedule_of(&app, &inv)["status"] == "paid"
    });
    assert_eq!(intents(&app, &inv).len(), 1, "one debit");
    let payments = app.get(&format!("/api/v1/invoices/{inv}/payments"));
    assert_eq!(
        payments.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        payments.body
    );
}

#[test]
fn with_autopay_on_each_instalment_of_a_plan_is_charged_on_its_day() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let start = (clock.now() + Duration::days(2)).date_naive();
    clock.set(Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).unwrap()));
    let at = |day: i64, h: u32| {
        Utc.from_utc_datetime(&(start + Duration::days(day)).and_hms_opt(h, 5, 0).unwrap())
    };
    let day = |n: i64| start + Duration::days(n);
    let olu = format!("olu-{}@example.com", unique());
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Olu", "email": olu, "time_zone": "UTC" }),
    );
    let c = r.body["id"].as_str().unwrap().to_owned();
    let inv = invoice(&app, &c, day(10), &format!("PL-{}", unique()));
    let cookie = app.session(&c);
    // Two instalments of the 95.00: 45.00 on day 2, 50.00 on day 9.
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{inv}/plan"),
        json!({ "instalments": [{ "date": day(2).to_string(), "amount": 4500 }, { "date": day(9).to_string(), "amount": 5000 }],
                     "accept_terms": true }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let visa = save_card(&app, &cookie, "4242424242424242");
    let r = portal(
        &app,
        &cookie,
        reqwest::Method::PUT,
        "/autopay",
        Some(json!({ "payment_method_id": visa })),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // The day before: reminded, not charged.
    cron_at(&clock, at(1, 9));
    assert_eq!(
        schedule_of(&app, &inv),
        Value::Null,
        "no charge before its day"
    );
    // The plan's set-up email, then the instalment's reminder.
    let mails = app.wait_for_emails(&olu, 2);
    assert!(
        mails.iter().any(|m| m["text"]
            .as_str()
            .unwrap_or("")
            .contains("will be charged on")),
        "the reminder says it will be charged: {mails:?}"
    );
    assert!(intents(&app, &inv).is_empty());
    // Its day: 45.00, once.
    cron_at(&clock, at(2, 9));
    eventually(30, "the first instalment is charged", || {
        app.get(&format!("/api/v1/invoices/{inv}")).body["amount_paid"] == 4500
    });
    cron_at(&clock, at(2, 10));
    cron_at(&clock, at(3, 9));
    let r = app.get(&format!("/api/v1/scheduled-payments?invoice_id={inv}"));
    assert_eq!(
        r.body["data"].as_array().unwrap().len(),
        1,
        "one charge per instalment: {}",
        r.body
    );
    assert_eq!(r.body["data"][0]["status"], "paid");
    let charged: Vec<i64> = intents(&app, &inv)
        .iter()
        .map(|p| p["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(charged, vec![4500], "one charge for the first instalment");
    // The second on day 9 pays the invoice and completes the plan.
    cron_at(&clock, at(9, 9));
    app.wait_for_status(&inv, "paid", "the last instalment pays the invoice");
    let mut charged: Vec<i64> = intents(&app, &inv)
        .iter()
        .map(|p| p["amount"].as_i64().unwrap())
        .collect();
    charged.sort_unstable();
    assert_eq!(charged, vec![4500, 5000]);
    let r = app.get(&format!("/api/v1/scheduled-payments?invoice_id={inv}"));
    let sources: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, vec!["plan", "plan"], "{}", r.body);
}
