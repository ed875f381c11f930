//! Writing an import's parts: the queue job, a stop with its reason, and
//! the cron's look at imports whose job was lost.

use super::{ImportRow, PARTS_PER_JOB, Part, bucket, kick, part_key};
use crate::error::ApiError;
use crate::params;
use crate::rows::CustomerRow;
use crate::worker::api::invoices::{self, Issue};
use crate::worker::api::subscriptions;
use crate::worker::api::{catalog, customers};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::db::{self, WriteError};
use crate::worker::queue::Outcome;
use serde::Deserialize;
use serde_json::json;
use settle_shared::billing::{self};
use settle_shared::ids::{CustomerId, InvoiceId};
/// The queue job: writes the next parts of an import, each in one batch
/// guarded on the cursor it read, then hands on to the next job.
pub async fn run(ctx: &Ctx, id: &str) -> Result<Outcome, ApiError> {
    let Some(imp) = db::one::<ImportRow>(db::stmt(
        &ctx.db,
        "SELECT * FROM imports WHERE id = ?1",
        params![id],
    )?)
    .await?
    else {
        return Ok(Outcome::Done);
    };
    ctx.use_clock_of(&imp.organization_id).await?;
    let mut cursor = imp.cursor;
    let mut done = 0;
    while imp.status == "running" && cursor < imp.parts && done < PARTS_PER_JOB {
        let key = part_key(&imp.organization_id, &imp.id, cursor);
        let Some(obj) = bucket(ctx)?
            .get(&key)
            .execute()
            .await
            .map_err(|e| ApiError::internal(format!("import part: {e}")))?
        else {
            return fail(
                ctx,
                &imp,
                cursor,
                "a part of the file is missing from storage",
            )
            .await;
        };
        let bytes = obj
            .body()
            .ok_or_else(|| ApiError::internal("import part without a body"))?
            .bytes()
            .await
            .map_err(|e| ApiError::internal(format!("import part: {e}")))?;
        let part: Part =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(e.to_string()))?;
        let (mut stmts, n) = match write(ctx, &imp.organization_id, &part).await {
            Ok(x) => x,
            Err(why) => return fail(ctx, &imp, cursor, &why).await,
        };
        let last = cursor + 1 >= imp.parts;
        stmts.insert(
            0,
            db::conflict_unless(
                &ctx.db,
                "EXISTS (SELECT 1 FROM imports WHERE id = ?1 AND cursor = ?2 AND status = 'running')",
                params![&imp.id, cursor],
            )?,
        );
        stmts.push(db::stmt(
            &ctx.db,
            "UPDATE imports SET cursor = cursor + 1, written = written + ?2, updated_at = ?3, \
             status = CASE WHEN ?4 = 1 THEN 'done' ELSE status END, \
             finished_at = CASE WHEN ?4 = 1 THEN ?3 ELSE NULL END WHERE id = ?1",
            params![&imp.id, n as i64, ctx.now_ms(), i64::from(last)],
        )?);
        if last {
            stmts.push(ctx.audit(Audit {
                org: Some(&imp.organization_id),
                actor: &imp_actor(&imp),
                action: "import.completed",
                subject: &imp.id,
                detail: json!({ "kind": imp.kind, "rows": imp.rows }),
            })?);
        }
        match db::batch(&ctx.db, stmts).await {
            Ok(_) => {}
            // Another copy of this job wrote the part: it goes on alone.
            Err(WriteError::Conflict) => return Ok(Outcome::Done),
            Err(WriteError::Unique(e)) => {
                let why = format!("part {} could not be written: {e}", cursor + 1);
                return fail(ctx, &imp, cursor, &why).await;
            }
            Err(WriteError::Other(e)) => return Err(e),
        }
        cursor += 1;
        done += 1;
    }
    if imp.status == "running" && cursor < imp.parts {
        kick(ctx, &imp.id).await;
    }
    Ok(Outcome::Done)
}

fn imp_actor(imp: &ImportRow) -> String {
    format!("system:import:{}", imp.id)
}

/// Stops an import at `cursor` (the parts before stay written).
async fn fail(ctx: &Ctx, imp: &ImportRow, cursor: i64, why: &str) -> Result<Outcome, ApiError> {
    db::batch(
        &ctx.db,
        vec![
            db::stmt(
                &ctx.db,
                "UPDATE imports SET status = 'failed', error = ?3, updated_at = ?4, finished_at = ?4 \
                 WHERE id = ?1 AND cursor = ?2 AND status = 'running'",
                params![&imp.id, cursor, why, ctx.now_ms()],
            )?,
            ctx.audit(Audit {
                org: Some(&imp.organization_id),
                actor: &imp_actor(imp),
                action: "import.failed",
                subject: &imp.id,
                detail: json!({ "part": cursor + 1, "reason": why }),
            })?,
        ],
    )
    .await?;
    Ok(Outcome::Done)
}

