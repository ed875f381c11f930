//! Customer links and sessions: opening, expiry, revocation, forgery, CSRF,
//! and asking for a fresh link.

use crate::helpers::{TestApp, cookie_pair, link_in, unique};
use serde_json::json;

#[test]
fn opening_a_link_starts_a_session() {
    let app = TestApp::new();
    let c = app.create_customer("Sam Session");
    let cid = c["id"].as_str().unwrap();
    let link = app.portal_link(cid, json!({ "expires_in_days": 7 }));
    let url = link["url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap();
    assert!(token.len() >= 3 + 43, "256-bit token");

    let r = app.open(url);
    // The landing page at once (no redirect): the portal's page with the
    // company's bar, the heading, the data requested alongside the wasm, and
    // the token taken out of the address bar.
    assert_eq!(r.status, 200);
    assert_eq!(r.location.as_deref(), Some("/invoices"));
    let html = r.body.as_str().unwrap();
    assert!(html.contains("<h1>Your invoices</h1>"), "{html}");
    assert!(html.contains("Test Co"));
    assert!(html.contains("history.replaceState(null,\"\",\"/invoices\")"));
    assert!(
        html.contains("rel=\"preload\" as=\"fetch\" crossorigin href=\"/api/v1/portal/session\"")
    );
    assert!(!html.contains(token), "the token is not in the page");
    let set = r.set_cookie.unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{attr} in {set}");
    }
    let cookie = cookie_pair(&set);
    let s = app.portal_get(&cookie, "/session");
    assert_eq!(s.status, 200);
    assert_eq!(s.body["customer_name"], "Sam Session");
    assert_eq!(s.body["organization"]["display_name"], "Test Co");
    assert_eq!(s.body["organization"]["primary_color"], "#7c3aed");
    let trail = app.get(&format!(
        "/api/v1/audit-events?subject={}",
        link["id"].as_str().unwrap()
    ));
    let actions: Vec<_> = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        actions.contains(&"link.opened".to_owned()) && actions.contains(&"link.issued".to_owned())
    );
}

#[test]
fn a_link_checked_with_head_is_not_opened() {
    let app = TestApp::new();
    let c = app.create_customer("Hedy Head");
    let link = app.portal_link(c["id"].as_str().unwrap(), json!({}));
    let url = link["url"].as_str().unwrap();
    let head = app.http.head(url).send().unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert!(
        head.headers().get("set-cookie").is_none(),
        "a link preview starts no session"
    );
    let trail = app.get(&format!(
        "/api/v1/audit-events?subject={}",
        link["id"].as_str().unwrap()
    ));
    assert!(
        trail.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] != "link.opened")
    );
    assert_eq!(
        app.open(url).location.as_deref(),
        Some("/invoices"),
        "and the customer can still open it"
    );
}

#[test]
fn a_link_for_an_invoice_lands_on_it() {
    let app = TestApp::new();
    let c = app.create_customer("Ivy Invoice");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let link = app.portal_link(
        c["id"].as_str().unwrap(),
        json!({ "invoice_id": inv["id"] }),
    );
    let r = app.open(link["url"].as_str().unwrap());
    assert_eq!(
        r.location,
        Some(format!("/invoices/{}", inv["id"].as_str().unwrap()))
    );
    let foreign = app.post(
        &format!(
            "/api/v1/customers/{}/portal-links",
            c["id"].as_str().unwrap()
        ),
        json!({ "invoice_id": "inv_00000000000000000000000000000000" }),
    );
    assert_eq!((foreign.status, foreign.code()), (404, "not_found"));
    let bad = app.post(
        &format!(
            "/api/v1/customers/{}/portal-links",
            c["id"].as_str().unwrap()
        ),
        json!({ "expires_in_days": 0 }),
    );
    assert_eq!(bad.code(), "invalid_field");
}

