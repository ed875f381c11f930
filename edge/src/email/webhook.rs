//! Delivery events from the email provider: Resend's webhooks, which Resend
//! signs with Svix.
//!
//! A delivery carries `svix-id`, `svix-timestamp` (unix seconds) and
//! `svix-signature` (space-separated `v1,<base64>` entries, more than one
//! while a secret is being rotated). The signature is HMAC-SHA256 over
//! `"{id}.{timestamp}.{raw body}"` keyed with the base64 part of the
//! `whsec_…` secret. [`verify`] checks that over the raw bytes before
//! anything reads them; [`parse`] then reads the event, leniently, because
//! the provider adds fields and event types over time.

use crate::security::constant_time_eq;
use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Deliveries signed more than this many seconds from now, either way, are
/// refused: Svix's own default, and enough for clock skew.
pub const TOLERANCE_SECS: i64 = 300;

/// The prefix of a signing secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Standard base64 that encodes with padding and decodes with or without it.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a delivery is refused or cannot be read. Each has its own reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The named header is absent or blank.
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("the svix-timestamp header is not a number of seconds")]
    BadTimestamp,
    #[error("the delivery was signed more than {TOLERANCE_SECS} s ago")]
    TooOld,
    #[error("the delivery was signed more than {TOLERANCE_SECS} s in the future")]
    TooNew,
    #[error("the svix-signature header has no v1 signature")]
    NoV1Signature,
    #[error("no v1 signature matches the body")]
    Mismatch,
    /// Our configuration, not the sender: the secret is not `whsec_` + base64.
    #[error("the signing secret is not `whsec_` followed by base64")]
    BadSecret,
    /// A verified body that is not a delivery event.
    #[error("the event cannot be read: {0}")]
    BadPayload(String),
}

impl WebhookError {
    /// A stable code for logs and the error body.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::MissingHeader(_) => "missing_header",
            WebhookError::BadTimestamp => "bad_timestamp",
            WebhookError::TooOld => "timestamp_too_old",
            WebhookError::TooNew => "timestamp_too_new",
            WebhookError::NoV1Signature => "no_v1_signature",
            WebhookError::Mismatch => "signature_mismatch",
            WebhookError::BadSecret => "bad_secret",
            WebhookError::BadPayload(_) => "bad_payload",
        }
    }
}

/// The HMAC key inside a `whsec_…` secret.
fn key(secret: &str) -> Result<Vec<u8>, WebhookError> {
    secret
        .trim()
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b| B64.decode(b).ok())
        .filter(|k| !k.is_empty())
        .ok_or(WebhookError::BadSecret)
}

/// Whether `secret` is a usable signing secret: `whsec_` + non-empty base64.
pub fn is_valid_secret(secret: &str) -> bool {
    key(secret).is_ok()
}

fn mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The `svix-signature` value for `body` sent as message `id` at `timestamp`:
/// `v1,<base64>`, what the provider (or the local stand-in) sends.
///
/// # Panics
/// If `secret` is not a valid signing secret; check configuration with
/// [`is_valid_secret`] first.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = key(secret).expect("a `whsec_` signing secret");
    let sig = mac(&key, id, &timestamp.to_string(), body);
    format!("v1,{}", B64.encode(sig))
}

/// Verifies a delivery from its three headers and raw body, at `now_secs`.
pub fn verify(
    secret: &str,
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), WebhookError> {
    let key = key(secret)?;
    fn present<'a>(v: Option<&'a str>, name: &'static str) -> Result<&'a str, WebhookError> {
        v.map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(WebhookError::MissingHeader(name))
    }
    let id = present(id, "svix-id")?;
    let timestamp = present(timestamp, "svix-timestamp")?;
    let signature = present(signature, "svix-signature")?;
    let signed_at: i64 = timestamp.parse().map_err(|_| WebhookError::BadTimestamp)?;
    if now_secs.saturating_sub(signed_at) > TOLERANCE_SECS {
        return Err(WebhookError::TooOld);
    }
    if signed_at.saturating_sub(now_secs) > TOLERANCE_SECS {
        return Err(WebhookError::TooNew);
    }
    let candidates: Vec<&str> = signature
        .split_whitespace()
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .map(|(_, sig)| sig)
        .collect();
    if candidates.is_empty() {
        return Err(WebhookError::NoV1Signature);
    }
    let expected = mac(&key, id, timestamp, body);
    // Check every entry, without stopping early, so timing says nothing.
    let matched = candidates.iter().fold(false, |found, candidate| {
        let bytes = B64.decode(candidate).unwrap_or_default();
        found | constant_time_eq(&bytes, &expected)
    });
    if matched {
        Ok(())
    } else {
        Err(WebhookError::Mismatch)
    }
}

