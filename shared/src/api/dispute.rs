//! Disputes and their threads, for the portal (the customer) and the
//! company API and console.

use crate::dispute::Reason;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/portal/invoices/{id}/disputes`: the customer says what is
/// wrong. `lines` are the invoice's line numbers (from 1); none: the whole
/// invoice. `expected_amount` (minor units) only with `wrong_amount`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OpenDisputeRequest {
    pub reason: Reason,
    #[serde(default)]
    pub lines: Option<Vec<u32>>,
    #[serde(default)]
    pub expected_amount: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

/// `POST …/disputes/{id}/messages`; also the optional note of a reopening.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DisputeMessageRequest {
    #[serde(default)]
    pub body: String,
}

/// `POST /api/v1/disputes/{id}/resolve`: `outcome` `credit_note` (with
/// `credit_amount`, at most what is due), `corrected_invoice` (with
/// `corrected_invoice`: the old invoice is voided, the new one sent) or
/// `resolved` (nothing to change); `resolution` is the message the customer
/// sees.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveDisputeRequest {
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub credit_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_invoice: Option<CorrectedInvoiceRequest>,
    pub resolution: String,
}

/// The invoice that replaces the disputed one: same customer and currency,
/// issued today. `number` defaults to the old number with `-R1` (`-R2` for
/// a correction of a correction); `due_date` to the old due date, or as many
/// days from today as the old invoice gave when that date has passed;
/// `memo` to the old memo.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectedInvoiceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
    pub lines: Vec<crate::api::LineRequest>,
}

/// Another invoice, named: the one a dispute's correction issued.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InvoiceRef {
    pub id: String,
    pub number: String,
}

/// `POST /api/v1/disputes/{id}/reject`: the reason the customer sees.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RejectDisputeRequest {
    pub reason: String,
}

/// One message of a thread.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DisputeMessageResponse {
    pub id: String,
    /// `customer`, `member` or `system`.
    pub author: String,
    pub author_name: String,
    /// Plain text; shown as text, never as markup.
    pub body: String,
    /// The whole message as received, where the thread shows less of it
    /// (an emailed reply without its quoted history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_body: Option<String>,
    /// `portal`, `console`, `api`, `email`, `stripe` or `system`.
    pub via: String,
    pub created_at: String,
    /// The file this message carries, if it carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentResponse>,
}

/// A file in a thread: downloaded from
/// `…/disputes/{dispute}/attachments/{id}`, always as a download.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttachmentResponse {
    pub id: String,
    pub name: String,
    /// As recognised from the content: `image/png`, `image/jpeg`,
    /// `image/gif`, `image/webp` or `application/pdf`.
    pub content_type: String,
    pub bytes: u64,
}

/// A credit note: the document a dispute resolved with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CreditNoteResponse {
    pub id: String,
    pub number: String,
    pub invoice_id: String,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    pub created_at: String,
}

/// A dispute, with its thread when one is asked for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DisputeResponse {
    pub id: String,
    pub invoice_id: String,
    pub invoice_number: String,
    pub customer_id: String,
    pub customer_name: String,
    /// `customer` (from the portal), `company` (recorded by the company) or
    /// `chargeback` (a card dispute at Stripe).
    pub kind: String,
    /// `open`, `resolved` or `rejected`.
    pub status: String,
    /// The reason's code (`not_received`, …, Stripe's for chargebacks), or
    /// the company's words.
    pub reason: String,
    pub lines: Option<Vec<u32>>,
    pub expected_amount: Option<i64>,
    /// The part of the invoice in dispute, in its currency's minor units.
    pub disputed_amount: i64,
    /// What is left to pay on the invoice (the disputed part included).
    #[serde(default)]
    pub invoice_amount_due: i64,
    pub currency: String,
    /// `credit_note`, `corrected_invoice`, `rejected`, `resolved`; chargebacks
    /// `won` or `lost`.
    pub outcome: Option<String>,
    pub resolution: Option<String>,
    pub credit_note: Option<CreditNoteResponse>,
    /// The invoice that replaced this one (`corrected_invoice`).
    #[serde(default)]
    pub corrected_invoice: Option<InvoiceRef>,
    pub assigned_to: Option<String>,
    /// A rejection can be contested once.
    pub can_reopen: bool,
    pub created_at: String,
    pub updated_at: String,
    pub resolved_at: Option<String>,
    pub last_message_at: Option<String>,
    /// When the other side last read the thread (the portal: the company;
    /// the company: the customer).
    pub other_side_read_at: Option<String>,
    /// Messages from the other side the viewer has not seen.
    pub unread: u32,
    /// Chargebacks: Stripe's dispute, its status and evidence deadline.
    pub stripe_dispute_id: Option<String>,
    pub stripe_status: Option<String>,
    pub evidence_due_at: Option<String>,
    /// The thread, oldest first (one dispute asked for); empty in lists.
    #[serde(default)]
    pub messages: Vec<DisputeMessageResponse>,
}
