//! The import rules on odd files.

use super::*;
use settle_shared::money::Currency;

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
