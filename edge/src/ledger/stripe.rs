//! What a verified Stripe event does to the books.
//!
//! Every row has a deterministic external id, so a repeated fact adds
//! nothing; every derived amount is a running maximum (a refund total only
//! grows, each invoice's share of it too), so any order of delivery with
//! any duplicates ends in the same books. A refund or dispute that arrives
//! before its payment waits (`Pending`) and is decided again when the
//! payment lands.

use super::checkout::{self, Session, SessionState};
use super::{AuditEntry, Effects, Guard, Invoice, Kind, Outcome, Row};
use crate::stripe::events::Event;
use crate::stripe::reconcile::{self, Fact};
use serde_json::json;

pub use super::reads::{Known, Reads, is_row_of_payment, payment_row_id, reads, wakes};

/// Decides what `event` does for organization `org_id`, given what was read.
/// `waited` says the event was pending and is decided again.
pub fn decide(org_id: &str, event: &Event, known: &Known, waited: bool) -> Effects {
    let mut e = decide_fact(org_id, event, known);
    // A session of this organization moves whatever the money does (a
    // payment on a void invoice is flagged, and still paid the session).
    if reconcile::named_organization(event).is_none_or(|o| o == org_id) {
        move_sessions(&mut e, event, known);
        super::chargebacks::record(&mut e, event, known);
    }
    e.audit.push(AuditEntry {
        action: format!("stripe_event.{}", e.outcome.as_str()),
        subject: event.id.clone(),
        detail: json!({ "type": event.kind, "invoice_id": e.invoice_id, "note": e.note, "after_waiting": waited }),
    });
    e
}

fn decide_fact(org_id: &str, event: &Event, known: &Known) -> Effects {
    let facts = reconcile::facts(event);
    let Some(fact) = facts.first() else {
        if reconcile::unreadable(event) {
            return Effects::flag(format!("the {} object could not be read", event.kind));
        }
        return Effects::new(Outcome::Ignored);
    };
    // Settle's own metadata names the organization; an event for another one
    // is recorded here and flagged, never applied.
    if let Some(other) = reconcile::named_organization(event).filter(|o| o != org_id) {
        return Effects::flag(format!(
            "the event names organization {other}, not this one"
        ));
    }
    let date = settle_shared::time::datetime_from_millis(event.created.max(0) * 1000)
        .date_naive()
        .to_string();
    match fact {
        Fact::Paid {
            key,
            amount,
            currency,
            ..
        } if reconcile::allocation(event).is_some_and(|a| a.len() > 1) => combined(
            known,
            key,
            *amount,
            currency,
            &reconcile::allocation(event).unwrap_or_default(),
            &date,
        ),
        Fact::Paid {
            key,
            invoice,
            amount,
            currency,
        } => paid(
            known,
            key,
            invoice.as_deref(),
            (*amount, reconcile::discount(event)),
            currency,
            &date,
        ),
        Fact::RefundedTotal {
            charge,
            payment,
            total,
            currency,
        } => after_payment(known, payment.as_deref(), |inv, share| {
            let mut rows = refund(inv, charge, share(*total), currency, &date);
            rows.extend(super::discounts::take_back(
                inv,
                payment.as_deref(),
                share(*total),
                currency,
                &date,
            ));
            rows
        }),
        Fact::DisputeOpened {
            dispute,
            payment,
            amount,
            currency,
        }
        | Fact::DisputeClosed {
            dispute,
            payment,
            amount,
            currency,
            ..
        } => {
            let won = matches!(fact, Fact::DisputeClosed { won: true, .. });
            after_payment(known, payment.as_deref(), |inv, share| {
                dispute_rows(inv, dispute, share(*amount), won, currency, &date)
            })
        }
        // A failed bank debit reopens the invoice: the customer is told.
        Fact::Failed {
            key,
            invoice: Some(invoice),
        } if key.starts_with("cs_") => {
            let mut e = Effects::new(Outcome::Applied);
            if let Some(inv) = known.invoice(invoice) {
                e.invoice_id = Some(inv.id.clone());
                e.email(inv, "payment_failed", format!("payment_failed:{key}"));
            }
            e
        }
        // Processing, other failures and expiries change no money, only
        // where the checkout stands (see `move_sessions`).
        Fact::Processing { .. } | Fact::Failed { .. } | Fact::Expired { .. } => {
            Effects::new(Outcome::Applied)
        }
    }
}

