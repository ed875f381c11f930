//! CSV imports, the rules: reading a file as spreadsheets write it (a
//! UTF-8 byte-order mark, `,` or `;` between fields, quoted fields with
//! line breaks, amounts with a decimal comma), typing each row, and every
//! row error with its line, column and reason. Dates are ISO 8601 only
//! (`2027-01-31`): `01/02/2027` means two different days in two countries,
//! so it is refused by line rather than guessed.
//!
//! Checks against what the organization has (customers, invoice numbers,
//! plans) are [`check`]'s, over what the worker read for it.

use crate::rows::is_time_zone;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use settle_shared::api::{AddOnQuantity, CreateInvoiceRequest, LineRequest};
use settle_shared::decimal::Milli;
use settle_shared::money::Currency;
use settle_shared::text;
use settle_shared::text::limits;
use settle_shared::time::parse_date;
use std::collections::{BTreeMap, HashMap, HashSet};

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
            Rows::Customers(v) => v.extend(customer(&mut row)),
            Rows::Invoices(v) => v.extend(invoice_line(&mut row)),
            Rows::Subscriptions(v) => v.extend(subscription(&mut row)),
        }
    }
    within_file(&rows, &mut errors);
    (rows, errors)
}

/// One record being typed: its cells by column, and the errors found.
struct Row<'a, 'e> {
    line: u64,
    cells: HashMap<&'a str, &'a str>,
    errors: &'e mut Vec<RowError>,
}

impl Row<'_, '_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.cells.get(column).copied().filter(|v| !v.is_empty())
    }

    fn fail(&mut self, column: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            line: self.line,
            column: column.to_owned(),
            reason: reason.into(),
        });
    }

    fn required(&mut self, column: &str) -> Option<String> {
        let v = self.get(column).map(str::to_owned);
        if v.is_none() {
            self.fail(column, "is empty");
        }
        v
    }

    /// A field checked by one of the API's own rules.
    fn checked<T>(
        &mut self,
        column: &str,
        r: Result<T, settle_shared::text::FieldError>,
    ) -> Option<T> {
        r.map_err(|e| self.fail(column, e.message)).ok()
    }

    fn date(&mut self, column: &str) -> Option<Option<NaiveDate>> {
        match self.get(column) {
            None => Some(None),
            Some(v) => match parse_date(v) {
                Some(d) if v.len() == 10 => Some(Some(d)),
                _ => {
                    self.fail(
                        column,
                        format!("`{v}` is not a date written YYYY-MM-DD (such as 2027-01-31)"),
                    );
                    None
                }
            },
        }
    }

    fn whole(&mut self, column: &str) -> Option<Option<i64>> {
        match self.get(column) {
            None => Some(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) => Some(Some(n)),
                Err(_) => {
                    self.fail(column, format!("`{v}` is not a whole number"));
                    None
                }
            },
        }
    }

    /// A decimal with `.` or `,` before its decimals (`12,5`, `12.50`);
    /// a thousands separator is refused (`1.234,50` is ambiguous).
    fn decimal(&mut self, column: &str) -> Option<Option<Milli>> {
        match self.get(column) {
            None => Some(None),
            Some(v) => {
                match decimal(v) {
                    Some(m) => Some(Some(m)),
                    None => {
                        self.fail(
                        column,
                        format!("`{v}` is not a number such as 12.5 or 12,5 (no thousands separator)"),
                    );
                        None
                    }
                }
            }
        }
    }
}

/// `12,50` or `12.50` as a [`Milli`]; `None` for anything else.
pub fn decimal(v: &str) -> Option<Milli> {
    let v = v.trim();
    if v.matches([',', '.']).count() > 1 {
        return None;
    }
    Milli::parse(&v.replace(',', ".")).ok()
}

/// An amount in major units of `currency` (`12,50` EUR) in minor units.
pub fn amount(v: &str, currency: Currency) -> Option<i64> {
    let v = v.trim().replace(',', ".");
    if v.starts_with('-') || v.matches('.').count() > 1 {
        return None;
    }
    let (int, frac) = v.split_once('.').unwrap_or((&v, ""));
    let exp = usize::from(currency.exponent());
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > exp || int.len() > 13 {
        return None;
    }
    let padded = format!("{frac:0<exp$}");
    format!("{int}{padded}").parse().ok()
}

