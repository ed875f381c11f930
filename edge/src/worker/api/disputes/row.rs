//! A dispute as read: the row with its invoice's and customer's facts and
//! each side's unread count (`SELECT`), and the view each side gets of it.

use super::thread::Side;
use serde::Deserialize;
use settle_shared::api::{CreditNoteResponse, DisputeMessageResponse, DisputeResponse, InvoiceRef};
use settle_shared::dispute::{self, Status, Step};
use settle_shared::ids::DisputeId;
use settle_shared::time::rfc3339_from_millis;

/// A dispute with its invoice's number and currency and its customer's
/// name, and how many messages each side has not read.
pub const SELECT: &str = "SELECT d.id, d.organization_id, d.invoice_id, d.customer_id, d.kind, d.status, d.reason, d.reason_code, \
     d.line_ids, d.expected_amount, d.disputed_amount, d.resolution, d.outcome, d.credit_note_id, d.assigned_to, d.reopened, \
     d.created_at, d.resolved_at, d.updated_at, d.last_message_at, d.customer_read_at, d.company_read_at, \
     d.stripe_dispute_id, d.currency, d.stripe_status, d.evidence_due_at, \
     i.number AS invoice_number, i.currency AS invoice_currency, c.name AS customer_name, \
     i.status AS invoice_status, i.total AS invoice_total, i.amount_paid AS invoice_paid, c.email AS customer_email, d.customer_wrote_at, \
     d.corrected_invoice_id, (SELECT r.number FROM invoices r WHERE r.id = d.corrected_invoice_id) AS corrected_invoice_number, \
     (SELECT COUNT(*) FROM dispute_messages m WHERE m.dispute_id = d.id AND m.author != 'customer' \
        AND m.created_at > COALESCE(d.customer_read_at, 0)) AS unread_by_customer, \
     (SELECT COUNT(*) FROM dispute_messages m WHERE m.dispute_id = d.id AND m.author = 'customer' \
        AND m.created_at > COALESCE(d.company_read_at, 0)) AS unread_by_company \
     FROM disputes d JOIN invoices i ON i.id = d.invoice_id JOIN customers c ON c.id = d.customer_id";

#[derive(Debug, Clone, Deserialize)]
pub struct DisputeRow {
    pub id: String,
    pub organization_id: String,
    pub invoice_id: String,
    pub customer_id: String,
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub reason_code: Option<String>,
    pub line_ids: Option<String>,
    pub expected_amount: Option<i64>,
    pub disputed_amount: i64,
    pub resolution: Option<String>,
    pub outcome: Option<String>,
    pub credit_note_id: Option<String>,
    pub assigned_to: Option<String>,
    pub reopened: i64,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    pub updated_at: i64,
    pub last_message_at: Option<i64>,
    pub customer_read_at: Option<i64>,
    pub company_read_at: Option<i64>,
    pub stripe_dispute_id: Option<String>,
    pub currency: Option<String>,
    pub stripe_status: Option<String>,
    pub evidence_due_at: Option<i64>,
    pub invoice_number: String,
    pub invoice_currency: String,
    pub customer_name: String,
    #[serde(default)]
    pub invoice_status: String,
    #[serde(default)]
    pub invoice_total: i64,
    #[serde(default)]
    pub invoice_paid: i64,
    pub unread_by_customer: i64,
    pub unread_by_company: i64,
    #[serde(default)]
    pub customer_email: String,
    #[serde(default)]
    pub customer_wrote_at: Option<i64>,
    #[serde(default)]
    pub corrected_invoice_id: Option<String>,
    #[serde(default)]
    pub corrected_invoice_number: Option<String>,
}

