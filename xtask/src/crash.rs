//! A worker killed mid-send must not send twice. Part of `cargo xtask test`
//! (it needs to kill and restart the worker, which only xtask can do):
//!
//! 1. a reminder is due; the email stand-in takes the email and holds its
//!    answer, so the worker waits between "the provider has it" and
//!    "marked sent";
//! 2. workerd and wrangler are killed (SIGKILL) right then, and started
//!    again on the same local D1;
//! 3. ten minutes of demo time later the cron finds the email still queued
//!    and sends it again, with the same `Idempotency-Key`;
//! 4. the provider has exactly one email, and Settle records it sent once.

use crate::Result;
use crate::clock::Operator;
use crate::stack::Stack;
use chrono::{Datelike, Duration, Utc, Weekday};
use serde_json::{Value, json};
use std::time::Instant;

struct Company {
    base: String,
    key: String,
    http: reqwest::blocking::Client,
}

impl Company {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut r = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().map_err(|e| format!("{path}: {e}"))?;
        let status = r.status();
        let v: Value = r.json().map_err(|e| format!("{path}: {e}"))?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!("{path}: {status} {v}"))
        }
    }
}

/// A new organization of its own, its company API and its demo clock.
fn company(
    stack: &Stack,
    name: &str,
    http: &reqwest::blocking::Client,
) -> Result<(Company, Operator)> {
    let org: Value = http
        .post(format!("{}/api/v1/organizations", stack.base_url))
        .bearer_auth(&stack.operator_token)
        .json(&json!({ "name": name, "branding": { "display_name": name, "support_email": "ar@crash.example" } }))
        .send()
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    let co = Company {
        base: stack.base_url.clone(),
        key: org["api_key"].as_str().ok_or("no api key")?.to_owned(),
        http: http.clone(),
    };
    let op = Operator::new(
        &stack.base_url,
        org["organization"]["id"]
            .as_str()
            .ok_or("no organization")?,
    );
    Ok((co, op))
}

