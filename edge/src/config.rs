//! Typed configuration, read once per request from the Worker's environment.
//!
//! Secrets are wrapped in [`Secret`] so that they never reach a log line.

use std::fmt;

/// A value that must not be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything the worker needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where customers reach the portal, without a trailing slash: links in
    /// emails are built from it.
    pub public_base_url: String,
    /// The email provider's API base (Resend's wire format).
    pub email_api_base: String,
    pub email_api_key: Secret,
    /// The sender address; the organization's display name goes in front.
    pub email_from: String,
    /// The signing secret of Settle's delivery-event endpoint at the email
    /// provider (`whsec_…`); without it, delivery events are refused.
    pub email_webhook_secret: Option<Secret>,
    /// The domain replies come back to (`EMAIL_REPLY_DOMAIN`, receiving
    /// at the provider): each email to a customer says `Reply-To:
    /// reply+<email>-<tag>@<domain>`, and a reply lands in the customer's
    /// thread. Unset, emails reply to the organization's own address.
    pub email_reply_domain: Option<String>,
    /// Token of the platform operator, who may create organizations.
    pub operator_token: Option<Secret>,
    /// Key for tokens derived from an id (the link in an email is the same on
    /// every retry of that email). At least 32 characters.
    pub token_secret: Secret,
    /// Stripe's API base: `https://api.stripe.com`, or the local stand-in.
    pub stripe_api_base: String,
    /// Stripe secret key (`sk_…`); without it, paying is switched off.
    pub stripe_secret_key: Option<Secret>,
    /// The signing secret of Settle's Stripe webhook endpoint (`whsec_…`).
    pub stripe_webhook_secret: Option<Secret>,
    /// Seals organizations' own Stripe keys at rest (`ENCRYPTION_KEY`, at
    /// least 32 characters); without it, organizations cannot connect one.
    pub encryption_key: Option<Secret>,
    /// Seconds between attempts of a failed send (`EMAIL_RETRY_SCHEDULE`,
    /// comma-separated; `email::delivery::DEFAULT_RETRY_SCHEDULE` unset).
    pub email_retry_schedule: Vec<u32>,
    /// The demo clock may be moved (`CLOCK_TRAVEL=1`, local only; never
    /// set in production).
    pub clock_travel: bool,
    /// Webhook endpoints may be `http://127.0.0.1:<port>` or
    /// `http://localhost:<port>` (`WEBHOOK_ALLOW_LOCAL_HTTP=1`, set by
    /// `cargo xtask dev` and `test` for local receivers; never in
    /// production, where only `https://` is taken).
    pub webhook_allow_local_http: bool,
    /// Log each distinct SQL statement once per isolate (`SQL_TRACE=1`, set
    /// by `cargo xtask test`, whose query-plan check reads them).
    pub sql_trace: bool,
}

/// A missing or malformed setting.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration `{0}` is {1}")]
pub struct ConfigError(pub &'static str, pub &'static str);

impl Config {
    /// Reads the configuration through `get` (a var or secret by name).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let need = |k: &'static str| {
            get(k)
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError(k, "missing"))
        };
        let public_base_url = need("PUBLIC_BASE_URL")?.trim_end_matches('/').to_owned();
        if !(public_base_url.starts_with("https://") || public_base_url.starts_with("http://")) {
            return Err(ConfigError("PUBLIC_BASE_URL", "not an http(s) URL"));
        }
        Ok(Config {
            public_base_url,
            email_api_base: need("EMAIL_API_BASE")?.trim_end_matches('/').to_owned(),
            email_api_key: Secret::new(need("EMAIL_API_KEY")?),
            email_from: need("EMAIL_FROM")?,
            email_webhook_secret: match get("EMAIL_WEBHOOK_SECRET")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
            {
                None => None,
                Some(s) if !s.starts_with(crate::email::webhook::SECRET_PREFIX) => {
                    return Err(ConfigError(
                        "EMAIL_WEBHOOK_SECRET",
                        "not a signing secret (it starts with `whsec_`)",
                    ));
                }
                Some(s) if !crate::email::webhook::is_valid_secret(&s) => {
                    return Err(ConfigError(
                        "EMAIL_WEBHOOK_SECRET",
                        "not base64 after `whsec_`",
                    ));
                }
                Some(s) => Some(Secret::new(s)),
            },
            email_reply_domain: match get("EMAIL_REPLY_DOMAIN")
                .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|d| !d.is_empty())
            {
                None => None,
                Some(d)
                    if !d.contains('.')
                        || !d
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') =>
                {
                    return Err(ConfigError("EMAIL_REPLY_DOMAIN", "not a domain name"));
                }
                Some(d) => Some(d),
            },
            token_secret: {
                let t = need("TOKEN_SECRET")?;
                if t.len() < 32 {
                    return Err(ConfigError("TOKEN_SECRET", "shorter than 32 characters"));
                }
                Secret::new(t)
            },
            stripe_api_base: get("STRIPE_API_BASE")
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| "https://api.stripe.com".into())
                .trim_end_matches('/')
                .to_owned(),
            stripe_secret_key: get("STRIPE_SECRET_KEY")
                .filter(|s| !s.trim().is_empty())
                .map(Secret::new),
            stripe_webhook_secret: get("STRIPE_WEBHOOK_SECRET")
                .filter(|s| !s.trim().is_empty())
                .map(Secret::new),
            encryption_key: match get("ENCRYPTION_KEY").filter(|t| !t.trim().is_empty()) {
                None => None,
                Some(t) if t.len() < 32 => {
                    return Err(ConfigError("ENCRYPTION_KEY", "shorter than 32 characters"));
                }
                Some(t) => Some(Secret::new(t)),
            },
            operator_token: match get("OPERATOR_TOKEN").filter(|t| !t.trim().is_empty()) {
                None => None,
                Some(t) if t.len() < 16 => {
                    return Err(ConfigError("OPERATOR_TOKEN", "shorter than 16 characters"));
                }
                Some(t) => Some(Secret::new(t)),
            },
            email_retry_schedule: match get("EMAIL_RETRY_SCHEDULE").filter(|s| !s.trim().is_empty())
            {
                None => crate::email::delivery::DEFAULT_RETRY_SCHEDULE.to_vec(),
                Some(s) => crate::email::delivery::parse_schedule(&s).ok_or(ConfigError(
                    "EMAIL_RETRY_SCHEDULE",
                    "not a list of seconds from 1 to 43200, such as 30,120,480,1920",
                ))?,
            },
            clock_travel: flag(get("CLOCK_TRAVEL"), "CLOCK_TRAVEL")?,
            sql_trace: flag(get("SQL_TRACE"), "SQL_TRACE")?,
            webhook_allow_local_http: flag(
                get("WEBHOOK_ALLOW_LOCAL_HTTP"),
                "WEBHOOK_ALLOW_LOCAL_HTTP",
            )?,
        })
    }
}

