//! `cargo xtask seed-history [CUSTOMERS]` (with `cargo xtask dev` running):
//! adds a generated year of history to the demo company: CUSTOMERS
//! customers (300 unless told) with thirteen monthly invoices each, paid on
//! time or late by the pattern of `settle_edge::risk::simulate` (a lateness
//! of each customer's own, automatic payers seldom late, large invoices and
//! disputes more often late), the last ones still open and some overdue.
//! Then it trains the risk model and has the cron write the metric days,
//! so the worklist, the risk on each customer page and the dashboard have
//! a year to show.

use crate::Result;
use crate::proc::step;
use chrono::Datelike;
use settle_edge::risk::simulate::{generate, seed_sql};

pub fn run(args: &[String]) -> Result<()> {
    let customers: u32 = match args.first() {
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=20_000).contains(n))
            .ok_or(format!(
                "`{v}` is not a number of customers from 1 to 20,000"
            ))?,
        None => 300,
    };
    let demo: crate::seed::Demo =
        std::fs::read_to_string(crate::root().join(".settle/dev/demo.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .ok_or(
                "no demo company: start `cargo xtask dev` first (it writes .settle/dev/demo.json)",
            )?;
    let base = "http://127.0.0.1:8787";
    let org = &demo.organization_id;
    let now: chrono::DateTime<chrono::Utc> = crate::clock::Operator::new(base, org).now()?["now"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("the demo is not answering on 127.0.0.1:8787")?;
    let today = now.date_naive();
    // Thirteen months ending this month: the last invoices are still open.
    let start = (today - chrono::Days::new(365))
        .with_day0(0)
        .ok_or("no first of the month")?;
    let at = now.timestamp_millis();
    let seed = at as u64;
    let g = generate(seed, customers, start, 13);
    let h = &g.invoices;
    let tag = format!("{:08x}", seed & 0xffff_ffff);
    let sql = seed_sql(org, &tag, &g, today, at);
    let open = h
        .iter()
        .filter(|p| p.settled.is_none_or(|s| s > today))
        .count();
    let file = crate::root().join(".settle/dev/history.sql");
    std::fs::write(&file, sql).map_err(|e| e.to_string())?;
    let t = crate::tools::ensure(false)?;
    step(
        &format!(
            "load {customers} customers and {} invoices into the demo's D1",
            h.len()
        ),
        || crate::bench_reminders::load_sql(&t, &crate::root().join(".settle/dev"), &file),
    )?;
    let trained: serde_json::Value = reqwest::blocking::Client::new()
        .post(format!("{base}/api/v1/risk/train"))
        .bearer_auth(&demo.api_key)
        .json(&serde_json::json!({}))
        .send()
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    // The dashboard's first read makes the cursor of its metric days; one
    // cron run then writes the thirteen months (a queued job per month).
    reqwest::blocking::Client::new()
        .get(format!("{base}/api/v1/metrics"))
        .bearer_auth(&demo.api_key)
        .send()
        .map_err(|e| e.to_string())?;
    crate::clock::Operator::new(base, org).cron()?;
    println!(
        "\n{} invoices over 13 months, {open} still open; the risk model learned from {} of them.\nOpen the worklist: {base}/console/worklist",
        h.len(),
        trained["examples"]
    );
    Ok(())
}
