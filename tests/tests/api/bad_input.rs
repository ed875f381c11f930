//! Bad input: each gets a 4xx with a stable code, and nothing is written.

use crate::helpers::{Reply, TestApp};
use serde_json::{Value, json};

fn create(app: &TestApp, body: Value) -> Reply {
    app.post("/api/v1/invoices", body)
}

fn valid(app: &TestApp) -> Value {
    let c = app.create_customer("Bad Input");
    TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR")
}

#[test]
fn malformed_json() {
    let app = TestApp::new();
    for body in ["{", "not json", "{\"customer_id\": }", "[1,2", ""] {
        let r = app.post_raw("/api/v1/invoices", "application/json", body);
        assert_eq!(
            (r.status, r.code()),
            (400, "invalid_json"),
            "{body:?}: {}",
            r.body
        );
        assert!(r.body["error"]["message"].as_str().unwrap().len() > 10);
    }
}

#[test]
fn unknown_and_missing_fields() {
    let app = TestApp::new();
    let mut body = valid(&app);
    body["discount"] = json!(5);
    let r = create(&app, body);
    assert_eq!((r.status, r.code()), (422, "unknown_field"));
    assert_eq!(r.body["error"]["field"], "discount");

    let mut body = valid(&app);
    body["lines"][0]["colour"] = json!("red");
    assert_eq!(create(&app, body).code(), "unknown_field");

    let mut body = valid(&app);
    body.as_object_mut().unwrap().remove("due_date");
    let r = create(&app, body);
    assert_eq!((r.status, r.code()), (422, "missing_field"));
    assert_eq!(r.body["error"]["field"], "due_date");
}

#[test]
fn negative_and_overflowing_amounts() {
    let app = TestApp::new();
    let base = valid(&app);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = base.clone();
        f(&mut b);
        b
    };
    let cases: Vec<(&str, Value)> = vec![
        (
            "negative unit amount",
            with(&|b| b["lines"][0]["unit_amount"] = json!(-1)),
        ),
        (
            "beyond i64",
            with(&|b| b["lines"][0]["unit_amount"] = json!(9_223_372_036_854_775_808u64)),
        ),
        (
            "beyond the limit",
            with(&|b| b["lines"][0]["unit_amount"] = json!(100_000_000_000_001i64)),
        ),
        (
            "total overflows",
            with(&|b| {
                b["lines"][0]["unit_amount"] = json!(90_000_000_000_000i64);
                b["lines"][1]["unit_amount"] = json!(90_000_000_000_000i64);
            }),
        ),
        (
            "quantity × price overflows",
            with(&|b| b["lines"][0]["quantity"] = json!("999999999999")),
        ),
        (
            "zero quantity",
            with(&|b| b["lines"][0]["quantity"] = json!("0")),
        ),
        (
            "tax over 100 %",
            with(&|b| b["lines"][0]["tax_rate"] = json!("150")),
        ),
    ];
    for (what, body) in cases {
        let r = create(&app, body);
        assert_eq!(
            (r.status, r.code()),
            (422, "amount_out_of_range"),
            "{what}: {}",
            r.body
        );
    }
    let r = create(&app, with(&|b| b["lines"][0]["quantity"] = json!(-2)));
    assert_eq!(r.status, 422, "negative quantity: {}", r.body);
    let r = create(&app, with(&|b| b["lines"][0]["unit_amount"] = json!(1e40)));
    assert_eq!(r.status, 422, "a float amount: {}", r.body);
    let r = create(&app, with(&|b| b["lines"][0]["quantity"] = json!(1.5)));
    assert_eq!(r.status, 422, "a float quantity: {}", r.body);
    assert_nothing_written(&app);
}

#[test]
fn currencies() {
    let app = TestApp::new();
    let mut body = valid(&app);
    body["currency"] = json!("XYZ");
    let r = create(&app, body);
    assert_eq!((r.status, r.code()), (422, "unsupported_currency"));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("XYZ"));

    let mut body = valid(&app);
    body["lines"][1]["currency"] = json!("USD");
    let r = create(&app, body);
    assert_eq!((r.status, r.code()), (422, "currency_mismatch"));
    assert_eq!(r.body["error"]["field"], "lines[1].currency");
    assert_nothing_written(&app);
}

#[test]
fn over_long_strings_and_large_bodies() {
    let app = TestApp::new();
    let mut body = valid(&app);
    body["number"] = json!("N".repeat(65));
    assert_eq!(create(&app, body).code(), "string_too_long");
    let mut body = valid(&app);
    body["lines"][0]["description"] = json!("d".repeat(501));
    let r = create(&app, body);
    assert_eq!((r.status, r.code()), (422, "string_too_long"));
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "n".repeat(201), "email": "a@example.com" }),
    );
    assert_eq!(r.code(), "string_too_long");

    let mut body = valid(&app);
    body["memo"] = json!("m".repeat(70 * 1024));
    let r = create(&app, body);
    assert_eq!((r.status, r.code()), (413, "payload_too_large"));

    let r = app.post_raw("/api/v1/invoices", "text/plain", "{}");
    assert_eq!((r.status, r.code()), (415, "unsupported_media_type"));
    assert_nothing_written(&app);
}

#[test]
fn api_keys() {
    let app = TestApp::new();
    let no_key = TestApp::reply(
        app.http
            .get(format!("{}/api/v1/invoices", app.base))
            .send()
            .unwrap(),
    );
    assert_eq!((no_key.status, no_key.code()), (401, "unauthorized"));
    for key in [
        "sk_wrong",
        "sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
        "Basic x",
    ] {
        let r = TestApp::reply(
            app.http
                .get(format!("{}/api/v1/invoices", app.base))
                .header("Authorization", format!("Bearer {key}"))
                .send()
                .unwrap(),
        );
        assert_eq!((r.status, r.code()), (401, "unauthorized"), "{key:?}");
    }
    let op = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/organizations", app.base))
            .bearer_auth(&app.key)
            .json(&json!({}))
            .send()
            .unwrap(),
    );
    assert_eq!(
        op.status, 401,
        "an organization key cannot create organizations"
    );
}

#[test]
fn unknown_routes_methods_and_cursors() {
    let app = TestApp::new();
    assert_eq!(app.get("/api/v1/nothing-here").code(), "not_found");
    let r = TestApp::reply(
        app.http
            .delete(format!("{}/api/v1/invoices", app.base))
            .bearer_auth(&app.key)
            .send()
            .unwrap(),
    );
    assert_eq!((r.status, r.code()), (405, "method_not_allowed"));
    assert_eq!(
        app.get("/api/v1/invoices?cursor=garbage").code(),
        "invalid_field"
    );
    assert_eq!(
        app.get("/api/v1/invoices?limit=1000").code(),
        "invalid_field"
    );
    assert_eq!(app.get("/api/v1/invoices/not-an-id").status, 404);
}

fn assert_nothing_written(app: &TestApp) {
    let list = app.get("/api/v1/invoices");
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        0,
        "no invoice may be half-written"
    );
    let trail = app.get("/api/v1/audit-events?limit=100");
    let invoice_rows = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("invoice."))
        .count();
    assert_eq!(invoice_rows, 0, "no audit row for a refused request");
}
