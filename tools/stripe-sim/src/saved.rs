//! Saved methods and off-session charges: customers, Checkout in `setup`
//! mode (its hosted page saves a test card or IBAN), SetupIntents,
//! PaymentMethods (read, detached) and PaymentIntents created with
//! `off_session=true&confirm=true`, each account seeing only its own.
//!
//! What a saved test card does when it is charged later, as at Stripe:
//! 4242 4242 4242 4242 succeeds; 4000 0000 0000 0341 saves but every charge
//! is declined; 4000 0000 0000 9995 saves and charges fail for insufficient
//! funds; 4000 0027 6000 3184 saves but every charge needs authentication;
//! 4000 0000 0000 0002 is declined when saved. IBAN DE89 3704 0044 0532
//! 0130 00 saves a bank account whose debits settle later, DE62 3704 0044
//! 0532 0130 01 one whose debits fail later.

use super::*;

fn next_id(shared: &Shared, prefix: &str) -> String {
    let mut st = shared.0.lock().expect("state");
    st.counter += 1;
    format!("{prefix}_sim{:06}{:x}", st.counter, now())
}

fn owned_by(shared: &Shared, id: &str, account: &str) -> bool {
    shared
        .0
        .lock()
        .expect("state")
        .owner
        .get(id)
        .map(String::as_str)
        == Some(account)
}

fn collect(params: &[(String, String)], prefix: &str) -> Value {
    let mut m = Map::new();
    for (k, v) in params.iter().filter(|(k, _)| k.starts_with(prefix)) {
        m.insert(k[prefix.len()..].trim_end_matches(']').to_owned(), json!(v));
    }
    Value::Object(m)
}

/// `POST /v1/customers`
pub(crate) fn create_customer(req: Request, shared: &Shared, account: &str, body: &str) {
    let params = decode_form(body);
    idempotent(req, shared, account, body, || {
        for (k, _) in &params {
            let root = k.split('[').next().unwrap_or("");
            if !["email", "name", "metadata", "description"].contains(&root) {
                let e = json!({ "error": { "type": "invalid_request_error", "message": format!("Received unknown parameter: {k}"), "param": k } });
                return (400, e.to_string());
            }
        }
        let id = next_id(shared, "cus");
        let c = json!({ "id": id, "object": "customer", "email": get(&params, "email"), "name": get(&params, "name"),
                        "metadata": collect(&params, "metadata["), "created": now(), "livemode": false });
        let mut st = shared.0.lock().expect("state");
        st.owner.insert(id.clone(), account.to_owned());
        st.customers.insert(id, c.clone());
        (200, c.to_string())
    });
}

/// A Checkout Session in `setup` mode for one of the account's customers.
pub(crate) fn build_setup(
    params: &[(String, String)],
    shared: &Shared,
    addr: SocketAddr,
    account: &str,
) -> Result<Value, (String, String)> {
    let missing = |p: &str| (format!("Missing required param: {p}."), p.to_owned());
    let customer = get(params, "customer").ok_or_else(|| missing("customer"))?;
    if !owned_by(shared, customer, account) {
        return Err((format!("No such customer: '{customer}'"), "customer".into()));
    }
    if params.iter().any(|(k, _)| k.starts_with("line_items")) {
        return Err((
            "You cannot pass `line_items` in `setup` mode.".into(),
            "line_items".into(),
        ));
    }
    let success_url = get(params, "success_url").ok_or_else(|| missing("success_url"))?;
    let mut methods = Vec::new();
    for (k, v) in params
        .iter()
        .filter(|(k, _)| k.starts_with("payment_method_types["))
    {
        if !["card", "sepa_debit"].contains(&v.as_str()) {
            return Err((format!("Invalid payment_method_types: {v}"), k.clone()));
        }
        methods.push(v.clone());
    }
    if methods.is_empty() {
        methods.push("card".into());
    }
    let id = next_id(shared, "cs_test_setup");
    let now = now();
    let session = json!({
        "id": id, "object": "checkout.session", "mode": "setup", "status": "open", "payment_status": "no_payment_required",
        "amount_total": null, "currency": null, "customer": customer, "setup_intent": null, "payment_intent": null,
        "client_reference_id": get(params, "client_reference_id"), "metadata": collect(params, "metadata["),
        "payment_method_types": methods, "success_url": success_url, "cancel_url": get(params, "cancel_url"),
        "expires_at": now + 24 * 3600, "created": now, "livemode": false, "url": format!("http://{addr}/pay/{id}"),
        "x_setup_intent_metadata": collect(params, "setup_intent_data[metadata]["),
    });
    let mut st = shared.0.lock().expect("state");
    st.owner.insert(id.clone(), account.to_owned());
    st.sessions.insert(id, session.clone());
    Ok(session)
}

