//! The query-plan check of `cargo xtask test`: every distinct SQL statement
//! the worker issued during the tests (logged once per isolate with
//! `SQL_TRACE=1`) is planned by SQLite against the migrated schema, and a
//! full scan of a table that grows with the tenants' data fails the run.
//! Statements are taken from the worker's own log, so the check covers
//! what production runs, built the way production builds it.

use crate::proc::step;
use crate::{Result, root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Tables whose size does not grow with what tenants do.
const SMALL_TABLES: [&str; 3] = ["dev_clocks", "write_conflicts", "d1_migrations"];

/// What the worker logged: `sql-trace: <statement>`.
const MARK: &str = "sql-trace: ";

pub fn check(log_dir: &Path) -> Result<()> {
    step("query plans (no full scan of a tenant table)", || {
        let statements = traced(log_dir)?;
        if statements.len() < 50 {
            return Err(format!(
                "only {} statements in the worker's log; was SQL_TRACE on?",
                statements.len()
            ));
        }
        let db = migrated()?;
        let mut scans = Vec::new();
        for sql in &statements {
            match full_scans(&db, sql) {
                Ok(tables) if tables.is_empty() => {}
                Ok(tables) => scans.push(format!(
                    "  {}\n    scans {}",
                    sql,
                    tables.into_iter().collect::<Vec<_>>().join(", ")
                )),
                Err(e) => scans.push(format!("  {sql}\n    cannot be planned: {e}")),
            }
        }
        println!(
            "    {} distinct statements planned, {} with a full scan",
            statements.len(),
            scans.len()
        );
        if scans.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "statements that scan a whole table of tenant data:\n{}",
                scans.join("\n")
            ))
        }
    })
}

/// The distinct statements in every worker log of the run.
fn traced(log_dir: &Path) -> Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let entries = std::fs::read_dir(log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("wrangler") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            if let Some(i) = line.find(MARK) {
                out.insert(line[i + MARK.len()..].trim().to_owned());
            }
        }
    }
    Ok(out)
}

/// An in-memory database with every migration applied, in order.
fn migrated() -> Result<rusqlite::Connection> {
    let db = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    let dir = root().join("edge/migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for f in files {
        let sql = std::fs::read_to_string(&f).map_err(|e| e.to_string())?;
        db.execute_batch(&sql)
            .map_err(|e| format!("{}: {e}", f.display()))?;
    }
    Ok(db)
}

/// The tenant tables `sql` reads in full, each with the plan's line.
fn full_scans(db: &rusqlite::Connection, sql: &str) -> Result<BTreeSet<String>> {
    let aliases = aliases(sql);
    // A scan of a partial index reads only the rows its WHERE keeps (such
    // as the pending ones), not the table.
    let partial: BTreeSet<String> = {
        let mut s = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'")
            .map_err(|e| e.to_string())?;
        let rows = s
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())?;
        rows.flatten().collect()
    };
    let tables: BTreeSet<String> = {
        let mut s = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .map_err(|e| e.to_string())?;
        let rows = s
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| e.to_string())?;
        rows.flatten().collect()
    };
    let mut plan = db
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .map_err(|e| e.to_string())?;
    let mut rows = plan.raw_query();
    let mut out = BTreeSet::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let detail: String = row.get(3).map_err(|e| e.to_string())?;
        // `SCAN x`, `SCAN x USING INDEX i`: every row of x. (`SEARCH` uses
        // an index to reach only some; a covering index scan is still a
        // scan of the whole table's worth of entries.)
        let Some(rest) = detail.strip_prefix("SCAN ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let name = words.next().unwrap_or("");
        let index = rest
            .split(" INDEX ")
            .nth(1)
            .map(|i| i.split_whitespace().next().unwrap_or(""));
        if index.is_some_and(|i| partial.contains(i)) {
            continue;
        }
        let table = aliases.get(name).map_or(name, String::as_str);
        if tables.contains(table) && !SMALL_TABLES.contains(&table) {
            out.insert(format!("{table} ({detail})"));
        }
    }
    Ok(out)
}

/// `FROM invoices i JOIN customers AS c` → `i → invoices`, `c → customers`
/// (and each table to itself).
fn aliases(sql: &str) -> BTreeMap<String, String> {
    let words: Vec<String> = sql
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let keyword = |w: &str| {
        matches!(
            w.to_ascii_uppercase().as_str(),
            "WHERE"
                | "JOIN"
                | "ON"
                | "LEFT"
                | "INNER"
                | "CROSS"
                | "GROUP"
                | "ORDER"
                | "LIMIT"
                | "SET"
                | "USING"
                | "UNION"
                | "VALUES"
                | "SELECT"
                | "AND"
                | "OR"
                | "AS"
                | "INDEXED"
                | "NOT"
                | "WHEN"
                | "RETURNING"
        )
    };
    let mut out = BTreeMap::new();
    for (i, w) in words.iter().enumerate() {
        let upper = w.to_ascii_uppercase();
        if !matches!(upper.as_str(), "FROM" | "JOIN" | "UPDATE") {
            continue;
        }
        let Some(table) = words.get(i + 1) else {
            continue;
        };
        out.insert(table.clone(), table.clone());
        let mut next = words.get(i + 2);
        if next.is_some_and(|n| n.eq_ignore_ascii_case("AS")) {
            next = words.get(i + 3);
        }
        if let Some(alias) = next.filter(|n| !keyword(n)) {
            out.insert(alias.clone(), table.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scan_is_found_through_its_alias_and_an_index_is_not() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, org TEXT, state TEXT);
             CREATE INDEX by_org ON sessions (org, state);
             CREATE TABLE dev_clocks (organization_id TEXT PRIMARY KEY, offset_ms INTEGER) WITHOUT ROWID;",
        )
        .unwrap();
        let scans = |sql: &str| full_scans(&db, sql).unwrap();
        assert_eq!(
            scans("SELECT 1 FROM sessions s WHERE s.state = ?1"),
            BTreeSet::from(["sessions (SCAN s USING COVERING INDEX by_org)".to_owned()])
        );
        db.execute_batch("CREATE INDEX open_ones ON sessions (org) WHERE state = 'open';")
            .unwrap();
        assert!(
            scans("SELECT 1 FROM sessions WHERE state = 'open'").is_empty(),
            "a partial index holds only the rows asked for"
        );
        assert!(scans("INSERT INTO sessions (id, org) VALUES (?1, ?2)").is_empty());
        assert!(scans("SELECT 1 FROM sessions s WHERE s.org = ?1 AND s.state = ?2").is_empty());
        assert!(scans("SELECT offset_ms FROM dev_clocks").is_empty());
        assert!(scans("SELECT value FROM json_each(?1)").is_empty());
    }
}
