//! The demo company, created through the public API exactly as a real
//! company's systems would: an organization, three customers, a dozen
//! invoices in two currencies and several states, and a portal link each.

use crate::Result;
use crate::stack::Stack;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::Path;

/// What `dev` prints and the browser tests use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Demo {
    pub organization_id: String,
    pub api_key: String,
    pub customers: Vec<DemoCustomer>,
    /// The team: an admin, a supervisor and an agent.
    #[serde(default)]
    pub members: Vec<DemoMember>,
}

/// A member of the demo company's team.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoMember {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
}

/// The demo team: (name, address, role).
const TEAM: [(&str, &str, &str); 3] = [
    ("Grace Hopper", "admin@northwind.example", "admin"),
    ("Sam Rivera", "supervisor@northwind.example", "supervisor"),
    ("Noor Agent", "agent@northwind.example", "agent"),
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoCustomer {
    pub id: String,
    pub name: String,
    pub email: String,
    pub locale: String,
    /// A fresh portal link (made at every start; links are secrets).
    #[serde(default)]
    pub link: String,
}

struct Api<'a> {
    base: &'a str,
    key: String,
    http: reqwest::blocking::Client,
}

impl Api<'_> {
    fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.send(reqwest::Method::POST, path, body)
    }

    fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Result<Value> {
        let r = self
            .http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = r.status();
        let v: Value = r
            .json()
            .map_err(|e| format!("POST {path}: unreadable answer: {e}"))?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!("POST {path}: {status} {v}"))
        }
    }
}

