//! Stripe's REST API as Settle calls it: form-encoded bodies, the secret key
//! as a bearer token, an `Idempotency-Key` on every POST. Requests are built
//! and answers read here, without a runtime; the worker sends them with
//! `worker::Fetch` (async-stripe's own client does not run in a Worker; see
//! docs/ARCHITECTURE.md).

use crate::outbound::HttpRequest;
use serde::Deserialize;

/// What a new Checkout Session asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckout<'a> {
    pub organization_id: &'a str,
    pub invoice_id: &'a str,
    pub invoice_number: &'a str,
    pub company: &'a str,
    pub customer_email: &'a str,
    /// Minor units, in `currency`.
    pub amount: i64,
    /// Lower-case ISO code, as Stripe wants it.
    pub currency: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    /// Unix seconds: 30 minutes to 24 hours from now.
    pub expires_at: i64,
    /// `card` always; `sepa_debit`, `us_bank_account` when enabled.
    pub payment_method_types: &'a [&'a str],
    pub locale: &'a str,
    /// More invoices paid together with the first one: (id, number, amount).
    /// The session then has a line per invoice and its metadata says how the
    /// payment splits (`settle_allocation`).
    pub also: &'a [(String, String, i64)],
    /// The early-payment discount taken off `amount` (0: none); the ledger
    /// allows it when the payment lands, whenever that is.
    pub discount: i64,
}

/// Percent-encodes a form value (application/x-www-form-urlencoded).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Stripe's Checkout locales are a fixed list; others fall back to `auto`.
pub fn checkout_locale(locale: &str) -> &'static str {
    match locale.split('-').next().unwrap_or("") {
        "fr" => "fr",
        "en" => "en",
        "de" => "de",
        "es" => "es",
        "it" => "it",
        _ => "auto",
    }
}

/// `POST /v1/checkout/sessions` in mode `payment` for one invoice.
pub fn create_checkout(
    base: &str,
    secret_key: &str,
    idempotency_key: &str,
    c: &NewCheckout<'_>,
) -> HttpRequest {
    let s = |v: &str| v.to_owned();
    let mut pairs: Vec<(String, String)> = vec![
        (s("mode"), s("payment")),
        (s("success_url"), s(c.success_url)),
        (s("cancel_url"), s(c.cancel_url)),
        (s("client_reference_id"), s(c.invoice_id)),
        (s("customer_email"), s(c.customer_email)),
        (s("expires_at"), c.expires_at.to_string()),
        (s("locale"), s(checkout_locale(c.locale))),
        (s("metadata[settle_organization_id]"), s(c.organization_id)),
        (s("metadata[settle_invoice_id]"), s(c.invoice_id)),
        (
            s("payment_intent_data[metadata][settle_organization_id]"),
            s(c.organization_id),
        ),
        (
            s("payment_intent_data[metadata][settle_invoice_id]"),
            s(c.invoice_id),
        ),
    ];
    let first_amount = c.amount - c.also.iter().map(|(_, _, a)| a).sum::<i64>();
    let items = std::iter::once((c.invoice_id, c.invoice_number, first_amount))
        .chain(c.also.iter().map(|(i, n, a)| (i.as_str(), n.as_str(), *a)));
    let mut allocation = Vec::new();
    for (i, (id, number, amount)) in items.enumerate() {
        pairs.push((format!("line_items[{i}][quantity]"), s("1")));
        pairs.push((
            format!("line_items[{i}][price_data][currency]"),
            s(c.currency),
        ));
        pairs.push((
            format!("line_items[{i}][price_data][unit_amount]"),
            amount.to_string(),
        ));
        pairs.push((
            format!("line_items[{i}][price_data][product_data][name]"),
            format!("Invoice {number} — {}", c.company),
        ));
        allocation.push(format!("{id}:{amount}"));
    }
    if c.discount > 0 {
        pairs.push((s("metadata[settle_discount]"), c.discount.to_string()));
        pairs.push((
            s("payment_intent_data[metadata][settle_discount]"),
            c.discount.to_string(),
        ));
    }
    if !c.also.is_empty() {
        pairs.push((s("metadata[settle_allocation]"), allocation.join(",")));
        pairs.push((
            s("payment_intent_data[metadata][settle_allocation]"),
            allocation.join(","),
        ));
    }
    for (i, t) in c.payment_method_types.iter().enumerate() {
        pairs.push((format!("payment_method_types[{i}]"), s(t)));
    }
    post(
        base,
        secret_key,
        "/v1/checkout/sessions",
        idempotency_key,
        &pairs,
    )
}

/// The parts of a Checkout Session Settle keeps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedCheckout {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub expires_at: i64,
}