/// What happened to an email, as the provider tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryKind {
    /// The recipient's server took it (`email.delivered`).
    Delivered,
    /// The recipient's server refused it (`email.bounced`). Only a permanent
    /// bounce says the address is bad.
    Bounced { permanent: bool },
    /// The recipient marked it as spam (`email.complained`).
    Complained,
    /// Delivery is being retried by the provider (`email.delivery_delayed`).
    DeliveryDelayed,
    /// Any other event type, named as sent (`email.opened`, `contact.created`…).
    Other(String),
}

/// A delivery event, read from a verified body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryEvent {
    /// Our email id, from the `settle_email_id` tag, when the provider echoes
    /// it: it matches an email whose send answer was lost.
    pub id_hint: Option<String>,
    pub kind: DeliveryKind,
    /// The provider's message id (`data.email_id`), as answered to the send.
    /// Empty only for [`DeliveryKind::Other`] events that concern no email.
    pub provider_id: String,
    pub to: Vec<String>,
    /// When the event happened (RFC 3339, as the provider wrote it).
    pub occurred_at: String,
    /// What the provider said, for people: the bounce message and its type.
    pub detail: String,
}

/// The tag that carries our email id (see [`super::resend`]).
const EMAIL_ID_TAG: &str = "settle_email_id";

/// Reads a delivery event. Verify the body with [`verify`] first.
pub fn parse(body: &[u8]) -> Result<DeliveryEvent, WebhookError> {
    let bad = |why: &str| WebhookError::BadPayload(why.to_owned());
    let v: Value = serde_json::from_slice(body).map_err(|_| bad("not JSON"))?;
    let event_type = v["type"].as_str().ok_or_else(|| bad("no `type`"))?;
    let data = &v["data"];
    let bounce = &data["bounce"];
    let kind = match event_type {
        "email.delivered" => DeliveryKind::Delivered,
        "email.bounced" => DeliveryKind::Bounced {
            // Resend sends `email.bounced` for permanent rejections; its
            // `bounce.type` may still say `Transient` or `Undetermined`.
            permanent: bounce["type"]
                .as_str()
                .is_none_or(|t| t.eq_ignore_ascii_case("permanent")),
        },
        "email.complained" => DeliveryKind::Complained,
        // The second spelling appears in some of Resend's own examples.
        "email.delivery_delayed" | "email.delivered_delayed" => DeliveryKind::DeliveryDelayed,
        other => DeliveryKind::Other(other.to_owned()),
    };
    let provider_id = match (data["email_id"].as_str(), &kind) {
        (Some(id), _) => id.to_owned(),
        (None, DeliveryKind::Other(_)) => String::new(),
        (None, _) => return Err(bad("no `data.email_id`")),
    };
    let to = addresses(&data["to"]);
    let occurred_at = v["created_at"]
        .as_str()
        .or_else(|| data["created_at"].as_str())
        .unwrap_or_default()
        .to_owned();
    let detail = [
        bounce["type"].as_str(),
        bounce["subType"].as_str(),
        bounce["message"].as_str(),
        data["failed"]["reason"].as_str(),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.trim().is_empty())
    .collect::<Vec<_>>()
    .join(": ");
    Ok(DeliveryEvent {
        id_hint: tag(&data["tags"], EMAIL_ID_TAG),
        kind,
        provider_id,
        to,
        occurred_at,
        detail,
    })
}

