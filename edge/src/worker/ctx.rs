//! Per-request context: configuration, the database, the clock, the caller's
//! address, and the audit trail writer.

use crate::config::Config;
use crate::error::ApiError;
use crate::params;
use crate::security::{OsRandom, Random};
use crate::worker::db;
use settle_shared::ids::AuditId;
use worker::{D1Database, D1PreparedStatement, Env, Request};

pub struct Ctx {
    pub env: Env,
    pub db: D1Database,
    pub config: Config,
    /// Milliseconds since the Unix epoch, read once per request (moved by
    /// the demo clock when clock travel is on).
    pub now_ms: i64,
    /// The real time, for checking signatures made by other systems.
    pub real_now_ms: i64,
    /// `CF-Connecting-IP`, when the platform sets it.
    pub ip: Option<String>,
    /// The request's context, for work after the answer (`waitUntil`);
    /// none in the queue consumer and the cron.
    pub background: Option<worker::Context>,
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
            now_ms: worker::Date::now().as_millis() as i64,
            real_now_ms: worker::Date::now().as_millis() as i64,
            ip: None,
            background: None,
            config,
        })
    }

    /// Applies the demo clock's offset when clock travel is on. Production
    /// never sets `CLOCK_TRAVEL`, so it never reads the table.
    pub async fn with_clock(mut self) -> Result<Self, ApiError> {
        if self.config.clock_travel {
            #[derive(serde::Deserialize)]
            struct Offset {
                offset_ms: i64,
            }
            let s = db::stmt(
                &self.db,
                "SELECT offset_ms FROM dev_clock WHERE id = 1",
                Vec::new(),
            )?;
            if let Some(o) = db::one::<Offset>(s).await? {
                self.now_ms += o.offset_ms;
            }
        }
        Ok(self)
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
        let id = AuditId::generate(self.now_ms as u64, self.random10());
        let mut args = params![
            id.as_str(),
            e.org,
            e.actor,
            e.action,
            e.subject,
            self.ip.clone(),
            e.detail.to_string(),
            self.now_ms
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

    /// Today in UTC, `YYYY-MM-DD`.
    pub fn today_utc(&self) -> chrono::NaiveDate {
        settle_shared::time::datetime_from_millis(self.now_ms).date_naive()
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
