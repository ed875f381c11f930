//! `cargo xtask deploy`: Settle on the developer's own Cloudflare account, in
//! the order docs/DEPLOY.md gives. It refuses, before anything is uploaded,
//! a placeholder D1 id, a missing `PUBLIC_BASE_URL` and any missing secret,
//! each with the command that fixes it. `--dry-run` builds and lets wrangler
//! check bindings, compatibility and size without an account (CI runs it).

use crate::proc::{output, run, step};
use crate::tools::{self, Tools};
use crate::{Result, build, root};
use std::process::Command;

/// The secrets a deployment needs (README, "Configuration"). The
/// deployment's own Stripe account (`STRIPE_SECRET_KEY`,
/// `STRIPE_WEBHOOK_SECRET`) is optional: organizations connect their own.
pub const SECRETS: [&str; 5] = [
    "EMAIL_API_KEY",
    "TOKEN_SECRET",
    "OPERATOR_TOKEN",
    "ENCRYPTION_KEY",
    "EMAIL_WEBHOOK_SECRET",
];

/// The D1 id `wrangler.toml` ships with, which names no database.
const PLACEHOLDER_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The queues `wrangler.toml` binds.
const QUEUES: [&str; 3] = ["settle-jobs", "settle-jobs-dlq", "settle-webhooks"];

/// The worker's gzip budget (README).
const WORKER_BUDGET_GZIP_KIB: f64 = 1024.0;

pub fn run_deploy(args: &[String]) -> Result<()> {
    let dry = match args.first().map(String::as_str) {
        None => false,
        Some("--dry-run") => true,
        Some(a) => return Err(format!("unknown option {a}; try --dry-run")),
    };
    let t = tools::ensure(false)?;
    if dry {
        build::all(&t)?;
        return dry_run(&t).map(|_| ());
    }
    let config = std::fs::read_to_string(root().join("wrangler.toml"))
        .map_err(|e| format!("wrangler.toml: {e}"))?;
    check_config(&config, std::env::var("PUBLIC_BASE_URL").ok().as_deref())?;
    let base = std::env::var("PUBLIC_BASE_URL").unwrap_or_default();
    step("check the Cloudflare account (wrangler whoami)", || {
        run(wrangler(&t).arg("whoami")).map_err(|e| {
            format!("{e}: sign in with `npx wrangler login` or set CLOUDFLARE_API_TOKEN")
        })
    })?;
    step("check the secrets", || {
        let listed = output(wrangler(&t).args(["secret", "list", "--format", "json"]))
            .ok_or("`wrangler secret list` failed; is the worker `settle` deployed once? See docs/DEPLOY.md step 4")?;
        let missing = missing_secrets(&listed);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "missing secrets: {}. Set each with `npx wrangler secret put NAME` (docs/DEPLOY.md step 4)",
                missing.join(", ")
            ))
        }
    })?;
    step("create the queues that are missing", || {
        let listed = output(wrangler(&t).args(["queues", "list"])).unwrap_or_default();
        for q in QUEUES.iter().filter(|q| !listed.contains(*q)) {
            run(wrangler(&t).args(["queues", "create", q]))?;
        }
        Ok(())
    })?;
    build::all(&t)?;
    step("apply the D1 migrations (remote)", || {
        run(wrangler(&t).args(["d1", "migrations", "apply", "DB", "--remote"]))
    })?;
    step("deploy the worker", || {
        run(wrangler(&t).args(["deploy", "--var", &format!("PUBLIC_BASE_URL:{base}")]))
    })?;
    println!(
        "\nSettle is deployed at {base}. Next: docs/DEPLOY.md step 7 (the first organization)."
    );
    Ok(())
}

