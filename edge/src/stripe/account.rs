//! An organization's own Stripe account: the rules for the keys it pastes,
//! how they are sealed at rest, and what "check connection" concludes from
//! Stripe's answers. The worker only stores and sends what these decide
//! (`worker::api::stripe_account`).
//!
//! Keys are sealed with AES-256-GCM under a key derived from the Worker
//! secret `ENCRYPTION_KEY`; the organization's id and the field's name are
//! the associated data, so a sealed value copied to another organization or
//! another column does not open.

use crate::outbound::{HttpClient, HttpRequest};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The events Settle acts on; the endpoint at Stripe must send them all.
pub const NEEDED_EVENTS: [&str; 11] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
];

/// Test or live: which of Stripe's two worlds a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Test,
    Live,
}

/// Why a pasted value is not what the field wants; the message says what to
/// paste instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error(
        "This is a publishable key (pk_…), which anyone may see; paste the secret key (sk_…) or a restricted key (rk_…) from Stripe's Developers › API keys."
    )]
    Publishable,
    #[error(
        "This is not a Stripe secret key: it starts with sk_test_, sk_live_, rk_test_ or rk_live_."
    )]
    NotASecretKey,
    #[error(
        "This is not a webhook signing secret: it starts with whsec_ (Stripe › Developers › Webhooks › your endpoint › Signing secret)."
    )]
    NotAWebhookSecret,
    #[error("The value has spaces or line breaks in it; copy it again with Stripe's copy button.")]
    Whitespace,
    #[error("The value is too short to be complete; copy it again with Stripe's copy button.")]
    TooShort,
    #[error("The value is longer than any Stripe key (at most 255 characters).")]
    TooLong,
}

fn shape(value: &str, min: usize) -> Result<(), KeyProblem> {
    if value.chars().any(char::is_whitespace) {
        return Err(KeyProblem::Whitespace);
    }
    if value.len() > 255 {
        return Err(KeyProblem::TooLong);
    }
    if value.len() < min {
        return Err(KeyProblem::TooShort);
    }
    Ok(())
}

/// A secret (`sk_`) or restricted (`rk_`) key, and its mode. Surrounding
/// spaces (a careless copy) are the caller's to trim.
pub fn check_secret_key(key: &str) -> Result<Mode, KeyProblem> {
    if key.starts_with("pk_") {
        return Err(KeyProblem::Publishable);
    }
    let mode = match key.get(..8) {
        Some("sk_test_" | "rk_test_") => Mode::Test,
        Some("sk_live_" | "rk_live_") => Mode::Live,
        _ => return Err(KeyProblem::NotASecretKey),
    };
    shape(key, 8 + 16)?;
    Ok(mode)
}

/// A webhook endpoint's signing secret.
pub fn check_webhook_secret(secret: &str) -> Result<(), KeyProblem> {
    if !secret.starts_with("whsec_") {
        return Err(KeyProblem::NotAWebhookSecret);
    }
    shape(secret, 6 + 16)
}

/// What is shown of a key once it is stored: its last four characters.
pub fn last4(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The AES-256 key for sealing, derived from the Worker secret so that the
/// secret's length and alphabet do not matter.
pub fn sealing_key(worker_secret: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(worker_secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"settle: sealed organization secrets, v1");
    mac.finalize().into_bytes().into()
}

const SEALED_PREFIX: &str = "v1.";

fn associated(organization_id: &str, field: &str) -> String {
    format!("{organization_id}/{field}")
}

/// Seals `plaintext` for one field of one organization, with a fresh
/// 96-bit `nonce`: `v1.` + base64url(nonce ‖ ciphertext ‖ tag).
pub fn seal(
    key: &[u8; 32],
    organization_id: &str,
    field: &str,
    plaintext: &str,
    nonce: [u8; 12],
) -> String {
    let cipher = Aes256Gcm::new(key.into());
    let aad = associated(organization_id, field);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .expect("AES-GCM seals any message under 64 GiB");
    let mut out = nonce.to_vec();
    out.extend(sealed);
    format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
}

/// Opens what [`seal`] made for the same organization and field; `None` for
/// another key, organization or field, or anything tampered with.
pub fn open(key: &[u8; 32], organization_id: &str, field: &str, sealed: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(sealed.strip_prefix(SEALED_PREFIX)?)
        .ok()?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (nonce, body) = bytes.split_at(12);
    let aad = associated(organization_id, field);
    let plain = Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

pub use settle_shared::api::{StripeCheck as CheckReport, StripeProblem as Problem};

fn problem(code: &str, message: impl Into<String>) -> Problem {
    Problem {
        code: code.into(),
        message: message.into(),
    }
}

fn get(base: &str, key: &str, path: &str) -> HttpRequest {
    HttpRequest {
        method: "GET",
        url: format!("{}{path}", base.trim_end_matches('/')),
        headers: vec![
            ("Authorization".into(), format!("Bearer {key}")),
            ("Stripe-Version".into(), "2025-04-30.basil".into()),
        ],
        body: String::new(),
    }
}

fn stripe_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(160).collect())
}