/// Why Stripe did not give a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// Worth trying again: no answer, 429, 5xx.
    #[error("Stripe is unavailable: {0}")]
    Unavailable(String),
    /// Stripe refused the request.
    #[error("Stripe refused the request: {0}")]
    Refused(String),
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorInner,
}

#[derive(Deserialize)]
struct ErrorInner {
    #[serde(default)]
    message: String,
    #[serde(rename = "type", default)]
    kind: String,
}

/// Reads the answer to [`create_checkout`].
pub fn read_checkout(status: u16, body: &str) -> Result<CreatedCheckout, StripeError> {
    let message = || match serde_json::from_str::<ErrorEnvelope>(body) {
        Ok(e) => format!("{} ({})", e.error.message, e.error.kind),
        Err(_) => body.chars().take(200).collect(),
    };
    match status {
        200..=299 => serde_json::from_str(body)
            .map_err(|e| StripeError::Unavailable(format!("unreadable session: {e}"))),
        429 | 500..=599 => Err(StripeError::Unavailable(format!(
            "HTTP {status}: {}",
            message()
        ))),
        // Stripe's idempotency errors mean a concurrent or changed retry.
        409 => Err(StripeError::Unavailable(format!("HTTP 409: {}", message()))),
        _ => Err(StripeError::Refused(format!(
            "HTTP {status}: {}",
            message()
        ))),
    }
}

/// Settle's Stripe API version, sent with every request.
const VERSION: &str = "2025-04-30.basil";

/// `POST {path}` with a form body, the key, an `Idempotency-Key` and
/// Settle's API version.
pub fn post(
    base: &str,
    secret_key: &str,
    path: &str,
    idempotency_key: &str,
    pairs: &[(String, String)],
) -> HttpRequest {
    HttpRequest {
        method: "POST",
        url: format!("{}{path}", base.trim_end_matches('/')),
        headers: vec![
            ("Authorization".into(), format!("Bearer {secret_key}")),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("Idempotency-Key".into(), idempotency_key.to_owned()),
            ("Stripe-Version".into(), VERSION.into()),
        ],
        body: form(pairs),
    }
}

/// `GET {path}` (path and query) with the key and Settle's API version.
pub fn get(base: &str, secret_key: &str, path: &str) -> HttpRequest {
    HttpRequest {
        method: "GET",
        url: format!("{}{path}", base.trim_end_matches('/')),
        headers: vec![
            ("Authorization".into(), format!("Bearer {secret_key}")),
            ("Stripe-Version".into(), VERSION.into()),
        ],
        body: String::new(),
    }
}

/// `GET /v1/checkout/sessions/{id}`
pub fn get_checkout(base: &str, secret_key: &str, id: &str) -> HttpRequest {
    get(
        base,
        secret_key,
        &format!("/v1/checkout/sessions/{}", encode(id)),
    )
}

/// `POST /v1/checkout/sessions/{id}/expire`: closes an open session so it
/// can no longer be paid.
pub fn expire_checkout(base: &str, secret_key: &str, id: &str) -> HttpRequest {
    post(
        base,
        secret_key,
        &format!("/v1/checkout/sessions/{}/expire", encode(id)),
        &format!("settle-expire-{id}"),
        &[],
    )
}

/// What the reconciliation sweep lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    CheckoutSessions,
    PaymentIntents,
}

impl Listed {
    fn path(self) -> &'static str {
        match self {
            Listed::CheckoutSessions => "/v1/checkout/sessions",
            Listed::PaymentIntents => "/v1/payment_intents",
        }
    }
}

/// `GET /v1/{checkout/sessions|payment_intents}?created[gte]=…&limit=100[&starting_after=…]`:
/// what was created since a time, newest first, a page at a time.
pub fn list(
    base: &str,
    secret_key: &str,
    what: Listed,
    created_gte: i64,
    starting_after: Option<&str>,
) -> HttpRequest {
    let mut path = format!(
        "{}?limit=100&{}={created_gte}",
        what.path(),
        encode("created[gte]")
    );
    if let Some(after) = starting_after {
        path.push_str(&format!("&starting_after={}", encode(after)));
    }
    get(base, secret_key, &path)
}

#[derive(Deserialize)]
struct Page {
    data: Vec<serde_json::Value>,
    #[serde(default)]
    has_more: bool,
}