/// `wrangler deploy --dry-run`: bundles the worker and checks its bindings
/// and compatibility settings without an account. Returns the gzip size in
/// KiB wrangler reports, and fails over the budget.
pub fn dry_run(t: &Tools) -> Result<f64> {
    step("wrangler deploy --dry-run", || {
        let out_dir = crate::stack::target_dir().join("deploy-dry-run");
        let out = wrangler(t)
            .args(["deploy", "--dry-run", "--outdir"])
            .arg(&out_dir)
            .output()
            .map_err(|e| format!("could not start wrangler: {e}"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            return Err(format!("`wrangler deploy --dry-run` failed:\n{text}"));
        }
        let gzip = upload_gzip_kib(&text)
            .ok_or_else(|| format!("no upload size in wrangler's answer:\n{text}"))?;
        println!("    worker upload: {gzip:.2} KiB gzip (budget {WORKER_BUDGET_GZIP_KIB} KiB)");
        if gzip > WORKER_BUDGET_GZIP_KIB {
            return Err(format!(
                "the worker is {gzip:.2} KiB gzip, over its {WORKER_BUDGET_GZIP_KIB} KiB budget"
            ));
        }
        Ok(gzip)
    })
}

fn wrangler(t: &Tools) -> Command {
    let mut c = Command::new(&t.wrangler);
    c.current_dir(root())
        .env("PATH", &t.path)
        .env("WRANGLER_SEND_METRICS", "false");
    c
}

/// Refuses what would deploy a worker that cannot run.
fn check_config(wrangler_toml: &str, public_base_url: Option<&str>) -> Result<()> {
    if wrangler_toml.contains(PLACEHOLDER_ID) {
        return Err(format!(
            "wrangler.toml still has the placeholder D1 id {PLACEHOLDER_ID}. Create the database with \
             `npx wrangler d1 create settle` and put the `database_id` it prints in wrangler.toml (docs/DEPLOY.md step 2)"
        ));
    }
    match public_base_url {
        Some(u) if u.starts_with("https://") && !u.ends_with('/') => Ok(()),
        Some(u) => Err(format!(
            "PUBLIC_BASE_URL must be the https:// address customers reach, without a trailing slash (got `{u}`)"
        )),
        None => Err(
            "set PUBLIC_BASE_URL to the https:// address customers will reach, such as \
             `PUBLIC_BASE_URL=https://pay.example.com cargo xtask deploy` (docs/DEPLOY.md step 5)"
                .into(),
        ),
    }
}

/// The secrets not in `wrangler secret list --format json`.
fn missing_secrets(listed: &str) -> Vec<&'static str> {
    let names: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(listed)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect();
    SECRETS
        .iter()
        .copied()
        .filter(|s| !names.iter().any(|n| n == s))
        .collect()
}

/// `Total Upload: 2345.67 KiB / gzip: 765.43 KiB` → 765.43.
fn upload_gzip_kib(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.contains("Total Upload"))?;
    let gzip = line.split("gzip:").nth(1)?.trim();
    let (value, unit) = gzip.split_once(' ')?;
    let v: f64 = value.parse().ok()?;
    match unit.trim() {
        "KiB" => Some(v),
        "MiB" => Some(v * 1024.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_id_or_a_missing_address_is_refused_with_the_fix() {
        let e = check_config(
            &format!("database_id = \"{PLACEHOLDER_ID}\""),
            Some("https://pay.example.com"),
        )
        .unwrap_err();
        assert!(e.contains("wrangler d1 create settle"), "{e}");
        let real = "database_id = \"4f1c0c8e-2b1a-4a8e-9a57-3f3f6d0b9c11\"";
        assert!(
            check_config(real, None)
                .unwrap_err()
                .contains("PUBLIC_BASE_URL")
        );
        assert!(check_config(real, Some("http://pay.example.com")).is_err());
        assert!(check_config(real, Some("https://pay.example.com/")).is_err());
        assert!(check_config(real, Some("https://pay.example.com")).is_ok());
    }

    #[test]
    fn missing_secrets_are_named() {
        let listed = r#"[{"name":"EMAIL_API_KEY","type":"secret_text"},{"name":"TOKEN_SECRET","type":"secret_text"}]"#;
        assert_eq!(
            missing_secrets(listed),
            vec!["OPERATOR_TOKEN", "ENCRYPTION_KEY", "EMAIL_WEBHOOK_SECRET"]
        );
        assert_eq!(missing_secrets("not json").len(), SECRETS.len());
    }

    #[test]
    fn reads_the_upload_size() {
        assert_eq!(
            upload_gzip_kib("Total Upload: 2345.67 KiB / gzip: 765.43 KiB\n"),
            Some(765.43)
        );
        assert_eq!(
            upload_gzip_kib("Total Upload: 3.1 MiB / gzip: 1.5 MiB"),
            Some(1536.0)
        );
        assert_eq!(upload_gzip_kib("nothing"), None);
    }
}
