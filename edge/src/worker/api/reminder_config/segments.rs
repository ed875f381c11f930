//! Segments: which customers get which policy.

use super::*;
use settle_shared::staff::Capability;

pub(super) async fn segment_rows(ctx: &Ctx, org_id: &str) -> Result<Vec<SegmentRow>, ApiError> {
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM segments WHERE organization_id = ?1 ORDER BY priority, id",
        params![org_id],
    )?;
    db::all(s).await
}

async fn segment_or_404(ctx: &Ctx, org_id: &str, id: &str) -> Result<SegmentRow, ApiError> {
    if SegmentId::parse(id).is_err() {
        return Err(ApiError::not_found("segment"));
    }
    let s = db::stmt(
        &ctx.db,
        "SELECT * FROM segments WHERE id = ?1 AND organization_id = ?2",
        params![id, org_id],
    )?;
    db::one(s)
        .await?
        .ok_or_else(|| ApiError::not_found("segment"))
}

/// One segment's rules (404 when it is not this organization's).
pub async fn segment_rules(
    ctx: &Ctx,
    org_id: &str,
    id: &str,
) -> Result<settle_shared::reminders::SegmentRules, ApiError> {
    let row = segment_or_404(ctx, org_id, id).await?;
    serde_json::from_str(&row.rules)
        .map_err(|e| ApiError::internal(format!("segment {id} rules: {e}")))
}

/// A segment body, checked; answers the trimmed name and the rules as JSON.
/// The policy must be one of this organization's (policies are never
/// deleted, so it stays one).
async fn checked_segment(
    ctx: &Ctx,
    org_id: &str,
    body: &SegmentRequest,
) -> Result<(String, String), ApiError> {
    body.validate()?;
    let name = text::bounded("name", &body.name, limits::NAME)?;
    if load_policy(ctx, org_id, body.policy_id.trim())
        .await?
        .is_none()
    {
        return Err(FieldError::invalid(
            "policy_id",
            "is not a reminder policy of this organization",
        )
        .into());
    }
    Ok((name, to_json(&body.rules)?))
}

/// `GET /api/v1/segments`: in the order they are tried.
pub async fn list_segments(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    let data = segment_rows(ctx, &org.id)
        .await?
        .iter()
        .map(SegmentRow::view)
        .collect::<Result<Vec<_>, _>>()?;
    http::json(
        200,
        &ListResponse {
            data,
            next_cursor: None,
            total: None,
        },
    )
}

/// `POST /api/v1/segments`
pub async fn create_segment(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let body: SegmentRequest = http::json_body(req).await?;
    let (name, rules) = checked_segment(ctx, &org.id, &body).await?;
    let policy_id = body.policy_id.trim();
    let id = SegmentId::generate(ctx.now_ms() as u64, ctx.random10());
    let results = db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "INSERT INTO segments (id, organization_id, name, priority, rules, policy_id, created_at, early_payment_bp, early_payment_days) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?9, ?10 \
                 WHERE (SELECT COUNT(*) FROM segments WHERE organization_id = ?2) < ?8",
                params![
                    id.as_str(),
                    &org.id,
                    &name,
                    i64::from(body.priority),
                    &rules,
                    policy_id,
                    ctx.now_ms(),
                    MAX_SEGMENTS,
                    body.early_payment.map(|t| i64::from(t.basis_points)),
                    body.early_payment.map(|t| i64::from(t.days))
                ],
            )?,
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
                    action: "segment.created",
                    subject: id.as_str(),
                    detail: json!({ "name": name, "priority": body.priority, "rules": body.rules, "policy_id": policy_id,
                                    "early_payment": body.early_payment }),
                },
                "SELECT 1 FROM segments WHERE id = ?9",
                params![id.as_str()],
            )?,
        ],
    )
    .await?;
    if results.first().map(db::changes) != Some(1) {
        return Err(too_many("segments", MAX_SEGMENTS));
    }
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(
        201,
        &segment_or_404(ctx, &org.id, id.as_str()).await?.view()?,
    )
}

