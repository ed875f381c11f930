//! What holds across rows: within the file, and against what the
//! organization has.

use super::{InvoiceLine, RowError, Rows};
use settle_shared::api::{CreateInvoiceRequest, LineRequest};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What holds within the file: an email or reference once among new
/// customers, and an invoice's rows agreeing on its customer, currency and
/// dates.
pub(super) fn within_file(rows: &Rows, errors: &mut Vec<RowError>) {
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
    settle_shared::sort::sort_by_key(&mut out, |(n, _)| *n);
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
