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
//!
//! Saved methods (`saved`): customers, Checkout in `setup` mode with its
//! hosted page, SetupIntents, PaymentMethods and their detach, and
//! PaymentIntents created off-session with `confirm=true`, charged as the
//! saved test card says. `POST /__sim/hold_charges` holds the answer to the
//! next charges after making them (the crash test), and `GET
//! /__sim/payment_intents` lists them.

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

mod accounts;
mod checkout;
mod events;
mod hosted;
mod saved;

use accounts::Endpoint;
pub use accounts::account_id;
pub use events::sign;
use events::{deliver, event, payment_intent};

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
    /// Customers, saved methods, SetupIntents and off-session
    /// PaymentIntents by id (their accounts in `owner`).
    customers: HashMap<String, Value>,
    methods: HashMap<String, Value>,
    setup_intents: HashMap<String, Value>,
    intents: HashMap<String, Value>,
    /// The next `n` charges are held this many seconds after they are made.
    hold_charges: Option<(u32, u64)>,
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

fn handle(mut req: Request, shared: &Shared, addr: SocketAddr) {
    let url = req.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let method = req.method().clone();
    let mut body = String::new();
    let _ = req.as_reader().take(1 << 20).read_to_string(&mut body);
    // Every API call needs a secret key, as at Stripe; the hosted pages do not.
    let (account, restricted) = if path.starts_with("/v1/") {
        match accounts::caller(&req) {
            Ok(c) => c,
            Err((status, message)) => {
                return stripe_error(req, status, "invalid_request_error", &message, None);
            }
        }
    } else {
        (String::new(), false)
    };
    let after = |prefix: &str| path.strip_prefix(prefix).unwrap_or("");
    match (method, path) {
        (Method::Get, "/v1/account") => accounts::account(req, &account, restricted),
        (Method::Post, "/v1/webhook_endpoints") => {
            accounts::create_endpoint(req, shared, &account, &body)
        }
        (Method::Get, "/v1/webhook_endpoints") => accounts::list_endpoints(req, shared, &account),
        (Method::Delete, p) if p.starts_with("/v1/webhook_endpoints/") => {
            accounts::delete_endpoint(req, shared, &account, after("/v1/webhook_endpoints/"))
        }
        (Method::Post, "/v1/checkout/sessions") => {
            checkout::create_session(req, shared, addr, &body, &account)
        }
        (Method::Post, p) if p.starts_with("/v1/checkout/sessions/") && p.ends_with("/expire") => {
            let id = after("/v1/checkout/sessions/").trim_end_matches("/expire");
            checkout::expire(req, shared, &account, id)
        }
        (Method::Post, "/v1/customers") => saved::create_customer(req, shared, &account, &body),
        (Method::Post, "/v1/payment_intents") => saved::charge(req, shared, &account, &body),
        (Method::Get, p) if p.starts_with("/v1/payment_intents/") => saved::retrieve(
            req,
            shared,
            &account,
            "payment_intent",
            after("/v1/payment_intents/"),
            query,
        ),
        (Method::Get, p) if p.starts_with("/v1/setup_intents/") => saved::retrieve(
            req,
            shared,
            &account,
            "setup_intent",
            after("/v1/setup_intents/"),
            query,
        ),
        (Method::Get, p) if p.starts_with("/v1/payment_methods/") => saved::retrieve(
            req,
            shared,
            &account,
            "payment_method",
            after("/v1/payment_methods/"),
            query,
        ),
        (Method::Post, p) if p.starts_with("/v1/payment_methods/") && p.ends_with("/detach") => {
            let id = after("/v1/payment_methods/").trim_end_matches("/detach");
            saved::detach(req, shared, &account, id)
        }
        (Method::Post, "/__sim/hold_charges") => {
            let v: Value = serde_json::from_str(&body).unwrap_or_default();
            let count = v["count"].as_u64().unwrap_or(1) as u32;
            let seconds = v["seconds"].as_u64().unwrap_or(60);
            shared.0.lock().expect("state").hold_charges = Some((count, seconds));
            reply(
                req,
                200,
                "application/json",
                json!({ "holding_next": count, "seconds": seconds }).to_string(),
            );
        }
        (Method::Get, "/__sim/payment_intents") => {
            let st = shared.0.lock().expect("state");
            let list: Vec<Value> = st.intents.values().cloned().collect();
            drop(st);
            reply(
                req,
                200,
                "application/json",
                json!({ "data": list }).to_string(),
            );
        }
        (Method::Get, list_path @ ("/v1/checkout/sessions" | "/v1/payment_intents")) => {
            checkout::list(req, shared, &account, list_path, query)
        }
        (Method::Get, p) if p.starts_with("/v1/checkout/sessions/") => {
            checkout::retrieve(req, shared, &account, after("/v1/checkout/sessions/"))
        }
        (Method::Get, p) if p.starts_with("/pay/") => {
            let s = shared
                .0
                .lock()
                .expect("state")
                .sessions
                .get(after("/pay/"))
                .cloned();
            match s {
                Some(s) => reply(req, 200, "text/html; charset=utf-8", hosted::page(&s, None)),
                None => reply(req, 404, "text/plain", "no such checkout".into()),
            }
        }
        (Method::Post, p) if p.starts_with("/pay/") => {
            hosted::pay(req, shared, after("/pay/"), &body)
        }
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

/// Answers a POST once per `Idempotency-Key` (per account, as at Stripe):
/// a failure asked for with `/__sim/fail` first, then the saved answer to
/// a repeated key (refused when the parameters differ), else `make`'s,
/// saved under the key.
pub(crate) fn idempotent(
    req: Request,
    shared: &Shared,
    account: &str,
    body: &str,
    make: impl FnOnce() -> (u16, String),
) {
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
    let (status, answer) = make();
    if let Some(k) = key {
        shared
            .0
            .lock()
            .expect("state")
            .idempotency
            .insert(k, (fingerprint, status, answer.clone()));
    }
    // A charge may be held after it is made (`/__sim/hold_charges`): the
    // caller waits as if its answer were slow, or dies waiting.
    let hold = {
        let mut st = shared.0.lock().expect("state");
        match st.hold_charges.as_mut() {
            Some((n, secs)) if *n > 0 && answer.contains("\"object\":\"payment_intent\"") => {
                *n -= 1;
                Some(*secs)
            }
            _ => None,
        }
    };
    if let Some(secs) = hold {
        std::thread::sleep(Duration::from_secs(secs));
    }
    reply(req, status, "application/json", answer);
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
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
