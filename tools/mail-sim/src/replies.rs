//! Replies, as Resend's inbound mail delivers them: `POST /__sim/reply`
//! (JSON `{"message_id", "text"}`, or the outbox page's form) writes a
//! reply to one of the outbox's messages, from its recipient to its
//! `reply_to`, quoting it below the answer as a mail client would, and
//! announces it with a signed `email.received` event; the body is then
//! read with `GET /emails/receiving/{id}` (Bearer key).

use crate::{Message, events};
use serde::Serialize;
use serde_json::{Value, json};

/// One received email.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub object: &'static str,
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub created_at: String,
    pub message_id: String,
    pub attachments: Vec<Value>,
}

/// The address inside `"Name" <address>`, or the whole string.
fn address(s: &str) -> String {
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_owned(),
        _ => s.trim().to_owned(),
    }
}

/// The reply to `m` saying `text`, as received at `now_ms`; `None` when `m`
/// has no reply-to address to answer.
pub fn reply_to(m: &Message, text: &str, id: String, now_ms: u128) -> Option<Received> {
    let to = address(m.reply_to.as_deref()?);
    let original = m.text.clone().unwrap_or_default();
    let quoted: String = original.lines().map(|l| format!("> {l}\n")).collect();
    let when = events::rfc3339(m.received_at_ms);
    let subject = if m.subject.to_lowercase().starts_with("re:") {
        m.subject.clone()
    } else {
        format!("Re: {}", m.subject)
    };
    Some(Received {
        object: "email",
        id: id.clone(),
        from: m.to.first().cloned().unwrap_or_default(),
        to: vec![to],
        subject,
        text: format!("{text}\n\nOn {when}, {} wrote:\n{quoted}", m.from),
        html: None,
        created_at: events::rfc3339(now_ms),
        message_id: format!("<{id}@mail-sim.local>"),
        attachments: Vec::new(),
    })
}

/// The `email.received` event announcing `r`.
pub fn event(r: &Received, now_ms: u128) -> (String, String) {
    let body = json!({
        "type": "email.received",
        "created_at": events::rfc3339(now_ms),
        "data": {
            "email_id": r.id,
            "created_at": r.created_at,
            "from": r.from,
            "to": r.to,
            "bcc": [],
            "cc": [],
            "message_id": r.message_id,
            "subject": r.subject,
            "attachments": [],
        }
    });
    (format!("msg_{}_received", r.id), body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_answers_the_reply_to_address_and_quotes_the_email() {
        let m = Message {
            id: "m1".into(),
            from: "\"Acme\" <billing@settle.example>".into(),
            to: vec!["dora@example.com".into()],
            bcc: Vec::new(),
            reply_to: Some("\"Acme\" <reply+eml_1-abc@reply.settle.test>".into()),
            subject: "Invoice INV-1".into(),
            html: None,
            text: Some("Pay here.\nThanks".into()),
            headers: Default::default(),
            tags: Vec::new(),
            idempotency_key: None,
            received_at_ms: 0,
        };
        let r = reply_to(&m, "Paid already.", "r1".into(), 1000).unwrap();
        assert_eq!(r.to, vec!["reply+eml_1-abc@reply.settle.test".to_owned()]);
        assert_eq!(r.from, "dora@example.com");
        assert_eq!(r.subject, "Re: Invoice INV-1");
        assert!(
            r.text
                .starts_with("Paid already.\n\nOn 1970-01-01T00:00:00")
        );
        assert!(r.text.ends_with("> Pay here.\n> Thanks\n"));
        let (id, body) = event(&r, 2000);
        assert_eq!(id, "msg_r1_received");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["type"], "email.received");
        assert_eq!(v["data"]["email_id"], "r1");
        let none = Message {
            reply_to: None,
            ..m
        };
        assert!(reply_to(&none, "x", "r2".into(), 0).is_none());
    }
}