fn customer(r: &mut Row<'_, '_>) -> Option<Customer> {
    let name = r.required("name");
    let name = name.and_then(|n| r.checked("name", text::bounded("name", &n, limits::NAME)));
    let email = r.required("email");
    let email = email.and_then(|e| r.checked("email", text::email("email", &e)));
    let locale = match r.get("locale").map(str::to_owned) {
        None => Some("en".to_owned()),
        Some(l) => r.checked("locale", text::locale("locale", &l)),
    };
    let time_zone = r.get("time_zone").unwrap_or("UTC").to_owned();
    let time_zone = if is_time_zone(&time_zone) {
        Some(time_zone)
    } else {
        r.fail(
            "time_zone",
            format!("`{time_zone}` is not an IANA time zone such as Europe/Paris"),
        );
        None
    };
    let external = r.get("external_id").map(str::to_owned);
    let external_id = r.checked(
        "external_id",
        text::optional("external_id", external.as_deref(), limits::REFERENCE),
    );
    Some(Customer {
        line: r.line,
        name: name?,
        email: email?,
        locale: locale?,
        time_zone: time_zone?,
        external_id: external_id?,
    })
}

fn currency(r: &mut Row<'_, '_>) -> Option<Currency> {
    let c = r.required("currency")?;
    Currency::parse(&c.to_uppercase())
        .map_err(|e| r.fail("currency", e.to_string()))
        .ok()
}

fn invoice_line(r: &mut Row<'_, '_>) -> Option<InvoiceLine> {
    let customer = r.required("customer");
    let number = r.required("number");
    let currency = currency(r);
    let issue_date = r.date("issue_date");
    let due_date = r.date("due_date");
    if let Some(None) = due_date {
        r.fail("due_date", "is empty");
    }
    let description = r.required("description");
    let quantity = r.decimal("quantity");
    let tax_rate = r.decimal("tax_rate");
    let unit_amount = match (r.required("unit_amount"), currency) {
        (Some(v), Some(c)) => {
            let a = amount(&v, c);
            if a.is_none() {
                r.fail(
                    "unit_amount",
                    format!(
                        "`{v}` is not an amount in {c} such as 12.50 or 12,50 (at most {} decimals, no thousands separator)",
                        c.exponent()
                    ),
                );
            }
            a
        }
        _ => None,
    };
    Some(InvoiceLine {
        line: r.line,
        customer: customer?,
        number: number?,
        currency: currency?.code().to_owned(),
        issue_date: issue_date?,
        due_date: due_date??,
        memo: r.get("memo").map(str::to_owned),
        description: description?,
        quantity: quantity?.unwrap_or(Milli::ONE),
        unit_amount: unit_amount?,
        tax_rate: tax_rate?,
    })
}

fn subscription(r: &mut Row<'_, '_>) -> Option<Subscription> {
    let customer = r.required("customer");
    let plan = r.required("plan");
    let currency = currency(r);
    let quantity = r.whole("quantity");
    let start_date = r.date("start_date");
    // `storage:2|backup:1`
    let add_ons = match r.get("add_ons").map(str::to_owned) {
        None => Some(Vec::new()),
        Some(v) => {
            let parsed: Option<Vec<AddOnQuantity>> = v
                .split('|')
                .map(|p| {
                    let (code, qty) = p.split_once(':')?;
                    Some(AddOnQuantity {
                        code: code.trim().to_owned(),
                        quantity: qty.trim().parse().ok()?,
                    })
                })
                .collect();
            if parsed.is_none() {
                r.fail("add_ons", format!("`{v}` is not written code:quantity|code:quantity, such as storage:2|backup:1"));
            }
            parsed
        }
    };
    Some(Subscription {
        line: r.line,
        customer: customer?,
        plan: plan?,
        currency: currency?.code().to_owned(),
        quantity: quantity?,
        start_date: start_date?,
        add_ons: add_ons?,
    })
}

/// What holds within the file: an email or reference once among new
/// customers, and an invoice's rows agreeing on its customer, currency and
/// dates.
fn within_file(rows: &Rows, errors: &mut Vec<RowError>) {
    match rows {
        Rows::Customers(v) => {
            let mut emails = HashMap::new();
            let mut refs = HashMap::new();
            for c in v {
                if let Some(first) = emails.insert(c.email.to_lowercase(), c.line) {
                    errors.push(RowError {
                        line: c.line,
                        column: "email".into(),
                        reason: format!("{} is on line {first} too", c.email),
                    });
                }
                if let Some(x) = &c.external_id
                    && let Some(first) = refs.insert(x.clone(), c.line)
                {
                    errors.push(RowError {
                        line: c.line,
                        column: "external_id".into(),
                        reason: format!("`{x}` is on line {first} too"),
                    });
                }
            }
        }
        Rows::Invoices(v) => {
            let mut first: HashMap<&str, &InvoiceLine> = HashMap::new();
            for l in v {
                let Some(f) = first.get(l.number.as_str()) else {
                    first.insert(&l.number, l);
                    continue;
                };
                for (column, same) in [
                    ("customer", f.customer == l.customer),
                    ("currency", f.currency == l.currency),
                    ("due_date", f.due_date == l.due_date),
                    ("issue_date", f.issue_date == l.issue_date),
                ] {
                    if !same {
                        errors.push(RowError {
                            line: l.line,
                            column: column.into(),
                            reason: format!(
                                "invoice {} has another {column} on line {}; its rows must agree",
                                l.number, f.line
                            ),
                        });
                    }
                }
            }
        }
        Rows::Subscriptions(_) => {}
    }
}

