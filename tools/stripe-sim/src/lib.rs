//! A local stand-in for Stripe, for development and tests.
//!
//! It speaks Stripe's wire format for what Settle calls: `POST
//! /v1/checkout/sessions` (form-encoded, bearer secret key, `Idempotency-Key`
//! honoured and misuse refused as Stripe does, unknown parameters refused)
//! and `GET /v1/checkout/sessions/{id}`. Each session's `url` is a hosted
//! checkout page here, where a tester pays with Stripe's test cards
//! (4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined,
//! 4000 0000 0000 9995 has insufficient funds) or with a bank debit that
//! settles or fails a few seconds later.
//!
//! Several accounts: each test-mode secret key (`sk_test_…`, or the
//! restricted `rk_test_…` with the same tail) is an account of its own, named
//! by `GET /v1/account`, seeing only its own sessions. A key with `revoked` in
//! it is refused as an expired key, live keys as invalid ones. Each account
//! registers its endpoints with `POST /v1/webhook_endpoints` (url,
//! `enabled_events[]`; the answer carries the endpoint's own signing secret)
//! and lists them with `GET /v1/webhook_endpoints`; events go, signed
//! (`Stripe-Signature`, v1) with each endpoint's secret, to the endpoints
//! that listen for them. The platform account (`--platform-key`, or every
//! account when none is given) without endpoints delivers to
//! `{webhook_base}/api/stripe/webhook/{org}` with `--webhook-secret`, as a
//! deployment-wide account does. Deliveries may be duplicated, delayed or
//! reversed.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tiny_http::{Header, Method, Request, Response, Server};

/// How the stand-in behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub port: u16,
    /// Where Settle runs, such as `http://127.0.0.1:8787`.
    pub webhook_base: String,
    pub webhook_secret: String,
    /// The deployment's key: its account delivers to `webhook_base` when it
    /// has no endpoints of its own. Every account does so when unset.
    pub platform_key: Option<String>,
    /// How long a bank debit takes to settle or fail (3 s when 0).
    pub debit_delay_ms: u64,
    /// Wait this long before delivering each batch of events.
    pub delay_ms: u64,
    /// Deliver every event twice.
    pub duplicate: bool,
    /// Deliver each batch in reverse order.
    pub reverse: bool,
}

/// A webhook endpoint of an account.
#[derive(Clone)]
struct Endpoint {
    id: String,
    url: String,
    secret: String,
    events: Vec<String>,
    created: i64,
}

impl Endpoint {
    fn view(&self) -> Value {
        json!({ "id": self.id, "object": "webhook_endpoint", "url": self.url, "enabled_events": self.events,
                "status": "enabled", "livemode": false, "created": self.created, "api_version": null })
    }
    fn listens(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind)
    }
}

/// Where an account's events go: its endpoints, or (the platform account
/// without endpoints) Settle's per-organization path.
#[derive(Clone)]
enum Targets {
    Endpoints(Vec<Endpoint>),
    Platform,
}

#[derive(Default)]
struct State {
    sessions: HashMap<String, Value>,
    /// Session id → the account that created it.
    owner: HashMap<String, String>,
    /// Account id → its webhook endpoints.
    endpoints: HashMap<String, Vec<Endpoint>>,
    /// Idempotency-Key → (request fingerprint, status, body).
    idempotency: HashMap<String, (String, u16, String)>,
    /// Failures to come: (text the request body must contain, how many,
    /// status; 0 = hang like a timeout).
    fail: Vec<(String, u32, u16)>,
    counter: u64,
}

type Shared = Arc<(Mutex<State>, Options)>;

