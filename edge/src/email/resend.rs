//! Resend's HTTP API (`POST /emails`), the email provider Settle speaks.
//!
//! Building the request and reading the answer are pure; the worker glue
//! sends the bytes with `worker::Fetch`. The local stand-in in
//! `tools/mail-sim` accepts exactly this format.

use super::{EmailError, EmailSender, OutgoingEmail};
use crate::outbound::{HttpClient, HttpRequest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Resend over an HTTP client.
pub struct ResendSender<'a, C> {
    pub base_url: &'a str,
    pub api_key: &'a str,
    pub client: C,
}

impl<C: HttpClient> EmailSender for ResendSender<'_, C> {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, EmailError> {
        let answer = self
            .client
            .send(request(self.base_url, self.api_key, email))
            .await
            .map_err(EmailError::Transient)?;
        response(answer.status, &answer.body)
    }
}

#[derive(Serialize)]
struct Tag<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Body<'a> {
    from: &'a str,
    to: [&'a str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    bcc: Option<[&'a str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    subject: &'a str,
    html: &'a str,
    text: &'a str,
    /// Resend takes custom headers as one JSON object, name to value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'a str, &'a str>,
    tags: [Tag<'a>; 1],
}

/// The request that sends `email` with the account key `api_key`.
pub fn request(base_url: &str, api_key: &str, email: &OutgoingEmail) -> HttpRequest {
    let body = Body {
        from: &email.from,
        to: [&email.to],
        bcc: email.bcc.as_deref().map(|b| [b]),
        reply_to: email.reply_to.as_deref(),
        subject: &email.subject,
        html: &email.html,
        text: &email.text,
        headers: email
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        tags: [Tag {
            name: "settle_email_id",
            value: &email.email_id,
        }],
    };
    HttpRequest {
        method: "POST",
        url: format!("{}/emails", base_url.trim_end_matches('/')),
        headers: vec![
            ("Authorization".into(), format!("Bearer {api_key}")),
            ("Content-Type".into(), "application/json".into()),
            ("Idempotency-Key".into(), email.idempotency_key.clone()),
        ],
        body: serde_json::to_string(&body).unwrap_or_default(),
    }
}

#[derive(Deserialize)]
struct Accepted {
    id: String,
}

#[derive(Deserialize)]
struct Refused {
    #[serde(default)]
    name: String,
    #[serde(default)]
    message: String,
}

/// Reads the provider's answer: its message id, or why not.
pub fn response(status: u16, body: &str) -> Result<String, EmailError> {
    match status {
        200..=299 => serde_json::from_str::<Accepted>(body)
            .map(|a| a.id)
            .map_err(|_| {
                EmailError::Transient(format!("unreadable success body: {}", truncate(body)))
            }),
        429 | 500..=599 => Err(EmailError::Transient(format!(
            "HTTP {status}: {}",
            truncate(body)
        ))),
        409 => {
            let r: Refused = serde_json::from_str(body).unwrap_or(Refused {
                name: String::new(),
                message: truncate(body),
            });
            if r.name == "invalid_idempotent_request" {
                // The key was used with another body: an email went out under it.
                Err(EmailError::AlreadyAccepted(r.message))
            } else {
                // `concurrent_idempotent_requests`: another attempt is in flight.
                Err(EmailError::Transient(format!(
                    "HTTP 409 {}: {}",
                    r.name, r.message
                )))
            }
        }
        _ => {
            let r: Refused = serde_json::from_str(body).unwrap_or(Refused {
                name: String::new(),
                message: truncate(body),
            });
            Err(EmailError::Rejected(format!(
                "HTTP {status} {}: {}",
                r.name, r.message
            )))
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::HttpResponse;
    use crate::outbound::testing::{Scripted, ready};

    #[test]
    fn sender_posts_once_and_reads_the_id() {
        let ok = Scripted::new(vec![Ok(HttpResponse {
            status: 200,
            body: r#"{"id":"re_1"}"#.into(),
        })]);
        let sender = ResendSender {
            base_url: "http://127.0.0.1:9",
            api_key: "re_fake",
            client: ok,
        };
        assert_eq!(ready(sender.send(&email())), Ok("re_1".into()));
        assert_eq!(sender.client.sent.borrow().len(), 1);

        let down = Scripted::new(vec![Err("connection refused".into())]);
        let sender = ResendSender {
            base_url: "http://127.0.0.1:9",
            api_key: "re_fake",
            client: down,
        };
        assert!(
            matches!(ready(sender.send(&email())), Err(EmailError::Transient(m)) if m.contains("refused"))
        );
    }

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            from: "Acme <billing@settle.test>".into(),
            to: "ann@example.com".into(),
            bcc: None,
            reply_to: Some("help@acme.test".into()),
            subject: "Invoice 1".into(),
            html: "<p>hi</p>".into(),
            text: "hi".into(),
            headers: Vec::new(),
            idempotency_key: "eml_1".into(),
            email_id: "eml_1".into(),
        }
    }

    #[test]
    fn builds_resend_request() {
        let r = request("https://api.resend.com/", "re_fake", &email());
        assert_eq!(r.url, "https://api.resend.com/emails");
        assert!(
            r.headers
                .contains(&("Idempotency-Key".into(), "eml_1".into()))
        );
        assert!(
            r.headers
                .contains(&("Authorization".into(), "Bearer re_fake".into()))
        );
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["to"][0], "ann@example.com");
        assert_eq!(v["reply_to"], "help@acme.test");
        assert_eq!(v["tags"][0]["value"], "eml_1");
        // Absent, not null or empty: Resend validates what is there.
        assert!(v.get("bcc").is_none());
        assert!(v.get("headers").is_none());
    }

    #[test]
    fn sends_bcc_and_headers_as_resend_does() {
        let mut e = email();
        e.bcc = Some("archive@acme.test".into());
        e.headers = vec![
            (
                "List-Unsubscribe".into(),
                "<https://settle.test/u/1>".into(),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ];
        let r = request("https://api.resend.com", "re_fake", &e);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["bcc"], serde_json::json!(["archive@acme.test"]));
        assert_eq!(
            v["headers"],
            serde_json::json!({
                "List-Unsubscribe": "<https://settle.test/u/1>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            })
        );
    }

    #[test]
    fn reads_answers() {
        assert_eq!(response(200, r#"{"id":"abc"}"#), Ok("abc".into()));
        assert!(matches!(response(429, "{}"), Err(EmailError::Transient(_))));
        assert!(matches!(response(503, ""), Err(EmailError::Transient(_))));
        assert!(matches!(
            response(
                409,
                r#"{"name":"invalid_idempotent_request","message":"m"}"#
            ),
            Err(EmailError::AlreadyAccepted(_))
        ));
        assert!(matches!(
            response(409, r#"{"name":"concurrent_idempotent_requests"}"#),
            Err(EmailError::Transient(_))
        ));
        assert!(matches!(
            response(422, r#"{"statusCode":422,"name":"validation_error","message":"bad to"}"#),
            Err(EmailError::Rejected(m)) if m.contains("bad to")
        ));
    }
}