fn wait(what: &str, secs: u64, mut ok: impl FnMut() -> Result<bool>) -> Result<()> {
    let start = Instant::now();
    while !ok()? {
        if start.elapsed().as_secs() > secs {
            return Err(format!("{what}: not within {secs} s"));
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    Ok(())
}

pub fn run(stack: &mut Stack) -> Result<()> {
    let http = reqwest::blocking::Client::new();
    let (co, op) = company(stack, "Crash Co", &http)?;
    co.call(
        reqwest::Method::PATCH,
        "/organization",
        Some(
            json!({ "reminders": { "window_start": "09:00", "window_end": "17:00",
            "days": ["mon", "tue", "wed", "thu", "fri"], "monthly_statement": false } }),
        ),
    )?;
    // Next Monday 08:30 UTC; the invoice is due Thursday, so its −3 step
    // is due Monday 09:00.
    let now: chrono::DateTime<Utc> = op.now()?["now"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no clock")?;
    let mut day = now.date_naive() + Duration::days(1);
    while day.weekday() != Weekday::Mon {
        day += Duration::days(1);
    }
    let at = day.and_hms_opt(8, 30, 0).ok_or("time")?.and_utc();
    op.set(&at.to_rfc3339())?;
    let email = format!("crash-{}@example.com", std::process::id());
    let customer = co.call(
        reqwest::Method::POST,
        "/customers",
        Some(json!({ "name": "Crash Test", "email": email, "time_zone": "UTC" })),
    )?;
    let cid = customer["id"].as_str().ok_or("no customer")?.to_owned();
    let inv = co.call(
        reqwest::Method::POST,
        "/invoices",
        Some(
            json!({ "customer_id": cid, "number": "CRASH-1", "currency": "EUR",
            "due_date": (day + Duration::days(3)).to_string(),
            "lines": [{ "description": "Service", "quantity": 1, "unit_amount": 10000 }] }),
        ),
    )?;
    let iid = inv["id"].as_str().ok_or("no invoice")?.to_owned();
    op.cron()?;
    // The provider will take the next email to this address and not answer for a minute.
    http.post(format!("{}/__sim/hold", stack.mail_url))
        .json(&json!({ "to": email, "seconds": 60, "count": 1 }))
        .send()
        .map_err(|e| e.to_string())?;
    op.advance(3600)?;
    let report = op.cron()?;
    if report["emails_queued"].as_u64().unwrap_or(0) < 1 {
        return Err(format!("no reminder was queued: {report}"));
    }
    let mail_url = stack.mail_url.clone();
    let outbox = |http: &reqwest::blocking::Client| -> Result<usize> {
        let v: Value = http
            .get(format!("{mail_url}/api/messages?to={email}"))
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        Ok(v["data"].as_array().map_or(0, Vec::len))
    };
    wait("the provider takes the email", 30, || {
        Ok(outbox(&http)? == 1)
    })?;
    // The worker now waits for the provider's answer: kill it.
    stack.crash_worker_and_restart()?;
    let emails = co.call(
        reqwest::Method::GET,
        &format!("/emails?customer_id={cid}"),
        None,
    )?;
    let status = emails["data"][0]["status"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    if status != "queued" {
        return Err(format!(
            "after the crash the email should still be queued, it is {status:?}"
        ));
    }
    // Ten minutes on, the sweep finds it and sends it again.
    op.advance(11 * 60)?;
    op.cron()?;
    wait("the email is marked sent", 60, || {
        let e = co.call(
            reqwest::Method::GET,
            &format!("/emails?customer_id={cid}"),
            None,
        )?;
        Ok(e["data"][0]["status"] == "sent")
    })?;
    let delivered = outbox(&http)?;
    if delivered != 1 {
        return Err(format!(
            "the provider has {delivered} emails for one reminder"
        ));
    }
    let occ = co.call(
        reqwest::Method::GET,
        &format!("/reminders?invoice_id={iid}"),
        None,
    )?;
    let sent: Vec<&Value> = occ["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["status"] == "sent")
        .collect();
    if sent.len() != 1 {
        return Err(format!("expected one sent occurrence: {occ}"));
    }
    let audit = co.call(reqwest::Method::GET, "/audit-events?limit=100", None)?;
    let count = |action: &str| {
        audit["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["action"] == action)
            .count()
    };
    if count("reminder.sent") != 1 || count("email.sent") != 1 {
        return Err(format!(
            "audit: {} reminder.sent, {} email.sent",
            count("reminder.sent"),
            count("email.sent")
        ));
    }
    println!("killed mid-send and restarted: 1 email at the provider, recorded sent once");
    Ok(())
}

/// A worker killed between Stripe's charge and its record must not charge
/// twice:
///
/// 1. a customer saves a test card and schedules an invoice's payment for
///    tomorrow; on that day the cron queues the charge;
/// 2. the Stripe stand-in makes the charge and holds its answer, so the
///    worker waits between "Stripe charged" and "recorded"; workerd and
///    wrangler are killed right then and started again;
/// 3. the schedule is still `charging`; ten minutes on the cron queues it
///    again, the job asks Stripe with the same Idempotency-Key and gets the
///    same PaymentIntent;
/// 4. the stand-in has exactly one PaymentIntent, the invoice is paid once.
pub fn charge(stack: &mut Stack) -> Result<()> {
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let (co, op) = company(stack, "Crash Charge Co", &http)?;
    let now: chrono::DateTime<Utc> = op.now()?["now"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("no clock")?;
    let today = now.date_naive();
    let customer = co.call(
        reqwest::Method::POST,
        "/customers",
        Some(json!({ "name": "Crash Payer", "email": format!("payer-{}@example.com", std::process::id()), "time_zone": "UTC" })),
    )?;
    let cid = customer["id"].as_str().ok_or("no customer")?.to_owned();
    let inv = co.call(
        reqwest::Method::POST,
        "/invoices",
        Some(
            json!({ "customer_id": cid, "number": "CRASH-PAY-1", "currency": "EUR",
            "due_date": (today + Duration::days(10)).to_string(),
            "lines": [{ "description": "Service", "quantity": 1, "unit_amount": 10000 }] }),
        ),
    )?;
    let iid = inv["id"].as_str().ok_or("no invoice")?.to_owned();
    // The customer's session, a saved card, and tomorrow's charge.
    let link = co.call(
        reqwest::Method::POST,
        &format!("/customers/{cid}/portal-links"),
        Some(json!({})),
    )?;
    let opened = http
        .get(link["url"].as_str().ok_or("no link")?)
        .send()
        .map_err(|e| e.to_string())?;
    let cookie = opened
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .ok_or("no session cookie")?
        .to_owned();
    let portal = |method: reqwest::Method, path: &str, body: Value| -> Result<Value> {
        let r = http
            .request(method, format!("{}/api/v1/portal{path}", stack.base_url))
            .header("Cookie", &cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .json(&body)
            .send()
            .map_err(|e| format!("{path}: {e}"))?;
        let status = r.status();
        let v: Value = r.json().map_err(|e| format!("{path}: {e}"))?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!("{path}: {status} {v}"))
        }
    };
    let setup = portal(reqwest::Method::POST, "/payment-methods/setup", json!({}))?;
    let back = http
        .post(setup["url"].as_str().ok_or("no setup url")?)
        .form(&[("method", "card"), ("card", "4242424242424242")])
        .send()
        .map_err(|e| e.to_string())?;
    let session = back
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.split("saved=").nth(1))
        .ok_or("the stand-in did not send the customer back")?
        .to_owned();
    let methods = portal(
        reqwest::Method::POST,
        "/payment-methods/confirm",
        json!({ "session_id": session }),
    )?;
    let pm = methods["methods"][0]["id"]
        .as_str()
        .ok_or("no saved card")?
        .to_owned();
    let tomorrow = today + Duration::days(1);
    portal(
        reqwest::Method::POST,
        &format!("/invoices/{iid}/schedule"),
        json!({ "charge_on": tomorrow.to_string(), "payment_method_id": pm }),
    )?;
    // Stripe will take the next charge and not answer for a minute.
    http.post(format!("{}/__sim/hold_charges", stack.stripe_url))
        .json(&json!({ "count": 1, "seconds": 60 }))
        .send()
        .map_err(|e| e.to_string())?;
    op.set(
        &tomorrow
            .and_hms_opt(9, 30, 0)
            .ok_or("time")?
            .and_utc()
            .to_rfc3339(),
    )?;
    op.cron()?;
    let stripe_url = stack.stripe_url.clone();
    let intents = |http: &reqwest::blocking::Client| -> Result<usize> {
        let v: Value = http
            .get(format!("{stripe_url}/__sim/payment_intents"))
            .send()
            .and_then(|r| r.json())
            .map_err(|e| e.to_string())?;
        Ok(v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["metadata"]["settle_invoice_id"] == iid.as_str())
            .count())
    };
    wait("Stripe makes the charge", 30, || Ok(intents(&http)? == 1))?;
    // The worker now waits for Stripe's answer: kill it.
    stack.crash_worker_and_restart()?;
    let schedule = |co: &Company| -> Result<Value> {
        let v = co.call(
            reqwest::Method::GET,
            &format!("/scheduled-payments?invoice_id={iid}"),
            None,
        )?;
        Ok(v["data"][0].clone())
    };
    let s = schedule(&co)?;
    if s["status"] != "charging" {
        return Err(format!(
            "after the crash the charge should be under way: {s}"
        ));
    }
    // Ten minutes on, the cron finds the attempt and asks again.
    op.advance(11 * 60)?;
    op.cron()?;
    wait("the charge is recorded", 60, || {
        Ok(schedule(&co)?["status"] == "paid")
    })?;
    let invoice = co.call(reqwest::Method::GET, &format!("/invoices/{iid}"), None)?;
    let payments = co.call(
        reqwest::Method::GET,
        &format!("/invoices/{iid}/payments"),
        None,
    )?;
    let charged = intents(&http)?;
    let booked = payments["data"].as_array().map_or(0, Vec::len);
    if charged != 1 || booked != 1 || invoice["status"] != "paid" {
        return Err(format!(
            "{charged} charges at Stripe, {booked} payments booked, invoice {}",
            invoice["status"]
        ));
    }
    println!("killed between charge and record and restarted: 1 charge at Stripe, booked once");
    Ok(())
}
