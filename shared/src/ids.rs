//! Prefixed, sortable identifiers: `inv_0193f1c2a4b1` + 20 random hex digits.
//!
//! The first 12 hex digits are the creation time in milliseconds, so ids sort
//! by creation and serve as pagination cursors; the rest is 80 random bits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an id did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid {1} id")]
pub struct IdError(pub String, pub &'static str);

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Builds an id from a millisecond timestamp and 10 random bytes.
            pub fn generate(unix_millis: u64, random: [u8; 10]) -> Self {
                $name(compose($prefix, unix_millis, random))
            }

            pub fn parse(s: &str) -> Result<Self, IdError> {
                if is_valid(s, $prefix) { Ok($name(s.to_owned())) } else { Err(IdError(s.chars().take(64).collect(), $prefix)) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> { $name::parse(&s) }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String { id.0 }
        }
    };
}

fn compose(prefix: &str, unix_millis: u64, random: [u8; 10]) -> String {
    let mut s = String::with_capacity(prefix.len() + 33);
    s.push_str(prefix);
    s.push('_');
    s.push_str(&format!("{:012x}", unix_millis & 0xffff_ffff_ffff));
    for b in random {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn is_valid(s: &str, prefix: &str) -> bool {
    match s.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) {
        Some(rest) => {
            rest.len() == 32
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        None => false,
    }
}

define_id!(
    /// A tenant: one company using Settle.
    OrganizationId, "org");
define_id!(
    /// A customer of an organization.
    CustomerId, "cus");
define_id!(
    /// An invoice.
    InvoiceId, "inv");
define_id!(
    /// A row of the payments ledger.
    PaymentId, "pay");
define_id!(
    /// A customer access link (the token itself is never stored).
    LinkId, "lnk");
define_id!(
    /// An organization API key (the secret itself is never stored).
    ApiKeyId, "key");
define_id!(
    /// An email that Settle sent or tried to send.
    EmailId, "eml");
define_id!(
    /// An audit trail row.
    AuditId, "aud");
define_id!(
    /// A member of an organization's team.
    MemberId, "mem");
define_id!(
    /// A staff session (its cookie's token is never stored).
    StaffSessionId, "ses");
define_id!(
    /// A reminder policy: the steps of a dunning schedule.
    PolicyId, "pol");
define_id!(
    /// A customer segment: rules that pick a reminder policy.
    SegmentId, "seg");
define_id!(
    /// A customer's promise to pay an invoice by a date.
    PromiseId, "prm");
define_id!(
    /// An instalment plan on an invoice.
    PlanId, "pln");
define_id!(
    /// A scheduled automatic payment of an invoice.
    ScheduleId, "sch");
define_id!(
    /// A dispute about an invoice.
    DisputeId, "dsp");
define_id!(
    /// Something the company should look at (a bouncing address, …).
    AlertId, "alr");
define_id!(
    /// A message in a dispute's thread.
    MessageId, "msg");
define_id!(
    /// A credit note: part of an invoice the company gave up.
    CreditNoteId, "crn");
define_id!(
    /// A file attached to a dispute's thread.
    AttachmentId, "att");
define_id!(
    /// A plan or add-on of an organization's catalog.
    CatalogItemId, "cat");
define_id!(
    /// A customer's subscription to a catalog plan.
    SubscriptionId, "sub");
define_id!(
    /// One organization's billing run on one date.
    BillingRunId, "brn");
define_id!(
    /// An organization's endpoint for outgoing webhooks.
    WebhookEndpointId, "whe");
define_id!(
    /// An outgoing webhook event.
    WebhookEventId, "evt");
define_id!(
    /// One event's delivery to one endpoint.
    WebhookDeliveryId, "whd");
define_id!(
    /// A CSV import.
    ImportId, "imp");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_sort_by_time() {
        let a = InvoiceId::generate(1_700_000_000_000, [0xff; 10]);
        let b = InvoiceId::generate(1_700_000_000_001, [0x00; 10]);
        assert!(a < b);
        assert_eq!(InvoiceId::parse(a.as_str()).unwrap(), a);
        assert!(CustomerId::parse(a.as_str()).is_err(), "prefix is checked");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "inv_",
            "inv_123",
            "inv_0193F1C2A4B1aaaaaaaaaaaaaaaaaaaa",
            "inv-0193f1c2a4b1aaaaaaaaaaaaaaaaaaaa",
            "' OR 1=1 --",
        ] {
            assert!(InvoiceId::parse(bad).is_err(), "{bad}");
        }
    }
}
define_id!(
    /// A call or note an agent logged on an account.
    ActivityId, "act");
define_id!(
    /// A follow-up task on an account, due at a time.
    TaskId, "tsk");
