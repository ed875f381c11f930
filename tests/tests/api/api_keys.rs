//! API keys: created with a name and shown once, listed by prefix with when
//! they were last used, rotated and revoked; a revoked key answers 401.

use crate::helpers::{Reply, TestApp};
use serde_json::json;

fn with_key(app: &TestApp, key: &str, path: &str) -> Reply {
    TestApp::reply(
        app.http
            .get(format!("{}{path}", app.base))
            .bearer_auth(key)
            .send()
            .unwrap(),
    )
}

#[test]
fn keys_are_created_listed_rotated_and_revoked() {
    let app = TestApp::new();
    let r = app.post("/api/v1/api-keys", json!({ "name": "ERP sync" }));
    assert_eq!(r.status, 201, "{}", r.body);
    let erp = r.body["api_key"].as_str().unwrap().to_owned();
    let erp_id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["name"], "ERP sync");
    assert!(erp.starts_with(r.body["prefix"].as_str().unwrap().trim_end_matches('…')));
    assert_eq!(with_key(&app, &erp, "/api/v1/customers").status, 200);

    let list = app.get("/api/v1/api-keys");
    assert_eq!(list.status, 200, "{}", list.body);
    let keys = list.body["data"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2, "the first key and the new one");
    assert!(
        keys.iter()
            .all(|k| k.get("api_key").is_none() && !k.to_string().contains(&erp)),
        "a listed key never shows its secret"
    );
    let erp_row = keys.iter().find(|k| k["id"] == erp_id.as_str()).unwrap();
    assert!(erp_row["last_used_at"].is_string(), "{erp_row}");

    // Rotating gives a new secret under the same name; the old one stops.
    let r = app.post(&format!("/api/v1/api-keys/{erp_id}/rotate"), json!({}));
    assert_eq!(r.status, 201, "{}", r.body);
    let rotated = r.body["api_key"].as_str().unwrap().to_owned();
    assert_eq!(r.body["name"], "ERP sync");
    assert_eq!(with_key(&app, &erp, "/api/v1/customers").status, 401);
    assert_eq!(with_key(&app, &rotated, "/api/v1/customers").status, 200);

    // Revoked: 401 at once, and revoking again changes nothing.
    let rotated_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/api/v1/api-keys/{rotated_id}/revoke"), json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["revoked_at"].is_string());
    let r = with_key(&app, &rotated, "/api/v1/customers");
    assert_eq!((r.status, r.code()), (401, "unauthorized"));
    assert_eq!(
        app.post(&format!("/api/v1/api-keys/{rotated_id}/revoke"), json!({}))
            .status,
        200
    );
    let r = app.post(&format!("/api/v1/api-keys/{rotated_id}/rotate"), json!({}));
    assert_eq!((r.status, r.code()), (409, "conflict"));

    // The last active key cannot be revoked: the company would be locked out.
    let own = app.get("/api/v1/api-keys").body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["revoked_at"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.post(&format!("/api/v1/api-keys/{own}/revoke"), json!({}));
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert_eq!(app.get("/api/v1/customers").status, 200);

    let audit = app.audit_actions();
    for a in ["api_key.created", "api_key.rotated", "api_key.revoked"] {
        assert!(audit.iter().any(|x| x == a), "{a} in {audit:?}");
    }
}

#[test]
fn bad_key_requests_are_refused_clearly() {
    let app = TestApp::new();
    let other = TestApp::new();
    let r = app.post("/api/v1/api-keys", json!({ "name": "" }));
    assert_eq!((r.status, r.code()), (422, "invalid_field"), "{}", r.body);
    let r = app.post("/api/v1/api-keys", json!({ "name": "x".repeat(101) }));
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.post("/api/v1/api-keys", json!({ "name": "ok", "scope": "all" }));
    assert_eq!(r.status / 100, 4, "unknown fields are refused: {}", r.body);
    // Another organization's key is not found here.
    let theirs = other.get("/api/v1/api-keys").body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.post(&format!("/api/v1/api-keys/{theirs}/revoke"), json!({}));
    assert_eq!((r.status, r.code()), (404, "not_found"));
    assert_eq!(other.get("/api/v1/customers").status, 200);
    let r = app.post("/api/v1/api-keys/not-a-key/rotate", json!({}));
    assert_eq!(r.status, 404);
}