/// What a test card or IBAN saves: (type, details), or why it is refused.
fn method_for(form: &[(String, String)]) -> Result<(String, Value), &'static str> {
    let digits = |f: &str| -> String {
        get(form, f)
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    };
    if get(form, "method") == Some("sepa_debit") {
        let iban = digits("iban");
        return match iban.as_str() {
            "DE89370400440532013000" | "DE62370400440532013001" => Ok((
                "sepa_debit".into(),
                json!({ "last4": &iban[iban.len() - 4..], "bank_code": "37040044", "country": "DE", "x_iban": iban }),
            )),
            _ => Err("That IBAN is not a test IBAN. Use DE89 3704 0044 0532 0130 00."),
        };
    }
    let card = digits("card");
    match card.as_str() {
        "4242424242424242" | "4000000000000341" | "4000000000009995" | "4000002760003184" => Ok((
            "card".into(),
            json!({ "brand": "visa", "last4": &card[12..], "exp_month": 12, "exp_year": 2034, "funding": "credit", "x_number": card }),
        )),
        "4000000000000002" => Err("Your card was declined."),
        _ => Err("Your card number is invalid. Use a Stripe test card."),
    }
}

/// The hosted page's form for a setup session: saves the method, completes
/// the session and its SetupIntent, and tells the account's endpoints.
pub(crate) fn complete_setup(
    req: Request,
    shared: &Shared,
    mut s: Value,
    form: &[(String, String)],
) {
    let id = s["id"].as_str().unwrap_or_default().to_owned();
    let (kind, details) = match method_for(form) {
        Ok(m) => m,
        Err(problem) => {
            return reply(
                req,
                402,
                "text/html; charset=utf-8",
                hosted::page(&s, Some(problem)),
            );
        }
    };
    let account = shared
        .0
        .lock()
        .expect("state")
        .owner
        .get(&id)
        .cloned()
        .unwrap_or_default();
    let pm_id = next_id(shared, "pm");
    let seti_id = next_id(shared, "seti");
    let customer = s["customer"].clone();
    let mut pm = json!({ "id": pm_id, "object": "payment_method", "type": kind, "customer": customer,
                         "created": now(), "livemode": false, "billing_details": {} });
    pm[kind.as_str()] = details;
    let seti = json!({ "id": seti_id, "object": "setup_intent", "status": "succeeded", "customer": customer,
                       "payment_method": pm_id, "usage": "off_session", "created": now(), "livemode": false,
                       "metadata": s["x_setup_intent_metadata"].clone() });
    s["status"] = json!("complete");
    s["setup_intent"] = json!(seti_id);
    {
        let mut st = shared.0.lock().expect("state");
        for object in [&pm_id, &seti_id] {
            st.owner.insert(object.clone(), account.clone());
        }
        st.methods.insert(pm_id.clone(), pm);
        st.setup_intents.insert(seti_id.clone(), seti.clone());
        st.sessions.insert(id.clone(), s.clone());
    }
    let mut seti_event = seti.clone();
    seti_event["metadata"] = seti["metadata"].clone();
    deliver(
        shared,
        &s,
        vec![
            event("checkout.session.completed", s.clone()),
            event("setup_intent.succeeded", seti_event),
        ],
    );
    let target = s["success_url"]
        .as_str()
        .unwrap_or("/")
        .replace("{CHECKOUT_SESSION_ID}", &id);
    let h = Header::from_bytes("Location", target.as_bytes()).expect("location header");
    let _ = req.respond(Response::empty(303).with_header(h));
}

