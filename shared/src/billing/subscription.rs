//! What a subscriber takes (a plan, a quantity, add-ons, in one currency)
//! and the invoice it issues for a period.

use super::catalog::{Item, Kind};
use super::period::{NextBill, Period};
use super::proration::of_period;
use crate::ErrorCode;
use crate::api::{AddOnQuantity, CreateInvoiceRequest, LineRequest};
use crate::decimal::Milli;
use crate::money::Currency;
use crate::text::FieldError;
use chrono::{Days, NaiveDate};

/// A checked choice: every item has a price in the currency, every
/// quantity is within its item's limits, and every add-on is one the plan
/// allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub plan: Item,
    pub currency: Currency,
    pub quantity: i64,
    /// With quantity 0 left out.
    pub add_ons: Vec<(Item, i64)>,
}

/// Checks a choice against the catalog. `catalog` holds the add-ons the
/// request names that exist (the caller looks them up by code).
pub fn choose(
    plan: &Item,
    currency: Currency,
    quantity: i64,
    add_ons: &[AddOnQuantity],
    catalog: &[Item],
) -> Result<Selection, FieldError> {
    if plan.kind != Kind::Plan {
        return Err(FieldError::invalid(
            "plan",
            format!("`{}` is an add-on, not a plan", plan.code),
        ));
    }
    if plan.price(currency).is_none() {
        return Err(FieldError::new(
            ErrorCode::CurrencyMismatch,
            "currency",
            format!(
                "{} has no price in {currency}; it is priced in {}",
                plan.name,
                plan.prices.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if let Some(why) = plan.quantity_error(quantity) {
        return Err(FieldError::new(
            ErrorCode::AmountOutOfRange,
            "quantity",
            why,
        ));
    }
    let mut chosen: Vec<(Item, i64)> = Vec::new();
    for (n, a) in add_ons.iter().enumerate() {
        let field = |f: &str| format!("add_ons[{n}].{f}");
        let item = catalog
            .iter()
            .find(|i| i.code == a.code && i.kind == Kind::AddOn)
            .filter(|_| plan.add_ons.contains(&a.code))
            .ok_or_else(|| {
                FieldError::invalid(
                    field("code"),
                    format!(
                        "`{}` is not an add-on {} may be taken with",
                        a.code, plan.name
                    ),
                )
            })?;
        if chosen.iter().any(|(i, _)| i.code == item.code) {
            return Err(FieldError::invalid(
                field("code"),
                format!("`{}` is named twice", a.code),
            ));
        }
        if item.price(currency).is_none() {
            return Err(FieldError::new(
                ErrorCode::CurrencyMismatch,
                field("code"),
                format!("{} has no price in {currency}", item.name),
            ));
        }
        if let Some(why) = item.quantity_error(a.quantity) {
            return Err(FieldError::new(
                ErrorCode::AmountOutOfRange,
                field("quantity"),
                why,
            ));
        }
        if a.quantity > 0 {
            chosen.push((item.clone(), a.quantity));
        }
    }
    Ok(Selection {
        plan: plan.clone(),
        currency,
        quantity,
        add_ons: chosen,
    })
}

impl Selection {
    /// The items billed and their quantities, the plan first.
    pub fn items(&self) -> impl Iterator<Item = (&Item, i64)> {
        std::iter::once((&self.plan, self.quantity))
            .chain(self.add_ons.iter().map(|(i, q)| (i, *q)))
    }

    /// The net price of one whole period, before tax.
    pub fn per_period(&self) -> i64 {
        self.items()
            .map(|(i, q)| i.price(self.currency).unwrap_or(0).saturating_mul(q))
            .sum()
    }

    /// The add-ons as the API shows them.
    pub fn add_on_quantities(&self) -> Vec<AddOnQuantity> {
        self.add_ons
            .iter()
            .map(|(i, q)| AddOnQuantity {
                code: i.code.clone(),
                quantity: *q,
            })
            .collect()
    }

    /// The invoice lines for `bill`: for a whole period, each item at its
    /// price times its quantity; for part of one, each item's whole-period
    /// amount prorated to the day ([`of_period`]), as one line.
    pub fn lines(&self, bill: &NextBill) -> Vec<LineRequest> {
        let days = span(&bill.billed);
        self.items()
            .map(|(item, qty)| {
                let price = item.price(self.currency).unwrap_or(0);
                let (quantity, unit_amount, description) = if bill.is_partial() {
                    (
                        Milli::ONE,
                        of_period(price.saturating_mul(qty), bill.billed, bill.full),
                        format!(
                            "{} × {qty}, {} of {} days ({days})",
                            item.name,
                            bill.billed.days(),
                            bill.full.days()
                        ),
                    )
                } else {
                    (
                        Milli(qty.saturating_mul(1000)),
                        price,
                        format!("{} ({days})", item.name),
                    )
                };
                LineRequest {
                    description,
                    quantity,
                    unit_amount: i128::from(unit_amount),
                    tax_rate: Some(item.tax_rate),
                    currency: None,
                }
            })
            .collect()
    }

    /// The invoice a billing run issues for `bill`: numbered after the
    /// subscription and the period's first day, so that a period has one
    /// invoice number, issued on `issue_date` and due `due_days` later.
    pub fn invoice(
        &self,
        customer_id: &str,
        subscription_number: &str,
        bill: &NextBill,
        issue_date: NaiveDate,
        due_days: u32,
    ) -> CreateInvoiceRequest {
        CreateInvoiceRequest {
            customer_id: customer_id.to_owned(),
            number: invoice_number(subscription_number, bill.billed.start),
            currency: self.currency.code().to_owned(),
            issue_date: Some(issue_date.to_string()),
            due_date: (issue_date + Days::new(u64::from(due_days))).to_string(),
            memo: Some(format!(
                "Subscription {subscription_number}: {}, {}",
                self.plan.name,
                span(&bill.billed)
            )),
            lines: self.lines(bill),
            early_payment: None,
            send: true,
        }
    }
}

/// The number of a subscription's invoice for the period starting `start`.
pub fn invoice_number(subscription_number: &str, start: NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{subscription_number}-{:04}{:02}{:02}",
        start.year(),
        start.month(),
        start.day()
    )
}

/// A period as printed: its first and last day.
fn span(p: &Period) -> String {
    format!("{} to {}", p.start, p.last_day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CatalogAddOnRequest, CatalogPlanRequest};
    use crate::billing::period::{Interval, next_bill};

    fn pro() -> Item {
        serde_json::from_str::<CatalogPlanRequest>(
            r#"{"code":"pro","name":"Pro","interval":"month","prices":{"EUR":1000,"USD":1200},
                "tax_rate":"20","max_quantity":50,"add_ons":["storage"]}"#,
        )
        .unwrap()
        .validate()
        .unwrap()
    }

    fn storage() -> Item {
        serde_json::from_str::<CatalogAddOnRequest>(
            r#"{"code":"storage","name":"Storage","prices":{"EUR":300},"max_quantity":10}"#,
        )
        .unwrap()
        .validate()
        .unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn aq(code: &str, quantity: i64) -> AddOnQuantity {
        AddOnQuantity {
            code: code.into(),
            quantity,
        }
    }

    #[test]
    fn a_choice_is_checked_against_the_catalog() {
        let eur = Currency::parse("EUR").unwrap();
        let s = choose(&pro(), eur, 3, &[aq("storage", 2)], &[storage()]).unwrap();
        assert_eq!(s.per_period(), 3 * 1000 + 2 * 300);
        let err = |r: Result<Selection, FieldError>| r.unwrap_err().field;
        assert_eq!(
            err(choose(&pro(), Currency::parse("GBP").unwrap(), 1, &[], &[])),
            "currency"
        );
        assert_eq!(err(choose(&pro(), eur, 0, &[], &[])), "quantity");
        assert_eq!(err(choose(&pro(), eur, 51, &[], &[])), "quantity");
        assert_eq!(
            err(choose(&pro(), eur, 1, &[aq("other", 1)], &[storage()])),
            "add_ons[0].code"
        );
        assert_eq!(
            err(choose(&pro(), eur, 1, &[aq("storage", 11)], &[storage()])),
            "add_ons[0].quantity"
        );
        assert_eq!(
            err(choose(
                &pro(),
                eur,
                1,
                &[aq("storage", 1), aq("storage", 2)],
                &[storage()]
            )),
            "add_ons[1].code"
        );
        assert_eq!(
            err(choose(
                &pro(),
                Currency::parse("USD").unwrap(),
                1,
                &[aq("storage", 1)],
                &[storage()]
            )),
            "add_ons[0].code"
        );
        // An add-on taken zero times is no line.
        let s = choose(&pro(), eur, 1, &[aq("storage", 0)], &[storage()]).unwrap();
        assert!(s.add_ons.is_empty());
    }

    #[test]
    fn a_whole_period_bills_price_times_quantity_and_a_part_prorates() {
        let eur = Currency::parse("EUR").unwrap();
        let s = choose(&pro(), eur, 3, &[aq("storage", 2)], &[storage()]).unwrap();
        let whole = next_bill(d("2027-03-01"), 1, Interval::Month);
        let inv = s.invoice("cus_x", "SUB-AB12CD34", &whole, d("2027-03-01"), 14);
        assert_eq!(inv.number, "SUB-AB12CD34-20270301");
        assert_eq!(inv.due_date, "2027-03-15");
        assert_eq!(inv.lines[0].description, "Pro (2027-03-01 to 2027-03-31)");
        assert_eq!(
            (inv.lines[0].quantity, inv.lines[0].unit_amount),
            (Milli(3000), 1000)
        );
        assert_eq!(
            (inv.lines[1].quantity, inv.lines[1].unit_amount),
            (Milli(2000), 300)
        );
        let new = inv.validate(d("2027-03-01")).unwrap();
        assert_eq!((new.totals.subtotal, new.totals.tax), (3600, 600));
        // From 10 March: 22 of 31 days of 3000 and of 600.
        let part = next_bill(d("2027-03-10"), 1, Interval::Month);
        let lines = s.lines(&part);
        assert_eq!(
            lines[0].description,
            "Pro × 3, 22 of 31 days (2027-03-10 to 2027-03-31)"
        );
        assert_eq!(
            (lines[0].quantity, lines[0].unit_amount),
            (Milli::ONE, 2129)
        );
        assert_eq!(lines[1].unit_amount, 426);
    }
}
