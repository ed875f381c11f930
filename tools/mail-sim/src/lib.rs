//! A local stand-in for the email provider.
//!
//! It speaks Resend's `POST /emails` (bearer key, JSON body, `Idempotency-Key`,
//! the same validation errors) and keeps every accepted message in memory, so
//! a developer can read the outbox at `/` and click the links in the emails,
//! and tests can read it as JSON at `/api/messages`. It also fails on demand
//! (`POST /__sim/fail {"count":2,"status":503,"to":"a@b.example"}`: the next
//! two sends to that address, or to anyone without `to`, answer 503) so the
//! product's retries and refusals can be tested.
//!
//! Started with a [`WebhookTarget`] (in `main`: `MAIL_SIM_WEBHOOK_URL` and
//! `MAIL_SIM_WEBHOOK_SECRET`), it reports what became of each new message as
//! Resend does, with Svix-signed delivery events (see `events.rs`):
//! `email.delivered`, unless the recipient was marked with
//! `POST /__sim/bounce {"to":"a@b.example","kind":"bounce"}` (then
//! `email.bounced`, permanent) or `"kind":"complaint"` (`email.delivered`,
//! then `email.complained`); `"kind":"none"` clears the mark. A send answered
//! from the idempotency cache reports nothing new.
//!
//! `POST /__sim/hold {"to":"a@b.example","seconds":30,"count":1}` makes the
//! next `count` successful sends to that address (or to anyone without `to`)
//! take effect at once but answer only after `seconds`: an answer lost to the
//! caller's timeout. Held answers wait on their own threads.

mod events;
mod replies;

pub use events::WebhookTarget;

use events::Outcome;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tiny_http::{Header, Method, Request, Response, Server};

/// One accepted email.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub html: Option<String>,
    pub text: Option<String>,
    /// Custom MIME headers, name to value.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub tags: Vec<Value>,
    pub idempotency_key: Option<String>,
    pub received_at_ms: u128,
}

#[derive(Default)]
struct State {
    messages: Vec<Message>,
    /// Idempotency key → (request body, answer id).
    seen: HashMap<String, (Value, String)>,
    /// Failures to come: (recipient or anyone, how many, status).
    fail: Vec<(Option<String>, u32, u16)>,
    /// Answers to delay: (recipient or anyone, how many, seconds).
    hold: Vec<(Option<String>, u32, u64)>,
    /// What becomes of mail to these (lower-cased) addresses.
    outcome: HashMap<String, Outcome>,
    webhook: Option<WebhookTarget>,
    counter: u64,
    /// Replies written with `/__sim/reply`, as the receiving API serves them.
    received: Vec<replies::Received>,
}

/// Uses up one of the first rule that applies to a send to `to`: its value.
fn take_rule<T: Copy>(rules: &mut Vec<(Option<String>, u32, T)>, to: &[String]) -> Option<T> {
    let i = rules.iter().position(|(who, n, _)| {
        *n > 0
            && who
                .as_ref()
                .is_none_or(|w| to.iter().any(|t| t.eq_ignore_ascii_case(w)))
    })?;
    let value = rules[i].2;
    rules[i].1 -= 1;
    rules.retain(|(_, n, _)| *n > 0);
    Some(value)
}

pub(crate) fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// A running stand-in.
pub struct MailSim {
    addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

impl MailSim {
    /// Listens on `127.0.0.1:port` (0 picks a free port).
    pub fn start(port: u16) -> std::io::Result<Self> {
        Self::start_with(port, None)
    }

