//! CSV exports: what a spreadsheet opens is what the books say, formulas
//! in names are defused, and bad requests get their codes.

use crate::helpers::TestApp;
use serde_json::json;

/// The rows of a CSV answer (after its byte-order mark), read by the csv
/// crate as any program would.
fn rows(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    let r = reqwest::blocking::Client::new()
        .get(format!(
            "{}{path}",
            std::env::var("SETTLE_BASE_URL").unwrap()
        ))
        .bearer_auth(&app.key)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=")
    );
    let body = r.text().unwrap();
    let body = body
        .strip_prefix('\u{FEFF}')
        .expect("a byte-order mark for spreadsheets");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn customers_invoices_payments_and_the_aging_export_as_csv() {
    let app = TestApp::new();
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "=HYPERLINK(\"http://evil.example\")", "email": format!("evil-{}@example.com", crate::helpers::unique()) }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let evil = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Acme, \"Widgets\"\nDivision", "email": format!("acme-{}@example.com", crate::helpers::unique()) }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let acme = r.body["id"].as_str().unwrap().to_owned();
    let customers = rows(&app, "/api/v1/exports/customers.csv");
    assert_eq!(customers[0][..3], ["id", "name", "email"]);
    let find = |id: &str| customers.iter().find(|r| r[0] == id).unwrap().clone();
    assert_eq!(find(&evil)[1], "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(find(&acme)[1], "Acme, \"Widgets\"\nDivision");

    // Two invoices of 95.00 EUR: one overdue by 40 days and half paid.
    let mut body = TestApp::invoice_body(&acme, "EUR");
    body["number"] = json!(format!("EX-{}", crate::helpers::unique()));
    body["issue_date"] = json!("2026-01-01");
    body["due_date"] = json!("2026-01-31");
    let r = app.post("/api/v1/invoices", body);
    assert_eq!(r.status, 201, "{}", r.body);
    let old = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(
        &format!("/api/v1/invoices/{old}/payments"),
        json!({ "amount": 4500, "currency": "EUR", "method": "bank_transfer", "reference": "-1+1" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let invoices = rows(&app, "/api/v1/exports/invoices.csv");
    let head = &invoices[0];
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let line = invoices.iter().find(|r| r[0] == old).unwrap();
    assert_eq!(
        (
            &line[col("total")][..],
            &line[col("amount_paid")][..],
            &line[col("balance")][..],
            &line[col("status")][..]
        ),
        ("95.00", "45.00", "50.00", "open")
    );
    let payments = rows(&app, "/api/v1/exports/payments.csv");
    let p = payments.iter().find(|r| r[1] == old).unwrap();
    assert_eq!((&p[5][..], &p[6][..], &p[7][..]), ("45.00", "EUR", "'-1+1"));

    // As of 12 March 2026 the old invoice is 40 days late: 31–60.
    let aging = rows(&app, "/api/v1/exports/aging.csv?as_of=2026-03-12");
    assert_eq!(
        aging[0],
        [
            "customer_id",
            "customer_name",
            "currency",
            "current",
            "days_1_30",
            "days_31_60",
            "days_61_90",
            "over_90",
            "total"
        ]
    );
    let a = aging.iter().find(|r| r[0] == acme).unwrap();
    assert_eq!(
        a[2..],
        ["EUR", "0.00", "0.00", "50.00", "0.00", "0.00", "50.00"]
    );

    let r = app.get("/api/v1/exports/aging.csv?as_of=12/03/2026");
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
    let r = app.get("/api/v1/exports/everything.csv");
    assert_eq!(r.status, 404);
    let r = app.get("/api/v1/exports/invoices.csv?cursor=nonsense");
    assert_eq!(r.status, 422);
    assert!(app.audit_actions().iter().any(|a| a == "export.downloaded"));
}
