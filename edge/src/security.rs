//! Secrets that Settle hands out — customer link tokens, session tokens, API
//! keys — and the checks around them. Every one is 256 random bits, shown
//! once, and stored only as its SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Name of the customer session cookie.
pub const SESSION_COOKIE: &str = "settle_session";
/// A customer session lasts at most this long, and never past its link.
pub const SESSION_MAX_SECS: i64 = 7 * 24 * 3600;

/// A source of random bytes, passed in so that tests are deterministic.
pub trait Random {
    fn fill(&mut self, buf: &mut [u8]);

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }
}

/// The operating system's (or the browser's, on wasm32) generator.
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        // A failing system RNG leaves no safe way on: stop.
        getrandom::getrandom(buf).expect("the system random number generator failed");
    }
}

/// The kinds of secret token, each with a recognisable prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// In customer links: `/c/<token>`.
    Link,
    /// In the session cookie.
    Session,
    /// Organization API key.
    ApiKey,
    /// In a staff sign-in link.
    StaffSignIn,
    /// In the staff session cookie.
    StaffSession,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Link => "cl_",
            TokenKind::Session => "cs_",
            TokenKind::ApiKey => "sk_",
            TokenKind::StaffSignIn => "sl_",
            TokenKind::StaffSession => "ss_",
        }
    }
}

/// A new random token: prefix + 256 bits in base64url (43 characters).
pub fn new_token(kind: TokenKind, rng: &mut impl Random) -> String {
    format!(
        "{}{}",
        kind.prefix(),
        URL_SAFE_NO_PAD.encode(rng.bytes::<32>())
    )
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A token derived from `purpose` with a server secret: the same input
/// always gives the same token, and nobody without the secret can make one.
/// Used where a retry must reproduce the token it sent the first time.
pub fn derived_token(kind: TokenKind, secret: &str, purpose: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(purpose.as_bytes());
    format!(
        "{}{}",
        kind.prefix(),
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The path of a customer's reminder preferences page, `/u/<customer>/<mac>`:
/// it works without a session (it is in every reminder, and mail clients
/// post to it for one-click unsubscribe) and only for that customer.
pub fn preferences_path(secret: &str, customer_id: &str) -> String {
    let token = derived_token(
        TokenKind::Link,
        secret,
        &format!("preferences:{customer_id}"),
    );
    format!(
        "/u/{customer_id}/{}",
        &token[TokenKind::Link.prefix().len()..]
    )
}

/// The customer a preferences path is for, when its mac is right.
pub fn preferences_customer<'a>(secret: &str, customer_id: &'a str, mac: &str) -> Option<&'a str> {
    let expected = preferences_path(secret, customer_id);
    let presented = format!("/u/{customer_id}/{mac}");
    constant_time_eq(expected.as_bytes(), presented.as_bytes()).then_some(customer_id)
}

/// Ten bytes that stand in for randomness where an id must be the same on
/// every retry (an email's link, the emails of one link request).
pub fn stable_bytes(purpose: &str) -> [u8; 10] {
    let digest = Sha256::digest(purpose.as_bytes());
    let mut out = [0u8; 10];
    out.copy_from_slice(&digest[..10]);
    out
}

/// Whether a presented token has the right shape, before any lookup.
pub fn well_formed(kind: TokenKind, token: &str) -> bool {
    token.strip_prefix(kind.prefix()).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// What is stored: the hex SHA-256 of the token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `Authorization: Bearer <key>` → the key.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?.trim();
    let (scheme, rest) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|k| !k.is_empty())
}

/// Finds one cookie in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value that starts a customer session.
pub fn session_cookie(token: &str, max_age_secs: i64) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax"
    )
}

/// The `Set-Cookie` value that ends it.
pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