    /// Listens on `127.0.0.1:port` and sends delivery events to `webhook`.
    pub fn start_with(port: u16, webhook: Option<WebhookTarget>) -> std::io::Result<Self> {
        if let Some(w) = &webhook {
            w.check()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        }
        let server = Server::http(("127.0.0.1", port)).map_err(std::io::Error::other)?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("not an IP listener"))?;
        let server = Arc::new(server);
        let state = Arc::new(Mutex::new(State {
            webhook,
            ..State::default()
        }));
        let threads = (0..4)
            .map(|_| {
                let (server, state) = (server.clone(), state.clone());
                std::thread::spawn(move || {
                    for req in server.incoming_requests() {
                        handle(req, &state);
                    }
                })
            })
            .collect();
        Ok(MailSim { addr, threads })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks for as long as the server runs.
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
}

fn reply(req: Request, status: u16, content_type: &str, body: String) {
    let h = Header::from_bytes("Content-Type", content_type).expect("static header");
    let _ = req.respond(
        Response::from_string(body)
            .with_status_code(status)
            .with_header(h),
    );
}

fn json_reply(req: Request, status: u16, v: Value) {
    reply(req, status, "application/json", v.to_string());
}

fn resend_error(req: Request, status: u16, name: &str, message: &str) {
    json_reply(
        req,
        status,
        json!({ "statusCode": status, "name": name, "message": message }),
    );
}

fn handle(mut req: Request, state: &Mutex<State>) {
    let url = req.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let method = req.method().clone();
    match (method, path) {
        (Method::Post, "/emails") => send(req, state),
        (Method::Get, "/api/messages") => {
            let to = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("to="))
                .map(decode);
            let s = state.lock().expect("state lock");
            let data: Vec<&Message> = s
                .messages
                .iter()
                .filter(|m| {
                    to.as_ref()
                        .is_none_or(|t| m.to.iter().any(|x| x.eq_ignore_ascii_case(t)))
                })
                .collect();
            json_reply(req, 200, json!({ "data": data }));
        }
        (Method::Delete, "/api/messages") => {
            state.lock().expect("state lock").messages.clear();
            json_reply(req, 200, json!({ "status": "cleared" }));
        }
        (Method::Post, "/__sim/fail") => {
            let mut body = String::new();
            let _ = req.as_reader().take(4096).read_to_string(&mut body);
            let v: Value = serde_json::from_str(&body).unwrap_or_default();
            let count = v["count"].as_u64().unwrap_or(1) as u32;
            let status = v["status"].as_u64().unwrap_or(503) as u16;
            let to = v["to"].as_str().map(str::to_lowercase);
            state
                .lock()
                .expect("state lock")
                .fail
                .push((to.clone(), count, status));
            json_reply(
                req,
                200,
                json!({ "failing_next": count, "status": status, "to": to }),
            );
        }
        (Method::Post, "/__sim/hold") => {
            let v = read_json(&mut req);
            let count = v["count"].as_u64().unwrap_or(1) as u32;
            let seconds = v["seconds"].as_u64().unwrap_or(30);
            let to = v["to"].as_str().map(str::to_lowercase);
            state
                .lock()
                .expect("state lock")
                .hold
                .push((to.clone(), count, seconds));
            json_reply(
                req,
                200,
                json!({ "holding_next": count, "seconds": seconds, "to": to }),
            );
        }
        (Method::Post, "/__sim/bounce") => {
            let v = read_json(&mut req);
            let Some(to) = v["to"].as_str().filter(|t| t.contains('@')) else {
                return resend_error(req, 422, "validation_error", "`to` is missing.");
            };
            let to = to.to_lowercase();
            let kind = v["kind"].as_str().unwrap_or("bounce");
            let outcome = match kind {
                "bounce" => Some(Outcome::Bounced),
                "complaint" => Some(Outcome::Complained),
                "none" => None,
                _ => {
                    return resend_error(
                        req,
                        422,
                        "validation_error",
                        "`kind` is one of bounce, complaint, none.",
                    );
                }
            };
            let mut s = state.lock().expect("state lock");
            match outcome {
                Some(o) => s.outcome.insert(to.clone(), o),
                None => s.outcome.remove(&to),
            };
            drop(s);
            json_reply(req, 200, json!({ "to": to, "kind": kind }));
        }
        (Method::Post, "/__sim/reply") => reply_with(req, state),
        (Method::Get, p) if p.starts_with("/emails/receiving/") => {
            let authorized = header(&req, "Authorization")
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .is_some_and(|k| !k.trim().is_empty());
            if !authorized {
                return resend_error(
                    req,
                    401,
                    "missing_api_key",
                    "Missing API key in the authorization header.",
                );
            }
            let id = &p["/emails/receiving/".len()..];
            let s = state.lock().expect("state lock");
            match s.received.iter().find(|r| r.id == id) {
                Some(r) => {
                    let v = serde_json::to_value(r).unwrap_or_default();
                    drop(s);
                    json_reply(req, 200, v)
                }
                None => {
                    drop(s);
                    resend_error(req, 404, "not_found", "Email not found.")
                }
            }
        }
        (Method::Get, "/") => {
            let s = state.lock().expect("state lock");
            reply(
                req,
                200,
                "text/html; charset=utf-8",
                outbox_page(&s.messages),
            );
        }
        (Method::Get, p) if p.starts_with("/messages/") => {
            let id = &p["/messages/".len()..];
            let s = state.lock().expect("state lock");
            match s.messages.iter().find(|m| m.id == id) {
                Some(m) => reply(req, 200, "text/html; charset=utf-8", message_page(m)),
                None => reply(req, 404, "text/plain", "no such message".into()),
            }
        }
        _ => resend_error(
            req,
            404,
            "not_found",
            "The requested endpoint does not exist.",
        ),
    }
}

