//! `POST /api/v1/worklist/assign` (supervisors and admins): deals overdue
//! accounts to agents by rules (`crate::worklist::assign`), or says what it
//! would do (`dry_run`). Each change is written with its audit row, in
//! batches guarded on the agent read, so a change made meanwhile by hand
//! is not overwritten.

use super::book;
use crate::error::ApiError;
use crate::params;
use crate::worker::api::{reminder_config, team};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use crate::worklist::assign::{Rule, deal};
use serde_json::json;
use settle_shared::api::{AssignRulesRequest, AssignRulesResponse};
use settle_shared::reminders::SegmentRules;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use std::collections::BTreeMap;
use worker::{Request, Response};

/// Rules one request may give.
const MAX_RULES: usize = 20;
/// Accounts changed per batch.
const PART: usize = 40;

/// A segment's rules for a filter or a rule, or a refusal naming `field`.
pub async fn segment_rules(
    ctx: &Ctx,
    org_id: &str,
    id: &str,
    field: &str,
) -> Result<SegmentRules, ApiError> {
    reminder_config::segment_rules(ctx, org_id, id)
        .await
        .map_err(|_| FieldError::invalid(field, "is not a segment of this organization").into())
}

/// `A-M` → `('A', 'M')`.
fn letters(field: &str, s: &str) -> Result<(char, char), ApiError> {
    let bad = || FieldError::invalid(field, "must be two letters like `A-M`");
    let mut parts = s.split('-').map(str::trim);
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad().into());
    };
    let one = |p: &str| {
        let mut c = p.chars();
        match (c.next(), c.next()) {
            (Some(x), None) if x.is_alphabetic() => x.to_uppercase().next(),
            _ => None,
        }
    };
    match (one(a), one(b)) {
        (Some(x), Some(y)) if x <= y => Ok((x, y)),
        _ => Err(bad().into()),
    }
}

pub async fn assign(ctx: &Ctx, req: Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, &req, Capability::Approve).await?;
    ctx.use_clock_of(&org.id).await?;
    let body: AssignRulesRequest = http::json_body(req).await?;
    if body.rules.is_empty() || body.rules.len() > MAX_RULES {
        return Err(FieldError::invalid("rules", "give 1 to 20 rules").into());
    }
    let mut rules = Vec::new();
    for (i, r) in body.rules.iter().enumerate() {
        let field = |f: &str| format!("rules[{i}].{f}");
        if r.member_ids.is_empty() || r.member_ids.len() > 50 {
            return Err(FieldError::invalid(field("member_ids"), "name 1 to 50 members").into());
        }
        for m in &r.member_ids {
            team::load(ctx, &org.id, m).await.map_err(|_| {
                FieldError::invalid(
                    field("member_ids"),
                    format!("{m} is not a member of this team"),
                )
            })?;
        }
        let segment = match (&r.segment_id, &r.rules) {
            (Some(_), Some(_)) => {
                return Err(FieldError::invalid(
                    field("rules"),
                    "give a segment_id or rules, not both",
                )
                .into());
            }
            (Some(id), None) => Some(segment_rules(ctx, &org.id, id, &field("segment_id")).await?),
            (None, Some(rules)) => {
                rules.validate()?;
                Some(rules.clone())
            }
            (None, None) => None,
        };
        if r.min_amount.is_some_and(|m| m.amount < 0) {
            return Err(FieldError::invalid(field("min_amount"), "must not be negative").into());
        }
        rules.push(Rule {
            members: r.member_ids.clone(),
            segment,
            min_amount: r.min_amount,
            letters: r
                .letters
                .as_deref()
                .map(|l| letters(&field("letters"), l))
                .transpose()?,
        });
    }
    let book = book(ctx, &org.id).await?;
    let changes = deal(&book.accounts, &book.ranked, &rules, body.only_unassigned);
    let mut by_member: BTreeMap<String, u32> = BTreeMap::new();
    for (_, m) in &changes {
        *by_member.entry(m.clone()).or_default() += 1;
    }
    let mut assigned = 0u32;
    if !body.dry_run {
        let before: std::collections::HashMap<&str, Option<&str>> = book
            .accounts
            .iter()
            .map(|a| (a.customer_id.as_str(), a.assigned_to.as_deref()))
            .collect();
        for part in changes.chunks(PART) {
            let mut stmts = Vec::new();
            for (c, m) in part {
                let from = before.get(c.as_str()).copied().flatten();
                stmts.push(db::stmt(
                    &ctx.db,
                    "UPDATE customers SET assigned_to = ?1 WHERE id = ?2 AND organization_id = ?3 AND assigned_to IS ?4",
                    params![m, c, &org.id, from],
                )?);
                stmts.push(ctx.audit_if(
                    Audit {
                        org: Some(&org.id),
                        actor: &ctx.actor(),
                        action: "customer.assigned",
                        subject: c,
                        detail: json!({ "customer_id": c, "from": from, "to": m, "by": "rules" }),
                    },
                    "SELECT 1 WHERE changes() > 0",
                    Vec::new(),
                )?);
            }
            let results = db::batch(&ctx.db, stmts).await?;
            assigned += results.iter().step_by(2).map(db::changes).sum::<usize>() as u32;
        }
    } else {
        assigned = changes.len() as u32;
    }
    http::json(
        200,
        &AssignRulesResponse {
            assigned,
            by_member: by_member.into_iter().collect(),
            dry_run: body.dry_run,
        },
    )
}
