//! `cargo xtask seed-history [CUSTOMERS]` (with `cargo xtask dev` running):
//! adds a generated year of history to the demo company: CUSTOMERS
//! customers (300 unless told) with thirteen monthly invoices each, paid on
//! time or late by the pattern of `settle_edge::risk::simulate` (a lateness
//! of each customer's own, automatic payers seldom late, large invoices and
//! disputes more often late), the last ones still open and some overdue.
//! Then it trains the risk model, so the worklist, the risk on each
//! customer page and the metrics have a year to show.

use crate::Result;
use crate::proc::step;
use chrono::Datelike;
use settle_edge::risk::simulate::history;
use std::fmt::Write;

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
    let h = history(seed, customers, start, 13);
    let mut sql = String::new();
    let tag = format!("{:08x}", seed & 0xffff_ffff);
    for c in 0..customers {
        let name = format!(
            "{} {}",
            FIRST[c as usize % FIRST.len()],
            LAST[(c as usize / FIRST.len()) % LAST.len()]
        );
        let _ = writeln!(
            sql,
            "INSERT INTO customers (id, organization_id, name, email, email_lower, locale, time_zone, created_at) VALUES \
             ('cus_{tag}{c:024x}', '{org}', '{name} (history)', 'h{c}-{tag}@history.example', 'h{c}-{tag}@history.example', 'en', 'Europe/London', {at});"
        );
    }
    let mut open = 0;
    for (n, p) in h.iter().enumerate() {
        let c: u32 = p
            .customer_id
            .trim_start_matches("cus_sim_")
            .parse()
            .unwrap_or(0);
        let cents = (p.amount * 100.0) as i64;
        let settled = p.settled.filter(|s| *s <= today);
        let (status, paid) = if settled.is_some() {
            ("paid", cents)
        } else {
            ("open", 0)
        };
        open += usize::from(settled.is_none());
        let id = format!("inv_{tag}{n:024x}");
        let _ = writeln!(
            sql,
            "INSERT INTO invoices (id, organization_id, customer_id, number, currency, status, issue_date, due_date, subtotal, tax, total, amount_paid, created_at) VALUES \
             ('{id}', '{org}', 'cus_{tag}{c:024x}', 'H-{tag}-{n:06}', 'EUR', '{status}', '{}', '{}', {cents}, 0, {cents}, {paid}, {at});\n\
             INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_amount, tax_rate_milli, net, tax) VALUES ('{id}', 0, 'Monthly services', 1000, {cents}, 0, {cents}, 0);",
            p.issue_date, p.due_date
        );
        if let Some(s) = settled {
            let _ = writeln!(
                sql,
                "INSERT INTO payments (id, organization_id, invoice_id, kind, method, amount, currency, reference, received_on, created_at) VALUES \
                 ('pay_{tag}{n:024x}', '{org}', '{id}', 'payment', 'bank_transfer', {cents}, 'EUR', 'history', '{s}', {at});"
            );
        }
    }
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
    println!(
        "\n{} invoices over 13 months, {open} still open; the risk model learned from {} of them.\nOpen the worklist: {base}/console/worklist",
        h.len(),
        trained["examples"]
    );
    Ok(())
}

const FIRST: [&str; 20] = [
    "Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kira", "Leo",
    "Mila", "Nils", "Olga", "Paul", "Rosa", "Sami", "Tara", "Uma",
];
const LAST: [&str; 15] = [
    "Archer", "Baker", "Carter", "Dalton", "Ellis", "Fisher", "Grant", "Hayes", "Irwin", "Jensen",
    "Keller", "Lowe", "Monroe", "Nash", "Olsen",
];
