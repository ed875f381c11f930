//! Open sessions: closing one at Stripe so it can no longer be paid, and the
//! short claims that let only one request at a time set up a payment for an
//! invoice (two clicks for different amounts never leave two payable
//! sessions).

use crate::error::ApiError;
use crate::outbound::HttpClient;
use crate::params;
use crate::stripe::api;
use crate::worker::ctx::Ctx;
use crate::worker::db;
use crate::worker::fetch::WorkerFetch;
use settle_shared::ErrorCode;

/// Why an open Checkout Session could not be closed.
pub enum Expiry {
    /// Stripe refused: the customer is completing it right now.
    BeingPaid,
    /// Stripe could not be reached or failed.
    Unreachable(String),
    Failed(ApiError),
}

/// Closes an open Checkout Session at Stripe, then records it expired, so
/// that it can no longer be paid.
pub async fn expire(ctx: &Ctx, secret: &str, session_id: &str) -> Result<(), Expiry> {
    let answer = WorkerFetch
        .send(api::expire_checkout(
            &ctx.config.stripe_api_base,
            secret,
            session_id,
        ))
        .await
        .map_err(Expiry::Unreachable)?;
    match answer.status {
        200..=299 => {
            db::stmt(
                &ctx.db,
                "UPDATE checkout_sessions SET state = 'expired' WHERE id = ?1 AND state = 'open'",
                params![session_id],
            )
            .map_err(Expiry::Failed)?
            .run()
            .await
            .map_err(|e| Expiry::Failed(ApiError::internal(format!("expire session: {e}"))))?;
            Ok(())
        }
        400 | 404 => Err(Expiry::BeingPaid),
        status => Err(Expiry::Unreachable(format!(
            "expire {session_id}: HTTP {status}"
        ))),
    }
}

/// How long a claim holds when its request never finishes.
const CLAIM_MS: i64 = 60_000;

/// Claims `invoices` for the session with `fingerprint`; refused while
/// another request holds any of them for another amount.
pub(super) async fn claim(
    ctx: &Ctx,
    org_id: &str,
    invoices: &[&str],
    fingerprint: &str,
) -> Result<(), ApiError> {
    let ids = serde_json::to_string(invoices).unwrap_or_default();
    let stmts = vec![
        db::stmt(
            &ctx.db,
            "INSERT INTO write_conflicts (never) SELECT 1 WHERE EXISTS (SELECT 1 FROM checkout_claims \
             WHERE invoice_id IN (SELECT value FROM json_each(?1)) AND fingerprint <> ?2 AND claimed_until > ?3)",
            params![ids.as_str(), fingerprint, ctx.real_now_ms],
        )?,
        db::stmt(
            &ctx.db,
            "INSERT INTO checkout_claims (invoice_id, organization_id, fingerprint, claimed_until) \
             SELECT value, ?2, ?3, ?4 FROM json_each(?1) WHERE true \
             ON CONFLICT (invoice_id) DO UPDATE SET fingerprint = excluded.fingerprint, claimed_until = excluded.claimed_until",
            params![
                ids.as_str(),
                org_id,
                fingerprint,
                ctx.real_now_ms + CLAIM_MS
            ],
        )?,
    ];
    match db::batch(&ctx.db, stmts).await {
        Ok(_) => Ok(()),
        Err(db::WriteError::Conflict) => Err(ApiError::new(
            ErrorCode::Conflict,
            "A payment of another amount for this invoice is being set up in another window. Use that one, or try again in a moment.",
        )),
        Err(e) => Err(e.into()),
    }
}

/// The statement that lets go of the claims, written with the session.
pub(super) fn release(
    ctx: &Ctx,
    invoices: &[&str],
    fingerprint: &str,
) -> Result<worker::D1PreparedStatement, ApiError> {
    db::stmt(
        &ctx.db,
        "DELETE FROM checkout_claims WHERE invoice_id IN (SELECT value FROM json_each(?1)) AND fingerprint = ?2",
        params![
            serde_json::to_string(invoices).unwrap_or_default(),
            fingerprint
        ],
    )
}