/// A stored object without the stand-in's own fields (`x_…`).
fn public(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        if let Some(o) = v.as_object_mut() {
            o.retain(|k, _| !k.starts_with("x_"));
            for child in o.values_mut() {
                strip(child);
            }
        }
    }
    strip(&mut v);
    v
}

/// `GET /v1/{payment_intents|setup_intents|payment_methods}/{id}`, a
/// SetupIntent's method expanded with `expand[]=payment_method`.
pub(crate) fn retrieve(
    req: Request,
    shared: &Shared,
    account: &str,
    object: &str,
    id: &str,
    query: &str,
) {
    let st = shared.0.lock().expect("state");
    let mine = st.owner.get(id).map(String::as_str) == Some(account);
    let found = match object {
        "payment_intent" => st.intents.get(id),
        "setup_intent" => st.setup_intents.get(id),
        _ => st.methods.get(id),
    }
    .filter(|_| mine)
    .cloned();
    let expand = decode_form(query)
        .iter()
        .any(|(k, v)| k == "expand[]" && v == "payment_method");
    let found = found.map(|mut v| {
        if expand && let Some(pm) = v["payment_method"].as_str().and_then(|p| st.methods.get(p)) {
            v["payment_method"] = pm.clone();
        }
        v
    });
    drop(st);
    match found {
        Some(v) => reply(req, 200, "application/json", public(v).to_string()),
        None => stripe_error(
            req,
            404,
            "invalid_request_error",
            &format!("No such {object}: '{id}'"),
            Some("id"),
        ),
    }
}

/// `POST /v1/payment_methods/{id}/detach`
pub(crate) fn detach(req: Request, shared: &Shared, account: &str, id: &str) {
    let mut st = shared.0.lock().expect("state");
    let mine = st.owner.get(id).map(String::as_str) == Some(account);
    let Some(pm) = st.methods.get_mut(id).filter(|_| mine) else {
        drop(st);
        return stripe_error(
            req,
            404,
            "invalid_request_error",
            &format!("No such PaymentMethod: '{id}'"),
            Some("payment_method"),
        );
    };
    if pm["customer"].is_null() {
        drop(st);
        return stripe_error(
            req,
            400,
            "invalid_request_error",
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            None,
        );
    }
    pm["customer"] = Value::Null;
    let pm = pm.clone();
    drop(st);
    reply(req, 200, "application/json", public(pm).to_string());
}

const CHARGE_PARAMS: [&str; 9] = [
    "amount",
    "currency",
    "customer",
    "payment_method",
    "payment_method_types",
    "off_session",
    "confirm",
    "description",
    "metadata",
];

/// `POST /v1/payment_intents` with `confirm=true&off_session=true`: the
/// saved method is charged at once, as its test number says.
pub(crate) fn charge(req: Request, shared: &Shared, account: &str, body: &str) {
    let params = decode_form(body);
    let mut events = Vec::new();
    idempotent(req, shared, account, body, || {
        let (status, answer, ev) = make_charge(&params, shared, account);
        events = ev;
        (status, answer)
    });
    // Delivered after the answer went out (or was held), as Stripe sends
    // webhooks on its own schedule.
    for (pi, list) in events {
        deliver(shared, &pi, list);
    }
}

type Events = Vec<(Value, Vec<Value>)>;

fn invalid(message: &str, param: &str) -> (u16, String, Events) {
    let e =
        json!({ "error": { "type": "invalid_request_error", "message": message, "param": param } });
    (400, e.to_string(), Vec::new())
}

