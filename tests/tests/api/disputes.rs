//! Disputes as conversations: the customer says from the portal what is
//! wrong, both sides write in the thread, and the company ends it with a
//! credit note (through the ledger) or a rejection the customer may contest
//! once. Bad claims and messages are refused and write nothing; threads are
//! readable only by the invoice's customer and the organization.

use crate::helpers::{Reply, TestApp};
use serde_json::{Value, json};

fn portal_post(app: &TestApp, cookie: &str, path: &str, body: Value) -> Reply {
    TestApp::reply(
        app.http
            .post(format!("{}/api/v1/portal{path}", app.base))
            .header("Cookie", cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .json(&body)
            .send()
            .unwrap(),
    )
}

/// An organization, a customer signed in to the portal, and an open
/// invoice: line 1 is 3 × 12.50 + 20 % tax = 45.00, line 2 is 50.00.
fn setup(name: &str) -> (TestApp, String, Value) {
    let app = TestApp::new();
    let c = app.create_customer(name);
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let cookie = app.session(c["id"].as_str().unwrap());
    (app, cookie, inv)
}

fn open(app: &TestApp, cookie: &str, inv: &Value, body: Value) -> Reply {
    portal_post(
        app,
        cookie,
        &format!("/invoices/{}/disputes", inv["id"].as_str().unwrap()),
        body,
    )
}

#[test]
fn a_customer_disputes_a_line_and_it_ends_with_a_credit_note() {
    let (app, cookie, inv) = setup("Dora Dispute");
    let r = open(
        &app,
        &cookie,
        &inv,
        json!({ "reason": "wrong_items", "lines": [1], "message": "Two widgets came, not three." }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["status"], "open");
    assert_eq!(r.body["kind"], "customer");
    assert_eq!(r.body["reason"], "wrong_items");
    assert_eq!(r.body["lines"], json!([1]));
    assert_eq!(r.body["disputed_amount"], 4500);
    assert_eq!(r.body["messages"][0]["author"], "customer");
    assert_eq!(r.body["messages"][0]["author_name"], "Dora Dispute");
    // The invoice shows "in dispute", and what it holds.
    let seen = app.portal_get(
        &cookie,
        &format!("/invoices/{}", inv["id"].as_str().unwrap()),
    );
    assert_eq!(seen.body["dispute_id"], id.as_str());
    assert_eq!(seen.body["disputed_amount"], 4500);

    // The company sees it, unread, and answers.
    let list = app.get("/api/v1/disputes?status=open");
    assert_eq!(list.status, 200, "{}", list.body);
    let row = &list.body["data"][0];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["unread"], 1);
    assert_eq!(row["invoice_number"], inv["number"]);
    let read = app.get(&format!("/api/v1/disputes/{id}"));
    assert_eq!(read.body["messages"].as_array().unwrap().len(), 1);
    let answer = app.post(
        &format!("/api/v1/disputes/{id}/messages"),
        json!({ "body": "Sorry! We will credit the missing widget." }),
    );
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["author"], "member");
    // The customer sees the answer, and that the company read theirs.
    let thread = app.portal_get(&cookie, &format!("/disputes/{id}"));
    assert_eq!(thread.status, 200, "{}", thread.body);
    assert_eq!(thread.body["messages"].as_array().unwrap().len(), 2);
    assert_eq!(thread.body["unread"], 1);
    assert!(thread.body["other_side_read_at"].is_string());
    assert_eq!(
        app.portal_get(&cookie, &format!("/disputes/{id}")).body["unread"],
        0
    );

    // Resolved with a credit note: the balance drops through the ledger.
    let r = app.post(
        &format!("/api/v1/disputes/{id}/resolve"),
        json!({ "outcome": "credit_note", "credit_amount": 1500, "resolution": "Credited one widget (15.00)." }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(r.body["outcome"], "credit_note");
    assert_eq!(r.body["credit_note"]["amount"], 1500);
    assert!(
        r.body["credit_note"]["number"]
            .as_str()
            .unwrap()
            .starts_with("CN-")
    );
    assert_eq!(
        r.body["messages"].as_array().unwrap().last().unwrap()["body"],
        "Credited one widget (15.00)."
    );
    let after = app.get(&format!("/api/v1/invoices/{}", inv["id"].as_str().unwrap()));
    assert_eq!(
        after.body["amount_due"].as_i64().unwrap(),
        inv["total"].as_i64().unwrap() - 1500
    );
    let rows = app.get(&format!(
        "/api/v1/invoices/{}/payments",
        inv["id"].as_str().unwrap()
    ));
    assert_eq!(rows.body["data"][0]["kind"], "credit_note", "{}", rows.body);
    // Closed: nothing more is written in it.
    let late = portal_post(
        &app,
        &cookie,
        &format!("/disputes/{id}/messages"),
        json!({ "body": "Thanks!" }),
    );
    assert_eq!((late.status, late.code()), (409, "conflict"));
    let again = app.post(
        &format!("/api/v1/disputes/{id}/resolve"),
        json!({ "resolution": "again" }),
    );
    assert_eq!((again.status, again.code()), (409, "conflict"));
    let actions = app.audit_actions();
    for a in [
        "dispute.opened",
        "dispute.message",
        "dispute.resolved",
        "credit_note.issued",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
}

#[test]
fn a_wrong_invoice_is_replaced_by_its_correction_sent_by_email() {
    let (app, cookie, inv) = setup("Corrie Correct");
    let old_id = inv["id"].as_str().unwrap().to_owned();
    let old_number = inv["number"].as_str().unwrap().to_owned();
    let r = open(
        &app,
        &cookie,
        &inv,
        json!({ "reason": "wrong_amount", "lines": [1], "expected_amount": 3000, "message": "We agreed 25.00 a widget less." }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let resolve = |body: Value| app.post(&format!("/api/v1/disputes/{id}/resolve"), body);
    let lines = json!([
        { "description": "Widgets", "quantity": "3", "unit_amount": 1000, "tax_rate": "20" },
        { "description": "Setup", "quantity": 1, "unit_amount": 5000 }
    ]);

    // Bad corrections are refused by field, and change nothing.
    let missing = resolve(json!({ "outcome": "corrected_invoice", "resolution": "Fixed." }));
    assert_eq!(
        (missing.status, missing.code()),
        (422, "missing_field"),
        "{}",
        missing.body
    );
    assert_eq!(missing.body["error"]["field"], "corrected_invoice");
    let stray = resolve(json!({ "outcome": "credit_note", "credit_amount": 100,
        "corrected_invoice": { "lines": lines }, "resolution": "Fixed." }));
    assert_eq!(
        (stray.status, stray.body["error"]["field"].as_str()),
        (422, Some("corrected_invoice")),
        "{}",
        stray.body
    );
    let empty = resolve(
        json!({ "outcome": "corrected_invoice", "corrected_invoice": { "lines": [] }, "resolution": "Fixed." }),
    );
    assert_eq!(empty.status, 422, "{}", empty.body);
    assert_eq!(empty.body["error"]["field"], "corrected_invoice.lines");
    let zero = resolve(json!({ "outcome": "corrected_invoice",
        "corrected_invoice": { "lines": [{ "description": "Widgets", "quantity": "0", "unit_amount": 1000 }] },
        "resolution": "Fixed." }));
    assert_eq!(zero.status, 422, "{}", zero.body);
    assert!(
        zero.body["error"]["field"]
            .as_str()
            .unwrap()
            .starts_with("corrected_invoice.lines[0]"),
        "{}",
        zero.body
    );
    let same = resolve(json!({ "outcome": "corrected_invoice",
        "corrected_invoice": { "number": old_number, "lines": lines }, "resolution": "Fixed." }));
    assert_eq!(
        (same.status, same.body["error"]["field"].as_str()),
        (422, Some("corrected_invoice.number")),
        "{}",
        same.body
    );
    // A number another invoice has: 409 on the field, nothing written.
    let other = app.create_invoice(inv["customer_id"].as_str().unwrap());
    let taken = resolve(json!({ "outcome": "corrected_invoice",
        "corrected_invoice": { "number": other["number"], "lines": lines }, "resolution": "Fixed." }));
    assert_eq!(
        (taken.status, taken.code()),
        (409, "conflict"),
        "{}",
        taken.body
    );
    assert_eq!(taken.body["error"]["field"], "corrected_invoice.number");
    let still = app.get(&format!("/api/v1/invoices/{old_id}"));
    assert_eq!(still.body["status"], "open", "nothing was voided");
    assert_eq!(
        app.get(&format!("/api/v1/disputes/{id}")).body["status"],
        "open"
    );

    // The correction: the old invoice void, the new one open and emailed.
    let r = resolve(
        json!({ "outcome": "corrected_invoice", "corrected_invoice": { "lines": lines },
        "resolution": "You are right: here is the corrected invoice." }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(r.body["outcome"], "corrected_invoice");
    let new_number = format!("{old_number}-R1");
    assert_eq!(r.body["corrected_invoice"]["number"], new_number.as_str());
    let new_id = r.body["corrected_invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = app.get(&format!("/api/v1/invoices/{old_id}"));
    assert_eq!(old.body["status"], "void");
    assert_eq!(old.body["amount_due"], 0);
    assert_eq!(old.body["replaced_by"]["id"], new_id.as_str());
    assert!(old.body["dispute_id"].is_null(), "no longer in dispute");
    let new = app.get(&format!("/api/v1/invoices/{new_id}"));
    assert_eq!(new.body["status"], "open");
    assert_eq!(new.body["customer_id"], inv["customer_id"]);
    assert_eq!(new.body["currency"], "EUR");
    assert_eq!(new.body["total"], 3600 + 5000);
    assert_eq!(
        new.body["due_date"], inv["due_date"],
        "the old due date, still ahead"
    );
    assert_eq!(new.body["replaces"]["id"], old_id.as_str());
    // The customer sees both, and the thread says what replaced what.
    let thread = app.portal_get(&cookie, &format!("/disputes/{id}"));
    assert_eq!(thread.body["corrected_invoice"]["id"], new_id.as_str());
    let mine = app.portal_get(&cookie, &format!("/invoices/{new_id}"));
    assert_eq!(
        (mine.status, &mine.body["replaces"]["number"]),
        (200, &json!(old_number))
    );
    // The invoice email goes out for the new one, and says it replaces the old.
    let to = app.customer_email(inv["customer_id"].as_str().unwrap());
    let mails = app.wait_for_emails(&to, 1);
    let mail = mails
        .iter()
        .find(|m| m["subject"].as_str().unwrap_or("").contains(&new_number))
        .unwrap_or_else(|| panic!("the corrected invoice's email in {mails:?}"));
    let text = mail["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(&format!("It replaces invoice {old_number}, which is void")),
        "{text}"
    );

    // Once: a resolved dispute is not corrected again, and a void invoice
    // cannot be replaced twice.
    let again = resolve(
        json!({ "outcome": "corrected_invoice", "corrected_invoice": { "lines": lines }, "resolution": "Again." }),
    );
    assert_eq!(
        (again.status, again.code()),
        (409, "conflict"),
        "{}",
        again.body
    );
    let actions = app.audit_actions();
    for a in ["invoice.voided", "invoice.created", "dispute.resolved"] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
}

#[test]
fn a_part_paid_invoice_is_not_replaced_but_credited() {
    let (app, cookie, inv) = setup("Parker Part");
    let inv_id = inv["id"].as_str().unwrap();
    let paid = app.post(
        &format!("/api/v1/invoices/{inv_id}/payments"),
        json!({ "amount": 1000, "currency": "EUR", "method": "bank_transfer" }),
    );
    assert_eq!(paid.status, 201, "{}", paid.body);
    let r = open(
        &app,
        &cookie,
        &inv,
        json!({ "reason": "wrong_items", "lines": [2] }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap();
    let refused = app.post(
        &format!("/api/v1/disputes/{id}/resolve"),
        json!({ "outcome": "corrected_invoice", "resolution": "Fixed.",
                "corrected_invoice": { "lines": [{ "description": "Widgets", "quantity": 3, "unit_amount": 1250 }] } }),
    );
    assert_eq!(
        (refused.status, refused.code()),
        (409, "conflict"),
        "{}",
        refused.body
    );
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("credit note"),
        "{}",
        refused.body
    );
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{inv_id}")).body["status"],
        "open"
    );
}

#[test]
fn a_rejection_can_be_contested_once() {
    let (app, cookie, inv) = setup("Rita Reject");
    let r = open(&app, &cookie, &inv, json!({ "reason": "not_received" }));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["disputed_amount"], inv["total"]);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let reject = |why: &str| {
        app.post(
            &format!("/api/v1/disputes/{id}/reject"),
            json!({ "reason": why }),
        )
    };
    let r = reject("Signed for on 2 December by J. Smith.");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "rejected");
    let seen = app.portal_get(&cookie, &format!("/disputes/{id}"));
    assert_eq!(seen.body["can_reopen"], true);
    assert_eq!(
        seen.body["resolution"],
        "Signed for on 2 December by J. Smith."
    );
    let empty = portal_post(
        &app,
        &cookie,
        &format!("/disputes/{id}/reopen"),
        json!({ "body": " " }),
    );
    assert_eq!(empty.code(), "invalid_field", "a reopening says why");
    let r = portal_post(
        &app,
        &cookie,
        &format!("/disputes/{id}/reopen"),
        json!({ "body": "Nobody called J. Smith works here." }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "open");
    assert_eq!(r.body["can_reopen"], false);
    assert_eq!(reject("The courier's photo shows your door.").status, 200);
    let r = portal_post(
        &app,
        &cookie,
        &format!("/disputes/{id}/reopen"),
        json!({ "body": "Still no." }),
    );
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert_eq!(
        app.portal_get(&cookie, &format!("/disputes/{id}")).body["can_reopen"],
        false
    );
}

#[test]
fn bad_claims_and_messages_are_refused_and_write_nothing() {
    let (app, cookie, inv) = setup("Bart Bad");
    let refused = |body: Value, status: u16, code: &str| {
        let r = open(&app, &cookie, &inv, body.clone());
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.body);
    };
    refused(json!({ "reason": "wrong_amount" }), 422, "missing_field");
    refused(
        json!({ "reason": "wrong_amount", "expected_amount": 999_999 }),
        422,
        "amount_out_of_range",
    );
    refused(
        json!({ "reason": "wrong_items", "lines": [9] }),
        422,
        "invalid_field",
    );
    refused(
        json!({ "reason": "wrong_items", "lines": [1, 1] }),
        422,
        "invalid_field",
    );
    refused(
        json!({ "reason": "wrong_items", "lines": [] }),
        422,
        "invalid_field",
    );
    refused(
        json!({ "reason": "duplicate", "expected_amount": 10 }),
        422,
        "invalid_field",
    );
    refused(json!({ "reason": "because" }), 422, "invalid_field");
    refused(
        json!({ "reason": "other", "message": "x".repeat(4001) }),
        422,
        "string_too_long",
    );
    refused(
        json!({ "reason": "other", "colour": "red" }),
        422,
        "unknown_field",
    );
    assert!(
        app.get("/api/v1/disputes").body["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing written"
    );

    // Markup, script and reordering characters are text, kept as typed.
    let xss = "<script>alert(1)</script><img src=x onerror=alert(2)> <a href=\"javascript:alert(3)\">x</a> \u{202E}fdp.exe";
    let r = open(
        &app,
        &cookie,
        &inv,
        json!({ "reason": "other", "message": xss }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["messages"][0]["body"], xss);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let company = app.get(&format!("/api/v1/disputes/{id}"));
    assert_eq!(company.body["messages"][0]["body"], xss);
    // One open dispute per invoice.
    refused(json!({ "reason": "other" }), 409, "conflict");

    // Someone else's: 404, whoever asks.
    let (other, other_cookie, _) = setup("Olga Other");
    assert_eq!(
        other
            .portal_get(&other_cookie, &format!("/disputes/{id}"))
            .status,
        404
    );
    assert_eq!(other.get(&format!("/api/v1/disputes/{id}")).status, 404);
    let r = portal_post(
        &other,
        &other_cookie,
        &format!("/disputes/{id}/messages"),
        json!({ "body": "hi" }),
    );
    assert_eq!(r.status, 404);
    let r = other.post(
        &format!("/api/v1/disputes/{id}/messages"),
        json!({ "body": "hi" }),
    );
    assert_eq!(r.status, 404);
    assert_eq!(app.portal_get(&cookie, "/disputes/dsp_nope").status, 404);
    let r = open(&other, &other_cookie, &inv, json!({ "reason": "other" }));
    assert_eq!(r.status, 404, "another customer's invoice");
    // A credit note above what is due, or without an amount.
    let r = app.post(
        &format!("/api/v1/disputes/{id}/resolve"),
        json!({ "outcome": "credit_note", "credit_amount": 999_999, "resolution": "x" }),
    );
    assert_eq!(
        (r.status, r.code()),
        (422, "amount_out_of_range"),
        "{}",
        r.body
    );
    let r = app.post(
        &format!("/api/v1/disputes/{id}/resolve"),
        json!({ "outcome": "credit_note", "resolution": "x" }),
    );
    assert_eq!(r.code(), "missing_field");
    let r = app.post(
        &format!("/api/v1/disputes/{id}/resolve"),
        json!({ "outcome": "refund", "resolution": "x" }),
    );
    assert_eq!(r.code(), "invalid_field");
    assert_eq!(
        app.get(&format!("/api/v1/disputes/{id}")).body["status"],
        "open",
        "refused resolutions changed nothing"
    );
    let r = app.get("/api/v1/disputes?status=closed");
    assert_eq!(r.code(), "invalid_field");
}

/// A WebSocket handshake to `path`, as a browser on `origin` makes it.
fn upgrade(app: &TestApp, path: &str, cookie: Option<&str>, origin: &str) -> Reply {
    let mut r = app
        .http
        .get(format!("{}{path}", app.base))
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("Origin", origin);
    if let Some(c) = cookie {
        r = r.header("Cookie", c);
    }
    TestApp::reply(r.send().unwrap())
}

#[test]
fn a_thread_is_listened_to_only_by_its_customer_and_company_and_exported_whole() {
    let (app, cookie, inv) = setup("Lena Listen");
    let r = open(
        &app,
        &cookie,
        &inv,
        json!({ "reason": "duplicate", "message": "Billed twice." }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/portal/disputes/{id}/live");
    assert_eq!(
        upgrade(&app, &path, Some(&cookie), &app.base).status,
        101,
        "its customer listens"
    );
    // Another customer's session on this thread's socket: not found.
    let (other, other_cookie, _) = setup("Omar Other");
    assert_eq!(
        upgrade(&other, &path, Some(&other_cookie), &app.base).status,
        404
    );
    // A page on another site with the customer's cookie: refused.
    let r = upgrade(&app, &path, Some(&cookie), "https://evil.example");
    assert_eq!((r.status, r.code()), (403, "csrf_rejected"), "{}", r.body);
    assert_eq!(
        upgrade(&app, &path, None, &app.base).status,
        401,
        "no session"
    );
    // Not a WebSocket at all.
    let plain = app.portal_get(&cookie, &format!("/disputes/{id}/live"));
    assert_eq!((plain.status, plain.code()), (422, "invalid_field"));
    // The company, by API key; another organization's key: not found.
    let company = |who: &TestApp| {
        TestApp::reply(
            who.http
                .get(format!("{}/api/v1/disputes/{id}/live", who.base))
                .bearer_auth(&who.key)
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade")
                .header("Sec-WebSocket-Version", "13")
                .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
                .send()
                .unwrap(),
        )
    };
    assert_eq!(company(&app).status, 101);
    assert_eq!(company(&other).status, 404);

    // The record, as evidence: every message and every audit row about it.
    app.post(
        &format!("/api/v1/disputes/{id}/messages"),
        json!({ "body": "Checking now." }),
    );
    let r = TestApp::reply(
        app.http
            .get(format!("{}/api/v1/disputes/{id}/transcript", app.base))
            .bearer_auth(&app.key)
            .send()
            .unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["dispute"]["messages"].as_array().unwrap().len(), 2);
    let actions: Vec<&str> = r.body["audit_trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["dispute.opened", "dispute.message", "dispute.message"],
        "in order"
    );
    assert_eq!(
        other
            .get(&format!("/api/v1/disputes/{id}/transcript"))
            .status,
        404
    );
}

/// A file the customer sends into their thread.
fn portal_attach(app: &TestApp, cookie: &str, id: &str, name: &str, bytes: Vec<u8>) -> Reply {
    TestApp::reply(
        app.http
            .post(format!(
                "{}/api/v1/portal/disputes/{id}/attachments?name={name}",
                app.base
            ))
            .header("Cookie", cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .header("Content-Type", "application/octet-stream")
            .body(bytes)
            .send()
            .unwrap(),
    )
}

#[test]
fn files_are_checked_by_content_and_only_ever_downloaded() {
    let (app, cookie, inv) = setup("Fiona Files");
    let r = open(&app, &cookie, &inv, json!({ "reason": "not_received" }));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // Through the API: reading D1 directly would lock it under the
    // worker while tests run in parallel.
    let count = || {
        app.get(&format!("/api/v1/disputes/{id}")).body["messages"]
            .as_array()
            .unwrap()
            .len()
    };

    // An HTML page named `.pdf` is refused for what it is; so is a file
    // over 5 MB and an empty one. Nothing is written.
    let html = b"<!doctype html><script>alert(document.cookie)</script>".to_vec();
    let r = portal_attach(&app, &cookie, &id, "receipt.pdf", html);
    assert_eq!(r.status, 415, "{}", r.body);
    assert_eq!(r.code(), "unsupported_media_type");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("PDF"));
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b' ');
    let r = portal_attach(&app, &cookie, &id, "scan.pdf", big);
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.code(), "payload_too_large");
    let r = portal_attach(&app, &cookie, &id, "empty.pdf", Vec::new());
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(count(), 0);

    // A real PDF under a name with a quote and a script in it.
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let r = portal_attach(
        &app,
        &cookie,
        &id,
        "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E%22proof.html",
        pdf.clone(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let file = r.body["attachment"].clone();
    assert_eq!(file["content_type"], "application/pdf");
    assert_eq!(file["bytes"], pdf.len());
    let name = file["name"].as_str().unwrap();
    assert!(
        name.ends_with(".pdf") && !name.contains('<') && !name.contains('"'),
        "{name}"
    );
    let file_id = file["id"].as_str().unwrap();

    // The customer and the company download it, as a download only.
    let check = |r: reqwest::blocking::Response| {
        assert_eq!(r.status(), 200);
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"")
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox")
        );
        assert_eq!(r.bytes().unwrap().to_vec(), pdf);
    };
    check(
        app.http
            .get(format!(
                "{}/api/v1/portal/disputes/{id}/attachments/{file_id}",
                app.base
            ))
            .header("Cookie", &cookie)
            .send()
            .unwrap(),
    );
    check(
        app.http
            .get(format!(
                "{}/api/v1/disputes/{id}/attachments/{file_id}",
                app.base
            ))
            .bearer_auth(&app.key)
            .send()
            .unwrap(),
    );
    let thread = app.get(&format!("/api/v1/disputes/{id}"));
    assert_eq!(thread.body["messages"][0]["attachment"]["id"], file_id);

    // The company sends one too (a PNG), which the customer sees.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let r = app.post_raw(
        &format!("/api/v1/disputes/{id}/attachments?name=label.png"),
        "image/png",
        png,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let seen = app.portal_get(&cookie, &format!("/disputes/{id}"));
    assert_eq!(
        seen.body["messages"][1]["attachment"]["content_type"],
        "image/png"
    );

    // Another customer's session, another organization's key: 404, for
    // the file as for the thread.
    let other = app.create_customer("Oscar Other");
    let other_cookie = app.session(other["id"].as_str().unwrap());
    let r = app
        .http
        .get(format!(
            "{}/api/v1/portal/disputes/{id}/attachments/{file_id}",
            app.base
        ))
        .header("Cookie", &other_cookie)
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = portal_attach(&app, &other_cookie, &id, "x.pdf", pdf.clone());
    assert_eq!(r.status, 404);
    let stranger = TestApp::new();
    let r = stranger.get(&format!("/api/v1/disputes/{id}/attachments/{file_id}"));
    assert_eq!(r.status, 404);
    assert_eq!(count(), 2);
}

/// Sends a signed `email.received` event as the provider would.
fn deliver_received(app: &TestApp, svix_id: &str, body: &Value) -> Reply {
    let secret = std::env::var("SETTLE_EMAIL_WEBHOOK_SECRET").unwrap();
    let raw = body.to_string();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sig = settle_edge::email::webhook::sign(&secret, svix_id, ts, raw.as_bytes());
    TestApp::reply(
        app.http
            .post(format!("{}/api/v1/webhooks/email", app.base))
            .header("svix-id", svix_id)
            .header("svix-timestamp", ts.to_string())
            .header("svix-signature", sig)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .unwrap(),
    )
}

#[test]
fn a_reply_to_an_invoice_email_lands_in_the_customers_thread() {
    let app = TestApp::new();
    let c = app.create_customer("Rita Reply");
    let cid = c["id"].as_str().unwrap().to_owned();
    let to = app.customer_email(&cid);
    let inv = app.send_invoice(&cid);
    let inv_id = inv["id"].as_str().unwrap().to_owned();
    let mail = app.wait_for_emails(&to, 1);
    assert_eq!(mail.len(), 1);
    let reply_to = mail[0]["reply_to"].as_str().unwrap().to_owned();
    assert!(reply_to.contains("@reply.settle.test>"), "{reply_to}");

    // The customer answers from their mail client, with script in it.
    let said = "<script>alert(1)</script> Paid on Monday <img src=x onerror=alert(2)>";
    let r = app
        .http
        .post(format!("{}/__sim/reply", app.mail))
        .json(&json!({ "message_id": mail[0]["id"], "text": said }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut thread = Value::Null;
    crate::helpers::eventually(20, "the reply reaches the thread", || {
        let l = app.get(&format!("/api/v1/disputes?customer_id={cid}"));
        match l.body["data"].as_array().and_then(|a| a.first()) {
            Some(d) => {
                thread = d.clone();
                true
            }
            None => false,
        }
    });
    assert_eq!(thread["kind"], "conversation");
    assert_eq!(thread["invoice_id"], inv_id.as_str());
    // The account is marked until someone of the company reads it.
    let customer = app.get(&format!("/api/v1/customers/{cid}"));
    assert!(
        customer.body["reply_received_at"].is_string(),
        "{}",
        customer.body
    );
    let id = thread["id"].as_str().unwrap().to_owned();
    let d = app.get(&format!("/api/v1/disputes/{id}"));
    let m = &d.body["messages"][0];
    assert_eq!(m["via"], "email");
    assert_eq!(m["author"], "customer");
    // Text as written, the quoted email trimmed from what the thread
    // shows and kept on record.
    assert_eq!(m["body"], said);
    let full = m["full_body"].as_str().unwrap();
    assert!(full.contains("wrote:") && full.contains("> "), "{full}");
    let customer = app.get(&format!("/api/v1/customers/{cid}"));
    assert!(
        customer.body.get("reply_received_at").is_none(),
        "{}",
        customer.body
    );
    // A conversation holds no reminders and no amount.
    assert_eq!(d.body["disputed_amount"], 0);

    // The company answers; the customer reads it in the portal.
    let r = app.post(
        &format!("/api/v1/disputes/{id}/messages"),
        json!({ "body": "Thanks, we see it: marking it paid." }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let cookie = app.session(&cid);
    let seen = app.portal_get(&cookie, &format!("/disputes/{id}"));
    assert_eq!(
        seen.body["messages"][1]["body"],
        "Thanks, we see it: marking it paid."
    );

    // The same event again writes nothing more.
    let event = json!({ "type": "email.received", "created_at": "2026-12-05T10:00:00Z",
        "data": { "email_id": "nope", "from": to, "to": ["reply+eml_00000000000000000000000000000000-0000000000@reply.settle.test"],
                  "subject": "Re: forged" } });
    let r = deliver_received(&app, "msg_forged_1", &event);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["outcome"], "unknown_address");
    let r = deliver_received(&app, "msg_forged_1", &event);
    assert_eq!(r.body["duplicate"], true);
    let d = app.get(&format!("/api/v1/disputes/{id}"));
    assert_eq!(d.body["messages"].as_array().unwrap().len(), 2);
    // Nothing anywhere else in the organization either.
    let all = app.get("/api/v1/disputes");
    assert_eq!(all.body["data"].as_array().unwrap().len(), 1);

    // Two answers while the customer is away: one email, a few minutes
    // later, with both, and a link that lands on the thread.
    for text in [
        "We found your transfer.",
        "The invoice is settled on our side.",
    ] {
        let r = app.post(
            &format!("/api/v1/disputes/{id}/messages"),
            json!({ "body": text }),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    operator(&app, "clock", json!({ "advance_seconds": 360 }));
    operator(&app, "cron", json!({}));
    let answered = |app: &TestApp| -> Vec<Value> {
        app.emails_to(&to)
            .into_iter()
            .filter(|m| m["subject"].as_str().unwrap_or("").contains("answered you"))
            .collect()
    };
    crate::helpers::eventually(30, "the answer email goes out", || {
        answered(&app).len() == 1
    });
    let mail = &answered(&app)[0];
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("We found your transfer.") && text.contains("settled on our side"),
        "{text}"
    );
    // The first answer, read in the portal at once, sent nothing.
    assert!(!text.contains("marking it paid"), "{text}");
    let link = crate::helpers::link_in(mail);
    assert!(link.contains(&format!("?thread={id}")), "{link}");
    let r = app.open(&link);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/disputes/{id}").as_str()),
        "{}",
        r.status
    );
    // Read now: a later answer's email is skipped when it falls due.
    let r = app.post(
        &format!("/api/v1/disputes/{id}/messages"),
        json!({ "body": "Anything else?" }),
    );
    assert_eq!(r.status, 201);
    app.portal_get(&cookie, &format!("/disputes/{id}"));
    operator(&app, "clock", json!({ "advance_seconds": 360 }));
    operator(&app, "cron", json!({}));
    crate::helpers::eventually(30, "the last answer email is skipped", || {
        operator_get(&app)["pending_emails"].as_i64() == Some(0)
    });
    assert_eq!(answered(&app).len(), 1);
}

fn operator(app: &TestApp, path: &str, mut body: Value) -> Value {
    body["organization_id"] = json!(app.org_id);
    let r = app
        .http
        .post(format!("{}/api/v1/operator/{path}", app.base))
        .bearer_auth(std::env::var("SETTLE_OPERATOR_TOKEN").unwrap())
        .json(&body)
        .send()
        .unwrap();
    assert!(r.status().is_success(), "operator {path}: {}", r.status());
    r.json().unwrap()
}

fn operator_get(app: &TestApp) -> Value {
    app.http
        .get(format!("{}/api/v1/operator/clock", app.base))
        .query(&[("organization_id", &app.org_id)])
        .bearer_auth(std::env::var("SETTLE_OPERATOR_TOKEN").unwrap())
        .send()
        .unwrap()
        .json()
        .unwrap()
}