/// `POST /__sim/reply`: the recipient of an outbox message answers it
/// (JSON from tests, a form from the outbox page).
fn reply_with(mut req: Request, state: &Mutex<State>) {
    let form = header(&req, "Content-Type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let mut body = String::new();
    let _ = req.as_reader().take(256 * 1024).read_to_string(&mut body);
    let (message_id, text) = if form {
        let field = |name: &str| {
            body.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(|v| decode(&v.replace('+', " ")))
                .unwrap_or_default()
        };
        (field("message_id"), field("text"))
    } else {
        let v: Value = serde_json::from_str(&body).unwrap_or_default();
        (
            v["message_id"].as_str().unwrap_or_default().to_owned(),
            v["text"].as_str().unwrap_or_default().to_owned(),
        )
    };
    if text.trim().is_empty() {
        return resend_error(req, 422, "validation_error", "`text` is missing.");
    }
    let mut s = state.lock().expect("state lock");
    let Some(m) = s.messages.iter().find(|m| m.id == message_id).cloned() else {
        drop(s);
        return resend_error(req, 404, "not_found", "No such message in the outbox.");
    };
    s.counter += 1;
    let now = now_ms();
    let id = format!(
        "{:08x}-0000-4000-9000-{:012x}",
        (now / 1000) as u32,
        s.counter
    );
    let Some(r) = replies::reply_to(&m, &text, id.clone(), now) else {
        drop(s);
        return resend_error(
            req,
            422,
            "validation_error",
            "That message has no reply-to address.",
        );
    };
    let event = replies::event(&r, now);
    s.received.push(r);
    let target = s.webhook.clone();
    drop(s);
    if let Some(target) = target {
        std::thread::spawn(move || events::deliver(&target, &[event]));
    }
    if form {
        let to = format!("/messages/{message_id}?replied=1");
        let location = Header::from_bytes("Location", to.as_bytes()).expect("header");
        let _ = req.respond(Response::empty(303).with_header(location));
    } else {
        json_reply(req, 200, json!({ "id": id }));
    }
}

fn read_json(req: &mut Request) -> Value {
    let mut body = String::new();
    let _ = req.as_reader().take(4096).read_to_string(&mut body);
    serde_json::from_str(&body).unwrap_or_default()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn send(mut req: Request, state: &Mutex<State>) {
    match header(&req, "Authorization")
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        Some(k) if !k.trim().is_empty() => {}
        _ => {
            return resend_error(
                req,
                401,
                "missing_api_key",
                "Missing API key in the authorization header.",
            );
        }
    }
    let mut body = String::new();
    if req
        .as_reader()
        .take(10 * 1024 * 1024)
        .read_to_string(&mut body)
        .is_err()
    {
        return resend_error(req, 422, "validation_error", "The body is not UTF-8.");
    }
    let v: Value = match serde_json::from_str(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return resend_error(req, 422, "validation_error", "Invalid JSON body."),
    };
    let text_field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let Some(from) = text_field("from").filter(|f| f.contains('@')) else {
        return resend_error(
            req,
            422,
            "validation_error",
            "The `from` field is missing or invalid.",
        );
    };
    let addresses = |k: &str| -> Vec<String> {
        match v.get(k) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    };
    let to = addresses("to");
    if to.is_empty() || to.len() > 50 || to.iter().any(|t| !t.contains('@')) {
        return resend_error(
            req,
            422,
            "validation_error",
            "The `to` field is missing or invalid.",
        );
    }
    let bcc = addresses("bcc");
    if v.get("bcc").is_some_and(|b| !b.is_null())
        && (bcc.is_empty() || bcc.len() > 50 || bcc.iter().any(|t| !t.contains('@')))
    {
        return resend_error(req, 422, "validation_error", "The `bcc` field is invalid.");
    }
    let headers: Option<BTreeMap<String, String>> = match v.get("headers") {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        Some(_) => None,
    };
    let Some(headers) = headers else {
        return resend_error(
            req,
            422,
            "validation_error",
            "The `headers` field must be an object of strings.",
        );
    };
    let Some(subject) = text_field("subject").filter(|s| !s.is_empty()) else {
        return resend_error(
            req,
            422,
            "validation_error",
            "The `subject` field is missing.",
        );
    };
    let (html, text) = (text_field("html"), text_field("text"));
    if html.is_none() && text.is_none() {
        return resend_error(
            req,
            422,
            "validation_error",
            "Either `html` or `text` must be provided.",
        );
    }
    let key = header(&req, "Idempotency-Key");
    let mut s = state.lock().expect("state lock");
    if let Some(status) = take_rule(&mut s.fail, &to) {
        drop(s);
        return resend_error(
            req,
            status,
            "application_error",
            "Simulated failure (mail-sim /__sim/fail).",
        );
    }
    if let Some(k) = &key
        && let Some((prev_body, id)) = s.seen.get(k)
    {
        if *prev_body == v {
            let id = id.clone();
            let hold = take_rule(&mut s.hold, &to);
            drop(s);
            return accepted(req, id, hold);
        }
        drop(s);
        return resend_error(
            req,
            409,
            "invalid_idempotent_request",
            "Same idempotency key used with a different request payload.",
        );
    }
    s.counter += 1;
    let now = now_ms();
    let id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        (now / 1000) as u32,
        s.counter
    );
    let msg = Message {
        id: id.clone(),
        from,
        to,
        bcc,
        reply_to: text_field("reply_to"),
        subject,
        html,
        text,
        headers,
        tags: v
            .get("tags")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        idempotency_key: key.clone(),
        received_at_ms: now,
    };
    if let Some(target) = s.webhook.clone() {
        let events = events::report(Outcome::of(&msg.to, &s.outcome), &msg, now);
        std::thread::spawn(move || events::deliver(&target, &events));
    }
    let hold = take_rule(&mut s.hold, &msg.to);
    s.messages.push(msg);
    if let Some(k) = key {
        s.seen.insert(k, (v, id.clone()));
    }
    drop(s);
    accepted(req, id, hold);
}

