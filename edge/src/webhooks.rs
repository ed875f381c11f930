//! Outgoing webhooks, the rules: which events exist, the envelope, the
//! signature, endpoint addresses, and when a failed delivery is tried again.
//!
//! The worker (`worker::api::webhooks`) stores events and deliveries and
//! sends them from a queue of their own; everything it decides comes from
//! here.

use crate::security::hmac_sha256;
use serde::Serialize;
use settle_shared::text::FieldError;

/// The event types an endpoint may subscribe to.
pub const EVENT_TYPES: [&str; 9] = settle_shared::api::WEBHOOK_EVENT_TYPES;

/// The envelope's version, sent with every event.
pub const API_VERSION: &str = "2026-12-06";

/// Endpoints one organization may register.
pub const MAX_ENDPOINTS: usize = 16;

/// A delivery is given up this long after its event.
pub const GIVE_UP_AFTER_MS: i64 = 3 * 86_400 * 1000;

/// Seconds after each failed attempt before the next: quickly at first,
/// then every 12 hours, until [`GIVE_UP_AFTER_MS`].
const BACKOFF_SECS: [i64; 8] = [60, 300, 1_800, 7_200, 18_000, 36_000, 43_200, 43_200];

/// What is sent: `{"id", "type", "created", "organization_id",
/// "api_version", "data": {"object": …}}`.
#[derive(Debug, Serialize)]
pub struct Envelope<'a, T: Serialize> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// RFC 3339, UTC.
    pub created: &'a str,
    pub organization_id: &'a str,
    pub api_version: &'a str,
    pub data: Data<T>,
}

#[derive(Debug, Serialize)]
pub struct Data<T: Serialize> {
    pub object: T,
}

/// The `Settle-Signature` header: `t=<unix seconds>,v1=<hex>`, where the
/// hex is HMAC-SHA256 under the endpoint's secret of `"<t>.<body>"`.
pub fn signature_header(secret: &str, unix_secs: i64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{unix_secs}.{body}").as_bytes());
    format!("t={unix_secs},v1={}", hex::encode(mac))
}

/// When to try a delivery again after its `attempts`-th failure at
/// `now_ms`, for an event made at `created_ms`; `None`: give up.
pub fn next_attempt(created_ms: i64, attempts: u32, now_ms: i64) -> Option<i64> {
    let n = (attempts.max(1) as usize - 1).min(BACKOFF_SECS.len() - 1);
    let at = now_ms + BACKOFF_SECS[n] * 1000;
    (at <= created_ms + GIVE_UP_AFTER_MS).then_some(at)
}

/// An endpoint's signing secret, `whsec_…`: derived from the deployment's
/// `TOKEN_SECRET`, the endpoint and its secret's version (a rotation bumps
/// it), so no secret is stored and an admin can read it again.
pub fn endpoint_secret(token_secret: &str, endpoint_id: &str, version: i64) -> String {
    use base64::Engine;
    let mac = hmac_sha256(
        token_secret.as_bytes(),
        format!("webhook-endpoint:{endpoint_id}:{version}").as_bytes(),
    );
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    )
}

