//! `GET /api/v1/worklist`: the overdue accounts, ranked by the worklist rule
//! (`crate::worklist`) with the reason for each rank; agents see their own
//! accounts, supervisors every account (or one agent's, or the unassigned)
//! and each agent's load. `POST /api/v1/worklist/assign` deals accounts to
//! agents by rules. Calls and notes are in `activities`, follow-ups in
//! `tasks`.
//!
//! The facts are read in a few grouped queries over the organization's
//! open invoices past due (an index on the due date), at most
//! [`MAX_OVERDUE`] of them per request.

pub mod activities;
mod assign;
pub mod letters;
pub mod tasks;

pub use assign::{assign, segment_rules};

use crate::error::ApiError;
use crate::ledger;
use crate::params;
use crate::worker::ctx::Ctx;
use crate::worker::{db, http};
use crate::worklist::{self, Account, Ranked};
use serde::Deserialize;
use settle_shared::api::{AgentLoad, WorklistItem, WorklistResponse};
use settle_shared::invoice::InvoiceStatus;
use settle_shared::staff::Capability;
use settle_shared::text::FieldError;
use settle_shared::time::rfc3339_from_millis;
use settle_shared::{Currency, Money};
use std::collections::{BTreeMap, HashMap};
use worker::{Request, Response};

/// Overdue invoices one request reads at most.
const MAX_OVERDUE: i64 = 50_000;

/// Every overdue account of an organization, with what the rule reads.
pub struct Book {
    pub accounts: Vec<Account>,
    pub ranked: Vec<Ranked>,
}

#[derive(Deserialize)]
struct OverdueRow {
    customer_id: String,
    currency: String,
    total: i64,
    amount_paid: i64,
    due_date: String,
}

#[derive(Deserialize)]
struct CustomerFacts {
    id: String,
    name: String,
    tags: String,
    assigned_to: Option<String>,
}

#[derive(Deserialize)]
struct Count {
    customer_id: String,
    n: u32,
}

#[derive(Deserialize)]
struct Promised {
    customer_id: String,
    promised_date: String,
}