/// An address field as the provider writes it: one string or a list.
pub(crate) fn addresses(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// A tag's value: Resend echoes tags as an object (`{"name": "value"}`), and
/// takes them as a list of `{"name", "value"}`; both are read.
fn tag(tags: &Value, name: &str) -> Option<String> {
    let value = match tags {
        Value::Object(m) => m.get(name).and_then(Value::as_str),
        Value::Array(a) => a
            .iter()
            .find(|t| t["name"].as_str() == Some(name))
            .and_then(|t| t["value"].as_str()),
        _ => None,
    };
    value.filter(|v| !v.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Svix's documented example secret, message and signature.
    const SVIX_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const SVIX_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const SVIX_TS: i64 = 1_614_265_330;
    const SVIX_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SVIX_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn check(signature: &str, now: i64) -> Result<(), WebhookError> {
        verify(
            SVIX_SECRET,
            Some(SVIX_ID),
            Some(&SVIX_TS.to_string()),
            Some(signature),
            SVIX_BODY,
            now,
        )
    }

    #[test]
    fn agrees_with_svix_documented_signature() {
        assert_eq!(sign(SVIX_SECRET, SVIX_ID, SVIX_TS, SVIX_BODY), SVIX_SIG);
        assert_eq!(check(SVIX_SIG, SVIX_TS), Ok(()));
    }

    #[test]
    fn accepts_any_matching_entry_of_a_rotated_secret() {
        let old = sign("whsec_b2xkLXNlY3JldA==", SVIX_ID, SVIX_TS, SVIX_BODY);
        let both = format!("{old} v1a,ignored= {SVIX_SIG}");
        assert_eq!(check(&both, SVIX_TS), Ok(()));
        let reversed = format!("{SVIX_SIG}  {old}");
        assert_eq!(check(&reversed, SVIX_TS), Ok(()));
        // The old secret alone does not verify under the new one.
        assert_eq!(check(&old, SVIX_TS), Err(WebhookError::Mismatch));
    }

    #[test]
    fn tolerance_is_five_minutes_either_way() {
        assert_eq!(check(SVIX_SIG, SVIX_TS + 300), Ok(()));
        assert_eq!(check(SVIX_SIG, SVIX_TS - 300), Ok(()));
        assert_eq!(check(SVIX_SIG, SVIX_TS + 301), Err(WebhookError::TooOld));
        assert_eq!(check(SVIX_SIG, SVIX_TS - 301), Err(WebhookError::TooNew));
    }

    #[test]
    fn each_failure_has_its_reason() {
        let ts = SVIX_TS.to_string();
        let run = |secret, id, ts, sig, body: &[u8]| verify(secret, id, ts, sig, body, SVIX_TS);
        let s = Some(SVIX_SIG);
        for (id, t, sig, header) in [
            (None, Some(ts.as_str()), s, "svix-id"),
            (Some(SVIX_ID), None, s, "svix-timestamp"),
            (Some(SVIX_ID), Some(ts.as_str()), None, "svix-signature"),
            (Some(" "), Some(ts.as_str()), s, "svix-id"),
        ] {
            assert_eq!(
                run(SVIX_SECRET, id, t, sig, SVIX_BODY),
                Err(WebhookError::MissingHeader(header))
            );
        }
        for bad_ts in ["soon", "1614265330.5", "-"] {
            assert_eq!(
                run(SVIX_SECRET, Some(SVIX_ID), Some(bad_ts), s, SVIX_BODY),
                Err(WebhookError::BadTimestamp)
            );
        }
        let far = i64::MIN.to_string();
        assert_eq!(
            run(SVIX_SECRET, Some(SVIX_ID), Some(&far), s, SVIX_BODY),
            Err(WebhookError::TooOld)
        );
        for no_v1 in [
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "v2,abc v1a,xyz",
        ] {
            assert_eq!(check(no_v1, SVIX_TS), Err(WebhookError::NoV1Signature));
        }
        assert_eq!(
            check("v1,not-base64!", SVIX_TS),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            run(
                SVIX_SECRET,
                Some(SVIX_ID),
                Some(&ts),
                s,
                br#"{"test": 2432232315}"#
            ),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            run(SVIX_SECRET, Some("msg_other"), Some(&ts), s, SVIX_BODY),
            Err(WebhookError::Mismatch)
        );
        for secret in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_%%%"] {
            assert!(!is_valid_secret(secret));
            assert_eq!(
                run(secret, Some(SVIX_ID), Some(&ts), s, SVIX_BODY),
                Err(WebhookError::BadSecret)
            );
        }
        assert_eq!(WebhookError::Mismatch.code(), "signature_mismatch");
    }

    #[test]
    fn secrets_decode_with_or_without_padding() {
        assert!(is_valid_secret("whsec_b2xkLXNlY3JldA=="));
        assert_eq!(
            sign("whsec_b2xkLXNlY3JldA==", "m", 1, b"{}"),
            sign("whsec_b2xkLXNlY3JldA", "m", 1, b"{}")
        );
    }

    /// Resend's documented `email.bounced` example, with our tag.
    const BOUNCED: &str = r#"{
      "type": "email.bounced",
      "created_at": "2024-11-22T23:41:12.126Z",
      "data": {
        "broadcast_id": "8b146471-e88e-4322-86af-016cd36fd216",
        "created_at": "2024-11-22T23:41:11.894719+00:00",
        "email_id": "56761188-7520-42d8-8898-ff6fc54ce618",
        "from": "Acme <onboarding@resend.dev>",
        "to": ["delivered@resend.dev"],
        "subject": "Sending this example",
        "template_id": "43f68331-0622-4e15-8202-246a0388854b",
        "bounce": {
          "message": "The recipient's email address is on the suppression list because it has a recent history of producing hard bounces.",
          "subType": "Suppressed",
          "type": "Permanent"
        },
        "tags": { "category": "confirm_email", "settle_email_id": "eml_42" }
      }
    }"#;

    #[test]
    fn reads_a_bounce() {
        let e = parse(BOUNCED.as_bytes()).unwrap();
        assert_eq!(e.kind, DeliveryKind::Bounced { permanent: true });
        assert_eq!(e.provider_id, "56761188-7520-42d8-8898-ff6fc54ce618");
        assert_eq!(e.id_hint.as_deref(), Some("eml_42"));
        assert_eq!(e.to, ["delivered@resend.dev"]);
        assert_eq!(e.occurred_at, "2024-11-22T23:41:12.126Z");
        assert!(e.detail.starts_with("Permanent: Suppressed: The recipient"));

        let soft = BOUNCED.replace(r#""type": "Permanent""#, r#""type": "Transient""#);
        assert_eq!(
            parse(soft.as_bytes()).unwrap().kind,
            DeliveryKind::Bounced { permanent: false }
        );
    }

    #[test]
    fn reads_delivered_complained_and_delayed() {
        let event = |t: &str| {
            format!(
                r#"{{"type":"{t}","created_at":"2024-02-22T23:41:12.126Z","data":{{"created_at":"2024-02-22T23:41:11.894719+00:00","email_id":"re_1","from":"Acme <onboarding@resend.dev>","to":["ann@example.com"],"subject":"Invoice 1","tags":[{{"name":"settle_email_id","value":"eml_7"}}],"new_field":{{"x":[1,2]}}}}}}"#
            )
        };
        for (t, kind) in [
            ("email.delivered", DeliveryKind::Delivered),
            ("email.complained", DeliveryKind::Complained),
            ("email.delivery_delayed", DeliveryKind::DeliveryDelayed),
            ("email.opened", DeliveryKind::Other("email.opened".into())),
        ] {
            let e = parse(event(t).as_bytes()).unwrap();
            assert_eq!(e.kind, kind, "{t}");
            assert_eq!(e.provider_id, "re_1");
            assert_eq!(e.id_hint.as_deref(), Some("eml_7"));
            assert_eq!(e.to, ["ann@example.com"]);
            assert_eq!(e.detail, "");
        }
    }

    #[test]
    fn refuses_what_is_not_an_event() {
        for body in [
            "",
            "[1]",
            r#"{"data":{"email_id":"re_1"}}"#,
            r#"{"type":"email.delivered","data":{}}"#,
        ] {
            assert!(
                matches!(parse(body.as_bytes()), Err(WebhookError::BadPayload(_))),
                "{body}"
            );
        }
        let contact = parse(br#"{"type":"contact.created","data":{"id":"c_1"}}"#).unwrap();
        assert_eq!(contact.kind, DeliveryKind::Other("contact.created".into()));
        assert_eq!(contact.provider_id, "");
        assert_eq!(contact.id_hint, None);
    }
}
