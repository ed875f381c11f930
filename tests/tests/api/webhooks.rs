//! Outgoing webhooks to a receiver on this machine that checks each
//! signature as docs/API.md tells receivers to: an event emitted with its
//! change, a 500 answered and the retry a minute later (demo clock), a
//! receiver that hangs without holding up the others, the delivery log,
//! and resending.

use crate::helpers::{Clock, TestApp, eventually};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// What the receiver got: the event and whether its signature held.
#[derive(Debug, Clone)]
struct Got {
    event: Value,
    event_id_header: String,
    signature_ok: bool,
}

/// A webhook receiver on 127.0.0.1: answers 500 to the first `fail`
/// requests and 200 after, or never answers when `hang`.
struct Receiver {
    url: String,
    secret: Arc<Mutex<String>>,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    fn start(fail: usize, hang: bool) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/settle-events", listener.local_addr().unwrap());
        let secret = Arc::new(Mutex::new(String::new()));
        let got = Arc::new(Mutex::new(Vec::new()));
        let (s, g) = (secret.clone(), got.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    headers.push(line.trim_end().to_owned());
                }
                let header = |name: &str| {
                    headers
                        .iter()
                        .find_map(|h| {
                            let (k, v) = h.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let len: usize = header("content-length").parse().unwrap_or(0);
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let body = String::from_utf8(body).unwrap();
                let ok = verify(&s.lock().unwrap(), &header("settle-signature"), &body);
                let n = {
                    let mut g = g.lock().unwrap();
                    g.push(Got {
                        event: serde_json::from_str(&body).unwrap_or(Value::Null),
                        event_id_header: header("settle-event-id"),
                        signature_ok: ok,
                    });
                    g.len()
                };
                if hang {
                    // Keep the connection open and never answer.
                    held.push(stream);
                    continue;
                }
                let status = if n <= fail {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )
                    .as_bytes(),
                );
            }
        });
        Receiver { url, secret, got }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// The check docs/API.md gives receivers: `t` within five minutes, and
/// `v1` the HMAC-SHA256 of `"{t}.{body}"` under the endpoint's secret.
fn verify(secret: &str, header: &str, body: &str) -> bool {
    let part = |k: &str| {
        header
            .split(',')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .unwrap_or("")
            .to_owned()
    };
    let Ok(t) = part("t").parse::<i64>() else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let Ok(sig) = hex::decode(part("v1")) else {
        return false;
    };
    (now - t).abs() < 300 && mac.verify_slice(&sig).is_ok()
}

fn deliveries(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/webhook-deliveries?{query}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

#[test]
fn events_are_signed_retried_after_a_500_logged_and_resent() {
    let app = TestApp::new();
    let clock = Clock::new(&app);
    let bad = |body: Value| {
        let r = app.post("/api/v1/webhook-endpoints", body);
        (
            r.status,
            r.body["error"]["field"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(
        bad(json!({ "url": "http://hooks.example.com/x" })),
        (422, "url".into())
    );
    assert_eq!(
        bad(json!({ "url": "https://user:pw@hooks.example.com/" })),
        (422, "url".into())
    );
    assert_eq!(
        bad(json!({ "url": "https://hooks.example.com/", "events": ["invoice.eaten"] })),
        (422, "events[0]".into())
    );

    let rx = Receiver::start(1, false);
    let r = app.post(
        "/api/v1/webhook-endpoints",
        json!({ "url": rx.url, "events": ["invoice.created", "invoice.paid"], "description": "ERP" }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    *rx.secret.lock().unwrap() = secret;
    let endpoint = r.body["id"].as_str().unwrap().to_owned();
    // A receiver that never answers, for every event.
    let hanging = Receiver::start(0, true);
    let r = app.post("/api/v1/webhook-endpoints", json!({ "url": hanging.url }));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["events"], json!(["*"]));

    let c = app.create_customer("Hook");
    let inv = app.create_invoice(c["id"].as_str().unwrap());
    let id = inv["id"].as_str().unwrap();
    // The first attempt is answered 500 and logged; the next is a minute on.
    eventually(30, "the first attempt", || {
        deliveries(&app, &format!("endpoint_id={endpoint}"))
            .first()
            .is_some_and(|d| d["status"] == "retrying")
    });
    let d = &deliveries(&app, &format!("endpoint_id={endpoint}"))[0];
    assert_eq!(
        (
            d["event_type"].as_str(),
            d["attempts"].as_i64(),
            d["last_status"].as_i64()
        ),
        (Some("invoice.created"), Some(1), Some(500))
    );
    assert_eq!(d["log"][0]["status"], 500);
    let got = rx.got();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok, "the signature checks out");
    let ev = &got[0].event;
    assert_eq!(
        (ev["type"].as_str(), ev["data"]["object"]["id"].as_str()),
        (Some("invoice.created"), Some(id))
    );
    assert_eq!(ev["id"].as_str(), Some(got[0].event_id_header.as_str()));
    assert_eq!(ev["organization_id"].as_str(), Some(app.org_id.as_str()));

    clock.call("clock", Some(json!({ "advance_seconds": 61 })));
    clock.call("cron", Some(json!({})));
    eventually(30, "the retry", || {
        deliveries(&app, &format!("endpoint_id={endpoint}"))[0]["status"] == "delivered"
    });
    let got = rx.got();
    assert_eq!(got.len(), 2);
    assert!(got[1].signature_ok);
    assert_eq!(
        got[1].event["id"], got[0].event["id"],
        "the same event, again"
    );
    let d = &deliveries(&app, &format!("endpoint_id={endpoint}"))[0];
    assert_eq!(d["log"].as_array().unwrap().len(), 2);
    assert_eq!(d["log"][1]["status"], 200);

    // Paying it in full emits invoice.paid, delivered at once.
    let total = inv["total"].as_i64().unwrap();
    let r = app.post(
        &format!("/api/v1/invoices/{id}/payments"),
        json!({ "amount": total, "currency": inv["currency"], "method": "bank_transfer" }),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    eventually(30, "invoice.paid", || {
        rx.got().iter().any(|g| g.event["type"] == "invoice.paid")
    });
    let paid = rx
        .got()
        .into_iter()
        .find(|g| g.event["type"] == "invoice.paid")
        .unwrap();
    assert!(paid.signature_ok);
    assert_eq!(paid.event["data"]["object"]["id"].as_str(), Some(id));

    // The hanging receiver got its events and held nothing up: its
    // deliveries wait for their retry with the time-out as the reason.
    eventually(60, "the hanging receiver's time-out", || {
        deliveries(&app, "status=retrying").iter().any(|d| {
            d["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("no answer"))
        })
    });
    assert!(!hanging.got().is_empty());

    // Resending a delivered event sends it once more.
    let delivered = deliveries(
        &app,
        &format!("endpoint_id={endpoint}&event_type=invoice.created"),
    );
    let r = app.post(
        &format!(
            "/api/v1/webhook-deliveries/{}/resend",
            delivered[0]["id"].as_str().unwrap()
        ),
        json!({}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    eventually(30, "the resend", || {
        rx.got()
            .iter()
            .filter(|g| g.event["type"] == "invoice.created")
            .count()
            == 3
    });
    // Deleting an endpoint stops it; its pending deliveries are given up.
    let r = app.delete(&format!("/api/v1/webhook-endpoints/{endpoint}"));
    assert_eq!((r.status, r.body["enabled"].as_bool()), (200, Some(false)));
    let r = app.post(
        &format!(
            "/api/v1/webhook-deliveries/{}/resend",
            delivered[0]["id"].as_str().unwrap()
        ),
        json!({}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
}
