//! The engine run over an in-memory store instead of D1: what the worker
//! does with each event (read what the engine asks for, decide, write the
//! effects if their guards hold, decide waiting events again), with no rule
//! of its own. The property tests and the replay test against `wrangler dev`
//! use it to know what the books must be.

use super::checkout::{Session, SessionState};
use super::stripe::{self, Known, Reads};
use super::{Effects, Guard, Invoice, Outcome, Row};
use crate::stripe::events::Event;
use settle_shared::invoice::InvoiceStatus;
use std::collections::{BTreeMap, BTreeSet};

/// One organization's books in memory.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub org_id: String,
    pub invoices: BTreeMap<String, Invoice>,
    /// The paid amount as last written (the column the API reads).
    pub amount_paid: BTreeMap<String, i64>,
    pub sessions: BTreeMap<String, Session>,
    /// Recorded events: outcome and what a waiting one waits for.
    pub events: BTreeMap<String, (Outcome, Option<String>, Event)>,
    /// Queued emails by their dedupe key.
    pub emails: BTreeSet<String>,
    pub audit: Vec<String>,
    /// Writes refused because a guard no longer held (then decided again).
    pub conflicts: usize,
}

/// A write refused: what was read changed in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

impl Store {
    pub fn new(org_id: &str) -> Self {
        Store {
            org_id: org_id.to_owned(),
            ..Store::default()
        }
    }

    /// What the worker's read batch returns for `r`.
    pub fn read(&self, r: &Reads) -> Known {
        let mut invoices: Vec<Invoice> = r
            .invoices
            .iter()
            .filter_map(|id| self.invoices.get(id).cloned())
            .collect();
        if let Some(key) = &r.payment {
            invoices.extend(
                self.invoices
                    .values()
                    .filter(|i| i.rows.iter().any(|row| stripe::is_row_of_payment(row, key)))
                    .cloned(),
            );
        }
        let sessions = self
            .sessions
            .values()
            .filter(|s| {
                Some(&s.id) == r.session.as_ref()
                    || (invoices.iter().any(|i| i.id == s.invoice_id)
                        && matches!(s.state, SessionState::Open | SessionState::Processing))
            })
            .cloned()
            .collect();
        Known { invoices, sessions }
    }

    /// Writes `e` if every guard holds, as one transaction.
    pub fn write(&mut self, e: &Effects) -> Result<(), Conflict> {
        for u in &e.invoices {
            if self.invoices.get(&u.invoice_id).map(|i| i.version) != Some(u.expected_version) {
                return Err(Conflict);
            }
        }
        for g in &e.guards {
            let holds = match g {
                Guard::SessionState { session, state } => {
                    self.sessions.get(session).map(|s| s.state) == Some(*state)
                }
                Guard::PaymentAbsent { payment } => !self.invoices.values().any(|i| {
                    i.rows
                        .iter()
                        .any(|row| stripe::is_row_of_payment(row, payment))
                }),
            };
            if !holds {
                return Err(Conflict);
            }
        }
        let ids: BTreeSet<&str> = self
            .invoices
            .values()
            .flat_map(|i| i.rows.iter().filter_map(|r| r.external_id.as_deref()))
            .collect();
        if e.rows
            .iter()
            .any(|r| r.external_id.as_deref().is_some_and(|id| ids.contains(id)))
        {
            return Err(Conflict);
        }
        for row in &e.rows {
            if let Some(inv) = self.invoices.get_mut(&row.invoice_id) {
                inv.rows.push(row.clone());
            }
        }
        for u in &e.invoices {
            if let Some(inv) = self.invoices.get_mut(&u.invoice_id) {
                inv.status = u.status;
                inv.version += 1;
                self.amount_paid.insert(u.invoice_id.clone(), u.amount_paid);
            }
        }
        for (id, state) in &e.sessions {
            if let Some(s) = self.sessions.get_mut(id) {
                s.state = *state;
            }
        }
        for m in &e.emails {
            self.emails.insert(m.dedupe_key.clone());
        }
        self.audit.extend(e.audit.iter().map(|a| a.action.clone()));
        Ok(())
    }

    /// Delivers a Stripe event as the webhook endpoint does. Returns its
    /// outcome, or `None` for a duplicate.
    pub fn deliver(&mut self, event: &Event) -> Option<Outcome> {
        self.finish(event, None)
    }

    /// Two deliveries at once: both read before either writes (two requests
    /// in two isolates), then `a` writes, then `b`.
    pub fn deliver_racing(&mut self, a: &Event, b: &Event) {
        let decided = |s: &Self, ev: &Event| {
            let known = s.read(&stripe::reads(ev));
            stripe::decide(&s.org_id, ev, &known, false)
        };
        let (ea, eb) = (decided(self, a), decided(self, b));
        self.finish(a, Some(ea));
        self.finish(b, Some(eb));
    }

    /// Writes what was decided for `event` (deciding again after a
    /// conflict), records the event, and wakes what waited for its payment.
    fn finish(&mut self, event: &Event, decided: Option<Effects>) -> Option<Outcome> {
        if self.events.contains_key(&event.id) {
            return None;
        }
        let e = match decided {
            Some(e) if self.write(&e).is_ok() => e,
            Some(_) => {
                self.conflicts += 1;
                self.decide_and_write(event, false)
            }
            None => self.decide_and_write(event, false),
        };
        self.events.insert(
            event.id.clone(),
            (e.outcome, e.payment_key.clone(), event.clone()),
        );
        if let Some(key) = stripe::wakes(&e) {
            self.wake(key);
        }
        Some(e.outcome)
    }

    /// Decides `event` on what is recorded now and writes it, deciding
    /// again after each conflict.
    fn decide_and_write(&mut self, event: &Event, waited: bool) -> Effects {
        loop {
            let known = self.read(&stripe::reads(event));
            let e = stripe::decide(&self.org_id, event, &known, waited);
            match self.write(&e) {
                Ok(()) => return e,
                Err(Conflict) => self.conflicts += 1,
            }
        }
    }

    /// Decides again the events waiting for payment `key`.
    fn wake(&mut self, key: &str) {
        let waiting: Vec<Event> = self
            .events
            .values()
            .filter(|(o, k, _)| *o == Outcome::Pending && k.as_deref() == Some(key))
            .map(|(_, _, e)| e.clone())
            .collect();
        for event in waiting {
            let e = self.decide_and_write(&event, true);
            if let Some(rec) = self.events.get_mut(&event.id) {
                rec.0 = e.outcome;
            }
        }
    }

    /// Adds an invoice as created by the company.
    pub fn add_invoice(&mut self, inv: Invoice) {
        self.amount_paid.insert(inv.id.clone(), inv.paid());
        self.invoices.insert(inv.id.clone(), inv);
    }

    /// Records a checkout session as the checkout endpoint does.
    pub fn add_session(&mut self, s: Session) {
        self.sessions.insert(s.id.clone(), s);
    }

    /// The rows of one invoice.
    pub fn rows(&self, invoice: &str) -> &[Row] {
        self.invoices
            .get(invoice)
            .map(|i| i.rows.as_slice())
            .unwrap_or_default()
    }

    /// An invoice's status.
    pub fn status(&self, invoice: &str) -> Option<InvoiceStatus> {
        self.invoices.get(invoice).map(|i| i.status)
    }
}