/// A `0`/`1` setting; unset is `0`.
fn flag(value: Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None | Some("" | "0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(ConfigError(name, "neither 0 nor 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn reads_and_hides_secrets() {
        let c = Config::from_lookup(lookup(&[
            ("PUBLIC_BASE_URL", "http://127.0.0.1:8787/"),
            ("EMAIL_API_BASE", "https://api.resend.com"),
            ("EMAIL_API_KEY", "re_fake"),
            ("EMAIL_FROM", "billing@example.com"),
            ("TOKEN_SECRET", "0123456789abcdef0123456789abcdef"),
        ]))
        .unwrap();
        assert_eq!(c.public_base_url, "http://127.0.0.1:8787");
        assert!(c.operator_token.is_none());
        assert_eq!(c.email_retry_schedule, vec![30, 120, 480, 1920]);
        assert!(!c.clock_travel);
        assert!(!format!("{c:?}").contains("re_fake"));
        assert!(c.email_webhook_secret.is_none());
    }

    #[test]
    fn email_webhook_secret_is_a_whsec_secret() {
        let with = |secret: &str| {
            Config::from_lookup(lookup(&[
                ("PUBLIC_BASE_URL", "https://settle.example"),
                ("EMAIL_API_BASE", "https://api.resend.com"),
                ("EMAIL_API_KEY", "re_fake"),
                ("EMAIL_FROM", "billing@example.com"),
                ("TOKEN_SECRET", "0123456789abcdef0123456789abcdef"),
                ("EMAIL_WEBHOOK_SECRET", secret),
            ]))
        };
        let c = with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            c.email_webhook_secret.as_ref().map(Secret::expose),
            Some("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        );
        assert!(!format!("{c:?}").contains("MfKQ9r8G"));
        assert!(with("  ").unwrap().email_webhook_secret.is_none());
        assert_eq!(
            with("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(),
            ConfigError(
                "EMAIL_WEBHOOK_SECRET",
                "not a signing secret (it starts with `whsec_`)"
            )
        );
        assert_eq!(
            with("whsec_not*base64").unwrap_err(),
            ConfigError("EMAIL_WEBHOOK_SECRET", "not base64 after `whsec_`")
        );
    }

    #[test]
    fn missing_setting_is_named() {
        let err = Config::from_lookup(lookup(&[("PUBLIC_BASE_URL", "https://x")])).unwrap_err();
        assert_eq!(err, ConfigError("EMAIL_API_BASE", "missing"));
    }

    #[test]
    fn a_malformed_setting_fails_instead_of_switching_something_off() {
        let base = [
            ("PUBLIC_BASE_URL", "http://127.0.0.1:8787"),
            ("EMAIL_API_BASE", "https://api.resend.com"),
            ("EMAIL_API_KEY", "re_fake"),
            ("EMAIL_FROM", "billing@example.com"),
            ("TOKEN_SECRET", "0123456789abcdef0123456789abcdef"),
        ];
        let with = |k: &'static str, v: &'static str| {
            let mut pairs = base.to_vec();
            pairs.push((k, v));
            Config::from_lookup(lookup(&pairs))
        };
        assert_eq!(
            with("OPERATOR_TOKEN", "short").unwrap_err().0,
            "OPERATOR_TOKEN"
        );
        assert_eq!(
            with("EMAIL_RETRY_SCHEDULE", "30,soon").unwrap_err().0,
            "EMAIL_RETRY_SCHEDULE"
        );
        assert_eq!(with("CLOCK_TRAVEL", "yes").unwrap_err().0, "CLOCK_TRAVEL");
        let c = with("EMAIL_RETRY_SCHEDULE", "1,2,4,8").unwrap();
        assert_eq!(c.email_retry_schedule, vec![1, 2, 4, 8]);
        assert!(with("CLOCK_TRAVEL", "1").unwrap().clock_travel);
        assert!(
            with("OPERATOR_TOKEN", "a-long-enough-operator-token")
                .unwrap()
                .operator_token
                .is_some()
        );
    }
}
