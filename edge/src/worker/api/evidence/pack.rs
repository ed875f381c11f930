//! `GET /api/v1/customers/{id}/evidence` and `GET /api/v1/invoices/{id}/evidence`
//! (supervisors and admins): the evidence pack, as JSON (`?download=1`
//! names it as a file). Records are given as stored; the audit rows about
//! the customer or invoice come sealed, with their place in the chain.

use super::{CHAIN_COLUMNS, ChainRow, seal};
use crate::error::ApiError;
use crate::params;
use crate::worker::api::{customers, invoices};
use crate::worker::ctx::{Audit, Ctx};
use crate::worker::{db, http};
use serde_json::{Value, json};
use settle_shared::evidence::chain::{self, ChainEntry};
use settle_shared::evidence::pack::{ChainHead, EvidencePack, FORMAT};
use settle_shared::staff::Capability;
use settle_shared::time::rfc3339_from_millis;
use worker::{Request, Response};

/// Audit rows sealed before a pack is made, at most; what is left waits
/// for the cron and is counted in the pack.
const SEAL_MAX: usize = 5_000;
/// Rows of the chain the worker checks from the first when it makes a pack.
const CHECK_MAX: i64 = 20_000;

/// What a pack is about: the column that names it in each table.
#[derive(Clone, Copy)]
enum Scope {
    Customer,
    Invoice,
}

impl Scope {
    fn kind(self) -> &'static str {
        match self {
            Scope::Customer => "customer",
            Scope::Invoice => "invoice",
        }
    }

    /// The condition (on `?2`) that picks this scope's rows of `table`.
    fn rows_of(self, table: &str) -> String {
        match (self, table) {
            (Scope::Invoice, "invoices") => "id = ?2".into(),
            (Scope::Customer, "payments") => {
                "invoice_id IN (SELECT id FROM invoices WHERE organization_id = ?1 AND customer_id = ?2)".into()
            }
            (Scope::Customer, "dispute_messages") => {
                "dispute_id IN (SELECT id FROM disputes WHERE organization_id = ?1 AND customer_id = ?2)".into()
            }
            (Scope::Invoice, "dispute_messages") => {
                "dispute_id IN (SELECT id FROM disputes WHERE organization_id = ?1 AND invoice_id = ?2)".into()
            }
            (Scope::Customer, _) => "customer_id = ?2".into(),
            (Scope::Invoice, _) => "invoice_id = ?2".into(),
        }
    }
}

/// The tables whose ids are the subjects of audit rows about a scope.
const SUBJECTS: [&str; 9] = [
    "invoices",
    "payments",
    "emails",
    "promises",
    "payment_plans",
    "scheduled_payments",
    "disputes",
    "credit_notes",
    "activities",
];

pub async fn customer(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    let c = customers::load(ctx, &org.id, id).await?;
    make(ctx, req, &org.id, &org.name, Scope::Customer, &c.id, &c.id).await
}

pub async fn invoice(ctx: &Ctx, req: &Request, id: &str) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::ReadAudit).await?;
    let i = invoices::load(ctx, &org.id, id).await?;
    make(
        ctx,
        req,
        &org.id,
        &org.name,
        Scope::Invoice,
        &i.id,
        &i.customer_id,
    )
    .await
}

async fn rows(ctx: &Ctx, sql: &str, org: &str, id: &str) -> Result<Vec<Value>, ApiError> {
    db::all(db::stmt(&ctx.db, sql, params![org, id])?).await
}

