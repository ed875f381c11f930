//! Delivery events, sent as Resend sends them.
//!
//! Each event is a JSON body (`{"type":"email.delivered","created_at":…,
//! "data":{"email_id":…,"to":[…],"tags":{…}}}`) POSTed to the configured URL
//! and signed the Svix way: `svix-id`, `svix-timestamp` (unix seconds) and
//! `svix-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! keyed with the base64 part of the `whsec_…` secret. A delivery that is
//! refused (non-2xx) or cannot connect is tried again a second later, a few
//! times, with the same `svix-id` and a fresh signature.

use crate::Message;
use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Attempts per event, and the pause between them.
const ATTEMPTS: u32 = 5;
const RETRY_DELAY: Duration = Duration::from_secs(1);

const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Where delivery events go, and the secret they are signed with.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    /// A plain `http://` URL, e.g. `http://127.0.0.1:8787/api/v1/webhooks/email`.
    pub url: String,
    /// `whsec_` followed by the base64 of the key.
    pub secret: String,
}

impl WebhookTarget {
    /// Why this target cannot be used, if it cannot.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !self.url.starts_with("http://") {
            return Err(format!("webhook URL {} is not http://", self.url));
        }
        key(&self.secret)
            .map(|_| ())
            .ok_or_else(|| "the webhook secret is not `whsec_` followed by base64".to_owned())
    }
}

/// What becomes of a message, as set with `POST /__sim/bounce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Delivered,
    Bounced,
    Complained,
}

impl Outcome {
    /// The worst fate among the recipients `to`, given the marked addresses
    /// (lower-cased): a bounce, else a complaint, else delivery.
    pub(crate) fn of(to: &[String], marks: &HashMap<String, Outcome>) -> Outcome {
        let marked = |o| to.iter().any(|t| marks.get(&t.to_lowercase()) == Some(&o));
        [Outcome::Bounced, Outcome::Complained]
            .into_iter()
            .find(|o| marked(*o))
            .unwrap_or(Outcome::Delivered)
    }

    /// The event types the provider reports for this outcome, in order.
    fn kinds(self) -> &'static [&'static str] {
        match self {
            Outcome::Delivered => &["email.delivered"],
            Outcome::Bounced => &["email.bounced"],
            Outcome::Complained => &["email.delivered", "email.complained"],
        }
    }
}

/// The events (`svix-id`, body) that report `outcome` for `m`, in order.
pub(crate) fn report(outcome: Outcome, m: &Message, now_ms: u128) -> Vec<(String, String)> {
    outcome
        .kinds()
        .iter()
        .map(|kind| {
            let svix_id = format!("msg_{}_{}", m.id, kind.trim_start_matches("email."));
            (svix_id, event_body(kind, m, now_ms).to_string())
        })
        .collect()
}

fn key(secret: &str) -> Option<Vec<u8>> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b| B64.decode(b).ok())
        .filter(|k| !k.is_empty())
}

/// The `svix-signature` value for `body` sent as `id` at `timestamp`, or
/// `None` when `secret` is not a `whsec_` secret.
pub(crate) fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)?).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The body of event `kind` about `m`, happening at `now_ms`.
pub(crate) fn event_body(kind: &str, m: &Message, now_ms: u128) -> Value {
    // Resend takes tags as a list of `{name, value}` and echoes them as an object.
    let tags: Map<String, Value> = m
        .tags
        .iter()
        .filter_map(|t| Some((t["name"].as_str()?.to_owned(), t["value"].clone())))
        .collect();
    let mut data = json!({
        "created_at": rfc3339(m.received_at_ms),
        "email_id": m.id,
        "from": m.from,
        "to": m.to,
        "subject": m.subject,
        "tags": tags,
    });
    if kind == "email.bounced" {
        data["bounce"] = json!({
            "message": "The recipient's mail server permanently rejected the email (simulated by mail-sim).",
            "subType": "General",
            "type": "Permanent",
        });
    }
    json!({ "type": kind, "created_at": rfc3339(now_ms), "data": data })
}

