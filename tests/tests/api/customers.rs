//! Customers: create, read, list with cursors.

use crate::helpers::TestApp;
use serde_json::json;

#[test]
fn create_get_and_page_through_customers() {
    let app = TestApp::new();
    let a = app.create_customer("Ann Able");
    let b = app.create_customer("Bob Baker");
    let c = app.create_customer("Cyd Cole");
    assert_eq!(a["locale"], "en-GB");
    assert_eq!(a["time_zone"], "Europe/London");
    assert!(a["created_at"].as_str().unwrap().ends_with('Z'));

    let got = app.get(&format!("/api/v1/customers/{}", b["id"].as_str().unwrap()));
    assert_eq!(got.status, 200);
    assert_eq!(got.body["name"], "Bob Baker");

    let page1 = app.get("/api/v1/customers?limit=2");
    assert_eq!(page1.status, 200);
    let ids: Vec<_> = page1.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, vec![c["id"].clone(), b["id"].clone()], "newest first");
    let cursor = page1.body["next_cursor"].as_str().expect("a second page");
    let page2 = app.get(&format!("/api/v1/customers?limit=2&cursor={cursor}"));
    let ids: Vec<_> = page2.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, vec![a["id"].clone()]);
    assert!(page2.body["next_cursor"].is_null());
}

#[test]
fn customer_fields_are_validated() {
    let app = TestApp::new();
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "X", "email": "not-an-email" }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
    assert_eq!(r.body["error"]["field"], "email");
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "X", "email": "x@example.com", "time_zone": "Mars/Olympus" }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "X", "email": "x@example.com", "locale": "klingon" }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
    let listed = app.get("/api/v1/customers");
    assert_eq!(
        listed.body["data"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
}

#[test]
fn a_new_address_revokes_the_old_links_and_sessions() {
    let app = TestApp::new();
    let c = app.create_customer("Moving Mo");
    let id = c["id"].as_str().unwrap();
    let link = app.portal_link(id, json!({}));
    let cookie = app.session(id);
    assert_eq!(app.portal_get(&cookie, "/invoices").status, 200);

    // Same address in another case: nothing is revoked.
    let same = c["email"].as_str().unwrap().to_uppercase();
    let r = app.patch(&format!("/api/v1/customers/{id}"), json!({ "email": same }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.portal_get(&cookie, "/invoices").status, 200);

    let r = app.patch(
        &format!("/api/v1/customers/{id}"),
        json!({ "email": format!("mo-new-{}@example.com", crate::helpers::unique()) }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.portal_get(&cookie, "/invoices");
    assert_eq!((r.status, r.code()), (401, "session_expired"), "{}", r.body);
    let opened = app.open(link["url"].as_str().unwrap());
    assert!(
        opened.set_cookie.is_none(),
        "the old link no longer starts a session"
    );
    assert!(
        opened
            .location
            .as_deref()
            .unwrap_or_default()
            .starts_with("/link"),
        "it leads to the page that offers a fresh link: {:?}",
        opened.location
    );
    // A fresh link for the new address works.
    assert_eq!(app.portal_get(&app.session(id), "/invoices").status, 200);
}
