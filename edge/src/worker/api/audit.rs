//! The audit trail, read-only, newest first.

use super::customers::{next_cursor, page_start};
use crate::cursor;
use crate::error::ApiError;
use crate::params;
use crate::rows::AuditRow;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use settle_shared::api::ListResponse;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use worker::{Request, Response};

/// `GET /api/v1/audit-events?subject=&action=&limit=&cursor=`
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    let limit = cursor::limit(http::query(req, "limit").as_deref())
        .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 100"))?;
    let before = page_start(req)?;
    let mut sql = "SELECT id, actor, action, subject, ip, detail, created_at FROM audit_events \
                   WHERE organization_id = ?1 AND id < ?2"
        .to_owned();
    let mut args = params![&org.id, before, i64::from(limit) + 1];
    if let Some(subject) = http::query(req, "subject") {
        sql.push_str(" AND subject = ?4");
        args.push(subject.into());
    }
    if let Some(action) = http::query(req, "action") {
        sql.push_str(&format!(" AND action = ?{}", args.len() + 1));
        args.push(action.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?3");
    let mut rows: Vec<AuditRow> = db::all(db::stmt(&ctx.db, &sql, args)?).await?;
    let next = next_cursor(&mut rows, limit, |r| &r.id);
    http::json(
        200,
        &ListResponse {
            data: rows.iter().map(AuditRow::view).collect(),
            next_cursor: next,
            total: None,
        },
    )
}
