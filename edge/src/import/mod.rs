//! CSV imports, the rules: reading a file as spreadsheets write it (a
//! UTF-8 byte-order mark, `,` or `;` between fields, quoted fields with
//! line breaks, amounts with a decimal comma), typing each row, and every
//! row error with its line, column and reason. Dates are ISO 8601 only
//! (`2027-01-31`): `01/02/2027` means two different days in two countries,
//! so it is refused by line rather than guessed.
//!
//! Checks against what the organization has (customers, invoice numbers,
//! plans) are [`check`]'s, over what the worker read for it; typing one
//! row is `row`'s.

mod check;
mod row;
#[cfg(test)]
mod tests;

pub use check::{Known, check, customer_of, invoice_error, invoices};
pub use row::{amount, decimal};

use chrono::NaiveDate;
use row::Row;
use serde::{Deserialize, Serialize};
use settle_shared::api::AddOnQuantity;
use settle_shared::decimal::Milli;
use std::collections::HashMap;

/// Rows one file may hold.
pub const MAX_ROWS: usize = 20_000;
/// Row errors listed in a report (the count is always whole).
pub const MAX_LISTED: usize = 1_000;

/// What a file imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Customers,
    Invoices,
    Subscriptions,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "customers" => Some(Kind::Customers),
            "invoices" => Some(Kind::Invoices),
            "subscriptions" => Some(Kind::Subscriptions),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Invoices => "invoices",
            Kind::Subscriptions => "subscriptions",
        }
    }

    /// The columns a file must have, then those it may have.
    pub fn columns(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Kind::Customers => (&["name", "email"], &["external_id", "locale", "time_zone"]),
            Kind::Invoices => (
                &[
                    "customer",
                    "number",
                    "currency",
                    "due_date",
                    "description",
                    "unit_amount",
                ],
                &["issue_date", "quantity", "tax_rate", "memo"],
            ),
            Kind::Subscriptions => (
                &["customer", "plan", "currency"],
                &["quantity", "start_date", "add_ons"],
            ),
        }
    }
}

/// One row error (line, column, reason).
pub type RowError = settle_shared::api::ImportRowError;

/// A customer to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub line: u64,
    pub name: String,
    pub email: String,
    pub locale: String,
    pub time_zone: String,
    pub external_id: Option<String>,
}

/// One line of an invoice; rows with the same number are one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub line: u64,
    /// An existing customer's `external_id` or email.
    pub customer: String,
    pub number: String,
    pub currency: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: NaiveDate,
    pub memo: Option<String>,
    pub description: String,
    pub quantity: Milli,
    pub unit_amount: i64,
    pub tax_rate: Option<Milli>,
}

/// A subscription to start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub line: u64,
    pub customer: String,
    pub plan: String,
    pub currency: String,
    pub quantity: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub add_ons: Vec<AddOnQuantity>,
}

/// A file's rows, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "rows", rename_all = "snake_case")]
pub enum Rows {
    Customers(Vec<Customer>),
    Invoices(Vec<InvoiceLine>),
    Subscriptions(Vec<Subscription>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Customers(r) => r.len(),
            Rows::Invoices(r) => r.len(),
            Rows::Subscriptions(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The separator a file uses: `;` (spreadsheets in locales with a decimal
/// comma write it), a tab, or `,`, whichever the header line has most of.
fn separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.matches(c).count();
    [(b';', count(';')), (b'\t', count('\t')), (b',', count(','))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(c, _)| c)
}

/// Reads a file: its rows typed (those without errors), every error found
/// in them, and how many data rows it has.
pub fn read(kind: Kind, bytes: &[u8]) -> (Rows, Vec<RowError>, usize) {
    let mut count = 0;
    let (rows, errors) = read_counting(kind, bytes, &mut count);
    (rows, errors, count)
}

fn read_counting(kind: Kind, bytes: &[u8], count: &mut usize) -> (Rows, Vec<RowError>) {
    let mut errors = Vec::new();
    let empty = match kind {
        Kind::Customers => Rows::Customers(Vec::new()),
        Kind::Invoices => Rows::Invoices(Vec::new()),
        Kind::Subscriptions => Rows::Subscriptions(Vec::new()),
    };
    let file_error = |reason: String| RowError {
        line: 1,
        column: String::new(),
        reason,
    };
    let Ok(text) = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) else {
        return (
            empty,
            vec![file_error(
                "the file is not UTF-8 text; save it as CSV UTF-8".into(),
            )],
        );
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(text))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_lowercase()).collect(),
        Err(e) => {
            return (
                empty,
                vec![file_error(format!("the header cannot be read: {e}"))],
            );
        }
    };
    let (required, optional) = kind.columns();
    for c in required {
        if !header.iter().any(|h| h == c) {
            errors.push(RowError {
                line: 1,
                column: (*c).to_owned(),
                reason: format!("the header has no `{c}` column"),
            });
        }
    }
    for h in &header {
        if !h.is_empty() && !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
            errors.push(RowError {
                line: 1,
                column: h.clone(),
                reason: format!(
                    "`{h}` is not a column of a {} file; the columns are {}",
                    kind.as_str(),
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    if !errors.is_empty() {
        return (empty, errors);
    }
    // Lines from byte offsets: the csv crate's own line count misses line
    // breaks after a `\r\n`, where a record's offset is its `\n`.
    let breaks: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_at = |byte: u64| 1 + breaks.partition_point(|&i| (i as u64) <= byte) as u64;
    let mut rows = empty;
    for (n, record) in reader.records().enumerate() {
        if n >= MAX_ROWS {
            errors.push(file_error(format!(
                "the file has more than {MAX_ROWS} rows; split it in several files"
            )));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                *count += 1;
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                errors.push(RowError {
                    line,
                    column: String::new(),
                    reason: format!("this row cannot be read: {e}"),
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        *count += 1;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let cells: HashMap<&str, &str> = header
            .iter()
            .map(String::as_str)
            .zip(record.iter())
            .collect();
        let mut row = Row {
            line,
            cells,
            errors: &mut errors,
        };
        match &mut rows {
            Rows::Customers(v) => v.extend(row::customer(&mut row)),
            Rows::Invoices(v) => v.extend(row::invoice_line(&mut row)),
            Rows::Subscriptions(v) => v.extend(row::subscription(&mut row)),
        }
    }
    check::within_file(&rows, &mut errors);
    (rows, errors)
}