/// Whether a delivery's answer counts as received.
pub fn delivered(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Checks an endpoint's address: `https://` with a host, no user or
/// password, at most 2,000 characters. `allow_local_http` (development and
/// tests) also lets `http://127.0.0.1:<port>` and `http://localhost:<port>`.
pub fn endpoint_url(
    field: &str,
    value: &str,
    allow_local_http: bool,
) -> Result<String, FieldError> {
    let v = value.trim();
    let bad = || {
        FieldError::invalid(
            field,
            "must be an https:// address such as https://example.com/settle-events",
        )
    };
    if v.len() > 2_000 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let rest = if let Some(r) = v.strip_prefix("https://") {
        r
    } else if let Some(r) = v.strip_prefix("http://")
        && allow_local_http
        && (r.starts_with("127.0.0.1:") || r.starts_with("localhost:"))
    {
        r
    } else {
        return Err(bad());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') || host.starts_with(':') {
        return Err(bad());
    }
    Ok(v.to_owned())
}

/// Checks the event types an endpoint subscribes to: `["*"]` (all, also
/// those added later) or known types; the list as stored.
pub fn event_list(field: &str, events: &[String]) -> Result<Vec<String>, FieldError> {
    if events.is_empty() || events.iter().any(|e| e == "*") {
        return Ok(vec!["*".to_owned()]);
    }
    let mut out: Vec<String> = Vec::new();
    for (n, e) in events.iter().enumerate() {
        if !EVENT_TYPES.contains(&e.as_str()) {
            return Err(FieldError::invalid(
                format!("{field}[{n}]"),
                format!("`{e}` is not an event type; see docs/API.md for the list"),
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

/// The events a change of the books emits: `invoice.paid` when an invoice
/// becomes paid, `invoice.voided` when it is voided, `payment.refunded` for
/// each refund row; each with its object.
pub fn from_ledger(e: &crate::ledger::Effects) -> Vec<(&'static str, serde_json::Value)> {
    use crate::ledger::Kind;
    use settle_shared::invoice::InvoiceStatus;
    let mut out = Vec::new();
    for u in &e.invoices {
        if u.status == InvoiceStatus::Paid && u.was != InvoiceStatus::Paid {
            out.push((
                "invoice.paid",
                serde_json::json!({ "id": u.invoice_id, "status": "paid", "amount_paid": u.amount_paid }),
            ));
        }
        if u.voided {
            out.push((
                "invoice.voided",
                serde_json::json!({ "id": u.invoice_id, "status": "void", "amount_paid": u.amount_paid }),
            ));
        }
    }
    for r in e.rows.iter().filter(|r| r.kind == Kind::Refund) {
        out.push((
            "payment.refunded",
            serde_json::json!({ "invoice_id": r.invoice_id, "amount": r.amount, "currency": r.currency,
                                "reference": r.reference, "received_on": r.received_on }),
        ));
    }
    out
}

/// Whether an endpoint subscribed to `events` receives `kind`.
pub fn wants(events: &[String], kind: &str) -> bool {
    events.iter().any(|e| e == "*" || e == kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_signature_is_an_hmac_of_the_time_and_the_body() {
        // The same vector as docs/API.md's verification snippet.
        let h = signature_header("whsec_test", 1_765_000_000, r#"{"id":"evt_1"}"#);
        assert!(h.starts_with("t=1765000000,v1="));
        let expected = hex::encode(hmac_sha256(b"whsec_test", br#"1765000000.{"id":"evt_1"}"#));
        assert_eq!(h, format!("t=1765000000,v1={expected}"));
        assert_ne!(
            h,
            signature_header("whsec_other", 1_765_000_000, r#"{"id":"evt_1"}"#)
        );
    }

    #[test]
    fn secrets_differ_per_endpoint_and_version() {
        let a = endpoint_secret("s".repeat(32).as_str(), "whe_1", 1);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 43);
        assert_eq!(a, endpoint_secret("s".repeat(32).as_str(), "whe_1", 1));
        assert_ne!(a, endpoint_secret("s".repeat(32).as_str(), "whe_1", 2));
        assert_ne!(a, endpoint_secret("s".repeat(32).as_str(), "whe_2", 1));
    }

    #[test]
    fn addresses_are_https_unless_local_http_is_allowed() {
        assert!(endpoint_url("url", "https://hooks.example.com/settle", false).is_ok());
        for bad in [
            "http://hooks.example.com",
            "ftp://x",
            "https://",
            "https://user:pw@example.com/",
            "https://exa mple.com",
            "http://127.0.0.1:9000/",
        ] {
            assert!(endpoint_url("url", bad, false).is_err(), "{bad}");
        }
        assert!(endpoint_url("url", "http://127.0.0.1:9000/hook", true).is_ok());
        assert!(endpoint_url("url", "http://10.0.0.1:9000/hook", true).is_err());
    }

    #[test]
    fn event_lists_are_known_types_or_everything() {
        assert_eq!(event_list("events", &[]).unwrap(), ["*"]);
        let l = event_list("events", &["invoice.paid".into(), "invoice.paid".into()]).unwrap();
        assert_eq!(l, ["invoice.paid"]);
        assert_eq!(
            event_list("events", &["invoice.eaten".into()])
                .unwrap_err()
                .field,
            "events[0]"
        );
        assert!(wants(&l, "invoice.paid") && !wants(&l, "invoice.created"));
        assert!(wants(&["*".into()], "promise.broken"));
    }

    #[test]
    fn retries_back_off_and_stop_after_three_days() {
        let t0 = 1_000_000_000;
        assert_eq!(next_attempt(t0, 1, t0), Some(t0 + 60_000));
        assert_eq!(next_attempt(t0, 2, t0 + 60_000), Some(t0 + 360_000));
        let mut now = t0;
        let mut n = 1;
        while let Some(at) = next_attempt(t0, n, now) {
            now = at;
            n += 1;
        }
        // Tried for close to three days, about a dozen times.
        assert!(now > t0 + GIVE_UP_AFTER_MS - 43_200_000 && now <= t0 + GIVE_UP_AFTER_MS);
        assert!((8..=14).contains(&n), "{n} attempts");
        assert!(delivered(204) && !delivered(301) && !delivered(500));
    }

    #[test]
    fn the_books_emit_paid_once_voided_and_refunds() {
        use crate::ledger::{Effects, Kind, Outcome, Row, Update};
        use settle_shared::invoice::InvoiceStatus;
        let update = |was, status, voided| Update {
            invoice_id: "inv_1".into(),
            expected_version: 1,
            amount_paid: 1000,
            status,
            was,
            voided,
        };
        let mut e = Effects::new(Outcome::Applied);
        e.invoices = vec![update(InvoiceStatus::Open, InvoiceStatus::Paid, false)];
        assert_eq!(from_ledger(&e)[0].0, "invoice.paid");
        // Paid already (a second payment on a paid invoice): nothing new.
        e.invoices = vec![update(InvoiceStatus::Paid, InvoiceStatus::Paid, false)];
        assert!(from_ledger(&e).is_empty());
        e.invoices = vec![update(InvoiceStatus::Open, InvoiceStatus::Void, true)];
        assert_eq!(from_ledger(&e)[0].0, "invoice.voided");
        e.invoices.clear();
        e.rows = vec![Row {
            invoice_id: "inv_1".into(),
            external_id: None,
            kind: Kind::Refund,
            method: "stripe".into(),
            amount: 500,
            currency: "EUR".into(),
            reference: Some("ch_1".into()),
            received_on: "2026-12-06".into(),
        }];
        let ev = from_ledger(&e);
        assert_eq!(
            (ev[0].0, ev[0].1["amount"].as_i64()),
            ("payment.refunded", Some(500))
        );
    }

    proptest! {
        #[test]
        fn the_next_attempt_is_later_and_never_past_three_days(created in 0i64..1_000_000_000_000, attempts in 1u32..40, later in 0i64..GIVE_UP_AFTER_MS) {
            let now = created + later;
            if let Some(at) = next_attempt(created, attempts, now) {
                prop_assert!(at > now);
                prop_assert!(at <= created + GIVE_UP_AFTER_MS);
            }
        }
    }
}
