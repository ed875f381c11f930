//! A generated year of history (the generator and the SQL of
//! `cargo xtask seed-history`), loaded into an organization of its own:
//! the worklist puts the payers the generator made worst at the top, and
//! the dashboard's figures match a computation written here from the
//! generated invoices alone.

use crate::helpers::{Clock, TestApp, d1_load};
use chrono::{Datelike, NaiveDate};
use serde_json::{Value, json};
use settle_edge::risk::simulate::{Generated, generate, seed_sql, seeded_customer};
use std::collections::HashMap;

const CUSTOMERS: u32 = 200;

fn seeded(app: &TestApp) -> (Generated, String, NaiveDate) {
    let now = Clock::new(app).now();
    let today = now.date_naive();
    let start = (today - chrono::Days::new(365)).with_day(1).unwrap();
    let g = generate(20_261_207, CUSTOMERS, start, 13);
    // Ids are time-ordered: their end tells organizations apart.
    let tag = app.org_id[app.org_id.len() - 8..].to_owned();
    d1_load(&seed_sql(
        &app.org_id,
        &tag,
        &g,
        today,
        now.timestamp_millis(),
    ));
    (g, tag, today)
}

fn worklist(app: &TestApp) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app.get(&format!("/api/v1/worklist?limit=200{cursor}"));
        assert_eq!(r.status, 200, "{}", r.body);
        rows.extend(r.body["data"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return rows,
        }
    }
}

#[test]
fn the_worklist_ranks_the_known_worst_payers_first() {
    let app = TestApp::new();
    let (g, tag, _) = seeded(&app);
    let t = app.post("/api/v1/risk/train", json!({}));
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["trained"], true, "{}", t.body);
    let lateness: HashMap<String, f64> = g
        .lateness
        .iter()
        .enumerate()
        .map(|(c, l)| (seeded_customer(&tag, c), *l))
        .collect();
    // The known worst payers: the tenth of customers the generator made
    // latest.
    let mut by_lateness: Vec<f64> = g.lateness.clone();
    by_lateness.sort_by(|a, b| b.total_cmp(a));
    let worst_from = by_lateness[by_lateness.len() / 10 - 1];
    // Among the overdue accounts, the list puts them before the others far
    // more often than chance, and than "largest balance first".
    let list = worklist(&app);
    let worst = |r: &Value| lateness[r["customer_id"].as_str().unwrap()] >= worst_from;
    let listed: Vec<bool> = list.iter().map(worst).collect();
    let mut by_amount = list.clone();
    by_amount.sort_by_key(|r| std::cmp::Reverse(r["overdue"][0]["amount"].as_i64().unwrap()));
    let largest_first: Vec<bool> = by_amount.iter().map(worst).collect();
    let (ours, naive) = (worst_first(&listed), worst_first(&largest_first));
    let on_top = listed
        .iter()
        .take(listed.iter().filter(|w| **w).count())
        .filter(|w| **w)
        .count();
    eprintln!(
        "{} accounts, {} of the worst payers, {on_top} of them on top; worst first {ours:.2}, largest balance first {naive:.2}",
        listed.len(),
        listed.iter().filter(|w| **w).count()
    );
    assert!(listed.iter().filter(|w| **w).count() >= 5, "{list:?}");
    assert!(
        ours >= 0.72 && ours >= naive + 0.15,
        "worst payers first {ours:.2}, largest balance first {naive:.2}"
    );
    // Each row still says why: the risk is among its reasons.
    assert!(list.iter().all(|r| {
        r["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "risk")
    }));
}

/// The chance that a worst payer comes before another account in `order`
/// (the area under the ROC curve of the list's order).
fn worst_first(order: &[bool]) -> f64 {
    let (mut pairs, mut before) = (0u32, 0u32);
    for (i, w) in order.iter().enumerate() {
        if *w {
            for o in &order[i + 1..] {
                pairs += u32::from(!*o);
                before += u32::from(!*o);
            }
            for o in &order[..i] {
                pairs += u32::from(!*o);
            }
        }
    }
    f64::from(before) / f64::from(pairs)
}

/// What an invoice of the generated history still owed after `on`, in
/// cents, as loaded: paid in full on its settlement day if that day had
/// come by `today`.
fn owed(p: &settle_edge::risk::simulate::Past, on: NaiveDate, today: NaiveDate) -> i64 {
    let paid = p.settled.is_some_and(|s| s <= today && s <= on);
    if p.issue_date > on || paid {
        0
    } else {
        (p.amount * 100.0) as i64
    }
}