/// The statements that write one part, and how many rows it holds; an
/// error says why the part cannot be written now.
async fn write(
    ctx: &Ctx,
    org_id: &str,
    part: &Part,
) -> Result<(Vec<worker::D1PreparedStatement>, usize), String> {
    let err = |e: ApiError| format!("{e:?}");
    let mut stmts = Vec::new();
    match part {
        Part::Customers(v) => {
            for c in v {
                let id = CustomerId::generate(ctx.now_ms() as u64, ctx.random10());
                let new = customers::NewCustomer {
                    name: &c.name,
                    email: &c.email,
                    locale: &c.locale,
                    time_zone: &c.time_zone,
                    external_id: c.external_id.as_deref(),
                };
                stmts.push(customers::insert(ctx, org_id, &id, &new, None).map_err(err)?);
            }
            stmts.push(
                ctx.audit(Audit {
                    org: Some(org_id),
                    actor: "system:import",
                    action: "customers.imported",
                    subject: org_id,
                    detail: json!({ "count": v.len(), "emails": v.iter().map(|c| &c.email).collect::<Vec<_>>() }),
                })
                .map_err(err)?,
            );
            Ok((stmts, v.len()))
        }
        Part::Invoices(v) => {
            let ids: Vec<&str> = v.iter().map(|r| r.customer_id.as_str()).collect();
            let customers: Vec<CustomerRow> = db::all(
                db::stmt(
                    &ctx.db,
                    "SELECT * FROM customers WHERE organization_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
                    params![org_id, serde_json::to_string(&ids).unwrap_or_default()],
                )
                .map_err(err)?,
            )
            .await
            .map_err(err)?;
            let mut lines = 0;
            for r in v {
                let customer = customers
                    .iter()
                    .find(|c| c.id == r.customer_id)
                    .ok_or_else(|| {
                        format!("the customer of invoice {} no longer exists", r.number)
                    })?;
                let inv = r
                    .validate(ctx.today_utc())
                    .map_err(|e| format!("invoice {}: {}: {}", r.number, e.field, e.message))?;
                let id = InvoiceId::generate(ctx.now_ms() as u64, ctx.random10());
                stmts.extend(
                    invoices::issue(
                        ctx,
                        &Issue {
                            org_id,
                            customer,
                            id: &id,
                            inv: &inv,
                            replaces: None,
                            email: None,
                        },
                    )
                    .map_err(err)?,
                );
                lines += r.lines.len();
            }
            Ok((stmts, lines))
        }
        Part::Subscriptions(v) => {
            let items = catalog::all(ctx, org_id).await.map_err(err)?;
            let catalog = catalog::live(&items);
            for s in v {
                let plan = catalog::live_plan(&items, &s.plan).map_err(|e| e.message)?;
                let currency =
                    settle_shared::Currency::parse(&s.currency).map_err(|e| e.to_string())?;
                let sel = billing::choose(&plan.item(), currency, s.quantity, &s.add_ons, &catalog)
                    .map_err(|e| format!("{}: {}", e.field, e.message))?;
                let start = settle_shared::time::parse_date(&s.start_date)
                    .ok_or_else(|| "a start date is not a date".to_owned())?;
                let (_, more) =
                    subscriptions::insert(ctx, org_id, &s.customer_id, plan, &sel, start)
                        .map_err(err)?;
                stmts.extend(more);
            }
            Ok((stmts, v.len()))
        }
    }
}

/// The cron's look at imports whose job was lost: queued again after two
/// minutes without progress.
pub async fn sweep(ctx: &Ctx) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let stalled: Vec<Id> = db::all(db::stmt(
        &ctx.db,
        "SELECT id FROM imports WHERE status = 'running' AND updated_at < ?1 LIMIT 50",
        params![ctx.now_ms() - 120_000],
    )?)
    .await?;
    for i in &stalled {
        db::stmt(
            &ctx.db,
            "UPDATE imports SET updated_at = ?2 WHERE id = ?1",
            params![&i.id, ctx.now_ms()],
        )?
        .run()
        .await
        .map_err(|e| ApiError::internal(format!("import sweep: {e}")))?;
        kick(ctx, &i.id).await;
    }
    Ok(stalled.len())
}
