//! The collections worklist: ranking with reasons, agents' own lists,
//! assignment by rules with each agent's load, calls and notes, and
//! follow-up tasks that fall due on the organization's clock.

use crate::helpers::{Clock, TestApp, unique};
use crate::team::member;
use serde_json::{Value, json};

/// An invoice of `cents` (no tax) issued and due on these dates.
fn overdue(app: &TestApp, customer: &str, cents: i64, issued: &str, due: &str) -> Value {
    let r = app.post(
        "/api/v1/invoices",
        json!({
            "customer_id": customer, "number": format!("W-{}", unique()), "currency": "EUR",
            "issue_date": issued, "due_date": due,
            "lines": [{ "description": "Services", "quantity": 1, "unit_amount": cents }]
        }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn customer(app: &TestApp, name: &str) -> String {
    app.create_customer(name)["id"].as_str().unwrap().to_owned()
}

fn order(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_worst_payers_come_first_with_their_reasons() {
    let app = TestApp::new();
    let worst = customer(&app, "Wanda Worst");
    overdue(&app, &worst, 400_000, "2026-06-01", "2026-07-01");
    let inv = overdue(&app, &worst, 250_000, "2026-08-01", "2026-09-01");
    let d = app.post(
        &format!("/api/v1/invoices/{}/disputes", inv["id"].as_str().unwrap()),
        json!({ "reason": "Says the September work was not ordered." }),
    );
    assert_eq!(d.status, 201, "{}", d.body);
    let middle = customer(&app, "Milo Middle");
    overdue(&app, &middle, 80_000, "2026-09-15", "2026-10-15");
    let small = customer(&app, "Sam Small");
    overdue(&app, &small, 9_000, "2026-10-20", "2026-11-20");
    // Owes a lot, but promised a date still to come.
    let promised = customer(&app, "Pia Promised");
    let p = overdue(&app, &promised, 900_000, "2026-09-01", "2026-10-01");
    let date = (Clock::new(&app).now().date_naive() + chrono::Days::new(5)).to_string();
    let r = app.post(
        &format!("/api/v1/invoices/{}/promises", p["id"].as_str().unwrap()),
        json!({ "promised_date": date }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // Paid in full: not overdue at all.
    let paid = customer(&app, "Pat Paid");
    let i = overdue(&app, &paid, 50_000, "2026-08-01", "2026-09-01");
    let pay = app.post(
        &format!("/api/v1/invoices/{}/payments", i["id"].as_str().unwrap()),
        json!({ "amount": 50_000, "currency": "EUR", "method": "bank_transfer" }),
    );
    assert_eq!(pay.status, 201, "{}", pay.body);
    // Not yet due.
    let later = customer(&app, "Lou Later");
    app.create_invoice(&later);

    let list = app.get("/api/v1/worklist");
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(
        order(&list.body),
        ["Wanda Worst", "Milo Middle", "Pia Promised", "Sam Small"]
    );
    assert_eq!(list.body["total"], 4);
    let top = &list.body["data"][0];
    assert_eq!(top["overdue"][0]["amount"], 650_000);
    assert_eq!(top["overdue_invoices"], 2);
    assert_eq!(top["oldest_due"], "2026-07-01");
    let codes: Vec<&str> = top["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    // 158 days is full age (15); €6,500 ranks 2.5 of 4 (Pia owes more):
    // 12.5; the dispute 10.
    assert_eq!(
        codes,
        ["days_overdue", "overdue_amount", "open_disputes"],
        "{top}"
    );
    let sum: f64 = top["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["points"].as_f64().unwrap_or(0.0))
        .sum();
    assert!((sum - top["priority"].as_f64().unwrap()).abs() < 0.011);
    let pia = &list.body["data"][2];
    assert_eq!(pia["reasons"][0]["code"], "promised_date");
    assert_eq!(pia["reasons"][0]["date"], date.as_str());
    // Pages follow the same order.
    let first = app.get("/api/v1/worklist?limit=3");
    assert_eq!(first.body["next_cursor"], "3");
    let rest = app.get("/api/v1/worklist?limit=3&cursor=3");
    assert_eq!(order(&rest.body), ["Sam Small"]);
    for q in [
        "limit=0",
        "limit=201",
        "cursor=x",
        "agent=mem_nobody",
        "segment=seg_nope",
    ] {
        let r = app.get(&format!("/api/v1/worklist?{q}"));
        assert_eq!(
            (r.status, r.code()),
            (422, "invalid_field"),
            "{q}: {}",
            r.body
        );
    }
}

#[test]
fn supervisors_deal_accounts_by_rules_and_agents_see_their_own() {
    let app = TestApp::new();
    let names = [
        "Anna Alpha",
        "Bruno Beta",
        "Nora Nu",
        "Zed Zeta",
        "Élise Epsilon",
    ];
    for (i, n) in names.iter().enumerate() {
        let c = customer(&app, n);
        overdue(
            &app,
            &c,
            10_000 * (i as i64 + 1),
            "2026-09-01",
            "2026-10-01",
        );
    }
    let ana = member(&app, "agent");
    let ben = member(&app, "agent");
    let sup = member(&app, "supervisor");
    // An agent may not deal accounts.
    let r = ana.post(
        "/api/v1/worklist/assign",
        json!({ "rules": [{ "member_ids": [ana.id()] }] }),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let rules = json!({ "rules": [
        { "member_ids": [ana.id()], "letters": "A-M" },
        { "member_ids": [ben.id()], "letters": "N-Z" }
    ] });
    let mut dry = rules.clone();
    dry["dry_run"] = json!(true);
    let r = sup.post("/api/v1/worklist/assign", dry);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["assigned"].as_u64(), r.body["dry_run"].as_bool()),
        (Some(5), Some(true))
    );
    assert_eq!(
        sup.get("/api/v1/worklist?agent=none").body["total"],
        5,
        "nothing changed"
    );
    let r = sup.post("/api/v1/worklist/assign", rules.clone());
    assert_eq!(r.body["assigned"], 5, "{}", r.body);
    // Again: only the unassigned, and there are none.
    assert_eq!(
        sup.post("/api/v1/worklist/assign", rules).body["assigned"],
        0
    );
    let mine = ana.get("/api/v1/worklist");
    let mut got = order(&mine.body);
    got.sort();
    assert_eq!(got, ["Anna Alpha", "Bruno Beta", "Élise Epsilon"]);
    assert!(
        mine.body["load"].as_array().unwrap().is_empty(),
        "agents see no load"
    );
    let all = sup.get("/api/v1/worklist");
    let load = all.body["load"].as_array().unwrap();
    let of = |id: &str| load.iter().find(|l| l["member_id"] == id).unwrap().clone();
    assert_eq!(of(ana.id())["accounts"], 3);
    assert_eq!(
        of(ana.id())["overdue"][0]["amount"],
        10_000 + 20_000 + 50_000
    );
    assert_eq!(of(ben.id())["accounts"], 2);
    assert_eq!(load.last().unwrap()["member_id"], Value::Null);
    assert_eq!(load.last().unwrap()["accounts"], 0);
    assert_eq!(
        order(
            &sup.get(&format!("/api/v1/worklist?agent={}", ben.id()))
                .body
        ),
        ["Zed Zeta", "Nora Nu"]
    );
    // Each change is on the record.
    assert_eq!(app.audit_events("customer.assigned").len(), 5);
    // Bad rules.
    for (body, field) in [
        (json!({ "rules": [] }), "rules"),
        (
            json!({ "rules": [{ "member_ids": [] }] }),
            "rules[0].member_ids",
        ),
        (
            json!({ "rules": [{ "member_ids": ["mem_nobody"] }] }),
            "rules[0].member_ids",
        ),
        (
            json!({ "rules": [{ "member_ids": [ana.id()], "letters": "M-A" }] }),
            "rules[0].letters",
        ),
        (
            json!({ "rules": [{ "member_ids": [ana.id()], "letters": "AB" }] }),
            "rules[0].letters",
        ),
        (
            json!({ "rules": [{ "member_ids": [ana.id()], "segment_id": "seg_x" }] }),
            "rules[0].segment_id",
        ),
    ] {
        let r = sup.post("/api/v1/worklist/assign", body.clone());
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{body}: {}", r.body);
    }
    let r = sup.post(
        "/api/v1/worklist/assign",
        json!({ "rules": [{ "member_ids": [ana.id()], "colour": "red" }] }),
    );
    assert_eq!(r.status, 422, "{}", r.body);
}

#[test]
fn calls_and_notes_are_logged_with_their_outcome() {
    let app = TestApp::new();
    let c = customer(&app, "Carl Caller");
    let inv = overdue(&app, &c, 30_000, "2026-09-01", "2026-10-01");
    let r = app.post(
        &format!("/api/v1/customers/{c}/activities"),
        json!({ "kind": "call", "outcome": "no_answer", "body": "Rang twice, voicemail full." }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // A promise obtained on a call: recorded on the invoice, then named.
    let date = (Clock::new(&app).now().date_naive() + chrono::Days::new(7)).to_string();
    let p = app.post(
        &format!("/api/v1/invoices/{}/promises", inv["id"].as_str().unwrap()),
        json!({ "promised_date": date }),
    );
    assert_eq!(p.status, 201, "{}", p.body);
    let r = app.post(
        &format!("/api/v1/customers/{c}/activities"),
        json!({ "kind": "call", "outcome": "promised", "body": "Will pay next week.",
                "invoice_id": inv["id"], "promise_id": p.body["id"] }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let list = app.get(&format!("/api/v1/customers/{c}/activities"));
    assert_eq!(list.body["data"][0]["outcome"], "promised");
    assert_eq!(list.body["data"][1]["outcome"], "no_answer");
    let w = app.get("/api/v1/worklist");
    assert_eq!(
        w.body["data"][0]["last_activity"]["body"],
        "Will pay next week."
    );
    assert_eq!(app.audit_events("call.logged").len(), 2);
    let other = customer(&app, "Olga Other");
    for (body, field) in [
        (json!({ "kind": "visit", "body": "x" }), "kind"),
        (
            json!({ "kind": "note", "outcome": "refused", "body": "x" }),
            "outcome",
        ),
        (
            json!({ "kind": "call", "outcome": "maybe", "body": "x" }),
            "outcome",
        ),
        (json!({ "kind": "call", "body": "   " }), "body"),
        (json!({ "kind": "note", "body": "x".repeat(4001) }), "body"),
        (
            json!({ "kind": "call", "outcome": "promised", "body": "x", "promise_id": "prm_nope" }),
            "promise_id",
        ),
        (
            json!({ "kind": "call", "outcome": "refused", "body": "x", "promise_id": p.body["id"] }),
            "promise_id",
        ),
    ] {
        let r = app.post(&format!("/api/v1/customers/{c}/activities"), body.clone());
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    // Another customer's invoice or promise is refused.
    let r = app.post(
        &format!("/api/v1/customers/{other}/activities"),
        json!({ "kind": "note", "body": "x", "invoice_id": inv["id"] }),
    );
    assert_eq!(r.body["error"]["field"], "invoice_id", "{}", r.body);
    assert_eq!(
        TestApp::new()
            .get(&format!("/api/v1/customers/{c}/activities"))
            .status,
        404
    );
}

#[test]
fn a_follow_up_falls_due_at_its_time() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let agent = member(&app, "agent");
    let c = customer(&app, "Tina Task");
    // Agents work the accounts given to them.
    let r = app.post(
        &format!("/api/v1/customers/{c}/assign"),
        json!({ "member_id": agent.id() }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let now = clock.now();
    let at = now + chrono::Duration::hours(2);
    let r = agent.post(
        "/api/v1/tasks",
        json!({ "customer_id": c, "due_at": at.to_rfc3339(), "note": "Call back about the October invoice" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["due"], false);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(
        agent.get("/api/v1/tasks?due=true").body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        agent.get("/api/v1/tasks").body["data"][0]["id"],
        id.as_str()
    );
    clock.set(now + chrono::Duration::minutes(119));
    assert!(
        agent.get("/api/v1/tasks?due=true").body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    clock.set(now + chrono::Duration::minutes(121));
    let due = agent.get("/api/v1/tasks?due=true");
    assert_eq!(due.body["data"][0]["id"], id.as_str(), "{}", due.body);
    assert_eq!(due.body["data"][0]["due"], true);
    assert_eq!(due.body["data"][0]["customer_name"], "Tina Task");
    let done = agent.post(&format!("/api/v1/tasks/{id}/done"), json!({}));
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"], "done");
    let again = agent.post(&format!("/api/v1/tasks/{id}/done"), json!({}));
    assert_eq!((again.status, again.code()), (409, "conflict"));
    assert!(
        agent.get("/api/v1/tasks?due=true").body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Bad input.
    let past = (clock.now() - chrono::Duration::hours(1)).to_rfc3339();
    let at = clock.now() + chrono::Duration::hours(1);
    let other = member(&app, "agent");
    for (body, code, field) in [
        (
            json!({ "customer_id": c, "due_at": past, "note": "x" }),
            422,
            "due_at",
        ),
        (
            json!({ "customer_id": c, "due_at": "tomorrow", "note": "x" }),
            422,
            "due_at",
        ),
        (
            json!({ "customer_id": c, "due_at": at.to_rfc3339(), "note": "" }),
            422,
            "note",
        ),
        (
            json!({ "customer_id": "cus_nope", "due_at": at.to_rfc3339(), "note": "x" }),
            422,
            "customer_id",
        ),
        (
            json!({ "customer_id": c, "due_at": (clock.now() + chrono::Duration::days(400)).to_rfc3339(), "note": "x" }),
            422,
            "due_at",
        ),
    ] {
        let r = agent.post("/api/v1/tasks", body.clone());
        assert_eq!(r.status, code, "{body}: {}", r.body);
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    let r = agent.post(
        "/api/v1/tasks",
        json!({ "customer_id": c, "due_at": (clock.now() + chrono::Duration::hours(1)).to_rfc3339(), "note": "x", "assigned_to": other.id() }),
    );
    assert_eq!(
        r.status, 403,
        "an agent gives tasks only to themself: {}",
        r.body
    );
    assert_eq!(app.audit_events("task.done").len(), 1);
}

#[test]
fn a_collection_letter_lists_what_is_overdue() {
    let app = TestApp::new();
    let r = app.post(
        "/api/v1/customers",
        json!({ "name": "Lena <Letter>", "email": format!("lena-{}@example.com", unique()) }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let c = r.body["id"].as_str().unwrap().to_owned();
    let old = overdue(&app, &c, 120_050, "2026-08-01", "2026-09-01");
    let newer = overdue(&app, &c, 30_000, "2026-10-01", "2026-11-01");
    app.create_invoice(&c); // not yet due: not on the letter
    let r = app.get(&format!("/api/v1/customers/{c}/letter"));
    assert_eq!(r.status, 200);
    let html = r.body.as_str().unwrap();
    for n in [&old["number"], &newer["number"]] {
        assert!(html.contains(n.as_str().unwrap()), "{n} in the letter");
    }
    assert!(html.contains("Total due: €1,500.50"), "{html}");
    assert!(html.contains("Lena &#60;Letter&#62;") || html.contains("Lena &lt;Letter&gt;"));
    assert!(html.contains("#7c3aed"), "the company's colour");
    assert!(html.contains("/link"), "where to pay");
    let pdf = app
        .http
        .get(format!(
            "{}/api/v1/customers/{c}/letter?format=pdf",
            app.base
        ))
        .bearer_auth(&app.key)
        .send()
        .unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    assert!(String::from_utf8_lossy(&bytes).contains(old["number"].as_str().unwrap()));
    assert_eq!(app.audit_events("letter.generated").len(), 2);
    let r = app.get(&format!("/api/v1/customers/{c}/letter?format=doc"));
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
    let clean = customer(&app, "Nina Nothing");
    let r = app.get(&format!("/api/v1/customers/{clean}/letter"));
    assert_eq!((r.status, r.code()), (409, "conflict"), "{}", r.body);
    assert_eq!(
        TestApp::new()
            .get(&format!("/api/v1/customers/{c}/letter"))
            .status,
        404
    );
}

#[test]
fn risk_is_learned_from_history_and_feeds_the_worklist() {
    let app = TestApp::new();
    let late = customer(&app, "Larry Lateford");
    let prompt = customer(&app, "Penny Prompt");
    // Fourteen monthly invoices (September 2025 to October 2026): Larry
    // pays three weeks after the due date, Penny five days after the invoice.
    for m in 0..14u32 {
        let issued = chrono::NaiveDate::from_ymd_opt(2025, 9, 1)
            .unwrap()
            .checked_add_months(chrono::Months::new(m))
            .unwrap();
        let due = issued + chrono::Days::new(30);
        for (c, paid) in [
            (&late, due + chrono::Days::new(21)),
            (&prompt, issued + chrono::Days::new(5)),
        ] {
            let i = overdue(&app, c, 50_000, &issued.to_string(), &due.to_string());
            let r = app.post(
                &format!("/api/v1/invoices/{}/payments", i["id"].as_str().unwrap()),
                json!({ "amount": 50_000, "currency": "EUR", "method": "bank_transfer", "received_on": paid.to_string() }),
            );
            assert_eq!(r.status, 201, "{}", r.body);
        }
    }
    assert_eq!(
        app.get(&format!("/api/v1/customers/{late}/risk")).body,
        Value::Null
    );
    let t = app.post("/api/v1/risk/train", json!({}));
    assert_eq!(t.status, 200, "{}", t.body);
    assert_eq!(t.body["trained"], true, "{}", t.body);
    let rl = app.get(&format!("/api/v1/customers/{late}/risk")).body;
    let rp = app.get(&format!("/api/v1/customers/{prompt}/risk")).body;
    let (pl, pp) = (
        rl["probability"].as_f64().unwrap(),
        rp["probability"].as_f64().unwrap(),
    );
    assert!(pl > 0.8 && pp < 0.2, "Larry {pl}, Penny {pp}");
    assert!(
        rl["drivers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["feature"] == "late_share" && d["push"].as_f64().unwrap() > 0.0),
        "{rl}"
    );
    // The same overdue amount, the same day: the one likely to be late
    // ranks first, and says so.
    overdue(&app, &late, 20_000, "2026-11-01", "2026-11-20");
    overdue(&app, &prompt, 20_000, "2026-11-01", "2026-11-20");
    let w = app.get("/api/v1/worklist").body;
    assert_eq!(order(&w), ["Larry Lateford", "Penny Prompt"]);
    assert!(
        w["data"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "risk"),
        "{w}"
    );
    assert_eq!(app.audit_events("risk.trained").len(), 1);
}
