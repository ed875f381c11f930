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
    assert_eq!(m["reply_to"], "help@testco.example");
    assert!(m["from"].as_str().unwrap().starts_with("Test Co <"));
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

    // The invoice records that it was sent; the stored copy has no token.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let inv = app.get(&format!("/api/v1/invoices/{id}"));
        if inv.body["sent_at"].is_string() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "sent_at never set");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let token = link.rsplit('/').next().unwrap();
    let stored = crate::helpers::d1(&format!(
        "SELECT html, text, status FROM emails WHERE invoice_id = '{id}'"
    ));
    assert_eq!(stored[0]["status"], "sent");
    assert!(
        !stored[0]["html"].as_str().unwrap().contains(token)
            && !stored[0]["text"].as_str().unwrap().contains(token)
    );
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
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(app.emails_to(email).is_empty());
    let r = app.post(
        &format!("/api/v1/invoices/{}/send", inv["id"].as_str().unwrap()),
        json!({}),
    );
    assert_eq!(r.status, 202);
    assert_eq!(app.wait_for_emails(email, 1).len(), 1);
}
