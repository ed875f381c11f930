//! Plans and subscriptions: the catalog, subscribing a customer, and the
//! billing run on the organization's cut-off date in its own time zone,
//! through a month-end cut-off in February of a leap year, issuing each
//! period's invoice once however often the run is repeated. A run after a
//! lost write of `billed_to` is in `database.rs` (it edits D1 from outside).

use crate::helpers::{Clock, TestApp, eventually};
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};

pub fn created(r: crate::helpers::Reply) -> Value {
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// The invoices of a customer, oldest first, as (number, total, issue date).
pub fn invoices(app: &TestApp, customer: &str) -> Vec<(String, i64, String)> {
    let r = app.get(&format!(
        "/api/v1/invoices?customer_id={customer}&limit=100"
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    let mut v: Vec<_> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["number"].as_str().unwrap().to_owned(),
                i["total"].as_i64().unwrap(),
                i["issue_date"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Local midnight-and-a-half in Auckland on `day`, as UTC.
fn auckland(day: &str, h: u32, m: u32) -> chrono::DateTime<Utc> {
    let tz: chrono_tz::Tz = "Pacific/Auckland".parse().unwrap();
    let d: NaiveDate = day.parse().unwrap();
    tz.from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Runs the cron on the demo clock at `at` and waits for the run to end.
pub fn run_at(app: &TestApp, clock: &Clock, at: chrono::DateTime<Utc>) {
    clock.set(at);
    clock.call("cron", Some(json!({})));
    eventually(60, "the billing run to end", || {
        let runs = app.get("/api/v1/billing-runs").body;
        runs["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "done")
    });
}

#[test]
fn the_catalog_refuses_what_it_cannot_bill() {
    let app = TestApp::new();
    let bad = |path: &str, body: Value| {
        let r = app.post(path, body);
        (
            r.status,
            r.body["error"]["code"].as_str().unwrap_or("").to_owned(),
            r.body["error"]["field"].as_str().unwrap_or("").to_owned(),
        )
    };
    let plan = |code: &str| json!({ "code": code, "name": "Pro", "interval": "month", "prices": { "EUR": 1000 } });
    created(app.post("/api/v1/catalog/plans", plan("pro")));
    assert_eq!(
        bad("/api/v1/catalog/plans", plan("pro")),
        (409, "conflict".into(), "code".into())
    );
    let mut p = plan("pro2");
    p["add_ons"] = json!(["nope"]);
    assert_eq!(bad("/api/v1/catalog/plans", p).2, "add_ons[0]");
    let mut p = plan("pro3");
    p["interval"] = json!("fortnight");
    assert_eq!(bad("/api/v1/catalog/plans", p).0, 422);
    let mut p = plan("pro4");
    p["prices"] = json!({ "EUR": -5 });
    assert_eq!(
        bad("/api/v1/catalog/plans", p),
        (422, "amount_out_of_range".into(), "prices.EUR".into())
    );
    let c = app.create_customer("Ann");
    let c = c["id"].as_str().unwrap();
    let sub = |extra: Value| {
        let mut b = json!({ "customer_id": c, "plan": "pro", "currency": "EUR" });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        bad("/api/v1/subscriptions", b)
    };
    assert_eq!(sub(json!({ "currency": "GBP" })).2, "currency");
    assert_eq!(
        sub(json!({ "quantity": 0 })),
        (422, "amount_out_of_range".into(), "quantity".into())
    );
    assert_eq!(
        sub(json!({ "plan": "gold" })),
        (404, "not_found".into(), "plan".into())
    );
    assert_eq!(sub(json!({ "start_date": "2020-01-01" })).2, "start_date");
    assert_eq!(sub(json!({ "start_date": "01/02/2027" })).2, "start_date");
    assert_eq!(
        sub(json!({ "add_ons": [{ "code": "x", "quantity": 1 }] })).2,
        "add_ons[0].code"
    );
    // Nothing half-written: no subscription exists.
    assert_eq!(app.get("/api/v1/subscriptions").body["data"], json!([]));
}

#[test]
fn the_billing_run_issues_each_period_once_on_the_cutoff_date_through_a_leap_february() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let r = app.patch(
        "/api/v1/organization",
        json!({ "billing": { "cutoff_day": 31, "time_zone": "Pacific/Auckland", "due_days": 14 } }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["billing"]["cutoff_day"], 31);
    created(app.post(
        "/api/v1/catalog/add-ons",
        json!({ "code": "storage", "name": "Storage 100 GB", "prices": { "EUR": 300 }, "tax_rate": "20", "max_quantity": 10 }),
    ));
    created(app.post(
        "/api/v1/catalog/plans",
        json!({ "code": "pro", "name": "Pro", "interval": "month", "prices": { "EUR": 1000, "USD": 1100 },
                "tax_rate": "20", "max_quantity": 50, "add_ons": ["storage"] }),
    ));
    created(app.post(
        "/api/v1/catalog/plans",
        json!({ "code": "team-year", "name": "Team, yearly", "interval": "year", "prices": { "EUR": 100000 } }),
    ));
    let ann = app.create_customer("Ann")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = app.create_customer("Bob")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // 20 January 2028 in Auckland: Ann starts Pro with 3 seats and 2
    // storage units, between cut-off dates.
    clock.set(auckland("2028-01-20", 9, 0));
    let a = created(app.post(
        "/api/v1/subscriptions",
        json!({ "customer_id": ann, "plan": "pro", "currency": "EUR", "quantity": 3,
                "add_ons": [{ "code": "storage", "quantity": 2 }] }),
    ));
    assert_eq!(a["start_date"], "2028-01-20");
    // Her first invoice: 11 of the 31 days to the 31st, stated before it
    // is issued. 3000 × 11/31 = 1064.5 → 1065 and 600 × 11/31 = 212.9 →
    // 213; tax 20 % per line: 213 + 42.6 → 43.
    let next = &a["next_invoice"];
    assert_eq!(
        (next["period_start"].as_str(), next["period_end"].as_str()),
        (Some("2028-01-20"), Some("2028-01-30"))
    );
    assert_eq!(
        (
            next["subtotal"].as_i64(),
            next["tax"].as_i64(),
            next["total"].as_i64()
        ),
        (Some(1278), Some(256), Some(1534))
    );
    assert_eq!(next["partial"], true);
    // Bob's yearly plan starts on the leap day, itself a cut-off date
    // (the 31st falls on February's last day).
    let b = created(app.post(
        "/api/v1/subscriptions",
        json!({ "customer_id": bob, "plan": "team-year", "currency": "EUR", "start_date": "2028-02-29" }),
    ));
    assert_eq!(b["next_invoice"]["period_end"], "2029-02-27");
    let (an, bn) = (a["number"].as_str().unwrap(), b["number"].as_str().unwrap());

    run_at(&app, &clock, auckland("2028-01-20", 10, 0));
    assert_eq!(
        invoices(&app, &ann),
        vec![(format!("{an}-20280120"), 1534, "2028-01-20".into())]
    );
    assert!(invoices(&app, &bob).is_empty());

    // The evening before the cut-off date (10:30 UTC on the 30th is
    // 23:30 in Auckland): nothing. Half an hour later it is the 31st there.
    run_at(&app, &clock, auckland("2028-01-30", 23, 30));
    assert_eq!(invoices(&app, &ann).len(), 1);
    run_at(&app, &clock, auckland("2028-01-31", 0, 30));
    // 31 January to 28 February (29 February is the next cut-off date):
    // a whole month, 3600 + 20 % tax.
    assert_eq!(
        invoices(&app, &ann)[1],
        (format!("{an}-20280131"), 4320, "2028-01-31".into())
    );
    // Repeated: by the cron and by hand, nothing is issued twice.
    run_at(&app, &clock, auckland("2028-01-31", 1, 0));
    let r = app.post("/api/v1/billing-runs", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["issued"], 1);
    assert_eq!(invoices(&app, &ann).len(), 2);

    // The leap day: Ann's month to 31 March, Bob's year.
    run_at(&app, &clock, auckland("2028-02-29", 6, 0));
    assert_eq!(invoices(&app, &ann)[2].0, format!("{an}-20280229"));
    assert_eq!(
        invoices(&app, &bob),
        vec![(format!("{bn}-20280229"), 100000, "2028-02-29".into())]
    );
    let sub = app
        .get(&format!(
            "/api/v1/subscriptions/{}",
            a["id"].as_str().unwrap()
        ))
        .body;
    assert_eq!(sub["billed_to"], "2028-03-31");
    assert_eq!(sub["next_invoice"]["period_end"], "2028-04-29");

    // Each invoice went out once by email.
    let emails = app
        .get(&format!("/api/v1/emails?kind=invoice&customer_id={ann}"))
        .body;
    assert_eq!(emails["data"].as_array().unwrap().len(), 3, "{emails}");
    let audit = app.audit_events("subscription.invoiced");
    assert_eq!(audit.len(), 4);
}
