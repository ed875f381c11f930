//! The running product: the email stand-in and `wrangler dev` (workerd with a
//! local D1), on free ports of 127.0.0.1, stopped when dropped.

use crate::proc::{Service, free_port, run, step};
use crate::tools::Tools;
use crate::{Result, root};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The operator token of local runs: obviously not a secret.
pub const LOCAL_OPERATOR_TOKEN: &str = "local-operator-token-not-a-secret";
/// The token-derivation secret of local runs.
pub const LOCAL_TOKEN_SECRET: &str = "local-token-secret-not-a-secret-0123456789";
/// Seals organizations' own Stripe keys in the local D1.
pub const LOCAL_ENCRYPTION_KEY: &str = "local-encryption-key-not-a-secret-0123456789";
/// The Stripe webhook signing secret of local runs.
pub const LOCAL_STRIPE_WEBHOOK_SECRET: &str = "whsec_local_not_a_secret";
/// The Stripe secret key of local runs (the stand-in takes any `sk_`).
pub const LOCAL_STRIPE_KEY: &str = "sk_test_local_not_a_secret";
/// The email API key of local runs.
pub const LOCAL_EMAIL_KEY: &str = "re_local_fake_key_not_a_secret";
/// The signing secret of local delivery events: `whsec_` and the base64 of
/// `settle-local-email-webhook-secret`.
pub const LOCAL_EMAIL_WEBHOOK_SECRET: &str = "whsec_c2V0dGxlLWxvY2FsLWVtYWlsLXdlYmhvb2stc2VjcmV0";

pub struct Stack {
    pub base_url: String,
    pub mail_url: String,
    /// The Stripe stand-in: its API and hosted checkout pages.
    pub stripe_url: String,
    pub operator_token: String,
    // Dropped in reverse order: wrangler first, then the stand-in.
    services: Vec<Service>,
    /// Starts the worker again (same port, same local D1).
    respawn: Respawn,
}

/// Starts the worker, its output going to the named log.
type Respawn = Box<dyn Fn(&str) -> Result<Service>>;

pub struct Options {
    /// Port for the worker; a free one when `None`.
    pub port: Option<u16>,
    /// Port for the email stand-in; a free one when `None`.
    pub mail_port: Option<u16>,
    /// Port for the Stripe stand-in; a free one when `None`.
    pub stripe_port: Option<u16>,
    /// Where the local D1 lives.
    pub state_dir: PathBuf,
    /// Where service output goes (files), or inherited when `None`.
    pub log_dir: Option<PathBuf>,
}

fn stdio_to(log_dir: &Option<PathBuf>, name: &str) -> Result<(Stdio, Stdio)> {
    match log_dir {
        None => Ok((Stdio::inherit(), Stdio::inherit())),
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
            let f =
                std::fs::File::create(d.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
            let g = f.try_clone().map_err(|e| e.to_string())?;
            Ok((Stdio::from(f), Stdio::from(g)))
        }
    }
}

impl Stack {
    /// A stack of its own for a run of tests or benchmarks: free ports, a
    /// fresh state directory `.settle/<name>-<pid>` (returned), the
    /// services' output in `log_dir`.
    pub fn for_run(t: &Tools, name: &str, log_dir: PathBuf) -> Result<(Stack, PathBuf)> {
        let state = root().join(format!(".settle/{name}-{}", std::process::id()));
        remove_dir(&state)?;
        let stack = Stack::start(
            t,
            Options {
                port: None,
                mail_port: None,
                stripe_port: None,
                state_dir: state.clone(),
                log_dir: Some(log_dir),
            },
        )?;
        Ok((stack, state))
    }

