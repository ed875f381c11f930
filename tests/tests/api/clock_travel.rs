//! Reminders over weeks of demo time: the worker's clock is moved an hour
//! at a time with the cron run at each hour, as `cargo xtask clock` does.
//! Each test moves its own organization's demo clock, so they run beside
//! every other test.

use crate::helpers::{Clock, TestApp, unique};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use serde_json::{Value, json};

/// The next Monday 00:00 UTC at least a day after the demo clock.
fn next_monday(now: DateTime<Utc>) -> DateTime<Utc> {
    let mut d = now.date_naive() + Duration::days(1);
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
}

fn customer(app: &TestApp, name: &str, tz: &str, locale: &str) -> (String, String) {
    let email = format!("{}-{}@example.com", name.to_lowercase(), unique());
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": name, "email": email, "time_zone": tz, "locale": locale }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    (r.body["id"].as_str().unwrap().to_owned(), email)
}

fn invoice(app: &TestApp, customer_id: &str, due: NaiveDate) -> String {
    let r = app.post(
        "/api/v1/invoices",
        json!({
            "customer_id": customer_id, "number": format!("R-{}", unique()), "currency": "EUR",
            "due_date": due.to_string(),
            "lines": [{ "description": "Service", "quantity": 1, "unit_amount": 10000 }]
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// When each reminder email to a customer was sent.
fn reminder_times(app: &TestApp, customer_id: &str) -> Vec<DateTime<Utc>> {
    let r = app.get(&format!(
        "/api/v1/emails?kind=reminder&customer_id={customer_id}&limit=100"
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    let mut out: Vec<DateTime<Utc>> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "sent")
        .map(|e| e["sent_at"].as_str().unwrap().parse().unwrap())
        .collect();
    out.sort();
    out
}

/// Sent reminder emails of a customer: (local date, minutes after
/// midnight, to ten minutes: demo time also moves while the queue works).
fn reminders_sent(app: &TestApp, customer_id: &str, tz: chrono_tz::Tz) -> Vec<(NaiveDate, u32)> {
    reminder_times(app, customer_id)
        .iter()
        .map(|at| {
            let local = at.with_timezone(&tz);
            (
                local.date_naive(),
                (local.hour() * 60 + local.minute()) / 10 * 10,
            )
        })
        .collect()
}

fn occurrences(app: &TestApp, invoice_id: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/reminders?invoice_id={invoice_id}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

/// Sets the organization's reminder settings: weekdays 09:00–17:00 and
/// whatever `extra` adds or replaces.
fn set_reminders(app: &TestApp, extra: Value) {
    let mut settings = json!({
        "window_start": "09:00", "window_end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]
    });
    for (k, v) in extra.as_object().unwrap() {
        settings[k] = v.clone();
    }
    let r = app
        .http
        .patch(format!("{}/api/v1/organization", app.base))
        .bearer_auth(&app.key)
        .json(&json!({ "reminders": settings }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// A new organization without statements, the demo clock at next Monday
/// 00:00 UTC, and a customer in UTC with an invoice due on Thursday (its
/// −3 step is Monday 09:00).
struct Monday {
    app: TestApp,
    clock: Clock,
    start: DateTime<Utc>,
    email: String,
    invoice: String,
}

fn monday(name: &str) -> Monday {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let start = next_monday(clock.now());
    clock.set(start);
    no_statements(&app);
    let (c, email) = customer(&app, name, "UTC", "en");
    let invoice = invoice(&app, &c, start.date_naive() + Duration::days(3));
    Monday {
        app,
        clock,
        start,
        email,
        invoice,
    }
}

/// The email stand-in answers 503 to the next `count` sends to `to`.
fn sim_fail(app: &TestApp, to: &str, count: u32) {
    let r = app
        .http
        .post(format!("{}/__sim/fail", app.mail))
        .json(&json!({ "count": count, "status": 503, "to": to }))
        .send()
        .unwrap();
    assert!(r.status().is_success());
}

/// Monthly statements off, so that the outbox holds only reminders.
fn no_statements(app: &TestApp) {
    set_reminders(app, json!({ "monthly_statement": false }));
}

/// The Monday 13 days before New York's next daylight-saving change at
/// least 16 days ahead: the change falls on day 13, between the steps.
fn monday_before_a_dst_change(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Offset;
    let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let offset = |d: NaiveDate| {
        ny.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
            .offset()
            .fix()
            .local_minus_utc()
    };
    let mut change = now.date_naive() + Duration::days(16);
    while offset(change) == offset(change - Duration::days(1)) {
        change += Duration::days(1);
    }
    let mut d = change - Duration::days(8);
    while d.weekday() != Weekday::Mon {
        d -= Duration::days(1);
    }
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
}

#[test]
fn three_weeks_of_reminders_go_out_once_in_local_hours_and_stop_when_they_should() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    // Across a daylight-saving change in New York.
    let start = monday_before_a_dst_change(clock.now());
    clock.set(start);
    let day = |n: i64| start.date_naive() + Duration::days(n);
    let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
    let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
    let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
    let (n, _) = customer(&app, "Nora", "America/New_York", "en-US");
    let (p1, _) = customer(&app, "Paul", "Europe/Paris", "fr-FR");
    let (p2, _) = customer(&app, "Pia", "Europe/Paris", "fr-FR");
    let (t, _) = customer(&app, "Taro", "Asia/Tokyo", "en");
    let (k, _) = customer(&app, "Kiran", "Asia/Kolkata", "en-IN");
    // Default policy: −3, 0, +3, +7, +14, +30 days, weekdays 09:00–17:00.
    let a = invoice(&app, &n, day(10)); // Thursday of week 2
    let b = invoice(&app, &n, day(10)); // same customer, same days: one email for both
    let c = invoice(&app, &p1, day(5)); // Saturday: steps move to Monday
    let d = invoice(&app, &t, day(8)); // paid on day 9
    let e = invoice(&app, &p2, day(4)); // disputed from the start to day 9
    let f = invoice(&app, &k, day(3)); // promised for day 6, not paid
    let r = app.post(
        &format!("/api/v1/invoices/{e}/disputes"),
        json!({ "reason": "Wrong quantity" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let dispute = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(
        &format!("/api/v1/invoices/{f}/promises"),
        json!({ "promised_date": day(6).to_string(), "note": "Paying Sunday" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    clock.travel_to(start + Duration::days(7) + Duration::hours(12));
    // A partial payment between two steps: the next one still goes, for the rest.
    let r = app.post(
        &format!("/api/v1/invoices/{c}/payments"),
        json!({ "amount": 4000, "currency": "EUR", "method": "bank_transfer", "received_on": day(7).to_string() }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    clock.travel_to(start + Duration::days(9) + Duration::hours(12));
    let r = app.post(
        &format!("/api/v1/invoices/{d}/payments"),
        json!({ "amount": 10000, "currency": "EUR", "method": "bank_transfer", "received_on": day(9).to_string() }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app.post(
        &format!("/api/v1/disputes/{dispute}/resolve"),
        json!({ "resolution": "Quantity confirmed" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Day 10 in Kolkata: the promise broke and flagged the account for its
    // agent (the +14 step flags it again later, with its own reason).
    clock.travel_to(start + Duration::days(10) + Duration::hours(12));
    let r = app.get(&format!("/api/v1/customers/{k}"));
    assert!(
        r.body["flag_reason"]
            .as_str()
            .unwrap_or("")
            .contains("not kept"),
        "{}",
        r.body
    );
    clock.travel_to(start + Duration::days(20));

    let nine = 9 * 60;
    assert_eq!(
        reminders_sent(&app, &n, ny),
        vec![
            (day(7), nine),
            (day(10), nine),
            (day(14), nine),
            (day(17), nine)
        ],
        "New York: −3, 0, +3 (Sunday → Monday), +7, one email for both invoices"
    );
    let utc_hours: std::collections::BTreeSet<u32> = reminder_times(&app, &n)
        .iter()
        .map(|at| at.hour())
        .collect();
    assert_eq!(
        utc_hours.len(),
        2,
        "09:00 in New York on both sides of the change: {utc_hours:?}"
    );
    for inv in [&a, &b] {
        let sent = occurrences(&app, inv)
            .iter()
            .filter(|o| o["status"] == "sent")
            .count();
        assert_eq!(sent, 4);
    }
    assert_eq!(
        reminders_sent(&app, &p1, paris),
        vec![
            (day(2), nine),
            (day(7), nine),
            (day(8), nine),
            (day(14), nine)
        ],
        "Paris: −3, 0 (Saturday → Monday), +3, +7 (Saturday → Monday)"
    );
    let c_occ = occurrences(&app, &c);
    let plus3 = c_occ.iter().find(|o| o["offset_days"] == 3).unwrap();
    assert_eq!(plus3["status"], "sent");
    assert_eq!(
        plus3["amount_due"], 6000,
        "the balance after the partial payment"
    );
    assert_eq!(
        reminders_sent(&app, &t, tokyo),
        vec![(day(7), nine), (day(8), nine)],
        "Tokyo: nothing after the payment"
    );
    assert_eq!(
        occurrences(&app, &d).len(),
        2,
        "no step planned for a paid invoice"
    );
    // Kolkata's 09:00 is 03:30 UTC: the first hourly cron after it is 04:00.
    let k_sent = reminders_sent(&app, &k, kolkata);
    assert_eq!(
        k_sent,
        vec![(day(10), 9 * 60 + 30), (day(17), 9 * 60 + 30)],
        "Kolkata: held by the promise until it broke (day 6 + 3 days of grace)"
    );
    let f_occ = occurrences(&app, &f);
    let held: Vec<&Value> = f_occ
        .iter()
        .filter(|o| o["skip_reason"] == "promise_to_pay")
        .collect();
    assert_eq!(held.len(), 3, "−3, 0 and +3 (moved to day 7): {f_occ:?}");
    // One reminder of the promise: day 5 is a Saturday, so Friday (day 4)
    // at the window's opening, at the first cron after it.
    let r = app.get(&format!(
        "/api/v1/emails?kind=promise_reminder&customer_id={k}"
    ));
    let sent: Vec<(NaiveDate, u32)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let at: DateTime<Utc> = e["sent_at"].as_str().unwrap().parse().unwrap();
            let local = at.with_timezone(&kolkata);
            (
                local.date_naive(),
                (local.hour() * 60 + local.minute()) / 10 * 10,
            )
        })
        .collect();
    assert_eq!(sent, vec![(day(4), 9 * 60 + 30)], "{}", r.body);
    // Broken on day 10: the account is flagged for its agent, and only an
    // agent's agreement lets the customer promise again.
    let r = app.get(&format!("/api/v1/promises?invoice_id={f}"));
    assert_eq!(r.body["data"][0]["status"], "broken", "{}", r.body);
    let broken_at = app
        .audit_events("promise.broken")
        .iter()
        .map(|e| {
            e["created_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
        })
        .collect::<Vec<_>>();
    assert_eq!(broken_at.len(), 1);
    assert_eq!(broken_at[0].with_timezone(&kolkata).date_naive(), day(10));
    let r = app.post(
        &format!("/api/v1/invoices/{f}/promises/approval"),
        json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.post(
        &format!("/api/v1/invoices/{f}/promises/approval"),
        json!({}),
    );
    assert_eq!((r.status, r.code()), (409, "conflict"), "approved once");
    assert_eq!(
        reminders_sent(&app, &p2, paris),
        vec![(day(11), nine), (day(18), nine)],
        "disputed invoice: only after the dispute was resolved"
    );
    let disputed = occurrences(&app, &e)
        .iter()
        .filter(|o| o["skip_reason"] == "invoice_disputed")
        .count();
    assert_eq!(disputed, 3);

    // The timeline has each step, in order, with the email as sent.
    let r = app.get(&format!("/api/v1/customers/{n}/timeline"));
    assert_eq!(r.status, 200, "{}", r.body);
    let events = r.body["events"].as_array().unwrap();
    let planned = events
        .iter()
        .filter(|e| e["type"] == "reminder.planned")
        .count();
    let sent = events
        .iter()
        .filter(|e| e["type"] == "reminder.sent")
        .count();
    assert_eq!((planned, sent), (8, 8), "two invoices, four steps each");
    let emails: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "email" && e["email"]["kind"] == "reminder")
        .collect();
    assert_eq!(emails.len(), 4);
    let text = emails[0]["email"]["text"].as_str().unwrap();
    assert!(
        text.contains("/c/["),
        "the stored copy names the link, not its token: {text}"
    );
    let ats: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = ats.clone();
    sorted.sort();
    assert_eq!(ats, sorted, "in order");
}

#[test]
fn a_failing_email_api_sends_each_reminder_once_when_it_recovers() {
    let Monday {
        app,
        clock,
        start,
        email,
        invoice: inv,
    } = monday("Faye");
    // The provider refuses the next two sends with 503, then recovers.
    sim_fail(&app, &email, 2);
    clock.travel_to(start + Duration::hours(10));
    crate::helpers::eventually(60, "the reminder is sent after the retries", || {
        occurrences(&app, &inv)
            .iter()
            .any(|o| o["status"] == "sent")
    });
    assert_eq!(app.emails_to(&email).len(), 1, "delivered once");
    let audit = app.audit_actions();
    assert_eq!(
        audit
            .iter()
            .filter(|a| *a == "email.attempt_failed")
            .count(),
        2
    );
    assert_eq!(audit.iter().filter(|a| *a == "reminder.sent").count(), 1);

    // The provider's answer is lost (it takes the email, then hangs past
    // our timeout): the retry carries the same Idempotency-Key, so the
    // provider does not deliver it twice.
    let r = app
        .http
        .post(format!("{}/__sim/hold", app.mail))
        .json(&json!({ "to": email, "seconds": 15, "count": 1 }))
        .send()
        .unwrap();
    assert!(r.status().is_success());
    clock.travel_to(start + Duration::days(3) + Duration::hours(10));
    crate::helpers::eventually(90, "the due-day reminder is marked sent", || {
        occurrences(&app, &inv)
            .iter()
            .filter(|o| o["status"] == "sent")
            .count()
            == 2
    });
    assert_eq!(
        app.emails_to(&email).len(),
        2,
        "one email per step, none twice"
    );
}

#[test]
fn statements_list_every_open_item_once_a_month_skip_holidays_and_copy_the_company() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    // The first of a month at least three days ahead.
    let now = clock.now();
    let mut first = crate::helpers::first_of_next_month(now.date_naive());
    if first - Duration::days(2) <= now.date_naive() {
        first = crate::helpers::first_of_next_month(first);
    }
    let mut holiday = first;
    while matches!(holiday.weekday(), Weekday::Sat | Weekday::Sun) {
        holiday += Duration::days(1);
    }
    let mut expected = holiday + Duration::days(1);
    while matches!(expected.weekday(), Weekday::Sat | Weekday::Sun) {
        expected += Duration::days(1);
    }
    clock.set(Utc.from_utc_datetime(&(first - Duration::days(2)).and_hms_opt(0, 0, 0).unwrap()));
    set_reminders(
        &app,
        json!({ "holidays": [holiday.to_string()], "skip_holidays": true, "bcc": "proof@testco.example" }),
    );
    let (c, email) = customer(&app, "Stella", "UTC", "en");
    let far = NaiveDate::from_ymd_opt(2099, 6, 30).unwrap();
    let numbers: Vec<String> = (0..2)
        .map(|_| {
            let id = invoice(&app, &c, far);
            app.get(&format!("/api/v1/invoices/{id}")).body["number"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    clock.travel_to(Utc.from_utc_datetime(&expected.and_hms_opt(12, 0, 0).unwrap()));
    let r = app.get(&format!("/api/v1/emails?kind=statement&customer_id={c}"));
    let list = r.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 1, "one statement: {}", r.body);
    let at: DateTime<Utc> = list[0]["sent_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        at.date_naive(),
        expected,
        "the holiday {holiday} is skipped"
    );
    assert_eq!(at.hour(), 9);
    assert_eq!(list[0]["bcc"], "proof@testco.example");
    let outbox = app.emails_to(&email);
    assert_eq!(outbox.len(), 1);
    let text = outbox[0]["text"].as_str().unwrap();
    for n in &numbers {
        assert!(text.contains(n.as_str()), "{n} listed: {text}");
    }
    // The company's copy is a message of its own, with the same items and
    // no link that opens the customer's invoices or unsubscribes them.
    assert!(
        outbox[0]["bcc"].as_array().is_none_or(|b| b.is_empty()),
        "{}",
        outbox[0]
    );
    let copies = app.emails_to("proof@testco.example");
    assert_eq!(copies.len(), 1, "one copy for the company");
    for part in ["text", "html"] {
        let body = copies[0][part].as_str().unwrap();
        for n in &numbers {
            assert!(body.contains(n.as_str()), "{n} listed in the copy");
        }
        assert!(
            !body.contains("/c/cl_"),
            "no portal link in the copy: {body}"
        );
        assert!(
            !body.contains("/u/cus_"),
            "no preferences link in the copy: {body}"
        );
    }
    assert!(copies[0]["headers"].get("List-Unsubscribe").is_none());
}

#[test]
fn a_segment_gives_its_customers_its_own_policy() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let start = next_monday(clock.now());
    clock.set(start);
    let r = app.post(
        "/api/v1/reminder-policies",
        json!({ "name": "VIP", "steps": [{ "offset_days": 1, "tone": "firm" }] }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let vip_policy = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(
        "/api/v1/segments",
        json!({ "name": "VIP", "priority": 1, "rules": { "tags_any": ["vip"] }, "policy_id": vip_policy }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let (vip, _) = customer(&app, "Vera", "UTC", "en");
    let r = app
        .http
        .patch(format!("{}/api/v1/customers/{vip}", app.base))
        .bearer_auth(&app.key)
        .json(&json!({ "tags": ["vip"] }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (plain, _) = customer(&app, "Pete", "UTC", "en");
    let due = start.date_naive() + Duration::days(3); // Thursday
    let a = invoice(&app, &vip, due);
    let b = invoice(&app, &plain, due);
    clock.travel_to(start + Duration::days(4) + Duration::hours(12));
    let offsets = |inv: &str| -> Vec<(i64, String)> {
        occurrences(&app, inv)
            .iter()
            .map(|o| {
                (
                    o["offset_days"].as_i64().unwrap(),
                    o["policy_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        offsets(&a),
        vec![(1, vip_policy.clone())],
        "only the VIP policy's step"
    );
    let plain_steps: Vec<i64> = offsets(&b).iter().map(|o| o.0).collect();
    assert_eq!(plain_steps, vec![-3, 0], "the default policy");
}

#[test]
fn a_reminder_the_provider_keeps_refusing_ends_in_the_dead_letters() {
    let Monday {
        app,
        clock,
        start,
        email,
        invoice: inv,
    } = monday("Dora");
    let c = app.get(&format!("/api/v1/invoices/{inv}")).body["customer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    sim_fail(&app, &email, 10);
    clock.travel_to(start + Duration::hours(10));
    crate::helpers::eventually(60, "the email is given up", || {
        let r = app.get("/api/v1/emails?status=failed");
        r.body["data"].as_array().is_some_and(|d| !d.is_empty())
    });
    let dead = app.get("/api/v1/emails?status=failed").body;
    let e = &dead["data"][0];
    assert_eq!(e["customer_id"], c.as_str());
    assert_eq!(e["kind"], "reminder");
    assert_eq!(e["attempts"], 5);
    assert!(e["last_error"].as_str().unwrap().contains("503"), "{e}");
    let occ = occurrences(&app, &inv);
    assert_eq!(occ.len(), 1);
    assert_eq!(occ[0]["status"], "failed");
    let audit = app.audit_actions();
    assert_eq!(
        audit
            .iter()
            .filter(|a| *a == "email.attempt_failed")
            .count(),
        4,
        "{audit:?}"
    );
    assert_eq!(
        audit.iter().filter(|a| *a == "reminder.failed").count(),
        1,
        "{audit:?}"
    );
    assert_eq!(audit.iter().filter(|a| *a == "email.failed").count(), 1);
    assert!(app.emails_to(&email).is_empty(), "nothing reached anyone");
}

#[test]
fn step_actions_apply_once_after_the_step_is_sent() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let start = next_monday(clock.now());
    clock.set(start);
    set_reminders(
        &app,
        json!({ "late_fee_percent": "1.5", "monthly_statement": false }),
    );
    let r = app.post(
        "/api/v1/reminder-policies",
        json!({ "name": "Strict", "steps": [
            { "offset_days": 1, "tone": "final", "actions": ["late_fee", "flag_account", "stop_payment_plans"] }
        ]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let policy = r.body["id"].as_str().unwrap().to_owned();
    let r = app.post(
        &format!("/api/v1/reminder-policies/{policy}/default"),
        json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let (c, email) = customer(&app, "Lars", "UTC", "en");
    let inv = invoice(&app, &c, start.date_naive() + Duration::days(1));
    // The dashboard's first read: the cron writes the metric days as the
    // clock moves, the invoice's issue date among them.
    let before = app.get(&format!("/api/v1/invoices/{inv}")).body;
    let metrics = format!(
        "/api/v1/metrics?currency={}&from={}",
        before["currency"].as_str().unwrap(),
        before["issue_date"].as_str().unwrap()
    );
    assert_eq!(app.get(&metrics).status, 200);
    clock.travel_to(start + Duration::days(2) + Duration::hours(12));
    let after = app.get(&format!("/api/v1/invoices/{inv}")).body;
    assert_eq!(
        after["total"], 10_150,
        "1.5 % of 100.00 added once: {after}"
    );
    // The fee raised a total already counted in the stored days: they were
    // sent back and written again, and the sale counts the fee.
    let m = app.get(&metrics).body;
    assert_eq!(
        (&m["source"], &m["sales"]),
        (&json!("days"), &json!(10_150)),
        "{m}"
    );
    let lines = after["lines"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l["description"] == "Late fee (1.5%)"),
        "{after}"
    );
    let cust = app.get(&format!("/api/v1/customers/{c}")).body;
    assert!(
        cust["flag_reason"].as_str().unwrap().contains("+1"),
        "{cust}"
    );
    assert_eq!(cust["payment_plans_blocked"], true);
    // The reminder itself went out, with its Pay link landing on the invoice.
    let sent = app.emails_to(&email);
    assert_eq!(sent.len(), 1);
    let text = sent[0]["text"].as_str().unwrap();
    let url = text
        .split_whitespace()
        .find(|w| w.contains("/c/cl_"))
        .expect("a portal link in the email");
    let r = app.open(url);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/invoices/{inv}").as_str())
    );
    clock.travel_to(start + Duration::days(4) + Duration::hours(12));
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{inv}")).body["total"],
        10_150,
        "not twice"
    );
    let applied = app
        .audit_actions()
        .iter()
        .filter(|a| *a == "reminder.actions_applied")
        .count();
    assert_eq!(applied, 1);
}

#[test]
fn each_organization_has_its_own_demo_clock() {
    let (a, b) = (TestApp::new(), TestApp::new());
    let (clock_a, clock_b) = (Clock::new(&a), Clock::new(&b));
    let b_before = clock_b.now();
    let a_target = clock_a.now() + Duration::days(30);
    clock_a.set(a_target);
    let (a_now, b_now) = (clock_a.now(), clock_b.now());
    assert!(a_now >= a_target, "{a_now} is before {a_target}");
    assert!(
        b_now - b_before < Duration::minutes(5),
        "moving one organization's clock moved another's: {b_before} then {b_now}"
    );
    // What each organization's API records is on its own clock.
    let (ca, _) = customer(&a, "Ahead", "UTC", "en");
    let (cb, _) = customer(&b, "Behind", "UTC", "en");
    let created = |app: &TestApp, id: &str| -> DateTime<Utc> {
        let r = app.get(&format!("/api/v1/customers/{id}"));
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["created_at"].as_str().unwrap().parse().unwrap()
    };
    assert!(created(&a, &ca) >= a_target);
    assert!(created(&b, &cb) < a_target - Duration::days(29));

    // The operator must say whose clock; a bad id is refused, not created.
    let token = std::env::var("SETTLE_OPERATOR_TOKEN").unwrap();
    let clock_url = format!("{}/api/v1/operator/clock", a.base);
    let r = a.http.get(&clock_url).bearer_auth(&token).send().unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let r = a
        .http
        .post(&clock_url)
        .bearer_auth(&token)
        .json(&json!({ "organization_id": "org_nope", "advance_seconds": 60 }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().unwrap();
    assert_eq!(body["error"]["code"], "invalid_field", "{body}");
}

/// Sent emails of one kind to a customer, as (local date, minute of the
/// day to ten minutes).
fn sent_local(
    app: &TestApp,
    kind: &str,
    customer_id: &str,
    tz: chrono_tz::Tz,
) -> Vec<(NaiveDate, u32)> {
    let r = app.get(&format!(
        "/api/v1/emails?kind={kind}&customer_id={customer_id}&limit=100"
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    let mut out: Vec<(NaiveDate, u32)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "sent")
        .map(|e| {
            let at: DateTime<Utc> = e["sent_at"].as_str().unwrap().parse().unwrap();
            let local = at.with_timezone(&tz);
            (
                local.date_naive(),
                (local.hour() * 60 + local.minute()) / 10 * 10,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn an_instalment_plan_reminds_each_instalment_and_breaks_when_one_is_missed() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let start = next_monday(clock.now());
    clock.set(start);
    no_statements(&app);
    let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
    let day = |n: i64| start.date_naive() + Duration::days(n);
    let (c, _) = customer(&app, "Ines", "Europe/Paris", "fr-FR");
    let inv = invoice(&app, &c, day(3));
    let cookie = app.session(&c);
    // Three Wednesdays: 40.00, 30.00, 30.00 of the 100.00 due.
    let instalments = json!([
        { "date": day(2).to_string(), "amount": 4000 },
        { "date": day(9).to_string(), "amount": 3000 },
        { "date": day(16).to_string(), "amount": 3000 },
    ]);
    let r = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/portal/invoices/{inv}/plan", app.base))
            .header("Cookie", &cookie)
            .header("Sec-Fetch-Site", "same-origin")
            .json(&json!({ "instalments": instalments, "accept_terms": true }))
            .send()
            .unwrap(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["plan"]["status"], "active");

    // The first instalment is paid on its eve; the second is not.
    clock.travel_to(start + Duration::days(1) + Duration::hours(12));
    let r = app.post(
        &format!("/api/v1/invoices/{inv}/payments"),
        json!({ "amount": 4000, "currency": "EUR", "method": "bank_transfer", "received_on": day(1).to_string() }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    clock.travel_to(start + Duration::days(18));

    let nine = 9 * 60;
    assert_eq!(
        sent_local(&app, "instalment_reminder", &c, paris),
        vec![(day(1), nine), (day(8), nine)],
        "each instalment the day before, at the window's opening; none after the plan broke"
    );
    let r = app.get(&format!("/api/v1/plans?invoice_id={inv}"));
    let p = &r.body["data"][0];
    assert_eq!(p["status"], "broken", "{}", r.body);
    assert_eq!(p["paid"], 4000);
    let broken = app.audit_events("plan.broken");
    assert_eq!(broken.len(), 1);
    let at: DateTime<Utc> = broken[0]["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        at.with_timezone(&paris).date_naive(),
        day(13),
        "the second instalment (day 9) plus three days of grace"
    );
    // The invoice's own reminders held while the plan stood, then resumed.
    let occ = occurrences(&app, &inv);
    let held = occ
        .iter()
        .filter(|o| o["skip_reason"] == "instalment_plan")
        .count();
    assert_eq!(held, 4, "−3, 0, +3 and +7 held: {occ:?}");
    assert_eq!(
        sent_local(&app, "reminder", &c, paris),
        vec![(day(17), nine)],
        "+14 after the plan broke"
    );
    // Only an agent's agreement lets the customer set new dates (a new
    // session: the first one ended meanwhile).
    let cookie = app.session(&c);
    let r = app.portal_get(&cookie, &format!("/invoices/{inv}/plan"));
    assert_eq!(
        r.body["refusal"]["code"], "promise_needs_approval",
        "{}",
        r.body
    );
    let r = app.get(&format!("/api/v1/customers/{c}"));
    assert!(
        r.body["flag_reason"]
            .as_str()
            .unwrap_or("")
            .contains("Instalment plan")
            || r.body["flag_reason"]
                .as_str()
                .unwrap_or("")
                .contains("Reminder +14"),
        "{}",
        r.body
    );
}
