//! The test app: a fresh organization on the running worker, and helpers
//! that build fixtures through the public API.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run these tests with `cargo xtask test`"))
}

/// A unique suffix for names and numbers within this run.
pub fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{}", t % 0xffff_ffff, N.fetch_add(1, Ordering::Relaxed))
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// `Location` of a redirect, or `Content-Location` of a page (the page
    /// a customer link lands on).
    pub location: Option<String>,
    pub set_cookie: Option<String>,
}

impl Reply {
    /// The error code of an error envelope.
    pub fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
}

pub struct TestApp {
    pub base: String,
    pub mail: String,
    pub key: String,
    pub org_id: String,
    pub http: reqwest::blocking::Client,
}

impl TestApp {
    /// A new organization with its own API key.
    pub fn new() -> TestApp {
        let http = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let base = env("SETTLE_BASE_URL");
        let r = http
            .post(format!("{base}/api/v1/organizations"))
            .bearer_auth(env("SETTLE_OPERATOR_TOKEN"))
            .json(&json!({
                "name": format!("Test Co {}", unique()),
                "branding": { "display_name": "Test Co", "primary_color": "#7c3aed", "support_email": "help@testco.example" }
            }))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "creating the organization");
        let v: Value = r.json().unwrap();
        TestApp {
            base,
            mail: env("SETTLE_MAIL_URL"),
            key: v["api_key"].as_str().unwrap().to_owned(),
            org_id: v["organization"]["id"].as_str().unwrap().to_owned(),
            http,
        }
    }

    pub fn reply(r: reqwest::blocking::Response) -> Reply {
        let status = r.status().as_u16();
        let header = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let location = header("location").or_else(|| header("content-location"));
        let set_cookie = header("set-cookie");
        let text = r.text().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            location,
            set_cookie,
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        Self::reply(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(&self.key)
                .send()
                .unwrap(),
        )
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        Self::reply(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.key)
                .json(&body)
                .send()
                .unwrap(),
        )
    }

    pub fn patch(&self, path: &str, body: Value) -> Reply {
        Self::reply(
            self.http
                .patch(format!("{}{path}", self.base))
                .bearer_auth(&self.key)
                .json(&body)
                .send()
                .unwrap(),
        )
    }

    pub fn put(&self, path: &str, body: Value) -> Reply {
        Self::reply(
            self.http
                .put(format!("{}{path}", self.base))
                .bearer_auth(&self.key)
                .json(&body)
                .send()
                .unwrap(),
        )
    }

    pub fn delete(&self, path: &str) -> Reply {
        Self::reply(
            self.http
                .delete(format!("{}{path}", self.base))
                .bearer_auth(&self.key)
                .send()
                .unwrap(),
        )
    }

    /// A POST with a body sent exactly as given.
    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::blocking::Body>,
    ) -> Reply {
        Self::reply(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(&self.key)
                .header("Content-Type", content_type)
                .body(body)
                .send()
                .unwrap(),
        )
    }

    pub fn create_customer(&self, name: &str) -> Value {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase().replace(' ', "."),
            unique()
        );
        let r = self.post("/api/v1/customers", json!({ "name": name, "email": email, "locale": "en-GB", "time_zone": "Europe/London" }));
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    pub fn invoice_body(customer_id: &str, currency: &str) -> Value {
        json!({
            "customer_id": customer_id,
            "number": format!("T-{}", unique()),
            "currency": currency,
            "due_date": "2099-12-31",
            "lines": [
                { "description": "Widgets", "quantity": "3", "unit_amount": 1250, "tax_rate": "20" },
                { "description": "Setup", "quantity": 1, "unit_amount": 5000 }
            ]
        })
    }

    pub fn create_invoice(&self, customer_id: &str) -> Value {
        let r = self.post("/api/v1/invoices", Self::invoice_body(customer_id, "EUR"));
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    /// A portal link URL for a customer.
    pub fn portal_link(&self, customer_id: &str, body: Value) -> Value {
        let r = self.post(
            &format!("/api/v1/customers/{customer_id}/portal-links"),
            body,
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    /// Opens a customer link like a browser: the redirect and the cookie.
    pub fn open(&self, url: &str) -> Reply {
        Self::reply(self.http.get(url).send().unwrap())
    }

    /// Opens a link and returns the `name=value` session cookie.
    pub fn session(&self, customer_id: &str) -> String {
        let link = self.portal_link(customer_id, json!({}));
        let r = self.open(link["url"].as_str().unwrap());
        assert_eq!(r.status, 200, "the landing page");
        cookie_pair(r.set_cookie.as_deref().expect("a session cookie"))
    }

    pub fn portal_get(&self, cookie: &str, path: &str) -> Reply {
        Self::reply(
            self.http
                .get(format!("{}/api/v1/portal{path}", self.base))
                .header("Cookie", cookie)
                .send()
                .unwrap(),
        )
    }

    /// Emails the stand-in received for `to`, waiting up to 30 s for `n`.
    pub fn wait_for_emails(&self, to: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let list = self.emails_to(to);
            if list.len() >= n || Instant::now() > deadline {
                return list;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn emails_to(&self, to: &str) -> Vec<Value> {
        let v: Value = self
            .http
            .get(format!("{}/api/messages?to={to}", self.mail))
            .send()
            .unwrap()
            .json()
            .unwrap();
        v["data"].as_array().cloned().unwrap_or_default()
    }
}

/// Polls `ready` every 200 ms until it holds; fails the test, saying `what`,
/// after `secs` seconds.
pub fn eventually(secs: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} (waited {secs} s)");
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl TestApp {
    /// Waits until the invoice has `status` (as the company API shows it).
    pub fn wait_for_status(&self, invoice_id: &str, status: &str, what: &str) {
        eventually(20, what, || {
            self.get(&format!("/api/v1/invoices/{invoice_id}")).body["status"] == status
        });
    }

    /// Creates an invoice with `send: true` (EUR) and returns it.
    pub fn send_invoice(&self, customer_id: &str) -> Value {
        let mut body = Self::invoice_body(customer_id, "EUR");
        body["send"] = json!(true);
        let r = self.post("/api/v1/invoices", body);
        assert_eq!(r.status, 201, "{}", r.body);
        r.body
    }

    /// The actions of the organization's latest 100 audit rows.
    pub fn audit_actions(&self) -> Vec<String> {
        let trail = self.get("/api/v1/audit-events?limit=100");
        trail.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The organization's latest 100 audit rows with one action.
    pub fn audit_events(&self, action: &str) -> Vec<Value> {
        let trail = self.get(&format!("/api/v1/audit-events?limit=100&action={action}"));
        assert_eq!(trail.status, 200, "{}", trail.body);
        trail.body["data"].as_array().cloned().unwrap_or_default()
    }

    /// The email address of a customer.
    pub fn customer_email(&self, customer_id: &str) -> String {
        self.get(&format!("/api/v1/customers/{customer_id}")).body["email"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// `settle_session=cs_…; Path=/; …` → `settle_session=cs_…`
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// The portal link inside an email's text part.
pub fn link_in(email: &Value) -> String {
    let text = email["text"].as_str().unwrap();
    let start = text.find("http").expect("a link in the email");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

/// Runs SQL on the local D1 of the running worker, through wrangler.
pub fn d1(sql: &str) -> Vec<Value> {
    d1_try(sql).unwrap_or_else(|e| panic!("wrangler d1 execute failed: {e}"))
}

/// Like [`d1`], returning the error text. Calls are serialized, and retried
/// while the worker holds the SQLite lock.
pub fn d1_try(sql: &str) -> Result<Vec<Value>, String> {
    wrangler_d1(&["--command", sql])
}

/// Runs a file's worth of SQL statements (many rows at once) on the local
/// D1 of the running worker.
pub fn d1_load(sql: &str) {
    let file = std::env::temp_dir().join(format!("settle-load-{}.sql", unique()));
    std::fs::write(&file, sql).unwrap();
    let done = wrangler_d1(&["--file", file.to_str().unwrap()]);
    let _ = std::fs::remove_file(&file);
    done.unwrap_or_else(|e| panic!("wrangler d1 execute --file failed: {e}"));
}

static D1_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn wrangler_d1(what: &[&str]) -> Result<Vec<Value>, String> {
    let _guard = D1_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut last = String::new();
    for _ in 0..5 {
        let out = std::process::Command::new(root.join("node_modules/.bin/wrangler"))
            .args([
                "d1",
                "execute",
                "DB",
                "--local",
                "--json",
                "--persist-to",
                &env("SETTLE_STATE_DIR"),
            ])
            .args(what)
            .current_dir(&root)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("NO_COLOR", "1")
            .env("CI", "1")
            .output()
            .unwrap();
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&out.stdout)))?;
            return Ok(v[0]["results"].as_array().cloned().unwrap_or_default());
        }
        last = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !(last.contains("BUSY") || last.contains("locked")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err(last)
}

/// The first day of the month after `d`.
pub fn first_of_next_month(d: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

/// An organization's demo clock, moved by the operator API, with the cron
/// and the queue run as `cargo xtask clock` does.
pub struct Clock {
    base: String,
    organization_id: String,
    token: String,
    http: reqwest::blocking::Client,
}

impl Clock {
    /// The demo clock of `app`'s organization.
    pub fn new(app: &TestApp) -> Clock {
        Clock {
            base: std::env::var("SETTLE_BASE_URL").unwrap(),
            organization_id: app.org_id.clone(),
            token: std::env::var("SETTLE_OPERATOR_TOKEN").unwrap(),
            http: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    pub fn call(&self, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/api/v1/operator/{path}", self.base);
        let r = match body {
            Some(mut b) => {
                b["organization_id"] = json!(self.organization_id);
                self.http.post(url).json(&b)
            }
            None => self
                .http
                .get(url)
                .query(&[("organization_id", &self.organization_id)]),
        }
        .bearer_auth(&self.token)
        .send()
        .unwrap();
        assert!(r.status().is_success(), "operator {path}: {}", r.status());
        r.json().unwrap()
    }

    pub fn now(&self) -> DateTime<Utc> {
        let v = self.call("clock", None);
        v["now"].as_str().unwrap().parse().unwrap()
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.call("clock", Some(json!({ "set": at.to_rfc3339() })));
    }

    /// Waits until no email is ready to go.
    pub fn drain(&self) {
        let start = Instant::now();
        while self.call("clock", None)["pending_emails"].as_i64() != Some(0) {
            assert!(start.elapsed().as_secs() < 90, "emails still pending");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// An hour at a time up to `until`, with the cron and the queue each hour.
    pub fn travel_to(&self, until: DateTime<Utc>) {
        self.call("cron", Some(json!({})));
        self.drain();
        while self.now() + chrono::Duration::hours(1) <= until {
            self.call("clock", Some(json!({ "advance_seconds": 3600 })));
            self.call("cron", Some(json!({})));
            self.drain();
        }
    }
}