#[test]
fn the_dashboard_matches_a_computation_from_the_generated_invoices() {
    let app = TestApp::new();
    let (g, _, today) = seeded(&app);
    // The last whole month, and the quarter before it.
    let end = today.with_day(1).unwrap().pred_opt().unwrap();
    let yesterday = (today - chrono::Days::new(1)).to_string();
    // From the invoices, then from the days the job wrote: the same.
    for (source, start) in ["invoices", "days"].into_iter().flat_map(|source| {
        [
            end.with_day(1).unwrap(),
            end.with_day(1)
                .unwrap()
                .checked_sub_months(chrono::Months::new(2))
                .unwrap(),
        ]
        .map(|start| (source, start))
    }) {
        let query = format!("/api/v1/metrics?from={start}&to={end}&currency=EUR");
        let v = &if source == "days" {
            crate::metrics::from_days(&app, &query, &yesterday)
        } else {
            app.get(&query).body
        };
        assert_eq!(v["source"], source, "{v}");
        let inv = &g.invoices;
        let cents = |p: &settle_edge::risk::simulate::Past| (p.amount * 100.0) as i64;
        let during = |d: NaiveDate| start <= d && d <= end;
        let sales: i64 = inv.iter().filter(|p| during(p.issue_date)).map(cents).sum();
        let collected: i64 = inv
            .iter()
            .filter(|p| p.settled.is_some_and(|s| s <= today && during(s)))
            .map(cents)
            .sum();
        let before = start.pred_opt().unwrap();
        let at_start: i64 = inv.iter().map(|p| owed(p, before, today)).sum();
        let at_end: i64 = inv.iter().map(|p| owed(p, end, today)).sum();
        let current: i64 = inv
            .iter()
            .filter(|p| p.due_date >= end)
            .map(|p| owed(p, end, today))
            .sum();
        let days = ((end - start).num_days() + 1) as f64;
        let r2 = |x: f64| (x * 100.0).round() / 100.0;
        assert_eq!(v["sales"], sales, "{v}");
        assert_eq!(v["collected"], collected, "{v}");
        assert_eq!(v["receivables_start"], at_start, "{v}");
        assert_eq!(v["receivables_end"], at_end, "{v}");
        assert_eq!(v["current_end"], current, "{v}");
        let dso = r2(at_end as f64 / sales as f64 * days);
        let best = r2(current as f64 / sales as f64 * days);
        let cei =
            r2((at_start + sales - at_end) as f64 / (at_start + sales - current) as f64 * 100.0);
        assert_eq!(v["dso"].as_f64(), Some(dso), "{v}");
        assert_eq!(v["best_possible_dso"].as_f64(), Some(best), "{v}");
        assert_eq!(v["cei"].as_f64(), Some(cei), "{v}");
        // Aging at the end, by days past due.
        let mut aging = [(0i64, 0u64); 5];
        for p in inv {
            let o = owed(p, end, today);
            if o > 0 {
                let late = (end - p.due_date).num_days();
                let b = match late {
                    ..=0 => 0,
                    1..=30 => 1,
                    31..=60 => 2,
                    61..=90 => 3,
                    _ => 4,
                };
                aging[b].0 += o;
                aging[b].1 += 1;
            }
        }
        let got: Vec<(i64, u64)> = v["aging"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["amount"].as_i64().unwrap(), b["count"].as_u64().unwrap()))
            .collect();
        assert_eq!(got, aging.to_vec(), "{v}");
        // Days to pay over the invoices settled in the period.
        let settled: Vec<_> = inv
            .iter()
            .filter(|p| p.settled.is_some_and(|s| s <= today && during(s)))
            .collect();
        let mean_days = settled
            .iter()
            .map(|p| (p.settled.unwrap() - p.issue_date).num_days())
            .sum::<i64>() as f64
            / settled.len() as f64;
        assert_eq!(v["days_to_pay"]["invoices"], settled.len(), "{v}");
        assert_eq!(
            v["days_to_pay"]["days_to_pay"].as_f64(),
            Some(r2(mean_days)),
            "{v}"
        );
        // Promises the generator broke in the period, none kept: all broken.
        let broken = inv
            .iter()
            .filter(|p| p.promise_broken.is_some_and(|b| b <= today && during(b)))
            .count();
        if broken > 0 {
            assert_eq!(v["broken_promise_rate"].as_f64(), Some(1.0), "{v}");
        }
    }
}