/// An invoice a file makes: its number's rows, in order.
pub fn invoices(lines: &[InvoiceLine]) -> Vec<(CreateInvoiceRequest, Vec<u64>)> {
    let mut by_number: BTreeMap<&str, (usize, Vec<&InvoiceLine>)> = BTreeMap::new();
    for (n, l) in lines.iter().enumerate() {
        by_number
            .entry(&l.number)
            .or_insert((n, Vec::new()))
            .1
            .push(l);
    }
    let mut out: Vec<_> = by_number.into_values().collect();
    out.sort_by_key(|(n, _)| *n);
    out.into_iter()
        .map(|(_, ls)| {
            let f = ls[0];
            let req = CreateInvoiceRequest {
                customer_id: f.customer.clone(),
                number: f.number.clone(),
                currency: f.currency.clone(),
                issue_date: f.issue_date.map(|d| d.to_string()),
                due_date: f.due_date.to_string(),
                memo: f.memo.clone(),
                lines: ls
                    .iter()
                    .map(|l| LineRequest {
                        description: l.description.clone(),
                        quantity: l.quantity,
                        unit_amount: i128::from(l.unit_amount),
                        tax_rate: l.tax_rate,
                        currency: None,
                    })
                    .collect(),
                early_payment: None,
                send: false,
            };
            (req, ls.iter().map(|l| l.line).collect())
        })
        .collect()
}

/// The column an invoice field error is about, and the row: `lines[2].x`
/// is the third row's `x`, other fields the first row's.
pub fn invoice_error(field: &str, lines: &[u64]) -> (u64, String) {
    if let Some(rest) = field.strip_prefix("lines[")
        && let Some((n, col)) = rest.split_once("].")
        && let Ok(n) = n.parse::<usize>()
    {
        return (lines.get(n).copied().unwrap_or(lines[0]), col.to_owned());
    }
    let column = match field {
        "lines" => "unit_amount",
        f => f,
    };
    (lines[0], column.to_owned())
}

/// What the organization has that rows refer to, read by the worker.
#[derive(Debug, Default)]
pub struct Known {
    /// Customers by lower-case email and by external id.
    pub customers: HashMap<String, String>,
    /// Emails and external ids taken already (for new customers).
    pub taken: HashSet<String>,
    /// Invoice numbers taken already.
    pub numbers: HashSet<String>,
}

/// The customer a reference names: an external id, or an email.
pub fn customer_of<'k>(known: &'k Known, reference: &str) -> Option<&'k String> {
    known
        .customers
        .get(reference)
        .or_else(|| known.customers.get(&reference.to_lowercase()))
}

