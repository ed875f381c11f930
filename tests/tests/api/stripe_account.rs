//! An organization's own Stripe account: connected with its keys (sealed at
//! rest, shown only by their last four characters), tried at Stripe, used
//! for the organization's checkouts and to verify its events; an event
//! signed with another organization's secret is refused.

use crate::checkout::{checkout, sessions_for, stripe};
use crate::helpers::{Reply, TestApp, unique};
use crate::stripe::{deliver_raw, now, secret as deployment_secret, signature};
use serde_json::{Value, json};

/// A new test-mode account at the stand-in: its secret key.
fn new_key() -> String {
    format!("sk_test_{}{}", unique(), unique())
}

/// Adds a webhook endpoint for `app`'s organization to the account of
/// `key`, as an admin does in Stripe's dashboard: its signing secret.
fn add_endpoint(app: &TestApp, key: &str, events: &[&str]) -> String {
    let mut form = vec![(
        "url".to_owned(),
        format!("{}/api/stripe/webhook/{}", app.base, app.org_id),
    )];
    for (i, e) in events.iter().enumerate() {
        form.push((format!("enabled_events[{i}]"), (*e).to_owned()));
    }
    let r: Value = app
        .http
        .post(format!("{}/v1/webhook_endpoints", stripe()))
        .basic_auth(key, Some(""))
        .form(&form)
        .send()
        .unwrap()
        .json()
        .unwrap();
    r["secret"].as_str().expect("an endpoint secret").to_owned()
}

