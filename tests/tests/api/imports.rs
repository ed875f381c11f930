//! CSV imports: a dry run lists every row error by line and column and
//! writes nothing; a clean file is written part by part through the queue
//! with its progress, each part once. Files as spreadsheets save them: a
//! byte-order mark, `;` separators, quoted fields with line breaks,
//! amounts with a decimal comma; dates in ISO form only.

use crate::helpers::{Reply, TestApp, eventually, unique};
use serde_json::{Value, json};
use std::time::Instant;

fn upload(app: &TestApp, kind: &str, dry_run: bool, csv: &str) -> Reply {
    let q = if dry_run { "?dry_run=true" } else { "" };
    app.post_raw(
        &format!("/api/v1/imports/{kind}{q}"),
        "text/csv",
        csv.as_bytes().to_vec(),
    )
}

fn errors(r: &Reply) -> Vec<(u64, String)> {
    r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.body))
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Waits for an import to end; answers it.
fn finished(app: &TestApp, r: &Reply) -> Value {
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["import"]["id"].as_str().unwrap().to_owned();
    let mut last = Value::Null;
    eventually(120, "the import to end", || {
        last = app.get(&format!("/api/v1/imports/{id}")).body;
        last["status"] != "running"
    });
    last
}

fn total(app: &TestApp, path: &str) -> u64 {
    app.get(path).body["total"].as_u64().unwrap()
}

