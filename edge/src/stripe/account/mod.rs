//! An organization's own Stripe account: the rules for the keys it pastes,
//! how they are sealed at rest, and what "check connection" concludes from
//! Stripe's answers. The worker only stores and sends what these decide
//! (`worker::api::stripe_account`).
//!
//! `check` asks Stripe what "check connection" reports.
//!
//! Keys are sealed with AES-256-GCM under a key derived from the Worker
//! secret `ENCRYPTION_KEY`; the organization's id and the field's name are
//! the associated data, so a sealed value copied to another organization or
//! another column does not open.

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

mod check;
pub use check::{CheckReport, Problem, check};

#[cfg(test)]
mod tests {
    use super::*;

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
}
