//! CSV exports, the rules: cells safe to open in a spreadsheet, amounts as
//! decimals of their currency, and the aging of open invoices.

use settle_shared::aging::Bucket;
use settle_shared::money::{Currency, format_minor};
use std::collections::BTreeMap;

/// Text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, a tab
/// or a carriage return first) gets a leading `'`, so a customer's name
/// cannot run in the company's spreadsheet (OWASP's CSV injection advice).
pub fn text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// An amount in minor units as a decimal of its currency: `1250` EUR is
/// `12.50`, `1250` JPY is `1250`.
pub fn amount(minor: i64, currency: &str) -> String {
    let exp = Currency::parse(currency)
        .map(Currency::exponent)
        .unwrap_or(2);
    format_minor(minor, exp)
}

/// A CSV document: a header and rows, quoted where needed (RFC 4180).
pub fn document(header: &[&str], rows: &[Vec<String>]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| e.to_string())?;
    for r in rows {
        w.write_record(r).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// One open invoice for the aging: whose, in what currency, its balance
/// and due date.
pub struct Open<'a> {
    pub customer_id: &'a str,
    pub customer_name: &'a str,
    pub currency: &'a str,
    pub balance: i64,
    pub due_date: chrono::NaiveDate,
}

/// The aging as of `as_of`: per customer and currency, the balance in each
/// bucket and the total; sums never mix currencies.
pub fn aging(open: &[Open<'_>], as_of: chrono::NaiveDate) -> Vec<Vec<String>> {
    let mut by: BTreeMap<(&str, &str, &str), [i64; 5]> = BTreeMap::new();
    for o in open.iter().filter(|o| o.balance > 0) {
        let b = by
            .entry((o.customer_name, o.customer_id, o.currency))
            .or_insert([0; 5]);
        b[Bucket::of(o.due_date, as_of).index()] += o.balance;
    }
    by.into_iter()
        .map(|((name, id, cur), b)| {
            let mut row = vec![id.to_owned(), text(name), cur.to_owned()];
            row.extend(b.iter().map(|v| amount(*v, cur)));
            row.push(amount(b.iter().sum(), cur));
            row
        })
        .collect()
}

/// The aging's header.
pub const AGING_HEADER: [&str; 9] = [
    "customer_id",
    "customer_name",
    "currency",
    "current",
    "days_1_30",
    "days_31_60",
    "days_61_90",
    "over_90",
    "total",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_quotes_kept() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("-5"), "'-5");
        assert_eq!(text("Acme, Inc."), "Acme, Inc.");
        let doc = document(
            &["name", "note"],
            &[vec![text("Acme, \"Inc\""), "two\nlines".into()]],
        )
        .unwrap();
        assert_eq!(doc, "name,note\n\"Acme, \"\"Inc\"\"\",\"two\nlines\"\n");
        assert_eq!(amount(1250, "EUR"), "12.50");
        assert_eq!(amount(1250, "JPY"), "1250");
        assert_eq!(amount(-5, "USD"), "-0.05");
    }

    #[test]
    fn the_aging_sums_per_customer_and_currency() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let open = [
            Open {
                customer_id: "c1",
                customer_name: "Ann",
                currency: "EUR",
                balance: 1000,
                due_date: d("2027-03-01"),
            },
            Open {
                customer_id: "c1",
                customer_name: "Ann",
                currency: "EUR",
                balance: 500,
                due_date: d("2027-01-01"),
            },
            Open {
                customer_id: "c1",
                customer_name: "Ann",
                currency: "USD",
                balance: 700,
                due_date: d("2026-10-01"),
            },
            Open {
                customer_id: "c2",
                customer_name: "=Bob",
                currency: "EUR",
                balance: 0,
                due_date: d("2026-10-01"),
            },
        ];
        let rows = aging(&open, d("2027-03-10"));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            [
                "c1", "Ann", "EUR", "0.00", "10.00", "0.00", "5.00", "0.00", "15.00"
            ]
        );
        assert_eq!(
            rows[1],
            [
                "c1", "Ann", "USD", "0.00", "0.00", "0.00", "0.00", "7.00", "7.00"
            ]
        );
    }
}
