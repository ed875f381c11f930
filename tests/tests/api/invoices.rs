//! Invoices: totals, listing, voiding, the payments ledger, the audit trail.

use crate::helpers::TestApp;
use serde_json::json;

#[test]
fn invoice_totals_follow_the_rounding_rule() {
    let app = TestApp::new();
    let c = app.create_customer("Tia Total");
    let r = app.post(
        "/api/v1/invoices",
        json!({
            "customer_id": c["id"], "number": "R-1", "currency": "usd", "issue_date": "2026-11-01", "due_date": "2026-11-30",
            "lines": [
                { "description": "Hours", "quantity": "1.5", "unit_amount": 3333, "tax_rate": "8.875" },
                { "description": "Kit", "quantity": 2, "unit_amount": 1000, "tax_rate": "20" }
            ]
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let inv = &r.body;
    assert_eq!(inv["currency"], "USD");
    assert_eq!(inv["status"], "open");
    assert_eq!(inv["lines"][0]["net"], 5000);
    assert_eq!(inv["lines"][0]["tax"], 444);
    assert_eq!(inv["lines"][0]["quantity"], "1.5");
    assert_eq!(
        (
            inv["subtotal"].as_i64(),
            inv["tax"].as_i64(),
            inv["total"].as_i64()
        ),
        (Some(7000), Some(844), Some(7844))
    );
    assert_eq!(inv["amount_due"], 7844);

    let jpy = app.post(
        "/api/v1/invoices",
        json!({ "customer_id": c["id"], "number": "R-2", "currency": "JPY", "due_date": "2099-01-01",
                "lines": [{ "description": "Tea", "quantity": 3, "unit_amount": 1200, "tax_rate": "10" }] }),
    );
    assert_eq!(jpy.body["total"], 3960, "zero-decimal currency");
}

#[test]
fn list_filters_by_status_and_pages() {
    let app = TestApp::new();
    let c = app.create_customer("Lou List");
    let cid = c["id"].as_str().unwrap();
    let a = app.create_invoice(cid);
    let b = app.create_invoice(cid);
    let _c = app.create_invoice(cid);
    let void = app.post(
        &format!("/api/v1/invoices/{}/void", a["id"].as_str().unwrap()),
        json!({}),
    );
    assert_eq!(void.status, 200, "{}", void.body);
    assert_eq!(void.body["status"], "void");
    assert!(void.body["voided_at"].as_str().unwrap().ends_with('Z'));
    let pay = app.post(
        &format!("/api/v1/invoices/{}/payments", b["id"].as_str().unwrap()),
        json!({ "amount": b["total"], "currency": "EUR", "method": "bank_transfer", "reference": "wire 42" }),
    );
    assert_eq!(pay.status, 201, "{}", pay.body);

    let open = app.get("/api/v1/invoices?status=open");
    assert_eq!(open.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/invoices?status=void").body["data"][0]["id"],
        a["id"]
    );
    assert_eq!(
        app.get("/api/v1/invoices?status=paid").body["data"][0]["id"],
        b["id"]
    );
    let p1 = app.get("/api/v1/invoices?limit=2");
    assert_eq!(p1.body["data"].as_array().unwrap().len(), 2);
    let next = p1.body["next_cursor"].as_str().unwrap();
    let p2 = app.get(&format!("/api/v1/invoices?limit=2&cursor={next}"));
    assert_eq!(p2.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/invoices?status=nonsense").code(),
        "invalid_field"
    );
}

#[test]
fn payments_go_to_the_ledger_and_drive_the_status() {
    let app = TestApp::new();
    let c = app.create_customer("Pat Payer");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let total = inv["total"].as_i64().unwrap();
    let path = format!("/api/v1/invoices/{id}/payments");

    let part = app.post(
        &path,
        json!({ "amount": 1000, "currency": "EUR", "method": "cheque" }),
    );
    assert_eq!(part.status, 201, "{}", part.body);
    let now = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(
        (
            now.body["status"].as_str(),
            now.body["amount_paid"].as_i64()
        ),
        (Some("open"), Some(1000))
    );
    assert_eq!(now.body["amount_due"].as_i64(), Some(total - 1000));

    let over = app.post(
        &path,
        json!({ "amount": total, "currency": "EUR", "method": "cheque" }),
    );
    assert_eq!((over.status, over.code()), (422, "amount_out_of_range"));
    let wrong = app.post(
        &path,
        json!({ "amount": 10, "currency": "USD", "method": "cheque" }),
    );
    assert_eq!((wrong.status, wrong.code()), (422, "currency_mismatch"));
    let method = app.post(
        &path,
        json!({ "amount": 10, "currency": "EUR", "method": "barter" }),
    );
    assert_eq!(method.code(), "invalid_field");

    let rest = app.post(
        &path,
        json!({ "amount": total - 1000, "currency": "EUR", "method": "bank_transfer" }),
    );
    assert_eq!(rest.status, 201);
    let paid = app.get(&format!("/api/v1/invoices/{id}"));
    assert_eq!(paid.body["status"], "paid");
    assert_eq!(paid.body["amount_due"], 0);
    let ledger = app.get(&path);
    assert_eq!(ledger.body["data"].as_array().unwrap().len(), 2);

    let more = app.post(
        &path,
        json!({ "amount": 1, "currency": "EUR", "method": "cash" }),
    );
    assert_eq!((more.status, more.code()), (409, "conflict"));
    let void = app.post(&format!("/api/v1/invoices/{id}/void"), json!({}));
    assert_eq!(
        (void.status, void.code()),
        (409, "conflict"),
        "a paid invoice cannot be voided"
    );
}

#[test]
fn duplicate_numbers_conflict_and_write_nothing() {
    let app = TestApp::new();
    let c = app.create_customer("Dee Dup");
    let mut body = TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR");
    body["number"] = json!("DUP-1");
    assert_eq!(app.post("/api/v1/invoices", body.clone()).status, 201);
    let again = app.post("/api/v1/invoices", body);
    assert_eq!((again.status, again.code()), (409, "conflict"));
    assert_eq!(again.body["error"]["field"], "number");
    assert_eq!(
        app.get("/api/v1/invoices").body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let trail = app.get("/api/v1/audit-events?limit=100");
    let created = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "invoice.created")
        .count();
    assert_eq!(created, 1, "the refused duplicate left no audit row");
}

#[test]
fn every_change_is_in_the_audit_trail() {
    let app = TestApp::new();
    let c = app.create_customer("Abe Audit");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    app.post(&format!("/api/v1/invoices/{id}/void"), json!({}));
    let trail = app.get("/api/v1/audit-events?limit=100");
    let actions: Vec<&str> = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "organization.created",
        "api_key.created",
        "customer.created",
        "invoice.created",
        "invoice.voided",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let voided = app.get(&format!("/api/v1/audit-events?subject={id}"));
    assert_eq!(voided.body["data"][0]["action"], "invoice.voided");
    assert_eq!(voided.body["data"][0]["actor"], "api_key");
}

#[test]
fn a_retried_payment_is_recorded_once() {
    let app = TestApp::new();
    let c = app.create_customer("Rita Retry");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let pay = |key: &str, invoice: &str| {
        TestApp::reply(
            app.http
                .post(format!("{}/api/v1/invoices/{invoice}/payments", app.base))
                .bearer_auth(&app.key)
                .header("Idempotency-Key", key)
                .json(&json!({ "amount": 1000, "currency": "EUR", "method": "bank_transfer" }))
                .send()
                .unwrap(),
        )
    };
    let first = pay("wire-77", id);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = pay("wire-77", id);
    assert_eq!(again.status, 200, "a replay answers the first payment");
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}/payments")).body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{id}")).body["amount_paid"],
        1000
    );

    let other = app.create_invoice(c["id"].as_str().unwrap());
    let misuse = pay("wire-77", other["id"].as_str().unwrap());
    assert_eq!((misuse.status, misuse.code()), (409, "conflict"));
    let bad = pay(&"k".repeat(300), id);
    assert_eq!((bad.status, bad.code()), (422, "invalid_field"));
}

#[test]
fn an_invoice_must_ask_for_something() {
    let app = TestApp::new();
    let c = app.create_customer("Zed Zero");
    let mut body = TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR");
    body["lines"] = json!([{ "description": "Free sample", "quantity": 1, "unit_amount": 0 }]);
    let r = app.post("/api/v1/invoices", body);
    assert_eq!((r.status, r.code()), (422, "amount_out_of_range"));
}
