//! Changes mid-period, by the customer in the portal and by the company:
//! the proration is quoted to the day before anything is written, then
//! charged on a proration invoice or credited through credit notes (on
//! the period's open invoice, or carried to the next one), once however
//! often the change is sent. Cancelling ends the subscription at the
//! period's end, or at once with a prorated credit where allowed.

use crate::autopay::{portal, portal_post};
use crate::helpers::{Clock, TestApp};
use crate::subscriptions::{created, invoices, run_at};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

fn at(day: &str, h: u32) -> chrono::DateTime<Utc> {
    let d: chrono::NaiveDate = day.parse().unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(h, 0, 0).unwrap())
}

fn catalog(app: &TestApp) {
    created(app.post(
        "/api/v1/catalog/add-ons",
        json!({ "code": "storage", "name": "Storage", "prices": { "EUR": 300 }, "tax_rate": "20", "max_quantity": 10 }),
    ));
    created(app.post(
        "/api/v1/catalog/plans",
        json!({ "code": "pro", "name": "Pro", "interval": "month", "prices": { "EUR": 1000 },
                "tax_rate": "20", "max_quantity": 50, "add_ons": ["storage"] }),
    ));
    created(app.post(
        "/api/v1/catalog/plans",
        json!({ "code": "basic", "name": "Basic", "interval": "month", "prices": { "EUR": 500 },
                "tax_rate": "20", "moves_to": ["pro"] }),
    ));
}

fn subscribe(app: &TestApp, name: &str, plan: &str, quantity: i64) -> (String, Value) {
    let c = app.create_customer(name)["id"].as_str().unwrap().to_owned();
    let s = created(app.post(
        "/api/v1/subscriptions",
        json!({ "customer_id": c, "plan": plan, "currency": "EUR", "quantity": quantity }),
    ));
    (c, s)
}

fn invoice_of(app: &TestApp, customer: &str, number: &str) -> Value {
    let r = app.get(&format!(
        "/api/v1/invoices?customer_id={customer}&limit=100"
    ));
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == number)
        .unwrap_or_else(|| panic!("no invoice {number} in {}", r.body))
        .clone()
}