impl DisputeRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Open)
    }

    /// The dispute as `side` sees it, with `messages` (oldest first).
    pub fn view(
        &self,
        side: Side,
        messages: Vec<DisputeMessageResponse>,
        credit_note: Option<CreditNoteResponse>,
    ) -> DisputeResponse {
        let (other_read, unread) = match side {
            Side::Customer => (self.company_read_at, self.unread_by_customer),
            Side::Company => (self.customer_read_at, self.unread_by_company),
        };
        DisputeResponse {
            id: self.id.clone(),
            invoice_id: self.invoice_id.clone(),
            invoice_number: self.invoice_number.clone(),
            customer_id: self.customer_id.clone(),
            customer_name: self.customer_name.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
            reason: match (&self.reason_code, side) {
                (Some(code), _) => code.clone(),
                // The company's own words about a dispute it recorded are
                // its notes, not the customer's.
                (None, Side::Customer) => "other".into(),
                (None, Side::Company) => self.reason.clone(),
            },
            lines: self
                .line_ids
                .as_deref()
                .and_then(|l| serde_json::from_str(l).ok()),
            expected_amount: self.expected_amount,
            disputed_amount: self.disputed_amount,
            // What is due is the ledger's rule, not the query's.
            invoice_amount_due: crate::ledger::due(
                settle_shared::invoice::InvoiceStatus::parse(&self.invoice_status)
                    .unwrap_or(settle_shared::invoice::InvoiceStatus::Open),
                self.invoice_total,
                self.invoice_paid,
            ),
            currency: self
                .currency
                .clone()
                .unwrap_or_else(|| self.invoice_currency.clone()),
            outcome: self.outcome.clone(),
            resolution: self.resolution.clone(),
            credit_note,
            corrected_invoice: self
                .corrected_invoice_id
                .clone()
                .zip(self.corrected_invoice_number.clone())
                .map(|(id, number)| InvoiceRef { id, number }),
            assigned_to: self.assigned_to.clone(),
            can_reopen: dispute::next(self.status(), self.reopened as u32, Step::Reopen).is_ok()
                && self.kind != "chargeback",
            created_at: rfc3339_from_millis(self.created_at),
            updated_at: rfc3339_from_millis(self.updated_at.max(self.created_at)),
            resolved_at: self.resolved_at.map(rfc3339_from_millis),
            last_message_at: self.last_message_at.map(rfc3339_from_millis),
            other_side_read_at: other_read.map(rfc3339_from_millis),
            unread: unread.max(0) as u32,
            stripe_dispute_id: self.stripe_dispute_id.clone(),
            stripe_status: self.stripe_status.clone(),
            evidence_due_at: self.evidence_due_at.map(rfc3339_from_millis),
            messages,
        }
    }
}

/// The dispute row a first message is written against, before it is read.
pub fn new_row(
    id: &DisputeId,
    org: &str,
    invoice_id: &str,
    customer_id: &str,
    customer_name: &str,
) -> DisputeRow {
    DisputeRow {
        id: id.as_str().to_owned(),
        organization_id: org.to_owned(),
        invoice_id: invoice_id.to_owned(),
        customer_id: customer_id.to_owned(),
        kind: "customer".into(),
        status: "open".into(),
        reason: String::new(),
        reason_code: None,
        line_ids: None,
        expected_amount: None,
        disputed_amount: 0,
        resolution: None,
        outcome: None,
        credit_note_id: None,
        assigned_to: None,
        reopened: 0,
        created_at: 0,
        resolved_at: None,
        updated_at: 0,
        last_message_at: None,
        customer_read_at: None,
        company_read_at: None,
        stripe_dispute_id: None,
        currency: None,
        stripe_status: None,
        evidence_due_at: None,
        invoice_number: String::new(),
        invoice_currency: String::new(),
        customer_name: customer_name.to_owned(),
        invoice_status: String::new(),
        invoice_total: 0,
        invoice_paid: 0,
        unread_by_customer: 0,
        unread_by_company: 0,
        customer_email: String::new(),
        customer_wrote_at: None,
        corrected_invoice_id: None,
        corrected_invoice_number: None,
    }
}
