//! Evidence: the audit trail's hash chain, sealed by the cron; the
//! evidence pack of a customer or an invoice (everything documented, with
//! the audit rows about it and their hashes); and a check of the whole
//! chain. The pack's format and the chain rule live in
//! `settle_shared::evidence`, which `cargo xtask verify-evidence` reads too.

mod pack;
pub mod seal;

use crate::error::ApiError;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use serde::Deserialize;
use serde_json::json;
use settle_shared::evidence::chain::{self, AuditEntry, ChainBreak, ChainEntry};
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use worker::{Request, Response};

pub use pack::{customer, invoice};

/// An audit row as read for the chain.
#[derive(Deserialize)]
pub struct ChainRow {
    id: String,
    organization_id: String,
    actor: String,
    action: String,
    subject: String,
    ip: Option<String>,
    detail: String,
    created_at: i64,
    seq: Option<i64>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

/// The columns [`ChainRow`] reads.
pub const CHAIN_COLUMNS: &str =
    "id, organization_id, actor, action, subject, ip, detail, created_at, seq, prev_hash, hash";

impl ChainRow {
    pub fn entry(self) -> AuditEntry {
        AuditEntry {
            id: self.id,
            organization_id: self.organization_id,
            actor: self.actor,
            action: self.action,
            subject: self.subject,
            ip: self.ip,
            detail: self.detail,
            created_at: self.created_at,
        }
    }

    /// The sealed row; `None` while it waits for the sealer.
    pub fn sealed(mut self) -> Option<ChainEntry> {
        let (seq, prev_hash, hash) = (self.seq?, self.prev_hash.take()?, self.hash.take()?);
        Some(ChainEntry {
            seq,
            entry: self.entry(),
            prev_hash,
            hash,
        })
    }
}

/// Rows one check reads at most.
const VERIFY_MAX: i64 = 20_000;

/// `GET /api/v1/audit-events/verify?after=&limit=` (supervisors and admins):
/// seals what waits, then checks the chain from row `after + 1` (from the
/// first row unless told), `limit` rows at most (5,000 unless told, at
/// most 20,000): each row's hash against its content, each link, and that
/// no row is missing. Answers the first break with the row it is in, and
/// where to go on from (`next_after`) when rows are left.
pub async fn verify(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    let after = match http::query(req, "after") {
        None => 0,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| FieldError::invalid("after", "must be a row number (0 or more)"))?,
    };
    let limit = match http::query(req, "limit") {
        None => 5_000,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=VERIFY_MAX).contains(n))
            .ok_or_else(|| {
                FieldError::invalid("limit", "must be a whole number from 1 to 20000")
            })?,
    };
    seal::organization(ctx, &org.id, 5_000).await?;
    // The row before the first one checked, to check the first link.
    let rows: Vec<ChainRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {CHAIN_COLUMNS} FROM audit_events WHERE organization_id = ?1 AND seq >= ?2 AND seq <= ?3 ORDER BY seq"
        ),
        params![&org.id, after.max(1), after + limit],
    )?)
    .await?;
    let rows: Vec<ChainEntry> = rows.into_iter().filter_map(ChainRow::sealed).collect();
    let head = seal::head(ctx, &org.id).await?;
    let head_seq = head.as_ref().map_or(0, |h| h.seq);
    let last = (after + limit).min(head_seq);
    let found = chain::verify(&rows, Some(after.max(1))).and_then(|v| {
        // Rows missing at the end of the page (the chain's head is past them).
        match v.last_seq {
            Some(s) if s < last => Err(ChainBreak::Missing {
                from: s + 1,
                to: last,
            }),
            None if last > after => Err(ChainBreak::Missing {
                from: after + 1,
                to: last,
            }),
            _ => Ok(v),
        }
    });
    let checked = rows.iter().filter(|r| r.seq > after).count();
    http::json(
        200,
        &json!({
            "checked": checked,
            "from_seq": after + 1,
            "to_seq": last,
            "head": head.map(|h| json!({ "seq": h.seq, "hash": h.hash })),
            "intact": found.is_ok(),
            "break": found.as_ref().err().map(|b| json!({ "detail": b, "message": b.to_string() })),
            "next_after": (found.is_ok() && last < head_seq).then_some(last),
        }),
    )
}
