//! Invoice emails: `send: true` queues one; it arrives branded, with both
//! parts, and its link opens the invoice.

use crate::helpers::{TestApp, link_in};
use serde_json::json;

#[test]
fn sending_an_invoice_emails_a_working_link() {
    let app = TestApp::new();
    let c = app.create_customer("Eve Email");
    let email = c["email"].as_str().unwrap();
    let mut body = TestApp::invoice_body(c["id"].as_str().unwrap(), "GBP");
    body["send"] = json!(true);
    let created = app.post("/api/v1/invoices", body);
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let number = created.body["number"].as_str().unwrap();

    let mails = app.wait_for_emails(email, 1);
    assert_eq!(mails.len(), 1, "exactly one email");
    let m = &mails[0];
    assert_eq!(m["subject"], format!("Invoice {number} from Test Co"));
    // A reply names this email (and comes back into the customer's thread).
    let reply_to = m["reply_to"].as_str().unwrap();
    assert!(
        reply_to.starts_with(&format!("\"Test Co\" <reply+{id}"))
            || reply_to.contains("<reply+eml_"),
        "{reply_to}"
    );
    assert!(
        m["from"].as_str().unwrap().starts_with("\"Test Co\" <"),
        "{}",
        m["from"]
    );
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("#7c3aed"), "branded");
    assert!(
        m["text"].as_str().unwrap().contains("£95.00"),
        "amount in the customer's format: {}",
        m["text"]
    );
    assert!(m["idempotency_key"].as_str().unwrap().starts_with("eml_"));

    let link = link_in(m);
    let opened = app.open(&link);
    assert_eq!(opened.location, Some(format!("/invoices/{id}")));

    // The invoice records that it was sent.
    crate::helpers::eventually(10, "sent_at never set", || {
        app.get(&format!("/api/v1/invoices/{id}")).body["sent_at"].is_string()
    });
    let trail = app.get("/api/v1/audit-events?limit=100");
    assert!(
        trail.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "email.sent")
    );
}

#[test]
fn an_invoice_created_without_send_sends_nothing_until_asked() {
    let app = TestApp::new();
    let c = app.create_customer("Nia Nosend");
    let email = c["email"].as_str().unwrap();
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    // An email is recorded in the same batch as what causes it: none here.
    let recorded = app.get(&format!(
        "/api/v1/emails?customer_id={}",
        c["id"].as_str().unwrap()
    ));
    assert_eq!(
        recorded.body["data"].as_array().unwrap().len(),
        0,
        "{}",
        recorded.body
    );
    assert!(app.emails_to(email).is_empty());
    let r = app.post(
        &format!("/api/v1/invoices/{}/send", inv["id"].as_str().unwrap()),
        json!({}),
    );
    assert_eq!(r.status, 202);
    assert_eq!(app.wait_for_emails(email, 1).len(), 1);
}

fn fail_next(app: &TestApp, to: &str, count: u32, status: u16) {
    let r = app
        .http
        .post(format!("{}/__sim/fail", app.mail))
        .json(&json!({ "count": count, "status": status, "to": to }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[test]
fn a_provider_outage_is_retried_and_the_email_goes_out_once() {
    let app = TestApp::new();
    let c = app.create_customer("Ola Outage");
    let email = c["email"].as_str().unwrap();
    fail_next(&app, email, 1, 503);
    let id = app.send_invoice(c["id"].as_str().unwrap())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mails = app.wait_for_emails(email, 1);
    assert_eq!(mails.len(), 1, "delivered after the retry");
    // One email on record, sent on its second attempt under one key.
    let recorded = app.get(&format!(
        "/api/v1/emails?customer_id={}",
        c["id"].as_str().unwrap()
    ));
    let recorded = recorded.body["data"].as_array().unwrap().clone();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(recorded[0]["status"], "sent");
    assert_eq!(recorded[0]["attempts"], 2, "{recorded:?}");
    assert_eq!(app.emails_to(email).len(), 1, "and only once");
    let actions = app.audit_actions();
    assert!(
        actions.iter().any(|a| a == "email.attempt_failed")
            && actions.iter().any(|a| a == "email.sent"),
        "{actions:?}"
    );
    assert!(app.get(&format!("/api/v1/invoices/{id}")).body["sent_at"].is_string());
}

#[test]
fn a_refused_email_never_marks_the_invoice_sent() {
    let app = TestApp::new();
    let c = app.create_customer("Ray Refused");
    let email = c["email"].as_str().unwrap();
    fail_next(&app, email, 1, 422);
    let id = app.send_invoice(c["id"].as_str().unwrap())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::helpers::eventually(20, "the refusal was never recorded", || {
        app.get("/api/v1/audit-events?limit=100").body["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "email.failed")
    });
    assert!(app.get(&format!("/api/v1/invoices/{id}")).body["sent_at"].is_null());
    assert!(app.emails_to(email).is_empty());
}

#[test]
fn a_company_name_with_punctuation_is_quoted_in_from() {
    let app = TestApp::new();
    let r = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/organizations", app.base))
            .bearer_auth(std::env::var("SETTLE_OPERATOR_TOKEN").unwrap())
            .json(&json!({ "name": "Acme", "branding": { "display_name": "Acme, \"Tools\" <Inc>", "support_email": "help@acme.example" } }))
            .send()
            .unwrap(),
    );
    assert_eq!(r.status, 201);
    let acme = TestApp {
        key: r.body["api_key"].as_str().unwrap().to_owned(),
        org_id: r.body["organization"]["id"].as_str().unwrap().to_owned(),
        ..app
    };
    let c = acme.create_customer("Quinn Quote");
    let mut body = TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR");
    body["send"] = json!(true);
    assert_eq!(acme.post("/api/v1/invoices", body).status, 201);
    let mails = acme.wait_for_emails(c["email"].as_str().unwrap(), 1);
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0]["from"],
        "\"Acme, \\\"Tools\\\" <Inc>\" <billing@settle.example>"
    );
}
