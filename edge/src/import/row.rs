//! Typing one row: each cell by the API's own checks, every failure kept
//! with its line and column.

use super::{Customer, InvoiceLine, RowError, Subscription};
use crate::rows::is_time_zone;
use chrono::NaiveDate;
use settle_shared::api::AddOnQuantity;
use settle_shared::decimal::Milli;
use settle_shared::money::Currency;
use settle_shared::text;
use settle_shared::text::limits;
use settle_shared::time::parse_date;
use std::collections::HashMap;

/// One record being typed: its cells by column, and the errors found.
pub(super) struct Row<'a, 'e> {
    pub line: u64,
    pub cells: HashMap<&'a str, &'a str>,
    pub errors: &'e mut Vec<RowError>,
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

pub(super) fn customer(r: &mut Row<'_, '_>) -> Option<Customer> {
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

pub(super) fn invoice_line(r: &mut Row<'_, '_>) -> Option<InvoiceLine> {
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

pub(super) fn subscription(r: &mut Row<'_, '_>) -> Option<Subscription> {
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
