//! `cargo xtask clock +3d`: moves the demo clock of a running `cargo xtask
//! dev` forward, an hour at a time, running the cron at each hour and
//! waiting for the queue to send what it planned, so every reminder goes
//! out at the local time it would in production. Then it prints what was
//! sent. Only works against a worker started with `CLOCK_TRAVEL=1`, which
//! only `cargo xtask dev` and `cargo xtask test` do.

use crate::Result;
use crate::stack::LOCAL_OPERATOR_TOKEN;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const HOUR: i64 = 3600;

/// Parses `+3d`, `+12h`, `+30m` into seconds.
pub fn parse_span(s: &str) -> Option<i64> {
    let s = s.strip_prefix('+').unwrap_or(s);
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    let secs = match unit {
        "d" => n * 86_400,
        "h" => n * HOUR,
        "m" => n * 60,
        _ => return None,
    };
    (secs > 0 && secs <= 366 * 86_400).then_some(secs)
}

/// A client of the operator endpoints of a running stack, for one
/// organization's demo clock (each organization has its own).
pub struct Operator {
    pub base: String,
    organization_id: String,
    http: reqwest::blocking::Client,
}

impl Operator {
    pub fn new(base: &str, organization_id: &str) -> Self {
        Operator {
            base: base.trim_end_matches('/').to_owned(),
            organization_id: organization_id.to_owned(),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("an HTTP client"),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}/api/v1/operator/{path}", self.base);
        let r = match method {
            "GET" => self
                .http
                .get(&url)
                .query(&[("organization_id", &self.organization_id)]),
            _ => {
                let mut body = body.unwrap_or(json!({}));
                body["organization_id"] = json!(self.organization_id);
                self.http.post(&url).json(&body)
            }
        }
        .bearer_auth(LOCAL_OPERATOR_TOKEN)
        .send()
        .map_err(|e| format!("{url}: {e} (is `cargo xtask dev` running?)"))?;
        let status = r.status();
        let v: Value = r.json().map_err(|e| format!("{url}: {e}"))?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!("{url}: {status} {v}"))
        }
    }

    pub fn now(&self) -> Result<Value> {
        self.call("GET", "clock", None)
    }

    /// Sets the clock to `at` (RFC 3339); it only moves forward.
    pub fn set(&self, at: &str) -> Result<Value> {
        self.call("POST", "clock", Some(json!({ "set": at })))
    }

    pub fn advance(&self, secs: i64) -> Result<Value> {
        self.call("POST", "clock", Some(json!({ "advance_seconds": secs })))
    }

    /// Runs the cron once; answers the reminder tick's report.
    pub fn cron(&self) -> Result<Value> {
        self.call("POST", "cron", None)
    }

    /// Waits until no email is ready and unsent (the queue consumer runs
    /// on its own, about a second after a message).
    pub fn drain(&self) -> Result<()> {
        let start = Instant::now();
        loop {
            let v = self.now()?;
            if v["pending_emails"].as_i64() == Some(0) {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(60) {
                return Err(format!("emails still pending after 60 s: {v}"));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Moves forward `secs`, an hour at a time, with the cron at each step.
    /// Answers the number of reminder and statement emails queued.
    pub fn travel(&self, secs: i64, mut each: impl FnMut(&str, &Value)) -> Result<u64> {
        let mut left = secs;
        let mut queued = 0;
        self.cron()?;
        self.drain()?;
        while left > 0 {
            let step = left.min(HOUR);
            let now = self.advance(step)?;
            left -= step;
            let report = self.cron()?;
            let n = report["emails_queued"].as_u64().unwrap_or(0)
                + report["statements_queued"].as_u64().unwrap_or(0);
            if n > 0 {
                queued += n;
                each(now["now"].as_str().unwrap_or("?"), &report);
            }
            self.drain()?;
        }
        Ok(queued)
    }
}

/// `cargo xtask clock [+3d | 2026-12-01T09:00:00Z] [--port N]`
pub fn run(args: &[String]) -> Result<()> {
    let mut port = 8787u16;
    let mut target: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => {
                port = it
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port needs a number")?
            }
            other => target = Some(other.to_owned()),
        }
    }
    let base = format!("http://127.0.0.1:{port}");
    let company = Company::load(&base).ok_or(
        "no demo company: start `cargo xtask dev` first (it writes .settle/dev/demo.json)",
    )?;
    let op = Operator::new(&base, &company.demo.organization_id);
    let before = op.now()?;
    println!("demo clock: {}", before["now"].as_str().unwrap_or("?"));
    let Some(target) = target else {
        println!(
            "move it with `cargo xtask clock +1d` (or +12h, +30m, or a time such as 2026-12-01T09:00:00Z)"
        );
        return Ok(());
    };
    let secs = match parse_span(&target) {
        Some(s) => s,
        None => {
            let at = chrono::DateTime::parse_from_rfc3339(&target).map_err(|_| {
                format!("`{target}` is neither +Nd/+Nh/+Nm nor a time such as 2026-12-01T09:00:00Z")
            })?;
            let now = chrono::DateTime::parse_from_rfc3339(before["now"].as_str().unwrap_or(""))
                .map_err(|e| format!("clock answer: {e}"))?;
            let secs = (at - now).num_seconds();
            if secs < 0 {
                return Err("the demo clock only moves forward".into());
            }
            secs
        }
    };
    // What the demo company's policy predicts for this span, from the same
    // planner the cron uses (after a first cron, so that nothing is pending).
    op.cron()?;
    op.drain()?;
    let start = op.now()?["now"].as_str().unwrap_or("").to_owned();
    let end = chrono::DateTime::parse_from_rfc3339(&start)
        .map(|t| {
            (t + chrono::Duration::seconds(secs))
                .to_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
        .map_err(|e| format!("clock answer: {e}"))?;
    let predicted = company.upcoming(&end)?;
    let (c, p) = (&company, &predicted);
    println!(
        "the demo policy predicts {} reminder email(s) until {end}:",
        p["emails"]
    );
    for s in p["data"].as_array().into_iter().flatten() {
        println!(
            "  {}  {:<16} {} step {:+} days ({})",
            s["at"].as_str().unwrap_or(""),
            c.name(s["customer_id"].as_str().unwrap_or("")),
            s["number"].as_str().unwrap_or(""),
            s["offset_days"].as_i64().unwrap_or(0),
            s["tone"].as_str().unwrap_or("")
        );
    }
    let queued = op.travel(secs, |now, report| {
        println!(
            "{now}: {} reminder email(s), {} statement(s) queued ({} invoice(s) looked at)",
            report["emails_queued"], report["statements_queued"], report["invoices_looked_at"]
        );
    })?;
    let after = op.now()?;
    println!(
        "demo clock: {} — {queued} email(s) queued; read them at http://127.0.0.1:8025",
        after["now"].as_str().unwrap_or("?")
    );
    let sent = c.reminders_sent_between(&start, after["now"].as_str().unwrap_or(&end))?;
    let expected = p["emails"].as_u64().unwrap_or(0);
    if sent == expected {
        println!("{sent} reminder email(s) sent to Northwind's customers, as predicted");
    } else {
        println!(
            "{sent} reminder email(s) sent to Northwind's customers; {expected} were predicted (a payment, promise or dispute since changes this)"
        );
    }
    Ok(())
}

/// The demo company of `cargo xtask dev`, from the file its seeding wrote.
struct Company {
    base: String,
    demo: crate::seed::Demo,
    http: reqwest::blocking::Client,
}

impl Company {
    fn load(base: &str) -> Option<Company> {
        let text = std::fs::read_to_string(crate::root().join(".settle/dev/demo.json")).ok()?;
        Some(Company {
            base: base.to_owned(),
            demo: serde_json::from_str(&text).ok()?,
            http: reqwest::blocking::Client::new(),
        })
    }

    fn get(&self, path: &str) -> Result<Value> {
        self.http
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.demo.api_key)
            .send()
            .and_then(|r| r.json())
            .map_err(|e| format!("GET {path}: {e}"))
    }

    fn upcoming(&self, until: &str) -> Result<Value> {
        self.get(&format!("/reminders/upcoming?until={until}"))
    }

    fn name<'a>(&'a self, customer_id: &'a str) -> &'a str {
        self.demo
            .customers
            .iter()
            .find(|c| c.id == customer_id)
            .map_or(customer_id, |c| c.name.as_str())
    }

    /// Reminder emails sent after `start` and up to `end` (RFC 3339 strings compare as times).
    fn reminders_sent_between(&self, start: &str, end: &str) -> Result<u64> {
        let v = self.get("/emails?kind=reminder&status=sent&limit=100")?;
        Ok(v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| {
                let at = e["sent_at"].as_str().unwrap_or("");
                at > start && at <= end
            })
            .count() as u64)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans() {
        assert_eq!(super::parse_span("+3d"), Some(259_200));
        assert_eq!(super::parse_span("12h"), Some(43_200));
        assert_eq!(super::parse_span("+0d"), None);
        assert_eq!(super::parse_span("+3w"), None);
        assert_eq!(super::parse_span("soon"), None);
    }
}
