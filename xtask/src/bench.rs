//! `cargo xtask bench`: the figures README.md reports.
//!
//! - What a browser downloads for the invoice page, raw, gzip -9 and brotli -q 11.
//! - The worker bundle, raw and gzip.
//! - Requests per second and latency of `GET /api/v1/portal/invoices/{id}`
//!   on local `wrangler dev`, with `oha`'s JSON output (0 errors expected).
//! - Webhook ingestion under duplicated, shuffled load.
//! - One reminder cron tick over 100,000 open invoices, 2,000 due.

use crate::proc::{self, output, step};
use crate::stack::{Stack, remove_dir};
use crate::{Result, build, root, seed, tools};
use std::path::Path;
use std::process::Command;

fn sizes(path: &Path) -> Result<(u64, u64, u64)> {
    let raw = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let count = |cmd: &str| -> Result<u64> {
        let out = output(
            Command::new("sh")
                .arg("-c")
                .arg(format!("{cmd} < '{}' | wc -c", path.display())),
        )
        .ok_or_else(|| format!("`{cmd}` failed"))?;
        out.trim().parse().map_err(|_| format!("`{cmd}`: {out}"))
    };
    Ok((raw, count("gzip -9 -c")?, count("brotli -q 11 -c")?))
}

/// Installs `oha`, the load generator, unless it is there.
fn ensure_oha() -> Result<()> {
    if output(Command::new("oha").arg("--version")).is_some() {
        return Ok(());
    }
    step("install oha (load generator)", || {
        proc::run(Command::new("cargo").args(["install", "oha", "--version", "1.10.0", "--locked"]))
    })
}

