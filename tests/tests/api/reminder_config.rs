//! Reminder configuration: policies, segments, templates and the send
//! window, through the company API.

use crate::helpers::{Reply, TestApp};
use serde_json::{Value, json};

fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
    let mut r = app
        .http
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(&app.key);
    if let Some(b) = body {
        r = r.json(&b);
    }
    TestApp::reply(r.send().unwrap())
}

fn put(app: &TestApp, path: &str, body: Value) -> Reply {
    send(app, reqwest::Method::PUT, path, Some(body))
}

fn delete(app: &TestApp, path: &str) -> Reply {
    send(app, reqwest::Method::DELETE, path, None)
}

fn patch_org(app: &TestApp, body: Value) -> Reply {
    send(
        app,
        reqwest::Method::PATCH,
        "/api/v1/organization",
        Some(body),
    )
}

fn policies(app: &TestApp) -> Vec<Value> {
    let r = app.get("/api/v1/reminder-policies");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

fn default_policy(app: &TestApp) -> Value {
    let all = policies(app);
    let defaults: Vec<&Value> = all.iter().filter(|p| p["is_default"] == true).collect();
    assert_eq!(defaults.len(), 1, "exactly one default: {all:?}");
    defaults[0].clone()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn field(r: &Reply) -> &str {
    r.body["error"]["field"].as_str().unwrap_or("<no field>")
}

fn two_steps() -> Value {
    json!([
        { "offset_days": -2, "tone": "friendly" },
        { "offset_days": 10, "tone": "final", "actions": ["flag_account"] }
    ])
}

#[test]
fn a_new_organization_has_the_standard_policy_and_default_settings() {
    let app = TestApp::new();
    let all = policies(&app);
    assert_eq!(all.len(), 1, "{all:?}");
    let p = &all[0];
    assert_eq!(p["name"], "Standard");
    assert_eq!(p["is_default"], true);
    assert!(id(p).starts_with("pol_"));
    let offsets: Vec<i64> = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["offset_days"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, vec![-3, 0, 3, 7, 14, 30]);
    assert_eq!(
        p["steps"][5]["actions"],
        json!(["flag_account", "stop_payment_plans"])
    );
    assert!(
        app.audit_actions()
            .contains(&"reminder_policy.created".to_owned())
    );

    let org = app.get("/api/v1/organization");
    assert_eq!(
        org.body["reminders"],
        json!({
            "window_start": "09:00", "window_end": "17:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "holidays": [], "skip_holidays": false, "bcc": null,
            "late_fee_percent": null, "monthly_statement": true
        })
    );
}

#[test]
fn policies_are_created_replaced_and_made_default() {
    let app = TestApp::new();
    let standard = default_policy(&app);

    let created = app.post(
        "/api/v1/reminder-policies",
        json!({ "name": "  Key accounts ", "steps": two_steps() }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "Key accounts");
    assert_eq!(created.body["is_default"], false);
    assert_eq!(created.body["steps"][1]["actions"], json!(["flag_account"]));
    let pid = id(&created.body).to_owned();

    let got = app.get(&format!("/api/v1/reminder-policies/{pid}"));
    assert_eq!(got.status, 200);
    assert_eq!(got.body, created.body);

    let replaced = put(
        &app,
        &format!("/api/v1/reminder-policies/{pid}"),
        json!({ "name": "Key accounts v2", "steps": [{ "offset_days": 1, "tone": "firm", "template": "final" }] }),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["name"], "Key accounts v2");
    assert_eq!(replaced.body["steps"].as_array().unwrap().len(), 1);
    assert_eq!(replaced.body["steps"][0]["template"], "final");
    assert_eq!(replaced.body["created_at"], created.body["created_at"]);

    let made = app.post(
        &format!("/api/v1/reminder-policies/{pid}/default"),
        json!({}),
    );
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.body["is_default"], true);
    assert_eq!(id(&default_policy(&app)), pid, "the new default");
    let old = app.get(&format!("/api/v1/reminder-policies/{}", id(&standard)));
    assert_eq!(
        old.body["is_default"], false,
        "the previous default was unset"
    );
    assert_eq!(policies(&app).len(), 2, "no default was added back");

    // Making the default the default again changes nothing.
    let again = app.post(
        &format!("/api/v1/reminder-policies/{pid}/default"),
        json!({}),
    );
    assert_eq!(again.status, 200);
    assert_eq!(id(&default_policy(&app)), pid);

    let actions = app.audit_actions();
    for a in [
        "reminder_policy.created",
        "reminder_policy.updated",
        "reminder_policy.default_set",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }

    // Unknown ids and other organizations' ids are 404.
    let other = TestApp::new();
    for path in [
        format!("/api/v1/reminder-policies/{pid}"),
        "/api/v1/reminder-policies/pol_nope".to_owned(),
    ] {
        assert_eq!(other.get(&path).code(), "not_found", "{path}");
    }
    let r = put(
        &other,
        &format!("/api/v1/reminder-policies/{pid}"),
        json!({ "name": "Mine", "steps": two_steps() }),
    );
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = other.post(
        &format!("/api/v1/reminder-policies/{pid}/default"),
        json!({}),
    );
    assert_eq!((r.status, r.code()), (404, "not_found"));
    assert_eq!(
        id(&default_policy(&app)),
        pid,
        "untouched by the other organization"
    );
}

#[test]
fn bad_steps_name_the_field_and_store_nothing() {
    let app = TestApp::new();
    let step = |offset: i64| json!({ "offset_days": offset, "tone": "friendly" });
    let cases = [
        (
            "unordered",
            json!([step(5), step(1)]),
            "steps[1].offset_days",
        ),
        (
            "same day twice",
            json!([step(3), step(3)]),
            "steps[1].offset_days",
        ),
        ("too early", json!([step(-61)]), "steps[0].offset_days"),
        ("none", json!([]), "steps"),
        (
            "too many",
            json!((0..13).map(step).collect::<Vec<_>>()),
            "steps",
        ),
        (
            "unknown template",
            json!([step(0), { "offset_days": 4, "tone": "firm", "template": "no-such-template" }]),
            "steps[1].template",
        ),
        (
            "malformed template key",
            json!([{ "offset_days": 4, "tone": "firm", "template": "Not A Key" }]),
            "steps[0].template",
        ),
        (
            "an action twice",
            json!([{ "offset_days": 4, "tone": "firm", "actions": ["late_fee", "late_fee"] }]),
            "steps[0].actions",
        ),
    ];
    for (what, steps, want) in cases {
        let r = app.post(
            "/api/v1/reminder-policies",
            json!({ "name": "Bad", "steps": steps }),
        );
        assert_eq!(
            (r.status, r.code()),
            (422, "invalid_field"),
            "{what}: {}",
            r.body
        );
        assert_eq!(field(&r), want, "{what}: {}", r.body);
    }
    let r = app.post(
        "/api/v1/reminder-policies",
        json!({ "name": "Bad", "steps": [{ "offset_days": 1, "tone": "angry" }] }),
    );
    assert_eq!(r.status, 422, "an unknown tone: {}", r.body);
    let r = app.post(
        "/api/v1/reminder-policies",
        json!({ "name": "   ", "steps": two_steps() }),
    );
    assert_eq!((r.code(), field(&r)), ("invalid_field", "name"));

    // A replacement is checked the same way and leaves the policy as it was.
    let standard = default_policy(&app);
    let r = put(
        &app,
        &format!("/api/v1/reminder-policies/{}", id(&standard)),
        json!({ "name": "Broken", "steps": [step(9), step(2)] }),
    );
    assert_eq!((r.status, field(&r)), (422, "steps[1].offset_days"));
    assert_eq!(policies(&app), vec![standard], "nothing was stored");
}

#[test]
fn segments_are_created_replaced_and_deleted() {
    let app = TestApp::new();
    let standard = default_policy(&app);
    let strict = app.post(
        "/api/v1/reminder-policies",
        json!({ "name": "Strict", "steps": two_steps() }),
    );
    assert_eq!(strict.status, 201);

    let body = json!({
        "name": "Large balances",
        "priority": 10,
        "policy_id": id(&strict.body),
        "rules": { "tags_any": ["enterprise"], "min_amount": { "amount": 500000, "currency": "EUR" }, "min_days_overdue": 0 }
    });
    let created = app.post("/api/v1/segments", body);
    assert_eq!(created.status, 201, "{}", created.body);
    let sid = id(&created.body).to_owned();
    assert!(sid.starts_with("seg_"));
    assert_eq!(created.body["rules"]["min_amount"]["amount"], 500000);
    assert_eq!(created.body["rules"]["tags_any"], json!(["enterprise"]));
    assert!(created.body["rules"].get("min_late_payments_12m").is_none());

    let first = app.post(
        "/api/v1/segments",
        json!({ "name": "Everyone", "priority": 1, "policy_id": id(&standard) }),
    );
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["rules"], json!({}), "no rules take everyone");
    let listed = app.get("/api/v1/segments");
    let names: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Everyone", "Large balances"], "by priority");
    assert!(listed.body["next_cursor"].is_null());

    let replaced = put(
        &app,
        &format!("/api/v1/segments/{sid}"),
        json!({ "name": "Late payers", "priority": 0, "policy_id": id(&standard), "rules": { "min_late_payments_12m": 2 } }),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["policy_id"], id(&standard));
    assert_eq!(
        replaced.body["rules"],
        json!({ "min_late_payments_12m": 2 })
    );
    assert_eq!(replaced.body["created_at"], created.body["created_at"]);

    let gone = delete(&app, &format!("/api/v1/segments/{sid}"));
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(gone.body, json!({ "id": sid, "deleted": true }));
    let again = delete(&app, &format!("/api/v1/segments/{sid}"));
    assert_eq!((again.status, again.code()), (404, "not_found"));
    let r = put(
        &app,
        &format!("/api/v1/segments/{sid}"),
        json!({ "name": "X", "priority": 0, "policy_id": id(&standard) }),
    );
    assert_eq!((r.status, r.code()), (404, "not_found"));
    assert_eq!(
        app.get("/api/v1/segments").body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let actions = app.audit_actions();
    for a in ["segment.created", "segment.updated", "segment.deleted"] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }

    // Another organization can neither see nor delete it.
    let other = TestApp::new();
    let r = delete(&other, &format!("/api/v1/segments/{}", id(&first.body)));
    assert_eq!((r.status, r.code()), (404, "not_found"));
    assert_eq!(
        app.get("/api/v1/segments").body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_segment_needs_a_policy_of_its_own_organization() {
    let app = TestApp::new();
    let other = TestApp::new();
    let foreign = default_policy(&other);
    for policy_id in [id(&foreign), "pol_nope", "inv_0123", ""] {
        let r = app.post(
            "/api/v1/segments",
            json!({ "name": "X", "priority": 1, "policy_id": policy_id }),
        );
        assert_eq!(
            (r.status, r.code(), field(&r)),
            (422, "invalid_field", "policy_id"),
            "{policy_id}: {}",
            r.body
        );
    }
    let mine = default_policy(&app);
    let bad_rules = [
        (json!({ "tags_any": ["two words"] }), "rules.tags_any"),
        (
            json!({ "min_days_overdue": 5000 }),
            "rules.min_days_overdue",
        ),
    ];
    for (rules, want) in bad_rules {
        let r = app.post(
            "/api/v1/segments",
            json!({ "name": "X", "priority": 1, "policy_id": id(&mine), "rules": rules }),
        );
        assert_eq!((r.status, field(&r)), (422, want), "{}", r.body);
    }
    let r = app.post(
        "/api/v1/segments",
        json!({ "name": "X", "priority": -1, "policy_id": id(&mine) }),
    );
    assert_eq!((r.status, field(&r)), (422, "priority"));
    assert!(
        app.get("/api/v1/segments").body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_preview_renders_sample_data_and_stores_nothing() {
    let app = TestApp::new();
    let r = app.post(
        "/api/v1/templates/preview",
        json!({
            "locale": "en-GB",
            "subject": "About {{ invoice_numbers }}",
            "body": "Dear {{ customer_name }},\n\n{{ amount_due }} is due. Questions: {{ company_email }}.\n\n{{ company_name }}"
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["subject"], "About INV-1001, INV-1002");
    let text = r.body["text"].as_str().unwrap();
    assert!(text.contains("Dear Alex Sample,"), "{text}");
    assert!(text.contains("help@testco.example"), "{text}");
    assert!(text.contains("Test Co"), "{text}");
    let html = r.body["html"].as_str().unwrap();
    assert!(html.contains("#7c3aed"), "the organization's colour");
    assert!(html.contains("INV-1001") && html.contains("Alex Sample"));
    assert!(!html.contains("{{"), "every variable was filled");
    let variables = r.body["variables"].as_array().unwrap();
    assert_eq!(variables.len(), 10);
    assert!(variables.contains(&json!("customer_name")));

    let fr = app.post(
        "/api/v1/templates/preview",
        json!({ "locale": "fr", "subject": "Relance", "body": "Bonjour {{ customer_name }}" }),
    );
    assert_eq!(fr.status, 200, "{}", fr.body);
    assert!(fr.body["html"].as_str().unwrap().contains("lang=\"fr\""));

    let listed = app.get("/api/v1/templates");
    let all = listed.body["data"].as_array().unwrap();
    assert_eq!(all.len(), 12, "4 built-in keys in 3 languages");
    assert!(
        all.iter().all(|t| t["built_in"] == true),
        "nothing was stored"
    );
    assert!(!app.audit_actions().contains(&"template.saved".to_owned()));
}

#[test]
fn an_unknown_variable_is_template_invalid_and_names_it() {
    let app = TestApp::new();
    let body = json!({ "locale": "en", "subject": "Hello", "body": "Hi {{ first_name }}," });
    for r in [
        put(&app, "/api/v1/templates/nudge", body.clone()),
        app.post("/api/v1/templates/preview", body),
    ] {
        assert_eq!(
            (r.status, r.code()),
            (422, "template_invalid"),
            "{}",
            r.body
        );
        assert_eq!(field(&r), "body");
        let message = r.body["error"]["message"].as_str().unwrap();
        assert!(message.contains("first_name"), "{message}");
        assert!(message.contains("line 1, column 4"), "{message}");
    }
    let cases = [
        (
            json!({ "locale": "en", "subject": "Hi {{ customer_name", "body": "x" }),
            "subject",
        ),
        (
            json!({ "locale": "en", "subject": "Hi", "body": "  " }),
            "body",
        ),
        (
            json!({ "locale": "en", "subject": "Hi", "body": "a }} b" }),
            "body",
        ),
    ];
    for (body, want) in cases {
        let r = put(&app, "/api/v1/templates/nudge", body);
        assert_eq!(
            (r.status, r.code(), field(&r)),
            (422, "template_invalid", want)
        );
    }
    let r = put(
        &app,
        "/api/v1/templates/nudge",
        json!({ "locale": "de", "subject": "Hallo", "body": "Hallo" }),
    );
    assert_eq!(
        (r.status, r.code(), field(&r)),
        (422, "invalid_field", "locale")
    );
    let r = put(
        &app,
        "/api/v1/templates/Not_Lower",
        json!({ "locale": "en", "subject": "Hi", "body": "Hi" }),
    );
    assert_eq!((r.status, field(&r)), (422, "key"));
    assert_eq!(
        app.get("/api/v1/templates").body["data"]
            .as_array()
            .unwrap()
            .len(),
        12,
        "nothing was stored"
    );
}

#[test]
fn a_saved_template_can_be_a_step_template() {
    let app = TestApp::new();
    let policy = json!({
        "name": "With my template",
        "steps": [{ "offset_days": 2, "tone": "firm", "template": "key-account-nudge" }]
    });
    let before = app.post("/api/v1/reminder-policies", policy.clone());
    assert_eq!((before.status, field(&before)), (422, "steps[0].template"));

    let saved = put(
        &app,
        "/api/v1/templates/key-account-nudge",
        json!({
            "locale": "fr-CA",
            "subject": "Relance : {{ invoice_numbers }}",
            "body": "Bonjour {{ customer_name }},\n\n{{ amount_due }} restent dus.\n\n{{ company_name }}"
        }),
    );
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["locale"], "fr", "kept as its language");
    assert_eq!(saved.body["built_in"], false);
    assert!(saved.body["updated_at"].as_str().unwrap().ends_with('Z'));

    let after = app.post("/api/v1/reminder-policies", policy);
    assert_eq!(after.status, 201, "{}", after.body);
    assert_eq!(after.body["steps"][0]["template"], "key-account-nudge");

    // Saving again replaces the version; a built-in key is replaced per language.
    let again = put(
        &app,
        "/api/v1/templates/key-account-nudge",
        json!({ "locale": "fr", "subject": "Relance v2", "body": "Bonjour {{ customer_name }}" }),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    let friendly = put(
        &app,
        "/api/v1/templates/friendly",
        json!({ "locale": "en", "subject": "A gentle nudge", "body": "Hi {{ customer_name }}" }),
    );
    assert_eq!(friendly.status, 200, "{}", friendly.body);

    let listed = app.get("/api/v1/templates");
    let all = listed.body["data"].as_array().unwrap();
    let find = |key: &str, locale: &str| {
        all.iter()
            .find(|t| t["key"] == key && t["locale"] == locale)
            .cloned()
    };
    let mine = find("key-account-nudge", "fr").expect("the saved template is listed");
    assert_eq!(
        (mine["subject"].as_str(), mine["built_in"].as_bool()),
        (Some("Relance v2"), Some(false))
    );
    assert!(
        find("key-account-nudge", "en").is_none(),
        "only the language saved"
    );
    let friendly_en = find("friendly", "en").unwrap();
    assert_eq!(friendly_en["subject"], "A gentle nudge");
    assert_eq!(friendly_en["built_in"], false);
    let friendly_fr = find("friendly", "fr").unwrap();
    assert_eq!(friendly_fr["built_in"], true);
    assert!(friendly_fr["updated_at"].is_null());
    assert_eq!(all.len(), 13, "12 built-in versions and one of our own key");
    assert!(app.audit_actions().contains(&"template.saved".to_owned()));

    // Templates are the organization's own.
    let other = TestApp::new();
    let r = other.post(
        "/api/v1/reminder-policies",
        json!({ "name": "Theirs", "steps": [{ "offset_days": 2, "tone": "firm", "template": "key-account-nudge" }] }),
    );
    assert_eq!((r.status, field(&r)), (422, "steps[0].template"));
}

#[test]
fn reminder_settings_are_checked_and_round_trip() {
    let app = TestApp::new();
    let good = json!({
        "window_start": "08:30", "window_end": "18:00",
        "days": ["mon", "wed", "sat"],
        "holidays": ["2026-12-25", "2027-01-01"], "skip_holidays": true,
        "bcc": "archive@testco.example", "late_fee_percent": "1.5",
        "monthly_statement": false
    });
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("window_end", json!("08:00")), "reminders.window_end"),
        (
            with("window_start", json!("8:30")),
            "reminders.window_start",
        ),
        (with("window_end", json!("25:00")), "reminders.window_end"),
        (with("days", json!(["someday"])), "reminders.days"),
        (with("days", json!([])), "reminders.days"),
        (
            with("holidays", json!(["2026-02-30"])),
            "reminders.holidays",
        ),
        (with("bcc", json!("not-an-email")), "reminders.bcc"),
        (
            with("late_fee_percent", json!("40")),
            "reminders.late_fee_percent",
        ),
    ];
    for (reminders, want) in cases {
        let r = patch_org(&app, json!({ "reminders": reminders }));
        assert_eq!(r.status, 422, "{want}: {}", r.body);
        assert_eq!(field(&r), want, "{}", r.body);
    }
    let unknown = patch_org(&app, json!({ "reminders": with("weekends", json!(true)) }));
    assert_eq!((unknown.status, unknown.code()), (422, "unknown_field"));

    // A bad reminder setting stops the payment settings of the same request too.
    let both = patch_org(
        &app,
        json!({
            "payments": { "allow_partial": true, "min_partial_amount": 100, "methods": [] },
            "reminders": with("days", json!(["someday"]))
        }),
    );
    assert_eq!(both.status, 422);
    let org = app.get("/api/v1/organization");
    assert_eq!(
        org.body["payments"]["allow_partial"], false,
        "nothing was written"
    );
    assert_eq!(
        org.body["reminders"]["days"],
        json!(["mon", "tue", "wed", "thu", "fri"])
    );

    let ok = patch_org(&app, json!({ "reminders": good.clone() }));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["reminders"], good);
    assert_eq!(app.get("/api/v1/organization").body["reminders"], good);
    assert!(
        app.audit_actions()
            .contains(&"organization.reminders_updated".to_owned())
    );

    // Payments alone leave the reminder settings as they are.
    let payments = patch_org(
        &app,
        json!({ "payments": { "allow_partial": false, "min_partial_amount": 0, "methods": [] } }),
    );
    assert_eq!(payments.status, 200, "{}", payments.body);
    assert_eq!(payments.body["reminders"], good);
}

#[test]
fn a_segment_gives_its_invoices_its_early_payment_terms() {
    let app = TestApp::new();
    let standard = default_policy(&app);
    // Bad terms are refused by field, nothing stored.
    let bad = app.post(
        "/api/v1/segments",
        json!({ "name": "Trade", "priority": 0, "policy_id": id(&standard), "rules": { "tags_any": ["trade"] },
                "early_payment": { "basis_points": 9000, "days": 10 } }),
    );
    assert_eq!(
        (bad.status, bad.code(), field(&bad)),
        (422, "invalid_field", "early_payment.basis_points"),
        "{}",
        bad.body
    );
    let made = app.post(
        "/api/v1/segments",
        json!({ "name": "Trade", "priority": 0, "policy_id": id(&standard), "rules": { "tags_any": ["trade"] },
                "early_payment": { "basis_points": 200, "days": 10 } }),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(
        made.body["early_payment"],
        json!({ "basis_points": 200, "days": 10 })
    );
    let trade = app.create_customer("Trader");
    let tagged = app.patch(
        &format!("/api/v1/customers/{}", id(&trade)),
        json!({ "tags": ["trade"] }),
    );
    assert_eq!(tagged.status, 200, "{}", tagged.body);
    let other = app.create_customer("Walk-in");
    // The segment's customer gets the terms; another customer none; an
    // invoice's own terms win over the segment's.
    let inv = app.create_invoice(id(&trade));
    assert_eq!(inv["early_payment"]["basis_points"], 200, "{inv}");
    let plain = app.create_invoice(id(&other));
    assert_eq!(plain["early_payment"], Value::Null, "{plain}");
    let mut body = TestApp::invoice_body(id(&trade), "EUR");
    body["early_payment"] = json!({ "basis_points": 100, "days": 5 });
    let own = app.post("/api/v1/invoices", body);
    assert_eq!(
        own.body["early_payment"]["basis_points"], 100,
        "{}",
        own.body
    );
    // Replaced without terms: new invoices get none.
    let replaced = put(
        &app,
        &format!("/api/v1/segments/{}", id(&made.body)),
        json!({ "name": "Trade", "priority": 0, "policy_id": id(&standard), "rules": { "tags_any": ["trade"] } }),
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["early_payment"], Value::Null);
    let later = app.create_invoice(id(&trade));
    assert_eq!(later["early_payment"], Value::Null, "{later}");
}
