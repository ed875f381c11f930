//! Reminders without moving the clock: delivery events, bounces and
//! alerts, the preferences page and one-click unsubscribe, promises,
//! disputes, the upcoming schedule, and the bad input each of them refuses.

use crate::helpers::{TestApp, eventually, unique};
use serde_json::{Value, json};

fn customer(app: &TestApp, tz: &str) -> (String, String) {
    let email = format!("rem-{}@example.com", unique());
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Rémi <b>", "email": email, "time_zone": tz, "locale": "fr-FR" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    (r.body["id"].as_str().unwrap().to_owned(), email)
}

fn sim(app: &TestApp, path: &str, body: Value) {
    let r = app
        .http
        .post(format!("{}{path}", app.mail))
        .json(&body)
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

#[test]
fn a_bounce_stops_mail_to_the_address_raises_an_alert_and_unsends_the_invoice() {
    let app = TestApp::new();
    let (c, email) = customer(&app, "Europe/Paris");
    sim(
        &app,
        "/__sim/bounce",
        json!({ "to": email, "kind": "bounce" }),
    );
    let inv = app.create_invoice(&c);
    let id = inv["id"].as_str().unwrap();
    let r = app.post(&format!("/api/v1/invoices/{id}/send"), json!({}));
    assert!(r.status < 300, "{}", r.body);
    eventually(30, "the bounce marks the address", || {
        app.get(&format!("/api/v1/customers/{c}")).body["email_status"] == "bounced"
    });
    let alerts = app.get("/api/v1/alerts").body;
    let alert = &alerts["data"][0];
    assert_eq!(alert["kind"], "email_bounced");
    assert_eq!(alert["customer_id"], c.as_str());
    assert!(alert["message"].as_str().unwrap().contains(&email));
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}")).body["sent_at"],
        Value::Null,
        "an invoice that bounced is not sent"
    );
    // Nothing more goes to that address, and why is on record.
    let r = app.post(&format!("/api/v1/invoices/{id}/send"), json!({}));
    assert!(r.status < 300, "{}", r.body);
    eventually(30, "the second email is skipped", || {
        let list = app
            .get(&format!("/api/v1/emails?customer_id={c}&status=skipped"))
            .body;
        list["data"].as_array().is_some_and(|d| {
            d.iter()
                .any(|e| e["last_error"].as_str().unwrap_or("").contains("failing"))
        })
    });
    assert_eq!(
        app.emails_to(&email).len(),
        1,
        "only the first one reached the provider"
    );
    // A new address clears it.
    let fresh = format!("rem-new-{}@example.com", unique());
    let r = app
        .http
        .patch(format!("{}/api/v1/customers/{c}", app.base))
        .bearer_auth(&app.key)
        .json(&json!({ "email": fresh }))
        .send()
        .unwrap();
    let body: Value = r.json().unwrap();
    assert_eq!(body["email_status"], "ok", "{body}");
    let actions = app.audit_actions();
    assert!(actions.contains(&"email.bounced".to_owned()), "{actions:?}");
}

#[test]
fn delivery_events_must_be_signed() {
    let app = TestApp::new();
    let url = format!("{}/api/v1/webhooks/email", app.base);
    let body = r#"{"type":"email.bounced","created_at":"2026-11-26T10:00:00Z","data":{"email_id":"x","to":["a@b.example"]}}"#;
    let r = TestApp::reply(app.http.post(&url).body(body).send().unwrap());
    assert_eq!((r.status, r.code()), (400, "signature_invalid"));
    let r = TestApp::reply(
        app.http
            .post(&url)
            .header("svix-id", "msg_1")
            .header("svix-timestamp", "1")
            .header("svix-signature", "v1,AAAA")
            .body(body)
            .send()
            .unwrap(),
    );
    assert_eq!((r.status, r.code()), (400, "signature_invalid"));
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains("ago"),
        "{}",
        r.body
    );
}

#[test]
fn the_preferences_page_stops_and_resumes_reminders_and_takes_one_click() {
    let app = TestApp::new();
    let (c, _) = customer(&app, "Europe/Paris");
    let secret = std::env::var("SETTLE_TOKEN_SECRET").unwrap();
    let path = settle_edge::security::preferences_path(&secret, &c);
    let url = format!("{}{path}", app.base);
    let page = app.http.get(&url).send().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().unwrap();
    assert!(
        html.contains("Arrêter les rappels"),
        "in the customer's language"
    );
    assert!(html.contains("Rémi &#60;b&#62;"), "names are escaped");
    let r = app
        .http
        .post(&url)
        .form(&[("action", "stop")])
        .send()
        .unwrap();
    // The page's own words are escaped like everything else: `'` is `&#39;`.
    assert!(r.text().unwrap().contains("C&#39;est fait"));
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c}")).body["reminders_opt_out"],
        true
    );
    let r = app
        .http
        .post(&url)
        .form(&[("action", "resume")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c}")).body["reminders_opt_out"],
        false
    );
    // RFC 8058 one-click, as a mail client posts it.
    let r = app
        .http
        .post(format!("{url}?one-click=1"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c}")).body["reminders_opt_out"],
        true
    );
    // Another customer's id with this mac, or a forged mac: refused.
    let forged = url.replace(&c, "cus_00000000000000000000000000000000");
    assert_eq!(app.http.get(&forged).send().unwrap().status().as_u16(), 404);
    let r = app
        .http
        .post(format!("{url}x"))
        .form(&[("action", "resume")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c}")).body["reminders_opt_out"],
        true
    );
    // The company cannot undo the customer's own choice, not even in a PATCH
    // that changes something else.
    let r = app.patch(
        &format!("/api/v1/customers/{c}"),
        json!({ "reminders_opt_out": false, "name": "Rémi Renamed" }),
    );
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only they"),
        "{}",
        r.body
    );
    let now = app.get(&format!("/api/v1/customers/{c}")).body;
    assert_eq!(
        (now["reminders_opt_out"].as_bool(), now["name"].as_str()),
        (Some(true), Some("Rémi <b>")),
        "nothing changed"
    );
    let r = app.patch(
        &format!("/api/v1/customers/{c}"),
        json!({ "tags": ["vip"] }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["reminders_opt_out"], true,
        "a PATCH of other fields keeps it"
    );
    // A field named like the form's, inside another value, is not a stop.
    let r = app
        .http
        .post(&url)
        .form(&[("action", "resume")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .http
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("note=action%3Dstop")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c}")).body["reminders_opt_out"],
        false
    );
}