/// Answers a successful send, at once or `hold` seconds later on a thread of
/// its own, so a held answer keeps no request waiting.
fn accepted(req: Request, id: String, hold: Option<u64>) {
    match hold {
        None => json_reply(req, 200, json!({ "id": id })),
        Some(secs) => {
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(secs));
                json_reply(req, 200, json!({ "id": id }));
            });
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Custom headers as escaped `Name: value` lines.
fn header_lines(headers: &BTreeMap<String, String>) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("<code>{}: {}</code>", esc(k), esc(v)))
        .collect::<Vec<_>>()
        .join("<br>")
}

fn outbox_page(messages: &[Message]) -> String {
    let mut rows = String::new();
    for m in messages.iter().rev() {
        rows.push_str(&format!(
            "<tr><td><a href=\"/messages/{id}\">{subject}</a></td><td>{to}</td><td>{bcc}</td><td>{from}</td><td>{headers}</td><td>{reply}</td></tr>",
            id = esc(&m.id),
            subject = esc(&m.subject),
            to = esc(&m.to.join(", ")),
            bcc = esc(&m.bcc.join(", ")),
            from = esc(&m.from),
            headers = header_lines(&m.headers),
            reply = if m.reply_to.is_some() {
                format!("<a class=\"button\" href=\"/messages/{}#reply\">Reply</a>", esc(&m.id))
            } else {
                String::new()
            },
        ));
    }
    if messages.is_empty() {
        rows.push_str("<tr><td colspan=\"6\">No mail yet. Create an invoice with <code>\"send\": true</code>.</td></tr>");
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Local outbox</title><style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse;width:100%}}\
         td,th{{text-align:start;padding:.5rem;border-block-end:1px solid #ddd}}\
         .button{{display:inline-block;padding:.3rem .8rem;border:1px solid #555;border-radius:6px;text-decoration:none;color:#111}}\
         .sr{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}}</style></head><body>\
         <h1>Local outbox <small>(mail-sim, {n} messages)</small></h1>\
         <table><thead><tr><th>Subject</th><th>To</th><th>Bcc</th><th>From</th><th>Headers</th><th><span class=\"sr\">Reply</span></th></tr></thead><tbody>{rows}</tbody></table></body></html>",
        n = messages.len()
    )
}

fn message_page(m: &Message) -> String {
    let banner = format!(
        "<div style=\"font:14px system-ui,sans-serif;background:#fffbe6;border-bottom:1px solid #e5d687;padding:8px 12px;overflow-wrap:anywhere;word-break:break-word;max-width:100%;box-sizing:border-box\">\
         <a href=\"/\">&larr; Outbox</a> · <b>From</b> {} · <b>To</b> {} · <b>Bcc</b> {} · <b>Subject</b> {}<br>{}</div>",
        esc(&m.from),
        esc(&m.to.join(", ")),
        esc(&m.bcc.join(", ")),
        esc(&m.subject),
        header_lines(&m.headers),
    );
    let form = m.reply_to.as_deref().map(|r| format!(
        "<form id=\"reply\" method=\"post\" action=\"/__sim/reply\" style=\"font:14px system-ui,sans-serif;padding:8px 12px;border-bottom:1px solid #ddd\">\
         <input type=\"hidden\" name=\"message_id\" value=\"{}\"><label for=\"reply-text\"><b>Reply</b> as {} to {}</label><br>\
         <textarea id=\"reply-text\" name=\"text\" rows=\"3\" required style=\"width:100%;max-width:40rem;box-sizing:border-box\"></textarea><br>\
         <button type=\"submit\">Send reply</button></form>",
        esc(&m.id),
        esc(&m.to.join(", ")),
        esc(r),
    )).unwrap_or_default();
    let banner = format!("{banner}{form}");
    let text = m.text.as_deref().map(|t| format!("<hr><h2 style=\"font:600 14px system-ui\">Plain-text part</h2><pre style=\"white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-width:100%;box-sizing:border-box;padding:0 12px\">{}</pre>", esc(t))).unwrap_or_default();
    match &m.html {
        Some(html) => match html
            .find("<body")
            .and_then(|i| html[i..].find('>').map(|j| i + j + 1))
        {
            Some(at) => format!("{}{}{}", &html[..at], banner, &html[at..])
                .replace("</body>", &format!("{text}</body>")),
            None => format!("{banner}{html}{text}"),
        },
        None => format!("<!doctype html><meta charset=\"utf-8\">{banner}{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_query_values() {
        assert_eq!(decode("ann%40example.com"), "ann@example.com");
        assert_eq!(decode("a+b"), "a b");
        assert_eq!(decode("100%"), "100%");
    }

    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    const SECRET: &str = "whsec_c2V0dGxlLXRlc3Qtc2VjcmV0";

    /// A request the test receiver got: lower-cased headers and body.
    struct Got {
        headers: HashMap<String, String>,
        body: String,
    }

    impl Got {
        fn event(&self) -> Value {
            serde_json::from_str(&self.body).unwrap()
        }

        /// Checks the Svix signature with the sim's own signing.
        fn assert_signed(&self) {
            let h = |k: &str| self.headers.get(k).cloned().unwrap_or_default();
            let ts: i64 = h("svix-timestamp").parse().unwrap();
            let now = (now_ms() / 1000) as i64;
            assert!((now - ts).abs() < 60, "fresh timestamp");
            assert_eq!(
                events::sign(SECRET, &h("svix-id"), ts, self.body.as_bytes()),
                Some(h("svix-signature"))
            );
        }
    }

    /// A local endpoint that answers `statuses` in turn (then 200) and
    /// passes on what it gets.
    fn receiver(statuses: Vec<u16>) -> (String, mpsc::Receiver<Got>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut statuses = statuses.into_iter();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = HashMap::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        headers.insert(k.trim().to_lowercase(), v.trim().to_owned());
                    }
                }
                let len = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                let status = statuses.next().unwrap_or(200);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let body = String::from_utf8(body).unwrap();
                let _ = tx.send(Got { headers, body });
            }
        });
        (url, rx)
    }

    fn sim(webhook_url: Option<&str>) -> String {
        let target = webhook_url.map(|url| WebhookTarget {
            url: url.into(),
            secret: SECRET.into(),
        });
        format!("http://{}", MailSim::start_with(0, target).unwrap().addr())
    }

    fn call(method: &str, url: &str, body: &str) -> (u16, Value) {
        let headers = [
            ("Authorization", "Bearer re_test"),
            ("Content-Type", "application/json"),
        ];
        let (status, body) = events::http(
            method,
            url,
            &headers,
            body.as_bytes(),
            Duration::from_secs(10),
        )
        .unwrap();
        (status, serde_json::from_str(&body).unwrap_or_default())
    }

    /// Sends one email to `to` under `key`: the status and the answered id.
    fn send_to(base: &str, to: &str, key: &str) -> (u16, String) {
        let body = json!({
            "from": "Acme <billing@acme.test>",
            "to": [to],
            "subject": "Invoice 1",
            "text": "hi",
            "tags": [{"name": "settle_email_id", "value": key}],
        });
        let headers = [
            ("Authorization", "Bearer re_test"),
            ("Idempotency-Key", key),
        ];
        let (status, answer) = events::http(
            "POST",
            &format!("{base}/emails"),
            &headers,
            body.to_string().as_bytes(),
            Duration::from_secs(10),
        )
        .unwrap();
        let v: Value = serde_json::from_str(&answer).unwrap_or_default();
        (status, v["id"].as_str().unwrap_or_default().to_owned())
    }

    const WAIT: Duration = Duration::from_secs(5);

    #[test]
    fn a_marked_recipient_bounces_once_per_message() {
        let (hook, got) = receiver(vec![]);
        let base = sim(Some(&hook));
        let (status, _) = call(
            "POST",
            &format!("{base}/__sim/bounce"),
            r#"{"to":"Gone@Example.com","kind":"bounce"}"#,
        );
        assert_eq!(status, 200);
        let (status, id) = send_to(&base, "gone@example.com", "eml_1");
        assert_eq!(status, 200);

        let event = got.recv_timeout(WAIT).expect("a bounce event");
        event.assert_signed();
        let v = event.event();
        assert_eq!(v["type"], "email.bounced");
        assert_eq!(v["data"]["email_id"], id.as_str());
        assert_eq!(v["data"]["to"], json!(["gone@example.com"]));
        assert_eq!(v["data"]["bounce"]["type"], "Permanent");
        assert_eq!(v["data"]["tags"]["settle_email_id"], "eml_1");

        // The same send again is answered from the cache and reports nothing.
        assert_eq!(send_to(&base, "gone@example.com", "eml_1"), (200, id));
        assert!(got.recv_timeout(Duration::from_millis(1500)).is_err());
    }

    #[test]
    fn a_complaint_follows_delivery_and_refused_events_are_retried() {
        let (hook, got) = receiver(vec![503]);
        let base = sim(Some(&hook));
        call(
            "POST",
            &format!("{base}/__sim/bounce"),
            r#"{"to":"grumpy@example.com","kind":"complaint"}"#,
        );
        let (_, id) = send_to(&base, "grumpy@example.com", "eml_2");
        let seen: Vec<Got> = (0..3).map(|_| got.recv_timeout(WAIT).unwrap()).collect();
        for g in &seen {
            g.assert_signed();
            assert_eq!(g.event()["data"]["email_id"], id.as_str());
        }
        let types: Vec<Value> = seen.iter().map(|g| g.event()["type"].clone()).collect();
        assert_eq!(
            types,
            ["email.delivered", "email.delivered", "email.complained"]
        );
        // The retry is the same message: same svix-id, as Svix does.
        assert_eq!(seen[0].headers["svix-id"], seen[1].headers["svix-id"]);
        assert_ne!(seen[1].headers["svix-id"], seen[2].headers["svix-id"]);
    }

    #[test]
    fn records_bcc_and_headers_and_reports_delivery() {
        let (hook, got) = receiver(vec![]);
        let base = sim(Some(&hook));
        let body = json!({
            "from": "billing@acme.test",
            "to": "ann@example.com",
            "bcc": ["archive@acme.test"],
            "subject": "Invoice 1",
            "html": "<p>hi</p>",
            "headers": {"List-Unsubscribe": "<https://acme.test/u/1>"},
        });
        let (status, _) = call("POST", &format!("{base}/emails"), &body.to_string());
        assert_eq!(status, 200);
        let (_, list) = call("GET", &format!("{base}/api/messages"), "");
        let m = &list["data"][0];
        assert_eq!(m["bcc"], json!(["archive@acme.test"]));
        assert_eq!(
            m["headers"],
            json!({"List-Unsubscribe": "<https://acme.test/u/1>"})
        );
        let page = events::http("GET", &format!("{base}/"), &[], b"", WAIT)
            .unwrap()
            .1;
        assert!(page.contains("archive@acme.test"));
        assert!(page.contains("List-Unsubscribe: &lt;https://acme.test/u/1&gt;"));
        assert_eq!(
            got.recv_timeout(WAIT).unwrap().event()["type"],
            "email.delivered"
        );

        for bad in [
            json!({"headers": ["x"]}),
            json!({"headers": {"X-A": 1}}),
            json!({"bcc": "nobody"}),
        ] {
            let mut b = body.clone();
            b.as_object_mut()
                .unwrap()
                .extend(bad.as_object().unwrap().clone());
            let (status, v) = call("POST", &format!("{base}/emails"), &b.to_string());
            assert_eq!(
                (status, &v["name"]),
                (422, &json!("validation_error")),
                "{bad}"
            );
        }
    }

    #[test]
    fn held_answers_come_late_and_block_nothing() {
        let base = sim(None);
        // More held sends than the server has threads.
        call(
            "POST",
            &format!("{base}/__sim/hold"),
            r#"{"to":"slow@example.com","seconds":2,"count":5}"#,
        );
        let started = Instant::now();
        let sends: Vec<_> = (0..5)
            .map(|i| {
                let base = base.clone();
                std::thread::spawn(move || send_to(&base, "slow@example.com", &format!("k{i}")))
            })
            .collect();
        // Every one is stored at once, and other requests are answered.
        let mut stored = 0;
        while stored < 5 && started.elapsed() < Duration::from_millis(1500) {
            let (_, list) = call("GET", &format!("{base}/api/messages"), "");
            stored = list["data"].as_array().map_or(0, Vec::len);
        }
        assert_eq!(stored, 5);
        assert_eq!(send_to(&base, "quick@example.com", "q").0, 200);
        assert!(started.elapsed() < Duration::from_millis(1900));

        let ids: Vec<(u16, String)> = sends.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(started.elapsed() >= Duration::from_secs(2));
        assert!(
            ids.iter()
                .all(|(status, id)| *status == 200 && !id.is_empty())
        );
        // The retry after a lost answer finds the email already taken.
        let again = Instant::now();
        assert_eq!(send_to(&base, "slow@example.com", "k0"), ids[0]);
        assert!(again.elapsed() < Duration::from_secs(1));
    }
}
