//! Per-request context: configuration, the database, the clock, the caller's
//! address, and the audit trail writer.

use crate::config::Config;
use crate::error::ApiError;
use crate::params;
use crate::security::{OsRandom, Random};
use crate::worker::db;
use serde::Deserialize;
use settle_shared::ids::AuditId;
use settle_shared::staff::{Capability, Role};
use std::cell::{Cell, RefCell};
use worker::{D1Database, D1PreparedStatement, Env, Request};

pub struct Ctx {
    pub env: Env,
    pub db: D1Database,
    pub config: Config,
    /// The real time (ms since the Unix epoch), read once per request: for
    /// checking signatures made by other systems and anything exchanged
    /// with Stripe.
    pub real_now_ms: i64,
    /// The demo clock's offset for the organization concerned (clock travel
    /// only; see [`Ctx::use_clock_of`]). Zero in production.
    clock_offset_ms: Cell<i64>,
    /// Who is asking, once the request is authenticated.
    caller: RefCell<Caller>,
    /// `CF-Connecting-IP`, when the platform sets it.
    pub ip: Option<String>,
    /// The request's context, for work after the answer (`waitUntil`);
    /// none in the queue consumer and the cron.
    pub background: Option<worker::Context>,
    /// The organization whose webhook events this request or job emitted
    /// (`webhooks::emit`): they are sent once it ends.
    pub webhooks_emitted: RefCell<Option<String>>,
}

impl Ctx {
    pub fn new(env: &Env, req: &Request) -> Result<Self, ApiError> {
        let mut ctx = Ctx::for_env(env)?;
        ctx.ip = req.headers().get("CF-Connecting-IP").ok().flatten();
        Ok(ctx)
    }

    /// A context without a request (queue consumer, cron).
    pub fn for_env(env: &Env) -> Result<Self, ApiError> {
        let config = Config::from_lookup(|k| {
            env.secret(k)
                .map(|s| s.to_string())
                .or_else(|_| env.var(k).map(|v| v.to_string()))
                .ok()
        })
        .map_err(|e| ApiError::internal(e.to_string()))?;
        db::trace(config.sql_trace);
        let db = env
            .d1("DB")
            .map_err(|e| ApiError::internal(format!("D1 binding: {e}")))?;
        Ok(Ctx {
            env: env.clone(),
            db,
            clock_offset_ms: Cell::new(0),
            caller: RefCell::new(Caller::System),
            real_now_ms: worker::Date::now().as_millis() as i64,
            ip: None,
            background: None,
            webhooks_emitted: RefCell::new(None),
            config,
        })
    }

    /// The time the rules see: the real time, moved by the organization's
    /// demo clock when clock travel is on.
    pub fn now_ms(&self) -> i64 {
        self.real_now_ms + self.clock_offset_ms.get()
    }

    /// Puts this request on the demo clock of `org` once the organization
    /// concerned is known (the API key, the session, the link, the webhook
    /// path, the email). Each organization has its own clock, so tests that
    /// move one run beside tests that do not. Production never sets
    /// `CLOCK_TRAVEL`, so it never reads the table.
    pub async fn use_clock_of(&self, org: &str) -> Result<(), ApiError> {
        if !self.config.clock_travel {
            return Ok(());
        }
        self.clock_offset_ms.set(clock_offset(&self.db, org).await?);
        Ok(())
    }

    /// Like [`Ctx::use_clock_of`], with the offset read in a batch of the
    /// caller's (the ledger's one read round trip).
    pub fn clock_read(&self, offset_ms: i64) {
        if self.config.clock_travel {
            self.clock_offset_ms.set(offset_ms);
        }
    }

    /// Records who the request comes from (done by authentication).
    pub fn set_caller(&self, caller: Caller) {
        *self.caller.borrow_mut() = caller;
    }

