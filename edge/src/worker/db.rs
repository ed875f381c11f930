//! Small helpers over D1: typed parameters, one row, all rows, batches.
//!
//! D1 numbers cross into JavaScript as doubles; every integer Settle stores
//! (minor units up to 10^14, millisecond timestamps) is far below 2^53.

use crate::error::ApiError;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum V {
    T(String),
    I(i64),
    /// A real number (a probability): D1 stores it as REAL.
    R(f64),
    N,
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::T(s.to_owned())
    }
}
impl From<&String> for V {
    fn from(s: &String) -> Self {
        V::T(s.clone())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        V::T(s)
    }
}
impl From<i64> for V {
    fn from(i: i64) -> Self {
        V::I(i)
    }
}
impl From<f64> for V {
    fn from(x: f64) -> Self {
        V::R(x)
    }
}
impl<T: Into<V>> From<Option<T>> for V {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(V::N)
    }
}

impl V {
    fn js(&self) -> JsValue {
        match self {
            V::T(s) => JsValue::from_str(s),
            V::I(i) => JsValue::from_f64(*i as f64),
            V::R(x) => JsValue::from_f64(*x),
            V::N => JsValue::null(),
        }
    }
}

/// `params![a, b, c]` builds the parameter list of a statement.
#[macro_export]
macro_rules! params {
    ($($x:expr),* $(,)?) => { vec![$($crate::worker::db::V::from($x)),*] };
}

thread_local! {
    static TRACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static TRACED: std::cell::RefCell<std::collections::HashSet<String>> = Default::default();
}

/// Turns on logging each distinct statement once (`SQL_TRACE=1`).
pub fn trace(on: bool) {
    TRACE.with(|t| t.set(on));
}

/// A prepared statement with its parameters bound.
pub fn stmt(db: &D1Database, sql: &str, args: Vec<V>) -> Result<D1PreparedStatement, ApiError> {
    if TRACE.with(std::cell::Cell::get) {
        let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        if TRACED.with(|t| t.borrow_mut().insert(line.clone())) {
            worker::console_log!("sql-trace: {line}");
        }
    }
    let js: Vec<JsValue> = args.iter().map(V::js).collect();
    db.prepare(sql)
        .bind(&js)
        .map_err(|e| ApiError::internal(format!("bind `{sql}`: {e}")))
}

/// A query's answer before its rows are typed. The query runs in a boxed
/// future of its own, so each row type adds only its decoding to the
/// worker, not another copy of the query's await.
type Raw<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ApiError>>>>;

fn first_raw(s: D1PreparedStatement) -> Raw<JsValue> {
    Box::pin(async move {
        let promise = s
            .inner()
            .first(None)
            .map_err(|e| ApiError::internal(format!("query one: {:?}", worker::Error::from(e))))?;
        worker::wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| ApiError::internal(format!("query one: {}", worker::Error::from(e))))
    })
}

fn all_raw(s: D1PreparedStatement) -> Raw<D1Result> {
    Box::pin(async move {
        let r = s
            .all()
            .await
            .map_err(|e| ApiError::internal(format!("query all: {e}")))?;
        match r.error() {
            Some(err) => Err(ApiError::internal(format!("query all: {err}"))),
            None => Ok(r),
        }
    })
}

/// The first row, if any.
pub async fn one<T: DeserializeOwned>(s: D1PreparedStatement) -> Result<Option<T>, ApiError> {
    serde_wasm_bindgen::from_value(first_raw(s).await?)
        .map_err(|e| ApiError::internal(format!("query one: {e}")))
}

/// All rows.
pub async fn all<T: DeserializeOwned>(s: D1PreparedStatement) -> Result<Vec<T>, ApiError> {
    all_raw(s)
        .await?
        .results::<T>()
        .map_err(|e| ApiError::internal(format!("decode rows: {e}")))
}

/// Why a write failed.
pub enum WriteError {
    /// A UNIQUE constraint refused a row; nothing of the batch was written.
    Unique(String),
    /// A guard of the batch no longer held (see `worker::ledger`); nothing
    /// was written.
    Conflict,
    Other(ApiError),
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Unique(m) => {
                ApiError::internal(format!("unexpected unique violation: {m}"))
            }
            WriteError::Conflict => ApiError::internal("unexpected write conflict"),
            WriteError::Other(e) => e,
        }
    }
}

/// Runs statements as one transaction: all of them or none.
pub async fn batch(
    db: &D1Database,
    stmts: Vec<D1PreparedStatement>,
) -> Result<Vec<D1Result>, WriteError> {
    match db.batch(stmts).await {
        Ok(results) => Ok(results),
        Err(e) => {
            let msg = e.to_string();
            if msg.contains("write_conflict") {
                Err(WriteError::Conflict)
            } else if msg.contains("UNIQUE constraint failed") {
                Err(WriteError::Unique(msg))
            } else {
                Err(WriteError::Other(ApiError::internal(format!(
                    "batch: {msg}"
                ))))
            }
        }
    }
}

/// Runs a conditional batch for a background job: `false` (nothing
/// written) when its condition no longer held because another run got
/// there first, so repeated and overlapping runs change nothing twice.
pub async fn batch_unless_raced(
    db: &D1Database,
    stmts: Vec<D1PreparedStatement>,
) -> Result<bool, ApiError> {
    match batch(db, stmts).await {
        Ok(_) => Ok(true),
        Err(WriteError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A statement that fails its whole batch ([`WriteError::Conflict`]) unless
/// `condition` holds when it runs: the batch is conditional on what was read.
pub fn conflict_unless(
    db: &D1Database,
    condition: &str,
    args: Vec<V>,
) -> Result<D1PreparedStatement, ApiError> {
    stmt(
        db,
        &format!("INSERT INTO write_conflicts (never) SELECT 1 WHERE NOT ({condition})"),
        args,
    )
}

/// All rows, and how many rows D1 read to answer (for the cron's figures).
pub async fn all_counted<T: DeserializeOwned>(
    s: D1PreparedStatement,
) -> Result<(Vec<T>, u64), ApiError> {
    let result = s
        .all()
        .await
        .map_err(|e| ApiError::internal(format!("query: {e}")))?;
    let read = result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.rows_read)
        .unwrap_or(0) as u64;
    let rows = result
        .results::<T>()
        .map_err(|e| ApiError::internal(format!("rows: {e}")))?;
    Ok((rows, read))
}

/// Rows changed by one result of a batch.
pub fn changes(r: &D1Result) -> usize {
    r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}