/// Money for one invoice.
fn paid(
    known: &Known,
    key: &str,
    invoice: Option<&str>,
    (amount, discount): (i64, i64),
    currency: &str,
    date: &str,
) -> Effects {
    let Some(invoice) = invoice.filter(|i| settle_shared::ids::InvoiceId::parse(i).is_ok()) else {
        return Effects::flag("a payment that names no Settle invoice");
    };
    let Some(inv) = known.invoice(invoice) else {
        return Effects::flag(format!(
            "a payment for invoice {invoice}, unknown in this organization"
        ));
    };
    let mut e = Effects::new(Outcome::Applied);
    e.payment_key = Some(key.to_owned());
    e.invoice_id = Some(inv.id.clone());
    let external_id = payment_row_id(key, None);
    if inv.has(&external_id) {
        // Another event about the same payment (the session's and the
        // PaymentIntent's): already booked.
        return e;
    }
    if currency != inv.currency {
        e.outcome = Outcome::Flagged;
        e.note = Some(format!(
            "paid in {currency}, the invoice is in {}: recorded, not applied",
            inv.currency
        ));
    } else if inv.status == settle_shared::invoice::InvoiceStatus::Void {
        e.outcome = Outcome::Flagged;
        e.note = Some(format!(
            "invoice {} is void: the payment is the customer's credit",
            inv.number
        ));
    }
    let mut rows: Vec<Row> =
        stripe_row(inv, Kind::Payment, amount, currency, key, external_id, date)
            .into_iter()
            .collect();
    // An early-payment discount is allowed with it when the two settle
    // exactly what was due (in the invoice's currency, on an open invoice).
    if e.outcome == Outcome::Applied
        && let Some(row) = super::discounts::allowed(inv, key, amount, discount, currency, date)
    {
        e.audit.push(AuditEntry {
            action: "discount.allowed".into(),
            subject: inv.id.clone(),
            detail: json!({ "payment": key, "discount": row.amount, "currency": currency }),
        });
        rows.push(row);
    }
    e.book(inv, rows);
    if currency == inv.currency {
        e.email(inv, "receipt", format!("receipt:{key}"));
    }
    settle_processing(&mut e, known, &inv.id, amount);
    e
}

/// One payment for several invoices: a row and a receipt for each, as the
/// allocation made at checkout says.
fn combined(
    known: &Known,
    key: &str,
    amount: i64,
    currency: &str,
    allocation: &[(String, i64)],
    date: &str,
) -> Effects {
    if allocation.iter().map(|(_, a)| a).sum::<i64>() != amount
        || allocation.iter().any(|(_, a)| *a <= 0)
    {
        return Effects::flag(format!(
            "a combined payment of {amount} does not match its allocation"
        ));
    }
    let mut e = Effects::new(Outcome::Applied);
    e.payment_key = Some(key.to_owned());
    for (invoice_id, part) in allocation {
        let Some(inv) = known.invoice(invoice_id) else {
            return Effects::flag(format!(
                "a combined payment names invoice {invoice_id}, unknown in this organization"
            ));
        };
        if inv.currency != currency {
            return Effects::flag(format!(
                "a combined payment in {currency} names invoice {invoice_id} in {}",
                inv.currency
            ));
        }
        let external_id = payment_row_id(key, Some(&inv.id));
        e.invoice_id.get_or_insert(inv.id.clone());
        if inv.has(&external_id) {
            continue;
        }
        if inv.status == settle_shared::invoice::InvoiceStatus::Void {
            e.outcome = Outcome::Flagged;
            e.note = Some(format!(
                "invoice {} is void: its part of the payment is the customer's credit",
                inv.number
            ));
        }
        let row = stripe_row(inv, Kind::Payment, *part, currency, key, external_id, date);
        e.book(inv, row.into_iter().collect());
        e.email(inv, "receipt", format!("receipt:{key}:{}", inv.id));
    }
    if let Some((first, _)) = allocation.first() {
        settle_processing(&mut e, known, first, amount);
    }
    e
}

/// Whatever event told us, a bank debit of this amount for this invoice is
/// no longer on its way.
fn settle_processing(e: &mut Effects, known: &Known, invoice_id: &str, amount: i64) {
    for s in &known.sessions {
        if s.invoice_id == invoice_id && s.amount == amount && s.state == SessionState::Processing {
            set_session(e, s, SessionState::Paid);
        }
    }
}

/// Moves the session the event reports on forward.
fn move_sessions(e: &mut Effects, event: &Event, known: &Known) {
    let Some((id, to)) = checkout::reported(event) else {
        return;
    };
    if let Some(s) = known.sessions.iter().find(|s| s.id == id) {
        set_session(e, s, to);
    }
}

