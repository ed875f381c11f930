//! The billing run at scale: N subscriptions (100,000 unless told) of one
//! organization loaded into local D1, then one run started through the API
//! and followed to its end, batch by batch through the queue, as the cron
//! would start it. Reports the wall time, invoices per second and what the
//! run counted; every invoice's email goes through the same queue.

use crate::Result;
use crate::proc::step;
use crate::stack::Stack;
use crate::tools::Tools;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// Local workerd keeps its connections to wrangler's loopback service
/// open (in CLOSE-WAIT) and meets the 20,000 open files this machine allows
/// after about 6,000 invoices; past this many the bench restarts it, as a
/// crash would, and the run goes on from its cursor.
const RESTART_AT_OPEN_FILES: usize = 15_000;

pub fn run(t: &Tools, stack: &mut Stack, state: &Path, n: u32) -> Result<()> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let (org, key) = stack.bench_organization(&http, "Bench Subscriptions", json!({}))?;
    let base_url = stack.base_url.clone();
    let api = |method: reqwest::Method, path: &str, body: Option<Value>| -> Result<Value> {
        let mut r = http
            .request(method, format!("{base_url}/api/v1{path}"))
            .bearer_auth(&key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().and_then(|r| r.json()).map_err(|e| e.to_string())
    };
    let plan = api(
        reqwest::Method::POST,
        "/catalog/plans",
        Some(json!({ "code": "team", "name": "Team", "interval": "month",
                     "prices": { "EUR": 2900 }, "tax_rate": "20", "max_quantity": 100 })),
    )?;
    let plan_id = plan["id"].as_str().ok_or("plan not created")?.to_owned();
    // The organization's clock (UTC), set to tomorrow just after midnight
    // so that restarts (which move it on) stay within one run date: the run
    // bills what started that day.
    let clock = crate::clock::Operator::new(&base_url, &org);
    let read = || -> Result<chrono::DateTime<chrono::Utc>> {
        clock.now()?["now"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| "no clock".into())
    };
    let tomorrow = read()?.date_naive() + chrono::Days::new(1);
    clock.set(&format!("{tomorrow}T00:05:00Z"))?;
    let now = read()?;
    let today = now.date_naive().to_string();
    let at = now.timestamp_millis();
    let last = n - 1;
    let sql = format!(
        "INSERT INTO customers (id, organization_id, name, email, email_lower, locale, time_zone, created_at)
         WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < {last})
         SELECT printf('cus_%012x%020x', {at}, i), '{org}', 'Subscriber ' || i, 's' || i || '@bench.example',
           's' || i || '@bench.example', 'en', 'UTC', {at} FROM k;
         INSERT INTO subscriptions (id, organization_id, customer_id, number, plan_id, currency, quantity, add_ons,
           status, start_date, billed_to, created_at, updated_at)
         WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < {last})
         SELECT printf('sub_%012x%020x', {at}, i), '{org}', printf('cus_%012x%020x', {at}, i), printf('SUB-%08X', i),
           '{plan_id}', 'EUR', 1 + i % 5, '[]', 'active', '{today}', '{today}', {at}, {at} FROM k;"
    );
    let file = state.join("bench-billing.sql");
    std::fs::write(&file, sql).map_err(|e| e.to_string())?;
    step(&format!("load {n} subscriptions into local D1"), || {
        crate::bench_reminders::load_sql(t, state, &file)
    })?;
    let started = Instant::now();
    let run = api(reqwest::Method::POST, "/billing-runs", Some(json!({})))?;
    let run_id = run["id"]
        .as_str()
        .ok_or(format!("no run: {run}"))?
        .to_owned();
    let mut last_print = Instant::now();
    let mut restarts = 0;
    let mut restarting = Duration::ZERO;
    let done = loop {
        if stack.worker_open_files() > RESTART_AT_OPEN_FILES {
            let began = Instant::now();
            eprintln!(
                "  {} s: the worker holds over {RESTART_AT_OPEN_FILES} open files; restarting it",
                started.elapsed().as_secs()
            );
            stack.crash_worker_and_restart()?;
            // The batch in flight died with it: as the cron would two
            // minutes later, find the run stalled and queue it again. A
            // worker just started may drop the first calls: ask again.
            let mut tries = 0;
            while let Err(e) = clock.advance(180).and_then(|_| clock.cron()) {
                tries += 1;
                if tries == 20 {
                    return Err(format!("the restarted worker did not resume the run: {e}"));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            restarts += 1;
            restarting += began.elapsed();
        }
        std::thread::sleep(Duration::from_secs(2));
        // A busy local worker may drop a poll: ask again.
        let Ok(runs) = api(reqwest::Method::GET, "/billing-runs", None) else {
            continue;
        };
        let Some(r) = runs["data"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["id"] == run_id.as_str()))
            .cloned()
        else {
            continue;
        };
        if r["status"] == "done" {
            break r;
        }
        if last_print.elapsed() > Duration::from_secs(30) {
            eprintln!(
                "  {} s: {} of {} issued",
                started.elapsed().as_secs(),
                r["issued"],
                r["due"]
            );
            last_print = Instant::now();
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let issued = done["issued"].as_f64().unwrap_or(0.0);
    println!(
        "\n## One billing run over {n} subscriptions (local wrangler dev, one organization)\n"
    );
    println!(
        "| subscriptions due | issued | skipped | failed | wall time | worker restarts (time) | invoices/s without restarts | queue jobs of 100 |\n|---|---|---|---|---|---|---|---|"
    );
    let restarting = restarting.as_secs_f64();
    println!(
        "| {} | {} | {} | {} | {secs:.0} s | {restarts} ({restarting:.0} s) | {:.0} | {} |",
        done["due"],
        done["issued"],
        done["skipped"],
        done["failed"],
        issued / (secs - restarting),
        n.div_ceil(100)
    );
    Ok(())
}
