//! Evidence packs: what a customer's and an invoice's pack hold, the
//! chain check, and who may export them. Tampering is in `database`.

use crate::helpers::TestApp;
use serde_json::{Value, json};
use settle_shared::evidence::pack;

/// A customer with an invoice sent, a payment recorded, a promise and a
/// dispute: something of each kind the pack gathers.
pub fn customer_with_history(app: &TestApp, name: &str) -> (String, String) {
    let c = app.create_customer(name);
    let cid = c["id"].as_str().unwrap().to_owned();
    let inv = app.send_invoice(&cid);
    let iid = inv["id"].as_str().unwrap().to_owned();
    app.wait_for_emails(&app.customer_email(&cid), 1);
    let pay = app.post(
        &format!("/api/v1/invoices/{iid}/payments"),
        json!({ "amount": 500, "currency": "EUR", "method": "bank_transfer", "reference": "TR-1" }),
    );
    assert_eq!(pay.status, 201, "{}", pay.body);
    let note = app.post(
        &format!("/api/v1/customers/{cid}/activities"),
        json!({ "kind": "call", "outcome": "refused", "body": "Says the invoice is wrong." }),
    );
    assert_eq!(note.status, 201, "{}", note.body);
    let d = app.post(
        &format!("/api/v1/invoices/{iid}/disputes"),
        json!({ "reason": "The second line was never delivered." }),
    );
    assert_eq!(d.status, 201, "{}", d.body);
    (cid, iid)
}

fn actions(p: &Value) -> Vec<&str> {
    p["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect()
}

#[test]
fn a_customers_pack_holds_their_records_and_verifies() {
    let app = TestApp::new();
    let (cid, iid) = customer_with_history(&app, "Eve Evidence");
    // Another customer's records stay out of it.
    let (other, _) = customer_with_history(&app, "Otto Other");
    let r = app.get(&format!("/api/v1/customers/{cid}/evidence"));
    assert_eq!(r.status, 200, "{}", r.body);
    let p = &r.body;
    assert_eq!(p["format"], pack::FORMAT);
    assert_eq!(p["customer"]["id"], cid.as_str());
    assert_eq!(p["invoices"][0]["id"], iid.as_str());
    assert_eq!(p["invoices"][0]["lines"].as_array().unwrap().len(), 2);
    let email = &p["emails"][0];
    assert_eq!(email["kind"], "invoice");
    assert!(
        email["html"]
            .as_str()
            .unwrap()
            .contains(p["invoices"][0]["number"].as_str().unwrap())
    );
    assert_eq!(p["payments"][0]["amount"], 500);
    assert_eq!(p["payments"][0]["reference"], "TR-1");
    assert_eq!(
        p["disputes"][0]["reason"],
        "The second line was never delivered."
    );
    assert!(p["disputes"][0]["messages"].is_array());
    assert_eq!(p["notes"][0]["body"], "Says the invoice is wrong.");
    assert_eq!(p["notes"][0]["outcome"], "refused");
    let acts = actions(p);
    for a in [
        "invoice.created",
        "payment.recorded",
        "dispute.opened",
        "call.logged",
    ] {
        assert!(acts.contains(&a), "{a} in {acts:?}");
    }
    let text = serde_json::to_string(p).unwrap();
    assert!(!text.contains(&other), "nothing of another customer");
    // Sealed: every row has its place, and the whole pack verifies offline.
    let report = pack::verify(&text).unwrap();
    assert_eq!(report.verified.rows, p["audit"].as_array().unwrap().len());
    assert!(
        p["audit"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["hash"].as_str().unwrap().len() == 64)
    );
    assert!(p["chain"]["break_found"].is_null());
    // The export is itself on the record.
    assert_eq!(app.audit_events("evidence.exported").len(), 1);
    // An invoice's pack is that invoice's part.
    let i = app.get(&format!("/api/v1/invoices/{iid}/evidence"));
    assert_eq!(i.status, 200, "{}", i.body);
    assert_eq!(i.body["scope"]["kind"], "invoice");
    assert_eq!(i.body["invoices"].as_array().unwrap().len(), 1);
    assert!(pack::verify(&i.body.to_string()).is_ok());
    // The whole chain checks out, page by page.
    let v = app.get("/api/v1/audit-events/verify?limit=5");
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(v.body["intact"], true, "{}", v.body);
    assert_eq!(v.body["checked"], 5);
    let next = v.body["next_after"].as_i64().unwrap();
    let v2 = app.get(&format!("/api/v1/audit-events/verify?after={next}"));
    assert_eq!(v2.body["intact"], true, "{}", v2.body);
    assert_eq!(v2.body["to_seq"], v2.body["head"]["seq"]);
    assert!(v2.body["next_after"].is_null());
}

#[test]
fn packs_refuse_bad_input_and_other_organizations() {
    let app = TestApp::new();
    let (cid, iid) = customer_with_history(&app, "Ida Isolated");
    let other = TestApp::new();
    assert_eq!(
        other
            .get(&format!("/api/v1/customers/{cid}/evidence"))
            .status,
        404
    );
    assert_eq!(
        other
            .get(&format!("/api/v1/invoices/{iid}/evidence"))
            .status,
        404
    );
    for q in ["after=-1", "after=x", "limit=0", "limit=20001"] {
        let r = app.get(&format!("/api/v1/audit-events/verify?{q}"));
        assert_eq!(r.status, 422, "{q}: {}", r.body);
        assert_eq!(r.code(), "invalid_field", "{q}");
    }
    // The download names the file.
    let r = app.get(&format!("/api/v1/customers/{cid}/evidence?download=1"));
    assert_eq!(r.status, 200);
}