fn make_charge(
    params: &[(String, String)],
    shared: &Shared,
    account: &str,
) -> (u16, String, Events) {
    for (k, _) in params {
        let root = k.split('[').next().unwrap_or("");
        if !CHARGE_PARAMS.contains(&root) {
            return invalid(&format!("Received unknown parameter: {k}"), k);
        }
    }
    let amount: i64 = match get(params, "amount").and_then(|a| a.parse().ok()) {
        Some(a) if a >= 50 => a,
        _ => return invalid("Amount must be at least 50 minor units.", "amount"),
    };
    let Some(currency) = get(params, "currency").filter(|c| c.len() == 3) else {
        return invalid("Missing required param: currency.", "currency");
    };
    if get(params, "confirm") != Some("true") || get(params, "off_session") != Some("true") {
        return invalid(
            "The stand-in charges saved methods with confirm=true and off_session=true only.",
            "confirm",
        );
    }
    let customer = get(params, "customer").unwrap_or("");
    let pm_id = get(params, "payment_method").unwrap_or("");
    let pm = {
        let st = shared.0.lock().expect("state");
        let mine = st.owner.get(pm_id).map(String::as_str) == Some(account);
        st.methods.get(pm_id).filter(|_| mine).cloned()
    };
    let Some(pm) = pm else {
        return invalid(
            &format!("No such PaymentMethod: '{pm_id}'"),
            "payment_method",
        );
    };
    if pm["customer"] != customer {
        return invalid(
            &format!(
                "The provided PaymentMethod {pm_id} was previously used without being attached to a Customer or was detached from a Customer, and may not be used again. It does not belong to the Customer {customer}."
            ),
            "payment_method",
        );
    }
    let id = next_id(shared, "pi");
    let mut pi = json!({ "id": id, "object": "payment_intent", "amount": amount, "amount_received": 0, "currency": currency,
                         "customer": customer, "payment_method": pm_id, "status": "processing", "created": now(),
                         "livemode": false, "description": get(params, "description"), "metadata": collect(params, "metadata["),
                         "last_payment_error": null, "latest_charge": null });
    let number = pm["card"]["x_number"].as_str().unwrap_or("").to_owned();
    let iban = pm["sepa_debit"]["x_iban"].as_str().unwrap_or("").to_owned();
    let decline = match number.as_str() {
        "4000000000000341" => Some((
            "card_declined",
            "generic_decline",
            "Your card was declined.",
        )),
        "4000000000009995" => Some((
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        )),
        "4000002760003184" => Some((
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        )),
        _ => None,
    };
    let store = |pi: &Value| {
        let mut st = shared.0.lock().expect("state");
        st.owner.insert(id.clone(), account.to_owned());
        st.intents.insert(id.clone(), pi.clone());
    };
    if let Some((code, decline_code, message)) = decline {
        pi["status"] = json!("requires_payment_method");
        pi["last_payment_error"] = json!({ "type": "card_error", "code": code, "decline_code": decline_code, "message": message });
        store(&pi);
        let e = json!({ "error": { "type": "card_error", "code": code, "decline_code": decline_code, "message": message,
                                    "payment_intent": public(pi.clone()) } });
        let events = vec![(
            pi.clone(),
            vec![event("payment_intent.payment_failed", public(pi))],
        )];
        return (402, e.to_string(), events);
    }
    if !iban.is_empty() {
        // A bank debit: processing now, settled or failed later.
        store(&pi);
        let (shared2, mut later, fails) = (shared.clone(), pi.clone(), iban.ends_with("3001"));
        let delay = if shared.1.debit_delay_ms == 0 {
            3000
        } else {
            shared.1.debit_delay_ms
        };
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay));
            let kind = if fails {
                later["status"] = json!("requires_payment_method");
                later["last_payment_error"] = json!({ "type": "card_error", "code": "insufficient_funds", "message": "The account has insufficient funds to cover this debit." });
                "payment_intent.payment_failed"
            } else {
                later["status"] = json!("succeeded");
                later["amount_received"] = later["amount"].clone();
                "payment_intent.succeeded"
            };
            let id = later["id"].as_str().unwrap_or_default().to_owned();
            shared2
                .0
                .lock()
                .expect("state")
                .intents
                .insert(id, later.clone());
            deliver(&shared2, &later, vec![event(kind, public(later.clone()))]);
        });
        return (
            200,
            public(pi.clone()).to_string(),
            vec![(
                pi.clone(),
                vec![event("payment_intent.processing", public(pi))],
            )],
        );
    }
    pi["status"] = json!("succeeded");
    pi["amount_received"] = json!(amount);
    pi["latest_charge"] = json!(format!("ch_{}", &id[3..]));
    store(&pi);
    let events = vec![(
        pi.clone(),
        vec![event("payment_intent.succeeded", public(pi.clone()))],
    )];
    (200, public(pi).to_string(), events)
}
