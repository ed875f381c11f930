//! A corrected invoice: the invoice that replaces a disputed one. The old
//! invoice is voided and the new one, for the same customer and currency,
//! is issued today and sent through the invoice email.

use super::NewInvoice;
use crate::api::CorrectedInvoiceRequest;
use crate::api::CreateInvoiceRequest;
use crate::text::{FieldError, limits};
use chrono::NaiveDate;

/// The invoice being replaced, as the correction needs it.
#[derive(Debug, Clone, Copy)]
pub struct Replaced<'a> {
    pub number: &'a str,
    pub currency: &'a str,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub memo: Option<&'a str>,
}

/// The number a correction takes by default: `INV-7` → `INV-7-R1`, and a
/// correction of a correction counts on (`INV-7-R1` → `INV-7-R2`), within
/// the length an invoice number may have.
pub fn corrected_number(old: &str) -> String {
    let (stem, n) = match old.rsplit_once("-R") {
        Some((stem, n))
            if !stem.is_empty()
                && !n.is_empty()
                && n.len() <= 4
                && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (stem, n.parse::<u32>().unwrap_or(0) + 1)
        }
        _ => (old, 1),
    };
    let suffix = format!("-R{n}");
    let room = limits::INVOICE_NUMBER.saturating_sub(suffix.len());
    let stem: String = stem.chars().take(room).collect();
    format!("{stem}{suffix}")
}

/// The due date a correction takes by default: the old one while it is
/// ahead, else as many days from `today` as the old invoice gave its
/// customer (the customer is not made late by the company's mistake).
pub fn corrected_due_date(old: &Replaced<'_>, today: NaiveDate) -> NaiveDate {
    if old.due_date >= today {
        old.due_date
    } else {
        today + (old.due_date - old.issue_date).max(chrono::TimeDelta::zero())
    }
}

/// Validates the correction into the invoice to store: issued `today`,
/// with the defaults above. A refusal names its field under
/// `corrected_invoice.` (`corrected_invoice.lines[0].quantity`).
pub fn correction(
    old: &Replaced<'_>,
    req: &CorrectedInvoiceRequest,
    today: NaiveDate,
) -> Result<NewInvoice, FieldError> {
    let due_date = match &req.due_date {
        Some(d) => d.clone(),
        None => corrected_due_date(old, today).to_string(),
    };
    let create = CreateInvoiceRequest {
        customer_id: String::new(),
        number: req
            .number
            .clone()
            .unwrap_or_else(|| corrected_number(old.number)),
        currency: old.currency.to_owned(),
        issue_date: Some(today.to_string()),
        due_date,
        memo: req.memo.clone().or_else(|| old.memo.map(str::to_owned)),
        lines: req.lines.clone(),
        send: true,
        early_payment: None,
    };
    let inv = create.validate(today).map_err(|mut e| {
        e.field = format!("corrected_invoice.{}", e.field);
        e
    })?;
    if inv.number == old.number {
        return Err(FieldError::invalid(
            "corrected_invoice.number",
            "must differ from the invoice it replaces",
        ));
    }
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::LineRequest;
    use crate::decimal::Milli;
    use crate::error::ErrorCode;

    fn d(s: &str) -> NaiveDate {
        crate::time::parse_date(s).unwrap()
    }

    fn old() -> Replaced<'static> {
        Replaced {
            number: "INV-7",
            currency: "EUR",
            issue_date: d("2026-11-01"),
            due_date: d("2026-11-15"),
            memo: Some("November"),
        }
    }

    fn line(quantity: &str, unit: i128) -> LineRequest {
        serde_json::from_value(serde_json::json!({
            "description": "Consulting", "quantity": quantity, "unit_amount": unit
        }))
        .unwrap()
    }

    fn request(lines: Vec<LineRequest>) -> CorrectedInvoiceRequest {
        CorrectedInvoiceRequest {
            number: None,
            due_date: None,
            memo: None,
            lines,
        }
    }

    #[test]
    fn a_correction_is_numbered_after_the_invoice_it_replaces() {
        assert_eq!(corrected_number("INV-7"), "INV-7-R1");
        assert_eq!(corrected_number("INV-7-R1"), "INV-7-R2");
        assert_eq!(corrected_number("INV-7-R9"), "INV-7-R10");
        // Not a revision suffix: one is added.
        assert_eq!(corrected_number("INV-R"), "INV-R-R1");
        assert_eq!(corrected_number("-R3"), "-R3-R1");
        assert_eq!(corrected_number("A-RX"), "A-RX-R1");
        // Within the longest number an invoice may have.
        let long = "9".repeat(limits::INVOICE_NUMBER);
        let n = corrected_number(&long);
        assert_eq!(n.len(), limits::INVOICE_NUMBER);
        assert!(n.ends_with("-R1"));
        assert!(crate::text::invoice_number("n", &n).is_ok());
    }

    #[test]
    fn the_customer_is_not_made_late_by_a_correction() {
        // The old due date still ahead: kept.
        assert_eq!(corrected_due_date(&old(), d("2026-11-10")), d("2026-11-15"));
        assert_eq!(corrected_due_date(&old(), d("2026-11-15")), d("2026-11-15"));
        // Passed: the same 14 days, from today.
        assert_eq!(corrected_due_date(&old(), d("2026-12-04")), d("2026-12-18"));
    }

    #[test]
    fn a_correction_is_issued_today_in_the_old_currency_with_its_defaults() {
        let inv = correction(&old(), &request(vec![line("2", 4_500)]), d("2026-12-04")).unwrap();
        assert_eq!(inv.number, "INV-7-R1");
        assert_eq!(inv.currency.code(), "EUR");
        assert_eq!(inv.issue_date, d("2026-12-04"));
        assert_eq!(inv.due_date, d("2026-12-18"));
        assert_eq!(inv.memo.as_deref(), Some("November"));
        assert_eq!(inv.totals.total, 9_000);
        assert_eq!(inv.lines[0].quantity, Milli(2_000));
    }

    #[test]
    fn a_bad_correction_names_its_field() {
        let today = d("2026-12-04");
        let field = |r: CorrectedInvoiceRequest| correction(&old(), &r, today).unwrap_err();
        assert_eq!(field(request(vec![])).field, "corrected_invoice.lines");
        let e = field(request(vec![line("0", 100)]));
        assert!(e.field.starts_with("corrected_invoice.lines[0]"), "{e:?}");
        let mut r = request(vec![line("1", 100)]);
        r.due_date = Some("2026-12-01".into());
        assert_eq!(field(r).field, "corrected_invoice.due_date");
        let mut r = request(vec![line("1", 100)]);
        r.number = Some("INV-7".into());
        assert_eq!(field(r).field, "corrected_invoice.number");
        let mut r = request(vec![line("1", 100)]);
        r.number = Some("INV 8".into());
        let e = field(r);
        assert_eq!(
            (e.field.as_str(), e.code),
            ("corrected_invoice.number", ErrorCode::InvalidField)
        );
    }
}
