//! An evidence pack: everything documented about one customer or one
//! invoice, with the audit rows about it and their place in the chain.
//! The documents are kept as the worker wrote them (JSON values); only the
//! audit rows and the chain's head are read back by the verifier.

use super::chain::{self, ChainBreak, ChainEntry, Verified};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The pack format's name and version.
pub const FORMAT: &str = "settle.evidence/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvidencePack {
    /// [`FORMAT`].
    pub format: String,
    /// RFC 3339 UTC.
    pub generated_at: String,
    pub organization: Value,
    /// `{"kind":"customer"|"invoice","id":…}`.
    pub scope: Value,
    pub customer: Value,
    /// Invoices with their lines and totals as issued.
    pub invoices: Vec<Value>,
    /// Every email with its time, status and content as sent.
    pub emails: Vec<Value>,
    /// Payments and refunds from the ledger.
    pub payments: Vec<Value>,
    /// Credit notes issued to the customer or on the invoice.
    pub credit_notes: Vec<Value>,
    /// Promises, instalment plans and scheduled payments, with what the
    /// customer agreed to.
    pub agreements: Vec<Value>,
    /// Disputes with their whole conversation.
    pub disputes: Vec<Value>,
    /// Calls and notes the team logged, with their outcome.
    #[serde(default)]
    pub notes: Vec<Value>,
    /// Who the staff actors named in it are (`actor`, `name`, `email`,
    /// `role`), as the team stands when the pack is made.
    #[serde(default)]
    pub staff: Vec<Value>,
    /// The audit rows about this customer or invoice (link views, emails,
    /// payments, staff actions…), sealed, oldest first.
    pub audit: Vec<ChainEntry>,
    /// The organization's chain when the pack was made.
    pub chain: ChainHead,
}

/// The last sealed row of the organization's chain when a pack was made,
/// and whether the worker found the whole chain intact up to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
    /// The break the worker found checking the chain from its first row,
    /// if any.
    pub break_found: Option<ChainBreak>,
}

/// What checking a pack found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackReport {
    pub verified: Verified,
}

/// Why a pack does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("not an evidence pack: {0}")]
    Unreadable(String),
    #[error("unknown pack format `{0}` (this tool reads {FORMAT})")]
    Format(String),
    #[error("{0}")]
    Chain(ChainBreak),
    #[error("the pack's audit rows belong to another organization ({0})")]
    Organization(String),
    #[error("audit row {seq} is past the chain's head ({head}) named in the pack")]
    PastHead { seq: i64, head: i64 },
    #[error("the worker found the chain broken when it made this pack: {0}")]
    BrokenAtExport(ChainBreak),
}

/// Checks a pack offline: each audit row's hash against its content, the
/// links between consecutive rows, and that every row is within the chain
/// the pack names. Answers the first problem found.
pub fn verify(text: &str) -> Result<PackReport, PackError> {
    let pack: EvidencePack =
        serde_json::from_str(text).map_err(|e| PackError::Unreadable(e.to_string()))?;
    if pack.format != FORMAT {
        return Err(PackError::Format(pack.format));
    }
    let org = pack.organization["id"].as_str().unwrap_or_default();
    if let Some(other) = pack.audit.iter().find(|r| r.entry.organization_id != org) {
        return Err(PackError::Organization(other.entry.organization_id.clone()));
    }
    let verified = chain::verify(&pack.audit, None).map_err(PackError::Chain)?;
    if let Some(seq) = verified.last_seq
        && seq > pack.chain.seq
    {
        return Err(PackError::PastHead {
            seq,
            head: pack.chain.seq,
        });
    }
    if let Some(b) = pack.chain.break_found {
        return Err(PackError::BrokenAtExport(b));
    }
    Ok(PackReport { verified })
}
