//! Rate limits counted in D1 (`rate_limits`); the limits themselves and
//! their windows are `crate::ratelimit`'s.

use crate::error::ApiError;
use crate::params;
use crate::ratelimit::Limit;
use crate::worker::ctx::Ctx;
use crate::worker::db;

#[derive(serde::Deserialize)]
struct Count {
    count: i64,
}

/// The answer when a limit is reached: `429 rate_limited` with
/// `Retry-After`, naming what was limited ("link requests").
pub fn limited(what: &str, retry_after_secs: i64) -> ApiError {
    ApiError::Limited {
        message: format!(
            "Too many {what}. Please try again in {} minutes.",
            ((retry_after_secs + 59) / 60).max(1)
        ),
        retry_after_secs,
    }
}

/// Counts one event against a limit; `Err(retry_after_secs)` when over.
pub async fn count(ctx: &Ctx, key: &str, limit: Limit) -> Result<Result<(), i64>, ApiError> {
    // Limits are kept across organizations: the real time, not a demo clock.
    let now_s = ctx.real_now_ms / 1000;
    let window = limit.window_start(now_s);
    let s = db::stmt(
        &ctx.db,
        "INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1) \
         ON CONFLICT (key) DO UPDATE SET count = CASE WHEN window_start = ?2 THEN count + 1 ELSE 1 END, window_start = ?2 \
         RETURNING count",
        params![key, window],
    )?;
    let c: Count = db::one(s)
        .await?
        .ok_or_else(|| ApiError::internal("rate limit upsert returned nothing"))?;
    Ok(if limit.allows(c.count as u32) {
        Ok(())
    } else {
        Err(limit.retry_after(now_s))
    })
}