fn error(r: &crate::helpers::Reply) -> (u16, String, String) {
    (
        r.status,
        r.body["error"]["code"].as_str().unwrap_or("").to_owned(),
        r.body["error"]["field"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn a_customer_raises_seats_mid_month_sees_the_proration_and_pays_it_once() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    catalog(&app);
    clock.set(at("2027-04-01", 8));
    let (cleo, s) = subscribe(&app, "Cleo", "pro", 3);
    let (id, number) = (s["id"].as_str().unwrap(), s["number"].as_str().unwrap());
    run_at(&app, &clock, at("2027-04-01", 9));
    // April billed ahead: 3 seats, 3600 with tax.
    assert_eq!(invoices(&app, &cleo)[0].1, 3600);

    // 16 April: 15 of April's 30 days are left.
    clock.set(at("2027-04-16", 10));
    let cookie = app.session(&cleo);
    let mine = portal(&app, &cookie, reqwest::Method::GET, "/subscriptions", None);
    assert_eq!(mine.status, 200, "{}", mine.body);
    let first = &mine.body["data"][0];
    assert_eq!(first["subscription"]["quantity"], 3);
    assert_eq!(first["plans"][0]["code"], "pro");
    assert_eq!(first["add_ons"][0]["code"], "storage");
    assert_eq!(first["immediate_cancel"], false);

    let q = portal_post(
        &app,
        &cookie,
        &format!("/subscriptions/{id}/quote"),
        json!({ "version": 0, "quantity": 5 }),
    );
    assert_eq!(q.status, 200, "{}", q.body);
    // 5 seats for 15 days less 3 seats for the same days: 2500 - 1500,
    // and 20 % tax.
    assert_eq!(
        (q.body["days_left"].as_u64(), q.body["days"].as_u64()),
        (Some(15), Some(30))
    );
    assert_eq!(q.body["lines"][0]["amount"], 1000);
    assert_eq!(
        (
            q.body["charge"].as_i64(),
            q.body["credit"].as_i64(),
            q.body["net"].as_i64()
        ),
        (Some(1200), Some(0), Some(1200))
    );
    assert_eq!(q.body["per_period"], 5000);
    // A quote writes nothing.
    assert_eq!(invoices(&app, &cleo).len(), 1);

    // Bad input: each refused with its code, nothing written.
    let bad = |body: Value| {
        error(&portal_post(
            &app,
            &cookie,
            &format!("/subscriptions/{id}/change"),
            body,
        ))
    };
    assert_eq!(bad(json!({ "version": 4, "quantity": 5 })).0, 409);
    assert_eq!(
        bad(json!({ "version": 0, "quantity": 51 })),
        (422, "amount_out_of_range".into(), "quantity".into())
    );
    assert_eq!(bad(json!({ "version": 0, "quantity": 3 })).2, "quantity");
    assert_eq!(bad(json!({ "version": 0, "plan": "basic" })).2, "plan");
    assert_eq!(bad(json!({ "version": 0, "plan": "gold" })).1, "not_found");
    assert_eq!(bad(json!({ "version": 0, "cancel": "now" })).2, "cancel");
    assert_eq!(
        bad(json!({ "version": 0, "cancel": "tomorrow" })).2,
        "cancel"
    );
    assert_eq!(
        bad(json!({ "version": 0, "cancel": "period_end", "quantity": 2 })).2,
        "cancel"
    );
    assert_eq!(
        bad(json!({ "version": 0, "add_ons": [{ "code": "storage", "quantity": 11 }] })).2,
        "add_ons[0].quantity"
    );
    assert_eq!(bad(json!({ "version": "zero" })).0, 422);
    // Another customer cannot see or change it.
    let (dan, _) = subscribe(&app, "Dan", "basic", 1);
    let other = app.session(&dan);
    let r = portal_post(
        &app,
        &other,
        &format!("/subscriptions/{id}/change"),
        json!({ "version": 0, "quantity": 5 }),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(invoices(&app, &cleo).len(), 1);

    let done = portal_post(
        &app,
        &cookie,
        &format!("/subscriptions/{id}/change"),
        json!({ "version": 0, "quantity": 5 }),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let proration = format!("{number}-C1");
    assert_eq!(done.body["invoice_number"], proration.as_str());
    assert_eq!(done.body["subscription"]["quantity"], 5);
    assert_eq!(done.body["subscription"]["version"], 1);
    assert_eq!(done.body["subscription"]["next_invoice"]["total"], 6000);
    let inv = invoice_of(&app, &cleo, &proration);
    assert_eq!(
        (inv["total"].as_i64(), inv["amount_due"].as_i64()),
        (Some(1200), Some(1200))
    );
    assert_eq!(inv["due_date"], "2027-04-30");
    // Sent twice (a doubled click): the second is refused, one invoice.
    let again = portal_post(
        &app,
        &cookie,
        &format!("/subscriptions/{id}/change"),
        json!({ "version": 0, "quantity": 5 }),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(invoices(&app, &cleo).len(), 2);
    // And the proration invoice went out by email.
    app.wait_for_emails(&app.customer_email(&cleo), 2);

    // 21 April, back to 2 seats: 10 days left, 2000 - 5000 for them is a
    // credit of 1000 + 200 tax, taken off April's invoice, still open.
    clock.set(at("2027-04-21", 10));
    let done = portal_post(
        &app,
        &cookie,
        &format!("/subscriptions/{id}/change"),
        json!({ "version": 1, "quantity": 2 }),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        (
            done.body["quote"]["net"].as_i64(),
            done.body["credited"].as_i64(),
            done.body["carried"].as_i64()
        ),
        (Some(-1200), Some(1200), Some(0))
    );
    assert!(done.body["invoice_id"].is_null());
    let april = invoice_of(&app, &cleo, &format!("{number}-20270401"));
    assert_eq!(april["amount_due"], 3600 - 1200);

    // The company cancels at the period's end, then keeps it, then
    // cancels again; the run on 1 May ends it and bills nothing.
    let change = |body: Value| app.post(&format!("/api/v1/subscriptions/{id}/change"), body);
    let r = change(json!({ "version": 2, "cancel": "period_end" }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["subscription"]["cancel_at"], "2027-05-01");
    assert!(r.body["subscription"]["next_invoice"].is_null());
    assert_eq!(
        error(&change(json!({ "version": 3, "quantity": 4 }))).2,
        "cancel"
    );
    let r = change(json!({ "version": 3, "resume": true }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["subscription"]["cancel_at"].is_null());
    assert_eq!(
        change(json!({ "version": 4, "cancel": "period_end" })).status,
        200
    );
    run_at(&app, &clock, at("2027-05-01", 9));
    let sub = app.get(&format!("/api/v1/subscriptions/{id}")).body;
    assert_eq!(sub["status"], "canceled");
    assert_eq!(invoices(&app, &cleo).len(), 2);
    let actions = app.audit_actions();
    for a in [
        "subscription.changed",
        "subscription.canceled",
        "subscription.resumed",
        "subscription.ended",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[test]
fn credit_on_a_paid_period_is_carried_to_the_next_invoice_and_owed_on_cancelling_at_once() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    catalog(&app);
    let r = app.patch(
        "/api/v1/organization",
        json!({ "billing": { "cutoff_day": 1, "time_zone": "UTC", "due_days": 14, "immediate_cancel": true } }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    clock.set(at("2027-04-01", 8));
    let (eve, e) = subscribe(&app, "Eve", "basic", 4);
    let (fay, f) = subscribe(&app, "Fay", "pro", 1);
    run_at(&app, &clock, at("2027-04-01", 9));
    // Both pay April at once.
    for (c, s, total) in [(&eve, &e, 2400), (&fay, &f, 1200)] {
        let inv = invoice_of(
            &app,
            c,
            &format!("{}-20270401", s["number"].as_str().unwrap()),
        );
        assert_eq!(inv["total"], total);
        let r = app.post(
            &format!("/api/v1/invoices/{}/payments", inv["id"].as_str().unwrap()),
            json!({ "amount": total, "currency": "EUR", "method": "bank_transfer", "received_on": "2027-04-01" }),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // 16 April: Eve moves to Pro with 1 seat. Basic × 4 (2000 a month) for
    // 15 days is 1000 unused; Pro × 1 for them is 500: the proration
    // invoice of 600 is wholly credited, and 600 is carried.
    clock.set(at("2027-04-16", 10));
    let eid = e["id"].as_str().unwrap();
    let q = app.post(
        &format!("/api/v1/subscriptions/{eid}/quote"),
        json!({ "version": 0, "plan": "pro", "quantity": 1 }),
    );
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(
        (q.body["charge"].as_i64(), q.body["credit"].as_i64()),
        (Some(600), Some(1200))
    );
    let r = app.post(
        &format!("/api/v1/subscriptions/{eid}/change"),
        json!({ "version": 0, "plan": "pro", "quantity": 1 }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["credited"].as_i64(), r.body["carried"].as_i64()),
        (Some(600), Some(600))
    );
    assert_eq!(r.body["subscription"]["plan"], "pro");
    assert_eq!(r.body["subscription"]["credit"], 600);
    let c1 = invoice_of(&app, &eve, &format!("{}-C1", e["number"].as_str().unwrap()));
    assert_eq!(
        (c1["status"].as_str(), c1["amount_due"].as_i64()),
        (Some("paid"), Some(0))
    );
    // May's invoice (1200) has the 600 taken off by a credit note.
    run_at(&app, &clock, at("2027-05-01", 9));
    let may = invoice_of(
        &app,
        &eve,
        &format!("{}-20270501", e["number"].as_str().unwrap()),
    );
    assert_eq!(
        (may["total"].as_i64(), may["amount_due"].as_i64()),
        (Some(1200), Some(600))
    );
    let sub = app.get(&format!("/api/v1/subscriptions/{eid}")).body;
    assert_eq!(sub["credit"], 0);

    // 16 May: Fay cancels at once. May is paid: the unused half (500 +
    // 100 tax) is owed back to her, kept on the subscription.
    clock.set(at("2027-05-16", 10));
    let fid = f["id"].as_str().unwrap();
    let cookie = app.session(&fay);
    let fm = invoice_of(
        &app,
        &fay,
        &format!("{}-20270501", f["number"].as_str().unwrap()),
    );
    let r = app.post(
        &format!("/api/v1/invoices/{}/payments", fm["id"].as_str().unwrap()),
        json!({ "amount": 1200, "currency": "EUR", "method": "bank_transfer", "received_on": "2027-05-02" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = portal_post(
        &app,
        &cookie,
        &format!("/subscriptions/{fid}/change"),
        json!({ "version": 0, "cancel": "now" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // 16 of May's 31 days left: 1000 × 16/31 = 516.1 → 516, tax 103.
    assert_eq!(r.body["quote"]["credit"], 619);
    assert_eq!(
        (r.body["credited"].as_i64(), r.body["carried"].as_i64()),
        (Some(0), Some(619))
    );
    assert_eq!(r.body["subscription"]["status"], "canceled");
    assert_eq!(r.body["subscription"]["credit"], 619);
    // Ended: nothing more to change, and June bills nothing.
    let r = portal_post(
        &app,
        &cookie,
        &format!("/subscriptions/{fid}/change"),
        json!({ "version": 1, "quantity": 2 }),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    run_at(&app, &clock, at("2027-06-01", 9));
    assert_eq!(invoices(&app, &fay).len(), 2);
}
