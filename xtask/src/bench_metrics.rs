//! `cargo xtask bench metrics [N]`: the dashboard of an organization with N
//! invoices (1,000,000 unless told) on local `wrangler dev`.
//!
//! N invoices over three years for 10,000 customers go into local D1 by
//! SQL (most paid 20–59 days after issue, one in fifty never, the last
//! month's still open), each paid one with its ledger row. Then: one
//! dashboard read before any day is written (computed from the newest
//! 50,000 invoices, as the API does until the job has run); the job
//! writing three years of days through the queue, a month at a time; the
//! dashboard read from the days, timed with `oha`; and the next day's job,
//! after a day of new invoices and payments, as the nightly run does it.

use crate::Result;
use crate::clock::Operator;
use crate::proc::{output, step};
use crate::stack::Stack;
use crate::tools::Tools;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CUSTOMERS: u32 = 10_000;
const DAYS: u32 = 1_095;

pub fn run(t: &Tools, stack: &Stack, state: &Path, n: u32) -> Result<()> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;
    let (org, key) =
        stack.bench_organization(&http, "Bench Metrics", json!({ "default_currency": "EUR" }))?;
    let op = Operator::new(&stack.base_url, &org);
    let now: chrono::DateTime<chrono::Utc> = op.now()?["now"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no clock")?;
    let today = now.date_naive();
    let first = today - chrono::Days::new(u64::from(DAYS));
    let at = now.timestamp_millis();
    // Invoice i is issued on day i × DAYS / N, due 30 days later, paid
    // 20 + i mod 40 days after issue unless one in fifty or not yet.
    let sql = format!(
        "INSERT INTO customers (id, organization_id, name, email, email_lower, locale, time_zone, created_at)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last_customer})
         SELECT printf('cus_%012x%020x', {at}, i), '{org}', 'Customer ' || i, 'c' || i || '@bench.example', 'c' || i || '@bench.example', 'en', 'UTC', {at} FROM n;
         INSERT INTO invoices (id, organization_id, customer_id, number, currency, status, issue_date, due_date, subtotal, tax, total, amount_paid, created_at)
         WITH RECURSIVE {bench}
         SELECT printf('inv_%012x%020x', {at}, i), '{org}', printf('cus_%012x%020x', {at}, i % {CUSTOMERS}), 'M-' || i, 'EUR',
           CASE WHEN i % 50 != 0 AND paid < '{today}' THEN 'paid' ELSE 'open' END, issued, date(issued, '+30 days'),
           total, 0, total, CASE WHEN i % 50 != 0 AND paid < '{today}' THEN total ELSE 0 END, {at} FROM b;
         INSERT INTO payments (id, organization_id, invoice_id, kind, method, amount, currency, received_on, created_at)
         WITH RECURSIVE {bench}
         SELECT printf('pay_%012x%020x', {at}, i), '{org}', printf('inv_%012x%020x', {at}, i), 'payment', 'bank_transfer', total, 'EUR', paid, {at}
         FROM b WHERE i % 50 != 0 AND paid < '{today}';",
        last_customer = CUSTOMERS - 1,
        bench = format!(
            "n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last}), \
             b AS (SELECT i, date('{first}', '+' || (i * {DAYS} / {n}) || ' days') AS issued, \
             date('{first}', '+' || (i * {DAYS} / {n} + 20 + i % 40) || ' days') AS paid, \
             1000 + (i * 7919) % 90000 AS total FROM n)",
            last = n - 1
        ),
    );
    let file = state.join("bench-metrics.sql");
    std::fs::write(&file, sql).map_err(|e| e.to_string())?;
    let started = Instant::now();
    step(
        &format!("load {n} invoices over three years into local D1"),
        || crate::bench_reminders::load_sql(t, state, &file),
    )?;
    let loaded = started.elapsed().as_secs();
    let url = format!("{}/api/v1/metrics?currency=EUR", stack.base_url);
    let get = || -> Result<(Value, u128)> {
        let s = Instant::now();
        let v: Value = http
            .get(&url)
            .bearer_auth(&key)
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        Ok((v, s.elapsed().as_millis()))
    };
    let (before, before_ms) = get()?;
    // The job, queued by the cron, a month of days at a time.
    let started = Instant::now();
    op.cron()?;
    let through = (today - chrono::Days::new(1)).to_string();
    let (after, _) = loop {
        let (v, ms) = get()?;
        if v["source"] == "days" && v["days_through"] == through.as_str() {
            break (v, ms);
        }
        if started.elapsed() > Duration::from_secs(3600) {
            return Err(format!("the metric days did not finish in an hour: {v}"));
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    let job_s = started.elapsed().as_secs();
    let load = |url: &str, n: &str| -> Result<Value> {
        let out = output(
            Command::new("oha")
                .args([
                    "-n",
                    n,
                    "-c",
                    "2",
                    "--no-tui",
                    "--output-format",
                    "json",
                    "-H",
                ])
                .arg(format!("Authorization: Bearer {key}"))
                .arg(url),
        )
        .ok_or("oha failed")?;
        serde_json::from_str(&out).map_err(|e| e.to_string())
    };
    let o = load(&url, "200")?;
    // A year-long period reads a year of days and their clearings.
    let year = load(
        &format!("{url}&from={}", today - chrono::Days::new(365)),
        "50",
    )?;
    let ms = |o: &Value, p: &str| o["latencyPercentiles"][p].as_f64().unwrap_or(f64::NAN) * 1000.0;
    // A day later: a day of invoices and payments, and the nightly job.
    op.advance(86_400)?;
    let day = format!(
        "INSERT INTO invoices (id, organization_id, customer_id, number, currency, status, issue_date, due_date, subtotal, tax, total, amount_paid, created_at)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {per_day})
         SELECT printf('inv_%012x%020x', {at} + 1, i), '{org}', printf('cus_%012x%020x', {at}, i), 'N-' || i, 'EUR', 'open', '{today}', date('{today}', '+30 days'), 5000, 0, 5000, 0, {at} + 86400000 FROM n;",
        per_day = n / DAYS,
    );
    std::fs::write(&file, day).map_err(|e| e.to_string())?;
    crate::bench_reminders::load_sql(t, state, &file)?;
    let started = Instant::now();
    op.cron()?;
    let next = today.to_string();
    loop {
        let (v, _) = get()?;
        if v["days_through"] == next.as_str() {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("the nightly job did not finish: {v}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let nightly_ms = started.elapsed().as_millis();
    println!("\n## The dashboard of one organization with {n} invoices (local wrangler dev)\n");
    println!("| what | figure |\n|---|---|");
    println!("| loading {n} invoices and their payments by SQL | {loaded} s |");
    println!(
        "| one read before the days exist (from the newest {} invoices) | {before_ms} ms |",
        before["invoices_read"]
    );
    println!("| the job writing {DAYS} days, a month per queued job | {job_s} s |");
    println!(
        "| a read from the days, 30 days: p50 / p95 / p99 over 200 (oha, 2 connections) | {:.0} / {:.0} / {:.0} ms |",
        ms(&o, "p50"),
        ms(&o, "p95"),
        ms(&o, "p99")
    );
    println!(
        "| a read from the days, a year: p50 / p95 over 50 | {:.0} / {:.0} ms |",
        ms(&year, "p50"),
        ms(&year, "p95")
    );
    println!(
        "| status codes | {} · {} |",
        o["statusCodeDistribution"], year["statusCodeDistribution"]
    );
    println!(
        "| the nightly job for one day ({} new invoices), cron to done | {nightly_ms} ms |",
        n / DAYS
    );
    println!(
        "\nFrom the days: DSO {}, CEI {} %, receivables {}; before them (50,000 invoices only): receivables {}.",
        after["dso"], after["cei"], after["receivables_end"], before["receivables_end"]
    );
    Ok(())
}
