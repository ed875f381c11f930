//! The metrics API against the example worked by hand in
//! docs/ARCHITECTURE.md ("Metrics"), without the voided invoice and the
//! credit note (an invoice cannot be voided, nor credited, on a past date
//! through the API).

use crate::helpers::{Clock, TestApp, eventually, unique};
use serde_json::json;

fn invoice(app: &TestApp, customer: &str, issued: &str, due: &str, cents: i64) -> String {
    let r = app.post(
        "/api/v1/invoices",
        json!({
            "customer_id": customer, "number": format!("M-{}", unique()), "currency": "EUR",
            "issue_date": issued, "due_date": due,
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": cents }]
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

fn pay(app: &TestApp, invoice: &str, cents: i64, on: &str) {
    let r = app.post(
        &format!("/api/v1/invoices/{invoice}/payments"),
        json!({ "amount": cents, "currency": "EUR", "method": "bank_transfer", "received_on": on }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

/// The worked example's invoices and payments for two new customers: the
/// first has A (1,000, paid 600 and 400) and C (3,000), the second B
/// (2,000, paid 500) and D (1,500).
fn worked_example(app: &TestApp, first: &str, second: &str) -> (String, String) {
    let id = |name: &str| app.create_customer(name)["id"].as_str().unwrap().to_owned();
    let (c1, c2) = (id(first), id(second));
    let a = invoice(app, &c1, "2026-02-10", "2026-03-12", 1000);
    pay(app, &a, 600, "2026-03-05");
    pay(app, &a, 400, "2026-03-20");
    let b = invoice(app, &c2, "2026-02-20", "2026-03-05", 2000);
    pay(app, &b, 500, "2026-03-25");
    invoice(app, &c1, "2026-03-10", "2026-04-09", 3000);
    invoice(app, &c2, "2026-03-15", "2026-03-30", 1500);
    (c1, c2)
}

#[test]
fn march_by_hand() {
    let app = TestApp::new();
    let (c1, _) = worked_example(&app, "Ann Metric", "Bob Metric");
    // Another currency stays out of it.
    let r = app.post(
        "/api/v1/invoices",
        json!({ "customer_id": c1, "number": format!("M-{}", unique()), "currency": "USD",
                "issue_date": "2026-03-03", "due_date": "2026-03-10",
                "lines": [{ "description": "Work", "quantity": 1, "unit_amount": 99_999 }] }),
    );
    assert_eq!(r.status, 201);

    let m = app.get("/api/v1/metrics?from=2026-03-01&to=2026-03-31&currency=EUR");
    assert_eq!(m.status, 200, "{}", m.body);
    let v = &m.body;
    // Receivables at the start: A 1,000 + B 2,000. Sales: 3,000 + 1,500.
    // At the end: B 1,500 + C 3,000 + D 1,500 = 6,000, of which C's 3,000 is
    // not yet due. Collected: 600 + 400 + 500.
    assert_eq!(
        (
            &v["receivables_start"],
            &v["sales"],
            &v["receivables_end"],
            &v["current_end"],
            &v["collected"]
        ),
        (
            &json!(3000),
            &json!(4500),
            &json!(6000),
            &json!(3000),
            &json!(1500)
        ),
        "{v}"
    );
    // DSO 6,000 / 4,500 × 31; best 3,000 / 4,500 × 31; CEI 1,500 / 4,500.
    assert_eq!(v["dso"], 41.33);
    assert_eq!(v["best_possible_dso"], 20.67);
    assert_eq!(v["average_days_delinquent"], 20.67);
    assert_eq!(v["cei"], 33.33);
    assert_eq!(
        v["aging"][0],
        json!({ "bucket": "current", "amount": 3000, "count": 1 })
    );
    assert_eq!(
        v["aging"][1],
        json!({ "bucket": "days_1_30", "amount": 3000, "count": 2 })
    );
    // A settled on 20 March: 38 days after issue, 8 after its due date.
    assert_eq!(
        v["days_to_pay"],
        json!({ "invoices": 1, "days_to_pay": 38.0, "days_late": 8.0 })
    );
    assert_eq!(v["slowest_customers"][0]["customer_id"], c1.as_str());
    assert_eq!(v["slowest_customers"][0]["name"], "Ann Metric");
    for q in [
        "from=2026-04-01&to=2026-03-01",
        "from=2025-01-01&to=2026-03-01",
        "to=yesterday",
        "currency=XXQ",
    ] {
        let r = app.get(&format!("/api/v1/metrics?{q}"));
        assert_eq!(
            (r.status, r.code()),
            (422, "invalid_field"),
            "{q}: {}",
            r.body
        );
    }
}

#[test]
fn forecast_by_hand() {
    use crate::helpers::Clock;
    let app = TestApp::new();
    let today = Clock::new(&app).now().date_naive();
    let day = |n: u64| (today + chrono::Days::new(n)).to_string();
    let back = |n: u64| (today - chrono::Days::new(n)).to_string();
    let id = |name: &str| app.create_customer(name)["id"].as_str().unwrap().to_owned();
    let (ann, bob, cyd) = (id("Ann Ahead"), id("Bob Promise"), id("Cyd Habit"));
    // Ann owes 1,000 due in 10 days: no history, no risk: all of it then.
    invoice(&app, &ann, &back(20), &day(10), 1000);
    // Bob owes 400 and promised it in 3 days: 75 % of it then.
    let b = invoice(&app, &bob, &back(40), &back(5), 400);
    let r = app.post(
        &format!("/api/v1/invoices/{b}/promises"),
        json!({ "promised_date": day(3) }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // Cyd paid an earlier invoice 7 days after its due date, and owes 600
    // due in 14 days: expected 21 days from now.
    let old = invoice(&app, &cyd, &back(60), &back(30), 50);
    pay(&app, &old, 50, &back(23));
    invoice(&app, &cyd, &back(16), &day(14), 600);

    let f = app.get("/api/v1/forecast?currency=EUR");
    assert_eq!(f.status, 200, "{}", f.body);
    let weeks = f.body["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 8);
    let monday = settle_edge::forecast::monday(today);
    let week_of = |d: &str| {
        let d: chrono::NaiveDate = d.parse().unwrap();
        ((d - monday).num_days() / 7) as usize
    };
    let mut expected = [0i64; 8];
    let mut naive = [0i64; 8];
    expected[week_of(&day(10))] += 1000;
    expected[week_of(&day(3))] += 300;
    expected[week_of(&day(21))] += 600;
    // The naive baseline: every balance on its due date (Bob's is past:
    // this week).
    naive[week_of(&day(10))] += 1000;
    naive[0] += 400;
    naive[week_of(&day(14))] += 600;
    let got: Vec<i64> = weeks
        .iter()
        .map(|w| w["expected"].as_i64().unwrap())
        .collect();
    assert_eq!(got, expected, "{}", f.body);
    let got: Vec<i64> = weeks.iter().map(|w| w["naive"].as_i64().unwrap()).collect();
    assert_eq!(got, naive, "{}", f.body);
    assert_eq!(weeks[0]["starts"], monday.to_string());
    // Bob's week: 300 ± 1.645 × √(400² × 0.75 × 0.25) = 300 ± 284.9,
    // with Ann's or Cyd's certain amounts added if they fall in it.
    let w = &weeks[week_of(&day(3))];
    let certain = w["expected"].as_i64().unwrap() - 300;
    assert_eq!(w["low"].as_i64().unwrap() - certain, 15, "{w}");
    assert_eq!(w["high"].as_i64().unwrap() - certain, 585, "{w}");
    assert_eq!(w["promised"], 300, "{w}");
    // Bad input.
    let bad = app.get("/api/v1/forecast?currency=EURO");
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["error"]["code"], "invalid_field", "{}", bad.body);
}

#[test]
fn by_segment_and_agent_month_by_month_and_as_csv() {
    let app = TestApp::new();
    // The worked example: Vic has A (1,000, paid 600 and 400) and C (3,000).
    let (c1, _) = worked_example(&app, "Vic Segment", "Ola Other");
    let r = app.patch(
        &format!("/api/v1/customers/{c1}"),
        json!({ "tags": ["vip"] }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let policy = app.post(
        "/api/v1/reminder-policies",
        json!({ "name": "VIP", "steps": [{ "offset_days": 1, "tone": "firm" }] }),
    );
    assert_eq!(policy.status, 201, "{}", policy.body);
    let seg = app.post(
        "/api/v1/segments",
        json!({ "name": "VIP", "priority": 1, "rules": { "tags_any": ["vip"] }, "policy_id": policy.body["id"] }),
    );
    assert_eq!(seg.status, 201, "{}", seg.body);
    let agent = crate::team::member(&app, "agent");
    let r = app.post(
        &format!("/api/v1/customers/{c1}/assign"),
        json!({ "member_id": agent.id() }),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // Vic alone, by segment or by agent: receivables at the start 1,000,
    // sales 3,000, at the end 3,000, all current: DSO 31, CEI 100.
    let q = "/api/v1/metrics?from=2026-03-01&to=2026-03-31&currency=EUR";
    for filter in [
        format!("segment={}", seg.body["id"].as_str().unwrap()),
        format!("agent={}", agent.id()),
    ] {
        let v = app.get(&format!("{q}&{filter}")).body;
        assert_eq!(
            (
                &v["sales"],
                &v["receivables_start"],
                &v["receivables_end"],
                &v["dso"],
                &v["cei"]
            ),
            (
                &json!(3000),
                &json!(1000),
                &json!(3000),
                &json!(31.0),
                &json!(100.0)
            ),
            "{filter}: {v}"
        );
    }
    // The rest: Ola's, no one's account.
    let v = app.get(&format!("{q}&agent=none")).body;
    assert_eq!(v["sales"], 1500, "{v}");
    // Month by month, the twelve months to March; March as the period.
    let v = app.get(q).body;
    let months = v["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months[0]["from"], "2025-04-01");
    assert_eq!(months[10]["from"], "2026-02-01");
    assert_eq!(months[10]["sales"], 3000);
    assert_eq!(months[10]["dso"], 28.0);
    assert_eq!(months[11]["dso"], v["dso"]);
    assert_eq!(months[11]["cei"], v["cei"]);
    // As CSV: a header, twelve months and the period.
    let csv = app
        .http
        .get(format!("{}{q}&format=csv", app.base))
        .bearer_auth(&app.key)
        .send()
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().unwrap();
    let rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
    assert_eq!(rows.len(), 13);
    assert_eq!(&rows[11][0], "2026-03-01");
    assert_eq!(&rows[12][0], "2026-03-01");
    assert_eq!(&rows[12][3], "45.00");
    assert_eq!(&rows[12][8], "41.33");
    // Bad filters.
    for (query, field) in [
        ("agent=mem_nobody", "agent"),
        ("segment=seg_nothing", "segment"),
        ("format=xml", "format"),
    ] {
        let r = app.get(&format!("{q}&{query}"));
        assert_eq!(r.status, 422, "{query}: {}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{}", r.body);
    }
    // An agent may not read the dashboard.
    assert_eq!(agent.get(q).status, 403);
}

/// The figures without what says where they came from.
fn figures_only(mut v: serde_json::Value) -> serde_json::Value {
    for k in ["source", "days_through", "invoices_read"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

/// Runs the organization's cron and waits until `query` answers from the
/// metric days written through `through`.
pub fn from_days(app: &TestApp, query: &str, through: &str) -> serde_json::Value {
    Clock::new(app).call("cron", Some(json!({})));
    let mut got = serde_json::Value::Null;
    eventually(60, "the metric days", || {
        got = app.get(query).body;
        got["source"] == "days" && got["days_through"] == through
    });
    got
}

#[test]
fn the_days_give_the_same_figures_and_a_past_invoice_sends_them_back() {
    let app = TestApp::new();
    let (c1, _) = worked_example(&app, "Cleo Daily", "Dev Daily");
    let q = "/api/v1/metrics?from=2026-03-01&to=2026-03-31&currency=EUR";
    let first = app.get(q).body;
    assert_eq!(first["source"], "invoices", "{first}");
    let yesterday = (Clock::new(&app).now().date_naive() - chrono::Days::new(1)).to_string();
    let days = from_days(&app, q, &yesterday);
    assert_eq!(days["invoices_read"], 0);
    assert_eq!(figures_only(days), figures_only(first));
    // The CSV comes from the days too, to the cent.
    let csv = app
        .http
        .get(format!("{}{q}&format=csv", app.base))
        .bearer_auth(&app.key)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        csv.contains(
            "2026-03-01,2026-03-31,EUR,45.00,15.00,30.00,60.00,30.00,41.33,20.67,20.67,33.33"
        ),
        "{csv}"
    );

    // An invoice entered today but issued on 3 March, paid on the 10th: the
    // days hold to the 2nd, and the dashboard works out the rest at once.
    let e = invoice(&app, &c1, "2026-03-03", "2026-03-20", 700);
    pay(&app, &e, 700, "2026-03-10");
    let back = app.get(q).body;
    assert_eq!(
        (&back["source"], &back["days_through"]),
        (&json!("days"), &json!("2026-03-02")),
        "{back}"
    );
    // Sales 4,500 + 700, collected 1,500 + 700; CEI 2,200 / 5,200.
    assert_eq!(
        (&back["sales"], &back["collected"]),
        (&json!(5200), &json!(2200))
    );
    assert_eq!(back["cei"], 42.31);
    assert_eq!(back["days_to_pay"]["invoices"], 2);
    // The job writes the days again from the 3rd; nothing changes.
    let again = from_days(&app, q, &yesterday);
    assert_eq!(figures_only(again), figures_only(back));
}

fn invoice_in(app: &TestApp, customer: &str, currency: &str, issued: &str, cents: i64) -> String {
    let r = app.post(
        "/api/v1/invoices",
        json!({
            "customer_id": customer, "number": format!("X-{}", unique()), "currency": currency,
            "issue_date": issued, "due_date": "2026-03-16",
            "lines": [{ "description": "Work", "quantity": 1, "unit_amount": cents }]
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

fn set_rate(app: &TestApp, currency: &str, rate: &str) {
    let r = app.put(
        &format!("/api/v1/exchange-rates/{currency}"),
        json!({ "rate": rate }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn in_the_base_currency_at_the_rates_stored_when_it_happened() {
    let app = TestApp::new();
    let c = app.create_customer("Fay Rates")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // $100.00 invoiced at 0.90 (€90.00), $60.00 paid at 0.95 (€57.00);
    // today's rate, 2.00, counts for nothing written before it.
    set_rate(&app, "USD", "0.90");
    let usd = invoice_in(&app, &c, "USD", "2026-03-02", 10_000);
    set_rate(&app, "USD", "0.95");
    let r = app.post(
        &format!("/api/v1/invoices/{usd}/payments"),
        json!({ "amount": 6_000, "currency": "USD", "method": "bank_transfer", "received_on": "2026-03-20" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    set_rate(&app, "USD", "2");
    // €50.00 in the base currency; ¥10,000 without any rate to euros.
    invoice_in(&app, &c, "EUR", "2026-03-10", 5_000);
    invoice_in(&app, &c, "JPY", "2026-03-11", 10_000);

    let q = "/api/v1/metrics?from=2026-03-01&to=2026-03-31&currency=base";
    let v = app.get(q).body;
    assert_eq!(
        (&v["currency"], &v["in_base_currency"], &v["source"]),
        (&json!("EUR"), &json!(true), &json!("invoices")),
        "{v}"
    );
    // Sales €140.00; collected €57.00; owed $40.00 at 0.90 plus €50.00.
    assert_eq!(
        (&v["sales"], &v["collected"], &v["receivables_end"]),
        (&json!(14_000), &json!(5_700), &json!(8_600)),
        "{v}"
    );
    assert_eq!(v["invoices_without_rate"], 1);
    assert_eq!(v["currencies_without_rate"], json!(["JPY"]));
    // From the metric days: the same figures.
    let yesterday = (Clock::new(&app).now().date_naive() - chrono::Days::new(1)).to_string();
    let days = from_days(&app, q, &yesterday);
    for k in [
        "sales",
        "collected",
        "receivables_end",
        "cei",
        "aging",
        "months",
    ] {
        assert_eq!(days[k], v[k], "{k}: {days}");
    }
    // One currency alone is still in its own units.
    let dollars = app
        .get("/api/v1/metrics?from=2026-03-01&to=2026-03-31&currency=USD")
        .body;
    assert_eq!(
        (&dollars["sales"], &dollars["receivables_end"]),
        (&json!(10_000), &json!(4_000))
    );

    let rates = app.get("/api/v1/exchange-rates").body;
    assert_eq!(rates["base_currency"], "EUR");
    assert_eq!(rates["data"][0]["currency"], "USD");
    assert_eq!(rates["data"][0]["rate"], "2");
    for (path, rate, field) in [
        ("EUR", "1.1", "currency"),
        ("EURO", "1.1", "currency"),
        ("USD", "-1", "rate"),
        ("USD", "0", "rate"),
        ("USD", "1e3", "rate"),
        ("USD", "0.1234567891", "rate"),
    ] {
        let r = app.put(
            &format!("/api/v1/exchange-rates/{path}"),
            json!({ "rate": rate }),
        );
        assert_eq!(
            (r.status, r.code(), r.body["error"]["field"].as_str()),
            (422, "invalid_field", Some(field)),
            "{path} {rate}: {}",
            r.body
        );
    }
    let r = app.put("/api/v1/exchange-rates/USD", json!({ "rate": 0.9 }));
    assert_eq!(r.status, 422, "a rate as a JSON number: {}", r.body);
}
