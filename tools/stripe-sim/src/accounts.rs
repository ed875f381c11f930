//! Accounts: which account a key is, and its webhook endpoints.

use super::*;

/// The API key of a request: `Authorization: Bearer sk_…`, or HTTP Basic
/// with the key as the user name (`curl -u sk_test_…:`), as Stripe takes it.
pub(crate) fn api_key(req: &Request) -> Option<String> {
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
pub(crate) fn caller(req: &Request) -> Result<(String, bool), (u16, String)> {
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

/// `GET /v1/account`: the key's account (a restricted key may not read it).
pub(crate) fn account(req: Request, account: &str, restricted: bool) {
    if restricted {
        return stripe_error(
            req,
            403,
            "invalid_request_error",
            "The provided key does not have the required permissions for this endpoint. Having the 'rak_accounts_kyc_basic_read' permission would allow this request to continue.",
            None,
        );
    }
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

/// A webhook endpoint of an account.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) secret: String,
    pub(crate) events: Vec<String>,
    pub(crate) created: i64,
}

impl Endpoint {
    pub(crate) fn view(&self) -> Value {
        json!({ "id": self.id, "object": "webhook_endpoint", "url": self.url, "enabled_events": self.events,
                "status": "enabled", "livemode": false, "created": self.created, "api_version": null })
    }
    pub(crate) fn listens(&self, kind: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == kind)
    }
}

/// `POST /v1/webhook_endpoints`: the answer carries the endpoint's secret.
pub(crate) fn create_endpoint(req: Request, shared: &Shared, account: &str, body: &str) {
    let form = decode_form(body);
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
        .entry(account.to_owned())
        .or_default()
        .push(e.clone());
    drop(st);
    let mut v = e.view();
    v["secret"] = json!(e.secret);
    reply(req, 200, "application/json", v.to_string());
}

/// `GET /v1/webhook_endpoints`
pub(crate) fn list_endpoints(req: Request, shared: &Shared, account: &str) {
    let list: Vec<Value> = shared
        .0
        .lock()
        .expect("state")
        .endpoints
        .get(account)
        .map(|l| l.iter().map(Endpoint::view).collect())
        .unwrap_or_default();
    reply(req, 200, "application/json",
        json!({ "object": "list", "url": "/v1/webhook_endpoints", "has_more": false, "data": list }).to_string());
}

/// `DELETE /v1/webhook_endpoints/{id}`
pub(crate) fn delete_endpoint(req: Request, shared: &Shared, account: &str, id: &str) {
    let mut st = shared.0.lock().expect("state");
    let list = st.endpoints.entry(account.to_owned()).or_default();
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
