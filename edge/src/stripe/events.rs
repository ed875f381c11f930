//! The Stripe events Settle reads, parsed leniently: every API version from
//! 2020-08-27 on, unknown fields ignored, expandable fields as an id or an
//! object. Anything Settle does not act on is kept as `Object::Other`.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// An event envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// Why a body is not an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Stripe event: {0}")]
pub struct EventError(pub String);

impl Event {
    pub fn parse(body: &[u8]) -> Result<Event, EventError> {
        let e: Event = serde_json::from_slice(body).map_err(|e| EventError(e.to_string()))?;
        if e.id.is_empty() {
            return Err(EventError("the event has no id".into()));
        }
        Ok(e)
    }

    /// The object the event is about, typed when Settle acts on it.
    pub fn object(&self) -> Object {
        let o = &self.data.object;
        let parsed = match self.kind.split('.').next().unwrap_or("") {
            "checkout" => serde_json::from_value(o.clone()).map(Object::CheckoutSession),
            "payment_intent" => serde_json::from_value(o.clone()).map(Object::PaymentIntent),
            "charge" if self.kind.starts_with("charge.dispute.") => {
                serde_json::from_value(o.clone()).map(Object::Dispute)
            }
            "charge" if self.kind.starts_with("charge.refund.") => return Object::Other,
            "charge" => serde_json::from_value(o.clone()).map(Object::Charge),
            _ => return Object::Other,
        };
        parsed.unwrap_or(Object::Other)
    }
}

/// An id, or the expanded object carrying it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expandable {
    Id(String),
    Object { id: String },
}

impl Expandable {
    pub fn id(&self) -> &str {
        match self {
            Expandable::Id(id) | Expandable::Object { id } => id,
        }
    }
}

/// The objects Settle acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    CheckoutSession(CheckoutSession),
    PaymentIntent(PaymentIntent),
    Charge(Charge),
    Dispute(Dispute),
    Other,
}

/// `checkout.session`
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// `paid`, `unpaid`, `no_payment_required`
    #[serde(default)]
    pub payment_status: String,
    /// `open`, `complete`, `expired`
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub payment_intent: Option<Expandable>,
    /// `payment`, or `setup` (a method saved: no money moves).
    #[serde(default)]
    pub mode: Option<String>,
}

/// `payment_intent`
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_received: Option<i64>,
    pub currency: String,
    pub status: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `charge`
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Charge {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_refunded: i64,
    pub currency: String,
    #[serde(default)]
    pub payment_intent: Option<Expandable>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `dispute`
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dispute {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    /// `warning_needs_response`, `needs_response`, `under_review`, `won`, `lost`, `warning_closed`, …
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub charge: Option<Expandable>,
    #[serde(default)]
    pub payment_intent: Option<Expandable>,
    #[serde(default)]
    pub evidence_details: Option<EvidenceDetails>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EvidenceDetails {
    #[serde(default)]
    pub due_by: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every captured event in ../shared/stripe/events parses, and the ones
    /// Settle acts on come out typed.
    #[test]
    fn every_shared_event_parses() {
        let dir = crate::stripe::reference_data().join("events");
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut n = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name == "manifest.json" {
                continue;
            }
            let body = std::fs::read(&path).unwrap();
            let e = Event::parse(&body).unwrap_or_else(|err| panic!("{name}: {err}"));
            let typed = !matches!(e.object(), Object::Other);
            let acted_on = e.kind.starts_with("checkout.session.")
                || e.kind.starts_with("payment_intent.")
                || e.kind == "charge.refunded"
                || e.kind.starts_with("charge.dispute.");
            assert_eq!(typed, acted_on, "{name} ({})", e.kind);
            n += 1;
        }
        assert!(n >= 15, "only {n} events found");
    }

    #[test]
    fn expandable_ids() {
        let s: CheckoutSession = serde_json::from_value(serde_json::json!({
            "id": "cs_1", "payment_intent": { "id": "pi_1", "object": "payment_intent" }, "payment_status": "paid"
        }))
        .unwrap();
        assert_eq!(s.payment_intent.unwrap().id(), "pi_1");
    }
}