fn set_session(e: &mut Effects, s: &Session, to: SessionState) {
    let current = e
        .sessions
        .iter()
        .find(|(id, _)| *id == s.id)
        .map(|(_, st)| *st)
        .unwrap_or(s.state);
    let Some(next) = checkout::advance(current, to) else {
        return;
    };
    e.sessions.retain(|(id, _)| *id != s.id);
    e.sessions.push((s.id.clone(), next));
    let guard = Guard::SessionState {
        session: s.id.clone(),
        state: s.state,
    };
    if !e.guards.contains(&guard) {
        e.guards.push(guard);
    }
}

/// Decides an effect on the invoices payment `key` paid, each with its share
/// of an amount taken back, in a fixed order (by invoice id); waits when the
/// payment has not arrived.
/// The invoices payment `key` paid, each with the part it got, in a fixed
/// order (by invoice id): refunds and disputes split over them in it.
pub(super) fn payment_parts<'a>(known: &'a Known, key: &str) -> Vec<(&'a Invoice, i64)> {
    let mut parts: Vec<(&Invoice, i64)> = known
        .invoices
        .iter()
        .flat_map(|inv| {
            inv.rows
                .iter()
                .filter(|r| is_row_of_payment(r, key))
                .map(move |r| (inv, r.amount))
        })
        .collect();
    settle_shared::sort::sort_by(&mut parts, |a, b| a.0.id.cmp(&b.0.id));
    parts
}

fn after_payment(
    known: &Known,
    payment: Option<&str>,
    effect: impl Fn(&Invoice, &dyn Fn(i64) -> i64) -> Vec<Row>,
) -> Effects {
    let Some(key) = payment else {
        return Effects::flag("names no payment");
    };
    let parts = payment_parts(known, key);
    let mut e = Effects::new(Outcome::Applied);
    e.payment_key = Some(key.to_owned());
    if parts.is_empty() {
        e.outcome = Outcome::Pending;
        e.note = Some(format!("waits for payment {key}"));
        e.guards.push(Guard::PaymentAbsent {
            payment: key.to_owned(),
        });
        return e;
    }
    let amounts: Vec<i64> = parts.iter().map(|(_, a)| *a).collect();
    for (i, (inv, _)) in parts.iter().enumerate() {
        let share = |total: i64| reconcile::fill(total, &amounts)[i];
        let rows = effect(inv, &share);
        e.book(inv, rows);
    }
    e
}

/// Stripe sends a charge's running refund total; this invoice's share of it
/// only grows, so booking the difference to what is booked adds up the same
/// in any order.
fn refund(inv: &Invoice, charge: &str, target: i64, currency: &str, date: &str) -> Vec<Row> {
    let prior: i64 = inv
        .rows
        .iter()
        .filter(|r| r.kind == Kind::Refund && r.reference.as_deref() == Some(charge))
        .map(|r| r.amount)
        .sum();
    stripe_row(
        inv,
        Kind::Refund,
        target - prior,
        currency,
        charge,
        format!("refund:{charge}:{}:{target}", inv.id),
        date,
    )
    .into_iter()
    .collect()
}

/// A dispute takes this invoice's share back; winning it returns the share.
/// A closed dispute implies it was opened, even if that event is late.
fn dispute_rows(
    inv: &Invoice,
    dispute: &str,
    part: i64,
    won: bool,
    currency: &str,
    date: &str,
) -> Vec<Row> {
    let mut rows: Vec<Row> = stripe_row(
        inv,
        Kind::Chargeback,
        part,
        currency,
        dispute,
        format!("chargeback:{dispute}:{}", inv.id),
        date,
    )
    .into_iter()
    .collect();
    if won {
        rows.extend(stripe_row(
            inv,
            Kind::Reversal,
            part,
            currency,
            dispute,
            format!("reversal:{dispute}:{}", inv.id),
            date,
        ));
    }
    rows
}

/// A row from Stripe, unless it is already booked or moves no money.
pub(super) fn stripe_row(
    inv: &Invoice,
    kind: Kind,
    amount: i64,
    currency: &str,
    reference: &str,
    external_id: String,
    date: &str,
) -> Option<Row> {
    (amount > 0 && !inv.has(&external_id)).then(|| Row {
        invoice_id: inv.id.clone(),
        external_id: Some(external_id),
        kind,
        method: "stripe".into(),
        amount,
        currency: currency.to_owned(),
        reference: Some(reference.to_owned()),
        received_on: date.to_owned(),
    })
}