async fn make(
    ctx: &Ctx,
    req: &Request,
    org_id: &str,
    org_name: &str,
    scope: Scope,
    id: &str,
    customer_id: &str,
) -> Result<Response, ApiError> {
    seal::organization(ctx, org_id, SEAL_MAX).await?;
    let of = |table: &str| {
        format!(
            "SELECT * FROM {table} WHERE organization_id = ?1 AND {} ORDER BY created_at, id",
            scope.rows_of(table)
        )
    };
    let customer = rows(
        ctx,
        "SELECT * FROM customers WHERE organization_id = ?1 AND id = ?2",
        org_id,
        customer_id,
    )
    .await?
    .pop()
    .unwrap_or(Value::Null);
    let mut invoices = rows(ctx, &of("invoices"), org_id, id).await?;
    let lines = rows(
        ctx,
        &format!(
            "SELECT * FROM invoice_lines WHERE invoice_id IN (SELECT id FROM invoices WHERE organization_id = ?1 AND {}) \
             ORDER BY invoice_id, position",
            scope.rows_of("invoices")
        ),
        org_id,
        id,
    )
    .await?;
    for inv in &mut invoices {
        let own: Vec<Value> = lines
            .iter()
            .filter(|l| l["invoice_id"] == inv["id"])
            .cloned()
            .collect();
        inv["lines"] = Value::Array(own);
    }
    let mut agreements = Vec::new();
    for (kind, table) in [
        ("promise", "promises"),
        ("instalment_plan", "payment_plans"),
        ("scheduled_payment", "scheduled_payments"),
    ] {
        for mut a in rows(ctx, &of(table), org_id, id).await? {
            a["kind"] = json!(kind);
            agreements.push(a);
        }
    }
    let mut disputes = rows(ctx, &of("disputes"), org_id, id).await?;
    let messages = rows(ctx, &of("dispute_messages"), org_id, id).await?;
    for d in &mut disputes {
        let own: Vec<Value> = messages
            .iter()
            .filter(|m| m["dispute_id"] == d["id"])
            .cloned()
            .collect();
        d["messages"] = Value::Array(own);
    }
    // Audit rows whose subject is the customer or invoice or one of its
    // records, or whose detail names it: one query each (D1 allows few
    // terms in one compound SELECT), merged by id.
    let named = format!("$.{}_id", scope.kind());
    let mut queries = vec![
        (
            format!(
                "SELECT {CHAIN_COLUMNS} FROM audit_events WHERE organization_id = ?1 AND subject = ?2"
            ),
            None,
        ),
        (
            format!(
                "SELECT {CHAIN_COLUMNS} FROM audit_events WHERE organization_id = ?1 AND json_extract(detail, ?3) = ?2"
            ),
            Some(named.as_str()),
        ),
    ];
    for t in SUBJECTS {
        queries.push((
            format!(
                "SELECT {CHAIN_COLUMNS} FROM audit_events WHERE organization_id = ?1 AND subject IN \
                 (SELECT id FROM {t} WHERE organization_id = ?1 AND {})",
                scope.rows_of(t)
            ),
            None,
        ));
    }
    let mut audit: Vec<ChainRow> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (sql, path) in queries {
        let mut args = params![org_id, id];
        if let Some(p) = path {
            args.push(p.into());
        }
        let found: Vec<ChainRow> = db::all(db::stmt(&ctx.db, &sql, args)?).await?;
        audit.extend(found.into_iter().filter(|r| seen.insert(r.id.clone())));
    }
    settle_shared::sort::sort_by_key(&mut audit, |r| (r.seq.is_none(), r.seq));
    let waiting = audit.iter().filter(|r| r.hash.is_none()).count();
    let audit: Vec<ChainEntry> = audit.into_iter().filter_map(ChainRow::sealed).collect();
    let head = seal::head(ctx, org_id).await?;
    // The chain from its first row, as far as one request reads, checked
    // now: a break anywhere in it (also in rows not in this pack) is named
    // in the pack.
    let whole: Vec<ChainRow> = db::all(db::stmt(
        &ctx.db,
        &format!(
            "SELECT {CHAIN_COLUMNS} FROM audit_events WHERE organization_id = ?1 AND seq IS NOT NULL ORDER BY seq LIMIT ?2"
        ),
        params![org_id, CHECK_MAX],
    )?)
    .await?;
    let whole: Vec<ChainEntry> = whole.into_iter().filter_map(ChainRow::sealed).collect();
    let checked_to = whole.last().map_or(0, |r| r.seq);
    let break_found = chain::verify(&whole, Some(1)).err();
    let notes = rows(ctx, &of("activities"), org_id, id).await?;
    let mut members: Vec<&str> = audit
        .iter()
        .map(|r| r.entry.actor.as_str())
        .chain(notes.iter().filter_map(|n| n["actor"].as_str()))
        .filter_map(|a| a.strip_prefix("member:"))
        .collect();
    settle_shared::sort::sort(&mut members);
    members.dedup();
    let staff: Vec<Value> = db::all(db::stmt(
        &ctx.db,
        "SELECT 'member:' || id AS actor, name, email, role FROM members \
         WHERE organization_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        params![
            org_id,
            serde_json::to_string(&members).unwrap_or_default().as_str()
        ],
    )?)
    .await?;
    let pack = EvidencePack {
        format: FORMAT.into(),
        generated_at: rfc3339_from_millis(ctx.now_ms()),
        organization: json!({ "id": org_id, "name": org_name }),
        scope: json!({ "kind": scope.kind(), "id": id, "audit_rows_waiting_for_seal": waiting, "chain_checked_to_seq": checked_to }),
        customer,
        invoices,
        emails: rows(ctx, &of("emails"), org_id, id).await?,
        payments: rows(ctx, &of("payments"), org_id, id).await?,
        credit_notes: rows(ctx, &of("credit_notes"), org_id, id).await?,
        agreements,
        disputes,
        notes,
        staff,
        audit,
        chain: ChainHead {
            seq: head.as_ref().map_or(0, |h| h.seq),
            hash: head.map_or_else(|| chain::GENESIS.to_owned(), |h| h.hash),
            break_found,
        },
    };
    // Who exported what is itself on the record (sealed next time).
    db::batch(
        &ctx.db,
        vec![ctx.audit(Audit {
            org: Some(org_id),
            actor: &ctx.actor(),
            action: "evidence.exported",
            subject: id,
            detail: json!({ "scope": scope.kind(), "head_seq": pack.chain.seq }),
        })?],
    )
    .await?;
    let resp = http::json(200, &pack)?;
    if http::query(req, "download").is_some() {
        let name = format!("evidence-{}-{id}.json", scope.kind());
        resp.headers()
            .set(
                "Content-Disposition",
                &format!("attachment; filename=\"{name}\""),
            )
            .map_err(|e| ApiError::internal(format!("evidence headers: {e}")))?;
    }
    Ok(resp)
}
