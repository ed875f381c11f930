//! Early-payment discounts in the books: the allowance booked with a
//! payment that came in time, and taken back when that payment is refunded
//! in full. The rule for how much is `settle_shared::invoice::discount`.

use super::reads::payment_row_id;
use super::stripe::stripe_row;
use super::{Invoice, Kind, Row};

/// The allowance booked with payment `key` of `amount` that came with a
/// `discount` (from its metadata): never more than the invoice's own terms
/// give, and only when the two settle exactly what was due.
pub fn allowed(
    inv: &Invoice,
    key: &str,
    amount: i64,
    discount: i64,
    currency: &str,
    date: &str,
) -> Option<Row> {
    let due = super::due(inv.status, inv.total, inv.paid());
    let asked = if discount <= inv.discount_cap {
        discount
    } else {
        0
    };
    let allowed = settle_shared::invoice::discount::allowance(asked, amount, due);
    stripe_row(
        inv,
        Kind::Discount,
        allowed,
        currency,
        key,
        format!("discount:{key}"),
        date,
    )
}

/// A payment refunded in full takes its early-payment discount back with
/// it: the discount was allowed for that payment, not for none.
pub fn take_back(
    inv: &Invoice,
    payment: Option<&str>,
    refunded: i64,
    currency: &str,
    date: &str,
) -> Vec<Row> {
    let Some(key) = payment else {
        return Vec::new();
    };
    let paid = inv
        .rows
        .iter()
        .find(|r| {
            r.kind == Kind::Payment && r.external_id.as_deref() == Some(&payment_row_id(key, None))
        })
        .map_or(0, |r| r.amount);
    let discount = inv
        .rows
        .iter()
        .find(|r| {
            r.kind == Kind::Discount && r.external_id.as_deref() == Some(&format!("discount:{key}"))
        })
        .map_or(0, |r| r.amount);
    if paid == 0 || refunded < paid {
        return Vec::new();
    }
    stripe_row(
        inv,
        Kind::DiscountReversal,
        discount,
        currency,
        key,
        format!("discount_reversal:{key}"),
        date,
    )
    .into_iter()
    .collect()
}