    pub fn start(t: &Tools, o: Options) -> Result<Stack> {
        let root = root();
        step("build the email and Stripe stand-ins", || {
            run(Command::new("cargo")
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "settle-mail-sim",
                    "-p",
                    "settle-stripe-sim",
                ])
                .current_dir(&root))
        })?;
        let mut services = Vec::new();
        // The worker's address first: the email stand-in reports to it.
        let port = match o.port {
            Some(p) => p,
            None => free_port()?,
        };
        let base_url = format!("http://127.0.0.1:{port}");
        let mail_port = match o.mail_port {
            Some(p) => p,
            None => free_port()?,
        };
        let (out, err) = stdio_to(&o.log_dir, "mail-sim")?;
        services.push(Service::spawn(
            "mail-sim",
            Command::new(target_dir().join("debug/settle-mail-sim"))
                .args(["--port", &mail_port.to_string()])
                .env(
                    "MAIL_SIM_WEBHOOK_URL",
                    format!("{base_url}/api/v1/webhooks/email"),
                )
                .env("MAIL_SIM_WEBHOOK_SECRET", LOCAL_EMAIL_WEBHOOK_SECRET)
                .stdout(out)
                .stderr(err),
        )?);
        let mail_url = format!("http://127.0.0.1:{mail_port}");

        std::fs::create_dir_all(&o.state_dir)
            .map_err(|e| format!("{}: {e}", o.state_dir.display()))?;
        let wrangler_env = |c: &mut Command| {
            c.current_dir(&root)
                .env("PATH", &t.path)
                .env("WRANGLER_SEND_METRICS", "false")
                .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
                .env("NO_COLOR", "1")
                .env("CI", "1");
        };
        step("apply D1 migrations", || {
            let mut c = Command::new(&t.wrangler);
            c.args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
                .arg(&o.state_dir);
            wrangler_env(&mut c);
            run(&mut c)
        })?;

        let stripe_port = match o.stripe_port {
            Some(p) => p,
            None => free_port()?,
        };
        let (out, err) = stdio_to(&o.log_dir, "stripe-sim")?;
        services.push(Service::spawn(
            "stripe-sim",
            Command::new(target_dir().join("debug/settle-stripe-sim"))
                .args([
                    "--port",
                    &stripe_port.to_string(),
                    "--webhook-base",
                    &base_url,
                ])
                .args([
                    "--webhook-secret",
                    LOCAL_STRIPE_WEBHOOK_SECRET,
                    "--platform-key",
                    LOCAL_STRIPE_KEY,
                    "--debit-delay-ms",
                    "2000",
                ])
                .stdout(out)
                .stderr(err),
        )?);
        let stripe_url = format!("http://127.0.0.1:{stripe_port}");
        // Local settings; the secrets are obviously fake.
        let mut vars = vec![
            ("PUBLIC_BASE_URL", base_url.as_str()),
            ("EMAIL_API_BASE", mail_url.as_str()),
            ("EMAIL_API_KEY", LOCAL_EMAIL_KEY),
            ("EMAIL_WEBHOOK_SECRET", LOCAL_EMAIL_WEBHOOK_SECRET),
            // Replies go to the mail stand-in's "reply" button.
            ("EMAIL_REPLY_DOMAIN", "reply.settle.test"),
            ("OPERATOR_TOKEN", LOCAL_OPERATOR_TOKEN),
            ("TOKEN_SECRET", LOCAL_TOKEN_SECRET),
            ("ENCRYPTION_KEY", LOCAL_ENCRYPTION_KEY),
            ("STRIPE_API_BASE", stripe_url.as_str()),
            ("STRIPE_SECRET_KEY", LOCAL_STRIPE_KEY),
            ("STRIPE_WEBHOOK_SECRET", LOCAL_STRIPE_WEBHOOK_SECRET),
            // The demo clock (`cargo xtask clock`); never set in production.
            ("CLOCK_TRAVEL", "1"),
            // Webhook endpoints on this machine (`http://127.0.0.1:…`).
            ("WEBHOOK_ALLOW_LOCAL_HTTP", "1"),
            // Retries 1, 2, 4, 8 s apart instead of 30 s, 2, 8, 32 min.
            ("EMAIL_RETRY_SCHEDULE", "1,2,4,8"),
        ];
        if o.log_dir.is_some() {
            // Tests: every distinct statement once in the log, for the
            // query-plan check.
            vars.push(("SQL_TRACE", "1"));
        }
        // The worker's command, kept to start it again after a crash test.
        let mut args: Vec<std::ffi::OsString> = [
            "dev",
            "--local",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--test-scheduled",
            "--show-interactive-dev-session=false",
            "--persist-to",
        ]
        .iter()
        .map(Into::into)
        .collect();
        args.push(o.state_dir.clone().into_os_string());
        for (k, v) in vars {
            args.push("--var".into());
            args.push(format!("{k}:{v}").into());
        }
        let (program, path, log_dir, cwd) = (
            t.wrangler.clone(),
            t.path.clone(),
            o.log_dir.clone(),
            root.clone(),
        );
        let respawn = move |log: &str| -> Result<Service> {
            let (out, err) = stdio_to(&log_dir, log)?;
            let mut c = Command::new(&program);
            c.args(&args)
                .args(["--inspector-port", &free_port()?.to_string()])
                .current_dir(&cwd)
                .env("PATH", &path)
                .env("WRANGLER_SEND_METRICS", "false")
                .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
                .env("NO_COLOR", "1")
                .env("CI", "1")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err);
            Service::spawn("wrangler", &mut c)
        };
        services.push(respawn("wrangler")?);
        let mut stack = Stack {
            base_url,
            mail_url,
            stripe_url,
            operator_token: LOCAL_OPERATOR_TOKEN.into(),
            services,
            respawn: Box::new(respawn),
        };
        step("wait for the worker", || {
            stack.wait_ready(Duration::from_secs(90))
        })?;
        Ok(stack)
    }

    /// Kills the worker at once (SIGKILL to workerd and wrangler, as a
    /// crash would), then starts it again on the same local D1.
    /// A new organization of its own for a bench, named `name`, with
    /// `branding` added to its display name and support address: its id
    /// and its API key.
    pub fn bench_organization(
        &self,
        http: &reqwest::blocking::Client,
        name: &str,
        branding: serde_json::Value,
    ) -> Result<(String, String)> {
        let mut b =
            serde_json::json!({ "display_name": name, "support_email": "ar@bench.example" });
        if let (Some(b), Some(extra)) = (b.as_object_mut(), branding.as_object()) {
            b.extend(extra.clone());
        }
        let v: serde_json::Value = http
            .post(format!("{}/api/v1/organizations", self.base_url))
            .bearer_auth(&self.operator_token)
            .json(&serde_json::json!({ "name": name, "branding": b }))
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        let org = v["organization"]["id"]
            .as_str()
            .ok_or("organization not created")?;
        let key = v["api_key"].as_str().ok_or("no api key")?;
        Ok((org.to_owned(), key.to_owned()))
    }

    pub fn crash_worker_and_restart(&mut self) -> Result<()> {
        for s in self
            .services
            .iter_mut()
            .filter(|s| s.name.starts_with("wrangler"))
        {
            s.kill();
        }
        self.services.retain(|s| !s.name.starts_with("wrangler"));
        let worker = (self.respawn)("wrangler-restarted")?;
        self.services.push(worker);
        // On a machine busy compiling, wrangler can take minutes to start.
        self.wait_ready(Duration::from_secs(300))
    }

    /// Open file descriptors of the worker (wrangler, workerd and their
    /// children).
    pub fn worker_open_files(&self) -> usize {
        self.services
            .iter()
            .filter(|s| s.name.starts_with("wrangler"))
            .map(Service::open_files)
            .sum()
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<()> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + limit;
        let health = format!("{}/api/v1/health", self.base_url);
        // Filtered to nobody: after a long bench the stand-in holds tens of
        // thousands of messages, too many to list within the timeout.
        let mail = format!("{}/api/messages?to=ready@ready.invalid", self.mail_url);
        while Instant::now() < deadline {
            for s in &mut self.services {
                if let Some(status) = s.exited() {
                    return Err(format!(
                        "{} exited early ({status}); see its output above or in its log",
                        s.name
                    ));
                }
            }
            let ok = |url: &str| {
                client
                    .get(url)
                    .send()
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            };
            if ok(&health) && ok(&mail) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!(
            "the worker did not answer {health} within {} s",
            limit.as_secs()
        ))
    }
}

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Removes a directory tree if it exists.
pub fn remove_dir(p: &Path) -> Result<()> {
    if p.exists() {
        std::fs::remove_dir_all(p).map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_email_webhook_secret_is_usable() {
        assert!(settle_edge::email::webhook::is_valid_secret(
            super::LOCAL_EMAIL_WEBHOOK_SECRET
        ));
    }
}
