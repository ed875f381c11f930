//! Promises to pay from the portal: the dates a customer may pick in their
//! own time zone, one change, the refusals with their codes, the hold on
//! reminders, and the agent's side (record by phone, list, cancel, limits).

use crate::helpers::{Reply, TestApp, unique};
use serde_json::{Value, json};

fn portal_post(app: &TestApp, cookie: &str, path: &str, body: Value) -> Reply {
    TestApp::reply(
        app.http
            .post(format!("{}/api/v1/portal{path}", app.base))
            .header("Cookie", cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .json(&body)
            .send()
            .unwrap(),
    )
}

/// A customer in Tokyo signed in to the portal, with an open invoice.
fn setup() -> (TestApp, String, String, String) {
    let app = TestApp::new();
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Aiko", "email": format!("aiko-{}@example.com", unique()), "time_zone": "Asia/Tokyo" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let c = r.body["id"].as_str().unwrap().to_owned();
    // Due in a week: reminder steps fall within the next 30 days.
    let mut body = TestApp::invoice_body(&c, "EUR");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = chrono::DateTime::from_timestamp(now, 0)
        .unwrap()
        .date_naive();
    body["due_date"] = json!((today + chrono::Duration::days(7)).to_string());
    let r = app.post("/api/v1/invoices", body);
    assert_eq!(r.status, 201, "{}", r.body);
    let inv = r.body["id"].as_str().unwrap().to_owned();
    let cookie = app.session(&c);
    (app, c, inv, cookie)
}

fn days_from(date: &str, n: i64) -> String {
    let d: chrono::NaiveDate = date.parse().unwrap();
    (d + chrono::Duration::days(n)).to_string()
}

#[test]
fn a_customer_promises_a_date_changes_it_once_and_reminders_hold() {
    let (app, c, inv, cookie) = setup();
    let path = format!("/invoices/{inv}/promise");
    let r = app.portal_get(&cookie, &path);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["promise"], Value::Null);
    assert_eq!(r.body["refusal"], Value::Null);
    let today = r.body["first_date"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body["last_date"],
        days_from(&today, 30),
        "the default limit"
    );
    assert_eq!(r.body["grace_days"], 3);

    // Bad dates: each refused by field, nothing written.
    for (date, why) in [
        (days_from(&today, -1), "yesterday"),
        (days_from(&today, 31), "past the limit"),
        ("31/12/2026".to_owned(), "not ISO"),
        ("2026-02-30".to_owned(), "no such day"),
    ] {
        let r = portal_post(&app, &cookie, &path, json!({ "promised_date": date }));
        assert_eq!(
            (r.status, r.code()),
            (422, "invalid_field"),
            "{why}: {}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], "promised_date", "{why}");
    }
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "promised_date": days_from(&today, 31) }),
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("30 days"),
        "says the limit: {}",
        r.body
    );
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "promised_date": today, "admin": true }),
    );
    assert_eq!((r.status, r.code()), (422, "unknown_field"), "{}", r.body);
    assert_eq!(
        app.get(&format!("/api/v1/promises?invoice_id={inv}")).body["data"],
        json!([])
    );

    let r = app.get("/api/v1/reminders/upcoming");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.to_string().contains(&inv),
        "steps before the promise: {}",
        r.body
    );
    let date = days_from(&today, 10);
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "promised_date": date, "note": "Salary comes on the 10th <script>" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["promise"]["promised_date"], date);
    assert_eq!(
        r.body["promise"]["note"],
        "Salary comes on the 10th <script>"
    );
    assert_eq!(r.body["promise"]["can_change"], true);
    assert!(r.body["promise"]["reminder_at"].is_string(), "{}", r.body);

    // The company sees it; the invoice's reminders are held.
    let r = app.get(&format!("/api/v1/promises?customer_id={c}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.body["data"][0];
    assert_eq!(
        (p["status"].as_str(), p["source"].as_str()),
        (Some("active"), Some("portal"))
    );
    assert_eq!(
        p["breaks_on"],
        days_from(&date, 4),
        "date + 3 days of grace + 1"
    );
    let r = app.get("/api/v1/reminders/upcoming");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !r.body.to_string().contains(&inv),
        "no upcoming step for a promised invoice: {}",
        r.body
    );

    // The same date again, a change, then no second change.
    let r = portal_post(&app, &cookie, &path, json!({ "promised_date": date }));
    assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
    let later = days_from(&today, 12);
    let r = portal_post(&app, &cookie, &path, json!({ "promised_date": later }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["promise"]["promised_date"], later);
    assert_eq!(r.body["promise"]["can_change"], false);
    assert_eq!(r.body["refusal"]["code"], "promise_changed_once");
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "promised_date": days_from(&today, 14) }),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "promise_changed_once"),
        "{}",
        r.body
    );

    // An agent may still move it (a call), which does not count as the
    // customer's change; then cancel it.
    let r = app.post(
        &format!("/api/v1/invoices/{inv}/promises"),
        json!({ "promised_date": days_from(&today, 60), "note": "Agreed by phone" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["changes"], 1);
    assert_eq!(r.body["promised_date"], days_from(&today, 60));
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/api/v1/promises/{id}/cancel"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    let r = app.post(&format!("/api/v1/promises/{id}/cancel"), json!({}));
    assert_eq!((r.status, r.code()), (409, "conflict"));
    let actions = app.audit_actions();
    for a in ["promise.made", "promise.changed", "promise.cancelled"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[test]
fn paid_disputed_and_other_peoples_invoices_cannot_be_promised() {
    let (app, c, inv, cookie) = setup();
    let today = app
        .portal_get(&cookie, &format!("/invoices/{inv}/promise"))
        .body["first_date"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({ "promised_date": days_from(&today, 5) });

    // In dispute.
    let r = app.post(
        &format!("/api/v1/invoices/{inv}/disputes"),
        json!({ "reason": "Wrong" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let path = format!("/invoices/{inv}/promise");
    let r = portal_post(&app, &cookie, &path, body.clone());
    assert_eq!(
        (r.status, r.code()),
        (409, "invoice_disputed"),
        "{}",
        r.body
    );
    let r = app.portal_get(&cookie, &path);
    assert_eq!(r.body["refusal"]["code"], "invoice_disputed", "{}", r.body);

    // Paid.
    let paid = app.create_invoice(&c)["id"].as_str().unwrap().to_owned();
    let r = app.post(
        &format!("/api/v1/invoices/{paid}/payments"),
        json!({ "amount": 9500, "currency": "EUR", "method": "bank_transfer", "received_on": today }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{paid}/promise"),
        body.clone(),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "invoice_not_open"),
        "{}",
        r.body
    );
    let r = app.post(&format!("/api/v1/invoices/{paid}/promises"), body.clone());
    assert_eq!(
        (r.status, r.code()),
        (409, "invoice_not_open"),
        "{}",
        r.body
    );

    // Another customer's invoice, and a made-up one: not found.
    let other = app.create_customer("Other");
    let theirs = app.create_invoice(other["id"].as_str().unwrap())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [theirs.as_str(), "inv_00000000000000000000000000"] {
        let r = portal_post(
            &app,
            &cookie,
            &format!("/invoices/{id}/promise"),
            body.clone(),
        );
        assert_eq!((r.status, r.code()), (404, "not_found"), "{}", r.body);
        let r = app.portal_get(&cookie, &format!("/invoices/{id}/promise"));
        assert_eq!(r.status, 404);
    }
    // Without a session.
    let r = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/portal{path}", app.base))
            .json(&body)
            .send()
            .unwrap(),
    );
    assert_eq!(r.status, 401, "{}", r.body);
}

#[test]
fn the_company_sets_the_limit_and_grace() {
    let (app, _c, inv, cookie) = setup();
    for (body, field) in [
        (
            json!({ "max_days": 0, "grace_days": 3 }),
            "promises.max_days",
        ),
        (
            json!({ "max_days": 181, "grace_days": 3 }),
            "promises.max_days",
        ),
        (
            json!({ "max_days": 30, "grace_days": 31 }),
            "promises.grace_days",
        ),
    ] {
        let r = app.patch("/api/v1/organization", json!({ "promises": body }));
        assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
        assert_eq!(r.body["error"]["field"], field);
    }
    let r = app.patch(
        "/api/v1/organization",
        json!({ "promises": { "max_days": 7, "grace_days": 0 } }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["promises"],
        json!({ "max_days": 7, "grace_days": 0 })
    );
    let path = format!("/invoices/{inv}/promise");
    let r = app.portal_get(&cookie, &path);
    let today = r.body["first_date"].as_str().unwrap().to_owned();
    assert_eq!(r.body["last_date"], days_from(&today, 7));
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "promised_date": days_from(&today, 8) }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "promised_date": days_from(&today, 7) }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app.get(&format!("/api/v1/promises?invoice_id={inv}"));
    assert_eq!(
        r.body["data"][0]["breaks_on"],
        days_from(&today, 8),
        "no grace"
    );
    let r = app.get("/api/v1/promises?status=late");
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
}
