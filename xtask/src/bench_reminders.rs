//! The reminder cron under load: 100,000 open invoices in local D1, 2,000
//! of them due (each a step due now, for 2,000 customers), then one cron
//! tick through `POST /api/v1/operator/cron`, which runs exactly what the
//! scheduled handler runs and answers the tick's report with the rows D1
//! says it read. A second tick with nothing due shows what an idle tick
//! costs: the rows read follow the due invoices, not the open ones.

use crate::Result;
use crate::clock::Operator;
use crate::proc::step;
use crate::stack::Stack;
use crate::tools::Tools;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const OPEN: u32 = 100_000;
const DUE: u32 = 2_000;

pub fn run(t: &Tools, stack: &Stack, state: &Path) -> Result<()> {
    let http = reqwest::blocking::Client::new();
    let (org, _) = stack.bench_organization(&http, "Bench Co", json!({}))?;
    // A weekday at 12:00 UTC, when UTC customers are inside 09:00–17:00.
    let op = Operator::new(&stack.base_url, &org);
    let now: DateTime<Utc> = op.now()?["now"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no clock")?;
    let mut day = now.date_naive() + Duration::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    let noon = day.and_hms_opt(12, 0, 0).ok_or("noon")?.and_utc();
    op.set(&noon.to_rfc3339())?;
    let at = noon.timestamp_millis();
    // Due 3 days ago: the +3 step's 09:00 slot today has passed. The rest
    // are due next year and are next looked at in a month or more.
    let due = (day - Duration::days(3)).to_string();
    let sql = format!(
        "INSERT INTO customers (id, organization_id, name, email, email_lower, locale, time_zone, created_at)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {customers})
         SELECT printf('cus_%012x%020x', {at}, i), '{org}', 'Customer ' || i, 'c' || i || '@bench.example', 'c' || i || '@bench.example', 'en', 'UTC', {at} FROM n;
         INSERT INTO invoices (id, organization_id, customer_id, number, currency, status, issue_date, due_date, subtotal, tax, total, created_at, reminder_cursor, next_reminder_at)
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last})
         SELECT printf('inv_%012x%020x', {at}, i), '{org}', printf('cus_%012x%020x', {at}, i % {DUE}), 'B-' || i, 'EUR', 'open', '{due}',
           CASE WHEN i < {DUE} THEN '{due}' ELSE '2027-12-31' END, 10000, 0, 10000, {created},
           {created}, CASE WHEN i < {DUE} THEN {at} - 3600000 ELSE {at} + 30 * 86400000 + i * 1000 END FROM n;",
        customers = DUE - 1,
        last = OPEN - 1,
        created = at - 7 * 86_400_000,
    );
    let file = state.join("bench-reminders.sql");
    std::fs::write(&file, sql).map_err(|e| e.to_string())?;
    step("load 100,000 open invoices into local D1", || {
        load_sql(t, state, &file)
    })?;
    println!(
        "\n## One reminder cron tick over {OPEN} open invoices, {DUE} due (local wrangler dev)\n"
    );
    println!(
        "| tick | wall time | invoices looked at | reminder emails queued | D1 rows read | D1 rows written |\n|---|---|---|---|---|---|"
    );
    for label in ["2,000 due", "nothing due"] {
        let started = Instant::now();
        let r = op.cron()?;
        let ms = started.elapsed().as_millis();
        println!(
            "| {label} | {ms} ms | {} | {} | {} | {} |",
            r["invoices_looked_at"], r["emails_queued"], r["d1_rows_read"], r["d1_rows_written"]
        );
    }
    Ok(())
}

/// Runs a SQL file against the stack's local D1 (`wrangler d1 execute`),
/// tried again a few times while the running worker holds the database.
pub fn load_sql(t: &Tools, state: &Path, file: &Path) -> Result<()> {
    let mut last = String::new();
    for _ in 0..5 {
        let out = Command::new(&t.wrangler)
            .args(["d1", "execute", "DB", "--local", "--persist-to"])
            .arg(state)
            .arg("--file")
            .arg(file)
            .current_dir(crate::root())
            .env("PATH", &t.path)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("CI", "1")
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            return Ok(());
        }
        last = String::from_utf8_lossy(&out.stderr).to_string();
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    Err(format!("loading failed: {last}"))
}
