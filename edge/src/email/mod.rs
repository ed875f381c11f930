//! Emails: what Settle sends, rendered from the organization's branding, and
//! the provider that carries them.
//!
//! Rendering is pure; sending goes through an [`EmailSender`]. The one real
//! provider is [`resend::ResendSender`], over any [`HttpClient`]: the worker
//! gives it `worker::Fetch`, tests give it a scripted client. What happens
//! to an email afterwards comes back as signed delivery events, checked and
//! read by [`webhook`].

pub mod delivery;
mod html;
pub mod inbound;
pub mod reminder;
pub mod render;
pub mod resend;
pub mod template;
pub mod webhook;

pub use render::{AnswerEmail, InvoiceEmail, LinkEmail, Purpose, Rendered, SignInEmail};

#[cfg(test)]
mod copy_tests {
    use super::*;

    #[test]
    fn the_company_copy_carries_no_working_link() {
        let email = OutgoingEmail {
            from: "Acme <billing@settle.example>".into(),
            to: "ada@example.com".into(),
            bcc: Some("archive@acme.example".into()),
            reply_to: None,
            subject: "Overdue".into(),
            html: "<a href=\"https://pay.test/c/cl_secret\">Pay</a> <a href=\"https://pay.test/u/cus_1/mac\">Stop</a>".into(),
            text: "Pay: https://pay.test/c/cl_secret\nStop: https://pay.test/u/cus_1/mac".into(),
            headers: vec![(
                "List-Unsubscribe".into(),
                "<https://pay.test/u/cus_1/mac?one-click=1>".into(),
            )],
            idempotency_key: "eml_1".into(),
            email_id: "eml_1".into(),
        };
        let mut links = email.unsubscribe_links();
        assert_eq!(
            links,
            vec![
                "https://pay.test/u/cus_1/mac?one-click=1".to_owned(),
                "https://pay.test/u/cus_1/mac".to_owned()
            ]
        );
        links.push("https://pay.test/c/cl_secret".into());
        let refs: Vec<&str> = links.iter().map(String::as_str).collect();
        let copy = email
            .company_copy(&refs, "[link removed in this copy]")
            .unwrap();
        assert_eq!(copy.to, "archive@acme.example");
        assert!(copy.bcc.is_none() && copy.headers.is_empty());
        assert_eq!(copy.idempotency_key, "eml_1-copy");
        for body in [&copy.html, &copy.text] {
            assert!(
                !body.contains("cl_secret") && !body.contains("/u/cus_1"),
                "{body}"
            );
            assert!(body.contains("[link removed in this copy]"));
        }
        let mut plain = email.clone();
        plain.bcc = None;
        assert!(plain.company_copy(&refs, "x").is_none());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mailboxes_are_quoted() {
        assert_eq!(
            super::mailbox("Acme, Inc.", "b@x.test"),
            "\"Acme, Inc.\" <b@x.test>"
        );
        assert_eq!(
            super::mailbox("A \"B\" <C>", "b@x.test"),
            "\"A \\\"B\\\" <C>\" <b@x.test>"
        );
        assert_eq!(
            super::mailbox("Line\nBreak", "b@x.test"),
            "\"LineBreak\" <b@x.test>"
        );
    }
}

use std::future::Future;

/// Something that delivers emails: answers the provider's message id.
pub trait EmailSender {
    fn send(&self, email: &OutgoingEmail) -> impl Future<Output = Result<String, EmailError>>;
}

/// One email ready for the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// `"Acme Ltd <billing@settle.example>"`
    pub from: String,
    pub to: String,
    /// A blind copy, e.g. to the organization's archive mailbox.
    pub bcc: Option<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Extra MIME headers, e.g. `List-Unsubscribe`. A name given twice keeps
    /// its last value.
    pub headers: Vec<(String, String)>,
    /// Provider-side deduplication: the same key is sent at most once.
    pub idempotency_key: String,
    /// Our email id, carried as a tag so delivery events can be matched.
    pub email_id: String,
}

impl OutgoingEmail {
    /// The company's copy of this email (its `bcc`), sent on its own: the
    /// customer's portal link and preferences links in it are replaced by
    /// `removed`, and it carries no List-Unsubscribe header, so whoever reads
    /// the company's mailbox can neither open the customer's invoices nor
    /// unsubscribe the customer. `None` without a `bcc`.
    pub fn company_copy(&self, secret_links: &[&str], removed: &str) -> Option<OutgoingEmail> {
        let to = self.bcc.clone()?;
        let strip = |body: &str| {
            secret_links
                .iter()
                .filter(|l| !l.is_empty())
                .fold(body.to_owned(), |b, l| b.replace(l, removed))
        };
        Some(OutgoingEmail {
            from: self.from.clone(),
            to,
            bcc: None,
            reply_to: self.reply_to.clone(),
            subject: self.subject.clone(),
            html: strip(&self.html),
            text: strip(&self.text),
            headers: Vec::new(),
            idempotency_key: format!("{}-copy", self.idempotency_key),
            email_id: self.email_id.clone(),
        })
    }

    /// The URLs of a `List-Unsubscribe` header (`<https://…>, <mailto:…>`),
    /// each also without its query (the form the body links to).
    pub fn unsubscribe_links(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("List-Unsubscribe"))
            .flat_map(|(_, v)| v.split(','))
        {
            let u = v.trim().trim_start_matches('<').trim_end_matches('>');
            if u.is_empty() {
                continue;
            }
            out.push(u.to_owned());
            if let Some((base, _)) = u.split_once('?') {
                out.push(base.to_owned());
            }
        }
        out
    }
}

/// Why the provider did not take an email.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Worth retrying: network failure, 429, 5xx.
    #[error("the email provider is unavailable: {0}")]
    Transient(String),
    /// Not worth retrying: the provider refused this email.
    #[error("the email provider refused the email: {0}")]
    Rejected(String),
    /// The provider already took an email under this idempotency key.
    #[error("the email provider already accepted this email: {0}")]
    AlreadyAccepted(String),
}

/// A `From`/`To` mailbox with a display name, quoted so that names with
/// commas or angle brackets stay one name: `"Acme, Inc." <billing@x>`.
pub fn mailbox(name: &str, address: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).collect();
    let escaped = clean.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\" <{address}>")
}
