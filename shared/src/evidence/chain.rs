//! The audit trail's hash chain: each organization's audit rows are put in
//! a sequence, and each row carries the SHA-256 of its own content and of
//! the row before it. Changing or removing any sealed row changes every
//! hash after it, so a copy of the chain (an evidence pack) shows where the
//! trail was altered.
//!
//! Rows are written first and sealed afterwards, in order of time, by one
//! writer at a time (the cron and the evidence export call [`seal`]); the
//! worker only stores what these functions answer.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of an organization's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit row as stored, before it is sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub organization_id: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
    /// The JSON detail exactly as stored (hashed as text, not re-encoded).
    pub detail: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// A sealed row: its place in the chain and its hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEntry {
    /// 1 for an organization's first row, then one more for each row.
    pub seq: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a row at `seq` that follows a row hashed `prev_hash`: SHA-256
/// (lower-case hex) of the JSON array of its fields in a fixed order.
pub fn digest(seq: i64, e: &AuditEntry, prev_hash: &str) -> String {
    let canonical = serde_json::json!([
        seq,
        e.id,
        e.organization_id,
        e.actor,
        e.action,
        e.subject,
        e.ip,
        e.detail,
        e.created_at,
        prev_hash
    ])
    .to_string();
    let sum = Sha256::digest(canonical.as_bytes());
    sum.iter().map(|b| format!("{b:02x}")).collect()
}

/// The last sealed row of an organization: where the next seal starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Seals `pending` rows after `head` (none: the chain is empty), in order of
/// time then id. Answers each row with its place and hashes.
pub fn seal(head: Option<&Head>, mut pending: Vec<AuditEntry>) -> Vec<ChainEntry> {
    crate::sort::sort_by(&mut pending, |a, b| {
        (a.created_at, &a.id).cmp(&(b.created_at, &b.id))
    });
    let (mut seq, mut prev) = head.map_or((0, GENESIS.to_owned()), |h| (h.seq, h.hash.clone()));
    pending
        .into_iter()
        .map(|entry| {
            seq += 1;
            let hash = digest(seq, &entry, &prev);
            ChainEntry {
                seq,
                entry,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

/// Where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The row's content (or place) was changed after it was sealed.
    #[error("audit row {seq} ({id}) was changed: its content does not match its hash")]
    Altered { seq: i64, id: String },
    /// The row does not follow the one before it: that row was changed
    /// (and its hash recomputed) or rows between them were removed.
    #[error(
        "audit row {seq} ({id}) does not follow row {prev_seq}: a row before it was changed or removed"
    )]
    Unlinked { seq: i64, id: String, prev_seq: i64 },
    /// Rows are missing from a chain meant to be complete.
    #[error("audit rows {from} to {to} are missing")]
    Missing { from: i64, to: i64 },
    /// Two rows claim the same place.
    #[error("audit row {seq} appears twice ({id})")]
    Duplicate { seq: i64, id: String },
}

/// How much of a chain was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    pub rows: usize,
    pub first_seq: Option<i64>,
    pub last_seq: Option<i64>,
    /// The last row's hash: compare it with a copy kept elsewhere.
    pub last_hash: Option<String>,
}

/// Checks `rows` (in any order). Each row's hash must match its content,
/// and each row that directly follows another in the sequence must carry
/// that row's hash. With `whole_from: Some(n)`, the rows must also be the
/// whole chain from its row `n` on, with nothing missing (`Some(1)`: the
/// whole chain).
pub fn verify(rows: &[ChainEntry], whole_from: Option<i64>) -> Result<Verified, ChainBreak> {
    let from_start = whole_from.is_some();
    let first = whole_from.unwrap_or(1);
    let mut sorted: Vec<&ChainEntry> = rows.iter().collect();
    crate::sort::sort_by_key(&mut sorted, |r| r.seq);
    let mut prev: Option<&ChainEntry> = None;
    for r in &sorted {
        if digest(r.seq, &r.entry, &r.prev_hash) != r.hash {
            return Err(ChainBreak::Altered {
                seq: r.seq,
                id: r.entry.id.clone(),
            });
        }
        let expected_prev = match prev {
            Some(p) if p.seq == r.seq => {
                return Err(ChainBreak::Duplicate {
                    seq: r.seq,
                    id: r.entry.id.clone(),
                });
            }
            Some(p) if p.seq + 1 == r.seq => Some((p.seq, p.hash.as_str())),
            Some(p) if from_start => {
                return Err(ChainBreak::Missing {
                    from: p.seq + 1,
                    to: r.seq - 1,
                });
            }
            None if from_start && r.seq != first => {
                return Err(ChainBreak::Missing {
                    from: first,
                    to: r.seq - 1,
                });
            }
            None if r.seq == 1 => Some((0, GENESIS)),
            _ => None,
        };
        if let Some((prev_seq, hash)) = expected_prev
            && r.prev_hash != hash
        {
            return Err(ChainBreak::Unlinked {
                seq: r.seq,
                id: r.entry.id.clone(),
                prev_seq,
            });
        }
        prev = Some(r);
    }
    Ok(Verified {
        rows: sorted.len(),
        first_seq: sorted.first().map(|r| r.seq),
        last_seq: sorted.last().map(|r| r.seq),
        last_hash: sorted.last().map(|r| r.hash.clone()),
    })
}