/// A running stand-in.
pub struct StripeSim {
    addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

impl StripeSim {
    pub fn start(o: Options) -> std::io::Result<Self> {
        let server = Server::http(("127.0.0.1", o.port)).map_err(std::io::Error::other)?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("not an IP listener"))?;
        let server = Arc::new(server);
        let shared: Shared = Arc::new((Mutex::new(State::default()), o));
        let threads = (0..4)
            .map(|_| {
                let (server, shared) = (server.clone(), shared.clone());
                std::thread::spawn(move || {
                    for req in server.incoming_requests() {
                        handle(req, &shared, addr);
                    }
                })
            })
            .collect();
        Ok(StripeSim { addr, threads })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn reply(req: Request, status: u16, content_type: &str, body: String) {
    let h = Header::from_bytes("Content-Type", content_type).expect("static header");
    let _ = req.respond(
        Response::from_string(body)
            .with_status_code(status)
            .with_header(h),
    );
}

fn stripe_error(req: Request, status: u16, kind: &str, message: &str, param: Option<&str>) {
    let mut e = json!({ "type": kind, "message": message });
    if let Some(p) = param {
        e["param"] = json!(p);
    }
    reply(
        req,
        status,
        "application/json",
        json!({ "error": e }).to_string(),
    );
}

fn header(req: &Request, name: &'static str) -> Option<String> {
    req.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
}

/// Decodes `application/x-www-form-urlencoded`.
pub fn decode_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const KNOWN: [&str; 11] = [
    "mode",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "customer_email",
    "expires_at",
    "locale",
    "line_items",
    "metadata",
    "payment_intent_data",
    "payment_method_types",
];

fn handle(mut req: Request, shared: &Shared, addr: SocketAddr) {
    let url = req.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let method = req.method().clone();
    let mut body = String::new();
    let _ = req.as_reader().take(1 << 20).read_to_string(&mut body);
    // Every API call needs a secret key, as at Stripe; the hosted pages do not.
    let (account, restricted) = if path.starts_with("/v1/") {
        match caller(&req) {
            Ok(c) => c,
            Err((status, message)) => {
                return stripe_error(req, status, "invalid_request_error", &message, None);
            }
        }
    } else {
        (String::new(), false)
    };
    // Another account's session is, as at Stripe, no such session.
    let mine = |id: &str| {
        shared
            .0
            .lock()
            .expect("state")
            .owner
            .get(id)
            .map(String::as_str)
            == Some(account.as_str())
    };
    match (method, path) {
        (Method::Get, "/v1/account") if restricted => stripe_error(
            req,
            403,
            "invalid_request_error",
            "The provided key does not have the required permissions for this endpoint. Having the 'rak_accounts_kyc_basic_read' permission would allow this request to continue.",
            None,
        ),
        (Method::Get, "/v1/account") => {
            let name = format!("Stand-in account {}", &account[account.len() - 4..]);
            reply(
                req,
                200,
                "application/json",
                json!({ "id": account, "object": "account", "type": "standard", "charges_enabled": true,
                        "settings": { "dashboard": { "display_name": name } } })
                .to_string(),
            );
        }
        (Method::Post, "/v1/webhook_endpoints") => {
            let form = decode_form(&body);
            let Some(url) = get(&form, "url").filter(|u| u.starts_with("http")) else {
                return stripe_error(
                    req,
                    400,
                    "invalid_request_error",
                    "Missing required param: url.",
                    Some("url"),
                );
            };
            let events: Vec<String> = form
                .iter()
                .filter(|(k, _)| k.starts_with("enabled_events["))
                .map(|(_, v)| v.clone())
                .collect();
            if events.is_empty() {
                return stripe_error(
                    req,
                    400,
                    "invalid_request_error",
                    "Missing required param: enabled_events.",
                    Some("enabled_events"),
                );
            }
            let mut st = shared.0.lock().expect("state");
            st.counter += 1;
            let e = Endpoint {
                id: format!("we_sim{:06}", st.counter),
                url: url.to_owned(),
                secret: format!(
                    "whsec_{}",
                    hex::encode(Sha256::digest(
                        format!("{account}{}{}", st.counter, now()).as_bytes()
                    ))
                ),
                events,
                created: now(),
            };
            st.endpoints
                .entry(account.clone())
                .or_default()
                .push(e.clone());
            drop(st);
            let mut v = e.view();
            v["secret"] = json!(e.secret);
            reply(req, 200, "application/json", v.to_string());
        }
        (Method::Get, "/v1/webhook_endpoints") => {
            let list: Vec<Value> = shared
                .0
                .lock()
                .expect("state")
                .endpoints
                .get(&account)
                .map(|l| l.iter().map(Endpoint::view).collect())
                .unwrap_or_default();
            reply(req, 200, "application/json",
                json!({ "object": "list", "url": "/v1/webhook_endpoints", "has_more": false, "data": list }).to_string());
        }
        (Method::Delete, p) if p.starts_with("/v1/webhook_endpoints/") => {
            let id = &p["/v1/webhook_endpoints/".len()..];
            let mut st = shared.0.lock().expect("state");
            let list = st.endpoints.entry(account.clone()).or_default();
            let before = list.len();
            list.retain(|e| e.id != id);
            let gone = list.len() < before;
            drop(st);
            if gone {
                reply(
                    req,
                    200,
                    "application/json",
                    json!({ "id": id, "object": "webhook_endpoint", "deleted": true }).to_string(),
                );
            } else {
                stripe_error(
                    req,
                    404,
                    "invalid_request_error",
                    &format!("No such webhook endpoint: '{id}'"),
                    Some("id"),
                );
            }
        }
        (Method::Post, "/v1/checkout/sessions") => {
            create_session(req, shared, addr, &body, &account)
        }
        (Method::Post, p) if p.starts_with("/v1/checkout/sessions/") && p.ends_with("/expire") => {
            let id = &p["/v1/checkout/sessions/".len()..p.len() - "/expire".len()];
            let owned = mine(id);
            let mut st = shared.0.lock().expect("state");
            let Some(s) = st.sessions.get_mut(id).filter(|_| owned) else {
                drop(st);
                return stripe_error(
                    req,
                    404,
                    "invalid_request_error",
                    &format!("No such checkout.session: '{id}'"),
                    Some("session"),
                );
            };
            if s["status"] != "open" {
                drop(st);
                return stripe_error(
                    req,
                    400,
                    "invalid_request_error",
                    "Only Checkout Sessions with a status in [\"open\"] can be expired.",
                    None,
                );
            }
            s["status"] = json!("expired");
            let expired = s.clone();
            drop(st);
            deliver(
                shared,
                &expired,
                vec![event("checkout.session.expired", expired.clone())],
            );
            reply(req, 200, "application/json", expired.to_string());
        }
        (Method::Get, list_path @ ("/v1/checkout/sessions" | "/v1/payment_intents")) => {
            let q = decode_form(query);
            let since: i64 = get(&q, "created[gte]")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let limit: usize = get(&q, "limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(10)
                .clamp(1, 100);
            let st = shared.0.lock().expect("state");
            let sessions: Vec<Value> = st
                .sessions
                .values()
                .filter(|s| s["created"].as_i64().unwrap_or(0) >= since)
                .filter(|s| s["id"].as_str().and_then(|id| st.owner.get(id)) == Some(&account))
                .cloned()
                .collect();
            drop(st);
            // A session's PaymentIntent, as Stripe would list it.
            let mut all: Vec<Value> = if list_path == "/v1/payment_intents" {
                sessions
                    .iter()
                    .filter(|s| !s["payment_intent"].is_null())
                    .map(|s| {
                        let status = match (s["status"].as_str(), s["payment_status"].as_str()) {
                            (_, Some("paid")) => "succeeded",
                            (Some("complete"), _) => "processing",
                            _ => "requires_payment_method",
                        };
                        let mut pi = payment_intent(s, status);
                        pi["created"] = s["created"].clone();
                        pi["livemode"] = json!(false);
                        pi
                    })
                    .collect()
            } else {
                sessions
            };
            all.sort_by(|a, b| {
                (b["created"].as_i64(), b["id"].as_str())
                    .cmp(&(a["created"].as_i64(), a["id"].as_str()))
            });
            if let Some(after) = get(&q, "starting_after")
                && let Some(i) = all.iter().position(|s| s["id"] == after)
            {
                all.drain(..=i);
            }
            let has_more = all.len() > limit;
            all.truncate(limit);
            let page =
                json!({ "object": "list", "url": list_path, "has_more": has_more, "data": all });
            reply(req, 200, "application/json", page.to_string());
        }
        (Method::Get, p) if p.starts_with("/v1/checkout/sessions/") => {
            let id = &p["/v1/checkout/sessions/".len()..];
            let owned = mine(id);
            let s = shared
                .0
                .lock()
                .expect("state")
                .sessions
                .get(id)
                .cloned()
                .filter(|_| owned);
            match s {
                Some(s) => reply(req, 200, "application/json", s.to_string()),
                None => stripe_error(
                    req,
                    404,
                    "invalid_request_error",
                    &format!("No such checkout.session: '{id}'"),
                    Some("id"),
                ),
            }
        }
        (Method::Get, p) if p.starts_with("/pay/") => {
            let id = &p["/pay/".len()..];
            let s = shared.0.lock().expect("state").sessions.get(id).cloned();
            match s {
                Some(s) => reply(req, 200, "text/html; charset=utf-8", page(&s, None)),
                None => reply(req, 404, "text/plain", "no such checkout".into()),
            }
        }
        (Method::Post, p) if p.starts_with("/pay/") => pay(req, shared, &p["/pay/".len()..], &body),
        (Method::Post, "/__sim/fail") => {
            let v: Value = serde_json::from_str(&body).unwrap_or_default();
            let count = v["count"].as_u64().unwrap_or(1) as u32;
            let status = v["status"].as_u64().unwrap_or(500) as u16;
            let matching = v["match"].as_str().unwrap_or("").to_owned();
            shared
                .0
                .lock()
                .expect("state")
                .fail
                .push((matching, count, status));
            reply(
                req,
                200,
                "application/json",
                json!({ "failing_next": count, "status": status }).to_string(),
            );
        }
        (Method::Get, "/__sim/sessions") => {
            let st = shared.0.lock().expect("state");
            let list: Vec<Value> = st
                .sessions
                .values()
                .map(|s| {
                    let mut s = s.clone();
                    s["x_account"] = json!(s["id"].as_str().and_then(|id| st.owner.get(id)));
                    s
                })
                .collect();
            drop(st);
            reply(
                req,
                200,
                "application/json",
                json!({ "data": list }).to_string(),
            );
        }
        _ => stripe_error(
            req,
            404,
            "invalid_request_error",
            &format!("Unrecognized request URL ({path})."),
            None,
        ),
    }
}

/// The API key of a request: `Authorization: Bearer sk_…`, or HTTP Basic
/// with the key as the user name (`curl -u sk_test_…:`), as Stripe takes it.
fn api_key(req: &Request) -> Option<String> {
    let a = header(req, "Authorization")?;
    if let Some(k) = a.strip_prefix("Bearer ") {
        return Some(k.trim().to_owned());
    }
    let decoded = base64_decode(a.strip_prefix("Basic ")?.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    Some(text.split(':').next().unwrap_or("").to_owned())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}

/// A key's account: the same for its secret and restricted forms.
pub fn account_id(key: &str) -> String {
    let tail = key.get(8..).unwrap_or("");
    format!(
        "acct_{}",
        &hex::encode(Sha256::digest(tail.as_bytes()))[..16]
    )
}

/// Who calls: (account, restricted), or Stripe's refusal (status, message).
fn caller(req: &Request) -> Result<(String, bool), (u16, String)> {
    let Some(key) = api_key(req) else {
        return Err((401, "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".into()));
    };
    let shown = format!(
        "{}****{}",
        key.get(..8).unwrap_or(""),
        key.get(key.len().saturating_sub(4)..).unwrap_or("")
    );
    if key.contains("revoked") {
        return Err((401, format!("Expired API Key provided: {shown}")));
    }
    match key.get(..8) {
        Some("sk_test_") if key.len() > 12 => Ok((account_id(&key), false)),
        Some("rk_test_") if key.len() > 12 => Ok((account_id(&key), true)),
        _ => Err((401, format!("Invalid API Key provided: {shown}"))),
    }
}

fn create_session(req: Request, shared: &Shared, addr: SocketAddr, body: &str, account: &str) {
    let params = decode_form(body);
    // Idempotency keys are per account, as at Stripe.
    let key = header(&req, "Idempotency-Key").map(|k| format!("{account}/{k}"));
    let fingerprint = hex::encode(Sha256::digest(body.as_bytes()));
    {
        let mut st = shared.0.lock().expect("state");
        if let Some(i) = st
            .fail
            .iter()
            .position(|(m, n, _)| *n > 0 && body.contains(m.as_str()))
        {
            let status = st.fail[i].2;
            st.fail[i].1 -= 1;
            st.fail.retain(|(_, n, _)| *n > 0);
            drop(st);
            if status == 0 {
                // A timeout: hold the request past the client's patience.
                std::thread::sleep(Duration::from_secs(30));
                return stripe_error(
                    req,
                    504,
                    "api_error",
                    "Simulated timeout (stripe-sim /__sim/fail).",
                    None,
                );
            }
            let kind = if status == 429 {
                "rate_limit_error"
            } else {
                "api_error"
            };
            return stripe_error(
                req,
                status,
                kind,
                "Simulated failure (stripe-sim /__sim/fail).",
                None,
            );
        }
        if let Some(k) = &key
            && let Some((fp, status, saved)) = st.idempotency.get(k)
        {
            if *fp != fingerprint {
                drop(st);
                return stripe_error(
                    req,
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    None,
                );
            }
            let (status, saved) = (*status, saved.clone());
            drop(st);
            return reply(req, status, "application/json", saved);
        }
    }
    let (status, answer) = match build_session(&params, shared, addr, account) {
        Ok(s) => (200, s.to_string()),
        Err((msg, param)) => (
            400,
            json!({ "error": { "type": "invalid_request_error", "message": msg, "param": param } })
                .to_string(),
        ),
    };
    if let Some(k) = key {
        shared
            .0
            .lock()
            .expect("state")
            .idempotency
            .insert(k, (fingerprint, status, answer.clone()));
    }
    reply(req, status, "application/json", answer);
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn build_session(
    params: &[(String, String)],
    shared: &Shared,
    addr: SocketAddr,
    account: &str,
) -> Result<Value, (String, String)> {
    for (k, _) in params {
        let root = k.split('[').next().unwrap_or("");
        if !KNOWN.contains(&root) {
            return Err((format!("Received unknown parameter: {k}"), k.clone()));
        }
    }
    let missing = |p: &str| (format!("Missing required param: {p}."), p.to_owned());
    let mode = get(params, "mode").ok_or_else(|| missing("mode"))?;
    if mode != "payment" {
        return Err((
            format!("Invalid mode: {mode}; the stand-in supports payment"),
            "mode".into(),
        ));
    }
    let success_url = get(params, "success_url").ok_or_else(|| missing("success_url"))?;
    // Every line item: one currency, integer amounts, a name.
    let mut currency: Option<String> = None;
    let mut total: i64 = 0;
    let mut i = 0;
    while get(params, &format!("line_items[{i}][price_data][unit_amount]")).is_some() || i == 0 {
        let key = |f: &str| format!("line_items[{i}]{f}");
        let c = get(params, &key("[price_data][currency]"))
            .ok_or_else(|| missing(&key("[price_data][currency]")))?;
        if c.len() != 3
            || !c.bytes().all(|b| b.is_ascii_lowercase())
            || currency.as_deref().is_some_and(|x| x != c)
        {
            return Err((
                format!("Invalid currency: {c}."),
                key("[price_data][currency]"),
            ));
        }
        currency = Some(c.to_owned());
        let unit: i64 = get(params, &key("[price_data][unit_amount]"))
            .ok_or_else(|| missing(&key("[price_data][unit_amount]")))?
            .parse()
            .map_err(|_| {
                (
                    "Invalid integer: unit_amount".to_owned(),
                    key("[price_data][unit_amount]"),
                )
            })?;
        let quantity: i64 = get(params, &key("[quantity]"))
            .unwrap_or("1")
            .parse()
            .unwrap_or(0);
        if unit < 0 || quantity < 1 {
            return Err((
                "This value must be greater than or equal to 1.".into(),
                key("[quantity]"),
            ));
        }
        if get(params, &key("[price_data][product_data][name]")).is_none_or(str::is_empty) {
            return Err(missing(&key("[price_data][product_data][name]")));
        }
        total += unit * quantity;
        i += 1;
    }
    let currency = currency.unwrap_or_default();
    let now = now();
    let expires_at = match get(params, "expires_at") {
        Some(v) => {
            let t: i64 = v.parse().map_err(|_| {
                (
                    "Invalid integer: expires_at".to_owned(),
                    "expires_at".to_owned(),
                )
            })?;
            if t < now + 30 * 60 - 5 || t > now + 24 * 3600 {
                return Err((
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from now."
                        .into(),
                    "expires_at".into(),
                ));
            }
            t
        }
        None => now + 24 * 3600,
    };
    let mut methods = Vec::new();
    for (k, v) in params
        .iter()
        .filter(|(k, _)| k.starts_with("payment_method_types["))
    {
        if !["card", "sepa_debit", "us_bank_account"].contains(&v.as_str()) {
            return Err((format!("Invalid payment_method_types: {v}"), k.clone()));
        }
        methods.push(v.clone());
    }
    if methods.is_empty() {
        methods.push("card".into());
    }
    let collect = |prefix: &str| {
        let mut m = Map::new();
        for (k, v) in params.iter().filter(|(k, _)| k.starts_with(prefix)) {
            m.insert(k[prefix.len()..].trim_end_matches(']').to_owned(), json!(v));
        }
        Value::Object(m)
    };
    let mut st = shared.0.lock().expect("state");
    st.counter += 1;
    let id = format!("cs_test_sim{:06}{:x}", st.counter, now);
    let session = json!({
        "id": id, "object": "checkout.session", "mode": "payment", "status": "open", "payment_status": "unpaid",
        "amount_total": total, "amount_subtotal": total, "currency": currency,
        "client_reference_id": get(params, "client_reference_id"), "customer_email": get(params, "customer_email"),
        "metadata": collect("metadata["), "payment_intent": null, "payment_method_types": methods,
        "success_url": success_url, "cancel_url": get(params, "cancel_url"), "expires_at": expires_at, "created": now,
        "livemode": false, "url": format!("http://{addr}/pay/{id}"),
        "x_payment_intent_metadata": collect("payment_intent_data[metadata]["),
    });
    st.owner.insert(id.clone(), account.to_owned());
    st.sessions.insert(id, session.clone());
    Ok(session)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(s: &Value, error: Option<&str>) -> String {
    let id = s["id"].as_str().unwrap_or_default();
    let amount = s["amount_total"].as_i64().unwrap_or(0);
    let currency = s["currency"].as_str().unwrap_or_default().to_uppercase();
    let done = s["status"] != "open";
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"err\">{}</p>", esc(e)))
        .unwrap_or_default();
    let debit = s["payment_method_types"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x != "card"));
    let debit_form = if debit {
        format!(
            "<h2>Bank debit</h2><form method=\"post\" action=\"/pay/{id}\"><input type=\"hidden\" name=\"method\" value=\"debit\">\
             <button name=\"result\" value=\"succeed\">Pay by bank debit (settles later)</button> \
             <button name=\"result\" value=\"fail\" class=\"alt\">Pay by bank debit (fails later)</button></form>"
        )
    } else {
        String::new()
    };
    let body = if done {
        "<p>This checkout is already finished.</p>".to_owned()
    } else {
        format!(
            "{error}<form method=\"post\" action=\"/pay/{id}\"><input type=\"hidden\" name=\"method\" value=\"card\">\
             <label for=\"card\">Card number</label><input id=\"card\" name=\"card\" inputmode=\"numeric\" autocomplete=\"cc-number\" placeholder=\"4242 4242 4242 4242\" required>\
             <button type=\"submit\">Pay {amount} {currency} (minor units)</button></form>{debit_form}"
        )
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Checkout (Stripe stand-in)</title><style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}\
         label{{display:block;font-weight:600;margin-top:1rem}}input{{font:inherit;width:100%;padding:.6rem;margin:.3rem 0 1rem;box-sizing:border-box}}\
         button{{font:inherit;padding:.7rem 1rem;background:#635bff;color:#fff;border:0;border-radius:6px;margin:.2rem 0}}button.alt{{background:#444}}\
         .err{{color:#a40e26;background:#ffebe9;padding:.5rem;border-radius:6px}}.note{{color:#555;font-size:.9rem}}</style></head><body>\
         <p class=\"note\">Local Stripe stand-in — test mode. Nothing is charged.</p><h1>Pay {} {currency}</h1>\
         <p>Amount in minor units: <strong>{amount}</strong></p>{body}</body></html>",
        esc(&format!("{:.2}", amount as f64 / 100.0)),
    )
}

fn pay(req: Request, shared: &Shared, id: &str, body: &str) {
    let form = decode_form(body);
    let Some(mut s) = shared.0.lock().expect("state").sessions.get(id).cloned() else {
        return reply(req, 404, "text/plain", "no such checkout".into());
    };
    if s["status"] != "open" {
        return reply(
            req,
            409,
            "text/html; charset=utf-8",
            page(&s, Some("This checkout is already finished.")),
        );
    }
    s["payment_intent"] = json!(format!("pi_sim{}", &id[id.len().saturating_sub(12)..]));
    if let Some(d) = get(&form, "delivery") {
        s["x_delivery"] = json!(d);
    }
    let method = get(&form, "method").unwrap_or("card");
    let opts = &shared.1;
    if method == "card" {
        let card: String = get(&form, "card")
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let problem = match card.as_str() {
            "4242424242424242" => None,
            "4000000000000002" => Some("Your card was declined."),
            "4000000000009995" => Some("Your card has insufficient funds."),
            _ => {
                return reply(
                    req,
                    200,
                    "text/html; charset=utf-8",
                    page(
                        &s,
                        Some("Your card number is invalid. Use a Stripe test card."),
                    ),
                );
            }
        };
        if let Some(p) = problem {
            deliver(
                shared,
                &s,
                vec![event(
                    "payment_intent.payment_failed",
                    payment_intent(&s, "requires_payment_method"),
                )],
            );
            return reply(req, 402, "text/html; charset=utf-8", page(&s, Some(p)));
        }
        s["status"] = json!("complete");
        s["payment_status"] = json!("paid");
        let events = vec![
            event("checkout.session.completed", s.clone()),
            event("payment_intent.succeeded", payment_intent(&s, "succeeded")),
        ];
        shared
            .0
            .lock()
            .expect("state")
            .sessions
            .insert(id.to_owned(), s.clone());
        deliver(shared, &s, events);
    } else {
        let succeed = get(&form, "result") != Some("fail");
        s["status"] = json!("complete");
        s["payment_status"] = json!("unpaid");
        shared
            .0
            .lock()
            .expect("state")
            .sessions
            .insert(id.to_owned(), s.clone());
        deliver(
            shared,
            &s,
            vec![event("checkout.session.completed", s.clone())],
        );
        let (shared2, mut later, id2) = (shared.clone(), s.clone(), id.to_owned());
        let delay = if opts.debit_delay_ms == 0 {
            3000
        } else {
            opts.debit_delay_ms
        };
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay));
            let events = if succeed {
                later["payment_status"] = json!("paid");
                vec![
                    event("checkout.session.async_payment_succeeded", later.clone()),
                    event(
                        "payment_intent.succeeded",
                        payment_intent(&later, "succeeded"),
                    ),
                ]
            } else {
                vec![
                    event("checkout.session.async_payment_failed", later.clone()),
                    event(
                        "payment_intent.payment_failed",
                        payment_intent(&later, "requires_payment_method"),
                    ),
                ]
            };
            shared2
                .0
                .lock()
                .expect("state")
                .sessions
                .insert(id2, later.clone());
            deliver(&shared2, &later, events);
        });
    }
    let target = s["success_url"]
        .as_str()
        .unwrap_or("/")
        .replace("{CHECKOUT_SESSION_ID}", id);
    let h = Header::from_bytes("Location", target.as_bytes()).expect("location header");
    let _ = req.respond(Response::empty(303).with_header(h));
}

/// The PaymentIntent of a session, in `status`.
fn payment_intent(s: &Value, status: &str) -> Value {
    let received = if status == "succeeded" {
        s["amount_total"].clone()
    } else {
        json!(0)
    };
    json!({ "id": s["payment_intent"], "object": "payment_intent", "amount": s["amount_total"], "amount_received": received,
            "currency": s["currency"], "status": status, "metadata": s["x_payment_intent_metadata"] })
}

fn event(kind: &str, object: Value) -> Value {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut object = object;
    if let Some(o) = object.as_object_mut() {
        o.remove("x_payment_intent_metadata");
        o.remove("x_delivery");
    }
    json!({ "id": format!("evt_sim{:x}{n:04}", now()), "object": "event", "api_version": "2025-04-30.basil", "created": now(),
            "livemode": false, "type": kind, "data": { "object": object } })
}

/// The `Stripe-Signature` header for a body signed now.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Where the events of `session`'s account go.
fn targets(shared: &Shared, session: &Value) -> Targets {
    let st = shared.0.lock().expect("state");
    let account = session["id"]
        .as_str()
        .and_then(|id| st.owner.get(id))
        .cloned()
        .unwrap_or_default();
    match st.endpoints.get(&account).filter(|l| !l.is_empty()) {
        Some(list) => Targets::Endpoints(list.clone()),
        None => {
            let platform = shared.1.platform_key.as_deref().map(account_id);
            if platform.is_none_or(|p| p == account) {
                Targets::Platform
            } else {
                // An account without endpoints: Stripe sends nothing.
                Targets::Endpoints(Vec::new())
            }
        }
    }
}

/// Delivers events in the background, as Stripe does: to each endpoint
/// that listens for them, signed with its secret, retried on failure,
/// optionally delayed, duplicated or reversed.
fn deliver(shared: &Shared, session: &Value, mut events: Vec<Value>) {
    let o = &shared.1;
    let org = session["metadata"]["settle_organization_id"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned();
    // (url, secret, event types or all)
    let routes: Vec<(String, String, Option<Endpoint>)> = match targets(shared, session) {
        Targets::Platform => vec![(
            format!(
                "{}/api/stripe/webhook/{org}",
                o.webhook_base.trim_end_matches('/')
            ),
            o.webhook_secret.clone(),
            None,
        )],
        Targets::Endpoints(list) => list
            .into_iter()
            .map(|e| (e.url.clone(), e.secret.clone(), Some(e)))
            .collect(),
    };
    // Per payment, a tester may ask (hidden form field `delivery`) for
    // duplicated, reversed or dropped (never delivered) events.
    let flags = session["x_delivery"].as_str().unwrap_or("").to_owned();
    if flags.contains("drop") {
        return;
    }
    if o.reverse || flags.contains("reverse") {
        events.reverse();
    }
    if o.duplicate || flags.contains("duplicate") {
        events = events.into_iter().flat_map(|e| [e.clone(), e]).collect();
    }
    let delay = o.delay_ms;
    for (url, secret, endpoint) in routes {
        let events: Vec<Value> = events
            .iter()
            .filter(|e| {
                endpoint
                    .as_ref()
                    .is_none_or(|ep| ep.listens(e["type"].as_str().unwrap_or("")))
            })
            .cloned()
            .collect();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay));
            let client = reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client");
            for e in events {
                let body = e.to_string();
                for attempt in 0..5 {
                    let sent = client
                        .post(&url)
                        .header("Content-Type", "application/json; charset=utf-8")
                        .header("Stripe-Signature", sign(&secret, now(), &body))
                        .body(body.clone())
                        .send();
                    match sent {
                        Ok(r) if r.status().is_success() => break,
                        Ok(r) => eprintln!(
                            "stripe-sim: {} answered {} (attempt {attempt})",
                            url,
                            r.status()
                        ),
                        Err(err) => eprintln!("stripe-sim: {url}: {err} (attempt {attempt})"),
                    }
                    std::thread::sleep(Duration::from_millis(500 << attempt));
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let f = decode_form("a=1&line_items%5B0%5D%5Bquantity%5D=2&e=ann%2Bx%40y.com&s=a+b");
        assert_eq!(get(&f, "line_items[0][quantity]"), Some("2"));
        assert_eq!(get(&f, "e"), Some("ann+x@y.com"));
        assert_eq!(get(&f, "s"), Some("a b"));
    }
}