    /// The member whose accounts alone this request may see: an agent's own
    /// id. Supervisors, admins and API keys see every account.
    pub fn only_accounts_of(&self) -> Option<String> {
        match &*self.caller.borrow() {
            Caller::Member { id, role, .. } if !role.may(Capability::AllAccounts) => {
                Some(id.clone())
            }
            _ => None,
        }
    }

    /// The member who is asking, if a member is (not an API key, the queue
    /// or the cron).
    pub fn member_id(&self) -> Option<String> {
        match &*self.caller.borrow() {
            Caller::Member { id, .. } => Some(id.clone()),
            _ => None,
        }
    }

    /// The audit trail's name for the caller: `api_key`, `member:<id>`,
    /// or `system` for the queue and the cron.
    pub fn actor(&self) -> String {
        self.caller.borrow().actor()
    }

    /// Ten random bytes for an id.
    pub fn random10(&self) -> [u8; 10] {
        OsRandom.bytes::<10>()
    }

    /// A statement that adds one row to the audit trail.
    pub fn audit(&self, e: Audit<'_>) -> Result<D1PreparedStatement, ApiError> {
        self.audit_if(e, "SELECT 1", Vec::new())
    }

    /// Like [`Ctx::audit`], but the row is added only when `condition` (a
    /// query whose parameters start at `?9`) returns a row inside the same
    /// batch, so a write that lost a race leaves no audit row behind.
    pub fn audit_if(
        &self,
        e: Audit<'_>,
        condition: &str,
        condition_args: Vec<db::V>,
    ) -> Result<D1PreparedStatement, ApiError> {
        let id = AuditId::generate(self.now_ms() as u64, self.random10());
        let mut args = params![
            id.as_str(),
            e.org,
            e.actor,
            e.action,
            e.subject,
            self.ip.clone(),
            e.detail.to_string(),
            self.now_ms()
        ];
        args.extend(condition_args);
        db::stmt(
            &self.db,
            &format!(
                "INSERT INTO audit_events (id, organization_id, actor, action, subject, ip, detail, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS ({condition})"
            ),
            args,
        )
    }

    /// Like [`Ctx::audit`], but only the first time this action is recorded
    /// for this subject: work that may be repeated (a retried job, a replayed
    /// request) leaves one row.
    pub fn audit_once(&self, e: Audit<'_>) -> Result<D1PreparedStatement, ApiError> {
        self.audit_if(
            e,
            "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE organization_id = ?2 AND subject = ?5 AND action = ?4)",
            Vec::new(),
        )
    }

    /// Today in UTC, `YYYY-MM-DD`.
    pub fn today_utc(&self) -> chrono::NaiveDate {
        settle_shared::time::datetime_from_millis(self.now_ms()).date_naive()
    }
}

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The queue consumer, the cron, or a request not authenticated yet.
    System,
    /// An organization API key: what an admin may do.
    ApiKey,
    /// A signed-in member of the team.
    Member {
        id: String,
        role: Role,
        session_id: String,
    },
}

impl Caller {
    pub fn actor(&self) -> String {
        match self {
            Caller::System => "system".into(),
            Caller::ApiKey => "api_key".into(),
            Caller::Member { id, .. } => format!("member:{id}"),
        }
    }
}

/// One audit trail entry: who did what to which thing.
pub struct Audit<'a> {
    pub org: Option<&'a str>,
    /// `operator`, `api_key`, `customer:<id>`, `system`.
    pub actor: &'a str,
    /// `invoice.created`, `link.opened`, …
    pub action: &'a str,
    /// The id of the thing acted on.
    pub subject: &'a str,
    pub detail: serde_json::Value,
}

/// The demo clock's offset of one organization (0 when it was never moved).
pub async fn clock_offset(db: &D1Database, org: &str) -> Result<i64, ApiError> {
    #[derive(Deserialize)]
    struct Offset {
        offset_ms: i64,
    }
    let s = db::stmt(
        db,
        "SELECT offset_ms FROM dev_clocks WHERE organization_id = ?1",
        params![org],
    )?;
    Ok(db::one::<Offset>(s).await?.map_or(0, |o| o.offset_ms))
}
