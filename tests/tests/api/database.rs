//! Guarantees checked in the database itself, through `wrangler d1 execute`
//! on the worker's local D1. These tests touch the SQLite file from outside
//! the worker, so `cargo xtask test` runs them on their own, one at a time,
//! after the others (an outside writer would make the worker's own writes
//! wait on the file lock).

/// A generated year loaded straight into D1 (through wrangler, which holds
/// the database while it loads): run with the other direct-to-D1 tests.
#[path = "history.rs"]
mod history;

use crate::helpers::{TestApp, d1, d1_try, link_in};
use serde_json::json;

#[test]
fn tokens_are_stored_hashed() {
    let app = TestApp::new();
    let c = app.create_customer("Hal Hash");
    let link = app.portal_link(c["id"].as_str().unwrap(), json!({}));
    let token = link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let rows = d1(&format!(
        "SELECT token_hash FROM access_links WHERE id = '{}'",
        link["id"].as_str().unwrap()
    ));
    let stored = rows[0]["token_hash"].as_str().unwrap();
    assert_eq!(stored.len(), 64, "a SHA-256");
    assert!(!stored.contains(&token[3..]));
    let keys = d1(&format!(
        "SELECT key_hash FROM api_keys WHERE organization_id = '{}'",
        app.org_id
    ));
    assert_ne!(keys[0]["key_hash"].as_str().unwrap(), app.key);
}

#[test]
fn stripe_keys_are_sealed_at_rest() {
    let app = TestApp::new();
    let (key, hook) = crate::stripe_account::connect(&app);
    let row = d1(&format!(
        "SELECT * FROM stripe_accounts WHERE organization_id = '{}'",
        app.org_id
    ));
    let stored = serde_json::to_string(&row).unwrap();
    assert!(
        row[0]["secret_key_sealed"]
            .as_str()
            .unwrap()
            .starts_with("v1.")
    );
    assert!(
        !stored.contains(&key[8..]) && !stored.contains(&hook[6..]),
        "{stored}"
    );
    assert_eq!(row[0]["secret_key_last4"], key[key.len() - 4..]);
}

#[test]
fn an_expired_link_is_refused() {
    let app = TestApp::new();
    let c = app.create_customer("Eli Expired");
    let link = app.portal_link(c["id"].as_str().unwrap(), json!({}));
    d1(&format!(
        "UPDATE access_links SET expires_at = 1000 WHERE id = '{}'",
        link["id"].as_str().unwrap()
    ));
    let r = app.open(link["url"].as_str().unwrap());
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/link?reason=expired"));
    assert!(r.set_cookie.is_none());
    let trail = app.get(&format!(
        "/api/v1/audit-events?subject={}",
        link["id"].as_str().unwrap()
    ));
    assert_eq!(trail.body["data"][0]["action"], "link.refused");
    assert_eq!(trail.body["data"][0]["detail"]["reason"], "expired");
}

#[test]
fn refused_requests_leave_no_rows() {
    let app = TestApp::new();
    let c = app.create_customer("Ned Nothing");
    let mut dup = TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR");
    dup["number"] = json!("DUP-1");
    assert_eq!(app.post("/api/v1/invoices", dup.clone()).status, 201);
    assert_eq!(app.post("/api/v1/invoices", dup).status, 409);
    let mut mismatch = TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR");
    mismatch["lines"][1]["currency"] = json!("USD");
    assert_eq!(app.post("/api/v1/invoices", mismatch).status, 422);
    let mut overflow = TestApp::invoice_body(c["id"].as_str().unwrap(), "EUR");
    overflow["lines"][1]["unit_amount"] = json!(9_223_372_036_854_775_808u64);
    assert_eq!(app.post("/api/v1/invoices", overflow).status, 422);
    let rows = d1(&format!(
        "SELECT (SELECT COUNT(*) FROM invoices WHERE organization_id = '{o}') AS invoices, \
         (SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.organization_id = '{o}') AS lines, \
         (SELECT COUNT(*) FROM audit_events WHERE organization_id = '{o}' AND action = 'invoice.created') AS audits",
        o = app.org_id
    ));
    assert_eq!(
        (
            rows[0]["invoices"].as_i64(),
            rows[0]["lines"].as_i64(),
            rows[0]["audits"].as_i64()
        ),
        (Some(1), Some(2), Some(1))
    );
}