/// Reads a list page: its objects and whether more follow.
pub fn read_list(status: u16, body: &str) -> Result<(Vec<serde_json::Value>, bool), StripeError> {
    match status {
        200..=299 => serde_json::from_str::<Page>(body)
            .map(|p| (p.data, p.has_more))
            .map_err(|e| StripeError::Unavailable(format!("unreadable list: {e}"))),
        429 | 500..=599 => Err(StripeError::Unavailable(format!("HTTP {status}"))),
        _ => Err(StripeError::Refused(format!(
            "HTTP {status}: {}",
            body.chars().take(200).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout() -> NewCheckout<'static> {
        NewCheckout {
            organization_id: "org_1",
            invoice_id: "inv_1",
            invoice_number: "NW-1",
            company: "Acme & Co",
            customer_email: "ann+bills@example.com",
            amount: 9_500,
            currency: "eur",
            success_url: "http://127.0.0.1:8787/invoices/inv_1?checkout={CHECKOUT_SESSION_ID}",
            cancel_url: "http://127.0.0.1:8787/invoices/inv_1?cancelled=1",
            expires_at: 1_800_000_000,
            payment_method_types: &["card", "sepa_debit"],
            locale: "fr-FR",
            also: &[],
            discount: 0,
        }
    }

    #[test]
    fn builds_a_form_encoded_checkout() {
        let r = create_checkout(
            "https://api.stripe.com/",
            "sk_test_x",
            "settle-co-1",
            &checkout(),
        );
        assert_eq!(r.url, "https://api.stripe.com/v1/checkout/sessions");
        assert!(
            r.headers
                .contains(&("Idempotency-Key".into(), "settle-co-1".into()))
        );
        for part in [
            "mode=payment",
            "line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=9500",
            "line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=eur",
            "customer_email=ann%2Bbills%40example.com",
            "metadata%5Bsettle_invoice_id%5D=inv_1",
            "payment_method_types%5B1%5D=sepa_debit",
            "success_url=http%3A%2F%2F127.0.0.1%3A8787%2Finvoices%2Finv_1%3Fcheckout%3D%7BCHECKOUT_SESSION_ID%7D",
            "locale=fr",
        ] {
            assert!(r.body.split('&').any(|p| p == part), "{part} in {}", r.body);
        }
    }

    #[test]
    fn several_invoices_have_a_line_each_and_an_allocation() {
        let also = [("inv_2".to_owned(), "NW-2".to_owned(), 500)];
        let mut c = checkout();
        c.amount = 10_000;
        c.also = &also;
        let r = create_checkout("https://api.stripe.com", "sk_x", "k", &c);
        for part in [
            "line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=9500",
            "line_items%5B1%5D%5Bprice_data%5D%5Bunit_amount%5D=500",
            "metadata%5Bsettle_allocation%5D=inv_1%3A9500%2Cinv_2%3A500",
        ] {
            assert!(r.body.split('&').any(|p| p == part), "{part} in {}", r.body);
        }
    }

    /// Every parameter Settle sends to create a Checkout Session exists in
    /// Stripe's API description, with an allowed value, and every required
    /// one is sent.
    #[test]
    fn every_parameter_sent_is_in_stripes_description() {
        let also = [("inv_2".to_owned(), "NW-2".to_owned(), 500)];
        let mut c = checkout();
        c.amount = 10_000;
        c.also = &also;
        let methods = ["card", "sepa_debit", "us_bank_account"];
        c.payment_method_types = &methods;
        let r = create_checkout("https://api.stripe.com", "sk_x", "k", &c);
        crate::stripe::conformance::check("/v1/checkout/sessions", &r.body);
    }
    #[test]
    fn lists_pages() {
        let r = list(
            "https://api.stripe.com",
            "sk_x",
            Listed::CheckoutSessions,
            1_700_000_000,
            Some("cs_9"),
        );
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.url,
            "https://api.stripe.com/v1/checkout/sessions?limit=100&created%5Bgte%5D=1700000000&starting_after=cs_9"
        );
        let (data, more) = read_list(
            200,
            r#"{"object":"list","data":[{"id":"cs_1"}],"has_more":true}"#,
        )
        .unwrap();
        assert!(
            list("https://x", "sk", Listed::PaymentIntents, 1, None)
                .url
                .starts_with("https://x/v1/payment_intents?limit=100")
        );
        assert_eq!((data.len(), more), (1, true));
    }

    #[test]
    fn reads_answers_and_errors() {
        let ok = read_checkout(
            200,
            r#"{"id":"cs_1","url":"https://checkout.stripe.com/c/pay/cs_1","expires_at":1800000000,"object":"checkout.session"}"#,
        );
        assert_eq!(ok.unwrap().id, "cs_1");
        assert!(matches!(
            read_checkout(500, "oops"),
            Err(StripeError::Unavailable(_))
        ));
        assert!(matches!(
            read_checkout(429, "{}"),
            Err(StripeError::Unavailable(_))
        ));
        let refused = read_checkout(
            400,
            r#"{"error":{"type":"invalid_request_error","message":"Missing required param: mode."}}"#,
        );
        assert!(
            matches!(refused, Err(StripeError::Refused(m)) if m.contains("Missing required param"))
        );
    }
}
