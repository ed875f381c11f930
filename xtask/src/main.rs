//! Settle's developer commands.
//!
//! - `cargo xtask dev`: install what is missing, build, migrate and seed the
//!   local D1, start the product on 127.0.0.1, print the links.
//! - `cargo xtask test`: everything CI runs.
//! - `cargo xtask build`: the release builds of the portal and the worker.
//! - `cargo xtask bench`: bundle sizes and load figures.
//! - `cargo xtask clock +3d`: move the demo clock of a running `dev`.
//! - `cargo xtask deploy`: deploy to Cloudflare (docs/DEPLOY.md).

mod bench;
mod bench_billing;
mod bench_metrics;
mod bench_models;
mod bench_reminders;
mod build;
mod clock;
mod crash;
mod deploy;
mod dev;
mod plans;
mod proc;
mod seed;
mod seed_history;
mod stack;
mod test;
mod tools;
mod verify_evidence;

use std::path::PathBuf;
use std::process::ExitCode;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A failure of a step, with what to do about it.
pub type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    // The first argument is the program itself.
    let args: Vec<String> = std::env::args().collect();
    let args = args.get(1..).unwrap_or_default();
    let (cmd, rest) = args
        .split_first()
        .map(|(c, r)| (c.as_str(), r))
        .unwrap_or(("help", &[]));
    let result = match cmd {
        "dev" => dev::run(rest),
        "test" => test::run(rest),
        "build" => tools::ensure(false).and_then(|t| build::all(&t)),
        "bench" => bench::run(rest),
        "clock" => clock::run(rest),
        "setup" => tools::ensure(true).map(|_| ()),
        "deploy" => deploy::run_deploy(rest),
        "verify-evidence" => verify_evidence::run(rest),
        "seed-history" => seed_history::run(rest),
        // The query-plan check alone, over the last test run's worker logs.
        "plans" => plans::check(&stack::target_dir().join("test-logs")),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  dev [--reset] [--port N]   run Settle locally with a demo company\n  test                       run every check CI runs\n  build                      release builds of portal and worker\n  bench [threads|billing N|models]  bundle sizes and load figures (threads: one dispute thread, 50 sockets;\n                             billing: one billing run over N subscriptions, 100,000 unless told;\n                             models: the risk model's AUC and the cash forecast's error on generated histories)\n  clock [+3d|+12h|<time>]    move the demo clock of a running `dev`, sending due reminders\n  setup                      install the pinned tools only\n  deploy [--dry-run]         deploy to your Cloudflare account (docs/DEPLOY.md)\n  verify-evidence FILE       check an evidence pack's audit chain offline\n  seed-history [N]           add a generated year of history (N customers, 300) to a running `dev`"
            );
            return if cmd == "help" || cmd == "--help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask {cmd} failed: {e}");
            ExitCode::FAILURE
        }
    }
}