pub fn run(args: &[String]) -> Result<()> {
    // `cargo xtask bench reminders`: only the reminder cron figure.
    let only_reminders = args.first().is_some_and(|a| a == "reminders");
    // `cargo xtask bench webhooks`: only the webhook ingestion figure.
    let only_webhooks = args.first().is_some_and(|a| a == "webhooks");
    // `cargo xtask bench billing [N]`: only the billing run over N
    // subscriptions (100,000 unless told).
    if args.first().is_some_and(|a| a == "billing") {
        let n: u32 = match args.get(1) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("`{v}` is not a number of subscriptions"))?,
            None => 100_000,
        };
        let t = tools::ensure(false)?;
        build::all(&t)?;
        let (mut stack, state) = Stack::for_run(&t, "bench", root().join("target/bench-logs"))?;
        let figures = crate::bench_billing::run(&t, &mut stack, &state, n);
        drop(stack);
        remove_dir(&state)?;
        return figures;
    }
    // `cargo xtask bench metrics [N]`: only the dashboard of an
    // organization with N invoices (1,000,000 unless told).
    if args.first().is_some_and(|a| a == "metrics") {
        let n: u32 = match args.get(1) {
            Some(v) => v.parse().ok().filter(|n| *n >= 10_000).ok_or(format!(
                "`{v}` is not a number of invoices of 10,000 or more"
            ))?,
            None => 1_000_000,
        };
        let t = tools::ensure(false)?;
        ensure_oha()?;
        build::all(&t)?;
        let (stack, state) = Stack::for_run(&t, "bench", root().join("target/bench-logs"))?;
        let figures = crate::bench_metrics::run(&t, &stack, &state, n);
        drop(stack);
        remove_dir(&state)?;
        return figures;
    }
    // `cargo xtask bench models`: the risk model's and the forecast's
    // quality on generated histories (native, no stack).
    if args.first().is_some_and(|a| a == "models") {
        return crate::bench_models::run();
    }
    // `cargo xtask bench threads`: only the dispute thread figure.
    if args.first().is_some_and(|a| a == "threads") {
        let t = tools::ensure(false)?;
        build::all(&t)?;
        let (stack, state) = Stack::for_run(&t, "bench", root().join("target/bench-logs"))?;
        let figures = thread_load(&stack);
        drop(stack);
        remove_dir(&state)?;
        return figures;
    }
    let t = tools::ensure(false)?;
    let everything = !only_reminders && !only_webhooks;
    if everything && output(Command::new("brotli").arg("--version")).is_none() {
        step("install brotli", || {
            proc::run(Command::new("apt-get").args(["install", "-y", "brotli"]))
        })?;
    }
    if everything {
        ensure_oha()?;
    }
    build::all(&t)?;
    let root = root();
    if only_webhooks {
        let (stack, state) = Stack::for_run(&t, "bench", root.join("target/bench-logs"))?;
        let demo = seed::demo(&stack, &state.join("demo.json"))?;
        webhook_load(&stack, &demo)?;
        drop(stack);
        return remove_dir(&state);
    }

    println!("\n## Portal first load (everything the invoice page downloads)\n");
    println!("| file | raw | gzip -9 | brotli -q 11 |\n|---|---|---|---|");
    let mut total = (0, 0, 0);
    let mut files: Vec<_> = std::fs::read_dir(root.join("dist"))
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    // `_headers` is read by the platform, never downloaded.
    for f in files
        .iter()
        .filter(|f| f.is_file() && !f.ends_with("_headers"))
    {
        let (r, g, b) = sizes(f)?;
        total = (total.0 + r, total.1 + g, total.2 + b);
        println!(
            "| {} | {r} B | {g} B | {b} B |",
            f.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    println!(
        "| **total** | {} B | **{} B** | {} B |",
        total.0, total.1, total.2
    );

    println!("\n## Worker bundle\n");
    println!("| file | raw | gzip -9 |\n|---|---|---|");
    for f in [
        "edge/build/index_bg.wasm",
        "edge/build/index.js",
        "edge/build/worker/shim.mjs",
    ] {
        let p = root.join(f);
        if p.exists() {
            let (r, g, _) = sizes(&p)?;
            println!("| {f} | {r} B | {g} B |");
        }
    }

    let (stack, state) = Stack::for_run(&t, "bench", root.join("target/bench-logs"))?;
    let demo = seed::demo(&stack, &state.join("demo.json"))?;
    if only_reminders {
        crate::bench_reminders::run(&t, &stack, &state)?;
        drop(stack);
        return remove_dir(&state);
    }
    let (cookie, invoice) = portal_session(&stack, &demo)?;
    let url = format!("{}/api/v1/portal/invoices/{invoice}", stack.base_url);
    println!("\n## GET one invoice through the portal API (oha, 3000 requests, 10 connections)\n");
    let out = output(
        Command::new("oha")
            .args([
                "-n",
                "3000",
                "-c",
                "10",
                "--no-tui",
                "--output-format",
                "json",
                "-H",
            ])
            .arg(format!("Cookie: {cookie}"))
            .arg(&url),
    )
    .ok_or("oha failed")?;
    let v: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("oha output: {e}"))?;
    let ms = |k: &str| v["latencyPercentiles"][k].as_f64().unwrap_or(f64::NAN) * 1000.0;
    let codes = &v["statusCodeDistribution"];
    println!("| requests/s | p50 | p99 | status codes | errors |\n|---|---|---|---|---|");
    println!(
        "| {:.0} | {:.1} ms | {:.1} ms | {} | {} |",
        v["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
        ms("p50"),
        ms("p99"),
        codes,
        v["errorDistribution"]
    );
    webhook_load(&stack, &demo)?;
    crate::bench_reminders::run(&t, &stack, &state)?;
    drop(stack);
    remove_dir(&state)?;
    println!(
        "\nmachine: {} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        output(Command::new("uname").arg("-srm"))
            .unwrap_or_default()
            .trim()
    );
    Ok(())
}

/// Opens the first demo customer's link and returns the session cookie and
/// one of their invoice ids.
fn portal_session(stack: &Stack, demo: &seed::Demo) -> Result<(String, String)> {
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let c = demo.customers.first().ok_or("no demo customer")?;
    let r = http.get(&c.link).send().map_err(|e| e.to_string())?;
    let set = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .ok_or("opening the link set no cookie")?;
    let cookie = set.split(';').next().unwrap_or_default().to_owned();
    let list: serde_json::Value = http
        .get(format!("{}/api/v1/portal/invoices", stack.base_url))
        .header("Cookie", &cookie)
        .send()
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    let id = list["data"][0]["id"]
        .as_str()
        .ok_or("no invoice")?
        .to_owned();
    Ok((cookie, id))
}

/// Webhook ingestion under load: 1,000 distinct payments for 100 invoices,
/// each event delivered twice, in shuffled order, from 8 threads. Afterwards
/// the ledger must hold exactly 1,000 payments: none lost, none twice.
/// One thread's Durable Object with 50 sockets (`tests/bench/thread.mjs`).
fn thread_load(stack: &Stack) -> Result<()> {
    println!("\n## One dispute thread, 50 WebSockets (local wrangler dev)\n");
    proc::run(
        Command::new("node")
            .arg(root().join("tests/bench/thread.mjs"))
            .env("SETTLE_BASE_URL", &stack.base_url)
            .env("SETTLE_OPERATOR_TOKEN", crate::stack::LOCAL_OPERATOR_TOKEN),
    )
}

fn webhook_load(stack: &Stack, demo: &seed::Demo) -> Result<()> {
    use settle_edge::stripe::signature;
    use std::time::{Duration, Instant};
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let customer = &demo.customers.first().ok_or("no demo customer")?.id;
    let mut invoices = Vec::new();
    for i in 0..100 {
        let v: serde_json::Value = http
            .post(format!("{}/api/v1/invoices", stack.base_url))
            .bearer_auth(&demo.api_key)
            .json(&serde_json::json!({ "customer_id": customer, "number": format!("BENCH-{i}-{}", std::process::id()), "currency": "USD",
                "due_date": "2099-01-01", "lines": [{ "description": "Load", "quantity": 1, "unit_amount": 1_000_000 }] }))
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        invoices.push(v["id"].as_str().ok_or("invoice not created")?.to_owned());
    }
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    };
    let mut bodies: Vec<String> = (0..1000)
        .map(|i| {
            let inv = &invoices[i % invoices.len()];
            serde_json::json!({ "id": format!("evt_bench_{}_{i}", std::process::id()), "object": "event", "type": "checkout.session.completed",
                "created": now(), "data": { "object": { "id": format!("cs_bench_{i}"), "object": "checkout.session", "status": "complete",
                "payment_status": "paid", "amount_total": 1, "currency": "usd", "payment_intent": format!("pi_bench_{}_{i}", std::process::id()),
                "metadata": { "settle_organization_id": demo.organization_id, "settle_invoice_id": inv } } } })
            .to_string()
        })
        .collect();
    bodies.extend(bodies.clone());
    // A fixed shuffle: duplicates arrive in no particular order.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in (1..bodies.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bodies.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let url = format!(
        "{}/api/stripe/webhook/{}",
        stack.base_url, demo.organization_id
    );
    let started = Instant::now();
    let chunks: Vec<Vec<String>> = bodies
        .chunks(bodies.len().div_ceil(8))
        .map(<[String]>::to_vec)
        .collect();
    let results: Vec<(Vec<f64>, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (http, url) = (http.clone(), url.clone());
                s.spawn(move || {
                    let (mut lat, mut errors, mut dups) = (Vec::new(), 0, 0);
                    for body in chunk {
                        let t = Instant::now();
                        let r = http
                            .post(&url)
                            .header("Content-Type", "application/json")
                            .header(
                                "Stripe-Signature",
                                signature::header(
                                    crate::stack::LOCAL_STRIPE_WEBHOOK_SECRET,
                                    now(),
                                    body.as_bytes(),
                                ),
                            )
                            .body(body)
                            .send();
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                        match r.map(|r| (r.status().is_success(), r.text().unwrap_or_default())) {
                            Ok((true, text)) if text.contains("duplicate") => dups += 1,
                            Ok((true, _)) => {}
                            _ => errors += 1,
                        }
                    }
                    (lat, errors, dups)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = results.iter().flat_map(|r| r.0.clone()).collect();
    lat.sort_by(f64::total_cmp);
    let errors: usize = results.iter().map(|r| r.1).sum();
    let dups: usize = results.iter().map(|r| r.2).sum();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let mut rows = 0;
    let mut paid = 0;
    for inv in &invoices {
        let v: serde_json::Value = http
            .get(format!("{}/api/v1/invoices/{inv}/payments", stack.base_url))
            .bearer_auth(&demo.api_key)
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        let list = v["data"].as_array().cloned().unwrap_or_default();
        rows += list.len();
        paid += list
            .iter()
            .map(|p| p["amount"].as_i64().unwrap_or(0))
            .sum::<i64>();
    }
    println!("\n## Stripe webhook ingestion (2,000 deliveries of 1,000 events, 8 threads)\n");
    println!(
        "| events/s | p50 | p99 | errors | answered duplicate | ledger rows after | lost | applied twice |\n|---|---|---|---|---|---|---|---|"
    );
    println!(
        "| {:.0} | {:.1} ms | {:.1} ms | {errors} | {dups} | {rows} | {} | {} |",
        lat.len() as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        1000usize.saturating_sub(rows),
        rows.saturating_sub(1000)
    );
    if rows != 1000 || paid != 1000 || errors != 0 {
        return Err(format!(
            "webhook ingestion lost or doubled payments: {rows} rows, {paid} paid, {errors} errors"
        ));
    }
    Ok(())
}