#[test]
fn the_ledger_and_the_audit_trail_are_append_only() {
    let app = TestApp::new();
    let c = app.create_customer("Ada Append");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    let pay = app.post(
        &format!("/api/v1/invoices/{id}/payments"),
        json!({ "amount": 100, "currency": "EUR", "method": "cash" }),
    );
    assert_eq!(pay.status, 201);
    for sql in [
        format!(
            "DELETE FROM audit_events WHERE organization_id = '{}'",
            app.org_id
        ),
        format!(
            "UPDATE audit_events SET actor = 'x' WHERE organization_id = '{}'",
            app.org_id
        ),
        format!("DELETE FROM payments WHERE invoice_id = '{id}'"),
        format!("UPDATE payments SET amount = 1 WHERE invoice_id = '{id}'"),
    ] {
        let r = d1_try(&sql);
        assert!(
            r.as_ref().is_err_and(|e| e.contains("append-only")),
            "{sql}: {r:?}"
        );
    }
    let rows = d1(&format!(
        "SELECT COUNT(*) AS n FROM payments WHERE invoice_id = '{id}'"
    ));
    assert_eq!(rows[0]["n"], 1);
}

#[test]
fn a_sent_email_is_kept_without_its_token() {
    let app = TestApp::new();
    let c = app.create_customer("Sid Stored");
    let id = app.send_invoice(c["id"].as_str().unwrap())["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mails = app.wait_for_emails(c["email"].as_str().unwrap(), 1);
    let link = link_in(&mails[0]);
    let token = link.rsplit('/').next().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let stored = loop {
        let rows = d1(&format!(
            "SELECT html, text, status FROM emails WHERE invoice_id = '{id}'"
        ));
        if rows[0]["status"] == "sent" || std::time::Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    assert_eq!(stored[0]["status"], "sent");
    let (html, text) = (
        stored[0]["html"].as_str().unwrap(),
        stored[0]["text"].as_str().unwrap(),
    );
    assert!(!html.contains(token) && !text.contains(token));
    assert!(
        text.contains("/c/[lnk_"),
        "the link id stands in for the token: {text}"
    );
}

/// A subscription whose `billed_to` went back (a lost write, a restore):
/// the next run finds the period's row, issues nothing, counts it skipped
/// and puts `billed_to` right.
#[test]
fn a_billing_run_after_a_lost_write_issues_nothing_twice() {
    use crate::subscriptions::{created, invoices};
    let app = TestApp::new();
    created(app.post(
        "/api/v1/catalog/plans",
        json!({ "code": "basic", "name": "Basic", "interval": "month", "prices": { "EUR": 900 } }),
    ));
    let c = app.create_customer("Lou Lost")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sub = created(app.post(
        "/api/v1/subscriptions",
        json!({ "customer_id": c, "plan": "basic", "currency": "EUR" }),
    ));
    let (id, start) = (
        sub["id"].as_str().unwrap(),
        sub["start_date"].as_str().unwrap(),
    );
    let run_done = |issued: i64, skipped: i64| {
        crate::helpers::eventually(60, "the billing run", || {
            let r = &app.get("/api/v1/billing-runs").body["data"][0];
            r["status"] == "done" && r["issued"] == issued && r["skipped"] == skipped
        })
    };
    let r = app.post("/api/v1/billing-runs", json!({}));
    assert_eq!(r.status, 202, "{}", r.body);
    run_done(1, 0);
    assert_eq!(invoices(&app, &c).len(), 1);
    let billed_to = app.get(&format!("/api/v1/subscriptions/{id}")).body["billed_to"].clone();
    d1(&format!(
        "UPDATE subscriptions SET billed_to = '{start}' WHERE id = '{id}'"
    ));
    // And the run's progress lost with it, as when a job is killed between
    // its invoices and its progress: the count comes back from the periods.
    d1(&format!(
        "UPDATE billing_runs SET issued = 0 WHERE organization_id = '{}'",
        app.org_id
    ));
    let r = app.post("/api/v1/billing-runs", json!({}));
    assert_eq!(r.status, 202, "{}", r.body);
    run_done(1, 1);
    assert_eq!(invoices(&app, &c).len(), 1);
    assert_eq!(
        app.get(&format!("/api/v1/subscriptions/{id}")).body["billed_to"],
        billed_to
    );
}

/// Someone with the database in hand drops the append-only trigger and
/// edits one audit row, then (elsewhere) deletes one: the chain check and an
/// evidence pack exported afterwards both fail and name the row.
#[test]
fn tampering_with_one_audit_row_is_found_and_named() {
    use settle_shared::evidence::{chain::ChainBreak, pack};
    let app = TestApp::new();
    let (cid, _) = crate::evidence::customer_with_history(&app, "Tom Tamper");
    let before = app.get(&format!("/api/v1/customers/{cid}/evidence")).body;
    assert!(pack::verify(&before.to_string()).is_ok());
    let rows = before["audit"].as_array().unwrap();
    let victim = rows
        .iter()
        .find(|r| r["action"] == "payment.recorded")
        .expect("the payment's audit row");
    let (id, seq) = (
        victim["id"].as_str().unwrap(),
        victim["seq"].as_i64().unwrap(),
    );
    // A sealed row cannot be changed while the trigger stands.
    let r = d1_try(&format!(
        "UPDATE audit_events SET detail = '{{\"amount\":5}}' WHERE id = '{id}'"
    ));
    assert!(r.is_err_and(|e| e.contains("append-only")));
    let trigger =
        d1("SELECT sql FROM sqlite_master WHERE name = 'audit_append_only_update'")[0]["sql"]
            .as_str()
            .unwrap()
            .to_owned();
    d1(&format!(
        "DROP TRIGGER audit_append_only_update; \
         UPDATE audit_events SET detail = json_set(detail, '$.amount', 5) WHERE id = '{id}'; {trigger};"
    ));
    let check = app.get("/api/v1/audit-events/verify");
    assert_eq!(check.body["intact"], false, "{}", check.body);
    assert_eq!(check.body["break"]["detail"]["kind"], "altered");
    assert_eq!(check.body["break"]["detail"]["id"], id);
    assert_eq!(check.body["break"]["detail"]["seq"], seq);
    assert!(
        check.body["break"]["message"]
            .as_str()
            .unwrap()
            .contains(id)
    );
    let after = app.get(&format!("/api/v1/customers/{cid}/evidence")).body;
    match pack::verify(&after.to_string()) {
        Err(pack::PackError::Chain(ChainBreak::Altered { seq: s, id: i })) => {
            assert_eq!((s, i.as_str()), (seq, id));
        }
        other => panic!("expected the edited row named, got {other:?}"),
    }
    // The pack made before the edit still verifies: it is the copy to
    // compare with.
    assert!(pack::verify(&before.to_string()).is_ok());

    // Removing a row (another organization, its chain intact so far).
    let other = TestApp::new();
    let (oc, _) = crate::evidence::customer_with_history(&other, "Rita Removed");
    let p = other.get(&format!("/api/v1/customers/{oc}/evidence")).body;
    let gone = &p["audit"].as_array().unwrap()[1];
    let delete =
        d1("SELECT sql FROM sqlite_master WHERE name = 'audit_append_only_delete'")[0]["sql"]
            .as_str()
            .unwrap()
            .to_owned();
    d1(&format!(
        "DROP TRIGGER audit_append_only_delete; DELETE FROM audit_events WHERE id = '{}'; {delete};",
        gone["id"].as_str().unwrap()
    ));
    let check = other.get("/api/v1/audit-events/verify");
    assert_eq!(check.body["intact"], false, "{}", check.body);
    assert_eq!(check.body["break"]["detail"]["kind"], "missing");
    assert_eq!(check.body["break"]["detail"]["from"], gone["seq"]);
}
