//! Checkout Sessions: created (idempotently, unknown parameters refused),
//! read, listed with their PaymentIntents, and expired, each account seeing
//! only its own.

use super::*;

pub(crate) const KNOWN: [&str; 13] = [
    "mode",
    "customer",
    "setup_intent_data",
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

/// Whether `account` created session `id` (another account's session is,
/// as at Stripe, no such session).
pub(crate) fn owned(shared: &Shared, account: &str, id: &str) -> bool {
    shared
        .0
        .lock()
        .expect("state")
        .owner
        .get(id)
        .map(String::as_str)
        == Some(account)
}

pub(crate) fn create_session(
    req: Request,
    shared: &Shared,
    addr: SocketAddr,
    body: &str,
    account: &str,
) {
    let params = decode_form(body);
    idempotent(req, shared, account, body, || {
        match build_session(&params, shared, addr, account) {
            Ok(s) => (200, s.to_string()),
            Err((msg, param)) => (
                400,
                json!({ "error": { "type": "invalid_request_error", "message": msg, "param": param } })
                    .to_string(),
            ),
        }
    });
}

pub(crate) fn build_session(
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
    if mode == "setup" {
        return super::saved::build_setup(params, shared, addr, account);
    }
    if mode != "payment" {
        return Err((
            format!("Invalid mode: {mode}; the stand-in supports payment and setup"),
            "mode".into(),
        ));
    }
    if get(params, "customer").is_some()
        || params
            .iter()
            .any(|(k, _)| k.starts_with("setup_intent_data"))
    {
        return Err((
            "customer and setup_intent_data are taken in setup mode only by the stand-in".into(),
            "customer".into(),
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

/// `POST /v1/checkout/sessions/{id}/expire`
pub(crate) fn expire(req: Request, shared: &Shared, account: &str, id: &str) {
    let owned = owned(shared, account, id);
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

/// `GET /v1/checkout/sessions` and `GET /v1/payment_intents`: newest first,
/// a page at a time.
pub(crate) fn list(req: Request, shared: &Shared, account: &str, list_path: &str, query: &str) {
    let q = decode_form(query);
    let since: i64 = get(&q, "created[gte]")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let limit: usize = get(&q, "limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let st = shared.0.lock().expect("state");
    let stored: Vec<Value> = st
        .intents
        .values()
        .filter(|p| p["created"].as_i64().unwrap_or(0) >= since)
        .filter(|p| {
            p["id"]
                .as_str()
                .and_then(|id| st.owner.get(id))
                .map(String::as_str)
                == Some(account)
        })
        .cloned()
        .collect();
    let sessions: Vec<Value> = st
        .sessions
        .values()
        .filter(|s| s["created"].as_i64().unwrap_or(0) >= since)
        .filter(|s| {
            s["id"]
                .as_str()
                .and_then(|id| st.owner.get(id))
                .map(String::as_str)
                == Some(account)
        })
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
            .chain(stored.into_iter().map(|mut p| {
                if let Some(o) = p.as_object_mut() {
                    o.retain(|k, _| !k.starts_with("x_"));
                }
                p
            }))
            .collect()
    } else {
        sessions
    };
    all.sort_by(|a, b| {
        (b["created"].as_i64(), b["id"].as_str()).cmp(&(a["created"].as_i64(), a["id"].as_str()))
    });
    if let Some(after) = get(&q, "starting_after")
        && let Some(i) = all.iter().position(|s| s["id"] == after)
    {
        all.drain(..=i);
    }
    let has_more = all.len() > limit;
    all.truncate(limit);
    let page = json!({ "object": "list", "url": list_path, "has_more": has_more, "data": all });
    reply(req, 200, "application/json", page.to_string());
}

/// `GET /v1/checkout/sessions/{id}`
pub(crate) fn retrieve(req: Request, shared: &Shared, account: &str, id: &str) {
    let owned = owned(shared, account, id);
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
