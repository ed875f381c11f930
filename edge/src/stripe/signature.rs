//! `Stripe-Signature` verification (scheme v1): HMAC-SHA256 with the
//! endpoint's secret over `"{t}.{raw body}"`, compared in constant time with
//! every `v1` entry, and the timestamp no older than the tolerance.
//!
//! The raw body bytes are verified before anything parses them.

use crate::security::constant_time_eq;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default: events older than five minutes are refused.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a delivery is refused. Each has its own reason, logged and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    MissingHeader,
    #[error("the body is empty")]
    MissingPayload,
    #[error("the Stripe-Signature header cannot be read")]
    MalformedHeader,
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignaturesWithExpectedScheme,
    #[error("no v1 signature matches the body")]
    NoMatchingSignature,
    #[error("the signature's timestamp is outside the tolerance")]
    TimestampOutsideTolerance,
}

impl SignatureError {
    /// A stable code for logs and the error body.
    pub fn code(self) -> &'static str {
        match self {
            SignatureError::MissingHeader => "missing_header",
            SignatureError::MissingPayload => "missing_payload",
            SignatureError::MalformedHeader => "malformed_header",
            SignatureError::NoSignaturesWithExpectedScheme => "no_signatures_with_expected_scheme",
            SignatureError::NoMatchingSignature => "no_matching_signature",
            SignatureError::TimestampOutsideTolerance => "timestamp_outside_tolerance",
        }
    }
}

/// The hex HMAC-SHA256 of `"{t}.{payload}"`: what a `v1` entry must equal.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// A header value for `payload` signed now: what Stripe (or the stand-in) sends.
pub fn header(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!("t={timestamp},v1={}", sign(secret, timestamp, payload))
}

/// Verifies a delivery. `tolerance_secs` of 0 turns the age check off.
/// Returns the signed timestamp.
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secret: &str,
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(SignatureError::MissingHeader)?;
    if payload.is_empty() {
        return Err(SignatureError::MissingPayload);
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = value.parse::<i64>().ok(),
            "v1" => v1.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::MalformedHeader)?;
    if v1.is_empty() {
        return Err(SignatureError::NoSignaturesWithExpectedScheme);
    }
    let expected = sign(secret, timestamp, payload);
    // Check every entry, without stopping early, so timing says nothing.
    let matched = v1.iter().fold(false, |found, candidate| {
        found | constant_time_eq(candidate.as_bytes(), expected.as_bytes())
    });
    if !matched {
        return Err(SignatureError::NoMatchingSignature);
    }
    if tolerance_secs > 0 && timestamp < now_secs - tolerance_secs {
        return Err(SignatureError::TimestampOutsideTolerance);
    }
    Ok(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vector {
        id: String,
        secret: String,
        payload: String,
        header: Option<String>,
        now: i64,
        tolerance_s: i64,
        expected: String,
        expected_error: Option<String>,
    }

    #[derive(Deserialize)]
    struct File {
        vectors: Vec<Vector>,
    }

    /// Every vector in ../shared/stripe/signature_vectors.json (Stripe's own
    /// libraries' cases) gives exactly its expected outcome.
    #[test]
    fn agrees_with_every_shared_vector() {
        let path = crate::stripe::reference_data().join("signature_vectors.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the shared/ folder must sit beside the repository)",
                path.display()
            )
        });
        let file: File = serde_json::from_str(&text).unwrap();
        assert!(file.vectors.len() >= 15, "the vectors file looks truncated");
        for v in &file.vectors {
            let got = verify(
                v.payload.as_bytes(),
                v.header.as_deref(),
                &v.secret,
                v.now,
                v.tolerance_s,
            );
            let outcome = match got {
                Ok(_) if serde_json::from_str::<serde_json::Value>(&v.payload).is_ok() => {
                    "valid".to_owned()
                }
                Ok(_) => "signature_valid_json_invalid".to_owned(),
                Err(e) => format!("invalid:{}", e.code()),
            };
            let want = match (v.expected.as_str(), &v.expected_error) {
                ("invalid", Some(reason)) => format!("invalid:{reason}"),
                (other, _) => other.to_owned(),
            };
            assert_eq!(outcome, want, "vector {}", v.id);
        }
    }

    #[test]
    fn signs_what_it_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let h = header("whsec_x", 1_700_000_000, body);
        assert_eq!(
            verify(
                body,
                Some(&h),
                "whsec_x",
                1_700_000_100,
                DEFAULT_TOLERANCE_SECS
            ),
            Ok(1_700_000_000)
        );
        assert_eq!(
            verify(
                body,
                Some(&h),
                "whsec_x",
                1_700_000_301,
                DEFAULT_TOLERANCE_SECS
            ),
            Err(SignatureError::TimestampOutsideTolerance)
        );
        let two = format!("t=1700000000,v1={},v1=deadbeef", "0".repeat(64));
        assert_eq!(
            verify(body, Some(&two), "whsec_x", 1_700_000_000, 300),
            Err(SignatureError::NoMatchingSignature)
        );
    }
}