#[test]
fn promises_and_disputes_refuse_bad_input() {
    let app = TestApp::new();
    let (c, _) = customer(&app, "UTC");
    let inv = app.create_invoice(&c);
    let id = inv["id"].as_str().unwrap();
    for (date, why) in [
        ("2020-01-01", "past"),
        ("2099-01-01", "too far"),
        ("tomorrow", "not a date"),
    ] {
        let r = app.post(
            &format!("/api/v1/invoices/{id}/promises"),
            json!({ "promised_date": date }),
        );
        assert_eq!(
            (r.status, r.code()),
            (422, "invalid_field"),
            "{why}: {}",
            r.body
        );
    }
    let r = app.post(
        &format!("/api/v1/invoices/{id}/promises"),
        json!({ "promised_date": "2026-13-01", "extra": 1 }),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.post(
        &format!("/api/v1/invoices/{id}/disputes"),
        json!({ "reason": "" }),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.post(
        &format!("/api/v1/invoices/{id}/disputes"),
        json!({ "reason": "Not delivered" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let dispute = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(
        &format!("/api/v1/invoices/{id}/disputes"),
        json!({ "reason": "Again" }),
    );
    assert_eq!((r.status, r.code()), (409, "conflict"));
    let r = app.post(
        &format!("/api/v1/disputes/{dispute}/resolve"),
        json!({ "resolution": "Delivered on the 3rd" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.post(
        &format!("/api/v1/disputes/{dispute}/resolve"),
        json!({ "resolution": "Twice" }),
    );
    assert_eq!(
        (r.status, r.code()),
        (409, "conflict"),
        "already resolved: {}",
        r.body
    );
    let r = app.post(
        "/api/v1/disputes/nope/resolve",
        json!({ "resolution": "x" }),
    );
    assert_eq!(r.status, 404);
    // Another organization's invoice is not found.
    let other = TestApp::new();
    let r = other.post(
        &format!("/api/v1/invoices/{id}/disputes"),
        json!({ "reason": "Mine?" }),
    );
    assert_eq!(r.status, 404);
    let audit = app.audit_actions();
    assert!(audit.contains(&"dispute.opened".to_owned()));
    assert!(audit.contains(&"dispute.resolved".to_owned()));
}

#[test]
fn customers_can_be_changed_and_refuse_bad_values() {
    let app = TestApp::new();
    let (c, _) = customer(&app, "UTC");
    let patch = |body: Value| {
        TestApp::reply(
            app.http
                .patch(format!("{}/api/v1/customers/{c}", app.base))
                .bearer_auth(&app.key)
                .json(&body)
                .send()
                .unwrap(),
        )
    };
    let r = patch(json!({ "tags": ["vip", "région:sud"], "time_zone": "Asia/Tokyo" }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["tags"], json!(["région:sud", "vip"]));
    assert_eq!(r.body["time_zone"], "Asia/Tokyo");
    for (body, field) in [
        (json!({ "time_zone": "Mars/Olympus" }), "time_zone"),
        (json!({ "tags": ["two words"] }), "tags"),
        (json!({ "email": "not-an-email" }), "email"),
    ] {
        let r = patch(body);
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{}", r.body);
    }
    let r = patch(json!({ "nickname": "x" }));
    assert_eq!((r.status, r.code()), (422, "unknown_field"));
}

#[test]
fn the_upcoming_schedule_names_each_step_and_the_clock_is_not_public() {
    let app = TestApp::new();
    let (c, _) = customer(&app, "Asia/Tokyo");
    let r = app.post(
        "/api/v1/invoices",
        json!({ "customer_id": c, "number": format!("U-{}", unique()), "currency": "JPY",
                "due_date": "2099-01-15", "lines": [{ "description": "x", "quantity": 1, "unit_amount": 5000 }] }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app.get("/api/v1/reminders/upcoming");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["emails"], 0, "nothing within 30 days");
    let r = app.get("/api/v1/reminders/upcoming?until=2199-01-01T00:00:00Z");
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
    // The operator's demo clock needs the operator token.
    let r = app.get("/api/v1/operator/clock");
    assert_eq!(r.status, 401);
    let r = app.post("/api/v1/operator/clock", json!({ "advance_seconds": -5 }));
    assert_eq!(r.status, 401);
}
