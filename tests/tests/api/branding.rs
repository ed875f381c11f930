//! Branding: colours people can read, the sender and reply-to of emails,
//! and a logo uploaded through the worker into R2, checked by its content.

use crate::helpers::{TestApp, unique};
use serde_json::{Value, json};

fn branding(extra: Value) -> Value {
    let mut b = json!({ "display_name": "Test Co", "support_email": "help@testco.example" });
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    json!({ "branding": b })
}

fn put_logo(app: &TestApp, bytes: Vec<u8>, content_type: &str) -> crate::helpers::Reply {
    TestApp::reply(
        app.http
            .put(format!("{}/api/v1/organization/logo", app.base))
            .bearer_auth(&app.key)
            .header("Content-Type", content_type)
            .body(bytes)
            .send()
            .unwrap(),
    )
}

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";

#[test]
fn unreadable_colours_are_refused_with_the_pair_and_its_ratio_and_nothing_changes() {
    let app = TestApp::new();
    let before = app.get("/api/v1/organization").body["branding"].clone();
    let r = app.patch(
        "/api/v1/organization",
        branding(json!({ "primary_color": "#ffd700" })),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "branding.primary_color");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("White text on the primary colour") && message.contains("1.40:1"),
        "{message}"
    );
    let r = app.patch(
        "/api/v1/organization",
        branding(json!({ "primary_color": "#0f766e", "accent_color": "#9ca3af" })),
    );
    assert_eq!(
        r.body["error"]["field"], "branding.accent_color",
        "{}",
        r.body
    );
    let r = app.patch(
        "/api/v1/organization",
        branding(json!({ "primary_color": "blue" })),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
    let r = app.patch(
        "/api/v1/organization",
        branding(json!({ "default_currency": "XYZ" })),
    );
    assert_eq!(
        r.body["error"]["field"], "branding.default_currency",
        "{}",
        r.body
    );
    let r = app.patch(
        "/api/v1/organization",
        branding(json!({ "reply_to": "not an address" })),
    );
    assert_eq!(r.body["error"]["field"], "branding.reply_to", "{}", r.body);
    assert_eq!(app.get("/api/v1/organization").body["branding"], before);
}

#[test]
fn the_next_email_comes_from_the_saved_sender_with_its_reply_to() {
    let app = TestApp::new();
    let r = app.patch(
        "/api/v1/organization",
        branding(json!({
            "primary_color": "#0f766e", "accent_color": "#1a56db",
            "sender_name": "Test Co Billing", "reply_to": "ar@testco.example",
            "footer_text": "Test Co Ltd, 1 Main Street", "default_locale": "fr", "default_currency": "eur"
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body["branding"];
    assert_eq!(b["sender_name"], "Test Co Billing");
    assert_eq!(b["default_currency"], "EUR");
    assert_eq!(b["default_locale"], "fr");
    let c = app.create_customer("Branded");
    let email = c["email"].as_str().unwrap().to_owned();
    app.send_invoice(c["id"].as_str().unwrap());
    let mail = app.wait_for_emails(&email, 1);
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0]["from"]
            .as_str()
            .unwrap()
            .starts_with("\"Test Co Billing\" <"),
        "{}",
        mail[0]["from"]
    );
    // Replies come back into the customer's thread (the local stack
    // receives them); the saved reply-to is used where replies are off.
    let reply_to = mail[0]["reply_to"].as_str().unwrap();
    assert!(
        reply_to.starts_with("\"Test Co Billing\" <reply+eml_")
            && reply_to.ends_with("@reply.settle.test>"),
        "{reply_to}"
    );
    assert!(
        mail[0]["html"]
            .as_str()
            .unwrap()
            .contains("Test Co Ltd, 1 Main Street"),
        "the footer"
    );
    assert!(
        app.audit_actions()
            .iter()
            .any(|a| a == "organization.branding_updated")
    );
}

#[test]
fn a_logo_is_checked_by_its_content_and_served_from_r2() {
    let app = TestApp::new();
    // An HTML page named as a PNG.
    let r = put_logo(
        &app,
        b"<!doctype html><script>alert(1)</script>".to_vec(),
        "image/png",
    );
    assert_eq!(
        (r.status, r.code()),
        (415, "unsupported_media_type"),
        "{}",
        r.body
    );
    // Over 1 MB.
    let mut big = PNG.to_vec();
    big.resize(1024 * 1024 + 1, 0);
    let r = put_logo(&app, big, "image/png");
    assert_eq!(
        (r.status, r.code()),
        (413, "payload_too_large"),
        "{}",
        r.body
    );
    assert!(app.get("/api/v1/organization").body["branding"]["logo_url"].is_null());

    let r = put_logo(&app, PNG.to_vec(), "application/octet-stream");
    assert_eq!(r.status, 200, "{}", r.body);
    let url = r.body["logo_url"].as_str().unwrap().to_owned();
    assert!(
        url.contains(&format!("/logos/{}/", app.org_id)) && url.ends_with(".png"),
        "{url}"
    );
    assert_eq!(
        app.get("/api/v1/organization").body["branding"]["logo_url"],
        url.as_str()
    );
    let got = app.http.get(&url).send().unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert_eq!(got.bytes().unwrap().as_ref(), PNG);
    // Nothing else is served from there.
    let missing = app
        .http
        .get(format!(
            "{}/logos/{}/{}.png",
            app.base,
            app.org_id,
            "0".repeat(64)
        ))
        .send()
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let odd = app
        .http
        .get(format!(
            "{}/logos/{}/..%2F..%2Fsecret",
            app.base, app.org_id
        ))
        .send()
        .unwrap();
    assert_eq!(odd.status().as_u16(), 404);
    // The next email shows it.
    let c = app.create_customer(&format!("Logo {}", unique()));
    let email = c["email"].as_str().unwrap().to_owned();
    app.send_invoice(c["id"].as_str().unwrap());
    let mail = app.wait_for_emails(&email, 1);
    assert!(
        mail[0]["html"].as_str().unwrap().contains(&url),
        "the logo in the email"
    );
}

#[test]
fn an_email_is_previewed_with_unsaved_branding_and_nothing_is_stored() {
    let app = TestApp::new();
    let before = app.get("/api/v1/organization").body["branding"].clone();
    let r = app.post(
        "/api/v1/organization/branding/preview",
        branding(json!({ "primary_color": "#7c2d12", "footer_text": "Preview Street 1", "sender_name": "Preview Billing" })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let html = r.body["html"].as_str().unwrap();
    assert!(
        html.contains("#7c2d12") && html.contains("Preview Street 1"),
        "{html}"
    );
    assert!(r.body["from"].as_str().unwrap().contains("Preview Billing"));
    assert_eq!(app.get("/api/v1/organization").body["branding"], before);
    let r = app.post(
        "/api/v1/organization/branding/preview",
        branding(json!({ "primary_color": "#ffff00" })),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
}
