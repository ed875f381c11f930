//! Emails: what Settle sends, rendered from the organization's branding, and
//! the provider that carries them.
//!
//! Rendering is pure; sending goes through an [`EmailSender`]. The one real
//! provider is [`resend::ResendSender`], over any [`HttpClient`]: the worker
//! gives it `worker::Fetch`, tests give it a scripted client. What happens
//! to an email afterwards comes back as signed delivery events, checked and
//! read by [`webhook`].

pub mod delivery;
pub mod render;
pub mod resend;
pub mod template;
pub mod webhook;

pub use render::{InvoiceEmail, LinkEmail, Purpose, Rendered};

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