/// Reads the facts and ranks every overdue account as of the organization's
/// today (UTC on its clock).
pub async fn book(ctx: &Ctx, org_id: &str) -> Result<Book, ApiError> {
    let today = ctx.today_utc();
    let rows: Vec<OverdueRow> = db::all(db::stmt(
        &ctx.db,
        "SELECT customer_id, currency, total, amount_paid, due_date FROM invoices \
         WHERE organization_id = ?1 AND status = 'open' AND due_date < ?2 LIMIT ?3",
        params![org_id, today.to_string(), MAX_OVERDUE],
    )?)
    .await?;
    // Balances per customer and currency, by the ledger's rule.
    let mut per: BTreeMap<String, (BTreeMap<&'static str, i64>, chrono::NaiveDate, u32)> =
        BTreeMap::new();
    for r in rows {
        let due = ledger::due(InvoiceStatus::Open, r.total, r.amount_paid);
        let (Ok(cur), Ok(date)) = (Currency::parse(&r.currency), r.due_date.parse()) else {
            continue;
        };
        if due <= 0 {
            continue;
        }
        let e = per
            .entry(r.customer_id)
            .or_insert_with(|| (BTreeMap::new(), date, 0));
        *e.0.entry(cur.code()).or_default() += due;
        e.1 = e.1.min(date);
        e.2 += 1;
    }
    let ids: Vec<&String> = per.keys().collect();
    let ids_json = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    let customers: Vec<CustomerFacts> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, name, tags, assigned_to FROM customers WHERE organization_id = ?1 \
         AND id IN (SELECT value FROM json_each(?2))",
        params![org_id, ids_json.as_str()],
    )?)
    .await?;
    let year_ago = ctx.now_ms() - 365 * 86_400_000;
    let broken: Vec<Count> = db::all(db::stmt(
        &ctx.db,
        "SELECT customer_id, COUNT(*) AS n FROM promises WHERE organization_id = ?1 AND status = 'broken' \
         AND ended_at >= ?2 GROUP BY customer_id",
        params![org_id, year_ago],
    )?)
    .await?;
    let disputes: Vec<Count> = db::all(db::stmt(
        &ctx.db,
        "SELECT customer_id, COUNT(*) AS n FROM disputes WHERE organization_id = ?1 AND status = 'open' \
         GROUP BY customer_id",
        params![org_id],
    )?)
    .await?;
    let promised: Vec<Promised> = db::all(db::stmt(
        &ctx.db,
        "SELECT customer_id, MIN(promised_date) AS promised_date FROM promises WHERE organization_id = ?1 \
         AND status = 'active' GROUP BY customer_id",
        params![org_id],
    )?)
    .await?;
    let broken: HashMap<String, u32> = broken.into_iter().map(|c| (c.customer_id, c.n)).collect();
    let disputes: HashMap<String, u32> =
        disputes.into_iter().map(|c| (c.customer_id, c.n)).collect();
    let id_refs: Vec<&str> = customers.iter().map(|c| c.id.as_str()).collect();
    let risk = super::risk::of_customers(ctx, org_id, &id_refs).await?;
    let promised: HashMap<String, chrono::NaiveDate> = promised
        .into_iter()
        .filter_map(|p| {
            Some((
                p.customer_id,
                settle_shared::time::parse_date(&p.promised_date)?,
            ))
        })
        .collect();
    let accounts: Vec<Account> = customers
        .into_iter()
        .filter_map(|c| {
            let (balances, oldest_due, invoices) = per.get(&c.id)?;
            Some(Account {
                overdue: balances
                    .iter()
                    .filter_map(|(cur, a)| Money::new(*a, Currency::parse(cur).ok()?).ok())
                    .collect(),
                oldest_due: *oldest_due,
                invoices: *invoices,
                broken_promises_12m: broken.get(&c.id).copied().unwrap_or(0),
                open_disputes: disputes.get(&c.id).copied().unwrap_or(0),
                promised: promised.get(&c.id).copied(),
                risk: risk.get(&c.id).copied(),
                assigned_to: c.assigned_to,
                tags: serde_json::from_str(&c.tags).unwrap_or_default(),
                customer_id: c.id,
                name: c.name,
            })
        })
        .collect();
    let ranked = worklist::rank(&accounts, today);
    Ok(Book { accounts, ranked })
}

/// `GET /api/v1/worklist?agent=&segment=&limit=&cursor=`
pub async fn list(ctx: &Ctx, req: &Request) -> Result<Response, ApiError> {
    let org = http::organization(ctx, req, Capability::WorkAccounts).await?;
    ctx.use_clock_of(&org.id).await?;
    let limit: usize = match http::query(req, "limit") {
        None => 50,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| FieldError::invalid("limit", "must be a whole number from 1 to 200"))?,
    };
    let start: usize = match http::query(req, "cursor") {
        None => 0,
        Some(v) => v
            .parse()
            .map_err(|_| FieldError::invalid("cursor", "is not a cursor this list gave"))?,
    };
    // Agents: their own accounts. Others: `?agent=mem_…`, `?agent=none`.
    let agent = match ctx.only_accounts_of() {
        Some(me) => Some(Some(me)),
        None => super::team::agent_filter(ctx, &org.id, http::query(req, "agent")).await?,
    };
    let segment = match http::query(req, "segment") {
        None => None,
        Some(id) => Some(assign::segment_rules(ctx, &org.id, &id, "segment").await?),
    };
    let book = book(ctx, &org.id).await?;
    let by_id: HashMap<&str, &Account> = book
        .accounts
        .iter()
        .map(|a| (a.customer_id.as_str(), a))
        .collect();
    let picked: Vec<&Ranked> = book
        .ranked
        .iter()
        .filter(|r| {
            let a = by_id[r.customer_id.as_str()];
            agent.as_ref().is_none_or(|m| a.assigned_to == *m)
                && segment.as_ref().is_none_or(|s| {
                    worklist::assign::takes(
                        &worklist::assign::Rule {
                            members: vec![],
                            segment: Some(s.clone()),
                            min_amount: None,
                            letters: None,
                        },
                        a,
                        r.days_overdue,
                    )
                })
        })
        .collect();
    let total = picked.len() as u32;
    let page: Vec<&Ranked> = picked.iter().skip(start).take(limit).copied().collect();
    let next_cursor = (start + limit < picked.len()).then(|| (start + limit).to_string());
    let ids: Vec<&str> = page.iter().map(|r| r.customer_id.as_str()).collect();
    let last = activities::last_of(ctx, &org.id, &ids).await?;
    let next_tasks = tasks::next_of(ctx, &org.id, &ids).await?;
    let data = page
        .into_iter()
        .map(|r| {
            let a = by_id[r.customer_id.as_str()];
            WorklistItem {
                customer_id: a.customer_id.clone(),
                name: a.name.clone(),
                assigned_to: a.assigned_to.clone(),
                priority: r.priority,
                reasons: r.reasons.clone(),
                overdue: a.overdue.clone(),
                oldest_due: a.oldest_due,
                days_overdue: r.days_overdue,
                overdue_invoices: a.invoices,
                last_activity: last.get(&a.customer_id).cloned(),
                next_task_at: next_tasks
                    .get(&a.customer_id)
                    .map(|t| rfc3339_from_millis(*t)),
            }
        })
        .collect();
    let load = if ctx.only_accounts_of().is_some() {
        Vec::new()
    } else {
        load(ctx, &org.id, &book.accounts).await?
    };
    http::json(
        200,
        &WorklistResponse {
            data,
            next_cursor,
            total,
            load,
        },
    )
}