#[test]
fn forged_and_revoked_links_are_refused() {
    let app = TestApp::new();
    let c = app.create_customer("Rex Refused");
    let cid = c["id"].as_str().unwrap();
    for forged in [
        "cl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "nonsense",
        "cl_%27%20OR%201%3D1",
    ] {
        let r = app.open(&format!("{}/c/{forged}", app.base));
        assert_eq!(r.status, 303, "{forged}");
        assert_eq!(r.location.as_deref(), Some("/link?reason=invalid"));
        assert!(r.set_cookie.is_none());
    }

    let link = app.portal_link(cid, json!({}));
    let cookie = cookie_pair(&app.open(link["url"].as_str().unwrap()).set_cookie.unwrap());
    assert_eq!(app.portal_get(&cookie, "/session").status, 200);
    let revoked = app.post(
        &format!(
            "/api/v1/portal-links/{}/revoke",
            link["id"].as_str().unwrap()
        ),
        json!({}),
    );
    assert_eq!(revoked.status, 200);
    assert!(revoked.body["revoked_at"].is_string());
    assert!(
        revoked.body["url"].is_null(),
        "the secret URL is shown only once"
    );
    let r = app.open(link["url"].as_str().unwrap());
    assert_eq!(r.location.as_deref(), Some("/link?reason=invalid"));
    let s = app.portal_get(&cookie, "/session");
    assert_eq!(
        (s.status, s.code()),
        (401, "session_expired"),
        "revoking ends the sessions it started"
    );

    let forged_cookie = app.portal_get(
        "settle_session=cs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/invoices",
    );
    assert_eq!(
        (forged_cookie.status, forged_cookie.code()),
        (401, "session_expired")
    );
    assert_eq!(app.portal_get("", "/invoices").status, 401);
}

#[test]
fn sign_out_needs_the_same_origin() {
    let app = TestApp::new();
    let c = app.create_customer("Cora Csrf");
    let cookie = app.session(c["id"].as_str().unwrap());
    let post = |site: Option<&str>, origin: Option<&str>| {
        let mut r = app
            .http
            .post(format!("{}/api/v1/portal/sign-out", app.base))
            .header("Cookie", &cookie);
        if let Some(s) = site {
            r = r.header("Sec-Fetch-Site", s);
        }
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        TestApp::reply(r.send().unwrap())
    };
    assert_eq!(
        post(Some("cross-site"), Some("https://evil.example")).code(),
        "csrf_rejected"
    );
    assert_eq!(post(None, None).code(), "csrf_rejected");
    assert_eq!(
        app.portal_get(&cookie, "/session").status,
        200,
        "still signed in"
    );
    let out = post(Some("same-origin"), Some(&app.base));
    assert_eq!(out.status, 200);
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(app.portal_get(&cookie, "/session").status, 401);
}

#[test]
fn a_fresh_link_by_email_reveals_nothing_and_is_rate_limited() {
    let app = TestApp::new();
    let c = app.create_customer("Fay Fresh");
    let email = c["email"].as_str().unwrap();
    let ask = |address: &str, ip: &str| {
        TestApp::reply(
            app.http
                .post(format!("{}/api/v1/portal/link-requests", app.base))
                .header("CF-Connecting-IP", ip)
                .json(&json!({ "email": address }))
                .send()
                .unwrap(),
        )
    };
    let ip = format!("198.51.100.{}", unique().len());
    let known = ask(&email.to_uppercase(), &ip);
    let unknown = ask(&format!("nobody-{}@example.com", unique()), &ip);
    assert_eq!((known.status, unknown.status), (202, 202));
    assert_eq!(
        known.body, unknown.body,
        "the same answer whether or not the address exists"
    );

    let mails = app.wait_for_emails(email, 1);
    assert_eq!(mails.len(), 1);
    let link = link_in(&mails[0]);
    let r = app.open(&link);
    assert_eq!(
        r.location.as_deref(),
        Some("/invoices"),
        "the emailed link works"
    );

    assert_eq!(ask(email, &ip).status, 202);
    assert_eq!(ask(email, &ip).status, 202);
    let limited = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/portal/link-requests", app.base))
            .header("CF-Connecting-IP", &ip)
            .json(&json!({ "email": email }))
            .send()
            .unwrap(),
    );
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"));
    let again = app
        .http
        .post(format!("{}/api/v1/portal/link-requests", app.base))
        .json(&json!({ "email": email }))
        .send()
        .unwrap();
    let retry_after: i64 = again.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=3600).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let bad = ask("not an email", &ip);
    assert_eq!((bad.status, bad.code()), (422, "invalid_field"));
}
