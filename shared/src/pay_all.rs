//! "Pay all": which open invoices one payment pays together, and for how
//! much. The portal's button and the checkout endpoint use the same rule, so
//! the amount on the button is what Checkout charges.

use crate::api::InvoiceResponse;
use crate::invoice::InvoiceStatus;

/// Most invoices paid together in one checkout (Stripe's metadata values
/// hold 500 characters, and the allocation names each invoice).
pub const MAX_PAY_TOGETHER: usize = 10;

/// What one "Pay all" pays: the open invoices of a currency with something
/// due and no debit on its way, the earliest due first, at most
/// [`MAX_PAY_TOGETHER`]. `amount` is exactly what Checkout charges for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayTogether {
    pub ids: Vec<String>,
    pub numbers: Vec<String>,
    pub amount: i64,
    /// Invoices of that currency left for a second go.
    pub left: usize,
}

/// The invoices of `currency` among `invoices` that one payment pays
/// together; `None` when fewer than two can.
pub fn pay_together(invoices: &[InvoiceResponse], currency: &str) -> Option<PayTogether> {
    let payable: Vec<&InvoiceResponse> = invoices
        .iter()
        .filter(|i| {
            i.status == InvoiceStatus::Open
                && i.currency == currency
                && !i.processing
                && i.amount_due > 0
        })
        .collect();
    if payable.len() < 2 {
        return None;
    }
    // The earliest due first, by selection rather than a sort: the portal's
    // bundle carries no second sort for this.
    fn key(i: &InvoiceResponse) -> (&str, &str, &str) {
        (&i.due_date, &i.number, &i.id)
    }
    let mut chosen: Vec<&InvoiceResponse> = Vec::new();
    while chosen.len() < MAX_PAY_TOGETHER {
        let next = payable
            .iter()
            .filter(|i| chosen.iter().all(|c| c.id != i.id))
            .min_by(|a, b| key(a).cmp(&key(b)));
        match next {
            Some(i) => chosen.push(i),
            None => break,
        }
    }
    let left = payable.len() - chosen.len();
    let payable = chosen;
    Some(PayTogether {
        ids: payable.iter().map(|i| i.id.clone()).collect(),
        numbers: payable.iter().map(|i| i.number.clone()).collect(),
        amount: payable.iter().map(|i| i.amount_due).sum(),
        left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_invoice(n: usize, due: &str, amount_due: i64) -> InvoiceResponse {
        InvoiceResponse {
            id: format!("inv_{n}"),
            number: format!("NW-{n:04}"),
            customer_id: "cus_1".into(),
            currency: "USD".into(),
            status: InvoiceStatus::Open,
            overdue: false,
            processing: false,
            issue_date: "2026-11-01".into(),
            due_date: due.into(),
            memo: None,
            lines: vec![],
            subtotal: amount_due,
            tax: 0,
            total: amount_due,
            amount_paid: 0,
            amount_due,
            overpaid: 0,
            sent_at: None,
            voided_at: None,
            created_at: "2026-11-01T00:00:00Z".into(),
            dispute_id: None,
            disputed_amount: 0,
            replaces: None,
            replaced_by: None,
            early_payment: None,
            scheduled_on: None,
        }
    }

    #[test]
    fn pay_all_states_exactly_what_it_charges() {
        // 103 open invoices: the ten due first go in one payment, for their sum.
        let mut all: Vec<_> = (0..103)
            .map(|n| open_invoice(n, &format!("2026-12-{:02}", 28 - n % 28), 1_000 + n as i64))
            .collect();
        all[5].currency = "EUR".into();
        all[6].processing = true;
        let t = pay_together(&all, "USD").unwrap();
        assert_eq!(t.ids.len(), MAX_PAY_TOGETHER);
        let chosen: i64 = all
            .iter()
            .filter(|i| t.ids.contains(&i.id))
            .map(|i| i.amount_due)
            .sum();
        assert_eq!(
            t.amount, chosen,
            "the button's amount is the sum of what it pays"
        );
        assert_eq!(t.left, 101 - MAX_PAY_TOGETHER);
        assert!(!t.ids.contains(&"inv_5".to_owned()) && !t.ids.contains(&"inv_6".to_owned()));
        let due = |id: &str| all.iter().find(|i| i.id == id).unwrap().due_date.clone();
        let latest_chosen = t.ids.iter().map(|i| due(i)).max().unwrap();
        assert!(
            all.iter()
                .filter(|i| i.currency == "USD" && !i.processing && !t.ids.contains(&i.id))
                .all(|i| i.due_date >= latest_chosen),
            "the earliest due go first"
        );
        assert_eq!(
            pay_together(&all[..1], "USD"),
            None,
            "one invoice has its own button"
        );
        assert_eq!(pay_together(&all, "GBP"), None);
    }
}
