//! Sealing the audit trail: rows written since the last seal get their
//! place in the organization's chain and their hashes (the rule is
//! `settle_shared::evidence::chain::seal`). One batch per part, guarded on
//! the chain's head, so two sealers at once never give two rows one place.

use crate::error::ApiError;
use crate::params;
use crate::worker::api::evidence::ChainRow;
use crate::worker::cron::Scope;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use serde::Deserialize;
use settle_shared::evidence::chain::{self, AuditEntry, Head};

/// Rows sealed in one batch.
const PART: i64 = 200;

/// The last sealed row of an organization.
pub async fn head(ctx: &Ctx, org_id: &str) -> Result<Option<Head>, ApiError> {
    #[derive(Deserialize)]
    struct H {
        seq: i64,
        hash: String,
    }
    let h: Option<H> = db::one(db::stmt(
        &ctx.db,
        "SELECT seq, hash FROM audit_events WHERE organization_id = ?1 AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
        params![org_id],
    )?)
    .await?;
    Ok(h.map(|h| Head {
        seq: h.seq,
        hash: h.hash,
    }))
}

/// Seals up to `max` waiting rows of one organization, part by part.
/// Answers how many it sealed; fewer than `max` means none is left
/// (unless another sealer took a part meanwhile).
pub async fn organization(ctx: &Ctx, org_id: &str, max: usize) -> Result<usize, ApiError> {
    let mut sealed = 0;
    while sealed < max {
        let head = head(ctx, org_id).await?;
        let pending: Vec<ChainRow> = db::all(db::stmt(
            &ctx.db,
            "SELECT id, organization_id, actor, action, subject, ip, detail, created_at, seq, prev_hash, hash \
             FROM audit_events WHERE organization_id = ?1 AND hash IS NULL ORDER BY created_at, id LIMIT ?2",
            params![org_id, PART],
        )?)
        .await?;
        if pending.is_empty() {
            break;
        }
        let n = pending.len();
        let links = chain::seal(
            head.as_ref(),
            pending
                .into_iter()
                .map(|r| r.entry())
                .collect::<Vec<AuditEntry>>(),
        );
        let at = head.as_ref().map_or(0, |h| h.seq);
        let mut stmts = vec![db::conflict_unless(
            &ctx.db,
            "(SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE organization_id = ?1) = ?2",
            params![org_id, at],
        )?];
        for l in &links {
            stmts.push(db::stmt(
                &ctx.db,
                "UPDATE audit_events SET seq = ?2, prev_hash = ?3, hash = ?4 WHERE id = ?1 AND hash IS NULL",
                params![&l.entry.id, l.seq, &l.prev_hash, &l.hash],
            )?);
        }
        if !db::batch_unless_raced(&ctx.db, stmts).await? {
            // Another sealer moved the head: read it again.
            continue;
        }
        sealed += n;
        if (n as i64) < PART {
            break;
        }
    }
    Ok(sealed)
}

/// Cron: seals what each organization wrote since the last minute (at most
/// 5,000 rows each; the rest next time). Answers the rows sealed.
pub async fn sweep(ctx: &Ctx, scope: Scope<'_>) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Org {
        organization_id: String,
    }
    let orgs: Vec<Org> = match scope {
        Scope::Organization(id) => vec![Org {
            organization_id: id.to_owned(),
        }],
        Scope::All => {
            db::all(db::stmt(
                &ctx.db,
                "SELECT DISTINCT organization_id FROM audit_events WHERE hash IS NULL AND organization_id IS NOT NULL LIMIT 100",
                params![],
            )?)
            .await?
        }
    };
    let mut sealed = 0;
    for o in orgs {
        sealed += organization(ctx, &o.organization_id, 5_000).await?;
    }
    Ok(sealed)
}