/// One line of a demo invoice: description, quantity, unit amount, tax rate.
type Line = (&'static str, &'static str, i64, &'static str);

/// A demo invoice: whose, which, when issued and due, and how much is paid
/// (`Some(0)` means all of it).
struct Planned {
    customer: usize,
    number: &'static str,
    currency: &'static str,
    issued_ago: i64,
    due_in: i64,
    lines: &'static [Line],
    paid: Option<i64>,
}

/// The date `offset` days from today in the customer's time zone, so that
/// "overdue by 10 days" is what the portal says at any hour of the day.
fn day(offset: i64, tz: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let today = settle_shared::time::datetime_from_millis(now)
        .with_timezone(&zone)
        .date_naive();
    (today + chrono::Duration::days(offset)).to_string()
}

/// Creates the demo company, or reuses the one recorded in `file`.
pub fn demo(stack: &Stack, file: &Path) -> Result<Demo> {
    let http = reqwest::blocking::Client::new();
    if let Ok(text) = std::fs::read_to_string(file)
        && let Ok(mut demo) = serde_json::from_str::<Demo>(&text)
    {
        let api = Api {
            base: &stack.base_url,
            key: demo.api_key.clone(),
            http: http.clone(),
        };
        if refresh_links(&api, &mut demo).is_ok() {
            return Ok(demo);
        }
    }
    let op = Api {
        base: &stack.base_url,
        key: stack.operator_token.clone(),
        http: http.clone(),
    };
    let org = op.post(
        "/organizations",
        json!({
            "name": "Northwind Supplies Ltd",
            "branding": {
                "display_name": "Northwind Supplies",
                "primary_color": "#0f766e",
                "support_email": "accounts@northwind.example"
            },
            "link_ttl_days": 30,
            "admin": { "name": TEAM[0].0, "email": TEAM[0].1 }
        }),
    )?;
    let key = org["api_key"]
        .as_str()
        .ok_or("no api_key in answer")?
        .to_owned();
    let api = Api {
        base: &stack.base_url,
        key: key.clone(),
        http,
    };
    let people = [
        (
            "Ada Lovelace",
            "ada@example.com",
            "en-US",
            "America/New_York",
        ),
        (
            "Camille Martin",
            "camille@example.fr",
            "fr-FR",
            "Europe/Paris",
        ),
        ("Layla Haddad", "layla@example.ae", "ar", "Asia/Dubai"),
    ];
    let mut customers = Vec::new();
    for (name, email, locale, tz) in people {
        let c = api.post(
            "/customers",
            json!({ "name": name, "email": email, "locale": locale, "time_zone": tz }),
        )?;
        customers.push(DemoCustomer {
            id: c["id"].as_str().unwrap_or_default().to_owned(),
            name: name.into(),
            email: email.into(),
            locale: locale.into(),
            link: String::new(),
        });
    }
    // Reminders: the default policy for most; key accounts (tagged) get a
    // gentler one.
    let gentle = api.post(
        "/reminder-policies",
        json!({ "name": "Key accounts", "steps": [
            { "offset_days": 0, "tone": "friendly" },
            { "offset_days": 7, "tone": "firm" },
            { "offset_days": 21, "tone": "final", "actions": ["flag_account"] }
        ]}),
    )?;
    api.post(
        "/segments",
        json!({ "name": "Key accounts", "priority": 10, "rules": { "tags_any": ["key-account"] },
                "policy_id": gentle["id"] }),
    )?;
    api.send(
        reqwest::Method::PATCH,
        &format!("/customers/{}", customers[2].id),
        json!({ "tags": ["key-account"] }),
    )?;
    let p = |customer, number, currency, issued_ago, due_in, lines, paid| Planned {
        customer,
        number,
        currency,
        issued_ago,
        due_in,
        lines,
        paid,
    };
    #[rustfmt::skip]
    let invoices = [
        p(0, "NW-1001", "USD", 40, -10, &[("Office chairs", "4", 18_900, "8.875"), ("Delivery", "1", 4_500, "0")], None),
        p(0, "NW-1002", "USD", 10, 20, &[("Standing desk", "2", 54_000, "8.875")], None),
        p(0, "NW-1003", "USD", 70, -40, &[("Printer toner", "6", 7_250, "8.875")], Some(0)),
        p(0, "NW-1004", "USD", 20, 10, &[("Consulting, hours", "7.5", 12_000, "0")], Some(30_000)),
        p(1, "NW-1005", "EUR", 35, -5, &[("Papier A4, cartons", "10", 2_990, "20"), ("Livraison express", "1", 1_500, "20")], None),
        p(1, "NW-1006", "EUR", 5, 25, &[("Fauteuil ergonomique", "1", 42_000, "20")], None),
        p(1, "NW-1007", "EUR", 60, -30, &[("Maintenance annuelle", "1", 120_000, "20")], Some(0)),
        p(1, "NW-1008", "EUR", 3, 27, &[("Cartouches d'encre", "3", 3_400, "5.5")], None),
        p(2, "NW-1009", "USD", 15, 15, &[("Conference room screens", "2", 89_900, "5")], None),
        p(2, "NW-1010", "USD", 50, -20, &[("Network cabling", "120", 350, "5"), ("Installation", "6", 9_500, "5")], None),
        p(2, "NW-1011", "EUR", 45, -15, &[("Shipping to Dubai", "1", 31_000, "0")], Some(0)),
        p(2, "NW-1012", "EUR", 8, 22, &[("Office plants", "12", 2_450, "5")], None),
    ];
    for plan in invoices {
        let lines: Vec<Value> = plan
            .lines
            .iter()
            .map(|(d, q, u, r)| json!({ "description": d, "quantity": q, "unit_amount": u, "tax_rate": r }))
            .collect();
        let mut body = json!({
            "customer_id": customers[plan.customer].id,
            "number": plan.number,
            "currency": plan.currency,
            "issue_date": day(-plan.issued_ago, people[plan.customer].3),
            "due_date": day(plan.due_in, people[plan.customer].3),
            "lines": lines,
        });
        // Two recent invoices offer 2 % off when paid within 10 days.
        if ["NW-1006", "NW-1012"].contains(&plan.number) {
            body["early_payment"] = json!({ "basis_points": 200, "days": 10 });
        }
        let inv = api.post("/invoices", body)?;
        let id = inv["id"].as_str().unwrap_or_default();
        let total = inv["total"].as_i64().unwrap_or(0);
        if let Some(part) = plan.paid {
            let amount = if part == 0 { total } else { part };
            api.post(
                &format!("/invoices/{id}/payments"),
                json!({ "amount": amount, "currency": plan.currency, "method": "bank_transfer", "reference": format!("Transfer for {}", plan.number), "received_on": day(-1, "UTC") }),
            )?;
        }
    }
    // The team: the admin came with the organization; the supervisor and
    // the agent are invited, and the agent works Ada's and Camille's
    // accounts.
    let mut members = vec![DemoMember {
        id: org["admin"]["id"].as_str().unwrap_or_default().to_owned(),
        name: TEAM[0].0.into(),
        email: TEAM[0].1.into(),
        role: TEAM[0].2.into(),
    }];
    for (name, email, role) in &TEAM[1..] {
        let m = api.post(
            "/team",
            json!({ "name": name, "email": email, "role": role }),
        )?;
        members.push(DemoMember {
            id: m["id"].as_str().unwrap_or_default().to_owned(),
            name: (*name).into(),
            email: (*email).into(),
            role: (*role).into(),
        });
    }
    for c in &customers[..2] {
        api.post(
            &format!("/customers/{}/assign", c.id),
            json!({ "member_id": members[2].id }),
        )?;
    }
    let mut demo = Demo {
        organization_id: org["organization"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        api_key: key,
        customers,
        members,
    };
    refresh_links(&api, &mut demo)?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(
        file,
        serde_json::to_string_pretty(&demo).unwrap_or_default(),
    )
    .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(demo)
}

fn refresh_links(api: &Api<'_>, demo: &mut Demo) -> Result<()> {
    for c in &mut demo.customers {
        let link = api.post(&format!("/customers/{}/portal-links", c.id), json!({}))?;
        c.link = link["url"].as_str().unwrap_or_default().to_owned();
    }
    Ok(())
}

/// A fresh sign-in link for each demo member, asked for on the sign-in
/// endpoint and read from the local outbox as a member would. A member
/// whose link does not arrive (the hourly limit per address) is left out.
pub fn sign_in_links(stack: &Stack, demo: &Demo) -> Vec<(DemoMember, String)> {
    let http = reqwest::blocking::Client::new();
    let messages = |to: &str| -> Vec<Value> {
        http.get(format!("{}/api/messages?to={to}", stack.mail_url))
            .send()
            .and_then(|r| r.json::<Value>())
            .map(|v| v["data"].as_array().cloned().unwrap_or_default())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for m in &demo.members {
        let before = messages(&m.email).len();
        let asked = http
            .post(format!("{}/api/v1/staff/sign-in", stack.base_url))
            .json(&json!({ "email": m.email }))
            .send()
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if !asked {
            continue;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            let list = messages(&m.email);
            if list.len() > before {
                let text = list.last().and_then(|e| e["text"].as_str()).unwrap_or("");
                if let Some(at) = text.find("http")
                    && let Some(link) = text[at..]
                        .split_whitespace()
                        .find(|w| w.contains("/console/sign-in#"))
                {
                    out.push((m.clone(), link.to_owned()));
                }
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    }
    out
}
