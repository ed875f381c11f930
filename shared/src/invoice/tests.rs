//! Invoice arithmetic and validation.
use super::*;

use proptest::prelude::*;

fn line(q: &str, unit: i128, rate: Option<&str>) -> LineRequest {
    LineRequest {
        description: "Consulting".into(),
        quantity: Milli::parse(q).unwrap(),
        unit_amount: unit,
        tax_rate: rate.map(|r| Milli::parse(r).unwrap()),
        currency: None,
    }
}

fn request(lines: Vec<LineRequest>, currency: &str) -> CreateInvoiceRequest {
    CreateInvoiceRequest {
        customer_id: "cus_0193f1c2a4b1aaaaaaaaaaaaaaaaaaaa".into(),
        number: "INV-1".into(),
        currency: currency.into(),
        issue_date: Some("2026-11-01".into()),
        due_date: "2026-11-30".into(),
        memo: None,
        lines,
        send: false,
        early_payment: None,
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

#[test]
fn rounds_each_line_then_sums() {
    // 1.5 h × 33.33 = 49.995 → 50.00; tax 8.875 % of 50.00 = 4.4375 → 4.44
    let inv = request(
        vec![
            line("1.5", 3333, Some("8.875")),
            line("2", 1000, Some("20")),
        ],
        "USD",
    )
    .validate(today())
    .unwrap();
    assert_eq!(inv.lines[0].net, 5000);
    assert_eq!(inv.lines[0].tax, 444);
    assert_eq!(inv.lines[1].net, 2000);
    assert_eq!(inv.lines[1].tax, 400);
    assert_eq!(
        inv.totals,
        Totals {
            subtotal: 7000,
            tax: 844,
            total: 7844
        }
    );
}

#[test]
fn zero_decimal_and_three_decimal_currencies() {
    let jpy = request(vec![line("3", 1200, Some("10"))], "JPY")
        .validate(today())
        .unwrap();
    assert_eq!(jpy.totals.total, 3960);
    let bhd = request(vec![line("1", 12_345, Some("10"))], "BHD")
        .validate(today())
        .unwrap();
    assert_eq!(bhd.totals.tax, 1235); // 1.2345 BHD → 1.235 (half away from zero)
}

#[test]
fn bad_input_gets_precise_codes() {
    let code = |r: CreateInvoiceRequest| r.validate(today()).unwrap_err().code;
    assert_eq!(
        code(request(vec![line("1", -1, None)], "EUR")),
        ErrorCode::AmountOutOfRange
    );
    assert_eq!(
        code(request(
            vec![line("1", i128::from(i64::MAX) + 1, None)],
            "EUR"
        )),
        ErrorCode::AmountOutOfRange
    );
    assert_eq!(
        code(request(vec![line("1", 100, None)], "ABC")),
        ErrorCode::UnsupportedCurrency
    );
    assert_eq!(code(request(vec![], "EUR")), ErrorCode::InvalidField);
    assert_eq!(
        code(request(vec![line("1", 0, None)], "EUR")),
        ErrorCode::AmountOutOfRange
    );
    assert_eq!(
        code(request(vec![line("1", 100, Some("100.001"))], "EUR")),
        ErrorCode::AmountOutOfRange
    );
    let mut l = line("1", 100, None);
    l.currency = Some("USD".into());
    assert_eq!(code(request(vec![l], "EUR")), ErrorCode::CurrencyMismatch);
    let many = vec![line("999999999", MAX_AMOUNT_MINOR as i128 / 1000, None)];
    assert_eq!(code(request(many, "EUR")), ErrorCode::AmountOutOfRange);
    let mut r = request(vec![line("1", 100, None)], "EUR");
    r.due_date = "2026-10-01".into();
    assert_eq!(code(r), ErrorCode::InvalidField);
}

#[test]
fn status_follows_the_ledger() {
    assert_eq!(
        InvoiceStatus::Open.after_payments(100, 100),
        InvoiceStatus::Paid
    );
    assert_eq!(
        InvoiceStatus::Open.after_payments(100, 99),
        InvoiceStatus::Open
    );
    assert_eq!(
        InvoiceStatus::Paid.after_payments(100, 50),
        InvoiceStatus::Open
    );
    assert_eq!(
        InvoiceStatus::Void.after_payments(100, 100),
        InvoiceStatus::Void
    );
    assert!(!InvoiceStatus::Open.can_void(1));
    assert!(!InvoiceStatus::Paid.can_void(0));
}

#[test]
fn partial_payments_follow_the_settings() {
    let mut s = crate::api::PaymentSettings {
        allow_partial: false,
        min_partial_amount: 1000,
        methods: vec!["card".into()],
    };
    assert_eq!(s.check_amount(5000, 5000), Ok(5000));
    assert!(
        s.check_amount(2000, 5000).is_err(),
        "partial payments are off"
    );
    s.allow_partial = true;
    assert_eq!(s.check_amount(2000, 5000), Ok(2000));
    assert!(s.check_amount(999, 5000).is_err(), "below the minimum");
    assert!(s.check_amount(5001, 5000).is_err(), "above the balance");
    assert_eq!(
        s.check_amount(500, 500),
        Ok(500),
        "a balance under the minimum can still be paid"
    );
    assert!(s.check_amount(0, 500).is_err());
    assert!(s.check_amount(-1, 500).is_err());
}

#[test]
fn overdue_is_derived() {
    let due = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    assert!(!is_overdue(InvoiceStatus::Open, due, due));
    assert!(is_overdue(
        InvoiceStatus::Open,
        due,
        due.succ_opt().unwrap()
    ));
    assert!(!is_overdue(
        InvoiceStatus::Paid,
        due,
        due.succ_opt().unwrap()
    ));
}

proptest! {
    #[test]
    fn totals_are_exact_sums(lines in proptest::collection::vec((1i64..100_000, 1i128..10_000_000, 0i64..30_000), 1..20)) {
        let reqs: Vec<_> = lines.iter().map(|(q, u, r)| LineRequest {
            description: "x".into(), quantity: Milli(*q), unit_amount: *u, tax_rate: Some(Milli(*r)), currency: None,
        }).collect();
        let inv = request(reqs, "EUR").validate(today()).unwrap();
        let net: i64 = inv.lines.iter().map(|l| l.net).sum();
        let tax: i64 = inv.lines.iter().map(|l| l.tax).sum();
        prop_assert_eq!(inv.totals.subtotal, net);
        prop_assert_eq!(inv.totals.tax, tax);
        prop_assert_eq!(inv.totals.total, net + tax);
        for l in &inv.lines {
            // the rounding error of a line is at most half a minor unit
            let exact = i128::from(l.quantity.0) * i128::from(l.unit_amount);
            prop_assert!((i128::from(l.net) * 1000 - exact).abs() <= 500);
        }
    }
}