/// Asks Stripe, with `key`, what Settle needs to know: that the key is
/// accepted and may use Checkout (`GET /v1/checkout/sessions?limit=1`), whose
/// account it is (`GET /v1/account`), and whether an enabled endpoint sends
/// the events Settle needs to `webhook_url` (`GET /v1/webhook_endpoints`).
/// Restricted keys may lack the last two permissions: that is said, not
/// failed.
pub async fn check(
    client: &impl HttpClient,
    base: &str,
    key: &str,
    webhook_url: &str,
) -> CheckReport {
    let mut r = CheckReport::default();
    match client
        .send(get(base, key, "/v1/checkout/sessions?limit=1"))
        .await
    {
        Err(e) => {
            r.unreachable = true;
            r.problems.push(problem(
                "stripe_unreachable",
                format!("Stripe could not be reached ({e}); nothing was concluded. Try again in a moment."),
            ));
            return r;
        }
        Ok(a) if a.status == 429 || a.status >= 500 => {
            r.unreachable = true;
            r.problems.push(problem(
                "stripe_unreachable",
                format!(
                    "Stripe answered HTTP {}; nothing was concluded. Try again in a moment.",
                    a.status
                ),
            ));
            return r;
        }
        Ok(a) if a.status == 401 => {
            r.problems.push(problem(
                "key_rejected",
                format!(
                    "Stripe refused the key: {} Paste a current key from Stripe's Developers › API keys.",
                    stripe_message(&a.body)
                ),
            ));
            return r;
        }
        Ok(a) if a.status == 403 => {
            r.problems.push(problem(
                "checkout_not_permitted",
                "The restricted key may not use Checkout Sessions; give it write access to Checkout Sessions and read access to PaymentIntents.",
            ));
            return r;
        }
        Ok(a) if !(200..300).contains(&a.status) => {
            r.problems.push(problem(
                "key_rejected",
                format!(
                    "Stripe answered HTTP {}: {}",
                    a.status,
                    stripe_message(&a.body)
                ),
            ));
            return r;
        }
        Ok(_) => r.ok = true,
    }
    if let Ok(a) = client.send(get(base, key, "/v1/account")).await
        && (200..300).contains(&a.status)
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&a.body)
    {
        r.account_id = v["id"].as_str().map(str::to_owned);
        r.account_name = v["settings"]["dashboard"]["display_name"]
            .as_str()
            .or(v["business_profile"]["name"].as_str())
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
    }
    match client
        .send(get(base, key, "/v1/webhook_endpoints?limit=100"))
        .await
    {
        Ok(a) if (200..300).contains(&a.status) => {
            let endpoints = serde_json::from_str::<serde_json::Value>(&a.body)
                .ok()
                .and_then(|v| v["data"].as_array().cloned())
                .unwrap_or_default();
            let ours: Vec<&serde_json::Value> = endpoints
                .iter()
                .filter(|e| e["url"].as_str() == Some(webhook_url) && e["status"] != "disabled")
                .collect();
            r.endpoint_found = Some(!ours.is_empty());
            if ours.is_empty() {
                r.problems.push(problem(
                    "endpoint_missing",
                    format!("No enabled webhook endpoint at Stripe sends events to {webhook_url}; add one (Developers › Webhooks) and paste its signing secret here. Until then payments are found only by the sweep, every five minutes."),
                ));
            } else {
                let sends = |kind: &str| {
                    ours.iter().any(|e| {
                        e["enabled_events"].as_array().is_some_and(|list| {
                            list.iter().any(|x| x == "*" || x.as_str() == Some(kind))
                        })
                    })
                };
                r.missing_events = NEEDED_EVENTS
                    .iter()
                    .filter(|k| !sends(k))
                    .map(|k| (*k).to_owned())
                    .collect();
                if !r.missing_events.is_empty() {
                    r.problems.push(problem(
                        "events_missing",
                        format!(
                            "The webhook endpoint does not send {}; add them to it at Stripe.",
                            r.missing_events.join(", ")
                        ),
                    ));
                }
            }
        }
        // A restricted key without access to endpoints: not a failure.
        _ => r.endpoint_found = None,
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::HttpResponse;
    use crate::outbound::testing::Scripted;

    #[test]
    fn secret_keys_are_told_apart_from_everything_pasted_by_mistake() {
        assert_eq!(
            check_secret_key("sk_test_51H8abcdefghijklmnop"),
            Ok(Mode::Test)
        );
        assert_eq!(
            check_secret_key("rk_live_51H8abcdefghijklmnop"),
            Ok(Mode::Live)
        );
        assert_eq!(
            check_secret_key("pk_test_51H8abcdefghijklmnop"),
            Err(KeyProblem::Publishable)
        );
        // A Settle API key starts with sk_ too.
        assert_eq!(
            check_secret_key("sk_Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE"),
            Err(KeyProblem::NotASecretKey)
        );
        assert_eq!(
            check_secret_key("whsec_abcdefghijklmnopqrstu"),
            Err(KeyProblem::NotASecretKey)
        );
        assert_eq!(
            check_secret_key("sk_test_51H8abc defghijklmnop"),
            Err(KeyProblem::Whitespace)
        );
        assert_eq!(check_secret_key("sk_test_short"), Err(KeyProblem::TooShort));
        assert_eq!(
            check_secret_key(&format!("sk_test_{}", "a".repeat(300))),
            Err(KeyProblem::TooLong)
        );
        assert_eq!(check_webhook_secret("whsec_abcdefghijklmnopqrstu"), Ok(()));
        assert_eq!(
            check_webhook_secret("sk_test_51H8abcdefghijklmnop"),
            Err(KeyProblem::NotAWebhookSecret)
        );
        assert_eq!(last4("sk_test_51H8abcdefWXYZ"), "WXYZ");
        assert_eq!(last4("ab"), "ab");
    }

    #[test]
    fn sealed_values_open_only_for_their_organization_field_and_key() {
        let key = sealing_key("a worker secret of some length 0123456789");
        let sealed = seal(&key, "org_a", "secret_key", "sk_test_secret", [7; 12]);
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("sk_test_secret"));
        assert_eq!(
            open(&key, "org_a", "secret_key", &sealed).as_deref(),
            Some("sk_test_secret")
        );
        assert_eq!(open(&key, "org_b", "secret_key", &sealed), None);
        assert_eq!(open(&key, "org_a", "webhook_secret", &sealed), None);
        let other = sealing_key("another worker secret of some length 0123");
        assert_eq!(open(&other, "org_a", "secret_key", &sealed), None);
        // A flipped bit anywhere is refused.
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes));
        assert_eq!(open(&key, "org_a", "secret_key", &tampered), None);
        assert_eq!(open(&key, "org_a", "secret_key", "v1.short"), None);
        assert_eq!(open(&key, "org_a", "secret_key", "plain"), None);
        // A fresh nonce gives another sealing of the same value.
        assert_ne!(
            seal(&key, "org_a", "secret_key", "sk_test_secret", [8; 12]),
            sealed
        );
    }

    fn answer(status: u16, body: serde_json::Value) -> Result<HttpResponse, String> {
        Ok(HttpResponse {
            status,
            body: body.to_string(),
        })
    }

    fn run(answers: Vec<Result<HttpResponse, String>>) -> (CheckReport, Vec<HttpRequest>) {
        let client = Scripted::new(answers);
        let report = crate::outbound::testing::ready(check(
            &client,
            "https://api.stripe.com",
            "sk_test_key",
            "https://settle.example/api/stripe/webhook/org_a",
        ));
        (report, client.sent.into_inner())
    }

    #[test]
    fn a_working_key_with_its_endpoint_is_ok_and_names_the_account() {
        let (r, sent) = run(vec![
            answer(200, serde_json::json!({ "object": "list", "data": [] })),
            answer(
                200,
                serde_json::json!({ "id": "acct_1", "settings": { "dashboard": { "display_name": "Globex" } } }),
            ),
            answer(
                200,
                serde_json::json!({ "data": [{ "url": "https://settle.example/api/stripe/webhook/org_a", "status": "enabled", "enabled_events": ["*"] }] }),
            ),
        ]);
        assert!(r.ok && r.problems.is_empty(), "{r:?}");
        assert_eq!(r.account_id.as_deref(), Some("acct_1"));
        assert_eq!(r.account_name.as_deref(), Some("Globex"));
        assert_eq!(r.endpoint_found, Some(true));
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|s| {
            s.headers
                .contains(&("Authorization".into(), "Bearer sk_test_key".into()))
        }));
    }

    #[test]
    fn a_refused_key_stops_the_check() {
        let (r, sent) = run(vec![answer(
            401,
            serde_json::json!({ "error": { "type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_****key" } }),
        )]);
        assert!(!r.ok && !r.unreachable);
        assert_eq!(r.problems[0].code, "key_rejected");
        assert!(r.problems[0].message.contains("Invalid API Key provided"));
        assert_eq!(sent.len(), 1);
    }

    #[test]
    fn an_unreachable_stripe_concludes_nothing() {
        let (r, _) = run(vec![Err("timed out".into())]);
        assert!(!r.ok && r.unreachable);
        let (r, _) = run(vec![answer(503, serde_json::json!({}))]);
        assert!(!r.ok && r.unreachable);
    }

    #[test]
    fn missing_endpoint_or_events_are_said_without_failing_the_key() {
        let (r, _) = run(vec![
            answer(200, serde_json::json!({ "data": [] })),
            answer(
                403,
                serde_json::json!({ "error": { "message": "no permission" } }),
            ),
            answer(
                200,
                serde_json::json!({ "data": [
                    { "url": "https://settle.example/api/stripe/webhook/org_a", "status": "enabled",
                      "enabled_events": ["checkout.session.completed", "payment_intent.succeeded"] },
                    { "url": "https://settle.example/api/stripe/webhook/org_b", "status": "enabled", "enabled_events": ["*"] }
                ] }),
            ),
        ]);
        assert!(r.ok);
        assert_eq!(r.account_id, None);
        assert_eq!(r.endpoint_found, Some(true));
        assert!(r.missing_events.contains(&"charge.refunded".to_owned()));
        assert!(
            !r.missing_events
                .contains(&"payment_intent.succeeded".to_owned())
        );
        assert_eq!(r.problems[0].code, "events_missing");

        let (r, _) = run(vec![
            answer(200, serde_json::json!({ "data": [] })),
            answer(200, serde_json::json!({ "id": "acct_1" })),
            answer(
                200,
                serde_json::json!({ "data": [{ "url": "https://settle.example/api/stripe/webhook/org_a", "status": "disabled", "enabled_events": ["*"] }] }),
            ),
        ]);
        assert!(r.ok);
        assert_eq!(r.endpoint_found, Some(false));
        assert_eq!(r.problems[0].code, "endpoint_missing");

        let (r, _) = run(vec![
            answer(200, serde_json::json!({ "data": [] })),
            answer(200, serde_json::json!({ "id": "acct_1" })),
            answer(
                403,
                serde_json::json!({ "error": { "message": "no permission" } }),
            ),
        ]);
        assert!(r.ok && r.problems.is_empty());
        assert_eq!(r.endpoint_found, None);
    }
}