fn account_of(key: &str) -> String {
    let r: Value = reqwest::blocking::Client::new()
        .get(format!("{}/v1/account", stripe()))
        .bearer_auth(key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    r["id"].as_str().unwrap().to_owned()
}

fn put(app: &TestApp, body: Value) -> Reply {
    TestApp::reply(
        app.http
            .put(format!("{}/api/v1/organization/stripe", app.base))
            .bearer_auth(&app.key)
            .json(&body)
            .send()
            .unwrap(),
    )
}

fn delete(app: &TestApp) -> Reply {
    TestApp::reply(
        app.http
            .delete(format!("{}/api/v1/organization/stripe", app.base))
            .bearer_auth(&app.key)
            .send()
            .unwrap(),
    )
}

/// Connects `app`'s organization to a new account of its own: (key, secret).
pub fn connect(app: &TestApp) -> (String, String) {
    let key = new_key();
    let hook = add_endpoint(app, &key, &["*"]);
    let r = put(app, json!({ "secret_key": key, "webhook_secret": hook }));
    assert_eq!(r.status, 200, "{}", r.body);
    (key, hook)
}

fn completed_event(app: &TestApp) -> String {
    json!({ "id": format!("evt_{}", unique()), "object": "event", "type": "checkout.session.completed", "created": now(),
            "livemode": false, "api_version": "2025-04-30.basil",
            "data": { "object": { "id": format!("cs_test_{}", unique()), "object": "checkout.session", "status": "complete",
                                  "payment_status": "unpaid", "amount_total": 100, "currency": "eur", "payment_intent": null,
                                  "metadata": { "settle_organization_id": app.org_id } } } })
    .to_string()
}

#[test]
fn an_organization_is_paid_through_its_own_account() {
    let app = TestApp::new();
    let before = app.get("/api/v1/organization/stripe");
    assert_eq!(before.status, 200, "{}", before.body);
    assert_eq!(before.body["source"], "deployment");
    assert_eq!(before.body["can_connect"], true);
    assert_eq!(
        before.body["webhook_url"],
        format!("{}/api/stripe/webhook/{}", app.base, app.org_id)
    );

    let (key, hook) = connect(&app);
    let shown = app.get("/api/v1/organization/stripe").body;
    assert_eq!(shown["source"], "own");
    assert_eq!(shown["mode"], "test");
    assert_eq!(shown["secret_key_last4"], key[key.len() - 4..]);
    assert_eq!(shown["webhook_secret_last4"], hook[hook.len() - 4..]);
    assert_eq!(shown["account_id"], account_of(&key));
    assert_eq!(shown["check"]["ok"], true, "{shown}");
    assert_eq!(shown["check"]["endpoint_found"], true, "{shown}");
    let text = shown.to_string();
    assert!(!text.contains(&key) && !text.contains(&hook), "{text}");
    // The customer pays at the organization's own account.
    let c = app.create_customer("Olga Own");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let cookie = app.session(c["id"].as_str().unwrap());
    let session = checkout(&app, &cookie, id);
    assert_eq!(session.status, 201, "{}", session.body);
    let at_stripe = sessions_for(&app, id);
    assert_eq!(at_stripe.len(), 1);
    assert_eq!(at_stripe[0]["x_account"], account_of(&key));
    let paid = app
        .http
        .post(session.body["url"].as_str().unwrap())
        .form(&[("method", "card"), ("card", "4242424242424242")])
        .send()
        .unwrap();
    assert_eq!(paid.status().as_u16(), 303);
    // Its events arrive signed with the organization's endpoint secret.
    app.wait_for_status(id, "paid", "the event from the organization's account");
    assert!(app.get("/api/v1/organization/stripe").body["last_event_at"].is_string());

    // The deployment's secret no longer opens this organization's path.
    let body = completed_event(&app);
    let r = deliver_raw(
        &app,
        &app.org_id,
        &body,
        Some(signature(&deployment_secret(), now(), &body)),
    );
    assert_eq!((r.status, r.code()), (400, "signature_invalid"));
    let actions = app.audit_actions();
    assert!(actions.contains(&"stripe_account.connected".to_owned()));
}

#[test]
fn an_event_signed_with_another_organizations_secret_is_refused() {
    let a = TestApp::new();
    let b = TestApp::new();
    let (_, hook_a) = connect(&a);
    let (_, hook_b) = connect(&b);
    let body = completed_event(&b);
    let r = deliver_raw(&b, &b.org_id, &body, Some(signature(&hook_a, now(), &body)));
    assert_eq!(
        (r.status, r.code()),
        (400, "signature_invalid"),
        "{}",
        r.body
    );
    assert!(
        b.get("/api/v1/stripe-events").body["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "a refusal is stored nowhere"
    );
    let r = deliver_raw(&b, &b.org_id, &body, Some(signature(&hook_b, now(), &body)));
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn bad_keys_are_refused_and_nothing_is_saved() {
    let app = TestApp::new();
    let key = new_key();
    let hook = add_endpoint(&app, &key, &["checkout.session.completed"]);
    let refused = |body: Value, status: u16, code: &str, field: Option<&str>| {
        let r = put(&app, body.clone());
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.body);
        if let Some(f) = field {
            assert_eq!(r.body["error"]["field"], f, "{}", r.body);
        }
        assert!(r.body["error"]["message"].as_str().unwrap().len() > 20);
        assert_eq!(
            app.get("/api/v1/organization/stripe").body["source"],
            "deployment",
            "nothing saved after {body}"
        );
    };
    let publishable = format!("pk_test_{}", &key[8..]);
    refused(
        json!({ "secret_key": publishable, "webhook_secret": hook }),
        422,
        "invalid_field",
        Some("secret_key"),
    );
    // Settle's own API key is not a Stripe key, though it starts with sk_.
    refused(
        json!({ "secret_key": app.key, "webhook_secret": hook }),
        422,
        "invalid_field",
        Some("secret_key"),
    );
    refused(
        json!({ "secret_key": format!("{key} x"), "webhook_secret": hook }),
        422,
        "invalid_field",
        Some("secret_key"),
    );
    refused(
        json!({ "secret_key": key, "webhook_secret": key }),
        422,
        "invalid_field",
        Some("webhook_secret"),
    );
    refused(
        json!({ "secret_key": key }),
        422,
        "missing_field",
        Some("webhook_secret"),
    );
    refused(
        json!({ "secret_key": format!("sk_test_revoked{}", unique()), "webhook_secret": hook }),
        422,
        "stripe_key_rejected",
        Some("secret_key"),
    );
    refused(
        json!({ "secret_key": key, "webhook_secret": hook, "account": "acct_1" }),
        422,
        "unknown_field",
        None,
    );

    // Pasted with spaces around it: trimmed, and it works.
    let r = put(
        &app,
        json!({ "secret_key": format!("  {key}\n"), "webhook_secret": hook }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // The endpoint listens for one event only: the check says which lack.
    let missing = r.body["check"]["missing_events"].as_array().unwrap();
    assert!(missing.iter().any(|e| e == "charge.refunded"), "{}", r.body);
    assert_eq!(r.body["check"]["problems"][0]["code"], "events_missing");

    // Either secret is replaced alone.
    let other = add_endpoint(&app, &key, &["*"]);
    let r = put(&app, json!({ "webhook_secret": other }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["webhook_secret_last4"], other[other.len() - 4..]);
    assert_eq!(r.body["secret_key_last4"], key[key.len() - 4..]);
    let r = put(&app, json!({}));
    assert_eq!((r.status, r.code()), (422, "missing_field"));
    let r = app.post("/api/v1/organization/stripe/check", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["check"]["ok"], true);
    assert_eq!(r.body["check"]["problems"], json!([]), "{}", r.body);

    // Disconnected, the deployment's account takes payments again.
    let r = delete(&app);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["source"], "deployment");
    assert_eq!(r.body["secret_key_last4"], Value::Null);
    assert_eq!(delete(&app).code(), "not_found");
    let actions = app.audit_actions();
    for a in [
        "stripe_account.connected",
        "stripe_account.replaced",
        "stripe_account.checked",
        "stripe_account.disconnected",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
}

#[test]
fn an_account_cannot_pay_another_organizations_invoice_through_the_sweep() {
    // Organization B connects an account and creates, at it, a session that
    // names organization A's invoice, and pays it: A's invoice stays open.
    let a = TestApp::new();
    let b = TestApp::new();
    let c = a.create_customer("Vera Victim");
    let inv = a.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let (key_b, _) = connect(&b);
    // First B's own customer pays B, and the events are lost: the sweep
    // repairing it shows that it went through B's sessions.
    let own = b.create_customer("Olaf Own");
    let own_inv = b.create_invoice(own["id"].as_str().unwrap());
    let own_id = own_inv["id"].as_str().unwrap();
    let cookie = b.session(own["id"].as_str().unwrap());
    let session = checkout(&b, &cookie, own_id);
    assert_eq!(session.status, 201, "{}", session.body);
    let r = b
        .http
        .post(session.body["url"].as_str().unwrap())
        .form(&[
            ("method", "card"),
            ("card", "4242424242424242"),
            ("delivery", "drop"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    // Then a session made at B's account that names A's invoice: newer, so
    // the sweep (newest first) reads it first.
    let form = [
        ("mode", "payment".to_owned()),
        ("success_url", format!("{}/", b.base)),
        ("line_items[0][quantity]", "1".to_owned()),
        ("line_items[0][price_data][currency]", "eur".to_owned()),
        (
            "line_items[0][price_data][unit_amount]",
            inv["total"].to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            "x".to_owned(),
        ),
        ("client_reference_id", id.to_owned()),
        ("metadata[settle_organization_id]", a.org_id.clone()),
        ("metadata[settle_invoice_id]", id.to_owned()),
        (
            "payment_intent_data[metadata][settle_organization_id]",
            a.org_id.clone(),
        ),
        (
            "payment_intent_data[metadata][settle_invoice_id]",
            id.to_owned(),
        ),
    ];
    let s: Value = b
        .http
        .post(format!("{}/v1/checkout/sessions", stripe()))
        .bearer_auth(&key_b)
        .form(&form)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let url = s["url"].as_str().expect("a session");
    let paid = b
        .http
        .post(url)
        .form(&[("method", "card"), ("card", "4242424242424242")])
        .send()
        .unwrap();
    assert_eq!(paid.status().as_u16(), 303);
    // B's sweep repairs B's payment; the session naming A counts for nobody.
    let cron = b
        .http
        .get(format!("{}/__scheduled?cron=*/5+*+*+*+*", b.base))
        .send()
        .unwrap();
    assert!(cron.status().is_success());
    b.wait_for_status(own_id, "paid", "the sweep of B's own account");
    assert_eq!(
        a.get(&format!("/api/v1/invoices/{id}")).body["status"],
        "open"
    );
    assert!(
        a.get("/api/v1/stripe-events").body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_account_serves_one_organization_and_is_not_switched_under_a_payment() {
    // The same Stripe account for a second organization is refused.
    let a = TestApp::new();
    let b = TestApp::new();
    let (key, _) = connect(&a);
    let hook = add_endpoint(&b, &key, &["*"]);
    let r = put(&b, json!({ "secret_key": key, "webhook_secret": hook }));
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert_eq!(
        b.get("/api/v1/organization/stripe").body["source"],
        "deployment"
    );

    // A checkout open at the deployment's account: connecting another
    // account would orphan it, so it waits until the payment is over.
    let c = b.create_customer("Paula Pending");
    let inv = b.create_invoice(c["id"].as_str().unwrap());
    let cookie = b.session(c["id"].as_str().unwrap());
    let open = checkout(&b, &cookie, inv["id"].as_str().unwrap());
    assert_eq!(open.status, 201, "{}", open.body);
    let own = new_key();
    let own_hook = add_endpoint(&b, &own, &["*"]);
    let r = put(&b, json!({ "secret_key": own, "webhook_secret": own_hook }));
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("under way")
    );
    assert_eq!(
        b.get("/api/v1/organization/stripe").body["source"],
        "deployment"
    );
    // Voided, the invoice's checkout is closed at the account that made it;
    // then the organization connects its own.
    let void = b.post(
        &format!("/api/v1/invoices/{}/void", inv["id"].as_str().unwrap()),
        json!({}),
    );
    assert_eq!(void.status, 200, "{}", void.body);
    let r = put(&b, json!({ "secret_key": own, "webhook_secret": own_hook }));
    assert_eq!(r.status, 200, "{}", r.body);
}