/// Sends `events` (`svix-id`, body) in order, each retried until it is taken
/// or its attempts run out. Blocks: run it on its own thread.
pub(crate) fn deliver(target: &WebhookTarget, events: &[(String, String)]) {
    for (id, body) in events {
        let mut attempt = 1;
        loop {
            let now = crate::now_ms();
            let ts = (now / 1000) as i64;
            let Some(signature) = sign(&target.secret, id, ts, body.as_bytes()) else {
                return eprintln!("mail-sim: the webhook secret is unusable");
            };
            let ts = ts.to_string();
            let headers = [
                ("Content-Type", "application/json"),
                ("svix-id", id.as_str()),
                ("svix-timestamp", ts.as_str()),
                ("svix-signature", signature.as_str()),
            ];
            let answer = http(
                "POST",
                &target.url,
                &headers,
                body.as_bytes(),
                Duration::from_secs(10),
            );
            match answer {
                Ok((status, _)) if (200..300).contains(&status) => break,
                Ok((status, _)) if attempt >= ATTEMPTS => {
                    eprintln!("mail-sim: event {id} refused with HTTP {status}; giving up");
                    break;
                }
                Err(e) if attempt >= ATTEMPTS => {
                    eprintln!("mail-sim: event {id} not delivered ({e}); giving up");
                    break;
                }
                _ => {}
            }
            attempt += 1;
            std::thread::sleep(RETRY_DELAY);
        }
    }
}

/// One HTTP/1.1 exchange over a fresh connection to a plain `http://` URL:
/// the answer's status and body. Enough for loopback; no TLS, no chunking.
pub(crate) fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<(u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url} is not http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let with_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority}: no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    if let Err(e) = stream.read_to_end(&mut answer)
        && answer.is_empty()
    {
        return Err(e.to_string());
    }
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "no HTTP status in the answer".to_owned())?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// `ms` since the epoch as RFC 3339 UTC with milliseconds, as Resend writes it.
pub(crate) fn rfc3339(ms: u128) -> String {
    let secs = (ms / 1000) as i64;
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_svix_documents() {
        // Svix's published example secret, message and signature.
        assert_eq!(
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            )
            .as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("not-whsec", "m", 1, b"{}"), None);
        assert_eq!(sign("whsec_", "m", 1, b"{}"), None);
    }

    #[test]
    fn targets_are_checked() {
        let t = |url: &str, secret: &str| {
            WebhookTarget {
                url: url.into(),
                secret: secret.into(),
            }
            .check()
        };
        assert!(t("http://127.0.0.1:1/x", "whsec_c2VjcmV0").is_ok());
        assert!(t("https://example.com/x", "whsec_c2VjcmV0").is_err());
        assert!(t("http://127.0.0.1:1/x", "secret").is_err());
    }

    #[test]
    fn writes_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_614_265_330_123), "2021-02-25T15:02:10.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
    }

    #[test]
    fn bounce_events_look_like_resend_ones() {
        let m = Message {
            id: "re_1".into(),
            from: "Acme <billing@acme.test>".into(),
            to: vec!["ann@example.com".into()],
            bcc: Vec::new(),
            reply_to: None,
            subject: "Invoice 1".into(),
            html: None,
            text: Some("hi".into()),
            headers: Default::default(),
            tags: vec![json!({"name": "settle_email_id", "value": "eml_1"})],
            idempotency_key: None,
            received_at_ms: 1_614_265_330_123,
        };
        let v = event_body("email.bounced", &m, 1_614_265_331_000);
        assert_eq!(v["type"], "email.bounced");
        assert_eq!(v["created_at"], "2021-02-25T15:02:11.000Z");
        assert_eq!(v["data"]["email_id"], "re_1");
        assert_eq!(v["data"]["to"], json!(["ann@example.com"]));
        assert_eq!(v["data"]["tags"], json!({"settle_email_id": "eml_1"}));
        assert_eq!(v["data"]["bounce"]["type"], "Permanent");
        let d = event_body("email.delivered", &m, 0);
        assert!(d["data"].get("bounce").is_none());
    }

    #[test]
    fn a_bounce_outweighs_a_complaint() {
        let marks = HashMap::from([
            ("gone@example.com".to_owned(), Outcome::Bounced),
            ("grumpy@example.com".to_owned(), Outcome::Complained),
        ]);
        let of = |to: &[&str]| {
            let to: Vec<String> = to.iter().map(|t| t.to_string()).collect();
            Outcome::of(&to, &marks)
        };
        assert_eq!(of(&["ann@example.com"]), Outcome::Delivered);
        assert_eq!(of(&["Grumpy@Example.com"]), Outcome::Complained);
        assert_eq!(
            of(&["grumpy@example.com", "gone@example.com"]),
            Outcome::Bounced
        );
    }
}