/// `PUT /api/v1/segments/{id}`
pub async fn replace_segment(ctx: &Ctx, req: Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Configure).await?;
    let segment = segment_or_404(ctx, &org.id, id).await?;
    let body: SegmentRequest = http::json_body(req).await?;
    let (name, rules) = checked_segment(ctx, &org.id, &body).await?;
    let policy_id = body.policy_id.trim();
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE segments SET name = ?1, priority = ?2, rules = ?3, policy_id = ?4, early_payment_bp = ?7, early_payment_days = ?8 \
                 WHERE id = ?5 AND organization_id = ?6",
                params![
                    &name,
                    i64::from(body.priority),
                    &rules,
                    policy_id,
                    &segment.id,
                    &org.id,
                    body.early_payment.map(|t| i64::from(t.basis_points)),
                    body.early_payment.map(|t| i64::from(t.days))
                ],
            )?,
            ctx.audit(Audit {
                org: Some(&org.id),
                actor: &ctx.actor(),
                action: "segment.updated",
                subject: &segment.id,
                detail: json!({ "name": name, "priority": body.priority, "rules": body.rules, "policy_id": policy_id,
                                    "early_payment": body.early_payment }),
            })?,
        ],
    )
    .await?;
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(
        200,
        &segment_or_404(ctx, &org.id, &segment.id).await?.view()?,
    )
}

/// `DELETE /api/v1/segments/{id}`: its customers fall to the next segment
/// that takes them, or to the default policy.
pub async fn delete_segment(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::Configure).await?;
    let segment = segment_or_404(ctx, &org.id, id).await?;
    let results = db::batch(
        &ctx.db,
        vec![
            // The audit row first: it is written only while the segment exists.
            ctx.audit_if(
                Audit {
                    org: Some(&org.id),
                    actor: &ctx.actor(),
                    action: "segment.deleted",
                    subject: &segment.id,
                    detail: json!({ "name": segment.name, "policy_id": segment.policy_id }),
                },
                "SELECT 1 FROM segments WHERE id = ?9",
                params![&segment.id],
            )?,
            db::stmt(
                &ctx.db,
                "DELETE FROM segments WHERE id = ?1 AND organization_id = ?2",
                params![&segment.id, &org.id],
            )?,
        ],
    )
    .await?;
    if results.get(1).map(db::changes) != Some(1) {
        return Err(ApiError::not_found("segment"));
    }
    crate::worker::reminders::replan(ctx, &org.id, None).await?;
    http::json(200, &json!({ "id": segment.id, "deleted": true }))
}

/// The early-payment terms of a new invoice: its own, else those of the
/// customer's segment for it (`reminders::segment::early_terms`).
pub async fn early_terms(
    ctx: &Ctx,
    org_id: &str,
    customer: &crate::rows::CustomerRow,
    inv: &settle_shared::invoice::NewInvoice,
) -> Result<Option<settle_shared::invoice::discount::EarlyPayment>, ApiError> {
    use crate::reminders::segment;
    if inv.early_payment.is_some() {
        return Ok(inv.early_payment);
    }
    let segments = load_segments(ctx, org_id).await?;
    if segments.iter().all(|s| s.early_payment.is_none()) {
        return Ok(None);
    }
    let late = if segment::needs_history(&segments) {
        crate::worker::reminders::late_payments_of(ctx, org_id, &[customer.id.as_str()])
            .await?
            .0
            .get(&customer.id)
            .copied()
            .unwrap_or(0)
    } else {
        0
    };
    let tags = customer.tag_list();
    let balance = settle_shared::Money::new(inv.totals.total, inv.currency)
        .map_err(|e| ApiError::internal(format!("invoice total: {e}")))?;
    let facts = segment::Facts {
        tags: &tags,
        balance,
        days_overdue: (inv.issue_date - inv.due_date).num_days(),
        late_payments_12m: late,
    };
    Ok(segment::early_terms(None, &segments, &facts))
}