/// Each member's share of the overdue accounts and their tasks, and the
/// accounts nobody works.
async fn load(ctx: &Ctx, org_id: &str, accounts: &[Account]) -> Result<Vec<AgentLoad>, ApiError> {
    #[derive(Deserialize)]
    struct Member {
        id: String,
        name: String,
    }
    #[derive(Deserialize)]
    struct Tasks {
        assigned_to: String,
        open: u32,
        due: u32,
    }
    let members: Vec<Member> = db::all(db::stmt(
        &ctx.db,
        "SELECT id, name FROM members WHERE organization_id = ?1 AND removed_at IS NULL ORDER BY name",
        params![org_id],
    )?)
    .await?;
    let tasks: Vec<Tasks> = db::all(db::stmt(
        &ctx.db,
        "SELECT assigned_to, COUNT(*) AS open, SUM(due_at <= ?2) AS due FROM tasks \
         WHERE organization_id = ?1 AND status = 'open' GROUP BY assigned_to",
        params![org_id, ctx.now_ms()],
    )?)
    .await?;
    let tasks: HashMap<String, (u32, u32)> = tasks
        .into_iter()
        .map(|t| (t.assigned_to, (t.open, t.due)))
        .collect();
    let share = |who: Option<&str>| {
        let mine: Vec<&Account> = accounts
            .iter()
            .filter(|a| a.assigned_to.as_deref() == who)
            .collect();
        let mut sums: BTreeMap<&'static str, i64> = BTreeMap::new();
        for a in &mine {
            for m in &a.overdue {
                *sums.entry(m.currency.code()).or_default() += m.amount;
            }
        }
        (
            mine.len() as u32,
            sums.into_iter()
                .filter_map(|(c, a)| Money::new(a, Currency::parse(c).ok()?).ok())
                .collect::<Vec<_>>(),
        )
    };
    let mut out: Vec<AgentLoad> = members
        .into_iter()
        .map(|m| {
            let (n, overdue) = share(Some(&m.id));
            let (open, due) = tasks.get(&m.id).copied().unwrap_or((0, 0));
            AgentLoad {
                member_id: Some(m.id),
                name: Some(m.name),
                accounts: n,
                overdue,
                open_tasks: open,
                tasks_due: due,
            }
        })
        .collect();
    let (n, overdue) = share(None);
    out.push(AgentLoad {
        member_id: None,
        name: None,
        accounts: n,
        overdue,
        open_tasks: 0,
        tasks_due: 0,
    });
    Ok(out)
}
