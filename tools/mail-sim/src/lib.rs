//! A local stand-in for the email provider.
//!
//! It speaks Resend's `POST /emails` (bearer key, JSON body, `Idempotency-Key`,
//! the same validation errors) and keeps every accepted message in memory, so
//! a developer can read the outbox at `/` and click the links in the emails,
//! and tests can read it as JSON at `/api/messages`. It also fails on demand
//! (`POST /__sim/fail {"count":2,"status":503,"to":"a@b.example"}`: the next
//! two sends to that address, or to anyone without `to`, answer 503) so the
//! product's retries and refusals can be tested.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
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
    pub reply_to: Option<String>,
    pub subject: String,
    pub html: Option<String>,
    pub text: Option<String>,
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
    counter: u64,
}

/// A running stand-in.
pub struct MailSim {
    addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

impl MailSim {
    /// Listens on `127.0.0.1:port` (0 picks a free port).
    pub fn start(port: u16) -> std::io::Result<Self> {
        let server = Server::http(("127.0.0.1", port)).map_err(std::io::Error::other)?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("not an IP listener"))?;
        let server = Arc::new(server);
        let state = Arc::new(Mutex::new(State::default()));
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
    let to: Vec<String> = match v.get("to") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if to.is_empty() || to.len() > 50 || to.iter().any(|t| !t.contains('@')) {
        return resend_error(
            req,
            422,
            "validation_error",
            "The `to` field is missing or invalid.",
        );
    }
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
    let rule = s.fail.iter().position(|(who, n, _)| {
        *n > 0
            && who
                .as_ref()
                .is_none_or(|w| to.iter().any(|t| t.eq_ignore_ascii_case(w)))
    });
    if let Some(i) = rule {
        let status = s.fail[i].2;
        s.fail[i].1 -= 1;
        s.fail.retain(|(_, n, _)| *n > 0);
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
            drop(s);
            return json_reply(req, 200, json!({ "id": id }));
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
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        (now / 1000) as u32,
        s.counter
    );
    let msg = Message {
        id: id.clone(),
        from,
        to,
        reply_to: text_field("reply_to"),
        subject,
        html,
        text,
        tags: v
            .get("tags")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        idempotency_key: key.clone(),
        received_at_ms: now,
    };
    s.messages.push(msg);
    if let Some(k) = key {
        s.seen.insert(k, (v, id.clone()));
    }
    drop(s);
    json_reply(req, 200, json!({ "id": id }));
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn outbox_page(messages: &[Message]) -> String {
    let mut rows = String::new();
    for m in messages.iter().rev() {
        rows.push_str(&format!(
            "<tr><td><a href=\"/messages/{id}\">{subject}</a></td><td>{to}</td><td>{from}</td></tr>",
            id = esc(&m.id),
            subject = esc(&m.subject),
            to = esc(&m.to.join(", ")),
            from = esc(&m.from),
        ));
    }
    if messages.is_empty() {
        rows.push_str("<tr><td colspan=\"3\">No mail yet. Create an invoice with <code>\"send\": true</code>.</td></tr>");
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Local outbox</title><style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse;width:100%}}\
         td,th{{text-align:start;padding:.5rem;border-block-end:1px solid #ddd}}</style></head><body>\
         <h1>Local outbox <small>(mail-sim, {n} messages)</small></h1>\
         <table><thead><tr><th>Subject</th><th>To</th><th>From</th></tr></thead><tbody>{rows}</tbody></table></body></html>",
        n = messages.len()
    )
}

fn message_page(m: &Message) -> String {
    let banner = format!(
        "<div style=\"font:14px system-ui,sans-serif;background:#fffbe6;border-bottom:1px solid #e5d687;padding:8px 12px\">\
         <a href=\"/\">&larr; Outbox</a> · <b>From</b> {} · <b>To</b> {} · <b>Subject</b> {}</div>",
        esc(&m.from),
        esc(&m.to.join(", ")),
        esc(&m.subject)
    );
    let text = m.text.as_deref().map(|t| format!("<hr><h2 style=\"font:600 14px system-ui\">Plain-text part</h2><pre style=\"white-space:pre-wrap;padding:0 12px\">{}</pre>", esc(t))).unwrap_or_default();
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
}