#[test]
fn ten_thousand_customers_from_a_semicolon_file_with_two_bad_rows_found_by_the_dry_run() {
    let app = TestApp::new();
    let tag = unique();
    let mut csv = String::from("\u{feff}Name;Email;External_ID;Time_zone\r\n");
    for n in 0..10_000 {
        csv.push_str(&format!(
            "\"Client {n}; branch\";c{n}-{tag}@example.com;{tag}-{n};Europe/Paris\r\n"
        ));
    }
    // Two bad rows: line 4 (the third row) and line 9,000.
    let bad = csv
        .replacen(&format!("c2-{tag}@example.com"), "not-an-email", 1)
        .replacen(
            &format!("{tag}-8998;Europe/Paris"),
            &format!("{tag}-8998;Paris"),
            1,
        );
    let r = upload(&app, "customers", true, &bad);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        errors(&r),
        vec![(4, "email".into()), (9000, "time_zone".into())]
    );
    assert_eq!(r.body["rows"], 10_000);
    // Not a dry run: refused whole, and nothing is written either way.
    let r = upload(&app, "customers", false, &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error_count"], 2);
    assert_eq!(total(&app, "/api/v1/customers?limit=1"), 0);

    let started = Instant::now();
    let r = upload(&app, "customers", false, &csv);
    let imp = finished(&app, &r);
    eprintln!(
        "10,000 customers imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(imp["status"], "done", "{imp}");
    assert_eq!(
        (imp["rows"].as_i64(), imp["written"].as_i64()),
        (Some(10_000), Some(10_000))
    );
    assert_eq!(total(&app, "/api/v1/customers?limit=1"), 10_000);
    let one = app
        .get(&format!("/api/v1/customers?q=c9999-{tag}%40example.com"))
        .body;
    assert_eq!(one["data"][0]["name"], "Client 9999; branch");
    assert_eq!(one["data"][0]["time_zone"], "Europe/Paris");
    // The same file again: every row is taken now.
    let r = upload(&app, "customers", true, &csv);
    assert_eq!(
        r.body["error_count"], 20_000,
        "each email and each reference"
    );
    let list = app.get("/api/v1/imports").body;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[test]
fn invoices_with_a_decimal_comma_and_multi_line_descriptions_and_subscriptions_are_imported() {
    let app = TestApp::new();
    let tag = unique();
    let r = upload(
        &app,
        "customers",
        false,
        &format!(
            "name,email,external_id\nAnn,ann-{tag}@example.com,A-{tag}\nBob,bob-{tag}@example.com,\n"
        ),
    );
    finished(&app, &r);
    let bad = format!(
        "customer;number;currency;issue_date;due_date;description;quantity;unit_amount;tax_rate\n\
         A-{tag};F-{tag}-1;EUR;2027-01-02;2027-02-01;\"Audit,\nphase 1\";1,5;1200,50;20\n\
         A-{tag};F-{tag}-1;EUR;2027-01-02;2027-02-01;Travel;;99;\n\
         bob-{tag}@example.com;F-{tag}-2;EUR;2027-01-02;01/02/2027;Support;;10;\n\
         nobody@example.com;F-{tag}-3;EUR;;2027-02-01;Support;;10;\n"
    );
    let r = upload(&app, "invoices", true, &bad);
    assert_eq!(r.status, 200, "{}", r.body);
    // The quoted line break: the third row of data starts on line 5.
    assert_eq!(
        errors(&r),
        vec![(5, "due_date".into()), (6, "customer".into())]
    );
    let good = bad
        .replace("01/02/2027", "2027-02-01")
        .replace("nobody@example.com", &format!("BOB-{tag}@example.com"));
    let imp = finished(&app, &upload(&app, "invoices", false, &good));
    assert_eq!(imp["status"], "done", "{imp}");
    assert_eq!(imp["written"], 4);
    let invs = app.get(&format!("/api/v1/invoices?q=F-{tag}-1")).body;
    let f1 = &invs["data"][0];
    // 1.5 × 1200.50 = 1800.75, + 20 % = 2160.90; + 99.00 without tax.
    assert_eq!(f1["total"], 216090 + 9900, "{f1}");
    assert_eq!(f1["lines"][0]["description"], "Audit,\nphase 1");
    assert_eq!(f1["status"], "open");
    // Imported invoices are not emailed.
    let emails = app.get("/api/v1/emails?kind=invoice").body;
    assert_eq!(emails["data"].as_array().unwrap().len(), 0, "{emails}");

    // Subscriptions: a plan with an add-on, one bad row.
    let plan = app.post(
        "/api/v1/catalog/add-ons",
        json!({ "code": "storage", "name": "Storage", "prices": { "EUR": 300 }, "max_quantity": 10 }),
    );
    assert_eq!(plan.status, 201, "{}", plan.body);
    let plan = app.post(
        "/api/v1/catalog/plans",
        json!({ "code": "pro", "name": "Pro", "interval": "month", "prices": { "EUR": 1000 }, "add_ons": ["storage"] }),
    );
    assert_eq!(plan.status, 201, "{}", plan.body);
    let csv = format!(
        "customer,plan,currency,quantity,add_ons\n\
         A-{tag},pro,EUR,3,storage:2\n\
         bob-{tag}@example.com,gold,EUR,1,\n\
         bob-{tag}@example.com,pro,EUR,1,storage:11\n"
    );
    let r = upload(&app, "subscriptions", true, &csv);
    assert_eq!(errors(&r), vec![(3, "plan".into()), (4, "add_ons".into())]);
    let fixed = csv
        .replace(",gold,", ",pro,")
        .replace("storage:11", "storage:1");
    let imp = finished(&app, &upload(&app, "subscriptions", false, &fixed));
    assert_eq!(imp["written"], 3, "{imp}");
    let subs = app.get("/api/v1/subscriptions").body;
    assert_eq!(subs["data"].as_array().unwrap().len(), 3);

    // Bad files: no rows, an unknown kind, not UTF-8.
    assert_eq!(
        upload(&app, "customers", true, "name,email\n").body["error_count"],
        1
    );
    assert_eq!(upload(&app, "payments", true, "a\n").status, 404);
    let r = app.post_raw(
        "/api/v1/imports/customers?dry_run=true",
        "text/csv",
        vec![b'n', b'a', 0xff, b'\n'],
    );
    assert_eq!(errors(&r), vec![(1, String::new())]);
}
