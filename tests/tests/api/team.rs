//! The team: invitations and sign-in by email link, sessions, roles
//! enforced on the company API, and the last admin kept.

use crate::helpers::{Reply, TestApp, cookie_pair, unique};
use serde_json::{Value, json};

/// A member signed in to the console: their session cookie, and requests
/// made as the console makes them (same origin).
pub struct Staff {
    base: String,
    pub cookie: String,
    pub member: Value,
    http: reqwest::blocking::Client,
}

impl Staff {
    fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Cookie", &self.cookie)
            .header("Origin", &self.base);
        if let Some(b) = body {
            r = r.json(&b);
        }
        TestApp::reply(r.send().unwrap())
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body))
    }

    pub fn id(&self) -> &str {
        self.member["id"].as_str().unwrap()
    }
}

/// The sign-in token inside the latest email to `to` (waiting for the
/// `n`th): the fragment of `/console/sign-in#sl_…`.
fn token_in_email(app: &TestApp, to: &str, n: usize) -> String {
    let emails = app.wait_for_emails(to, n);
    assert!(emails.len() >= n, "no sign-in email #{n} for {to}");
    let text = emails.last().unwrap()["text"].as_str().unwrap().to_owned();
    let at = text
        .find("/console/sign-in#")
        .unwrap_or_else(|| panic!("no sign-in link in {text}"));
    text[at + "/console/sign-in#".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Uses a sign-in token as the console does.
fn redeem(app: &TestApp, token: &str) -> Reply {
    TestApp::reply(
        app.http
            .post(format!("{}/api/v1/staff/sessions", app.base))
            .header("Origin", &app.base)
            .json(&json!({ "token": token }))
            .send()
            .unwrap(),
    )
}

/// Invites a member with `role` through the API key; answers their address.
fn invite(app: &TestApp, role: &str) -> (Value, String) {
    let email = format!("{role}-{}@team.example", unique());
    let r = app.post(
        "/api/v1/team",
        json!({ "email": email, "name": format!("A {role}"), "role": role }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role"], role);
    (r.body.clone(), email)
}

/// Invites a member and signs them in with the invitation's link.
pub fn member(app: &TestApp, role: &str) -> Staff {
    let (_, email) = invite(app, role);
    let token = token_in_email(app, &email, 1);
    let r = redeem(app, &token);
    assert_eq!(r.status, 201, "{}", r.body);
    Staff {
        base: app.base.clone(),
        cookie: cookie_pair(r.set_cookie.as_deref().unwrap()),
        member: r.body["member"].clone(),
        http: app.http.clone(),
    }
}

#[test]
fn an_invitation_signs_a_member_in_once_into_a_session_they_can_list_and_end() {
    let app = TestApp::new();
    let (invited, email) = invite(&app, "admin");
    let mail = app.wait_for_emails(&email, 1);
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.contains("invited to join Test Co"), "{text}");
    assert!(text.contains("as admin"), "{text}");
    let token = token_in_email(&app, &email, 1);
    assert!(token.starts_with("sl_") && token.len() == 46, "{token}");
    // The stored email does not hold the token.
    let listed = app.get("/api/v1/emails?kind=sign_in&limit=10");
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(!listed.body.to_string().contains(&token));
    assert_eq!(listed.body["data"][0]["member_id"], invited["id"]);
    // The provider's delivery event for it is taken like any other.
    crate::helpers::eventually(20, "the invitation's delivery event", || {
        app.get("/api/v1/emails?kind=sign_in&limit=10").body["data"][0]["delivery"] == "delivered"
    });

    let r = redeem(&app, &token);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["member"]["id"], invited["id"]);
    assert_eq!(
        r.body["organization"]["id"].as_str(),
        Some(app.org_id.as_str())
    );
    let set_cookie = r.set_cookie.clone().unwrap();
    for part in ["settle_staff=ss_", "HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    // Once only, whoever tries again.
    let again = redeem(&app, &token);
    assert_eq!((again.status, again.code()), (410, "sign_in_used"));
    // Forged and malformed tokens.
    let forged = format!("sl_{}", "A".repeat(43));
    assert_eq!(redeem(&app, &forged).code(), "sign_in_invalid");
    assert_eq!(redeem(&app, "sl_short").code(), "sign_in_invalid");
    assert_eq!(redeem(&app, "").code(), "sign_in_invalid");
    // A sign-in from another site is refused (login CSRF).
    let cross = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/staff/sessions", app.base))
            .header("Origin", "https://evil.example")
            .json(&json!({ "token": token }))
            .send()
            .unwrap(),
    );
    assert_eq!((cross.status, cross.code()), (403, "csrf_rejected"));

    let first = Staff {
        base: app.base.clone(),
        cookie: cookie_pair(&set_cookie),
        member: r.body["member"].clone(),
        http: app.http.clone(),
    };
    let me = first.get("/api/v1/staff/me");
    assert_eq!(me.status, 200, "{}", me.body);
    // The console's pages cannot be framed.
    let page = app
        .http
        .get(format!("{}/console/customers", app.base))
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(me.body["member"]["email"], email);
    assert!(me.body["member"]["last_sign_in_at"].is_string());

    // A second device: a link asked for on the sign-in page.
    let asked = app.post(
        "/api/v1/staff/sign-in",
        json!({ "email": email.to_uppercase() }),
    );
    assert_eq!(asked.status, 202, "{}", asked.body);
    let second_token = token_in_email(&app, &email, 2);
    assert_ne!(second_token, token);
    let second = redeem(&app, &second_token);
    assert_eq!(second.status, 201, "{}", second.body);
    let second_id = second.body["session_id"].as_str().unwrap().to_owned();
    let sessions = first.get("/api/v1/staff/sessions");
    assert_eq!(sessions.status, 200, "{}", sessions.body);
    let list = sessions.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", sessions.body);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    // End the other device's session from this one.
    let ended = first.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/staff/sessions/{second_id}"),
        None,
    );
    assert_eq!(ended.status, 200, "{}", ended.body);
    let gone = Staff {
        cookie: cookie_pair(second.set_cookie.as_deref().unwrap()),
        ..first_clone(&first)
    };
    assert_eq!(gone.get("/api/v1/staff/me").code(), "session_expired");
    // Another member's session id, or a made-up one, is not found.
    let other = first.send(
        reqwest::Method::DELETE,
        "/api/v1/staff/sessions/ses_00000000000000000000000000000000",
        None,
    );
    assert_eq!(other.status, 404);
    // Sign out everywhere ends this one too.
    let out = first.post("/api/v1/staff/sign-out-everywhere", json!({}));
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(out.body["sessions_ended"], 1);
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    let me = first.get("/api/v1/staff/me");
    assert_eq!((me.status, me.code()), (401, "session_expired"));
    let actions = app.audit_actions();
    for a in [
        "member.invited",
        "member.signed_in",
        "member.session_ended",
        "member.signed_out_everywhere",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not in {actions:?}");
    }
}

fn first_clone(s: &Staff) -> Staff {
    Staff {
        base: s.base.clone(),
        cookie: s.cookie.clone(),
        member: s.member.clone(),
        http: s.http.clone(),
    }
}

#[test]
fn a_sign_in_request_says_the_same_for_a_stranger_and_is_limited_per_address() {
    let app = TestApp::new();
    let (_, email) = invite(&app, "agent");
    let stranger = format!("nobody-{}@team.example", unique());
    let a = app.post("/api/v1/staff/sign-in", json!({ "email": stranger }));
    let b = app.post("/api/v1/staff/sign-in", json!({ "email": email }));
    assert_eq!((a.status, b.status), (202, 202));
    assert_eq!(
        a.body, b.body,
        "the answer must not tell members from strangers"
    );
    // The member's link arrives (after the invitation); the stranger gets nothing.
    token_in_email(&app, &email, 2);
    assert!(app.emails_to(&stranger).is_empty());
    // A bad address is refused as such (that reveals nothing either).
    let bad = app.post(
        "/api/v1/staff/sign-in",
        json!({ "email": "not an address" }),
    );
    assert_eq!((bad.status, bad.code()), (422, "invalid_field"));
    // Five requests per address an hour: the sixth is refused.
    let flood = format!("flood-{}@team.example", unique());
    for _ in 0..5 {
        let r = app.post("/api/v1/staff/sign-in", json!({ "email": flood }));
        assert_eq!(r.status, 202, "{}", r.body);
    }
    let r = app.post("/api/v1/staff/sign-in", json!({ "email": flood }));
    assert_eq!((r.status, r.code()), (429, "rate_limited"));
}

#[test]
fn each_role_gets_403_where_it_may_not_go_and_nothing_changes() {
    let app = TestApp::new();
    let admin = member(&app, "admin");
    let supervisor = member(&app, "supervisor");
    let agent = member(&app, "agent");
    let team_size = || {
        admin.get("/api/v1/team").body["data"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(team_size(), 3);

    // Agents work accounts, and nothing else.
    for path in [
        "/api/v1/team",
        "/api/v1/api-keys",
        "/api/v1/audit-events",
        "/api/v1/stripe-events",
    ] {
        let r = agent.get(path);
        assert_eq!((r.status, r.code()), (403, "forbidden"), "agent GET {path}");
    }
    let r = agent.post(
        "/api/v1/team",
        json!({ "email": format!("x-{}@team.example", unique()), "name": "X", "role": "admin" }),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = agent.send(
        reqwest::Method::PATCH,
        "/api/v1/organization",
        Some(json!({ "payments": { "allow_partial": true, "min_partial_amount": 100, "methods": ["card"] } })),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    assert_eq!(team_size(), 3, "a refused invitation added nobody");
    let r = agent.post(
        "/api/v1/customers",
        json!({ "name": "Walk-in", "email": format!("w-{}@example.com", unique()) }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let customer_id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(agent.get("/api/v1/customers").status, 200);

    // A state-changing request from another site is refused.
    let cross = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/customers", app.base))
            .header("Cookie", &agent.cookie)
            .header("Origin", "https://evil.example")
            .json(&json!({ "name": "Evil", "email": "evil@example.com" }))
            .send()
            .unwrap(),
    );
    assert_eq!((cross.status, cross.code()), (403, "csrf_rejected"));
    let no_origin = TestApp::reply(
        app.http
            .post(format!("{}/api/v1/customers", app.base))
            .header("Cookie", &agent.cookie)
            .json(&json!({ "name": "Evil", "email": "evil@example.com" }))
            .send()
            .unwrap(),
    );
    assert_eq!(no_origin.code(), "csrf_rejected");

    // Supervisors see the team and the trail, and configure nothing.
    assert_eq!(supervisor.get("/api/v1/team").status, 200);
    assert_eq!(supervisor.get("/api/v1/audit-events").status, 200);
    let r = supervisor.send(
        reqwest::Method::PATCH,
        "/api/v1/organization",
        Some(json!({ "payments": { "allow_partial": true, "min_partial_amount": 100, "methods": ["card"] } })),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    assert_eq!(supervisor.get("/api/v1/api-keys").code(), "forbidden");
    // Nor the Stripe account, which only admins see and change.
    for staff in [&supervisor, &agent] {
        assert_eq!(staff.get("/api/v1/organization/stripe").code(), "forbidden");
        let r = staff.send(
            reqwest::Method::PUT,
            "/api/v1/organization/stripe",
            Some(json!({ "secret_key": "sk_test_0123456789abcdefghij", "webhook_secret": "whsec_0123456789abcdefghij" })),
        );
        assert_eq!((r.status, r.code()), (403, "forbidden"));
        let r = staff.send(reqwest::Method::DELETE, "/api/v1/organization/stripe", None);
        assert_eq!((r.status, r.code()), (403, "forbidden"));
        let r = staff.post("/api/v1/organization/stripe/check", json!({}));
        assert_eq!((r.status, r.code()), (403, "forbidden"));
    }
    assert_eq!(
        admin.get("/api/v1/organization/stripe").body["source"],
        "deployment",
        "the refused connections changed nothing"
    );

    // Admins do all of it, and the trail names them.
    let r = admin.send(
        reqwest::Method::PATCH,
        "/api/v1/organization",
        Some(json!({ "payments": { "allow_partial": true, "min_partial_amount": 100, "methods": ["card"] } })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(admin.get("/api/v1/api-keys").status, 200);
    let trail = admin.get("/api/v1/audit-events?limit=100");
    let created = trail.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "customer.created" && e["subject"] == customer_id.as_str())
        .expect("the agent's customer in the trail");
    assert_eq!(created["actor"], format!("member:{}", agent.id()));
}

#[test]
fn the_last_admin_stays_and_a_removed_member_is_signed_out_at_once() {
    let app = TestApp::new();
    let admin = member(&app, "admin");
    let me = format!("/api/v1/team/{}", admin.id());
    let r = admin.send(
        reqwest::Method::PATCH,
        &me,
        Some(json!({ "role": "agent" })),
    );
    assert_eq!((r.status, r.code()), (409, "last_admin"));
    let r = admin.send(reqwest::Method::DELETE, &me, None);
    assert_eq!((r.status, r.code()), (409, "last_admin"));
    assert_eq!(
        admin.get("/api/v1/staff/me").body["member"]["role"],
        "admin"
    );

    // An agent with a session and an unused link is removed: both stop.
    let agent = member(&app, "agent");
    let email = agent.member["email"].as_str().unwrap().to_owned();
    app.post("/api/v1/staff/sign-in", json!({ "email": email }));
    let unused = token_in_email(&app, &email, 2);
    let r = admin.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/team/{}", agent.id()),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = agent.get("/api/v1/customers");
    assert_eq!((r.status, r.code()), (401, "session_expired"));
    let r = redeem(&app, &unused);
    assert_eq!((r.status, r.code()), (403, "member_removed"));
    // Removing again, or a member of another organization, is not found.
    let r = admin.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/team/{}", agent.id()),
        None,
    );
    assert_eq!(r.status, 404);
    let elsewhere = TestApp::new();
    let (stranger, _) = invite(&elsewhere, "agent");
    let r = admin.send(
        reqwest::Method::PATCH,
        &format!("/api/v1/team/{}", stranger["id"].as_str().unwrap()),
        Some(json!({ "role": "admin" })),
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        elsewhere.get("/api/v1/team").body["data"][0]["role"],
        "agent"
    );

    // With a second admin, the first may step down.
    let (second, _) = invite(&app, "admin");
    let r = admin.send(
        reqwest::Method::PATCH,
        &me,
        Some(json!({ "role": "supervisor" })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["role"], "supervisor");
    // Now a supervisor: the team is no longer theirs to change.
    let r = admin.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/team/{}", second["id"].as_str().unwrap()),
        None,
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    // An invitation to an address already on the team is refused.
    let r = app.post(
        "/api/v1/team",
        json!({ "email": second["email"], "name": "Again", "role": "agent" }),
    );
    assert_eq!((r.status, r.code()), (409, "conflict"));
    let r = app.post(
        "/api/v1/team",
        json!({ "email": "x@team.example", "name": "X", "role": "owner" }),
    );
    assert_eq!(r.status, 422, "{}", r.body);
}

#[test]
fn a_new_organization_can_name_its_first_admin_who_is_invited_at_once() {
    let base = std::env::var("SETTLE_BASE_URL").unwrap();
    let email = format!("founder-{}@team.example", unique());
    let http = reqwest::blocking::Client::new();
    let r = http
        .post(format!("{base}/api/v1/organizations"))
        .bearer_auth(std::env::var("SETTLE_OPERATOR_TOKEN").unwrap())
        .json(&json!({
            "name": format!("Founded {}", unique()),
            "branding": { "display_name": "Founded Co", "support_email": "help@founded.example" },
            "admin": { "name": "Fay Founder", "email": email }
        }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let v: Value = r.json().unwrap();
    assert_eq!(v["admin"]["role"], "admin");
    assert_eq!(v["admin"]["email"], email);
    let app = TestApp::new();
    let token = token_in_email(&app, &email, 1);
    let r = redeem(&app, &token);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["organization"]["display_name"], "Founded Co");
}

#[test]
fn an_agent_works_only_the_accounts_assigned_to_them() {
    let app = TestApp::new();
    let supervisor = member(&app, "supervisor");
    let agent = member(&app, "agent");
    let other = member(&app, "agent");
    let mine = app.create_customer("Mine Holdings");
    let theirs = app.create_customer("Theirs Limited");
    let (mine_id, theirs_id) = (
        mine["id"].as_str().unwrap().to_owned(),
        theirs["id"].as_str().unwrap().to_owned(),
    );
    let mine_inv = app.create_invoice(&mine_id)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs_inv = app.create_invoice(&theirs_id)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (customer, who) in [(&mine_id, agent.id()), (&theirs_id, other.id())] {
        let r = supervisor.post(
            &format!("/api/v1/customers/{customer}/assign"),
            json!({ "member_id": who }),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["assigned_to"], who);
    }

    let list = agent.get("/api/v1/customers");
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["data"][0]["id"], mine_id.as_str());
    let invoices = agent.get("/api/v1/invoices");
    assert_eq!(invoices.body["total"], 1, "{}", invoices.body);
    assert_eq!(invoices.body["data"][0]["id"], mine_inv.as_str());
    assert_eq!(
        agent.get(&format!("/api/v1/invoices/{mine_inv}")).status,
        200
    );

    // Another agent's account, by URL: refused, and nothing changes.
    for path in [
        format!("/api/v1/customers/{theirs_id}"),
        format!("/api/v1/customers/{theirs_id}/timeline"),
        format!("/api/v1/invoices/{theirs_inv}"),
        format!("/api/v1/invoices/{theirs_inv}/payments"),
    ] {
        let r = agent.get(&path);
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{path}");
    }
    let r = agent.post(&format!("/api/v1/invoices/{theirs_inv}/void"), json!({}));
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    assert_eq!(
        app.get(&format!("/api/v1/invoices/{theirs_inv}")).body["status"],
        "open"
    );
    // Nor through a dispute, a portal link or a payment of theirs.
    let dispute = supervisor.post(
        &format!("/api/v1/invoices/{theirs_inv}/disputes"),
        json!({ "reason": "Never delivered" }),
    );
    assert_eq!(dispute.status, 201, "{}", dispute.body);
    let r = agent.post(
        &format!(
            "/api/v1/disputes/{}/resolve",
            dispute.body["id"].as_str().unwrap()
        ),
        json!({ "resolution": "Sorted" }),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let link = supervisor.post(
        &format!("/api/v1/customers/{theirs_id}/portal-links"),
        json!({}),
    );
    assert_eq!(link.status, 201, "{}", link.body);
    let r = agent.post(
        &format!(
            "/api/v1/portal-links/{}/revoke",
            link.body["id"].as_str().unwrap()
        ),
        json!({}),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = agent.post(
        &format!("/api/v1/invoices/{theirs_inv}/payments"),
        json!({ "amount": 100, "currency": "EUR", "method": "cash" }),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    // Agents do not assign, and see no organization-wide lists.
    let r = agent.post(
        &format!("/api/v1/customers/{theirs_id}/assign"),
        json!({ "member_id": agent.id() }),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    assert_eq!(agent.get("/api/v1/emails").code(), "forbidden");
    assert_eq!(agent.get("/api/v1/reminders").code(), "forbidden");

    // Only members of this team can be assigned.
    let elsewhere = TestApp::new();
    let (stranger, _) = invite(&elsewhere, "agent");
    let r = supervisor.post(
        &format!("/api/v1/customers/{mine_id}/assign"),
        json!({ "member_id": stranger["id"] }),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_field"));

    // Search: any part of a name or address, whatever the case; wildcards
    // are plain characters; the count covers every page.
    let r = supervisor.get("/api/v1/customers?q=HOLDINGS&limit=1");
    assert_eq!(r.body["total"], 1, "{}", r.body);
    assert_eq!(r.body["data"][0]["id"], mine_id.as_str());
    assert_eq!(supervisor.get("/api/v1/customers?q=%25").body["total"], 0);
    let both = supervisor.get("/api/v1/customers?limit=1");
    assert_eq!(both.body["total"], 2);
    assert!(both.body["next_cursor"].is_string());
    let r = supervisor.get("/api/v1/invoices?currency=usd");
    assert_eq!(r.body["total"], 0, "{}", r.body);
    let r = supervisor.get("/api/v1/invoices?currency=EUR&due_from=2099-01-01&due_to=2099-12-31");
    assert_eq!(r.body["total"], 2, "{}", r.body);
    let r = supervisor.get("/api/v1/invoices?due_from=31/12/2099");
    assert_eq!((r.status, r.code()), (422, "invalid_field"));
}
