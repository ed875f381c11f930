//! Events: built as Stripe builds them and delivered, signed with each
//! endpoint's secret, to the endpoints that listen for them.

use super::*;

/// Where an account's events go: its endpoints, or (the platform account
/// without endpoints) Settle's per-organization path.
#[derive(Clone)]
enum Targets {
    Endpoints(Vec<Endpoint>),
    Platform,
}

/// The PaymentIntent of a session, in `status`.
pub(crate) fn payment_intent(s: &Value, status: &str) -> Value {
    let received = if status == "succeeded" {
        s["amount_total"].clone()
    } else {
        json!(0)
    };
    json!({ "id": s["payment_intent"], "object": "payment_intent", "amount": s["amount_total"], "amount_received": received,
            "currency": s["currency"], "status": status, "metadata": s["x_payment_intent_metadata"] })
}

pub(crate) fn event(kind: &str, object: Value) -> Value {
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
pub(crate) fn deliver(shared: &Shared, session: &Value, mut events: Vec<Value>) {
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