/// CSRF defence for cookie-authenticated requests that change state: the
/// browser must say the request came from our own origin. `Sec-Fetch-Site`
/// is sent by every current browser; `Origin` is the fallback.
pub fn same_origin(sec_fetch_site: Option<&str>, origin: Option<&str>, own_origin: &str) -> bool {
    match (sec_fetch_site, origin) {
        (Some(site), _) => site == "same-origin",
        (None, Some(o)) => o.trim_end_matches('/') == own_origin.trim_end_matches('/'),
        (None, None) => false,
    }
}

/// Compares two byte strings in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deterministic generator for tests.
    pub struct Counter(pub u8);
    impl Random for Counter {
        fn fill(&mut self, buf: &mut [u8]) {
            for b in buf {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
        }
    }

    #[test]
    fn tokens_have_256_bits_and_a_prefix() {
        let t = new_token(TokenKind::Link, &mut Counter(0));
        assert!(t.starts_with("cl_"));
        assert!(well_formed(TokenKind::Link, &t));
        assert!(!well_formed(TokenKind::Session, &t));
        assert!(!well_formed(TokenKind::Link, "cl_short"));
        assert_ne!(
            new_token(TokenKind::Link, &mut Counter(0)),
            new_token(TokenKind::Link, &mut Counter(1))
        );
        assert_eq!(hash_token(&t).len(), 64);
        assert_ne!(hash_token(&t), t);
    }

    #[test]
    fn preference_paths_are_bound_to_the_customer() {
        let secret = "s3cret-s3cret-s3cret-s3cret-s3cr";
        let path = preferences_path(secret, "cus_a");
        let mac = path.rsplit('/').next().unwrap();
        assert_eq!(preferences_customer(secret, "cus_a", mac), Some("cus_a"));
        assert_eq!(preferences_customer(secret, "cus_b", mac), None);
        assert_eq!(
            preferences_customer("other-secret-other-secret-other-", "cus_a", mac),
            None
        );
    }

    #[test]
    fn derived_tokens_repeat_and_depend_on_the_secret() {
        let a = derived_token(
            TokenKind::Link,
            "s3cret-s3cret-s3cret-s3cret-s3cr",
            "email:eml_1",
        );
        assert_eq!(
            a,
            derived_token(
                TokenKind::Link,
                "s3cret-s3cret-s3cret-s3cret-s3cr",
                "email:eml_1"
            )
        );
        assert_ne!(
            a,
            derived_token(
                TokenKind::Link,
                "other-secret-other-secret-other-",
                "email:eml_1"
            )
        );
        assert_ne!(
            a,
            derived_token(
                TokenKind::Link,
                "s3cret-s3cret-s3cret-s3cret-s3cr",
                "email:eml_2"
            )
        );
        assert!(well_formed(TokenKind::Link, &a));
    }

    #[test]
    fn stable_bytes_repeat_per_purpose() {
        assert_eq!(stable_bytes("link-id:eml_1"), stable_bytes("link-id:eml_1"));
        assert_ne!(stable_bytes("link-id:eml_1"), stable_bytes("link-id:eml_2"));
    }

    #[test]
    fn headers() {
        assert_eq!(bearer(Some("Bearer sk_abc")), Some("sk_abc"));
        assert_eq!(bearer(Some("bearer  sk_abc ")), Some("sk_abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(
            cookie(Some("a=1; settle_session=cs_x; b=2"), SESSION_COOKIE),
            Some("cs_x")
        );
        assert_eq!(cookie(Some("settle_sessionx=1"), SESSION_COOKIE), None);
        let c = session_cookie("cs_x", 60);
        for part in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(c.contains(part));
        }
    }

    #[test]
    fn csrf() {
        assert!(same_origin(Some("same-origin"), None, "http://a"));
        assert!(!same_origin(
            Some("cross-site"),
            Some("http://a"),
            "http://a"
        ));
        assert!(same_origin(None, Some("http://a/"), "http://a"));
        assert!(!same_origin(None, Some("http://evil"), "http://a"));
        assert!(!same_origin(None, None, "http://a"));
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
