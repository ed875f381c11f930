//! Tenancy: an id from another organization, or another customer, answers
//! 404 and never shows data.

use crate::helpers::TestApp;
use serde_json::json;

#[test]
fn another_organizations_ids_are_not_found() {
    let a = TestApp::new();
    let b = TestApp::new();
    let cus = a.create_customer("Only In A");
    let cid = cus["id"].as_str().unwrap();
    let inv = a.create_invoice(cid);
    let iid = inv["id"].as_str().unwrap();

    for r in [
        b.get(&format!("/api/v1/customers/{cid}")),
        b.get(&format!("/api/v1/invoices/{iid}")),
        b.get(&format!("/api/v1/invoices/{iid}/payments")),
        b.post(&format!("/api/v1/invoices/{iid}/void"), json!({})),
        b.post(&format!("/api/v1/invoices/{iid}/send"), json!({})),
        b.post(
            &format!("/api/v1/invoices/{iid}/payments"),
            json!({ "amount": 1, "currency": "EUR", "method": "cash" }),
        ),
        b.post(&format!("/api/v1/customers/{cid}/portal-links"), json!({})),
    ] {
        assert_eq!((r.status, r.code()), (404, "not_found"), "{}", r.body);
        assert!(!r.body.to_string().contains(iid) && !r.body.to_string().contains("Only In A"));
    }
    let r = b.post("/api/v1/invoices", TestApp::invoice_body(cid, "EUR"));
    assert_eq!(
        (r.status, r.code()),
        (404, "not_found"),
        "an invoice for another organization's customer"
    );
    assert_eq!(
        b.get("/api/v1/invoices").body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        b.get(&format!("/api/v1/audit-events?subject={iid}")).body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // And A still has it, untouched.
    assert_eq!(
        a.get(&format!("/api/v1/invoices/{iid}")).body["status"],
        "open"
    );
}

#[test]
fn a_customer_sees_only_their_own_invoices() {
    let app = TestApp::new();
    let other_org = TestApp::new();
    let ann = app.create_customer("Ann Own");
    let bob = app.create_customer("Bob Other");
    let anns = app.create_invoice(ann["id"].as_str().unwrap());
    let bobs = app.create_invoice(bob["id"].as_str().unwrap());
    let foreign_customer = other_org.create_customer("Far Away");
    let foreign = other_org.create_invoice(foreign_customer["id"].as_str().unwrap());

    let cookie = app.session(ann["id"].as_str().unwrap());
    let list = app.portal_get(&cookie, "/invoices");
    assert_eq!(list.status, 200);
    let ids: Vec<_> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect();
    assert_eq!(ids, vec![anns["id"].clone()]);
    assert_eq!(
        app.portal_get(
            &cookie,
            &format!("/invoices/{}", anns["id"].as_str().unwrap())
        )
        .status,
        200
    );
    for other in [&bobs, &foreign] {
        let r = app.portal_get(
            &cookie,
            &format!("/invoices/{}", other["id"].as_str().unwrap()),
        );
        assert_eq!((r.status, r.code()), (404, "not_found"));
    }
}