/// Checks rows against what the organization has: new customers' emails
/// and references free, invoices' and subscriptions' customers existing,
/// invoice numbers free. (Plans and invoices are checked by the API's own
/// rules, by the worker.)
pub fn check(rows: &Rows, known: &Known) -> Vec<RowError> {
    let mut errors = Vec::new();
    let mut fail = |line: u64, column: &str, reason: String| {
        errors.push(RowError {
            line,
            column: column.into(),
            reason,
        })
    };
    match rows {
        Rows::Customers(v) => {
            for c in v {
                if known.taken.contains(&c.email.to_lowercase()) {
                    fail(
                        c.line,
                        "email",
                        format!("a customer with {} exists already", c.email),
                    );
                }
                if let Some(x) = &c.external_id
                    && known.taken.contains(x)
                {
                    fail(
                        c.line,
                        "external_id",
                        format!("a customer has the reference `{x}` already"),
                    );
                }
            }
        }
        Rows::Invoices(v) => {
            let mut seen = HashSet::new();
            for l in v {
                if customer_of(known, &l.customer).is_none() {
                    fail(
                        l.line,
                        "customer",
                        format!("no customer has the reference or email `{}`", l.customer),
                    );
                }
                if seen.insert(&l.number) && known.numbers.contains(&l.number) {
                    fail(
                        l.line,
                        "number",
                        format!("invoice {} exists already", l.number),
                    );
                }
            }
        }
        Rows::Subscriptions(v) => {
            for s in v {
                if customer_of(known, &s.customer).is_none() {
                    fail(
                        s.line,
                        "customer",
                        format!("no customer has the reference or email `{}`", s.customer),
                    );
                }
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(kind: Kind, csv: &str) -> Vec<(u64, String)> {
        read(kind, csv.as_bytes())
            .1
            .into_iter()
            .map(|e| (e.line, e.column))
            .collect()
    }

    #[test]
    fn a_spreadsheet_file_with_a_bom_semicolons_and_a_decimal_comma_is_read() {
        let csv = "\u{feff}Customer;Number;Currency;Due_date;Description;Unit_amount;Quantity;Tax_rate\r\n\
                   ACME-1;F-1;eur;2027-02-28;\"Audit,\nphase 1\";1234,50;1,5;20\r\n\
                   ACME-1;F-1;EUR;2027-02-28;Travel;99;;\r\n";
        let (rows, errs, n) = read(Kind::Invoices, csv.as_bytes());
        assert_eq!(n, 2);
        assert!(errs.is_empty(), "{errs:?}");
        let Rows::Invoices(lines) = rows else {
            panic!()
        };
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].description, "Audit,\nphase 1");
        assert_eq!(lines[0].unit_amount, 123450);
        assert_eq!(lines[0].quantity, Milli(1500));
        assert_eq!(lines[0].currency, "EUR");
        // The quoted line break makes the second row start on line 4.
        assert_eq!(lines[1].line, 4);
        let invs = invoices(&lines);
        assert_eq!(invs.len(), 1);
        assert_eq!(invs[0].1, vec![2, 4]);
        assert!(!invs[0].0.send);
    }

    #[test]
    fn every_bad_row_is_reported_by_line_and_column() {
        let csv = "name,email,time_zone\n\
                   Ann,ann@example.com,Europe/Paris\n\
                   Bob,not-an-email,UTC\n\
                   ,cy@example.com,Mars/Olympus\n\
                   Dee,ANN@example.com,\n";
        assert_eq!(
            errors(Kind::Customers, csv),
            vec![
                (3, "email".into()),
                (4, "name".into()),
                (4, "time_zone".into()),
                (5, "email".into())
            ]
        );
        // Missing and unknown columns are the header's (line 1).
        assert_eq!(
            errors(Kind::Customers, "name,mail\nAnn,a@example.com\n"),
            vec![(1, "email".into()), (1, "mail".into())]
        );
        // Dates other than ISO, and amounts with a thousands separator.
        let csv = "customer,number,currency,due_date,description,unit_amount\n\
                   C1,F-1,EUR,31/01/2027,Work,10\n\
                   C1,F-2,EUR,2027-01-31,Work,\"1.234,50\"\n\
                   C1,F-3,JPY,2027-01-31,Work,10.5\n\
                   C1,F-4,EUR,2027-1-31,Work,10\n";
        assert_eq!(
            errors(Kind::Invoices, csv),
            vec![
                (2, "due_date".into()),
                (3, "unit_amount".into()),
                (4, "unit_amount".into()),
                (5, "due_date".into())
            ]
        );
    }

    #[test]
    fn amounts_and_decimals_read_either_separator() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(amount("12,5", eur), Some(1250));
        assert_eq!(amount("12.50", eur), Some(1250));
        assert_eq!(amount("12", eur), Some(1200));
        assert_eq!(amount("12.505", eur), None);
        assert_eq!(amount("-1", eur), None);
        assert_eq!(amount("1 000", eur), None);
        assert_eq!(amount("", eur), None);
        assert_eq!(decimal("2,5"), Some(Milli(2500)));
        assert_eq!(decimal("1.000,5"), None);
    }

    #[test]
    fn rows_are_checked_against_what_the_organization_has() {
        let (rows, _, _) = read(
            Kind::Subscriptions,
            b"customer,plan,currency,add_ons\nann@example.com,pro,EUR,storage:2\nnobody,pro,EUR,\nC-9,pro,EUR,storage=2\n",
        );
        let mut known = Known::default();
        known
            .customers
            .insert("ann@example.com".into(), "cus_1".into());
        known.customers.insert("C-9".into(), "cus_2".into());
        let errs = check(&rows, &known);
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].line, errs[0].column.as_str()), (3, "customer"));
        let (_, errs, _) = read(
            Kind::Subscriptions,
            b"customer,plan,currency,add_ons\nC-9,pro,EUR,storage=2\n",
        );
        assert_eq!(errs[0].column, "add_ons");
        assert_eq!(
            invoice_error("lines[1].unit_amount", &[2, 5]),
            (5, "unit_amount".into())
        );
        assert_eq!(invoice_error("due_date", &[2, 5]), (2, "due_date".into()));
    }
}
