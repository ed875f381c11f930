//! CSV imports on the wire.

use serde::{Deserialize, Serialize};

/// One row error: the file's line (1 is the header; a quoted field with
/// line breaks makes a row span several lines), the column, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// An import as the API shows it: written batch by batch, each batch in
/// one D1 batch with the import's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportResponse {
    pub id: String,
    /// `customers`, `invoices` or `subscriptions`.
    pub kind: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Rows in the file, and rows written so far.
    pub rows: i64,
    pub written: i64,
    /// Why it stopped, when it failed (the batches before stay written).
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// `POST /api/v1/imports/{kind}?dry_run=true`: what a file holds and every
/// row error; with no error and no dry run, the import it started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub kind: String,
    pub dry_run: bool,
    /// Rows read (lines of invoices, for an invoice file).
    pub rows: i64,
    /// All errors are counted; the first 1,000 are listed, by line.
    pub error_count: i64,
    pub errors: Vec<ImportRowError>,
    pub import: Option<ImportResponse>,
}
