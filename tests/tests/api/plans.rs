//! Instalment plans from the portal: a proposal inside the organization's
//! rules starts at once, one past them waits for a supervisor who approves
//! or rejects it with a message the customer is emailed; the agreement is
//! kept as evidence; bad proposals are refused by field and write nothing.

use crate::helpers::{Reply, TestApp, unique};
use serde_json::{Value, json};

fn portal_post(app: &TestApp, cookie: &str, path: &str, body: Value) -> Reply {
    TestApp::reply(
        app.http
            .post(format!("{}/api/v1/portal{path}", app.base))
            .header("Cookie", cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .header("User-Agent", "PlanTest/1.0 (phone)")
            .json(&body)
            .send()
            .unwrap(),
    )
}

fn days_from(date: &str, n: i64) -> String {
    let d: chrono::NaiveDate = date.parse().unwrap();
    (d + chrono::Duration::days(n)).to_string()
}

/// A customer signed in, an invoice of 95.00 EUR, and the plan page's facts.
fn setup() -> (TestApp, String, String, String, String, String) {
    let app = TestApp::new();
    let email = format!("plan-{}@example.com", unique());
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Pat", "email": email, "time_zone": "Europe/Paris" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let c = r.body["id"].as_str().unwrap().to_owned();
    let inv = app.create_invoice(&c)["id"].as_str().unwrap().to_owned();
    let cookie = app.session(&c);
    let r = app.portal_get(&cookie, &format!("/invoices/{inv}/plan"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["balance"], 9500);
    assert_eq!(
        r.body["rules"],
        json!({ "max_count": 6, "min_instalment": 1000, "max_span_days": 90 })
    );
    assert_eq!(r.body["refusal"], Value::Null);
    let today = r.body["today"].as_str().unwrap().to_owned();
    (app, c, inv, cookie, today, email)
}

fn three(today: &str, amounts: [i64; 3], gap: i64) -> Value {
    json!(
        (0..3)
            .map(|k| json!({ "date": days_from(today, 7 + gap * k as i64), "amount": amounts[k] }))
            .collect::<Vec<_>>()
    )
}

#[test]
fn a_plan_inside_the_rules_starts_at_once_and_holds_reminders() {
    let (app, c, inv, cookie, today, email) = setup();
    let path = format!("/invoices/{inv}/plan");
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": three(&today, [3200, 3150, 3150], 30), "accept_terms": true }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let plan = &r.body["plan"];
    assert_eq!(plan["status"], "active", "{}", r.body);
    assert_eq!(plan["outside_rules"], json!([]));
    assert_eq!(
        plan["next_due"],
        json!({ "date": days_from(&today, 7), "amount": 3200 })
    );
    assert!(
        plan["terms"]
            .as_str()
            .unwrap()
            .contains("95.00 EUR for invoice"),
        "{}",
        plan["terms"]
    );
    assert_eq!(plan["agreed_user_agent"], "PlanTest/1.0 (phone)");
    assert_eq!(r.body["refusal"]["code"], "invoice_in_plan");

    // The customer is told; the company sees it; promises and a second
    // plan are refused; the invoice's own reminders stop.
    let mail = app.wait_for_emails(&email, 1);
    assert!(
        mail.iter().any(|m| m["subject"]
            .as_str()
            .unwrap_or("")
            .contains("instalment plan")),
        "{mail:?}"
    );
    let r = app.get(&format!("/api/v1/plans?customer_id={c}"));
    assert_eq!(r.body["data"][0]["status"], "active", "{}", r.body);
    let r = portal_post(
        &app,
        &cookie,
        &format!("/invoices/{inv}/promise"),
        json!({ "promised_date": days_from(&today, 3) }),
    );
    assert_eq!((r.status, r.code()), (409, "invoice_in_plan"), "{}", r.body);
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": three(&today, [3200, 3150, 3150], 30), "accept_terms": true }),
    );
    assert_eq!((r.status, r.code()), (409, "invoice_in_plan"), "{}", r.body);
    assert!(app.audit_actions().iter().any(|a| a == "plan.accepted"));

    // A payment covers the first instalment.
    let r = app.post(
        &format!("/api/v1/invoices/{inv}/payments"),
        json!({ "amount": 3200, "currency": "EUR", "method": "bank_transfer", "received_on": today }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app.get(&format!("/api/v1/plans?invoice_id={inv}"));
    let p = &r.body["data"][0];
    assert_eq!(p["paid"], 3200);
    assert_eq!(p["instalments"][0]["paid"], true);
    assert_eq!(p["next_due"]["amount"], 3150);

    // An agent cancels it.
    let id = p["id"].as_str().unwrap();
    let r = app.post(&format!("/api/v1/plans/{id}/cancel"), json!({}));
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("cancelled"))
    );
}

#[test]
fn a_plan_past_the_rules_waits_for_a_supervisor() {
    let (app, _c, inv, cookie, today, email) = setup();
    let path = format!("/invoices/{inv}/plan");
    // 120 days: past the 90-day span.
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": three(&today, [3200, 3150, 3150], 55), "accept_terms": true }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["plan"]["status"], "proposed");
    assert_eq!(
        r.body["plan"]["outside_rules"],
        json!([{ "rule": "span", "max_days": 90 }])
    );
    let id = r.body["plan"]["id"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/api/v1/plans/{id}/reject"), json!({}));
    assert_eq!(
        (r.status, r.code()),
        (422, "invalid_field"),
        "a rejection says why"
    );
    let r = app.post(
        &format!("/api/v1/plans/{id}/reject"),
        json!({ "message": "We can spread it over 90 days at most." }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "rejected");
    let mail = app.wait_for_emails(&email, 1);
    let rejected = mail
        .iter()
        .find(|m| m["subject"].as_str().unwrap_or("").contains("not accepted"))
        .expect("the rejection email");
    assert!(
        rejected["text"]
            .as_str()
            .unwrap()
            .contains("90 days at most"),
        "{rejected}"
    );
    let r = app.post(&format!("/api/v1/plans/{id}/approve"), json!({}));
    assert_eq!((r.status, r.code()), (409, "conflict"), "decided once");

    // A new proposal, approved.
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": three(&today, [3200, 3150, 3150], 50), "accept_terms": true }),
    );
    assert_eq!(r.body["plan"]["status"], "proposed", "{}", r.body);
    let id = r.body["plan"]["id"].as_str().unwrap().to_owned();
    let r = app.post(
        &format!("/api/v1/plans/{id}/approve"),
        json!({ "message": "Fine by us." }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["decision_message"], "Fine by us.");
    let actions = app.audit_actions();
    for a in ["plan.proposed", "plan.rejected", "plan.approved"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[test]
fn bad_proposals_are_refused_by_field_and_blocked_customers_get_none() {
    let (app, c, inv, cookie, today, _) = setup();
    let path = format!("/invoices/{inv}/plan");
    let cases = [
        (
            three(&today, [3200, 3150, 3100], 30),
            "instalments.amount",
            "add up to 9450",
        ),
        (
            json!([{ "date": days_from(&today, -1), "amount": 4750 }, { "date": days_from(&today, 9), "amount": 4750 }]),
            "instalments.date",
            "before today",
        ),
        (
            json!([{ "date": days_from(&today, 9), "amount": 4750 }, { "date": days_from(&today, 9), "amount": 4750 }]),
            "instalments.date",
            "not after",
        ),
        (
            json!([{ "date": days_from(&today, 9), "amount": 9500 }]),
            "instalments",
            "at least 2",
        ),
        (
            json!([{ "date": days_from(&today, 9), "amount": 9600 }, { "date": days_from(&today, 19), "amount": -100 }]),
            "instalments.amount",
            "more than zero",
        ),
    ];
    for (instalments, field, says) in cases {
        let r = portal_post(
            &app,
            &cookie,
            &path,
            json!({ "instalments": instalments, "accept_terms": true }),
        );
        assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{}", r.body);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(says),
            "{}",
            r.body
        );
    }
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": [{ "date": "13/01/2027", "amount": 1 }], "accept_terms": true }),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": three(&today, [3200, 3150, 3150], 30), "accept_terms": false }),
    );
    assert_eq!(
        (r.status, r.code()),
        (422, "terms_not_accepted"),
        "{}",
        r.body
    );
    assert_eq!(
        app.get(&format!("/api/v1/plans?invoice_id={inv}")).body["data"],
        json!([]),
        "nothing written"
    );

    let r = app.patch(
        &format!("/api/v1/customers/{c}"),
        json!({ "payment_plans_blocked": true }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = portal_post(
        &app,
        &cookie,
        &path,
        json!({ "instalments": three(&today, [3200, 3150, 3150], 30), "accept_terms": true }),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "payment_plans_blocked"),
        "{}",
        r.body
    );
    assert_eq!(
        app.portal_get(&cookie, &path).body["refusal"]["code"],
        "payment_plans_blocked"
    );

    for (body, field) in [
        (
            json!({ "max_count": 1, "min_instalment": 1000, "max_span_days": 90 }),
            "plans.max_count",
        ),
        (
            json!({ "max_count": 6, "min_instalment": 0, "max_span_days": 90 }),
            "plans.min_instalment",
        ),
        (
            json!({ "max_count": 6, "min_instalment": 1000, "max_span_days": 5000 }),
            "plans.max_span_days",
        ),
    ] {
        let r = app.patch("/api/v1/organization", json!({ "plans": body }));
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (422, Some(field)),
            "{}",
            r.body
        );
    }
    let r = app.patch(
        "/api/v1/organization",
        json!({ "plans": { "max_count": 3, "min_instalment": 500, "max_span_days": 60 } }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["plans"]["max_count"], 3);
}
