//! `cargo xtask test`: every check, in the order that fails fastest.

use crate::proc::{self, step};
use crate::stack::{Stack, remove_dir, target_dir};
use crate::{Result, build, root, seed, tools};
use std::process::Command;
use std::time::Instant;

pub fn run_all() -> Result<()> {
    let started = Instant::now();
    let root = root();
    let cargo = |args: &[&str]| {
        let mut c = Command::new("cargo");
        c.args(args).current_dir(&root);
        c
    };
    let t = step("install missing tools", || tools::ensure(true))?;
    step("rustfmt --check", || {
        proc::run(&mut cargo(&["fmt", "--all", "--", "--check"]))
    })?;
    step("clippy (native, -D warnings)", || {
        proc::run(&mut cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("clippy (wasm32, -D warnings)", || {
        proc::run(&mut cargo(&[
            "clippy",
            "-p",
            "settle-edge",
            "-p",
            "settle-portal",
            "-p",
            "settle-console",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("native tests", || {
        proc::run(&mut cargo(&[
            "test",
            "--workspace",
            "--exclude",
            "settle-tests",
        ]))
    })?;
    build::all(&t)?;
    // Bindings, compatibility and size as Cloudflare would check them.
    crate::deploy::dry_run(&t)?;

    let logs = target_dir().join("test-logs");
    // The query-plan check reads every statement in these logs: this run's only.
    remove_dir(&logs)?;
    let (mut stack, state) = Stack::for_run(&t, "test", logs.clone())?;
    let demo_file = state.join("demo.json");
    step("seed the demo company", || {
        seed::demo(&stack, &demo_file).map(|_| ())
    })?;
    let with_env = |c: &mut Command| test_env(c, &stack, &state, &demo_file);
    let integration = step("integration tests (wrangler dev, local D1)", || {
        let mut c = cargo(&[
            "test",
            "-p",
            "settle-tests",
            "--",
            "--skip",
            "database::",
            "--test-threads",
            "4",
        ]);
        with_env(&mut c);
        proc::run(&mut c)?;
        // These open the SQLite file from outside the worker: one at a time.
        let mut c = cargo(&[
            "test",
            "-p",
            "settle-tests",
            "--",
            "database::",
            "--test-threads",
            "1",
        ]);
        with_env(&mut c);
        proc::run(&mut c)
    });
    let browser = step("browser tests (headless Chromium)", || {
        let mut c = Command::new("node");
        c.args([
            "--test",
            "--test-concurrency=1",
            "tests/browser/",
            "tests/browser-clock/",
        ])
        .current_dir(&root)
        .env("PATH", &t.path);
        with_env(&mut c);
        proc::run(&mut c)
    });
    // Kills the worker mid-send and starts it again: after everything else.
    let crash = step("a worker killed mid-send sends once (demo clock)", || {
        crate::crash::run(&mut stack)
    })
    .and_then(|_| {
        step(
            "a worker killed between charge and record charges once (demo clock)",
            || crate::crash::charge(&mut stack),
        )
    });
    drop(stack);
    let plans = crate::plans::check(&logs);
    if integration.is_err() || browser.is_err() || crash.is_err() || plans.is_err() {
        println!("\nworker and stand-in output: {}", logs.display());
        if let Ok(log) = std::fs::read_to_string(logs.join("wrangler.log")) {
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            println!("--- last lines of wrangler.log ---");
            for l in tail.into_iter().rev() {
                println!("{l}");
            }
        }
    } else {
        remove_dir(&state)?;
    }
    integration?;
    browser?;
    crash?;
    plans?;
    println!(
        "\nall checks passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn run(args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => run_all(),
        Some("api") => api_only(args.get(1).map(String::as_str)),
        Some("browser") => browser_only(args.get(1).map(String::as_str)),
        Some(a) => Err(format!(
            "`cargo xtask test` takes no options, or `api [FILTER]` to run only the API tests whose names contain FILTER, \
             or `browser [FILE]` to run only the browser tests of tests/browser/FILE (got {a})"
        )),
    }
}

/// `cargo xtask test api [FILTER]`: builds, starts a stack and runs the API
/// tests whose names contain FILTER, and nothing else (a developer's loop;
/// CI runs everything).
fn api_only(filter: Option<&str>) -> Result<()> {
    let root = root();
    let t = tools::ensure(false)?;
    build::all(&t)?;
    let logs = target_dir().join("test-logs");
    let (stack, state) = Stack::for_run(&t, "test", logs.clone())?;
    let demo_file = state.join("demo.json");
    seed::demo(&stack, &demo_file)?;
    let mut c = Command::new("cargo");
    c.args(["test", "-p", "settle-tests", "--"])
        .args(filter)
        .args(["--test-threads", "4"])
        .current_dir(&root);
    test_env(&mut c, &stack, &state, &demo_file);
    let r = proc::run(&mut c);
    drop(stack);
    if r.is_err() {
        println!("worker and stand-in output: {}", logs.display());
    } else {
        remove_dir(&state)?;
    }
    r
}

/// `cargo xtask test browser [FILE]`: builds, starts a stack and runs the
/// browser tests of `tests/browser/FILE` (all of `tests/browser/` without
/// one), and nothing else (a developer's loop; CI runs everything).
fn browser_only(file: Option<&str>) -> Result<()> {
    let root = root();
    let t = tools::ensure(true)?;
    build::all(&t)?;
    let logs = target_dir().join("test-logs");
    let (stack, state) = Stack::for_run(&t, "test", logs.clone())?;
    let demo_file = state.join("demo.json");
    seed::demo(&stack, &demo_file)?;
    let target = match file {
        Some(f) => format!("tests/browser/{f}"),
        None => "tests/browser/".into(),
    };
    let mut c = Command::new("node");
    c.args(["--test", "--test-concurrency=1", &target])
        .current_dir(&root)
        .env("PATH", &t.path);
    test_env(&mut c, &stack, &state, &demo_file);
    let r = proc::run(&mut c);
    drop(stack);
    if r.is_err() {
        println!("worker and stand-in output: {}", logs.display());
    } else {
        remove_dir(&state)?;
    }
    r
}

/// What the API and browser tests read to reach the running stack.
fn test_env(c: &mut Command, stack: &Stack, state: &std::path::Path, demo_file: &std::path::Path) {
    c.env("SETTLE_BASE_URL", &stack.base_url)
        .env("SETTLE_MAIL_URL", &stack.mail_url)
        .env("SETTLE_STRIPE_URL", &stack.stripe_url)
        .env("SETTLE_OPERATOR_TOKEN", &stack.operator_token)
        .env("SETTLE_DEMO", demo_file)
        .env("SETTLE_STATE_DIR", state)
        .env(
            "SETTLE_STRIPE_WEBHOOK_SECRET",
            crate::stack::LOCAL_STRIPE_WEBHOOK_SECRET,
        )
        .env("SETTLE_TOKEN_SECRET", crate::stack::LOCAL_TOKEN_SECRET)
        .env(
            "SETTLE_EMAIL_WEBHOOK_SECRET",
            crate::stack::LOCAL_EMAIL_WEBHOOK_SECRET,
        )
        .env("SETTLE_SCREENSHOTS", target_dir().join("screenshots"));
}
